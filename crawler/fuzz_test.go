package crawler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/deps"
)

// Seeds for these targets live in testdata/fuzz/<target>; they run as
// ordinary tests.

// FuzzOptOut: any opt-out file gives one of the three answers, and only a
// mapping with the key set to true opts out.
func FuzzOptOut(f *testing.F) {
	f.Add([]byte("exclude: true\n"), "exclude")
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		switch optOut(data, key) {
		case optOutYes:
			if !strings.Contains(string(data), key) && key != "" {
				t.Fatalf("%q opts out without naming %q", data, key)
			}
		case optOutNo, optOutMalformed:
		default:
			t.Fatal("unknown answer")
		}
	})
}

// FuzzManifestCache: whatever a cache file holds, get never panics and
// returns nil or a manifest; a manifest put is read back.
func FuzzManifestCache(f *testing.F) {
	f.Add([]byte(`{"kind":"gomod","decls":[{"name":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newManifestCache(t.TempDir())
		key := "0123456789abcdef0123456789abcdef01234567.gomod"
		os.MkdirAll(filepath.Dir(c.file(key)), 0o755)
		if err := os.WriteFile(c.file(key), data, 0o644); err != nil {
			t.Fatal(err)
		}
		c.get(key)
		other := "89abcdef0123456789abcdef0123456789abcdef.gomod"
		c.put(other, &deps.Manifest{Kind: "gomod"})
		fresh := newManifestCache(c.dir)
		if m := fresh.get(other); m == nil || m.Kind != "gomod" {
			t.Fatalf("manifest put is not read back: %+v", m)
		}
	})
}
