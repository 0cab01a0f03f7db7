package lang_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-enry/go-enry/v2"
	"github.com/go-enry/go-enry/v2/data"

	"github.com/trawl-dev/trawl/lang"
)

// corpus is every name and extension go-enry knows, in several shapes
// (in a folder, upper case, behind other dots), manual pages, names
// nothing knows, and the paths of the bench organisation when it has been
// generated (.bench/).
func corpus(t *testing.T) []string {
	var out []string
	for name := range data.LanguagesByFilename {
		out = append(out, name, "src/"+name, "a.b/"+name, strings.ToLower(name), name+".bak")
	}
	for ext := range data.LanguagesByExtension {
		out = append(out, "f"+ext, "dir/Main"+ext, "x.y"+ext, "UP"+strings.ToUpper(ext), ext, "a"+ext+".orig", "v1.2"+ext)
	}
	for ext := range data.ContentHeuristics {
		out = append(out, "h"+ext, "man/h"+ext)
	}
	out = append(out, "ls.1", "foo.3pm", "x.1.in", "bar.man", "a.n", "b.0p", "c.mdoc", "d.9x_y", "e.1.gz",
		"Makefile", "makefile", "GNUmakefile", "Dockerfile", "Dockerfile.dev", "Jenkinsfile", "README", "README.md",
		"noext", ".hidden", "trailingdot.", "..", "a..b", "ünïcödé.go", "x/y/z", "", "/", "weird name.TXT")
	if root, err := filepath.Abs("../.bench"); err == nil {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() && d.Name() == ".git" {
				return filepath.SkipDir
			}
			if rel, err := filepath.Rel(root, p); err == nil && len(out) < 200_000 {
				out = append(out, filepath.ToSlash(rel))
			}
			return nil
		})
	}
	return out
}

// answers is every answer go-enry's GetLanguage(p, nil) gives: one, but
// for an extension languages share with equal weight its classifier
// answers by map order, so several over repeated calls.
func answers(p string) map[string]bool {
	seen := map[string]bool{enry.GetLanguage(p, nil): true}
	for range 63 {
		seen[enry.GetLanguage(p, nil)] = true
	}
	return seen
}

// TestOfIsEnry: every answer is go-enry's GetLanguage(path, nil), or one
// of its answers where it has several.
func TestOfIsEnry(t *testing.T) {
	bad := 0
	for _, p := range corpus(t) {
		got, want := lang.Of(p), enry.GetLanguage(p, nil)
		if got != want && !answers(p)[got] {
			if bad++; bad <= 20 {
				t.Errorf("Of(%q) = %q, go-enry says %q", p, got, want)
			}
		}
	}
	if bad > 20 {
		t.Errorf("... %d differences in all", bad)
	}
}

// TestIsVendorIsEnry: same paths, go-enry's IsVendor.
func TestIsVendorIsEnry(t *testing.T) {
	paths := append(corpus(t), "vendor/github.com/x/y.go", "node_modules/a/b.js", "third_party/x.c", "js/jquery-3.6.0.js",
		"web/dist/app.js", "src/app.min.js", "docs/_build/x.html", "a/b/c.go", ".github/workflows/ci.yml", "Vendor/x")
	for _, p := range paths {
		if got, want := lang.IsVendor(p), enry.IsVendor(p); got != want {
			t.Errorf("IsVendor(%q) = %v, go-enry says %v", p, got, want)
		}
	}
}

// TestByAliasIsEnry: every alias and language name, in several cases.
func TestByAliasIsEnry(t *testing.T) {
	var names []string
	for a := range data.LanguageByAliasMap {
		names = append(names, a, strings.ToUpper(a), strings.ReplaceAll(a, "_", " "))
	}
	for name := range data.LanguagesType {
		names = append(names, name, name+",x", strings.ToLower(name))
	}
	names = append(names, "golang", "js", "Protocol Buffer", "no such language", "", ",")
	for _, n := range names {
		got, gotOK := lang.ByAlias(n)
		want, wantOK := enry.GetLanguageByAlias(n)
		if got != want || gotOK != wantOK {
			t.Errorf("ByAlias(%q) = %q, %v; go-enry says %q, %v", n, got, gotOK, want, wantOK)
		}
	}
}

// FuzzOf: any path gets go-enry's answer. Seeds in testdata/fuzz/FuzzOf.
func FuzzOf(f *testing.F) {
	f.Add("src/main.go")
	f.Add("x.1.in")
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := lang.Of(p), enry.GetLanguage(p, nil); got != want && !answers(p)[got] {
			t.Errorf("Of(%q) = %q, go-enry says %q", p, got, want)
		}
		if got, want := lang.IsVendor(p), enry.IsVendor(p); got != want {
			t.Errorf("IsVendor(%q) = %v, go-enry says %v", p, got, want)
		}
	})
}
