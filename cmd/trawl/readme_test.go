package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/demo"
	"github.com/trawl-dev/trawl/search"
)

// TestREADMEClaims keeps the README's examples true: the configuration it
// shows is config example's, every quoted trawl search query parses, and
// the demo commands it shows are the tour's.
func TestREADMEClaims(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if !strings.Contains(readme, "```yaml\n"+config.Example()+"```\n") {
		t.Errorf("README.md does not show trawl config example as it prints today")
	}
	queries := regexp.MustCompile(`trawl search (?:--?[a-z]+(?: [0-9]+)? )*'([^']+)'`).FindAllStringSubmatch(readme, -1)
	if len(queries) < 5 {
		t.Fatalf("found %d search examples in README.md", len(queries))
	}
	for _, q := range queries {
		if _, err := search.Parse(q[1]); err != nil {
			t.Errorf("README query %q does not parse: %v", q[1], err)
		}
	}
	for _, line := range regexp.MustCompile(`(?m)^\$ trawl (.*)$`).FindAllStringSubmatch(readme, -1) {
		found := false
		for _, q := range demo.Tour() {
			found = found || shellJoin(q.Args) == line[1]
		}
		if !found {
			t.Errorf("README shows `trawl %s`, which the demo tour does not run", line[1])
		}
	}
}

// TestDesignCitations: every "docs/design.md §N" in the code and the
// documentation names a section docs/design.md has.
func TestDesignCitations(t *testing.T) {
	design, err := os.ReadFile("../../docs/design.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (\d+)\. `).FindAllStringSubmatch(string(design), -1) {
		sections[m[1]] = true
	}
	cite := regexp.MustCompile(`docs/design\.md §(\d+)`)
	n := 0
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "demo-org" || d.Name() == "trawl-data") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".md")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range cite.FindAllStringSubmatch(string(b), -1) {
			n++
			if !sections[m[1]] {
				t.Errorf("%s cites docs/design.md §%s, which does not exist", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("found %d citations of docs/design.md; the walk missed the tree", n)
	}
}
