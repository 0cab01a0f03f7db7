package indicators

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/search"
)

// GitHubAPI is what the repository tasks ask GitHub (github.Source
// provides it through a small adapter).
type GitHubAPI interface {
	CountBranches(ctx context.Context, repo string) (int, error)
	CountOpenPulls(ctx context.Context, repo string) (int, error)
	RecentCommits(ctx context.Context, repo string, n int) ([]Commit, error)
	Teams(ctx context.Context) (map[string][]string, error) // team name -> member logins
}

// Commit is one commit's author login and changed lines.
type Commit struct {
	Author  string
	Changes int
}

// TaskEnv is what RunTasks works with.
type TaskEnv struct {
	Index indexer.Index
	// GitHub returns the API of the GitHub source repo comes from, or nil
	// when it comes from another source.
	GitHub func(repo string) GitHubAPI
}

// Ownership values, as github-crawler's repositoryOwnershipComputation
// reports them.
const (
	OwningTeam         = "owningTeam" // the result's key, whatever the task's name
	Undefined          = "Undefined"
	defaultLastCommits = 150 // github-crawler's fixed number of commits looked at
)

// TaskError is a task that failed on one repository; its value in
// miscTasksResults says so too.
type TaskError struct {
	Repo, Task string
	Err        error
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("repository task %s on %s: %v", e.Task, e.Repo, e.Err)
}

// RunTasks computes the repository tasks for every repository in the
// index: per full name, the task results github-crawler puts in the
// miscTasksResults of the default branch's document. A task that fails on
// a repository is reported in the returned errors and its value is
// "task failed: ..."; the others still run.
//
// countHitsOnRepoSearch and pathsForHitsOnRepoSearch run their query on
// trawl's own index (every crawled branch of the repository), not on
// GitHub's search API: the queryString's words and qualifiers become a
// trawl query (see SearchQuery).
func RunTasks(ctx context.Context, tasks []config.RepositoryTask, env TaskEnv) (map[string]map[string]any, []error, error) {
	r := &taskRun{env: env, out: map[string]map[string]any{}, teams: map[GitHubAPI]map[string][]string{}}
	if len(tasks) == 0 {
		return r.out, nil, nil
	}
	all, err := env.Index.Branches(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read branch states: %w", err)
	}
	for _, b := range all {
		if r.out[b.Repo] == nil {
			r.out[b.Repo] = map[string]any{}
			r.repos = append(r.repos, b.Repo)
		}
	}
	sort.Strings(r.repos)
	for _, t := range tasks {
		switch t.Type {
		case config.TaskCountHits, config.TaskPathsForHits:
			err = r.searchTask(ctx, t)
		case config.TaskNbBranches, config.TaskNbOpenPRs:
			r.countTask(ctx, t)
		case config.TaskOwnership:
			err = r.ownershipTask(ctx, t)
		default:
			err = fmt.Errorf("repository task %s: unknown type %q", t.Name, t.Type)
		}
		if err != nil {
			return nil, r.problems, err
		}
	}
	return r.out, r.problems, nil
}

// taskRun is the state of one RunTasks: the results so far and the
// failures on single repositories.
type taskRun struct {
	env      TaskEnv
	repos    []string                  // every repository of the index, sorted
	out      map[string]map[string]any // repo -> result key -> value
	problems []error
	teams    map[GitHubAPI]map[string][]string // one listing per source
}

// fail records that task failed on repo: its value under key says so.
func (r *taskRun) fail(repo, task, key string, err error) {
	r.out[repo][key] = "task failed: " + err.Error()
	r.problems = append(r.problems, &TaskError{Repo: repo, Task: task, Err: err})
}

// api is the GitHub API repo comes from, or nil.
func (r *taskRun) api(repo string) GitHubAPI {
	if r.env.GitHub == nil {
		return nil
	}
	return r.env.GitHub(repo)
}

// searchTask runs countHitsOnRepoSearch or pathsForHitsOnRepoSearch: one
// search of the index, whose hits are counted or listed per repository.
func (r *taskRun) searchTask(ctx context.Context, t config.RepositoryTask) error {
	hits, err := searchHits(ctx, r.env.Index, t.Params["queryString"])
	if err != nil {
		return fmt.Errorf("repository task %s: %w", t.Name, err)
	}
	for _, repo := range r.repos {
		paths := hits[repo]
		if t.Type == config.TaskCountHits {
			// github-crawler reports GitHub's total_count as a string.
			r.out[repo][t.Name] = strconv.Itoa(len(paths))
		} else if len(paths) == 0 {
			r.out[repo][t.Name] = []string{NotFoundValue}
		} else {
			r.out[repo][t.Name] = paths
		}
	}
	return nil
}

// countTask runs nbBranches or nbOpenPRs, asking GitHub for each
// repository.
func (r *taskRun) countTask(ctx context.Context, t config.RepositoryTask) {
	for _, repo := range r.repos {
		a := r.api(repo)
		if a == nil {
			r.fail(repo, t.Name, t.Name, fmt.Errorf("%s is not from a GitHub source", repo))
			continue
		}
		count := a.CountBranches
		if t.Type == config.TaskNbOpenPRs {
			count = a.CountOpenPulls
		}
		n, err := count(ctx, repo)
		if err != nil {
			r.fail(repo, t.Name, t.Name, err)
			continue
		}
		r.out[repo][t.Name] = n
	}
}

// ownershipTask runs repositoryOwnershipComputation on each repository,
// listing the teams of each GitHub source once.
func (r *taskRun) ownershipTask(ctx context.Context, t config.RepositoryTask) error {
	last := defaultLastCommits
	if s := t.Params["lastCommits"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("repository task %s: params.lastCommits %q is not a positive integer", t.Name, s)
		}
		last = n
	}
	for _, repo := range r.repos {
		a := r.api(repo)
		if a == nil {
			r.fail(repo, t.Name, OwningTeam, fmt.Errorf("%s is not from a GitHub source", repo))
			continue
		}
		members, ok := r.teams[a]
		if !ok {
			var err error
			if members, err = a.Teams(ctx); err != nil {
				r.fail(repo, t.Name, OwningTeam, err)
				continue
			}
			r.teams[a] = members
		}
		owner, err := owningTeam(ctx, a, repo, last, members)
		if err != nil {
			r.fail(repo, t.Name, OwningTeam, err)
			continue
		}
		r.out[repo][OwningTeam] = owner
	}
	return nil
}

// NotFoundValue is pathsForHitsOnRepoSearch's single path when nothing
// matches, as github-crawler reports it.
const NotFoundValue = "not found"

// owningTeam is github-crawler's ownership rule: each of the last n
// commits credits its changed lines to every team its author belongs to;
// the team with most lines owns the repository (the first one credited
// wins a tie), Undefined when no team is credited.
func owningTeam(ctx context.Context, a GitHubAPI, repo string, n int, teams map[string][]string) (string, error) {
	if len(teams) == 0 {
		return Undefined, nil
	}
	byMember := map[string][]string{}
	names := make([]string, 0, len(teams))
	for name := range teams {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, m := range teams[name] {
			byMember[m] = append(byMember[m], name)
		}
	}
	commits, err := a.RecentCommits(ctx, repo, n)
	if err != nil {
		return "", err
	}
	lines := map[string]int{}
	var order []string
	for _, c := range commits {
		if c.Author == "" {
			continue
		}
		for _, team := range byMember[c.Author] {
			if _, ok := lines[team]; !ok {
				order = append(order, team)
			}
			lines[team] += c.Changes
		}
	}
	best, most := Undefined, -1
	for _, team := range order {
		if lines[team] > most {
			best, most = team, lines[team]
		}
	}
	return best, nil
}

// searchHits runs a github-crawler queryString on the index and returns,
// per repository, the distinct paths that match on any crawled branch.
func searchHits(ctx context.Context, idx indexer.Index, queryString string) (map[string][]string, error) {
	q, err := SearchQuery(queryString)
	if err != nil {
		return nil, err
	}
	seen := map[string]map[string]bool{}
	out := map[string][]string{}
	_, err = search.New(idx).Stream(ctx, q, search.Options{}, func(f search.File) error {
		if seen[f.Repo] == nil {
			seen[f.Repo] = map[string]bool{}
		}
		if !seen[f.Repo][f.Path] {
			seen[f.Repo][f.Path] = true
			out[f.Repo] = append(out[f.Repo], f.Path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q, err)
	}
	for _, p := range out {
		sort.Strings(p)
	}
	return out, nil
}

// SearchQuery turns a github-crawler queryString (GitHub code search:
// "q=metrics+extension:xml") into a trawl query. Words and "phrases" are
// case-insensitive literals, as GitHub's code search is; extension:,
// filename:, path: and language: become file: and lang: filters; repo:,
// org:, user: and in: are dropped, the task scoping to each repository
// itself. Other qualifiers are refused.
func SearchQuery(queryString string) (string, error) {
	s := strings.TrimPrefix(strings.TrimSpace(queryString), "?")
	q := s
	if strings.Contains(s, "=") {
		v, err := url.ParseQuery(s)
		if err != nil {
			return "", fmt.Errorf("queryString %q: %w", queryString, err)
		}
		q = v.Get("q")
	} else if u, err := url.QueryUnescape(s); err == nil {
		q = u
	}
	var terms []string
	for _, w := range fields(q) {
		key, val, ok := strings.Cut(w, ":")
		if !ok || strings.HasPrefix(w, `"`) {
			if lit := strings.Trim(w, `"`); lit != "" {
				terms = append(terms, quote(lit))
			}
			continue
		}
		if val == "" {
			return "", fmt.Errorf("queryString %q: qualifier %s: has no value", queryString, key)
		}
		switch strings.ToLower(key) {
		case "extension":
			terms = append(terms, "file:"+regexp.QuoteMeta("."+strings.TrimPrefix(val, "."))+"$")
		case "filename":
			terms = append(terms, "file:(^|/)"+regexp.QuoteMeta(val)+"$")
		case "path":
			terms = append(terms, "file:^"+regexp.QuoteMeta(strings.Trim(val, "/"))+"/")
		case "language":
			terms = append(terms, "lang:"+val)
		case "repo", "org", "user", "in":
		default:
			return "", fmt.Errorf("queryString %q: qualifier %s: has no trawl equivalent", queryString, key)
		}
	}
	if len(terms) == 0 {
		return "", fmt.Errorf("queryString %q: no search term", queryString)
	}
	out := "case:no " + strings.Join(terms, " ")
	if _, err := search.Parse(out); err != nil {
		return "", fmt.Errorf("queryString %q: %w", queryString, err)
	}
	return out, nil
}

// fields splits q on spaces outside double quotes.
func fields(q string) []string {
	var out []string
	var b strings.Builder
	in := false
	for _, r := range q {
		switch {
		case r == '"':
			in = !in
			b.WriteRune(r)
		case r == ' ' && !in:
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// quote writes s as one trawl literal term.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
