package config

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// CompatGitHubCrawler is the value of compatibility that makes indicator
// values follow Société Générale's github-crawler exactly, quirks included
// (DESIGN.md §4).
const CompatGitHubCrawler = "github-crawler"

// GitHubCrawler reports whether compatibility: github-crawler is set.
func (c *Config) GitHubCrawler() bool { return c.Compatibility == CompatGitHubCrawler }

// RepositoryTask is one of github-crawler's misc-repository-tasks: a value
// computed per repository rather than read from a file, reported in the
// miscTasksResults of the default branch's indicator document.
type RepositoryTask struct {
	Name   string            `yaml:"name"`
	Type   string            `yaml:"type"`
	Params map[string]string `yaml:"params"`
}

// Repository task types, as github-crawler names them.
const (
	TaskNbBranches   = "nbBranchesOnRepo"
	TaskNbOpenPRs    = "nbOpenPRsOnRepo"
	TaskCountHits    = "countHitsOnRepoSearch"
	TaskPathsForHits = "pathsForHitsOnRepoSearch"
	TaskOwnership    = "repositoryOwnershipComputation"
)

// TaskTypes lists the repository task types and their required params.
var TaskTypes = map[string][]string{
	TaskNbBranches:   nil,
	TaskNbOpenPRs:    nil,
	TaskCountHits:    {"queryString"},
	TaskPathsForHits: {"queryString"},
	TaskOwnership:    nil, // optional lastCommits (default 150, as github-crawler)
}

// IndicatorsExport says where trawl serve sends the indicator documents
// after every crawl, and which files trawl indicators --outputs writes.
type IndicatorsExport struct {
	Elasticsearch *ExportES    `yaml:"elasticsearch"`
	HTTP          *ExportHTTP  `yaml:"http"`
	Files         *ExportFiles `yaml:"files"`
	// Retries per send before the run is kept for the next attempt; default 3.
	Retries int `yaml:"retries"`
}

// ExportES indexes the documents with the _bulk API. Index may hold a
// date placeholder in github-crawler's syntax: technologymap-{yyyy-MM}.
type ExportES struct {
	URL         string `yaml:"url"`
	Index       string `yaml:"index"`
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
	APIKeyEnv   string `yaml:"api_key_env"`
}

// ExportHTTP POSTs each document to URL, as github-crawler's HTTP output:
// {yyyy-MM} style placeholders are dates (java.time patterns), {id} is
// the document's id.
type ExportHTTP struct {
	URL string `yaml:"url"`
}

// ExportFiles are github-crawler's file outputs, written into Dir.
type ExportFiles struct {
	Dir                   string   `yaml:"dir,omitempty"`                     // default the configuration's folder
	FilenamePrefix        string   `yaml:"filename_prefix,omitempty"`         // file output: PREFIX_yyyyMMdd_HHmmss.txt
	CIDroidCSV            []string `yaml:"ci_droid_csv,omitempty"`            // indicators of CIdroidReadyContent_*.csv
	CIDroidJSON           []string `yaml:"ci_droid_json,omitempty"`           // indicators of CIdroidReadyContent_*.json
	CIDroidJSONWithTags   bool     `yaml:"ci_droid_json_with_tags,omitempty"` //
	SearchPatternCSV      string   `yaml:"search_pattern_csv,omitempty"`      // pathsForHitsOnRepoSearch task of SearchPatternInCode_*.csv
	RecentRepositoriesCSV bool     `yaml:"recent_repositories_csv,omitempty"` // RecentRepositories_*.csv
}

// placeholder is a github-crawler date placeholder: {yyyy-MM}.
var placeholder = regexp.MustCompile(`\{([^{}]*)\}`)

// checkGitHubCrawler validates the github-crawler compatible sections.
func (c *checker) checkGitHubCrawler(cfg *Config) {
	switch cfg.Compatibility {
	case "", CompatGitHubCrawler:
	default:
		c.errorf("compatibility", "%s is not known (the one value is %s)", show(cfg.Compatibility), CompatGitHubCrawler)
	}
	for i, g := range cfg.Groups {
		if strings.TrimSpace(g) == "" {
			c.errorf(fmt.Sprintf("groups[%d]", i), "is empty")
		}
	}
	c.compileIndicators(cfg)
	names := map[string]bool{}
	for i, t := range cfg.RepositoryTasks {
		path := fmt.Sprintf("repository_tasks[%d]", i)
		if strings.TrimSpace(t.Name) == "" {
			c.errorf(path+".name", "is required")
		} else if names[t.Name] {
			c.errorf(path+".name", "task %s is given twice", show(t.Name))
		}
		names[t.Name] = true
		req, ok := TaskTypes[t.Type]
		if !ok {
			c.errorf(path+".type", "%s is not a task type (one of %s)", show(t.Type), strings.Join(slices.Sorted(maps.Keys(TaskTypes)), ", "))
			continue
		}
		for _, p := range req {
			if strings.TrimSpace(t.Params[p]) == "" {
				c.errorf(path+".params", "%s is required for type %s", p, t.Type)
			}
		}
	}
	x := cfg.IndicatorsExport
	if x == nil {
		return
	}
	if x.Retries < 0 {
		c.errorf("indicators_export.retries", "must not be negative")
	}
	if es := x.Elasticsearch; es != nil {
		if msg := checkHTTPURL(es.URL); msg != "" {
			c.errorf("indicators_export.elasticsearch.url", "%s", msg)
		}
		if es.Index == "" {
			c.errorf("indicators_export.elasticsearch.index", "is required")
		} else if msg := CheckDatePlaceholders(es.Index); msg != "" {
			c.errorf("indicators_export.elasticsearch.index", "%s", msg)
		}
		c.env("indicators_export.elasticsearch.password_env", es.PasswordEnv)
		c.env("indicators_export.elasticsearch.api_key_env", es.APIKeyEnv)
	}
	if h := x.HTTP; h != nil {
		u := placeholder.ReplaceAllString(h.URL, "x")
		if msg := checkHTTPURL(u); msg != "" {
			c.errorf("indicators_export.http.url", "%s", msg)
		} else if msg := CheckDatePlaceholders(strings.ReplaceAll(h.URL, "{id}", "")); msg != "" {
			c.errorf("indicators_export.http.url", "%s", msg)
		}
	}
}

// CheckDatePlaceholders returns what is wrong with the {pattern} date
// placeholders of s, or "".
func CheckDatePlaceholders(s string) string {
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		if _, err := JavaDateLayout(m[1]); err != nil {
			return fmt.Sprintf("placeholder {%s}: %v", m[1], err)
		}
	}
	return ""
}

// ExpandDates replaces each {pattern} of s, a java.time DateTimeFormatter
// pattern as github-crawler's HTTP output reads it (technologymap-{yyyy-MM}),
// by format's rendering of the date; keep names placeholders left alone.
func ExpandDates(s string, format func(layout string) string, keep ...string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		inner := m[1 : len(m)-1]
		for _, k := range keep {
			if inner == k {
				return m
			}
		}
		layout, err := JavaDateLayout(inner)
		if err != nil {
			return m
		}
		return format(layout)
	})
}

// JavaDateLayout turns the subset of java.time patterns that makes sense in
// an index name or a URL (y, M, d, H, m, s and literal separators) into a
// Go time layout.
func JavaDateLayout(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("empty date pattern")
	}
	var b strings.Builder
	for i := 0; i < len(p); {
		j := i
		for j < len(p) && p[j] == p[i] {
			j++
		}
		run := p[i:j]
		switch {
		case run == "yyyy" || run == "uuuu":
			b.WriteString("2006")
		case run == "yy" || run == "uu":
			b.WriteString("06")
		case run == "MM":
			b.WriteString("01")
		case run == "dd":
			b.WriteString("02")
		case run == "HH":
			b.WriteString("15")
		case run == "mm":
			b.WriteString("04")
		case run == "ss":
			b.WriteString("05")
		case strings.Trim(run, "-_.") == "":
			b.WriteString(run)
		default:
			return "", fmt.Errorf("%q is not a supported date field (yyyy, yy, MM, dd, HH, mm, ss and - _ . between them)", run)
		}
		i = j
	}
	return b.String(), nil
}

// decodeNode reads branches: either the mapping of include and exclude
// globs, or the word default: each repository's default branch only, as
// github-crawler crawls unless crawlAllBranches is set.
func (g *Globs) decodeNode(d *decoder, path string, n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		if n.Value != "default" {
			d.at(n, "%s is neither default nor a mapping of include and exclude globs", show(n.Value))
			return
		}
		*g = Globs{Include: []string{"**"}, Default: true}
		return
	}
	if n.Kind != yaml.MappingNode {
		d.at(n, "must be default or a mapping of include and exclude globs, not %s", kindName(n))
		return
	}
	if !d.uniqueKeys(path, n) {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "include":
			d.decode(joinKey(path, k.Value), v, reflect.ValueOf(&g.Include).Elem())
		case "exclude":
			d.decode(joinKey(path, k.Value), v, reflect.ValueOf(&g.Exclude).Elem())
		default:
			d.unknownKey(k)
		}
	}
	g.Default = false
}
