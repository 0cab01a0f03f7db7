package compliance

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/deps"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indicators"
	"github.com/trawl-dev/trawl/osv"
	"github.com/trawl-dev/trawl/search"
)

// MaxEvidence bounds the evidence kept per (rule, branch): a forbid_match
// on a common word could otherwise store every line of an org. The rest
// is counted in Result.EvidenceOmitted.
const MaxEvidence = 100

// DefaultTimeout bounds one rule's query; a rule that hits it is an error.
const DefaultTimeout = 2 * time.Minute

// Evaluator answers rules from an index.
type Evaluator struct {
	Index      indexer.Index
	Indicators config.Indicators // the indicators section, for indicator rules
	OSV        *osv.DB           // advisories for forbid_vulnerable; nil: none imported
	Timeout    time.Duration     // per rule; default DefaultTimeout
	Now        func() time.Time  // default time.Now
}

// Evaluation is the outcome of one Evaluate call.
type Evaluation struct {
	At      time.Time
	Results []Result // every (rule, branch) in scope, by rule, repo, branch
	// Evaluated counts the (rule, branch) pairs answered anew; the others
	// were reused from the previous results.
	Evaluated int
}

// Evaluate answers rules on every indexed branch in their scope. prev
// holds the previous results (nil: evaluate everything); a previous
// result whose rule fingerprint and branch commit are unchanged is reused
// as is, so after a push only the pushed branches are evaluated.
func (e *Evaluator) Evaluate(ctx context.Context, rules []config.Rule, prev map[Key]Result) (*Evaluation, error) {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	at := now().UTC()
	branches, err := e.Index.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("evaluate rules: read branch states: %w", err)
	}
	sort.Slice(branches, func(i, j int) bool {
		if branches[i].Repo != branches[j].Repo {
			return branches[i].Repo < branches[j].Repo
		}
		return branches[i].Name < branches[j].Name
	})
	digest := ""
	if e.OSV != nil {
		digest = e.OSV.Digest()
	}
	ev := &Evaluation{At: at}
	for i := range rules {
		r := &rules[i]
		fp := Fingerprint(*r, e.Indicators, digest)
		topics := newTopicFilter(r.Topics)
		var todo []indexer.Branch
		for _, b := range branches {
			if !r.Repos.Match(b.Repo) || !topics.match(b.Meta.Topics) || !r.Branches.Match(b.Name, b.Meta.DefaultBranch) {
				continue
			}
			if p, ok := prev[Key{Rule: r.ID, Repo: b.Repo, Branch: b.Name}]; ok && p.Fingerprint == fp && p.Commit == b.Commit && p.Status != Error {
				ev.Results = append(ev.Results, p)
				continue
			}
			todo = append(todo, b)
		}
		if len(todo) == 0 {
			continue
		}
		got, err := e.rule(ctx, r, todo)
		if err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("evaluate rule %s: %w", r.ID, err)
		}
		for _, b := range todo {
			res := Result{Rule: r.ID, Fingerprint: fp, Repo: b.Repo, Branch: b.Name, Commit: b.Commit, Status: Pass, EvaluatedAt: at, Since: at}
			switch o := got[b.Key()]; {
			case err != nil:
				res.Status, res.Error = Error, err.Error()
			case o != nil:
				res.Status = o.status
				res.Evidence = o.evidence
				res.EvidenceOmitted = o.omitted
			}
			if res.Evidence == nil {
				res.Evidence = []Evidence{}
			}
			if p, ok := prev[res.Key()]; ok && !p.Since.IsZero() {
				decided := p.Status
				if decided == Error {
					decided = p.LastDecided
				}
				switch {
				case res.Status == Error:
					// Not an answer: keep what was known and since when.
					res.Since, res.LastDecided = p.Since, decided
				case res.Status == decided:
					res.Since = p.Since
				}
			}
			ev.Results = append(ev.Results, res)
			ev.Evaluated++
		}
	}
	sort.SliceStable(ev.Results, func(i, j int) bool {
		a, b := ev.Results[i], ev.Results[j]
		if a.Rule != b.Rule {
			return ruleIndex(rules, a.Rule) < ruleIndex(rules, b.Rule)
		}
		if a.Repo != b.Repo {
			return a.Repo < b.Repo
		}
		return a.Branch < b.Branch
	})
	return ev, nil
}

func ruleIndex(rules []config.Rule, id string) int {
	return slices.IndexFunc(rules, func(r config.Rule) bool { return r.ID == id })
}

// outcome is what a check found on one branch; a branch with none passes.
type outcome struct {
	status   Status
	evidence []Evidence
	omitted  int
}

func (o *outcome) add(ev Evidence) {
	o.status = Fail
	if len(o.evidence) >= MaxEvidence {
		o.omitted++
		return
	}
	o.evidence = append(o.evidence, ev)
}

type outcomes map[indexer.BranchKey]*outcome

func (os outcomes) fail(k indexer.BranchKey, ev *Evidence) {
	o := os[k]
	if o == nil {
		o = &outcome{status: Fail}
		os[k] = o
	}
	if ev != nil {
		o.add(*ev)
	}
}

// rule evaluates r on branches. An error means the rule could not be
// answered on any of them.
func (e *Evaluator) rule(ctx context.Context, r *config.Rule, branches []indexer.Branch) (outcomes, error) {
	byKey := make(map[indexer.BranchKey]indexer.Branch, len(branches))
	keys := make([]indexer.BranchKey, len(branches))
	for i, b := range branches {
		byKey[b.Key()] = b
		keys[i] = b.Key()
	}
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	switch r.Kind() {
	case config.KindRequireFile, config.KindForbidFile:
		return e.files(ctx, r, byKey, keys)
	case config.KindForbidMatch, config.KindRequireMatch:
		return e.match(ctx, r, byKey, timeout)
	case config.KindForbidDependency:
		return e.dependency(ctx, r, byKey, keys)
	case config.KindIndicator:
		return e.indicator(ctx, r, byKey)
	case config.KindForbidVulnerable:
		return e.vulnerable(ctx, r, byKey, keys)
	}
	return nil, fmt.Errorf("rule %s has no check", r.ID)
}

func (e *Evaluator) files(ctx context.Context, r *config.Rule, byKey map[indexer.BranchKey]indexer.Branch, keys []indexer.BranchKey) (outcomes, error) {
	globs := r.RequireFile
	if globs == nil {
		globs = r.ForbidFile
	}
	var paths []string
	err := e.Index.Paths(ctx, func(p string) error {
		for _, g := range globs {
			if ok, _ := doublestar.Match(g, p); ok {
				paths = append(paths, p)
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list paths: %w", err)
	}
	found := outcomes{}
	if len(paths) > 0 {
		err = e.Index.Locations(ctx, indexer.LocationQuery{Paths: paths, Branches: keys, Skipped: indexer.AnySkipped}, func(l indexer.Location) error {
			b := byKey[indexer.BranchKey{Repo: l.Repo, Name: l.Branch}]
			found.fail(b.Key(), &Evidence{Path: l.Path, URL: b.Meta.Permalink(b.Commit, l.Path, 0)})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list locations: %w", err)
		}
	}
	for _, o := range found {
		sort.Slice(o.evidence, func(i, j int) bool { return o.evidence[i].Path < o.evidence[j].Path })
	}
	if r.ForbidFile != nil {
		return found, nil
	}
	return invert(found, keys), nil
}

// invert turns "found on these branches" into the outcome of a require_
// rule: the branches where nothing was found fail, without evidence.
func invert(found outcomes, keys []indexer.BranchKey) outcomes {
	out := outcomes{}
	for _, k := range keys {
		if found[k] == nil {
			out[k] = &outcome{status: Fail, evidence: []Evidence{}}
		}
	}
	return out
}

// maxRepoFilter bounds the repo: filter added to narrow a query to the
// branches being re-evaluated; past it the whole index is searched and the
// results filtered, which gives the same answer more slowly.
const maxRepoFilter = 2048

func (e *Evaluator) match(ctx context.Context, r *config.Rule, byKey map[indexer.BranchKey]indexer.Branch, timeout time.Duration) (outcomes, error) {
	q := r.ForbidMatch
	if q == "" {
		q = r.RequireMatch
	}
	repos := map[string]bool{}
	for k := range byKey {
		repos[k.Repo] = true
	}
	names := make([]string, 0, len(repos))
	quotable := true
	for name := range repos {
		names = append(names, regexp.QuoteMeta(name))
		quotable = quotable && !strings.ContainsAny(name, `"\\ `)
	}
	sort.Strings(names)
	// Quoted, so that a parenthesis QuoteMeta escapes does not end the
	// word; a quoted value only treats \" and \\ specially.
	joined := strings.Join(names, "|")
	if filter := `repo:"^(` + joined + `)$"`; quotable && len(filter) <= maxRepoFilter {
		q = "(" + q + ") " + filter
	}
	found := outcomes{}
	st, err := search.New(e.Index).Stream(ctx, q, search.Options{Timeout: timeout}, func(f search.File) error {
		for _, br := range f.Branches {
			b, ok := byKey[indexer.BranchKey{Repo: f.Repo, Name: br.Name}]
			if !ok {
				continue
			}
			if len(f.Matches) == 0 {
				found.fail(b.Key(), &Evidence{Path: f.Path, URL: b.Meta.Permalink(b.Commit, f.Path, 0)})
			}
			for _, m := range f.Matches {
				found.fail(b.Key(), &Evidence{Path: f.Path, Line: m.Line, Text: m.Text, URL: b.Meta.Permalink(b.Commit, f.Path, m.Line)})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", q, err)
	}
	if st.LimitHit {
		return nil, fmt.Errorf("query %q did not finish within %s: the answer would be incomplete", r.ForbidMatch+r.RequireMatch, timeout)
	}
	for _, o := range found {
		sort.SliceStable(o.evidence, func(i, j int) bool {
			if o.evidence[i].Path != o.evidence[j].Path {
				return o.evidence[i].Path < o.evidence[j].Path
			}
			return o.evidence[i].Line < o.evidence[j].Line
		})
	}
	if r.ForbidMatch != "" {
		return found, nil
	}
	keys := make([]indexer.BranchKey, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	return invert(found, keys), nil
}

func depText(d indexer.Dependency) string {
	v := d.ResolvedVersion
	if v == "" {
		v = d.Version
	} else if d.Version != "" && d.Version != v {
		v = d.Version + " (" + v + ")"
	}
	return strings.TrimSpace(d.Name + " " + v)
}

func (e *Evaluator) dependency(ctx context.Context, r *config.Rule, byKey map[indexer.BranchKey]indexer.Branch, keys []indexer.BranchKey) (outcomes, error) {
	f, err := deps.ParseTarget(r.ForbidDependency.Name, r.ForbidDependency.Version)
	if err != nil {
		return nil, err
	}
	found := outcomes{}
	q := indexer.DepQuery{Names: f.Names, Ecosystem: f.Ecosystem, Branches: keys}
	err = e.Index.Deps(ctx, q, func(d indexer.Dependency) error {
		if f.Range != nil {
			// As trawl deps --version: a version the range cannot decide
			// (^4.17 without a lockfile) is no evidence.
			if in, known := f.Range.Match(d); !in || !known {
				return nil
			}
		}
		b := byKey[indexer.BranchKey{Repo: d.Repo, Name: d.Branch}]
		found.fail(b.Key(), &Evidence{Path: d.Path, Line: d.Line, Text: depText(d), URL: b.Meta.Permalink(b.Commit, d.Path, d.Line)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read dependencies: %w", err)
	}
	return found, nil
}

func (e *Evaluator) vulnerable(ctx context.Context, r *config.Rule, byKey map[indexer.BranchKey]indexer.Branch, keys []indexer.BranchKey) (outcomes, error) {
	if e.OSV == nil || e.OSV.Len() == 0 {
		return nil, errors.New("no OSV advisories imported (run trawl osv import FILE.zip)")
	}
	ecos := map[string]bool{}
	for _, eco := range r.ForbidVulnerable.Ecosystems {
		ecos[eco] = true
	}
	found := outcomes{}
	err := e.Index.Deps(ctx, indexer.DepQuery{Branches: keys}, func(d indexer.Dependency) error {
		if len(ecos) > 0 && !ecos[d.Ecosystem] {
			return nil
		}
		b := byKey[indexer.BranchKey{Repo: d.Repo, Name: d.Branch}]
		for _, m := range e.OSV.Match(d) {
			found.fail(b.Key(), &Evidence{Path: d.Path, Line: d.Line, Text: depText(d), URL: b.Meta.Permalink(b.Commit, d.Path, d.Line),
				Advisory: m.ID, Summary: m.Summary, Fixed: m.Fixed})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read dependencies: %w", err)
	}
	return found, nil
}

func (e *Evaluator) indicator(ctx context.Context, r *config.Rule, byKey map[indexer.BranchKey]indexer.Branch) (outcomes, error) {
	c := r.Indicator
	eco := ecosystemOr(c.Ecosystem)
	rng, err := deps.ParseRange(eco, c.Constraint)
	if err != nil {
		return nil, err
	}
	// The file that gives the value: the last one defining it wins, as
	// indicators.Compute folds them.
	path := ""
	for _, f := range e.Indicators {
		for _, ind := range f.Indicators {
			if ind.Name == c.Name {
				path = f.Path
			}
		}
	}
	if path == "" {
		return nil, fmt.Errorf("indicator %q is not defined in the indicators section", c.Name)
	}
	docs, err := indicators.Compute(ctx, e.Index, e.Indicators, indicators.Options{})
	if err != nil {
		return nil, fmt.Errorf("compute indicators: %w", err)
	}
	out := outcomes{}
	for k := range byKey {
		out[k] = &outcome{status: NotApplicable}
	}
	for _, d := range docs {
		k := indexer.BranchKey{Repo: d.FullName, Name: d.BranchName}
		b, ok := byKey[k]
		if !ok {
			continue
		}
		v, ok := d.Indicators[c.Name]
		if !ok || v == "not found" || strings.HasPrefix(v, indicators.NotIndexedPrefix) {
			continue // nothing to constrain on this branch
		}
		if rng.Contains(v) {
			out[k] = &outcome{status: Pass}
			continue
		}
		why := "outside " + c.Constraint
		if _, err := deps.ParseRange(eco, "="+v); err != nil {
			why = "not a version, so not " + c.Constraint
		}
		o := &outcome{}
		o.add(Evidence{Path: path, Text: fmt.Sprintf("%s = %s: %s", c.Name, v, why), URL: b.Meta.Permalink(b.Commit, path, 0)})
		out[k] = o
	}
	return out, nil
}

// topicFilter applies a rule's topics filter to a repository's topics:
// one topic must match an include (when there are includes) and none an
// exclude.
type topicFilter struct{ include, exclude []*regexp.Regexp }

// ecosystemOr is an indicator constraint's ecosystem: Maven's version
// ordering unless the rule names another.
func ecosystemOr(eco string) string {
	if eco == "" {
		return "maven"
	}
	return eco
}

func newTopicFilter(f config.Filter) topicFilter {
	var t topicFilter
	for _, p := range f.Include {
		if re, err := regexp.Compile(p); err == nil {
			t.include = append(t.include, re)
		}
	}
	for _, p := range f.Exclude {
		if re, err := regexp.Compile(p); err == nil {
			t.exclude = append(t.exclude, re)
		}
	}
	return t
}

func (t topicFilter) match(topics []string) bool {
	any := func(res []*regexp.Regexp) bool {
		for _, re := range res {
			for _, topic := range topics {
				if re.MatchString(topic) {
					return true
				}
			}
		}
		return false
	}
	return (len(t.include) == 0 || any(t.include)) && !any(t.exclude)
}
