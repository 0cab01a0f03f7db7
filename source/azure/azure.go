// Package azure is the source for the Git repositories of an Azure DevOps
// organisation (every project, or one), on Azure DevOps Services
// (dev.azure.com, {org}.visualstudio.com) or Azure DevOps Server (a
// collection such as https://tfs.example.com/tfs/DefaultCollection).
//
// It talks REST through forgeapi.GetJSON rather than the official client,
// microsoft/azure-devops-go-api: that module generates a client for
// every area of Azure DevOps (work items, pipelines, test plans...) and
// its own HTTP layer, while trawl needs three GET calls (projects,
// repositories, refs) and forgeapi's retries, rate-limit waits, HTML
// detection and counters under them.
//
// Azure's repository listing says nothing of pushes (no pushed_at), a
// project's lastUpdateTime describes the project rather than its
// repositories' pushes, and Azure documents no ETags on these listings
// (forgeapi sends If-None-Match wherever one was seen; paged listings go
// unconditional, see unconditional). So before fetching a repository the
// source asks for its branch heads (one refs call, heads only) and
// fetches only when their digest differs from the one at the last fetch:
// a crawl with nothing pushed costs the listing calls plus one small call
// per repository, and no git traffic. Measured on a local git
// http-backend, a refs call for 33 branches took 3-4 ms and the no-op
// fetch it replaces 16-42 ms (a git process, an advertisement of every
// branch and tag, the mirror opened). Push service hooks (Webhook) make
// the next Open fetch at once.
package azure

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/forgeapi"
)

// Options tune a Source.
type Options = forgeapi.SourceOptions

// Source lists the repositories of one organisation (or one of its
// projects) and mirrors them below the mirrors folder.
type Source struct {
	cfg     *config.Azure
	base    string // {api_url}/{organization}
	host    string // the API's host: the PAT is sent there only
	pat     string
	client  *http.Client
	tr      *forgeapi.Transport
	st      *forgeapi.State
	root    string
	fetches chan struct{}
	log     *slog.Logger
}

// New prepares a source for cfg, keeping its mirrors and state below
// mirrors. It reads the PAT now, so that a missing secret is reported
// before any work.
func New(cfg *config.Azure, mirrors string, opts Options) (*Source, error) {
	if cfg.Organization == "" {
		return nil, errors.New("azure source: organization is required")
	}
	name := cfg.Organization
	if cfg.Project != "" {
		name += "/" + cfg.Project
	}
	apiURL := cfg.APIURL
	if apiURL == "" {
		apiURL = "https://dev.azure.com"
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("azure source %s: api_url %q is not an http(s) URL", name, source.StripCredentials(apiURL))
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Source{
		cfg:     cfg,
		base:    collectionURL(apiURL, cfg.Organization),
		host:    u.Host,
		fetches: make(chan struct{}, max(cfg.Concurrency, 1)),
		log:     opts.Logger.With("source", "azure "+name),
	}
	if cfg.TokenEnv != "" {
		if s.pat, err = config.Secret(cfg.TokenEnv); err != nil {
			return nil, fmt.Errorf("azure source %s: %w", name, err)
		}
	}
	s.root = filepath.Join(mirrors, "azure", strings.ReplaceAll(u.Host, ":", "_"))
	s.st = forgeapi.LoadState(filepath.Join(s.root, strings.TrimSuffix(source.MirrorDir(name), ".git")+".state.json"))
	base := opts.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	s.tr = forgeapi.NewTransport(forgeapi.Options{
		Forge: "Azure DevOps",
		Host:  u.Host,
		Auth: func(_ context.Context, r *http.Request) error {
			if s.pat != "" {
				// A PAT is the password of basic auth; the user is
				// ignored, so none is sent.
				r.SetBasicAuth("", s.pat)
			}
			return nil
		},
		Base:        unconditional{base},
		Sleep:       opts.Sleep,
		Logger:      s.log,
		Concurrency: max(cfg.Concurrency, 1),
		Retries:     opts.Retries,
		State:       s.st,
	})
	s.client = &http.Client{Transport: s.tr, CheckRedirect: sameHost(u.Host)}
	return s, nil
}

// sameHost stops redirects that leave the API's host: Azure DevOps
// redirects an unauthenticated call to its sign-in host, and the answer
// there (HTML) says less than the redirect itself.
func sameHost(host string) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != host {
			return fmt.Errorf("Azure DevOps redirected the call to %s (a sign-in page?): the personal access token is missing, expired or revoked", req.URL.Host)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// Name implements source.Source.
func (s *Source) Name() string {
	if s.cfg.Project != "" {
		return "azure project " + s.cfg.Organization + "/" + s.cfg.Project
	}
	return "azure organization " + s.cfg.Organization
}

// Stats reports the API calls made so far.
func (s *Source) Stats() forgeapi.Stats { return s.tr.Stats() }

// MarkChanged makes the next Open of repo fetch even if its branch heads
// look unchanged: a push service hook says it moved.
func (s *Source) MarkChanged(repo string) { s.st.Forget(repo) }

// List implements source.Source: every repository of every project the
// PAT can read (or of the configured project), forks only when
// include_forks is set. Disabled repositories cannot be read and are
// left out, each with a log line saying so.
func (s *Source) List(ctx context.Context) ([]source.Repo, error) {
	repos, err := s.list(ctx)
	if serr := s.st.Save(); serr != nil {
		s.log.Warn("cannot save Azure DevOps listing state", "err", serr)
	}
	return repos, err
}

func (s *Source) list(ctx context.Context) ([]source.Repo, error) {
	projects, err := s.projects(ctx)
	if err != nil {
		return nil, err
	}
	// One call per project, in parallel: the transport bounds the calls
	// in flight to concurrency.
	listed := make([][]repository, len(projects))
	errs := make([]error, len(projects))
	var wg sync.WaitGroup
	for i, p := range projects {
		wg.Add(1)
		go func() {
			defer wg.Done()
			listed[i], errs[i] = s.repositories(ctx, p)
		}()
	}
	wg.Wait()
	var out []source.Repo
	seen := map[string]bool{}
	for i, p := range projects {
		if errs[i] != nil {
			return out, fmt.Errorf("list repositories of %s: %w", s.cfg.Organization+"/"+p.Name, errs[i])
		}
		for _, r := range listed[i] {
			if r.ID == "" || r.Name == "" || seen[r.ID] {
				continue // a repository moved between projects mid-listing is listed once
			}
			seen[r.ID] = true
			if r.Project.ID == "" {
				r.Project.ID, r.Project.Name = p.ID, p.Name
			}
			if r.Project.Name == "" {
				r.Project.Name = p.Name
			}
			if r.Project.Visibility == "" {
				r.Project.Visibility = p.Visibility
			}
			full := s.fullName(r)
			switch {
			case r.IsDisabled:
				s.log.Info("repository skipped", "repo", full, "reason", "disabled in Azure DevOps (isDisabled): its content cannot be read")
				continue
			case r.IsFork && !s.cfg.IncludeForks:
				continue
			}
			out = append(out, s.repo(full, r))
		}
	}
	return out, nil
}

// fullName is organization/project/repo, the organisation spelled as
// Azure's own URLs spell it (service hooks name repositories from the
// same URLs, so a push finds its repository whatever the case of the
// configured organization).
func (s *Source) fullName(r repository) string {
	org := organization(r.WebURL, r.Project.Name)
	if org == "" {
		org = organization(r.RemoteURL, r.Project.Name)
	}
	if org == "" {
		org = s.cfg.Organization
	}
	return org + "/" + r.Project.Name + "/" + r.Name
}

func (s *Source) repo(full string, r repository) source.Repo {
	web := strings.TrimRight(r.WebURL, "/")
	meta := indexer.Repo{
		Name:          full,
		URL:           web,
		DefaultBranch: strings.TrimPrefix(r.DefaultBranch, "refs/heads/"),
		Fork:          r.IsFork,
		Visibility:    strings.ToLower(r.Project.Visibility),
	}
	if web != "" {
		meta.Link, meta.LineLink = web+linkTemplate, lineTemplate
	}
	return source.Repo{
		Meta: meta,
		Open: func(ctx context.Context) (*git.Repository, error) { return s.open(ctx, meta, r) },
	}
}

// Permalink templates (indexer.Repo.Link, LineLink). _a=contents opens
// the file rather than its history. Azure DevOps selects the range from
// (line, lineStartColumn) to (lineEnd, lineEndColumn): its own "copy
// link" for line n says lineEnd=n+1 and lineEndColumn=1, which a
// template of {line} alone cannot say, so the range ends on the same
// line past its last column, which the viewer clamps to the line's end;
// lineEndColumn=1 would select nothing.
const (
	linkTemplate = "?path=/{qpath}&version=GC{commit}&_a=contents"
	lineTemplate = "&line={line}&lineEnd={line}&lineStartColumn=1&lineEndColumn=1000000&lineStyle=plain"
)

// open brings the repository's mirror up to date, fetching only when its
// branch heads moved since the last fetch, and opens it.
func (s *Source) open(ctx context.Context, meta indexer.Repo, r repository) (*git.Repository, error) {
	dir := filepath.Join(s.root, source.MirrorDir(meta.Name))
	heads, err := s.heads(ctx, r, meta.Name)
	if err != nil {
		return nil, fmt.Errorf("list branches of %s: %w", meta.Name, err)
	}
	if len(heads) == 0 {
		s.st.Forget(meta.Name)
		return nil, source.ErrEmpty
	}
	// The heads are read before the fetch: a push in between leaves an
	// older digest recorded, which costs one more fetch next time, never
	// a missed one.
	v := version(heads)
	if repo, ok := source.Current(s.st, meta.Name, v, dir); ok {
		return repo, nil
	}
	remote, err := s.remote(r.RemoteURL)
	if err != nil {
		return nil, fmt.Errorf("mirror %s: %w", meta.Name, err)
	}
	f := source.Fetch{Forge: "Azure DevOps", Name: meta.Name, Dir: dir, Version: v, URL: remote, Slots: s.fetches}
	if s.pat != "" {
		// Azure DevOps takes any user name with a PAT, as the API does.
		f.Auth = &githttp.BasicAuth{Password: s.pat}
		f.Secrets = []string{s.pat, basicValue(s.pat)}
	}
	return source.FetchMirror(ctx, s.st, f, s.log)
}

// remote is a repository's clone URL without the user name Azure puts in
// it (https://acme@dev.azure.com/...). The PAT goes only to the API's
// host: a remoteUrl elsewhere is refused rather than sent it.
func (s *Source) remote(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("Azure DevOps answered a remoteUrl that is not a URL: %q", source.StripCredentials(raw))
	}
	if s.pat != "" && u.Host != s.host && !sameService(s.host, u.Hostname()) {
		return "", fmt.Errorf("remoteUrl host %s is not the API's host %s: trawl sends the personal access token to the API's host only", u.Host, s.host)
	}
	return source.StripCredentials(raw), nil
}

// sameService reports whether a clone host is Azure DevOps Services
// when the API is: an organisation made before 2018 may answer
// {org}.visualstudio.com clone URLs to calls made at dev.azure.com, and
// one PAT serves both.
func sameService(apiHost, cloneHost string) bool {
	return strings.EqualFold(apiHost, "dev.azure.com") && strings.HasSuffix(strings.ToLower(cloneHost), ".visualstudio.com")
}

// version is the state file's record of a repository: a digest of its
// branch heads, which moves with every push, branch creation or deletion.
func version(heads []ref) string {
	lines := make([]string, 0, len(heads))
	for _, h := range heads {
		lines = append(lines, h.Name+" "+h.ObjectID)
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "heads:" + hex.EncodeToString(sum[:])
}

// redact removes the PAT, raw and as basic-auth base64, from an error.
func (s *Source) redact(err error) error {
	if s.pat == "" {
		return err
	}
	return source.Redact(err, s.pat, basicValue(s.pat))
}

func basicValue(pat string) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	r.SetBasicAuth("", pat)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}
