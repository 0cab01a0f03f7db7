package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
