package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
)

// examplesRepos hold one dependency in two versions, one in one, a
// CODEOWNERS in one repository only and a key whose value differs between
// the branches of acme/api.
var examplesRepos = []testRepo{
	{name: "acme/api", defaultBranch: "main", branches: map[string]map[string]string{
		"main":        {"pom.xml": pomMain, "conf/app.yml": "# settings\nname: api\ntimeout: 30s\nretries: 3\n", "CODEOWNERS": "* @acme/api\n"},
		"release/1.0": {"pom.xml": pomOld, "conf/app.yml": "# settings\nname: api\ntimeout: 10s\nretries: 3\n", "CODEOWNERS": "* @acme/api\n"},
	}},
	{name: "acme/web", defaultBranch: "main", branches: map[string]map[string]string{
		"main": {"package.json": `{"dependencies": {"react": "^18.3.1"}}` + "\n", "conf/app.yml": "name: web\n"},
	}},
}

func examplesDeps() []indexer.Dependency {
	d := func(repo, branch, path, eco, name, v string) indexer.Dependency {
		return indexer.Dependency{Repo: repo, Branch: branch, Path: path, Line: 3, Ecosystem: eco, Name: name,
			Version: v, ResolvedVersion: v, VersionSource: "literal", Direct: true}
	}
	return []indexer.Dependency{
		d("acme/api", "main", "pom.xml", "maven", "org.apache.logging.log4j:log4j-core", "2.23.1"),
		d("acme/api", "release/1.0", "pom.xml", "maven", "org.apache.logging.log4j:log4j-core", "2.17.1"),
		d("acme/web", "main", "package.json", "npm", "react", "18.3.1"),
	}
}

func TestExamples(t *testing.T) {
	idx := openIndex(t, examplesRepos)
	putDeps(t, idx, examplesDeps())
	srv := serve(t, idx, Options{})

	var got struct {
		Examples []Example `json:"examples"`
	}
	decode(t, get(t, srv, "/api/examples", ""), http.StatusOK, &got)
	want := map[string]string{
		"dependency": `log4j-core file:pom\.xml$`,
		"path":       `file:(^|/)CODEOWNERS$ branch:^main$`,
		"config":     `"timeout:" file:app\.yml$`,
	}
	if len(got.Examples) != len(want) {
		t.Fatalf("examples %+v, want one of each of %v", got.Examples, want)
	}
	for _, ex := range got.Examples {
		if ex.Query != want[ex.Kind] {
			t.Errorf("%s example %q, want %q", ex.Kind, ex.Query, want[ex.Kind])
		}
		if ex.Why == "" {
			t.Errorf("%s example has no explanation", ex.Kind)
		}
		// Every example is a question with an answer here.
		var res struct {
			Files []struct {
				Repo string `json:"repo"`
			} `json:"files"`
		}
		decode(t, get(t, srv, "/api/search?q="+url.QueryEscape(ex.Query), ""), http.StatusOK, &res)
		if len(res.Files) == 0 {
			t.Errorf("%s example %q finds nothing", ex.Kind, ex.Query)
		}
	}
	for _, ex := range got.Examples {
		if ex.Kind == "config" && !strings.Contains(ex.Why, "10s, 30s") {
			t.Errorf("config example does not name the values: %q", ex.Why)
		}
		if ex.Kind == "dependency" && !strings.Contains(ex.Why, "2 versions on 2 branches") {
			t.Errorf("dependency example does not count: %q", ex.Why)
		}
	}
}

func TestExamplesOfAnEmptyIndex(t *testing.T) {
	srv := serve(t, openIndex(t, nil), Options{})
	var got struct {
		Examples []Example `json:"examples"`
	}
	decode(t, get(t, srv, "/api/examples", ""), http.StatusOK, &got)
	if got.Examples == nil || len(got.Examples) != 0 {
		t.Errorf("empty index: examples %+v, want []", got.Examples)
	}
}

func TestExamplesNeedTheToken(t *testing.T) {
	srv := serve(t, openIndex(t, examplesRepos), Options{APIToken: "s3cret-token-value"})
	if resp := get(t, srv, "/api/examples", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without token: %d, want 401", resp.StatusCode)
	}
}

func TestQuoteQuery(t *testing.T) {
	for in, want := range map[string]string{
		"log4j-core": "log4j-core", "timeout:": `"timeout:"`, "-x": `"-x"`, "or": `"or"`,
		`a "b"`: `"a \"b\""`, "/re/": `"/re/"`,
	} {
		if got := quoteQuery(in); got != want {
			t.Errorf("quoteQuery(%q) = %s, want %s", in, got, want)
		}
	}
}
