package config

import (
	"strings"
	"testing"
	"time"
)

func TestRulesParse(t *testing.T) {
	const src = `sources:
  - dir: /srv
indicators:
  pom.xml:
    - {name: springBootVersion, type: findDependencyVersionInXml, params: {artifactId: spring-boot-starter-parent}}
rules:
  - id: codeowners
    title: Every repository names its owners
    repos: {include: ['^acme/'], exclude: ['-sandbox$']}
    topics: {exclude: ['^deprecated$']}
    branches: default
    require_file: [CODEOWNERS, .github/CODEOWNERS]
  - id: no-private-keys
    branches: ['main', 'release/**']
    forbid_file: ['**/id_rsa', '**/*.pem']
  - id: log4shell
    severity: error
    forbid_dependency: {name: org.apache.logging.log4j:log4j-core, version: '<2.17.1'}
  - id: no-plain-passwords
    forbid_match: '/password\s*[:=]\s*\S+/ file:\.(properties|ya?ml)$'
  - id: has-license
    require_match: 'file:(^|/)LICENSE'
  - id: boot-3
    indicator: {name: springBootVersion, constraint: '>= 3.2'}
  - id: osv
    forbid_vulnerable: true
  - id: osv-maven
    forbid_vulnerable: {ecosystems: [maven]}
`
	cfg, err := Parse([]byte(src), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Rules) != 8 {
		t.Fatalf("%d rules, want 8", len(cfg.Rules))
	}
	kinds := []string{KindRequireFile, KindForbidFile, KindForbidDependency, KindForbidMatch, KindRequireMatch, KindIndicator, KindForbidVulnerable, KindForbidVulnerable}
	for i, r := range cfg.Rules {
		if r.Kind() != kinds[i] {
			t.Errorf("rule %s kind %q, want %q", r.ID, r.Kind(), kinds[i])
		}
	}
	co := cfg.Rules.Find("codeowners")
	if co.Severity != "warning" || co.Title != "Every repository names its owners" || !co.Branches.Default || co.Line != 7 {
		t.Errorf("codeowners = %+v", co)
	}
	if !co.Repos.Match("acme/api") || co.Repos.Match("acme/x-sandbox") || co.Repos.Match("other/api") {
		t.Error("codeowners repos filter does not filter")
	}
	if !co.Branches.Match("trunk", "trunk") || co.Branches.Match("main", "trunk") {
		t.Error("branches: default does not select the default branch only")
	}
	pk := cfg.Rules.Find("no-private-keys")
	if pk.Title != "no-private-keys" || !pk.Branches.Match("release/1.2", "main") || pk.Branches.Match("feature/x", "main") {
		t.Errorf("no-private-keys = %+v", pk)
	}
	if l := cfg.Rules.Find("log4shell"); l.Severity != "error" || l.ForbidDependency.Version != "<2.17.1" {
		t.Errorf("log4shell = %+v", l)
	}
	if v := cfg.Rules.Find("osv-maven").ForbidVulnerable; len(v.Ecosystems) != 1 || v.Ecosystems[0] != "maven" {
		t.Errorf("osv-maven = %+v", v)
	}
}

func TestRulesErrors(t *testing.T) {
	const src = "sources:\n  - dir: /srv\nrules:\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"not a list", src[:len(src)-1] + " {a: b}\n",
			`trawl.yaml:3: rules: must be a list of rules (id, title, severity, scope and one check), not a mapping`},
		{"bad id", src + "  - id: No_Way\n    forbid_file: [x]\n",
			`trawl.yaml:4: rules[0].id: id "No_Way" must be lower-case letters, digits and '-'`},
		{"missing id", src + "  - forbid_file: [x]\n",
			`trawl.yaml:4: rules[0]: id is required`},
		{"duplicate id", src + "  - id: a\n    forbid_file: [x]\n  - id: a\n    forbid_file: [y]\n",
			`trawl.yaml:6: rules[1]: rule id "a" is already used at line 4`},
		{"no check", src + "  - id: a\n",
			`trawl.yaml:4: rules[0]: rule "a" needs one check: require_file, forbid_file, forbid_dependency, forbid_match, require_match, indicator, forbid_vulnerable`},
		{"two checks", src + "  - id: a\n    forbid_file: [x]\n    require_file: [y]\n",
			`trawl.yaml:6: rules[0].require_file: rule "a" sets forbid_file and require_file: one check per rule`},
		{"unknown key", src + "  - id: a\n    forbid_files: [x]\n",
			`trawl.yaml:5: rules[0]: unknown key "forbid_files"`},
		{"bad severity", src + "  - id: a\n    severity: fatal\n    forbid_file: [x]\n",
			`trawl.yaml:5: rules[0].severity: severity "fatal" is not info, warning or error`},
		{"bad repo regexp", src + "  - id: a\n    repos: {include: ['(']}\n    forbid_file: [x]\n",
			"trawl.yaml:5: rules[0].repos.include[0]: \"(\" is not a valid regular expression: error parsing regexp: missing closing ): `(`"},
		{"bad branches", src + "  - id: a\n    branches: main\n    forbid_file: [x]\n",
			`trawl.yaml:5: rules[0].branches: must be default or a list of branch globs, not "main"`},
		{"bad glob", src + "  - id: a\n    forbid_file: ['[x']\n",
			`trawl.yaml:5: rules[0].forbid_file[0]: "[x" is not a valid glob`},
		{"unknown indicator", src + "  - id: a\n    indicator: {name: nope, constraint: '>=1'}\n",
			`trawl.yaml:5: rules[0].indicator.name: indicator "nope" is not defined in the indicators section`},
		{"dependency unknown key", src + "  - id: a\n    forbid_dependency: {nam: x}\n",
			`trawl.yaml:5: rules[0].forbid_dependency: unknown key "nam"`},
		{"vulnerable false", src + "  - id: a\n    forbid_vulnerable: false\n",
			`trawl.yaml:5: rules[0].forbid_vulnerable: must be true or a mapping with ecosystems, not "false"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "trawl.yaml")
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			if got := strings.TrimSpace(err.Error()); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestComplianceSettings(t *testing.T) {
	const base = "sources:\n  - dir: /srv\n"
	cfg, err := Parse([]byte(base), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Compliance.History != 90*24*time.Hour {
		t.Errorf("default history %v", cfg.Compliance.History)
	}
	cfg, err = Parse([]byte(base+"compliance:\n  history: 48h\n  alerts:\n    - {url: 'http://127.0.0.1:9/hook'}\n    - {url_env: SLACK_URL, format: slack}\n  elasticsearch: {url: 'http://127.0.0.1:9200'}\n"), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Compliance
	if c.History != 48*time.Hour || c.Alerts[0].Format != "generic" || c.Alerts[1].Format != "slack" || c.Elasticsearch.IndexPrefix != "trawl-compliance" {
		t.Errorf("compliance = %+v", c)
	}
	for _, tt := range []struct{ yaml, want string }{
		{"compliance:\n  alerts:\n    - {format: slack}\n", "trawl.yaml:5: compliance.alerts[0]: set exactly one of url or url_env"},
		{"compliance:\n  alerts:\n    - {url: 'ftp://x', format: email}\n", "trawl.yaml:5: compliance.alerts[0].url: must be an http or https URL\ntrawl.yaml:5: compliance.alerts[0].format: \"email\" is not generic, slack or teams"},
		{"compliance:\n  history: 0s\n", "trawl.yaml:4: compliance.history: must be greater than 0"},
		{"compliance:\n  elasticsearch: {url: 'http://x', index_prefix: Bad}\n", `trawl.yaml:4: compliance.elasticsearch.index_prefix: "Bad": want lower-case letters, digits, ., _ and -`},
		{"compliance:\n  retention: 1h\n", `trawl.yaml:4: compliance: unknown key "retention"`},
	} {
		_, err := Parse([]byte(base+tt.yaml), "trawl.yaml")
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q:\n got %v\nwant %s", tt.yaml, err, tt.want)
		}
	}
}
