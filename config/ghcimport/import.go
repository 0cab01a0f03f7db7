// Package ghcimport turns a Société Générale github-crawler application.yml
// into an equivalent trawl.yaml, with a report that says, for every key of
// the input, what it became, or names the key and its line when trawl has
// no equivalent. Nothing is dropped silently.
//
// github-crawler is a Spring Boot application, so its file follows Spring's
// rules, which the import applies: dotted keys (gitHub.url) and nested keys
// are the same, relaxed names (crawl-in-parallel, crawlInParallel) are the
// same, and documents separated by --- that name spring.profiles apply only
// when that profile is active; the active profiles become the documents'
// groups. Both layouts are read: the 1.x one with keys at the top level,
// and the 2.x one under crawler: with crawler.source-control.
package ghcimport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trawl-dev/trawl/config"
)

// Options tune an import.
type Options struct {
	// Profiles are the active Spring profiles. Empty: spring.profiles.active
	// of the file, else the NAME of a file called application-NAME.yml.
	Profiles []string
	// File is the input's name, for messages and the profile of
	// application-NAME.yml.
	File string
}

// Status of one key of the input.
const (
	Mapped   = "mapped"
	Unmapped = "unmapped" // trawl has no equivalent: the key is named with its line
	Inactive = "inactive" // in a document of a profile that is not active
)

// Entry is what became of one key of the input.
type Entry struct {
	Key    string `json:"key"` // as written, dotted from the document's root
	Line   int    `json:"line"`
	Status string `json:"status"`
	How    string `json:"how"`
}

// Result is an import: the trawl.yaml and the report.
type Result struct {
	Config   []byte   `json:"-"`
	Profiles []string `json:"profiles"`
	Entries  []Entry  `json:"entries"`
}

// Warnings returns the entries that were not mapped.
func (r *Result) Warnings() []Entry {
	var out []Entry
	for _, e := range r.Entries {
		if e.Status != Mapped {
			out = append(out, e)
		}
	}
	return out
}

// Error is an input the import refuses: a construct trawl cannot express
// the same way, named with its key and line.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
}

// prop is one leaf of the merged property tree.
type prop struct {
	key  string // as written
	line int
	node *yaml.Node
	doc  int
}

// opaque are the keys whose value is read whole rather than flattened:
// their own keys are file paths, indicator names or task parameters.
var opaque = map[string]bool{
	"indicatorstofetchbyfile": true,
	"miscrepositorytasks":     true,
	"searchesperrepo":         true,
}

// maxDocs bounds the documents of one file: a real application.yml has a
// handful; the bound keeps a hostile input from costing much.
const maxDocs = 256

// Import reads a github-crawler configuration and returns the equivalent
// trawl.yaml and the report, or an *Error naming what cannot be expressed.
func Import(data []byte, opts Options) (*Result, error) {
	file := opts.File
	if file == "" {
		file = "application.yml"
	}
	docs, err := decodeDocs(data, file)
	if err != nil {
		return nil, err
	}
	flats, active, err := flattenDocs(docs, file)
	if err != nil {
		return nil, err
	}
	profiles := activeProfiles(opts.Profiles, active, file)
	r := &Result{Profiles: profiles}
	merged, order := merge(flats, profiles, r)

	b := &builder{file: file, r: r, groups: profiles}
	for _, k := range order {
		if err := b.take(k, merged[k]); err != nil {
			return nil, err
		}
	}
	out, err := b.emit()
	if err != nil {
		return nil, err
	}
	r.Config = out
	slices.SortStableFunc(r.Entries, func(a, b Entry) int { return a.Line - b.Line })
	return r, nil
}

// decodeDocs reads the YAML documents of data, at most maxDocs of them.
func decodeDocs(data []byte, file string) ([]*yaml.Node, error) {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(docs) == maxDocs {
			return nil, fmt.Errorf("%s: more than %d YAML documents", file, maxDocs)
		}
		docs = append(docs, &n)
	}
}

// flatDoc is one document of the input, flattened.
type flatDoc struct {
	props   []prop
	profile []string // spring.profiles: the document applies only to these
	line    int
}

// flattenDocs flattens every non-empty document and finds its profile,
// and returns with them the profiles the documents name active.
func flattenDocs(docs []*yaml.Node, file string) (flats []flatDoc, active []string, err error) {
	for i, d := range docs {
		if d.Kind != yaml.DocumentNode || len(d.Content) == 0 {
			continue
		}
		root := d.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue
		}
		if root.Kind != yaml.MappingNode {
			return nil, nil, &Error{File: file, Line: root.Line, Key: "(document)", Msg: "must be a mapping of keys"}
		}
		fd := flatDoc{line: root.Line}
		if err := flatten(root, "", "", i, &fd.props, 0); err != nil {
			return nil, nil, &Error{File: file, Line: root.Line, Key: "(document)", Msg: err.Error()}
		}
		for _, p := range fd.props {
			switch norm(p.key) {
			case "spring.profiles", "spring.config.activate.onprofile":
				fd.profile = splitList(p.node)
			case "spring.profiles.active":
				active = append(active, splitList(p.node)...)
			}
		}
		flats = append(flats, fd)
	}
	return flats, active, nil
}

// activeProfiles are the profiles asked for, else those the file names
// active, else the NAME of a file called application-NAME.yml.
func activeProfiles(asked, active []string, file string) []string {
	if len(asked) > 0 {
		return asked
	}
	if len(active) > 0 {
		return active
	}
	if m := appProfile.FindStringSubmatch(filepath.Base(file)); m != nil {
		return []string{m[1]}
	}
	return nil
}

// merge overrides, key by key, earlier documents with later ones, as Spring
// does (a list replaces a list), and skips the documents of inactive
// profiles. It returns the merged properties by canonical key, the keys in
// the order first seen, and reports the overridden and inactive keys in r.
func merge(flats []flatDoc, profiles []string, r *Result) (map[string]prop, []string) {
	merged := map[string]prop{}
	var order []string
	for _, fd := range flats {
		if !fd.applies(profiles) {
			for _, p := range fd.props {
				r.Entries = append(r.Entries, Entry{Key: p.key, Line: p.line, Status: Inactive,
					How: fmt.Sprintf("in the document of profile %s (line %d), which is not active: import with --profile %s to use it", strings.Join(fd.profile, ","), fd.line, fd.profile[0])})
			}
			continue
		}
		for _, p := range fd.props {
			k := canonical(p.key)
			if prev, ok := merged[k]; ok {
				r.Entries = append(r.Entries, Entry{Key: prev.key, Line: prev.line, Status: Mapped, How: fmt.Sprintf("overridden by line %d", p.line)})
			} else {
				order = append(order, k)
			}
			merged[k] = p
		}
	}
	return merged, order
}

// applies reports whether the document is on with these profiles active:
// it names no profile, or one of them (or !one not among them).
func (fd flatDoc) applies(profiles []string) bool {
	on := len(fd.profile) == 0
	for _, p := range fd.profile {
		if slices.Contains(profiles, strings.TrimPrefix(p, "!")) != strings.HasPrefix(p, "!") {
			on = true
		}
	}
	return on
}

var appProfile = regexp.MustCompile(`^application-([A-Za-z0-9_.-]+)\.ya?ml$`)

// flatten appends the leaves of n below prefix (as written) to out.
func flatten(n *yaml.Node, prefix, nprefix string, doc int, out *[]prop, depth int) error {
	if depth > 32 {
		return errors.New("nested more than 32 levels deep")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: a key must be a string", k.Line)
		}
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		nkey := canonical(key)
		if v.Kind == yaml.AliasNode {
			// Followed, aliases can multiply a small file into a huge one
			// ("billion laughs"); Spring configurations do not need them.
			return fmt.Errorf("line %d: %s: YAML aliases (*name) are not read; write the value out", v.Line, key)
		}
		if v.Kind == yaml.MappingNode && !opaque[lastSeg(nkey)] {
			if err := flatten(v, key, nkey, doc, out, depth+1); err != nil {
				return err
			}
			continue
		}
		*out = append(*out, prop{key: key, line: k.Line, node: v, doc: doc})
	}
	return nil
}

// norm folds a key path as Spring's relaxed binding does: case, '-' and
// '_' do not count; [bracketed] parts are kept as written.
func norm(key string) string {
	var b strings.Builder
	in := false
	for _, r := range key {
		switch {
		case r == '[':
			in = true
			b.WriteRune(r)
		case r == ']':
			in = false
			b.WriteRune(r)
		case in:
			b.WriteRune(r)
		case r == '-' || r == '_':
		default:
			b.WriteString(strings.ToLower(string(r)))
		}
	}
	return b.String()
}

// canonical is norm without the 2.x crawler. prefix, so that both layouts
// read alike.
func canonical(key string) string {
	k := norm(key)
	for _, p := range []string{"crawler.", "githubcrawler."} {
		if strings.HasPrefix(k, p) {
			return k[len(p):]
		}
	}
	return k
}

func lastSeg(k string) string {
	if i := strings.LastIndex(k, "."); i >= 0 {
		return k[i+1:]
	}
	return k
}

// splitList reads a comma-separated string or a list of strings.
func splitList(n *yaml.Node) []string {
	var out []string
	add := func(s string) {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		add(n.Value)
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind == yaml.ScalarNode {
				add(c.Value)
			}
		}
	}
	return out
}

// builder accumulates trawl.yaml's sections from the merged properties.
type builder struct {
	file   string
	r      *Result
	groups []string

	sourceType               string
	url, org                 string
	users, serial            bool
	tokenKey                 string
	crawlAll                 bool
	excludes, includes       []string
	excludeLine, includeLine int
	excludeKey, includeKey   string
	indicators               *yaml.Node
	tasks                    []config.RepositoryTask
	httpURL                  string
	files                    config.ExportFiles
	haveFiles                bool
	publishExcluded          bool
}

func (b *builder) mapped(p prop, how string, args ...any) {
	b.r.Entries = append(b.r.Entries, Entry{Key: p.key, Line: p.line, Status: Mapped, How: fmt.Sprintf(how, args...)})
}

func (b *builder) unmapped(p prop, how string, args ...any) {
	b.r.Entries = append(b.r.Entries, Entry{Key: p.key, Line: p.line, Status: Unmapped, How: fmt.Sprintf(how, args...)})
}

func (b *builder) refuse(p prop, format string, args ...any) error {
	return &Error{File: b.file, Line: p.line, Key: p.key, Msg: fmt.Sprintf(format, args...)}
}

func scalar(p prop) (string, bool) {
	if p.node.Kind != yaml.ScalarNode {
		return "", false
	}
	return p.node.Value, true
}

func boolean(p prop) (bool, bool) {
	s, ok := scalar(p)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func (b *builder) strings(p prop) ([]string, error) {
	switch p.node.Kind {
	case yaml.SequenceNode:
		var out []string
		for _, c := range p.node.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, b.refuse(p, "line %d: each item must be a string", c.Line)
			}
			out = append(out, c.Value)
		}
		return out, nil
	case yaml.ScalarNode:
		// Spring reads a comma-separated string as a list.
		return splitList(p.node), nil
	}
	return nil, b.refuse(p, "must be a list of strings")
}

// str reads p as a string.
func (b *builder) str(p prop) (string, error) {
	s, ok := scalar(p)
	if !ok {
		return "", b.refuse(p, "must be a string")
	}
	return s, nil
}

// flag reads p as true or false.
func (b *builder) flag(p prop) (bool, error) {
	v, ok := boolean(p)
	if !ok {
		return false, b.refuse(p, "must be true or false")
	}
	return v, nil
}

// take maps one merged property. Each group of keys has its step, which
// reports whether the key was one of its own.
func (b *builder) take(k string, p prop) error {
	// Spring's indexed list keys (repositoriesToExclude[0]) are list items.
	base := k
	if i := strings.IndexByte(k, '['); i > 0 && !strings.HasPrefix(lastSeg(k), "[") {
		base = k[:i]
	}
	switch base {
	case "spring.profiles", "spring.config.activate.onprofile", "spring.profiles.active":
		b.mapped(p, "Spring profiles: the active ones (%s) became groups", strings.Join(b.groups, ", "))
		return nil
	}
	for _, step := range []func(string, prop) (bool, error){
		b.takeSource,
		b.takeRepos,
		b.takeIndicators,
		b.takeOutput,
	} {
		if mine, err := step(base, p); mine || err != nil {
			return err
		}
	}
	b.takeOther(base, p)
	return nil
}

// takeSource maps the keys of the source control: the GitHub source and
// how it is crawled.
func (b *builder) takeSource(base string, p prop) (bool, error) {
	var err error
	switch base {
	case "sourcecontrol.type":
		s, err := b.str(p)
		if err != nil {
			return true, err
		}
		b.sourceType = strings.ToUpper(s)
		if b.sourceType == "GITHUB" {
			b.mapped(p, "a github source")
		} else {
			b.unmapped(p, "source control %s: this import writes GitHub sources only; add the source to trawl.yaml by hand (see DESIGN.md §4)", s)
		}
	case "sourcecontrol.url", "github.url":
		if b.url, err = b.str(p); err != nil {
			return true, err
		}
		b.mapped(p, "sources[0].github.api_url")
	case "sourcecontrol.organizationname", "organizationname":
		if b.org, err = b.str(p); err != nil {
			return true, err
		}
		b.mapped(p, "sources[0].github.org (or user, with crawlUsersRepoInsteadOfOrgasRepos)")
	case "sourcecontrol.crawlusersrepoinsteadoforgasrepos", "crawlusersrepoinsteadoforgasrepos":
		if b.users, err = b.flag(p); err != nil {
			return true, err
		}
		b.mapped(p, "sources[0].github.user instead of org when true")
	case "sourcecontrol.apitoken", "github.oauthtoken", "sourcecontrol.oauthtoken":
		b.tokenKey = p.key
		b.mapped(p, "not copied: trawl.yaml never holds a token; sources[0].github.token_env names GITHUB_TOKEN, export the token there")
	case "crawlinparallel":
		v, err := b.flag(p)
		if err != nil {
			return true, err
		}
		b.serial = !v
		if v {
			b.mapped(p, "true is trawl's behaviour (sources[0].github.concurrency left at its default)")
		} else {
			b.mapped(p, "false: sources[0].github.concurrency: 1")
		}
	default:
		return false, nil
	}
	return true, nil
}

// takeRepos maps the keys choosing repositories and branches. The
// repository lists are only gathered here: emit turns them into patterns.
func (b *builder) takeRepos(base string, p prop) (bool, error) {
	var err error
	switch base {
	case "repositoriestoexclude":
		l, err := b.strings(p)
		if err != nil {
			return true, err
		}
		b.excludes, b.excludeLine, b.excludeKey = append(b.excludes, l...), p.line, p.key
	case "repositoriestoinclude":
		l, err := b.strings(p)
		if err != nil {
			return true, err
		}
		b.includes, b.includeLine, b.includeKey = append(b.includes, l...), p.line, p.key
	case "publishexcludedrepositories":
		if b.publishExcluded, err = b.flag(p); err != nil {
			return true, err
		}
		if b.publishExcluded {
			b.unmapped(p, "trawl does not crawl excluded repositories, so it publishes no document for them")
		} else {
			b.mapped(p, "false is trawl's behaviour: excluded repositories have no document")
		}
	case "crawlallbranches":
		if b.crawlAll, err = b.flag(p); err != nil {
			return true, err
		}
		if b.crawlAll {
			b.mapped(p, "true: branches left at trawl's default, every branch")
		} else {
			b.mapped(p, "false: branches: default (each repository's default branch only)")
		}
	default:
		return false, nil
	}
	return true, nil
}

// takeIndicators maps what is measured of each repository: indicators,
// tasks and searches.
func (b *builder) takeIndicators(base string, p prop) (bool, error) {
	switch base {
	case "indicatorstofetchbyfile":
		if p.node.Kind != yaml.MappingNode {
			return true, b.refuse(p, "must be a mapping of file names to lists of indicators")
		}
		b.indicators = p.node
		b.mapped(p, "indicators, as is (trawl reads github-crawler's format, [escaped] names and method: included)")
	case "miscrepositorytasks":
		return true, b.tasksFrom(p)
	case "searchesperrepo":
		return true, b.searchesFrom(p)
	default:
		return false, nil
	}
	return true, nil
}

// takeOutput maps the outputs of github-crawler 2.x (outputs.) and 1.x
// (output.) to indicators_export.
func (b *builder) takeOutput(base string, p prop) (bool, error) {
	var err error
	out, ok := strings.CutPrefix(base, "outputs.")
	if !ok {
		out, ok = strings.CutPrefix(base, "output.")
	}
	if !ok {
		return false, nil
	}
	switch out {
	case "http.targeturl":
		if b.httpURL, err = b.str(p); err != nil {
			return true, err
		}
		b.mapped(p, "indicators_export.http.url (date placeholders such as {yyyy-MM} kept: trawl expands them the same way)")
		return true, nil // not a file output
	case "file.filenameprefix":
		if b.files.FilenamePrefix, err = b.str(p); err != nil {
			return true, err
		}
		b.mapped(p, "indicators_export.files.filename_prefix")
	case "cidroidcsvreadyfile.indicatorstooutput":
		if b.files.CIDroidCSV, err = b.strings(p); err != nil {
			return true, err
		}
		b.mapped(p, "indicators_export.files.ci_droid_csv")
	case "cidroidjsonreadyfile.indicatorstooutput":
		if b.files.CIDroidJSON, err = b.strings(p); err != nil {
			return true, err
		}
		b.mapped(p, "indicators_export.files.ci_droid_json")
	case "cidroidjsonreadyfile.withtags":
		if b.files.CIDroidJSONWithTags, err = b.flag(p); err != nil {
			return true, err
		}
		b.mapped(p, "indicators_export.files.ci_droid_json_with_tags")
	case "searchpatternincodecsvfileoutput.searchnametooutput":
		if b.files.SearchPatternCSV, err = b.str(p); err != nil {
			return true, err
		}
		b.mapped(p, "indicators_export.files.search_pattern_csv")
	case "recentrepositoriescsvfileoutput":
		b.files.RecentRepositoriesCSV = true
		b.mapped(p, "indicators_export.files.recent_repositories_csv")
	default:
		return false, nil
	}
	b.haveFiles = true
	return true, nil
}

// takeOther reports a key no step knows: console output, which trawl has
// its own way of, or a Spring Boot runtime setting, or an unknown key.
func (b *builder) takeOther(base string, p prop) {
	switch {
	case strings.HasPrefix(base, "outputs.console") || strings.HasPrefix(base, "output.console"):
		b.mapped(p, "console output: trawl indicators prints the documents")
	case strings.HasPrefix(base, "logging.") || base == "debug" || base == "trace" ||
		strings.HasPrefix(base, "spring.") || strings.HasPrefix(base, "server.") || strings.HasPrefix(base, "management."):
		b.unmapped(p, "a Spring Boot runtime setting: trawl has its own (--log-level, server.listen)")
	default:
		b.unmapped(p, "not a github-crawler key trawl knows")
	}
}

func (b *builder) tasksFrom(p prop) error {
	if p.node.Kind != yaml.SequenceNode {
		return b.refuse(p, "must be a list of tasks (name, type, params)")
	}
	for _, item := range p.node.Content {
		var t config.RepositoryTask
		if item.Kind != yaml.MappingNode {
			return b.refuse(p, "line %d: a task must be a mapping with name, type and params", item.Line)
		}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			switch norm(k.Value) {
			case "name":
				t.Name = v.Value
			case "type":
				t.Type = v.Value
			case "params":
				if v.Kind != yaml.MappingNode {
					return b.refuse(p, "line %d: params must be a mapping", v.Line)
				}
				t.Params = map[string]string{}
				for j := 0; j+1 < len(v.Content); j += 2 {
					t.Params[v.Content[j].Value] = v.Content[j+1].Value
				}
			default:
				b.unmapped(prop{key: p.key + "." + k.Value, line: k.Line}, "not a task key (name, type, params)")
			}
		}
		if _, ok := config.TaskTypes[t.Type]; !ok {
			b.unmapped(prop{key: p.key + "[" + t.Name + "]", line: item.Line}, "task type %q has no trawl implementation", t.Type)
			continue
		}
		b.tasks = append(b.tasks, t)
		how := "repository_tasks"
		if t.Type == config.TaskCountHits || t.Type == config.TaskPathsForHits {
			how += " (the search runs on trawl's own index of the crawled branches, not on GitHub's search API: the queryString's q= words become a trawl query)"
		}
		b.mapped(prop{key: p.key + "[" + t.Name + "]", line: item.Line}, "%s", how)
	}
	return nil
}

// searchesFrom maps github-crawler 1.x's searchesPerRepo (name ->
// queryString, method: count) to count tasks.
func (b *builder) searchesFrom(p prop) error {
	if p.node.Kind != yaml.MappingNode {
		return b.refuse(p, "must be a mapping of search names")
	}
	for i := 0; i+1 < len(p.node.Content); i += 2 {
		k, v := p.node.Content[i], p.node.Content[i+1]
		sp := prop{key: p.key + "." + k.Value, line: k.Line}
		var q, method string
		for j := 0; v.Kind == yaml.MappingNode && j+1 < len(v.Content); j += 2 {
			switch norm(v.Content[j].Value) {
			case "querystring":
				q = v.Content[j+1].Value
			case "method", "type":
				method = v.Content[j+1].Value
			}
		}
		typ := map[string]string{"count": config.TaskCountHits, "paths": config.TaskPathsForHits}[method]
		if q == "" || typ == "" {
			b.unmapped(sp, "a search needs queryString and method count or paths")
			continue
		}
		b.tasks = append(b.tasks, config.RepositoryTask{Name: k.Value, Type: typ, Params: map[string]string{"queryString": q}})
		b.mapped(sp, "repository_tasks, type %s (on trawl's index, not GitHub's search API)", typ)
	}
	return nil
}

// emit writes trawl.yaml.
func (b *builder) emit() ([]byte, error) {
	include, exclude, err := b.repoPatterns()
	if err != nil {
		return nil, err
	}
	doc := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node, comment string) {
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: key, HeadComment: comment}
		doc.Content = append(doc.Content, k, v)
	}
	add("compatibility", encode(config.CompatGitHubCrawler), fmt.Sprintf("Imported from github-crawler's %s by trawl config import.\ngithub-crawler's parser behaviour, quirks included (DESIGN.md §4).", b.file))
	if b.sourceType == "" || b.sourceType == "GITHUB" {
		add("sources", encode([]any{map[string]any{"github": b.githubSource()}}), "github-crawler lists forks and archived repositories too.")
	}
	if len(include)+len(exclude) > 0 {
		f := map[string][]string{}
		if len(include) > 0 {
			f["include"] = include
		}
		if len(exclude) > 0 {
			f["exclude"] = exclude
		}
		add("repos", encode(f), "github-crawler's patterns, on the short name, as RE2 on the full name.")
	}
	if !b.crawlAll {
		add("branches", encode("default"), "crawlAllBranches is not true: default branches only.")
	}
	if len(b.groups) > 0 {
		add("groups", encode(b.groups), "The active Spring profiles.")
	}
	if b.indicators != nil {
		add("indicators", b.indicators, "")
	}
	if len(b.tasks) > 0 {
		add("repository_tasks", encode(b.tasks), "Searches run on trawl's index of the crawled branches, not GitHub's search API.")
	}
	if b.httpURL != "" || b.haveFiles {
		add("indicators_export", encode(b.export()), "trawl serve runs this after every crawl.")
	}
	var out bytes.Buffer
	e := yaml.NewEncoder(&out)
	e.SetIndent(2)
	if err := e.Encode(doc); err != nil {
		return nil, fmt.Errorf("write trawl.yaml: %w", err)
	}
	return out.Bytes(), nil
}

// encode is v as a YAML node.
func encode(v any) *yaml.Node {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		panic("ghcimport: encode " + err.Error()) // plain values always encode
	}
	return &n
}

// repoPatterns turns repositoriesToExclude or repositoriesToInclude into
// trawl's repos patterns, reported on the key that was set.
func (b *builder) repoPatterns() (include, exclude []string, err error) {
	if len(b.excludes) > 0 && len(b.includes) > 0 {
		return nil, nil, &Error{File: b.file, Line: b.includeLine, Key: b.includeKey,
			Msg: fmt.Sprintf("repositoriesToExclude (line %d) and repositoriesToInclude are both set; github-crawler refuses to start with both, so does this import", b.excludeLine)}
	}
	line, key := b.excludeLine, b.excludeKey
	if len(b.includes) > 0 {
		line, key = b.includeLine, b.includeKey
	}
	include, exclude, how, err := repoFilter(b.excludes, b.includes)
	if err != nil {
		return nil, nil, &Error{File: b.file, Line: line, Key: key, Msg: err.Error()}
	}
	for _, h := range how {
		b.r.Entries = append(b.r.Entries, Entry{Key: key, Line: line, Status: Mapped, How: h})
	}
	return include, exclude, nil
}

// githubSource is the github source of trawl.yaml's sources.
func (b *builder) githubSource() map[string]any {
	gh := map[string]any{}
	if b.users {
		gh["user"] = b.org
	} else {
		gh["org"] = b.org
	}
	if b.url != "" {
		gh["api_url"] = strings.TrimRight(b.url, "/")
	}
	gh["token_env"] = "GITHUB_TOKEN"
	if b.serial {
		gh["concurrency"] = 1
	}
	// github-crawler crawls forks and archived repositories alike.
	gh["include_forks"] = true
	gh["include_archived"] = true
	return gh
}

// export is trawl.yaml's indicators_export.
func (b *builder) export() map[string]any {
	x := map[string]any{}
	if b.httpURL != "" {
		x["http"] = map[string]string{"url": b.httpURL}
	}
	if b.haveFiles {
		x["files"] = b.files
	}
	return x
}
