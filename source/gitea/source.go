// Package gitea is the source for a Gitea or Forgejo organisation or
// user (Forgejo, and so Codeberg, keeps Gitea's API): it lists
// repositories through the REST API (/api/v1), pages with page/limit and
// the Link and X-Total-Count headers, and mirrors each repository over
// HTTPS, skipping the fetch when Gitea's updated_at (which every push
// moves) has not changed since the last one. Its webhook handler reads
// Gitea's and Forgejo's signed push and repository deliveries.
//
// The API is called through forgeapi's Transport with a few lines of
// REST rather than Gitea's SDK (code.gitea.io/sdk/gitea): the SDK asks
// /version when a client is made, which is one more call per source and
// fails against an instance that hides it, and it brings dependencies for
// the four GET endpoints this package needs. The Transport gives retries,
// rate-limit waits, HTML detection and metrics the SDK does not.
package gitea

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/forgeapi"
)

// Options tune a Source.
type Options = forgeapi.SourceOptions

// pageLimit is the page size asked for: Gitea's default MAX_RESPONSE_ITEMS.
// An instance configured lower answers smaller pages and says so in its
// Link header, which the listing follows.
const pageLimit = 50

// maxPages bounds one listing: 5,000 pages of 50 are 250,000
// repositories, more than any one owner holds; a server that keeps
// answering rel="next" beyond that is broken, and the listing says so
// rather than looping.
const maxPages = 5000

// maxPasses bounds the listings repeated because the list moved while it
// was read (a repository created, deleted or renamed between two pages
// shifts the offsets, so that one can be skipped).
const maxPasses = 3

// gitUser is the user name of HTTPS clones: Gitea and Forgejo take any
// user name with a token as the password.
const gitUser = "trawl"

// Source lists the repositories of one organisation or user of a Gitea
// or Forgejo instance and mirrors them under the mirrors folder.
type Source struct {
	cfg      *config.Gitea
	owner    string
	isOrg    bool
	host     string // the API's host, in Name: one org name can live on two instances
	api      string // https://gitea.example.com/api/v1, no trailing slash
	token    string
	client   *http.Client
	tr       *forgeapi.Transport
	st       *forgeapi.State
	root     string // this instance's mirrors
	fetches  chan struct{}
	log      *slog.Logger
	maxPages int

	topics source.Topics

	mu    sync.Mutex
	login string // the token's account, once asked
}

// New prepares a source for cfg, keeping its mirrors and state below
// mirrors. It reads the token now, so that a missing secret is reported
// before any work.
func New(cfg *config.Gitea, mirrors string, opts Options) (*Source, error) {
	if (cfg.Org == "") == (cfg.User == "") {
		return nil, errors.New("gitea source: set exactly one of org or user")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Source{
		cfg: cfg, owner: cfg.Org, isOrg: cfg.Org != "",
		fetches: make(chan struct{}, max(cfg.Concurrency, 1)), maxPages: maxPages,
	}
	if !s.isOrg {
		s.owner = cfg.User
	}
	u, err := url.Parse(APIBase(cfg.APIURL))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%s: api_url %q is not an http(s) URL", s.Name(), source.StripCredentials(cfg.APIURL))
	}
	u.User = nil
	s.host = u.Host
	s.api = strings.TrimRight(u.String(), "/")
	if s.topics, err = source.CompileTopics(cfg.Topics.Include, cfg.Topics.Exclude); err != nil {
		return nil, fmt.Errorf("%s: topics: %w", s.Name(), err)
	}
	if cfg.TokenEnv != "" {
		if s.token, err = config.Secret(cfg.TokenEnv); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name(), err)
		}
	}
	s.root = filepath.Join(mirrors, "gitea", strings.ReplaceAll(u.Host, ":", "_"))
	s.st = forgeapi.LoadState(filepath.Join(s.root, strings.TrimSuffix(source.MirrorDir(s.owner), ".git")+".state.json"))
	s.log = opts.Logger.With("source", s.Name())
	tok := s.token
	s.tr = forgeapi.NewTransport(forgeapi.Options{
		Forge: "Gitea",
		Host:  u.Host,
		Auth: func(_ context.Context, r *http.Request) error {
			if tok != "" {
				r.Header.Set("Authorization", "token "+tok)
			}
			return nil
		},
		Base:        opts.Transport,
		Sleep:       opts.Sleep,
		Logger:      s.log,
		Concurrency: max(cfg.Concurrency, 1),
		Retries:     opts.Retries,
		State:       s.st,
	})
	s.client = &http.Client{Transport: s.tr}
	return s, nil
}

// APIBase is the API root of an api_url: an instance's address without a
// path (https://codeberg.org) gets /api/v1, any other is kept.
func APIBase(apiURL string) string {
	u, err := url.Parse(apiURL)
	if err != nil || strings.Trim(u.Path, "/") != "" {
		return apiURL
	}
	u.Path = "/api/v1"
	return u.String()
}

// Name implements source.Source: "gitea org acme on git.example.com".
func (s *Source) Name() string {
	kind := "user"
	if s.isOrg {
		kind = "org"
	}
	name := "gitea " + kind + " " + s.owner
	if s.host != "" {
		name += " on " + s.host
	}
	return name
}

// Stats reports the API calls made so far.
func (s *Source) Stats() forgeapi.Stats { return s.tr.Stats() }

// MarkChanged makes the next Open of repo fetch even if updated_at has
// not moved (a webhook can come before the listing shows the push, and
// updated_at counts whole seconds).
func (s *Source) MarkChanged(repo string) { s.st.Forget(repo) }

// List implements source.Source: every repository of the owner that the
// filters accept. Forks and archived repositories are left out unless
// the configuration includes them.
func (s *Source) List(ctx context.Context) ([]source.Repo, error) {
	all, err := s.listAll(ctx)
	if err == nil {
		err = s.fillTopics(ctx, all)
	}
	if serr := s.st.Save(); serr != nil {
		s.log.Warn("cannot save Gitea listing state", "err", serr)
	}
	var repos []source.Repo
	for _, r := range all {
		if s.keep(r) {
			repos = append(repos, s.repo(r))
		}
	}
	if err != nil {
		return repos, fmt.Errorf("list repositories of %s: %w", s.Name(), source.Redact(err, s.token))
	}
	return repos, nil
}

// listAll lists the owner's repositories, again when the listing moved
// while it was read, and fails when it keeps moving: an error keeps the
// crawler from deleting what a moving listing skipped.
func (s *Source) listAll(ctx context.Context) ([]apiRepo, error) {
	path, err := s.listPath(ctx)
	if err != nil {
		return nil, err
	}
	var all []apiRepo
	for pass := 1; pass <= maxPasses; pass++ {
		var moved bool
		if all, moved, err = s.listPass(ctx, path); err != nil || !moved {
			return all, err
		}
		s.log.Info("Gitea listing moved while it was read: listing again", "pass", pass)
	}
	return all, fmt.Errorf("the listing kept changing while it was read (%d passes): repositories created, deleted or renamed meanwhile; the next crawl tries again", maxPasses)
}

// listPath is the listing endpoint: a user's own repositories, private
// ones included, are listed by /user/repos only.
func (s *Source) listPath(ctx context.Context) (string, error) {
	if s.isOrg {
		return "/orgs/" + url.PathEscape(s.owner) + "/repos", nil
	}
	if s.token != "" {
		login, err := s.tokenLogin(ctx)
		if err != nil {
			return "", err
		}
		if strings.EqualFold(login, s.owner) {
			return "/user/repos", nil
		}
	}
	return "/users/" + url.PathEscape(s.owner) + "/repos", nil
}

// tokenLogin is the token's account, asked once per process.
func (s *Source) tokenLogin(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.login != "" {
		return s.login, nil
	}
	var me struct {
		Login string `json:"login"`
	}
	if _, err := forgeapi.GetJSON(ctx, s.client, s.api+"/user", &me); err != nil {
		return "", fmt.Errorf("ask which account the token is: %w", err)
	}
	s.login = me.Login
	return me.Login, nil
}

// listPass reads every page once. moved reports a listing that changed
// under it: a repository seen twice (an earlier one was renamed or
// created, shifting the rest) or a total count that changed (one was
// created or deleted). A repository seen twice is listed once, with what
// the later page said of it.
func (s *Source) listPass(ctx context.Context, path string) (repos []apiRepo, moved bool, err error) {
	seen := map[int64]int{}
	total, read := -1, 0
	for page := 1; ; {
		u := fmt.Sprintf("%s%s?page=%d&limit=%d", s.api, path, page, pageLimit)
		var batch []apiRepo
		h, err := forgeapi.GetJSON(ctx, s.client, u, &batch)
		if err != nil {
			return repos, moved, s.explain(err)
		}
		read += len(batch)
		for _, r := range batch {
			if i, ok := seen[r.ID]; ok {
				moved = true
				repos[i] = r
				continue
			}
			seen[r.ID] = len(repos)
			repos = append(repos, r)
		}
		if n, err := strconv.Atoi(h.Get("X-Total-Count")); err == nil {
			if total >= 0 && n != total {
				moved = true
			}
			total = n
		}
		next, ok := nextPage(h.Get("Link"), page, len(batch), read, total)
		if !ok {
			return repos, moved, nil
		}
		if page >= s.maxPages {
			return repos, moved, fmt.Errorf("stopped after %d pages of %s: the server keeps answering more (a listing of more than %d pages is not an owner's)", s.maxPages, path, s.maxPages)
		}
		page = next
	}
}

// nextPage is the page after page: the one Link's rel="next" names (only
// its number is taken: Gitea writes the links with its ROOT_URL, which is
// not always the address the API is reached at). Without a Link header
// (a proxy dropped it) the pages go on while they are not empty and fall
// short of X-Total-Count.
func nextPage(link string, page, n, read, total int) (int, bool) {
	if strings.TrimSpace(link) != "" {
		next, ok := relNext(link)
		return next, ok && next > page
	}
	if n == 0 {
		return 0, false
	}
	if total >= 0 {
		return page + 1, read < total
	}
	return page + 1, n >= pageLimit
}

// relNext reads the page number of rel="next" in a Link header.
func relNext(link string) (int, bool) {
	for part := range strings.SplitSeq(link, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		isNext := false
		for p := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "rel") && slices.Contains(strings.Fields(strings.Trim(v, `"`)), "next") {
				isNext = true
			}
		}
		if !isNext {
			continue
		}
		u, err := url.Parse(target[1 : len(target)-1])
		if err != nil {
			return 0, false
		}
		n, err := strconv.Atoi(u.Query().Get("page"))
		return n, err == nil && n > 0
	}
	return 0, false
}

// explain adds what a listing error most often means on Gitea.
func (s *Source) explain(err error) error {
	var se *forgeapi.StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.Status == http.StatusNotFound && s.isOrg:
		return fmt.Errorf("organisation %q not found, or the token cannot see it (a private organisation needs a token of a member, with read:organization): %w", s.owner, err)
	case se.Status == http.StatusNotFound:
		return fmt.Errorf("user %q not found, or the token cannot see it: %w", s.owner, err)
	case se.Status == http.StatusForbidden:
		return fmt.Errorf("the token may not list the repositories of %q (scopes read:repository and read:organization or read:user): %w", s.owner, err)
	}
	return err
}

// fillTopics asks an older Gitea, whose listing carries no topics, for
// the topics of each repository, when topic filters need them.
func (s *Source) fillTopics(ctx context.Context, all []apiRepo) error {
	if s.topics.None() {
		return nil
	}
	for i := range all {
		r := &all[i]
		if r.Topics.Present {
			continue
		}
		var t struct {
			Topics []string `json:"topics"`
		}
		u := fmt.Sprintf("%s/repos/%s/%s/topics", s.api, url.PathEscape(r.Owner.Login), url.PathEscape(r.Name))
		if _, err := forgeapi.GetJSON(ctx, s.client, u, &t); err != nil {
			return fmt.Errorf("topics of %s: %w", r.FullName, err)
		}
		r.Topics = topics{Present: true, Names: t.Topics}
	}
	return nil
}

// keep applies the fork, archived and topic filters.
func (s *Source) keep(r apiRepo) bool {
	if r.Fork && !s.cfg.IncludeForks {
		return false
	}
	if r.Archived && !s.cfg.IncludeArchived {
		return false
	}
	return s.topics.Keep(r.Topics.Names)
}

func (s *Source) repo(r apiRepo) source.Repo {
	visibility := "public"
	switch {
	case r.Private:
		visibility = "private"
	case r.Internal:
		visibility = "internal"
	}
	var ts []string
	if len(r.Topics.Names) > 0 {
		ts = slices.Sorted(slices.Values(r.Topics.Names))
	}
	web := strings.TrimRight(r.HTMLURL, "/")
	meta := indexer.Repo{
		Name:          r.FullName,
		URL:           web,
		DefaultBranch: r.DefaultBranch,
		Archived:      r.Archived,
		Fork:          r.Fork,
		Topics:        ts,
		Visibility:    visibility,
		CreatedAt:     r.CreatedAt.UTC(),
		UpdatedAt:     r.UpdatedAt.UTC(),
	}
	if web != "" {
		meta.Link, meta.LineLink = web+"/src/commit/{commit}/{path}", "#L{line}"
	}
	return source.Repo{
		Meta: meta,
		Open: func(ctx context.Context) (*git.Repository, error) { return s.open(ctx, meta, r) },
	}
}

// open brings the repository's mirror up to date and opens it.
func (s *Source) open(ctx context.Context, meta indexer.Repo, r apiRepo) (*git.Repository, error) {
	if r.Empty {
		s.st.Forget(meta.Name)
		return nil, source.ErrEmpty
	}
	if r.ObjectFormat == "sha256" {
		return nil, fmt.Errorf("mirror %s: the repository uses the sha256 object format, which this build of trawl cannot read", meta.Name)
	}
	dir := filepath.Join(s.root, source.MirrorDir(meta.Name))
	v := version(r.UpdatedAt)
	if repo, ok := source.Current(s.st, meta.Name, v, dir); ok {
		return repo, nil
	}
	f := source.Fetch{
		Forge: "Gitea", Name: meta.Name, Dir: dir, Version: v,
		URL: source.StripCredentials(r.CloneURL), Secrets: []string{s.token}, Slots: s.fetches,
	}
	if s.token != "" {
		if err := s.mayAuthenticate(f.URL); err != nil {
			return nil, fmt.Errorf("mirror %s: %w", meta.Name, err)
		}
		f.Auth = &githttp.BasicAuth{Username: gitUser, Password: s.token}
	}
	return source.FetchMirror(ctx, s.st, f, s.log)
}

// mayAuthenticate refuses to send the token to a clone URL over plain
// http on a host other than the API's: Gitea writes clone URLs from its
// ROOT_URL, and a misconfigured one must not carry the token in clear to
// a host it was never meant for. The API's own host is trusted as far as
// api_url is.
func (s *Source) mayAuthenticate(cloneURL string) error {
	u, err := url.Parse(cloneURL)
	if err != nil {
		return fmt.Errorf("clone_url %q: %w", cloneURL, err)
	}
	api, _ := url.Parse(s.api)
	if u.Scheme == "https" || strings.EqualFold(u.Hostname(), api.Hostname()) {
		return nil
	}
	return fmt.Errorf("clone_url %s is not https and not on the API's host %s: trawl does not send the token there (check Gitea's ROOT_URL)", cloneURL, api.Hostname())
}

// version is what the state file keeps of an updated_at.
func version(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// apiRepo holds the fields trawl reads of Gitea's Repository.
type apiRepo struct {
	ID    int64 `json:"id"`
	Owner struct {
		Login string `json:"login"`
	} `json:"owner"`
	Name          string    `json:"name"`
	FullName      string    `json:"full_name"`
	Empty         bool      `json:"empty"`
	Private       bool      `json:"private"`
	Internal      bool      `json:"internal"`
	Fork          bool      `json:"fork"`
	Archived      bool      `json:"archived"`
	HTMLURL       string    `json:"html_url"`
	CloneURL      string    `json:"clone_url"`
	DefaultBranch string    `json:"default_branch"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	ObjectFormat  string    `json:"object_format_name"`
	Topics        topics    `json:"topics"`
}

// topics tells a listing without topics (Gitea before 1.23) from one
// whose repository has none (null or []).
type topics struct {
	Present bool
	Names   []string
}

func (t *topics) UnmarshalJSON(b []byte) error {
	t.Present = true
	return json.Unmarshal(b, &t.Names)
}
