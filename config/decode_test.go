package config

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestDeepMismatch checks that a value of the wrong type deep in the file
// is reported at its own line and key path, as an *Error.
func TestDeepMismatch(t *testing.T) {
	const src = "sources:\n  - dir: /srv\n"
	tests := []struct {
		name, yaml string
		line       int
		path, msg  string
	}{
		{"size given as a list", src + "files: {max_size: [1]}\n",
			3, "files.max_size", "must be a size (examples: 1048576, 512KiB, 1MiB), not a list"},
		{"integer given as a word, three levels down", "sources:\n  - github:\n      org: a\n      concurrency: many\n",
			4, "sources[0].github.concurrency", `"many" is not an integer`},
		{"list item given as a mapping", "sources:\n  - git:\n      urls:\n        - {a: b}\n",
			4, "sources[0].git.urls[0]", "must be a string, not a mapping"},
		{"duration given as a list", src + "limits:\n  max_repo_duration: [1]\n",
			4, "limits.max_repo_duration", "must be a duration (examples: 30s, 15m, 1h30m), not a list"},
		{"indicator with an unknown parser type", src + "indicators:\n  pom.xml:\n    - name: v\n      type: findNothing\n",
			6, "indicators.pom.xml[0].type", `unknown type "findNothing"`},
		{"indicator parser type given as a list", src + "indicators:\n  pom.xml:\n    - name: v\n      type: [a]\n",
			6, "indicators.pom.xml[0].type", "must be a string, not a list"},
		{"bad cron", src + "schedule:\n  cron: '* * *'\n",
			4, "schedule.cron", `"* * *" is not a cron schedule`},
		{"unknown key inside a merged mapping", "sources:\n  - github:\n      <<: {orgg: a}\n      org: b\n",
			3, "sources[0].github", `unknown key "orgg"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "trawl.yaml")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error = %v, want an *Error", err)
			}
			if e.File != "trawl.yaml" || e.Line != tt.line || e.Path != tt.path || !strings.HasPrefix(e.Msg, tt.msg) {
				t.Errorf("first error = %q (line %d, path %q), want line %d, path %q, message starting %q", e.Error(), e.Line, e.Path, tt.line, tt.path, tt.msg)
			}
		})
	}
}

// TestAliasesAndMerges checks that anchors, aliases and merge keys decode
// as yaml.v3 decodes them, and that a mismatch through an alias is still
// reported at the key that uses it.
func TestAliasesAndMerges(t *testing.T) {
	cfg, err := Parse([]byte("sources:\n  - github: &gh {org: acme, concurrency: 2}\n  - github:\n      <<: *gh\n      concurrency: 3\nrepos:\n  include: &inc [api]\n  exclude: *inc\n"), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if g := cfg.Sources[1].GitHub; g.Org != "acme" || g.Concurrency != 3 {
		t.Errorf("merged github = %+v, want org acme and its own concurrency 3", g)
	}
	if got := cfg.Repos.Exclude; len(got) != 1 || got[0] != "api" {
		t.Errorf("aliased exclude = %v, want [api]", got)
	}

	_, err = Parse([]byte("sources:\n  - github: {org: a, include_forks: &y [1]}\n  - github:\n      org: b\n      include_forks: *y\n"), "trawl.yaml")
	want := "trawl.yaml:2: sources[0].github.include_forks: must be true or false, not a list\n" +
		"trawl.yaml:5: sources[1].github.include_forks: must be true or false, not a list"
	if err == nil || err.Error() != want {
		t.Errorf("Parse error:\n got: %v\nwant: %s", err, want)
	}
}

// TestDecodeBudget checks that aliases cannot expand a file past the
// decoder's budget.
func TestDecodeBudget(t *testing.T) {
	src := "sources:\n  - git: &g {urls: [a, b, c, d, e, f, g, h]}\n" + strings.Repeat("  - git: *g\n", 20)
	cfg := defaults()
	idx, doc := indexOf(t, src)
	d := newDecoder("trawl.yaml", idx)
	d.limit, d.budget = 50, 50
	d.decodeRoot(doc, cfg)
	if len(d.errs) != 1 || !strings.Contains(d.errs[0].Msg, "expands to more than") {
		t.Fatalf("errors = %v, want one saying the file expands too far", d.errs)
	}
	d = newDecoder("trawl.yaml", idx)
	d.decodeRoot(doc, cfg)
	if len(d.errs) != 0 || len(cfg.Sources) != 21 {
		t.Fatalf("with the default budget: errors %v, %d sources, want none and 21", d.errs, len(cfg.Sources))
	}
}

func indexOf(t *testing.T, src string) (*nodeIndex, *yaml.Node) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return newNodeIndex(&doc), &doc
}

// TestMergeCycle checks that a merge naming a list that holds itself ends
// with an error instead of running forever.
func TestMergeCycle(t *testing.T) {
	_, err := Parse([]byte("sources:\n  - github:\n      <<: &m [*m]\n      org: a\n"), "trawl.yaml")
	if err == nil || !strings.Contains(err.Error(), "trawl.yaml:3: sources[0].github: the file expands to more than") {
		t.Errorf("Parse error = %v, want one saying the file expands too far", err)
	}
}
