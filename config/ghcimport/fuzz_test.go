package ghcimport

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzImport checks that no input panics the import, and that what it
// writes is YAML that decodes.
func FuzzImport(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "crawler-2x.yml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed), "")
	f.Add("gitHub.url: http://x\norganizationName: o\nrepositoriesToExclude: ['^(?!a-.*$).*']\n", "")
	f.Add("a: 1\n---\nspring.profiles: p\ncrawlAllBranches: true\n", "p")
	f.Add("crawler:\n  misc-repository-tasks:\n    - {name: n, type: nbBranchesOnRepo}\n", "")
	f.Fuzz(func(t *testing.T, in, profile string) {
		var opts Options
		if profile != "" {
			opts.Profiles = []string{profile}
		}
		r, err := Import([]byte(in), opts)
		if err != nil {
			return
		}
		var n yaml.Node
		if err := yaml.Unmarshal(r.Config, &n); err != nil {
			t.Fatalf("written trawl.yaml is not YAML: %v\n%s", err, r.Config)
		}
	})
}

// FuzzFullName checks that a translated pattern compiles and picks the
// repositories github-crawler's pattern picks.
func FuzzFullName(f *testing.F) {
	for _, s := range []string{"^financing-platform-.*-run$", "-run$", "(?i)sandbox", "a.b", "[^x]+", "^(?:api|run)$", "x|^y"} {
		f.Add(s, "financing-platform-api-run")
	}
	f.Fuzz(func(t *testing.T, p, name string) {
		out, err := fullName(p)
		if err != nil {
			return
		}
		re, err := regexp.Compile(out)
		if err != nil {
			t.Fatalf("%q -> %q does not compile: %v", p, out, err)
		}
		if len(name) == 0 || len(name) > 64 || !regexp.MustCompile(`^[A-Za-z0-9._-]+$`).MatchString(name) {
			return // not a repository name
		}
		if _, err := regexp.Compile(p); err != nil {
			return
		}
		// Where RE2 and Java agree on the pattern itself (RE2's own
		// answer on the short name), the translation must agree too.
		want := regexp.MustCompile(p).MatchString(name)
		for _, o := range orgs {
			if re.MatchString(o+"/"+name) != want {
				t.Fatalf("%q -> %q on %s/%s: %v, want %v", p, out, o, name, !want, want)
			}
		}
	})
}
