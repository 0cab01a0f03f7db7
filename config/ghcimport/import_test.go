package ghcimport

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dlclark/regexp2"

	"github.com/trawl-dev/trawl/config"
)

// javaFind is github-crawler's test of a pattern against a short name
// (Pattern.compile(p).matcher(name).find()), with regexp2, which reads
// java.util.regex's syntax for what these tests use.
func javaFind(t testing.TB, p, name string) bool {
	re, err := regexp2.Compile(p, regexp2.RE2)
	if err != nil {
		re, err = regexp2.Compile(p, 0)
	}
	if err != nil {
		t.Skipf("regexp2 cannot compile %q: %v", p, err)
	}
	ok, err := re.MatchString(name)
	if err != nil {
		t.Skip(err)
	}
	return ok
}

var names = []string{"financing-platform-api", "financing-platform-api-run", "api", "platform-financing-platform-x",
	"x-run", "run", "sandbox", "Sandbox-1", "a.b", "ab", "financing-platform-"}
var orgs = []string{"acme", "financing-platform-org", "group/sub"}

// TestFullNameAgreesWithJava checks, for each pattern and name, that the
// translated RE2 pattern on every full name holding that short name gives
// github-crawler's answer.
func TestFullNameAgreesWithJava(t *testing.T) {
	for _, p := range []string{
		"^financing-platform-.*-run$", "-run$", "run", "^api$", "(?i)sandbox", "a.b", "^.*$", "[^x]+", `\w+-\d`,
		"financing|sandbox", "^(?:api|run)$", "^", "$", "",
	} {
		got, err := fullName(p)
		if err != nil {
			t.Errorf("%q: %v", p, err)
			continue
		}
		re := regexp.MustCompile(got)
		for _, n := range names {
			want := javaFind(t, p, n)
			for _, o := range orgs {
				if re.MatchString(o+"/"+n) != want {
					t.Errorf("%q -> %q on %s/%s: %v, github-crawler %v", p, got, o, n, !want, want)
				}
			}
		}
	}
}

func TestRepoFilterNegativeLookahead(t *testing.T) {
	ex := []string{"^financing-platform-.*-run$", "^(?!financing-platform-.*$).*"}
	inc, exc, _, err := repoFilter(ex, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := config.Filter{Include: inc, Exclude: exc}
	if err := f.Compile(); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		excluded := javaFind(t, ex[0], n) || javaFind(t, ex[1], n)
		for _, o := range orgs {
			if f.Match(o+"/"+n) == excluded {
				t.Errorf("%s/%s: trawl keeps %v, github-crawler excludes %v (include %q exclude %q)", o, n, f.Match(o+"/"+n), excluded, inc, exc)
			}
		}
	}
}

func TestRefusals(t *testing.T) {
	for p, want := range map[string]string{
		"foo(?=bar)":  "lookahead (?=...)",
		"(?<!x)y":     "negative lookbehind",
		"a*+":         "possessive quantifier",
		"[a-z&&[^e]]": "intersection",
		`(a)\1`:       "backreference",
		"(^a|b)":      "anchor (^ or $) inside a group",
		"team/api":    "'/' can never match",
		"abc\\Z":      `\Z`,
	} {
		_, err := fullName(p)
		var re *RegexError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %q", p, err, want)
		}
	}
	if _, _, _, err := repoFilter(nil, []string{"^(?!x).*"}); err == nil || !strings.Contains(err.Error(), "negative lookahead") {
		t.Errorf("negative lookahead include: %v", err)
	}
	if _, _, _, err := repoFilter([]string{"^(?!x).*", "^(?!y).*"}, nil); err == nil || !strings.Contains(err.Error(), "second negative lookahead") {
		t.Errorf("two negative lookahead excludes: %v", err)
	}
}

func importFile(t *testing.T, name string, opts Options) *Result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	opts.File = name
	r, err := Import(data, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// check loads the written trawl.yaml with trawl's own loader.
func check(t *testing.T, r *Result) *config.Config {
	t.Helper()
	cfg, err := config.Parse(r.Config, "trawl.yaml")
	if err != nil {
		t.Fatalf("written trawl.yaml does not load: %v\n%s", err, r.Config)
	}
	return cfg
}

func TestImport2x(t *testing.T) {
	r := importFile(t, "crawler-2x.yml", Options{})
	cfg := check(t, r)
	gh := cfg.Sources[0].GitHub
	if gh.Org != "MyOrganization" || gh.APIURL != "https://ghe.example.com/api/v3" || gh.TokenEnv != "GITHUB_TOKEN" || gh.Concurrency != 1 {
		t.Errorf("github source: %+v", gh)
	}
	if strings.Contains(string(r.Config), "not-a-real-token") {
		t.Error("the token reached trawl.yaml")
	}
	if !cfg.Branches.Default {
		t.Error("crawlAllBranches: false did not give branches: default")
	}
	if !cfg.GitHubCrawler() || len(cfg.Indicators) != 2 || len(cfg.RepositoryTasks) != 2 {
		t.Errorf("compatibility %q, %d indicator files, %d tasks", cfg.Compatibility, len(cfg.Indicators), len(cfg.RepositoryTasks))
	}
	x := cfg.IndicatorsExport
	if x == nil || x.HTTP.URL != "http://es.example.com:9201/technologymap-{yyyy-MM}/MyOrganization" || x.Files.FilenamePrefix != "orgaCheckupOutput" ||
		!x.Files.CIDroidJSONWithTags || x.Files.CIDroidJSON[0] != "pomFilePath" {
		t.Errorf("export: %+v", x)
	}
	if !cfg.Repos.Match("MyOrganization/financing-platform-api") || cfg.Repos.Match("MyOrganization/financing-platform-api-run") || cfg.Repos.Match("MyOrganization/api") {
		t.Errorf("repos filter %+v", cfg.Repos)
	}
	if len(cfg.Groups) != 0 {
		t.Errorf("groups without a profile: %v", cfg.Groups)
	}
	// Nothing silently dropped: the unmappable keys are named with their line.
	warn := map[string]int{}
	for _, e := range r.Warnings() {
		warn[e.Key] = e.Line
	}
	for key, line := range map[string]int{
		"crawler.publishExcludedRepositories": 14,
		"logging.level.com.societegenerale":   49,
		"crawler.crawlAllBranches":            54, // in the inactive backend document
	} {
		if warn[key] != line {
			t.Errorf("warning for %s at line %d, want %d (warnings %v)", key, warn[key], line, warn)
		}
	}
}

func TestImportProfile(t *testing.T) {
	r := importFile(t, "crawler-2x.yml", Options{Profiles: []string{"backend"}})
	cfg := check(t, r)
	if cfg.Branches.Default {
		t.Error("the backend profile's crawlAllBranches: true did not apply")
	}
	if len(cfg.Groups) != 1 || cfg.Groups[0] != "backend" {
		t.Errorf("groups %v, want [backend]", cfg.Groups)
	}
}

func TestImport1x(t *testing.T) {
	in := `gitHub.url: http://localhost:9900/api/v3
organizationName: MyOrganization
crawlAllBranches: true
repositoriesToExclude: ["-sandbox$"]
output:
  http:
    targetUrl: "http://es:9201/technologymap/MyOrganization"
indicatorsToFetchByFile:
  Dockerfile:
    - name: docker_image_used
      method: findFirstValueWithRegexpCapture
      params:
        pattern: "FROM\\s.*\\/(.*)\\s?.*"
searchesPerRepo:
  nbOfMetricsInPomXml:
    queryString: "q=metrics+extension:xml"
    method: count
`
	r, err := Import([]byte(in), Options{File: "application-myOwn.yml"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := check(t, r)
	if cfg.Branches.Default || cfg.Sources[0].GitHub.APIURL != "http://localhost:9900/api/v3" || len(cfg.RepositoryTasks) != 1 ||
		cfg.RepositoryTasks[0].Type != config.TaskCountHits || cfg.Groups[0] != "myOwn" {
		t.Errorf("imported %+v", cfg)
	}
	if !cfg.Repos.Match("MyOrganization/api") || cfg.Repos.Match("MyOrganization/x-sandbox") {
		t.Errorf("repos %+v", cfg.Repos)
	}
}

func TestImportRefused(t *testing.T) {
	for in, want := range map[string]string{
		"repositoriesToExclude: ['foo(?=bar)']\n":                  "app.yml:1: repositoriesToExclude: pattern \"foo(?=bar)\": lookahead",
		"repositoriesToExclude: [a]\nrepositoriesToInclude: [b]\n": "app.yml:2: repositoriesToInclude: repositoriesToExclude (line 1) and repositoriesToInclude are both set",
		"crawlAllBranches: maybe\n":                                "app.yml:1: crawlAllBranches: must be true or false",
	} {
		_, err := Import([]byte(in), Options{File: "app.yml"})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
