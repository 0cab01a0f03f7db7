package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"
)

// Rules is the rules section (DESIGN.md §8): questions asked of every
// branch in their scope, answered pass or fail with evidence by trawl
// check and trawl serve.
type Rules []Rule

// Severities in increasing order.
var Severities = []string{"info", "warning", "error"}

// SeverityRank orders severities: info 0, warning 1, error 2; -1 for
// anything else.
func SeverityRank(s string) int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return -1
}

// Rule is one compliance rule. Exactly one of the check fields is set.
//
// Parse checks a rule's structure; what its check holds in another
// package's language (a query, a dependency name, a version range) is
// parsed by compliance.Validate, which reports a problem at the value's Pos
// as Parse would.
type Rule struct {
	ID       string
	Title    string
	Severity string // info, warning (default) or error

	// Scope. Empty filters accept everything.
	Repos    Filter // RE2 on full names
	Topics   Filter // a repository passes when one topic matches an include (or Include is empty) and none an exclude
	Branches RuleBranches

	RequireFile      []string         // doublestar globs: passes when one matches a path
	ForbidFile       []string         // doublestar globs: fails when one matches a path
	ForbidDependency *DependencyCheck // fails when a dependency record matches
	ForbidMatch      string           // a trawl query: fails where it matches
	RequireMatch     string           // a trawl query: fails where it matches nothing
	Indicator        *IndicatorCheck  // fails where the indicator's value is outside the constraint
	ForbidVulnerable *VulnerableCheck // fails where a dependency has an OSV advisory

	Line     int // where the rule starts in the file
	CheckPos Pos `json:"-"` // where the check's value is (the query, the forbid_dependency mapping)
}

// RuleBranches is a rule's branch scope: each repository's default branch,
// or the branches whose names match Globs (every indexed branch when both
// are empty).
type RuleBranches struct {
	Default bool
	Globs   []string
}

// Match reports whether branch of a repository whose default branch is
// defaultBranch is in scope.
func (b RuleBranches) Match(branch, defaultBranch string) bool {
	if b.Default {
		return branch == defaultBranch
	}
	return len(b.Globs) == 0 || anyGlob(b.Globs, branch)
}

// DependencyCheck names a dependency as trawl deps does: a name in its
// ecosystem's habit or a purl, and an optional version range.
type DependencyCheck struct {
	Name    string
	Version string

	VersionPos Pos `json:"-"` // where Version is; zero when the file gives none
}

// IndicatorCheck constrains the value of an indicator of the indicators
// section, compared as versions (deps.ParseRange, Maven ordering unless
// Ecosystem says otherwise).
type IndicatorCheck struct {
	Name       string
	Constraint string
	Ecosystem  string

	ConstraintPos Pos `json:"-"`
}

// VulnerableCheck selects the OSV advisories that fail a branch.
type VulnerableCheck struct {
	Ecosystems []string // purl types (maven, npm...); empty: every ecosystem
}

// Rule kinds, as Kind returns them.
const (
	KindRequireFile      = "require_file"
	KindForbidFile       = "forbid_file"
	KindForbidDependency = "forbid_dependency"
	KindForbidMatch      = "forbid_match"
	KindRequireMatch     = "require_match"
	KindIndicator        = "indicator"
	KindForbidVulnerable = "forbid_vulnerable"
)

var ruleKinds = []string{KindRequireFile, KindForbidFile, KindForbidDependency, KindForbidMatch, KindRequireMatch, KindIndicator, KindForbidVulnerable}

// Kind returns which check the rule makes.
func (r *Rule) Kind() string {
	switch {
	case r.RequireFile != nil:
		return KindRequireFile
	case r.ForbidFile != nil:
		return KindForbidFile
	case r.ForbidDependency != nil:
		return KindForbidDependency
	case r.ForbidMatch != "":
		return KindForbidMatch
	case r.RequireMatch != "":
		return KindRequireMatch
	case r.Indicator != nil:
		return KindIndicator
	case r.ForbidVulnerable != nil:
		return KindForbidVulnerable
	}
	return ""
}

// Find returns the rule with id, or nil.
func (rs Rules) Find(id string) *Rule {
	for i := range rs {
		if rs[i].ID == id {
			return &rs[i]
		}
	}
	return nil
}

var ruleID = regexp.MustCompile(`^[a-z0-9-]+$`)

// ruleDecoder reports each problem of the rules section at its node.
type ruleDecoder struct{ *decoder }

func (d ruleDecoder) unknown(k *yaml.Node, _ string) { d.unknownKey(k) }

// decodeNode decodes and checks the section.
func (rs *Rules) decodeNode(dec *decoder, _ string, n *yaml.Node) {
	d := ruleDecoder{dec}
	if n.Kind != yaml.SequenceNode {
		d.at(n, "must be a list of rules (id, title, severity, scope and one check), not %s", kindName(n))
		return
	}
	*rs = Rules{}
	seen := map[string]int{}
	for _, item := range n.Content {
		r, ok := d.rule(item)
		if !ok {
			continue
		}
		if line, dup := seen[r.ID]; dup {
			d.at(item, "rule id %q is already used at line %d", r.ID, line)
			continue
		}
		seen[r.ID] = r.Line
		*rs = append(*rs, r)
	}
}

func (d ruleDecoder) str(v *yaml.Node) (string, bool) {
	if v.Kind != yaml.ScalarNode {
		d.at(v, "must be a string, not %s", kindName(v))
		return "", false
	}
	return v.Value, true
}

func (d ruleDecoder) strs(v *yaml.Node) ([]string, bool) {
	if v.Kind == yaml.ScalarNode && v.Value != "" {
		return []string{v.Value}, true
	}
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		d.at(v, "must be a non-empty list of strings")
		return nil, false
	}
	out := make([]string, 0, len(v.Content))
	ok := true
	for _, e := range v.Content {
		s, good := d.str(e)
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

func (d ruleDecoder) globs(v *yaml.Node) ([]string, bool) {
	gs, ok := d.strs(v)
	if !ok {
		return nil, false
	}
	for i, g := range gs {
		if !doublestar.ValidatePattern(g) {
			d.at(v.Content[min(i, len(v.Content)-1)], "%q is not a valid glob", g)
			ok = false
		}
	}
	return gs, ok
}

// mapping calls fn for each key of v, which must be a mapping.
func (d ruleDecoder) mapping(v *yaml.Node, what string, fn func(k, v *yaml.Node) bool) bool {
	if v.Kind != yaml.MappingNode {
		d.at(v, "must be a mapping (%s), not %s", what, kindName(v))
		return false
	}
	ok := true
	for i := 0; i+1 < len(v.Content); i += 2 {
		if !fn(v.Content[i], v.Content[i+1]) {
			ok = false
		}
	}
	return ok
}

func (d ruleDecoder) filter(v *yaml.Node, f *Filter) bool {
	ok := d.mapping(v, "include and exclude lists of regular expressions", func(k, v *yaml.Node) bool {
		var dst *[]string
		switch k.Value {
		case "include":
			dst = &f.Include
		case "exclude":
			dst = &f.Exclude
		default:
			d.unknown(k, "Filter")
			return false
		}
		list, ok := d.strs(v)
		if !ok {
			return false
		}
		for i, p := range list {
			if _, err := regexp.Compile(p); err != nil {
				d.at(v.Content[min(i, len(v.Content)-1)], "%q is not a valid regular expression: %v", p, err)
				ok = false
			}
		}
		*dst = list
		return ok
	})
	if ok {
		ok = f.Compile() == nil
	}
	return ok
}

func (d ruleDecoder) query(v *yaml.Node) (string, bool) {
	q, ok := d.str(v)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(q) == "" {
		d.at(v, "the query is empty")
		return "", false
	}
	return q, true
}

func (d ruleDecoder) rule(item *yaml.Node) (Rule, bool) {
	r := Rule{Severity: "warning", Line: item.Line}
	if item.Kind != yaml.MappingNode {
		d.at(item, "must be a mapping with id, title, severity, scope and one check, not %s", kindName(item))
		return r, false
	}
	ok := true
	var kinds []*yaml.Node // key, value, key, value...
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i], item.Content[i+1]
		good := true
		switch k.Value {
		case "id":
			if r.ID, good = d.str(v); good && !ruleID.MatchString(r.ID) {
				d.at(v, "id %q must be lower-case letters, digits and '-'", r.ID)
				good = false
			}
		case "title":
			r.Title, good = d.str(v)
		case "severity":
			if r.Severity, good = d.str(v); good && SeverityRank(r.Severity) < 0 {
				d.at(v, "severity %q is not info, warning or error", r.Severity)
				good = false
			}
		case "repos":
			good = d.filter(v, &r.Repos)
		case "topics":
			good = d.filter(v, &r.Topics)
		case "branches":
			if v.Kind == yaml.ScalarNode && v.Value == "default" {
				r.Branches.Default = true
			} else if v.Kind == yaml.ScalarNode {
				d.at(v, "must be default or a list of branch globs, not %q", v.Value)
				good = false
			} else {
				r.Branches.Globs, good = d.globs(v)
			}
		case KindRequireFile:
			r.RequireFile, good = d.globs(v)
			kinds = append(kinds, k, v)
		case KindForbidFile:
			r.ForbidFile, good = d.globs(v)
			kinds = append(kinds, k, v)
		case KindForbidMatch:
			r.ForbidMatch, good = d.query(v)
			kinds = append(kinds, k, v)
		case KindRequireMatch:
			r.RequireMatch, good = d.query(v)
			kinds = append(kinds, k, v)
		case KindForbidDependency:
			r.ForbidDependency, good = d.dependency(v)
			kinds = append(kinds, k, v)
		case KindIndicator:
			r.Indicator, good = d.indicator(v)
			kinds = append(kinds, k, v)
		case KindForbidVulnerable:
			r.ForbidVulnerable, good = d.vulnerable(v)
			kinds = append(kinds, k, v)
		default:
			d.unknown(k, "Rule")
			good = false
		}
		ok = ok && good
	}
	if r.ID == "" && ok {
		d.at(item, "id is required")
		ok = false
	}
	switch {
	case len(kinds) == 0 && ok:
		d.at(item, "rule %q needs one check: %s", r.ID, strings.Join(ruleKinds, ", "))
		ok = false
	case len(kinds) > 2:
		// kinds holds key and value nodes; errors point at values.
		d.at(kinds[3], "rule %q sets %s and %s: one check per rule", r.ID, kinds[0].Value, kinds[2].Value)
		ok = false
	}
	if len(kinds) > 0 {
		r.CheckPos = d.idx.pos(d.file, kinds[1])
	}
	if r.Title == "" {
		r.Title = r.ID
	}
	return r, ok
}

func (d ruleDecoder) dependency(v *yaml.Node) (*DependencyCheck, bool) {
	c := &DependencyCheck{}
	ok := d.mapping(v, "name and an optional version range", func(k, v *yaml.Node) bool {
		var good bool
		switch k.Value {
		case "name":
			c.Name, good = d.str(v)
		case "version":
			c.Version, good = d.str(v)
			c.VersionPos = d.idx.pos(d.file, v)
		default:
			d.unknown(k, "DependencyCheck")
		}
		return good
	})
	if !ok {
		return nil, false
	}
	if c.Name == "" {
		d.at(v, "name is required (groupId:artifactId, @scope/name, a module path or a purl)")
		return nil, false
	}
	return c, true
}

func (d ruleDecoder) indicator(v *yaml.Node) (*IndicatorCheck, bool) {
	c := &IndicatorCheck{}
	ok := d.mapping(v, "name and constraint", func(k, v *yaml.Node) bool {
		var good bool
		switch k.Value {
		case "name":
			c.Name, good = d.str(v)
		case "constraint":
			c.Constraint, good = d.str(v)
			c.ConstraintPos = d.idx.pos(d.file, v)
		case "ecosystem":
			c.Ecosystem, good = d.str(v)
		default:
			d.unknown(k, "IndicatorCheck")
		}
		return good
	})
	if !ok {
		return nil, false
	}
	if c.Name == "" || c.Constraint == "" {
		d.at(v, "name and constraint are required (example: {name: springBootVersion, constraint: '>= 3.2'})")
		return nil, false
	}
	return c, true
}

func (d ruleDecoder) vulnerable(v *yaml.Node) (*VulnerableCheck, bool) {
	c := &VulnerableCheck{}
	if v.Kind == yaml.ScalarNode {
		if v.Value != "true" {
			d.at(v, "must be true or a mapping with ecosystems, not %q", v.Value)
			return nil, false
		}
		return c, true
	}
	ok := d.mapping(v, "ecosystems", func(k, v *yaml.Node) bool {
		if k.Value != "ecosystems" {
			d.unknown(k, "VulnerableCheck")
			return false
		}
		var good bool
		c.Ecosystems, good = d.strs(v)
		return good
	})
	return c, ok
}

// rules checks what needs the rest of the file (an indicator rule names
// an indicator of the indicators section) and the compliance section.
func (c *checker) rules(cfg *Config) {
	c.complianceSettings(&cfg.Compliance)
	for i, r := range cfg.Rules {
		if r.Indicator == nil {
			continue
		}
		found := false
		for _, f := range cfg.Indicators {
			for _, ind := range f.Indicators {
				found = found || ind.Name == r.Indicator.Name
			}
		}
		if !found {
			c.errorf(fmt.Sprintf("rules[%d].indicator.name", i), "indicator %q is not defined in the indicators section", r.Indicator.Name)
		}
	}
}

// ComplianceSettings is the compliance section: how trawl serve keeps and
// reports what the rules find.
//
//	compliance:
//	  history: 2160h                 # keep per-rule counts this long (default 90 days)
//	  timeout: 2m                    # per rule query
//	  alerts:                        # POSTed when a rule newly fails or recovers on a branch
//	    - url_env: SLACK_WEBHOOK_URL # the URL is a secret for Slack and Teams: name its variable
//	      format: slack              # generic (default), slack or teams
//	  elasticsearch:                 # one document per (rule, repo, branch) after each evaluation
//	    url: http://127.0.0.1:9200
//	    index_prefix: trawl-compliance   # documents go to PREFIX-YYYY.MM.DD
type ComplianceSettings struct {
	History       time.Duration     `yaml:"history"`
	Timeout       time.Duration     `yaml:"timeout"`
	Alerts        []Alert           `yaml:"alerts"`
	Elasticsearch ComplianceElastic `yaml:"elasticsearch"`
}

// Alert is one webhook receiving compliance transitions.
type Alert struct {
	URL    string `yaml:"url"`     // when the URL holds no secret
	URLEnv string `yaml:"url_env"` // environment variable holding the URL
	Format string `yaml:"format"`  // generic, slack or teams
}

// ComplianceElastic says where compliance documents are exported.
type ComplianceElastic struct {
	URL         string `yaml:"url"`
	IndexPrefix string `yaml:"index_prefix"`
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
	APIKeyEnv   string `yaml:"api_key_env"`
}

// AlertFormats are the accepted alert formats.
var AlertFormats = []string{"generic", "slack", "teams"}

var esIndexName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

func (c *checker) complianceSettings(s *ComplianceSettings) {
	const p = "compliance"
	if !c.idx.has(p + ".history") {
		s.History = 90 * 24 * time.Hour
	} else if s.History <= 0 {
		c.errorf(p+".history", "must be greater than 0")
	}
	if s.Timeout < 0 {
		c.errorf(p+".timeout", "must not be negative")
	}
	for i := range s.Alerts {
		a := &s.Alerts[i]
		ap := fmt.Sprintf("%s.alerts[%d]", p, i)
		if (a.URL == "") == (a.URLEnv == "") {
			c.errorf(ap, "set exactly one of url or url_env")
		}
		if a.URL != "" {
			if msg := checkHTTPURL(a.URL); msg != "" {
				c.errorf(ap+".url", "%s", msg)
			}
		}
		c.env(ap+".url_env", a.URLEnv)
		if a.Format == "" {
			a.Format = "generic"
		} else if !slices.Contains(AlertFormats, a.Format) {
			c.errorf(ap+".format", "%q is not generic, slack or teams", a.Format)
		}
	}
	es := &s.Elasticsearch
	if es.URL != "" {
		if msg := checkHTTPURL(es.URL); msg != "" {
			c.errorf(p+".elasticsearch.url", "%s", msg)
		}
		if es.IndexPrefix == "" {
			es.IndexPrefix = "trawl-compliance"
		} else if !esIndexName.MatchString(es.IndexPrefix) {
			c.errorf(p+".elasticsearch.index_prefix", "%q: want lower-case letters, digits, ., _ and -", es.IndexPrefix)
		}
		c.env(p+".elasticsearch.password_env", es.PasswordEnv)
		c.env(p+".elasticsearch.api_key_env", es.APIKeyEnv)
	}
}
