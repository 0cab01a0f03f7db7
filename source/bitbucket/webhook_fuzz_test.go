package bitbucket

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseEvent: any payload parses or is refused, never panics, and
// every branch reported is a non-empty name on a named repository.
func FuzzParseEvent(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "payloads", "*.json"))
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		key := strings.Replace(strings.TrimSuffix(filepath.Base(p), ".json"), "_", ":", 1)
		f.Add(key, data)
	}
	f.Add("repo:push", []byte(`{"push":{"changes":[{"new":null,"old":null}]}}`))
	f.Add("repo:refs_changed", []byte(`{"changes":{}}`))
	f.Fuzz(func(t *testing.T, key string, body []byte) {
		e, err := parseEvent(key, body)
		if err != nil {
			return
		}
		for _, p := range e.pushes {
			if p.repo == "" || p.branch == "" {
				t.Fatalf("push %+v without a name", p)
			}
		}
		for _, r := range e.repos {
			if r == "" {
				t.Fatal("an empty repository name")
			}
		}
	})
}
