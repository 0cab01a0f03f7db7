package deps

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadTree parses every manifest below dir (paths relative to it), passing
// each through JSON as the crawler's blob cache will, and resolves them.
func loadTree(t *testing.T, dir string) []Dependency {
	t.Helper()
	manifests := map[string]*Manifest{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if Kind(rel) == "" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m, err := Parse(rel, b)
		if err != nil {
			return err
		}
		j, err := json.Marshal(m)
		if err != nil {
			return err
		}
		var back Manifest
		if err := json.Unmarshal(j, &back); err != nil {
			return err
		}
		manifests[rel] = &back
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return Resolve(manifests)
}

// format renders a record on one line for comparison.
func format(d Dependency) string {
	direct := "direct"
	if !d.Direct {
		direct = "indirect"
	}
	return fmt.Sprintf("%s:%d %s %s version=%q resolved=%q source=%s scope=%s %s %s",
		d.Path, d.Line, d.Ecosystem, d.Name, d.Version, d.ResolvedVersion, d.VersionSource, d.Scope, direct, d.PURL)
}

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// checkGolden compares the records of the tree testdata/name with
// testdata/name.golden, one record a line (reviewed by hand when written
// with -update).
func checkGolden(t *testing.T, name string) {
	t.Helper()
	var b strings.Builder
	for _, d := range loadTree(t, filepath.Join("testdata", name)) {
		b.WriteString(format(d))
		b.WriteByte('\n')
	}
	golden := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("records of testdata/%s differ\n got:\n%s\nwant:\n%s", name, got, want)
	}
}
