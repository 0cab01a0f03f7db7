// Package indicators computes github-crawler compatible indicator
// documents from the index: for each (repository, branch), the values the
// configured parsers read from the configured files, in the JSON shape of
// Société Générale's github-crawler output, so that Elasticsearch
// dashboards built on that crawler keep working.
//
// Indicators are computed at query time: one location query for the
// configured paths over every branch, each distinct blob read and parsed
// once, however many branches hold it.
package indicators

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indicators/parser"
)

// NotIndexedPrefix starts the value of an indicator whose file exists but
// was skipped by the crawl (too large, binary...), followed by the reason.
// findFilePath still answers the path.
const NotIndexedPrefix = "file not indexed: "

// runIDLayout is github-crawler's crawlerRunId format (local time).
const runIDLayout = "20060102_150405"

// Document is one repository branch, as github-crawler's HTTP output
// posts it. FullName and Commit are trawl's additions.
type Document struct {
	Name             string            `json:"name"` // repository name without owner, as GitHub's name
	BranchName       string            `json:"branchName"`
	CreationDate     *string           `json:"creationDate"`   // GitHub's created_at; null when the source does not say
	LastUpdateDate   *string           `json:"lastUpdateDate"` // GitHub's updated_at; null when the source does not say
	Indicators       map[string]string `json:"indicators"`
	Tags             []string          `json:"tags"`   // repository topics
	Groups           []string          `json:"groups"` // Options.Groups
	CrawlerRunID     string            `json:"crawlerRunId"`
	MiscTasksResults map[string]any    `json:"miscTasksResults"` // repository_tasks, on the default branch's document only
	Timestamp        string            `json:"timestamp"`
	FullName         string            `json:"fullName"`
	Commit           string            `json:"commit"`

	isDefault bool // the repository's default branch
}

// ID returns the document's id: the same repository and branch always
// give the same id, so a rerun overwrites the previous document.
func (d *Document) ID() string { return ID(d.FullName, d.BranchName) }

// ID returns the id of the document of (repo, branch): the hex SHA-256 of
// the repository full name, a NUL byte and the branch name.
func ID(repo, branch string) string {
	h := sha256.Sum256([]byte(repo + "\x00" + branch))
	return hex.EncodeToString(h[:])
}

// Options are what a crawler run adds to every document, and which
// branches to report.
type Options struct {
	Groups []string    // github-crawler copies its Spring profiles here
	Mode   parser.Mode // parser.GitHubCrawler under compatibility: github-crawler
	// Tasks are the repository_tasks results per repository full name,
	// reported on the default branch's document as github-crawler does.
	Tasks  map[string]map[string]any
	RunID  string           // crawlerRunId; default the time as yyyyMMdd_HHmmss
	Repo   *regexp.Regexp   // only repositories whose full name matches
	Branch *regexp.Regexp   // only branches whose name matches
	Now    func() time.Time // default time.Now
}

// Compute returns one document per (repository, branch) in the index,
// ordered by repository and branch.
func Compute(ctx context.Context, idx indexer.Index, cfg config.Indicators, opts Options) ([]Document, error) {
	files, err := compile(cfg, opts.Mode)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	start := now()
	runID := opts.RunID
	if runID == "" {
		runID = start.Format(runIDLayout)
	}
	stamp := start.UTC().Format("2006-01-02T15:04:05.000Z07:00")

	all, err := idx.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("read branch states: %w", err)
	}
	var branches []indexer.Branch
	keys := []indexer.BranchKey{}
	for _, b := range all {
		if (opts.Repo == nil || opts.Repo.MatchString(b.Repo)) && (opts.Branch == nil || opts.Branch.MatchString(b.Name)) {
			branches = append(branches, b)
			keys = append(keys, b.Key())
		}
	}
	sort.Slice(branches, func(i, j int) bool {
		if branches[i].Repo != branches[j].Repo {
			return branches[i].Repo < branches[j].Repo
		}
		return branches[i].Name < branches[j].Name
	})

	if opts.Repo == nil && opts.Branch == nil {
		keys = nil // every branch: no need to list them in the query
	}
	defaults := map[string]string{}
	for _, b := range branches {
		defaults[b.Repo] = b.Meta.DefaultBranch
	}
	redir, err := readRedirects(ctx, idx, defaults)
	if err != nil {
		return nil, err
	}
	values, err := readValues(ctx, idx, files, keys, len(branches) > 0, redir)
	if err != nil {
		return nil, err
	}
	docs := make([]Document, 0, len(branches))
	for _, b := range branches {
		d := Document{
			Name:             shortName(b.Repo),
			FullName:         b.Repo,
			BranchName:       b.Name,
			Commit:           b.Commit,
			Indicators:       map[string]string{},
			Tags:             append([]string{}, b.Meta.Topics...),
			Groups:           append([]string{}, opts.Groups...),
			CrawlerRunID:     runID,
			MiscTasksResults: map[string]any{},
			Timestamp:        stamp,
		}
		d.CreationDate, d.LastUpdateDate = date(b.Meta.CreatedAt), date(b.Meta.UpdatedAt)
		d.isDefault = b.Name == b.Meta.DefaultBranch
		if d.isDefault {
			for k, v := range opts.Tasks[b.Repo] {
				d.MiscTasksResults[k] = v
			}
		}
		// Later files win, as github-crawler folds its per-file maps.
		for _, f := range files {
			for name, v := range values[b.Key()][f.path] {
				d.Indicators[name] = v
			}
		}
		docs = append(docs, d)
	}
	return docs, nil
}

type file struct {
	path    string
	names   []string
	parsers []*parser.Parser
}

// compile returns the parsers config compiled when it read the file; it
// compiles only those of Indicators made in code, or asked for in another
// mode than the configuration's.
func compile(cfg config.Indicators, mode parser.Mode) ([]file, error) {
	files := make([]file, 0, len(cfg))
	for _, f := range cfg {
		cf := file{path: f.Path}
		for _, ind := range f.Indicators {
			p := ind.Parser()
			if p == nil || p.Mode() != mode {
				var err error
				if p, err = parser.CompileMode(ind.Type, ind.Params, mode); err != nil {
					return nil, fmt.Errorf("indicator %s of %s: %w", ind.Name, f.Path, err)
				}
			}
			cf.names = append(cf.names, ind.Name)
			cf.parsers = append(cf.parsers, p)
		}
		files = append(files, cf)
	}
	return files, nil
}

// readValues returns, per branch and configured path, the indicator
// values of the file there, or of the file the repository's .githubCrawler
// redirects that path to. Each blob's text is read once and parsed once
// per configured path. branches nil means every branch; some says whether
// any branch is selected.
func readValues(ctx context.Context, idx indexer.Index, files []file, branches []indexer.BranchKey, some bool, redir redirects) (map[indexer.BranchKey]map[string]map[string]string, error) {
	out := map[indexer.BranchKey]map[string]map[string]string{}
	if len(files) == 0 || !some {
		return out, nil
	}
	byPath := map[string]*file{}
	var paths []string
	seen := map[string]bool{}
	addPath := func(p string) {
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	for i := range files {
		byPath[files[i].path] = &files[i]
		addPath(files[i].path)
	}
	for _, m := range redir {
		for name, target := range m {
			if byPath[name] != nil {
				addPath(target)
			}
		}
	}
	// served returns the configured paths the file at p of repo stands for.
	served := func(repo, p string) []string {
		var out []string
		m := redir[repo]
		for _, f := range files {
			target := f.path
			if t, ok := m[f.path]; ok {
				target = t
			}
			if target == p {
				out = append(out, f.path)
			}
		}
		return out
	}
	var locs []indexer.Location
	q := indexer.LocationQuery{Paths: paths, Branches: branches, Skipped: indexer.AnySkipped}
	if err := idx.Locations(ctx, q, func(l indexer.Location) error {
		if len(served(l.Repo, l.Path)) > 0 {
			locs = append(locs, l)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list indicator files: %w", err)
	}
	// Locations come ordered by blob: read a blob, evaluate every path it
	// appears at, move on; only the current text is held.
	type blobPath struct{ blob, configured, path string }
	cache := map[blobPath]map[string]string{}
	var text []byte
	textOf := ""
	for _, l := range locs {
		for _, configured := range served(l.Repo, l.Path) {
			key := blobPath{l.Blob, configured, l.Path}
			vals, ok := cache[key]
			if !ok {
				f := byPath[configured]
				if l.Skip == "" && textOf != l.Blob {
					t, err := idx.BlobText(ctx, l.Blob)
					if err != nil {
						return nil, fmt.Errorf("read blob %s (%s@%s:%s): %w", l.Blob, l.Repo, l.Branch, l.Path, err)
					}
					text, textOf = t, l.Blob
				}
				vals = make(map[string]string, len(f.parsers))
				for i, p := range f.parsers {
					switch {
					case p.Type() == parser.TypeFilePath:
						vals[f.names[i]] = l.Path
					case l.Skip != "":
						vals[f.names[i]] = NotIndexedPrefix + l.Skip
					default:
						vals[f.names[i]] = p.Eval(l.Path, text)
					}
				}
				cache[key] = vals
			}
			bk := indexer.BranchKey{Repo: l.Repo, Name: l.Branch}
			if out[bk] == nil {
				out[bk] = map[string]map[string]string{}
			}
			out[bk][configured] = vals
		}
	}
	return out, nil
}

// shortName returns the last element of a full name, which is what
// github-crawler's name field holds (GitHub's name, not full_name).
func shortName(full string) string {
	for i := len(full) - 1; i >= 0; i-- {
		if full[i] == '/' {
			return full[i+1:]
		}
	}
	return full
}

// date formats t as github-crawler's OutputIndicator does
// (yyyy-MM-dd'T'HH:mm:ssXXX, in UTC), or nil when unknown.
func date(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// OptionsFor returns the options trawl.yaml sets: its groups and, under
// compatibility: github-crawler, github-crawler's parser behaviour.
func OptionsFor(cfg *config.Config) Options {
	o := Options{Groups: cfg.Groups}
	if cfg.GitHubCrawler() {
		o.Mode = parser.GitHubCrawler
	}
	return o
}
