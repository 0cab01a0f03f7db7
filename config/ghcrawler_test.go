package config

import (
	"strings"
	"testing"
	"time"
)

func TestBranchesDefault(t *testing.T) {
	cfg, err := Parse([]byte("sources: [{dir: /tmp}]\nbranches: default\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Branches.Default || !cfg.Branches.Match("anything") {
		t.Errorf("branches: default gave %+v", cfg.Branches)
	}
	cfg, err = Parse([]byte("sources: [{dir: /tmp}]\nbranches: {include: [main]}\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Branches.Default || cfg.Branches.Match("dev") {
		t.Errorf("branches mapping gave %+v", cfg.Branches)
	}
	for in, want := range map[string]string{
		"branches: every\n":            `t.yaml:2: branches: "every" is neither default nor a mapping`,
		"branches: {includ: [main]}\n": `t.yaml:2: branches: unknown key "includ"`,
		"branches: [main]\n":           `t.yaml:2: branches: must be default or a mapping`,
	} {
		_, err := Parse([]byte("sources: [{dir: /tmp}]\n"+in), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func TestGitHubCrawlerSections(t *testing.T) {
	good := `sources: [{dir: /tmp}]
compatibility: github-crawler
groups: [backend]
repository_tasks:
  - {name: nbBranches, type: nbBranchesOnRepo}
  - {name: hits, type: countHitsOnRepoSearch, params: {queryString: "q=metrics"}}
indicators_export:
  elasticsearch: {url: "http://127.0.0.1:9200", index: "technologymap-{yyyy-MM}"}
  http: {url: "http://es:9200/technologymap-{yyyy-MM-dd}/_doc/{id}"}
`
	cfg, err := Parse([]byte(good), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.GitHubCrawler() || cfg.Groups[0] != "backend" || len(cfg.RepositoryTasks) != 2 || cfg.IndicatorsExport.Elasticsearch.Index != "technologymap-{yyyy-MM}" {
		t.Errorf("parsed %+v", cfg)
	}
	for in, want := range map[string]string{
		"compatibility: github\n":                                                      `compatibility: "github" is not known`,
		"repository_tasks: [{name: a, type: nope}]\n":                                  `repository_tasks[0].type: "nope" is not a task type`,
		"repository_tasks: [{name: a, type: countHitsOnRepoSearch}]\n":                 `repository_tasks[0].params: queryString is required`,
		"indicators_export: {elasticsearch: {url: 'http://x', index: 'a-{yyyy-Q}'}}\n": `placeholder {yyyy-Q}`,
		"indicators_export: {http: {url: 'ftp://x/{yyyy}'}}\n":                         `indicators_export.http.url`,
	} {
		_, err := Parse([]byte("sources: [{dir: /tmp}]\n"+in), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func TestExpandDates(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	got := ExpandDates("http://es/technologymap-{yyyy-MM}/_doc/{id}?d={dd}", at.Format, "id")
	if want := "http://es/technologymap-2026-03/_doc/{id}?d=04"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestCompatibilityAcceptsJavaPatterns checks that a lookahead and a
// pattern without a capture group load under compatibility: github-crawler
// (it answers at run time, as github-crawler does) and are errors without.
func TestCompatibilityAcceptsJavaPatterns(t *testing.T) {
	ind := "indicators:\n  Dockerfile:\n    - {name: a, type: findFirstValueWithRegexpCapture, params: {pattern: \"x'([^']+)(?=')\"}}\n" +
		"    - {name: b, type: findFirstValueWithRegexpCapture, params: {pattern: 'FROM \\S+'}}\n"
	if _, err := Parse([]byte("sources: [{dir: /tmp}]\n"+ind), "t.yaml"); err == nil ||
		!strings.Contains(err.Error(), "t.yaml:4: indicators.Dockerfile[0].params.pattern") || !strings.Contains(err.Error(), "t.yaml:5: indicators.Dockerfile[1].params.pattern") {
		t.Errorf("strict: %v", err)
	}
	// The key may come after the indicators.
	if _, err := Parse([]byte("sources: [{dir: /tmp}]\n"+ind+"compatibility: github-crawler\n"), "t.yaml"); err != nil {
		t.Errorf("compatibility: github-crawler: %v", err)
	}
	// A pattern neither engine reads stays an error.
	bad := "compatibility: github-crawler\nindicators:\n  Dockerfile:\n    - {name: a, type: findFirstValueWithRegexpCapture, params: {pattern: '(unclosed'}}\n"
	if _, err := Parse([]byte("sources: [{dir: /tmp}]\n"+bad), "t.yaml"); err == nil {
		t.Error("an unclosed group loaded")
	}
}
