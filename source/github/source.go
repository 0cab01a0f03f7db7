// Package github is the source for a GitHub organisation or user,
// on github.com or GitHub Enterprise Server. It lists repositories through
// the REST API with conditional requests (an unchanged listing costs a few
// 304s and no quota), waits out rate limits instead of failing, and
// mirrors each repository over HTTPS, skipping the fetch when GitHub says
// nothing was pushed since the last one.
package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gh "github.com/google/go-github/v57/github"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/forgeapi"
)

const defaultAPIURL = "https://api.github.com"

// Options tune a Source.
type Options = forgeapi.SourceOptions

// Source lists the repositories of one organisation or user and mirrors
// them under the mirrors folder. It implements crawler.Source.
type Source struct {
	cfg     *config.GitHub
	owner   string
	isOrg   bool
	client  *gh.Client
	tr      *forgeapi.Transport
	st      *forgeapi.State
	root    string // this source's mirrors
	token   func(ctx context.Context) (string, error)
	fetches chan struct{}
	log     *slog.Logger

	topics source.Topics
}

// New prepares a source for cfg, keeping its mirrors and state below
// mirrors. It reads the token (or the GitHub App key) now, so that a
// missing secret is reported before any work.
func New(cfg *config.GitHub, mirrors string, opts Options) (*Source, error) {
	if (cfg.Org == "") == (cfg.User == "") {
		return nil, errors.New("github source: set exactly one of org or user")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	concurrency := max(cfg.Concurrency, 1)
	s := &Source{
		cfg:     cfg,
		owner:   cfg.Org,
		isOrg:   cfg.Org != "",
		fetches: make(chan struct{}, concurrency),
		log:     opts.Logger,
	}
	if !s.isOrg {
		s.owner = cfg.User
	}
	var err error
	if s.topics, err = source.CompileTopics(cfg.Topics.Include, cfg.Topics.Exclude); err != nil {
		return nil, fmt.Errorf("github source %s: topics: %w", s.owner, err)
	}

	apiURL := cfg.APIURL
	if apiURL == "" {
		apiURL = defaultAPIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("github source %s: api_url %q is not a URL", s.owner, apiURL)
	}
	s.root = mirrorRoot(mirrors, u.Host)
	s.st = forgeapi.LoadState(filepath.Join(s.root, safeName(s.owner)+".state.json"))
	// s.token is set below; the transport asks for it at each call.
	opts.Logger = opts.Logger.With("source", "github "+s.owner)
	s.tr = newTransport(u.Host, func(ctx context.Context) (string, error) {
		if s.token == nil {
			return "", nil // anonymous: public repositories only
		}
		return s.token(ctx)
	}, opts, concurrency, s.st)
	s.client = gh.NewClient(&http.Client{Transport: s.tr})
	if strings.TrimRight(apiURL, "/") != defaultAPIURL {
		if s.client, err = s.client.WithEnterpriseURLs(apiURL, apiURL); err != nil {
			return nil, fmt.Errorf("github source %s: api_url: %w", s.owner, err)
		}
	}

	switch {
	case cfg.AppID != 0:
		app, err := newAppToken(cfg, s.client.BaseURL, opts)
		if err != nil {
			return nil, fmt.Errorf("github source %s: %w", s.owner, err)
		}
		s.token = app.Token
	case cfg.TokenEnv != "":
		tok, err := config.Secret(cfg.TokenEnv)
		if err != nil {
			return nil, fmt.Errorf("github source %s: %w", s.owner, err)
		}
		s.token = func(context.Context) (string, error) { return tok, nil }
	}
	return s, nil
}

// Name implements source.Source.
func (s *Source) Name() string {
	if s.isOrg {
		return "github org " + s.owner
	}
	return "github user " + s.owner
}

// Stats reports the API calls made so far and the last known quota.
func (s *Source) Stats() forgeapi.Stats { return s.tr.Stats() }

// MarkChanged makes the next Open of repo fetch even if GitHub's pushed_at
// has not moved: a push webhook can arrive before the listing shows the
// push.
func (s *Source) MarkChanged(repo string) { s.st.Forget(repo) }

// List implements source.Source: every repository of the owner that the
// filters accept, with its metadata. Forks and archived repositories are
// left out unless the configuration includes them.
func (s *Source) List(ctx context.Context) ([]source.Repo, error) {
	all, err := s.listAll(ctx)
	if serr := s.st.Save(); serr != nil {
		s.log.Warn("cannot save GitHub listing state", "err", serr)
	}
	var repos []source.Repo
	for _, r := range all {
		if !s.keep(r) {
			continue
		}
		repos = append(repos, s.repo(r))
	}
	if err != nil {
		return repos, fmt.Errorf("list repositories of %s: %w", s.owner, s.redact(ctx, err))
	}
	return repos, nil
}

// listAll pages through the owner's repositories, 100 at a time.
func (s *Source) listAll(ctx context.Context) ([]*gh.Repository, error) {
	mine, err := s.isAuthenticatedUser(ctx)
	if err != nil {
		return nil, err
	}
	var all []*gh.Repository
	opt := gh.ListOptions{PerPage: 100, Page: 1}
	for {
		var (
			page []*gh.Repository
			resp *gh.Response
			err  error
		)
		switch {
		case s.isOrg:
			page, resp, err = s.client.Repositories.ListByOrg(ctx, s.owner,
				&gh.RepositoryListByOrgOptions{Type: "all", ListOptions: opt})
		case mine:
			// Only this endpoint lists a user's private repositories.
			page, resp, err = s.client.Repositories.ListByAuthenticatedUser(ctx,
				&gh.RepositoryListByAuthenticatedUserOptions{Affiliation: "owner", ListOptions: opt})
		default:
			page, resp, err = s.client.Repositories.ListByUser(ctx, s.owner,
				&gh.RepositoryListByUserOptions{Type: "owner", ListOptions: opt})
		}
		if err != nil {
			return all, err
		}
		all = append(all, page...)
		if resp.NextPage == 0 {
			return all, nil
		}
		opt.Page = resp.NextPage
	}
}

// isAuthenticatedUser reports whether a user source names the token's own
// account.
func (s *Source) isAuthenticatedUser(ctx context.Context) (bool, error) {
	if s.isOrg || s.token == nil || s.cfg.AppID != 0 {
		return false, nil
	}
	me, _, err := s.client.Users.Get(ctx, "")
	if err != nil {
		return false, err
	}
	return strings.EqualFold(me.GetLogin(), s.owner), nil
}

// keep applies the fork, archived and topic filters.
func (s *Source) keep(r *gh.Repository) bool {
	if r.GetFork() && !s.cfg.IncludeForks {
		return false
	}
	if r.GetArchived() && !s.cfg.IncludeArchived {
		return false
	}
	return s.topics.Keep(r.Topics)
}

func (s *Source) repo(r *gh.Repository) source.Repo {
	visibility := r.GetVisibility()
	if visibility == "" {
		visibility = "public"
		if r.GetPrivate() {
			visibility = "private"
		}
	}
	var topics []string
	if len(r.Topics) > 0 {
		topics = slices.Sorted(slices.Values(r.Topics))
	}
	meta := indexer.Repo{
		Name:          r.GetFullName(),
		URL:           r.GetHTMLURL(),
		DefaultBranch: r.GetDefaultBranch(),
		Archived:      r.GetArchived(),
		Fork:          r.GetFork(),
		Topics:        topics,
		Visibility:    visibility,
		PushedAt:      r.GetPushedAt().Time.UTC(),
		CreatedAt:     r.GetCreatedAt().Time.UTC(),
		UpdatedAt:     r.GetUpdatedAt().Time.UTC(),
	}
	owner, name := r.GetOwner().GetLogin(), r.GetName()
	cloneURL, size := r.GetCloneURL(), r.GetSize()
	return source.Repo{
		Meta: meta,
		Open: func(ctx context.Context) (*git.Repository, error) {
			return s.open(ctx, meta, owner, name, cloneURL, size)
		},
	}
}

// open brings the repository's mirror up to date and opens it.
func (s *Source) open(ctx context.Context, meta indexer.Repo, owner, name, cloneURL string, size int) (*git.Repository, error) {
	dir := mirrorPath(s.root, owner, name)
	if r, ok := source.Current(s.st, meta.Name, version(meta.PushedAt), dir); ok {
		return r, nil
	}
	if size == 0 {
		// GitHub computes size lazily, so 0 may be a fresh push: ask.
		empty, err := s.isEmpty(ctx, owner, name)
		if err != nil {
			return nil, fmt.Errorf("check whether %s is empty: %w", meta.Name, s.redact(ctx, err))
		}
		if empty {
			s.st.Forget(meta.Name)
			return nil, source.ErrEmpty
		}
	}

	f := source.Fetch{
		Forge: "GitHub", Name: meta.Name, Dir: dir, Version: version(meta.PushedAt),
		URL: source.StripCredentials(cloneURL), Slots: s.fetches,
	}
	if s.token != nil {
		tok, err := s.token(ctx)
		if err != nil {
			return nil, fmt.Errorf("mirror %s: %w", meta.Name, err)
		}
		// GitHub takes any user name with a token; this one is what its
		// documentation uses for installation tokens.
		f.Auth = &githttp.BasicAuth{Username: "x-access-token", Password: tok}
		f.Secrets = []string{tok}
	}
	return source.FetchMirror(ctx, s.st, f, s.log)
}

// isEmpty asks for one branch: GitHub answers 409 "Git Repository is
// empty." for a repository without commits.
func (s *Source) isEmpty(ctx context.Context, owner, name string) (bool, error) {
	branches, resp, err := s.client.Repositories.ListBranches(ctx, owner, name,
		&gh.BranchListOptions{ListOptions: gh.ListOptions{PerPage: 1}})
	if resp != nil && resp.StatusCode == http.StatusConflict {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return len(branches) == 0, nil
}

// redact removes the current token from an error's text.
func (s *Source) redact(ctx context.Context, err error) error {
	if s.token == nil || err == nil {
		return err
	}
	tok, terr := s.token(ctx)
	if terr != nil {
		return err
	}
	return source.Redact(err, tok)
}

// mirrorRoot is the folder below mirrors that holds one GitHub host's
// mirrors and state files.
func mirrorRoot(mirrors, host string) string {
	return filepath.Join(mirrors, "github", safeName(host))
}

// mirrorPath is the bare mirror of owner/name below a host's mirrorRoot.
func mirrorPath(root, owner, name string) string {
	return filepath.Join(root, safeName(owner), safeName(name)+".git")
}

// safeName maps a host, owner or repository name to one path element that
// cannot escape its folder.
func safeName(s string) string {
	s = strings.NewReplacer("/", "_", "\\", "_", ":", "_").Replace(s)
	if s == "" || s == "." || s == ".." {
		return "_" + s
	}
	return s
}

// version is what the state file keeps of a pushed_at: the RFC 3339 text
// earlier trawl versions wrote, so their state files stay valid.
func version(pushedAt time.Time) string {
	if pushedAt.IsZero() {
		return ""
	}
	return pushedAt.UTC().Format(time.RFC3339Nano)
}

// newTransport is the forgeapi transport for GitHub's API at host, sending
// token (when it gives one) as a bearer token.
func newTransport(host string, token func(ctx context.Context) (string, error), opts Options, concurrency int, st *forgeapi.State) *forgeapi.Transport {
	return forgeapi.NewTransport(forgeapi.Options{
		Forge: "GitHub",
		Host:  host,
		Auth: func(ctx context.Context, r *http.Request) error {
			if token == nil {
				return nil
			}
			tok, err := token(ctx)
			if err != nil || tok == "" {
				return err
			}
			r.Header.Set("Authorization", "Bearer "+tok)
			return nil
		},
		Base:        opts.Transport,
		Sleep:       opts.Sleep,
		Logger:      opts.Logger,
		Concurrency: concurrency,
		Retries:     opts.Retries,
		State:       st,
	})
}
