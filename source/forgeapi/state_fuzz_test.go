package forgeapi

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzState: whatever the state file holds, loading it never panics and
// gives a usable state (maps present), and what is saved is read back.
// Seeds live in testdata/fuzz/FuzzState.
func FuzzState(f *testing.F) {
	f.Add([]byte(`{"pages":{"https://api.github.com/orgs/acme/repos?per_page=100":{"etag":"W/\"1\"","body":[]}},"fetched":{"acme/api":"2026-01-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "acme.state.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s := LoadState(path)
		if s.Pages == nil || s.Versions == nil {
			t.Fatal("loaded state lacks its maps")
		}
		s.page("k")
		s.Fetched("acme/api", "1970-01-01T00:00:01Z")
		pushed := "2026-12-02T00:00:00Z"
		s.SetFetched("acme/fuzz", pushed)
		s.setPage("k", page{ETag: `"e"`, Body: []byte(`[1]`)})
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		back := LoadState(path)
		if !back.Fetched("acme/fuzz", pushed) {
			t.Fatal("saved fetch state is not read back")
		}
		if p, ok := back.page("k"); !ok || p.ETag != `"e"` {
			t.Fatalf("saved page is not read back: %+v", p)
		}
	})
}
