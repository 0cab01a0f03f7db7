// Package bitbucket is the source for Bitbucket: Data Center and Server
// through REST 1.0 (a project's repositories, or every repository the
// token can see), and Bitbucket Cloud through API 2.0 (a workspace,
// optionally narrowed to one project). It lists repositories with their
// metadata and permalinks, mirrors each one over HTTPS with the token, and
// skips fetches that cannot bring anything new.
//
// Atlassian publishes no Go client for either API, and the community ones
// either cover Cloud only or are no longer kept; trawl needs two paged
// listing calls, so a small client over forgeapi (retries, rate limits,
// ETags, HTML login pages) is less code to trust than a dependency.
package bitbucket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	gittransport "github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/forgeapi"
)

// CloudAPIURL is Bitbucket Cloud's API, the default when workspace is set.
const CloudAPIURL = "https://api.bitbucket.org/2.0"

// tokenUser is the user name Bitbucket takes with an access token over
// git when no user name is configured.
const tokenUser = "x-token-auth"

// Options tune a Source.
type Options = forgeapi.SourceOptions

// Source lists the repositories of one Bitbucket scope and mirrors them.
// It implements source.Source and source.Changer.
type Source struct {
	cfg   *config.Bitbucket
	cloud bool
	scope string // "project ACME", "workspace acme", "bitbucket.example.com"
	api   string // API base URL without a trailing slash
	user  string // git user name
	token string

	client  *http.Client
	tr      *forgeapi.Transport
	st      *forgeapi.State
	root    string // this host's mirrors
	fetches chan struct{}
	log     *slog.Logger
}

// New prepares a source for cfg with its mirrors and state below mirrors.
// It reads the token now, so that a missing secret is reported before any
// work.
func New(cfg *config.Bitbucket, mirrors string, opts Options) (*Source, error) {
	s := &Source{cfg: cfg, cloud: cfg.Workspace != ""}
	apiURL := strings.TrimRight(cfg.APIURL, "/")
	switch {
	case s.cloud:
		s.scope = "workspace " + cfg.Workspace
		if cfg.Project != "" {
			s.scope += " project " + cfg.Project
		}
		if apiURL == "" {
			apiURL = CloudAPIURL
		}
	case apiURL == "":
		return nil, errors.New("bitbucket source: api_url is required for Data Center/Server (https://bitbucket.example.com/rest/api/1.0); set workspace for Bitbucket Cloud")
	default:
		apiURL = dcAPIBase(apiURL)
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("bitbucket source: api_url %q is not an http(s) URL", cfg.APIURL)
	}
	if !s.cloud {
		s.scope = u.Host
		if cfg.Project != "" {
			s.scope = "project " + cfg.Project
		}
	}
	s.api = apiURL
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s.log = opts.Logger.With("source", s.Name())
	if cfg.TokenEnv != "" {
		if s.token, err = config.Secret(cfg.TokenEnv); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name(), err)
		}
	}
	s.user = cfg.Username
	if s.user == "" {
		s.user = tokenUser
	}
	concurrency := max(cfg.Concurrency, 1)
	s.fetches = make(chan struct{}, concurrency)
	s.root = filepath.Join(mirrors, "bitbucket", fileName(u.Host))
	s.st = forgeapi.LoadState(filepath.Join(s.root, stateFile(cfg)))
	s.tr = forgeapi.NewTransport(forgeapi.Options{
		Forge:       "Bitbucket",
		Host:        u.Host,
		Auth:        s.authorize,
		Base:        opts.Transport,
		Sleep:       opts.Sleep,
		Logger:      s.log,
		Concurrency: concurrency,
		Retries:     opts.Retries,
		State:       s.st,
	})
	s.client = &http.Client{Transport: s.tr}
	return s, nil
}

// dcAPIBase accepts the REST base (…/rest/api/1.0 or …/rest/api/latest)
// or the server's own address, and returns the REST 1.0 base.
func dcAPIBase(apiURL string) string {
	for _, suffix := range []string{"/rest/api/1.0", "/rest/api/latest"} {
		if base, ok := strings.CutSuffix(apiURL, suffix); ok {
			return base + "/rest/api/1.0"
		}
	}
	return apiURL + "/rest/api/1.0"
}

// stateFile names the state file of one source: sources of one host
// share the mirrors folder but not their listing state.
func stateFile(cfg *config.Bitbucket) string {
	switch {
	case cfg.Workspace != "":
		name := "workspace-" + cfg.Workspace
		if cfg.Project != "" {
			name += "-project-" + cfg.Project
		}
		return fileName(name) + ".state.json"
	case cfg.Project != "":
		return fileName("project-"+cfg.Project) + ".state.json"
	}
	return "all.state.json"
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

// authorize sets the API credentials: a Cloud app password is Basic auth
// with its user name; an HTTP access token (Data Center) or a Cloud
// access token is a Bearer token.
func (s *Source) authorize(_ context.Context, r *http.Request) error {
	switch {
	case s.token == "":
	case s.cloud && s.cfg.Username != "":
		r.SetBasicAuth(s.cfg.Username, s.token)
	default:
		r.Header.Set("Authorization", "Bearer "+s.token)
	}
	return nil
}

// Name implements source.Source; it never holds credentials.
func (s *Source) Name() string {
	if s.cloud {
		return "bitbucket cloud " + s.scope
	}
	return "bitbucket " + s.scope
}

// Stats reports the API calls made so far.
func (s *Source) Stats() forgeapi.Stats { return s.tr.Stats() }

// MarkChanged makes the next Open of repo fetch: a push webhook can
// arrive before the listing shows the push.
func (s *Source) MarkChanged(repo string) { s.st.Forget(repo) }

// List implements source.Source: every repository of the scope that the
// fork and archived filters accept. An error means the listing is
// incomplete; the repositories found so far come with it.
func (s *Source) List(ctx context.Context) ([]source.Repo, error) {
	var (
		repos []source.Repo
		err   error
	)
	if s.cloud {
		repos, err = s.listCloud(ctx)
	} else {
		repos, err = s.listDC(ctx)
	}
	if serr := s.st.Save(); serr != nil {
		s.log.Warn("cannot save Bitbucket state", "err", serr)
	}
	if err != nil {
		return repos, fmt.Errorf("list repositories of %s: %w", s.Name(), source.Redact(err, s.token))
	}
	return repos, nil
}

// listed is one repository of a listing pass; key identifies it across
// renames (Bitbucket's id or uuid).
type listed struct {
	key  string
	repo source.Repo
}

// maxPasses bounds the listings of one List: offset paging (both
// products' pages are offsets) shifts when a repository is created,
// deleted or renamed mid-listing, which shows as one listed twice and may
// hide another; a pass without duplicates is complete.
const maxPasses = 3

// collect runs pass until one lists no repository twice, at most
// maxPasses times, and returns the union of what the passes listed, each
// repository once (as the latest pass saw it: a rename keeps its id),
// filtered. If every pass saw the listing shift, it returns an error with
// the union: an incomplete listing deletes nothing.
func (s *Source) collect(what string, pass func(yield func(listed)) error) ([]source.Repo, error) {
	var (
		order []string
		byKey = map[string]source.Repo{}
	)
	result := func() []source.Repo {
		var out []source.Repo
		for _, k := range order {
			if r := byKey[k]; s.keep(r.Meta) {
				out = append(out, r)
			}
		}
		return out
	}
	for n := 1; ; n++ {
		dup := false
		this := map[string]bool{}
		err := pass(func(l listed) {
			if this[l.key] {
				dup = true
				return
			}
			this[l.key] = true
			if _, ok := byKey[l.key]; !ok {
				order = append(order, l.key)
			}
			byKey[l.key] = l.repo
		})
		switch {
		case err != nil:
			return result(), err
		case !dup:
			return result(), nil
		case n == maxPasses:
			return result(), fmt.Errorf("%s: the listing shifted while being paged, %d times in a row (a repository came twice, so another may be missing)", what, n)
		}
		s.log.Info("Bitbucket listing shifted while paging: listing again", "scope", what, "pass", n)
	}
}

// keep applies the fork and archived filters.
func (s *Source) keep(m indexer.Repo) bool {
	return (!m.Fork || s.cfg.IncludeForks) && (!m.Archived || s.cfg.IncludeArchived)
}

// gitAuth is the clone credential for cloneURL, which must be https when
// there is a token: git over plain http would hand the token to anyone on
// the path.
func (s *Source) gitAuth(cloneURL string) (gittransport.AuthMethod, error) {
	if s.token == "" {
		return nil, nil
	}
	u, err := url.Parse(cloneURL)
	if err != nil {
		return nil, fmt.Errorf("clone URL %q: %w", source.StripCredentials(cloneURL), err)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("refusing to send the token to %s over %s: Bitbucket must serve git over https", u.Host, u.Scheme)
	}
	return &githttp.BasicAuth{Username: s.user, Password: s.token}, nil
}

// mirror fetches cloneURL into the repository's mirror when version (what
// the forge says of the repository's state) differs from the last fetch's,
// and opens the mirror.
func (s *Source) mirror(ctx context.Context, name, cloneURL, version string, after func(*git.Repository) error) (*git.Repository, error) {
	dir := filepath.Join(s.root, source.MirrorDir(name))
	if r, ok := source.Current(s.st, name, version, dir); ok {
		return r, nil
	}
	auth, err := s.gitAuth(cloneURL)
	if err != nil {
		return nil, fmt.Errorf("mirror %s: %w", name, err)
	}
	return source.FetchMirror(ctx, s.st, source.Fetch{
		Forge: "Bitbucket", Name: name, Dir: dir, Version: version,
		URL: cloneURL, Auth: auth, Secrets: []string{s.token}, After: after,
	}, s.log)
}

// acquire takes one of the source's fetch slots.
func (s *Source) acquire(ctx context.Context) (release func(), err error) {
	select {
	case s.fetches <- struct{}{}:
		return func() { <-s.fetches }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// explain turns an API failure into a message that says what to check.
// what names the object asked for ("project ACME").
func explain(err error, what string) error {
	var se *forgeapi.StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Status {
	case http.StatusUnauthorized:
		return fmt.Errorf("Bitbucket refused the token: check token_env (and username for an app password): %w", err)
	case http.StatusForbidden:
		return fmt.Errorf("the token may not read %s (403): it needs project read and repository read permission: %w", what, err)
	case http.StatusNotFound:
		return fmt.Errorf("%s does not exist or the token cannot see it (404): %w", what, err)
	}
	return err
}
