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

func TestMirrorDirInjective(t *testing.T) {
	if MirrorDir("a__b/c") == MirrorDir("a/b__c") {
		t.Error("a__b/c and a/b__c share a mirror folder")
	}
	for _, c := range []struct{ name, want string }{
		{"git.example.com/team/api", "git.example.com+team+api.git"},
		{"a+b", "a%2Bb.git"},
		{"..", "...git"},
		{"", ".git"},
	} {
		if got := MirrorDir(c.name); got != c.want {
			t.Errorf("MirrorDir(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	long := strings.Repeat("x", 300)
	if a, b := MirrorDir(long+"a"), MirrorDir(long+"b"); a == b || len(a) > 255 {
		t.Errorf("long names: %q %q", a, b)
	}
}

// TestLegacyMirrorAdopted: a mirror under the folder name of older trawl
// versions is moved, not cloned again.
func TestLegacyMirrorAdopted(t *testing.T) {
	mirrors := t.TempDir()
	name := "git.example.com/team/api"
	old := filepath.Join(mirrors, legacyMirrorDir(name))
	if err := os.MkdirAll(filepath.Join(old, "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(mirrors, MirrorDir(name))
	adoptLegacyMirror(mirrors, name, dir)
	if _, err := os.Stat(filepath.Join(dir, "objects")); err != nil {
		t.Errorf("legacy mirror not moved: %v", err)
	}
	if _, err := os.Stat(old); err == nil {
		t.Error("legacy folder still there")
	}
}

// FuzzMirrorDir: every name maps to one path element that stays in the
// mirrors folder, and two names never share one.
func FuzzMirrorDir(f *testing.F) {
	f.Add("a__b/c", "a/b__c")
	f.Fuzz(func(t *testing.T, a, b string) {
		da := MirrorDir(a)
		if strings.ContainsAny(da, `/\`) || da == "." || da == ".." || filepath.Base(da) != da || len(da) > 255 {
			t.Fatalf("MirrorDir(%q) = %q is not one safe path element", a, da)
		}
		if a != b && da == MirrorDir(b) {
			t.Fatalf("%q and %q share the mirror folder %q", a, b, da)
		}
	})
}

// FuzzRepoNameFromURL: any URL or path gives a name without surrounding
// slashes or a .git suffix, whose mirror folder is safe.
func FuzzRepoNameFromURL(f *testing.F) {
	f.Add("https://git.example.com/team/api.git")
	f.Fuzz(func(t *testing.T, raw string) {
		name := RepoNameFromURL(raw)
		if strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.HasSuffix(name, "/.git") {
			t.Fatalf("RepoNameFromURL(%q) = %q", raw, name)
		}
		if d := MirrorDir(name); filepath.Base(d) != d {
			t.Fatalf("mirror folder of %q escapes: %q", name, d)
		}
	})
}

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
