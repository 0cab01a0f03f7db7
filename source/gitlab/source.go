// Package gitlab is the source for a GitLab group (with every subgroup) or
// user, on gitlab.com or a self-managed instance. It lists projects through
// the REST API (v4) on the forgeapi transport (conditional requests,
// RateLimit-* waits, retries, HTML pages refused), mirrors each project
// over HTTPS with the token as the oauth2 user's password, skips a fetch
// when last_activity_at says nothing happened since the last one, and
// serves GitLab's Push Hook and System Hook deliveries.
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	gittransport "github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/forgeapi"
)

// DefaultAPIURL is gitlab.com's API.
const DefaultAPIURL = "https://gitlab.com/api/v4"

// perPage is GitLab's largest page size.
const perPage = 100

// activityThrottle is how long GitLab waits before it moves a project's
// last_activity_at again (Event::RESET_PROJECT_ACTIVITY_INTERVAL, an
// hour): pushes inside that window leave it unchanged, so a fetch made
// inside it is not recorded as covering that last_activity_at.
const activityThrottle = time.Hour

// Options tune a Source.
type Options struct {
	Logger *slog.Logger
	// Sleep waits for d or until ctx ends (rate-limit pauses, backoffs);
	// tests replace it to avoid real waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Transport carries API calls; default http.DefaultTransport.
	Transport http.RoundTripper
	// Retries bounds the repeats of a call after a 5xx answer or a
	// network error; default 4.
	Retries int
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Source lists the projects of one group or user and mirrors them.
type Source struct {
	cfg     *config.GitLab
	owner   string // the group's full path or the user's name
	isGroup bool
	client  *http.Client
	api     string // api_url, without a trailing slash
	pages   int    // most pages one listing reads (maxPages; tests lower it)
	tr      *forgeapi.Transport
	st      *forgeapi.State
	root    string // this source's mirrors
	token   string
	apiHost string // api_url's host name, without port
	fetches chan struct{}
	log     *slog.Logger
	now     func() time.Time

	topicsInclude, topicsExclude config.Filter
}

// New prepares a source for cfg, keeping its mirrors and state below
// mirrors/gitlab/<api host>. It reads the token now, so that a missing
// secret is reported before any work.
func New(cfg *config.GitLab, mirrors string, opts Options) (*Source, error) {
	if (cfg.Group == "") == (cfg.User == "") {
		return nil, errors.New("gitlab source: set exactly one of group or user")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	concurrency := max(cfg.Concurrency, 1)
	s := &Source{
		cfg:     cfg,
		owner:   strings.Trim(cfg.Group, "/"),
		isGroup: cfg.Group != "",
		fetches: make(chan struct{}, concurrency),
		now:     opts.Now,
	}
	if !s.isGroup {
		s.owner = cfg.User
	}
	// Each list on its own, so that Match says "matches one of them".
	s.topicsInclude = config.Filter{Include: cfg.Topics.Include}
	s.topicsExclude = config.Filter{Include: cfg.Topics.Exclude}
	if err := s.topicsInclude.Compile(); err != nil {
		return nil, fmt.Errorf("%s: topics.include: %w", s.Name(), err)
	}
	if err := s.topicsExclude.Compile(); err != nil {
		return nil, fmt.Errorf("%s: topics.exclude: %w", s.Name(), err)
	}
	apiURL := cfg.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%s: api_url %q is not an http(s) URL", s.Name(), apiURL)
	}
	if cfg.TokenEnv != "" {
		if s.token, err = config.Secret(cfg.TokenEnv); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name(), err)
		}
	}
	s.log = opts.Logger.With("source", s.Name())
	s.apiHost = u.Hostname()
	s.root = filepath.Join(mirrors, "gitlab", fileName(u.Host))
	s.st = forgeapi.LoadState(filepath.Join(s.root, fileName(kind(s.isGroup)+"/"+s.owner)+".state.json"))
	token := s.token
	s.tr = forgeapi.NewTransport(forgeapi.Options{
		Forge: "GitLab",
		Host:  u.Host,
		Auth: func(_ context.Context, r *http.Request) error {
			if token != "" {
				// Personal, project and group access tokens all go in
				// this header.
				r.Header.Set("PRIVATE-TOKEN", token)
			}
			return nil
		},
		Base:        opts.Transport,
		Sleep:       opts.Sleep,
		Logger:      s.log,
		Concurrency: concurrency,
		Retries:     opts.Retries,
		State:       s.st,
	})
	s.client = &http.Client{Transport: s.tr}
	s.api = strings.TrimSuffix(apiURL, "/")
	s.pages = maxPages
	return s, nil
}

func kind(isGroup bool) string {
	if isGroup {
		return "group"
	}
	return "user"
}

// Name implements source.Source.
func (s *Source) Name() string { return "gitlab " + kind(s.isGroup) + " " + s.owner }

// Stats reports the API calls made so far and the last known quota.
func (s *Source) Stats() forgeapi.Stats { return s.tr.Stats() }

// MarkChanged makes the next Open of repo fetch, whatever
// last_activity_at says: a push webhook can arrive before the listing
// shows the push.
func (s *Source) MarkChanged(repo string) { s.st.Forget(repo) }

// List implements source.Source: every project of the group and its
// subgroups (or of the user) that the filters accept. Forks and archived
// projects are left out unless the configuration includes them.
func (s *Source) List(ctx context.Context) ([]source.Repo, error) {
	all, err := s.listAll(ctx)
	if serr := s.st.Save(); serr != nil {
		s.log.Warn("cannot save GitLab listing state", "err", serr)
	}
	var repos []source.Repo
	for i := range all {
		if p := &all[i]; s.keep(p) {
			repos = append(repos, s.repo(p))
		}
	}
	if err != nil {
		return repos, fmt.Errorf("list projects of %s: %w", s.Name(), s.explain(err))
	}
	return repos, nil
}

// project is what a listing says of a project, in GitLab's names.
type project struct {
	ID                int64      `json:"id"`
	PathWithNamespace string     `json:"path_with_namespace"`
	WebURL            string     `json:"web_url"`
	HTTPURLToRepo     string     `json:"http_url_to_repo"`
	DefaultBranch     string     `json:"default_branch"`
	Archived          bool       `json:"archived"`
	EmptyRepo         bool       `json:"empty_repo"`
	ForkedFromProject *struct{}  `json:"forked_from_project"`
	Topics            []string   `json:"topics"`
	Visibility        string     `json:"visibility"`
	LastActivityAt    *time.Time `json:"last_activity_at"`
	CreatedAt         *time.Time `json:"created_at"`
	UpdatedAt         *time.Time `json:"updated_at"`
}

// maxPages bounds one listing: a server that keeps answering "next" must
// not keep the crawl forever (a million projects is no group's).
const maxPages = 10000

// listAll pages through the projects, following GitLab's headers: a
// keyset Link rel="next", or X-Next-Page under offset pagination. A
// project is listed once, by id, whatever the pages repeat: a project
// transferred or renamed between two page reads shows up twice under
// offset pagination, and its later entry (the newer path) wins.
//
// One paged call does not need GitLab's client library, whose package
// initialisation (thousands of route templates) cost every trawl process
// 0.4-0.6 ms, a twentieth of a search's, and whose module was a sixth of
// the build.
func (s *Source) listAll(ctx context.Context) ([]project, error) {
	path := "/users/" + url.PathEscape(s.owner) + "/projects"
	q := url.Values{"per_page": {strconv.Itoa(perPage)}}
	// Ordered by id, a project's place does not move when it is renamed
	// or pushed to, so offsets stay valid mid-listing.
	q.Set("order_by", "id")
	q.Set("sort", "asc")
	if !s.cfg.IncludeArchived {
		q.Set("archived", "false")
	}
	if s.isGroup {
		path = "/groups/" + url.PathEscape(s.owner) + "/projects"
		q.Set("include_subgroups", "true")
		q.Set("with_shared", "false")
	}
	var (
		out  []project
		seen = map[int64]int{}
		next = s.api + path + "?" + q.Encode()
	)
	for pages := 1; next != ""; pages++ {
		if pages > s.pages {
			return out, fmt.Errorf("stopped after %d pages of %s: the server keeps answering more", s.pages, path)
		}
		var batch []project
		h, err := forgeapi.GetJSON(ctx, s.client, next, &batch)
		if err != nil {
			return out, err
		}
		for _, p := range batch {
			if i, ok := seen[p.ID]; ok {
				out[i] = p
				continue
			}
			seen[p.ID] = len(out)
			out = append(out, p)
		}
		next = ""
		if link := nextLink(h.Get("Link")); link != "" {
			next = link
		} else if n := h.Get("X-Next-Page"); n != "" && len(batch) > 0 {
			if _, err := strconv.Atoi(n); err != nil {
				return out, fmt.Errorf("GitLab answered X-Next-Page %q for %s: not a page number", n, path)
			}
			q.Set("page", n)
			next = s.api + path + "?" + q.Encode()
		}
	}
	return out, nil
}

// nextLink is the rel="next" target of a Link header, or "".
func nextLink(h string) string {
	for part := range strings.SplitSeq(h, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		for param := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
			if strings.EqualFold(k, "rel") && slices.Contains(strings.Fields(strings.Trim(v, `"`)), "next") {
				return target[1 : len(target)-1]
			}
		}
	}
	return ""
}

// explain makes a listing error say what went wrong in GitLab's terms,
// naming the group or user, without the token.
func (s *Source) explain(err error) error {
	var (
		resp *forgeapi.StatusError
		html *forgeapi.HTMLError
	)
	status := 0
	switch {
	case errors.As(err, &html):
		return html
	case errors.As(err, &resp):
		status = resp.Status
	}
	what := kind(s.isGroup) + " " + s.owner
	switch status {
	case http.StatusNotFound:
		return fmt.Errorf("GitLab answered 404 for %s: no such %s, or the token cannot see it (a group or project access token sees only its own group or project)", what, kind(s.isGroup))
	case http.StatusForbidden:
		return fmt.Errorf("GitLab answered 403 for %s: the token may not list it (it needs the read_api scope): %w", what, source.Redact(err, s.token))
	case http.StatusUnauthorized:
		if s.token == "" {
			return fmt.Errorf("GitLab answered 401 for %s: it needs a token (token_env is not set)", what)
		}
		return fmt.Errorf("GitLab answered 401 for %s: the token is expired, revoked or wrong (%s)", what, s.cfg.TokenEnv)
	}
	return source.Redact(err, s.token)
}

// keep applies the fork, archived and topic filters.
func (s *Source) keep(p *project) bool {
	if p.ForkedFromProject != nil && !s.cfg.IncludeForks {
		return false
	}
	if p.Archived && !s.cfg.IncludeArchived {
		return false
	}
	if len(s.topicsExclude.Include) > 0 && slices.ContainsFunc(p.Topics, s.topicsExclude.Match) {
		return false
	}
	return len(s.topicsInclude.Include) == 0 || slices.ContainsFunc(p.Topics, s.topicsInclude.Match)
}

func (s *Source) repo(p *project) source.Repo {
	var topics []string
	if len(p.Topics) > 0 {
		topics = slices.Sorted(slices.Values(p.Topics))
	}
	web := strings.TrimSuffix(p.WebURL, "/")
	meta := indexer.Repo{
		Name:          p.PathWithNamespace,
		URL:           web,
		DefaultBranch: p.DefaultBranch,
		Archived:      p.Archived,
		Fork:          p.ForkedFromProject != nil,
		Topics:        topics,
		Visibility:    p.Visibility,
		PushedAt:      utc(p.LastActivityAt),
		CreatedAt:     utc(p.CreatedAt),
		UpdatedAt:     utc(p.UpdatedAt),
	}
	if web != "" {
		meta.Link, meta.LineLink = web+"/-/blob/{commit}/{path}", "#L{line}"
	}
	cloneURL, empty, activity := p.HTTPURLToRepo, p.EmptyRepo, utc(p.LastActivityAt)
	return source.Repo{
		Meta: meta,
		Open: func(ctx context.Context) (*git.Repository, error) {
			return s.open(ctx, meta.Name, cloneURL, empty, activity)
		},
	}
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// open brings the project's mirror up to date and opens it.
func (s *Source) open(ctx context.Context, name, cloneURL string, empty bool, activity time.Time) (*git.Repository, error) {
	dir := filepath.Join(s.root, source.MirrorDir(name))
	v := version(activity, s.now())
	if r, ok := source.Current(s.st, name, v, dir); ok {
		return r, nil
	}
	if empty {
		s.st.Forget(name)
		return nil, source.ErrEmpty
	}
	auth, err := s.gitAuth(cloneURL)
	if err != nil {
		return nil, fmt.Errorf("mirror %s: %w", name, err)
	}
	return source.FetchMirror(ctx, s.st, source.Fetch{
		Forge: "GitLab", Name: name, Dir: dir, Version: v,
		URL: source.StripCredentials(cloneURL), Auth: auth, Secrets: []string{s.token}, Slots: s.fetches,
	}, s.log)
}

// gitAuth is the clone credential for cloneURL: the token as the password
// of user oauth2, which GitLab takes for every kind of access token. It
// goes over https, or to api_url's own host (whose scheme the
// configuration chose), never in clear to another host a listing names.
func (s *Source) gitAuth(cloneURL string) (gittransport.AuthMethod, error) {
	if s.token == "" {
		return nil, nil
	}
	u, err := url.Parse(cloneURL)
	if err != nil {
		return nil, fmt.Errorf("clone URL %q: %w", source.StripCredentials(cloneURL), err)
	}
	if u.Scheme != "https" && !strings.EqualFold(u.Hostname(), s.apiHost) {
		return nil, fmt.Errorf("refusing to send the token to %s over %s: GitLab's http_url_to_repo should be https (or on api_url's host)", u.Host, u.Scheme)
	}
	return &githttp.BasicAuth{Username: "oauth2", Password: s.token}, nil
}

// fileName maps a host or scope name to one path element that cannot
// escape its folder, injectively (source.MirrorDir's encoding).
func fileName(s string) string {
	name := strings.TrimSuffix(source.MirrorDir(s), ".git")
	if name == "" || name == "." || name == ".." {
		name = "_" + name
	}
	return name
}

// version is what the state file keeps of a last_activity_at. While GitLab
// may still hold last_activity_at back after a push (within
// activityThrottle of it), there is none: the fetch always runs and is not
// recorded.
func version(activity, now time.Time) string {
	if activity.IsZero() || now.Before(activity.Add(activityThrottle)) {
		return ""
	}
	return activity.UTC().Format(time.RFC3339Nano)
}

var (
	_ source.Changer        = (*Source)(nil)
	_ forgeapi.Instrumented = (*Source)(nil)
)
