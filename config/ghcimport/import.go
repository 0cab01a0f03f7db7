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
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(docs) == maxDocs {
			return nil, fmt.Errorf("%s: more than %d YAML documents", file, maxDocs)
		}
		docs = append(docs, &n)
	}

	// Flatten every document, and find its profile.
	type flatDoc struct {
		props   []prop
		profile []string
		line    int
	}
	var flats []flatDoc
	var active []string
	for i, d := range docs {
		if d.Kind != yaml.DocumentNode || len(d.Content) == 0 {
			continue
		}
		root := d.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue
		}
		if root.Kind != yaml.MappingNode {
			return nil, &Error{File: file, Line: root.Line, Key: "(document)", Msg: "must be a mapping of keys"}
		}
		fd := flatDoc{line: root.Line}
		if err := flatten(root, "", "", i, &fd.props, 0); err != nil {
			return nil, &Error{File: file, Line: root.Line, Key: "(document)", Msg: err.Error()}
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
	profiles := opts.Profiles
	if len(profiles) == 0 {
		profiles = active
	}
	if len(profiles) == 0 {
		if m := appProfile.FindStringSubmatch(filepath.Base(file)); m != nil {
			profiles = []string{m[1]}
		}
	}

	// Merge: later documents override earlier ones, key by key, as Spring
	// does; a list replaces a list.
	r := &Result{Profiles: profiles}
	merged := map[string]prop{}
	var order []string
	for _, fd := range flats {
		on := len(fd.profile) == 0
		for _, p := range fd.profile {
			if slices.Contains(profiles, strings.TrimPrefix(p, "!")) != strings.HasPrefix(p, "!") {
				on = true
			}
		}
		for _, p := range fd.props {
			if !on {
				r.Entries = append(r.Entries, Entry{Key: p.key, Line: p.line, Status: Inactive,
					How: fmt.Sprintf("in the document of profile %s (line %d), which is not active: import with --profile %s to use it", strings.Join(fd.profile, ","), fd.line, fd.profile[0])})
				continue
			}
			k := canonical(p.key)
			if prev, ok := merged[k]; ok {
				r.Entries = append(r.Entries, Entry{Key: prev.key, Line: prev.line, Status: Mapped, How: fmt.Sprintf("overridden by line %d", p.line)})
			} else {
				order = append(order, k)
			}
			merged[k] = p
		}
	}

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

// take maps one merged property.
func (b *builder) take(k string, p prop) error {
	// Spring's indexed list keys (repositoriesToExclude[0]) are list items.
	base := k
	if i := strings.IndexByte(k, '['); i > 0 && !strings.HasPrefix(lastSeg(k), "[") {
		base = k[:i]
	}
	str := func() (string, error) {
		s, ok := scalar(p)
		if !ok {
			return "", b.refuse(p, "must be a string")
		}
		return s, nil
	}
	flag := func() (bool, error) {
		v, ok := boolean(p)
		if !ok {
			return false, b.refuse(p, "must be true or false")
		}
		return v, nil
	}
	var err error
	switch base {
	case "spring.profiles", "spring.config.activate.onprofile", "spring.profiles.active":
		b.mapped(p, "Spring profiles: the active ones (%s) became groups", strings.Join(b.groups, ", "))
	case "sourcecontrol.type":
		s, err := str()
		if err != nil {
			return err
		}
		b.sourceType = strings.ToUpper(s)
		if b.sourceType == "GITHUB" {
			b.mapped(p, "a github source")
		} else {
			b.unmapped(p, "source control %s: this import writes GitHub sources only; add the source to trawl.yaml by hand (see DESIGN.md §4)", s)
		}
	case "sourcecontrol.url", "github.url":
		if b.url, err = str(); err != nil {
			return err
		}
		b.mapped(p, "sources[0].github.api_url")
	case "sourcecontrol.organizationname", "organizationname":
		if b.org, err = str(); err != nil {
			return err
		}
		b.mapped(p, "sources[0].github.org (or user, with crawlUsersRepoInsteadOfOrgasRepos)")
	case "sourcecontrol.crawlusersrepoinsteadoforgasrepos", "crawlusersrepoinsteadoforgasrepos":
		if b.users, err = flag(); err != nil {
			return err
		}
		b.mapped(p, "sources[0].github.user instead of org when true")
	case "sourcecontrol.apitoken", "github.oauthtoken", "sourcecontrol.oauthtoken":
		b.tokenKey = p.key
		b.mapped(p, "not copied: trawl.yaml never holds a token; sources[0].github.token_env names GITHUB_TOKEN, export the token there")
	case "repositoriestoexclude":
		l, err := b.strings(p)
		if err != nil {
			return err
		}
		b.excludes, b.excludeLine, b.excludeKey = append(b.excludes, l...), p.line, p.key
	case "repositoriestoinclude":
		l, err := b.strings(p)
		if err != nil {
			return err
		}
		b.includes, b.includeLine, b.includeKey = append(b.includes, l...), p.line, p.key
	case "publishexcludedrepositories":
		if b.publishExcluded, err = flag(); err != nil {
			return err
		}
		if b.publishExcluded {
			b.unmapped(p, "trawl does not crawl excluded repositories, so it publishes no document for them")
		} else {
			b.mapped(p, "false is trawl's behaviour: excluded repositories have no document")
		}
	case "crawlallbranches":
		if b.crawlAll, err = flag(); err != nil {
			return err
		}
		if b.crawlAll {
			b.mapped(p, "true: branches left at trawl's default, every branch")
		} else {
			b.mapped(p, "false: branches: default (each repository's default branch only)")
		}
	case "crawlinparallel":
		v, err := flag()
		if err != nil {
			return err
		}
		b.serial = !v
		if v {
			b.mapped(p, "true is trawl's behaviour (sources[0].github.concurrency left at its default)")
		} else {
			b.mapped(p, "false: sources[0].github.concurrency: 1")
		}
	case "indicatorstofetchbyfile":
		if p.node.Kind != yaml.MappingNode {
			return b.refuse(p, "must be a mapping of file names to lists of indicators")
		}
		b.indicators = p.node
		b.mapped(p, "indicators, as is (trawl reads github-crawler's format, [escaped] names and method: included)")
	case "miscrepositorytasks":
		return b.tasksFrom(p)
	case "searchesperrepo":
		return b.searchesFrom(p)
	case "outputs.http.targeturl", "output.http.targeturl":
		if b.httpURL, err = str(); err != nil {
			return err
		}
		b.mapped(p, "indicators_export.http.url (date placeholders such as {yyyy-MM} kept: trawl expands them the same way)")
	case "outputs.file.filenameprefix", "output.file.filenameprefix":
		if b.files.FilenamePrefix, err = str(); err != nil {
			return err
		}
		b.haveFiles = true
		b.mapped(p, "indicators_export.files.filename_prefix")
	case "outputs.cidroidcsvreadyfile.indicatorstooutput", "output.cidroidcsvreadyfile.indicatorstooutput":
		if b.files.CIDroidCSV, err = b.strings(p); err != nil {
			return err
		}
		b.haveFiles = true
		b.mapped(p, "indicators_export.files.ci_droid_csv")
	case "outputs.cidroidjsonreadyfile.indicatorstooutput", "output.cidroidjsonreadyfile.indicatorstooutput":
		if b.files.CIDroidJSON, err = b.strings(p); err != nil {
			return err
		}
		b.haveFiles = true
		b.mapped(p, "indicators_export.files.ci_droid_json")
	case "outputs.cidroidjsonreadyfile.withtags", "output.cidroidjsonreadyfile.withtags":
		if b.files.CIDroidJSONWithTags, err = flag(); err != nil {
			return err
		}
		b.haveFiles = true
		b.mapped(p, "indicators_export.files.ci_droid_json_with_tags")
	case "outputs.searchpatternincodecsvfileoutput.searchnametooutput", "output.searchpatternincodecsvfileoutput.searchnametooutput":
		if b.files.SearchPatternCSV, err = str(); err != nil {
			return err
		}
		b.haveFiles = true
		b.mapped(p, "indicators_export.files.search_pattern_csv")
	case "outputs.recentrepositoriescsvfileoutput", "output.recentrepositoriescsvfileoutput":
		b.files.RecentRepositoriesCSV = true
		b.haveFiles = true
		b.mapped(p, "indicators_export.files.recent_repositories_csv")
	default:
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
	return nil
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
	if len(b.excludes) > 0 && len(b.includes) > 0 {
		return nil, &Error{File: b.file, Line: b.includeLine, Key: b.includeKey,
			Msg: fmt.Sprintf("repositoriesToExclude (line %d) and repositoriesToInclude are both set; github-crawler refuses to start with both, so does this import", b.excludeLine)}
	}
	include, exclude, how, err := repoFilter(b.excludes, b.includes)
	if err != nil {
		line, key := b.excludeLine, b.excludeKey
		if len(b.includes) > 0 {
			line, key = b.includeLine, b.includeKey
		}
		return nil, &Error{File: b.file, Line: line, Key: key, Msg: err.Error()}
	}
	line, key := b.excludeLine, b.excludeKey
	if len(b.includes) > 0 {
		line, key = b.includeLine, b.includeKey
	}
	for _, h := range how {
		b.r.Entries = append(b.r.Entries, Entry{Key: key, Line: line, Status: Mapped, How: h})
	}

	doc := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node, comment string) {
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: key, HeadComment: comment}
		doc.Content = append(doc.Content, k, v)
	}
	enc := func(v any) *yaml.Node {
		var n yaml.Node
		if err := n.Encode(v); err != nil {
			panic("ghcimport: encode " + err.Error()) // plain values always encode
		}
		return &n
	}
	add("compatibility", enc(config.CompatGitHubCrawler), fmt.Sprintf("Imported from github-crawler's %s by trawl config import.\ngithub-crawler's parser behaviour, quirks included (DESIGN.md §4).", b.file))

	if b.sourceType == "" || b.sourceType == "GITHUB" {
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
		add("sources", enc([]any{map[string]any{"github": gh}}), "github-crawler lists forks and archived repositories too.")
	}
	if len(include)+len(exclude) > 0 {
		f := map[string][]string{}
		if len(include) > 0 {
			f["include"] = include
		}
		if len(exclude) > 0 {
			f["exclude"] = exclude
		}
		add("repos", enc(f), "github-crawler's patterns, on the short name, as RE2 on the full name.")
	}
	if !b.crawlAll {
		add("branches", enc("default"), "crawlAllBranches is not true: default branches only.")
	}
	if len(b.groups) > 0 {
		add("groups", enc(b.groups), "The active Spring profiles.")
	}
	if b.indicators != nil {
		add("indicators", b.indicators, "")
	}
	if len(b.tasks) > 0 {
		add("repository_tasks", enc(b.tasks), "Searches run on trawl's index of the crawled branches, not GitHub's search API.")
	}
	if b.httpURL != "" || b.haveFiles {
		x := map[string]any{}
		if b.httpURL != "" {
			x["http"] = map[string]string{"url": b.httpURL}
		}
		if b.haveFiles {
			x["files"] = b.files
		}
		add("indicators_export", enc(x), "trawl serve runs this after every crawl.")
	}
	var out bytes.Buffer
	e := yaml.NewEncoder(&out)
	e.SetIndent(2)
	if err := e.Encode(doc); err != nil {
		return nil, fmt.Errorf("write trawl.yaml: %w", err)
	}
	return out.Bytes(), nil
}
