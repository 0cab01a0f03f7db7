package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v57/github"

	"github.com/trawl-dev/trawl/config"
)

// MirrorDir is the folder of the bare mirror a Source keeps for the
// repository fullName (owner/name) below mirrors, so that trawl change
// reads the same objects the crawl indexed without fetching.
func MirrorDir(cfg *config.GitHub, mirrors, fullName string) (string, error) {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || strings.Contains(name, "/") {
		return "", fmt.Errorf("%q is not owner/name", fullName)
	}
	u, err := apiURL(cfg)
	if err != nil {
		return "", err
	}
	return mirrorPath(mirrorRoot(mirrors, u.Host), owner, name), nil
}

// Owns reports whether the repository fullName belongs to cfg's owner.
func Owns(cfg *config.GitHub, fullName string) bool {
	owner, _, ok := strings.Cut(fullName, "/")
	return ok && (strings.EqualFold(owner, cfg.Org) && cfg.Org != "" || strings.EqualFold(owner, cfg.User) && cfg.User != "")
}

func apiURL(cfg *config.GitHub) (*url.URL, error) {
	raw := cfg.APIURL
	if raw == "" {
		raw = defaultAPIURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("api_url %q is not a URL", raw)
	}
	return u, nil
}

// PullRequest is what trawl change keeps of a pull request.
type PullRequest struct {
	Number int
	URL    string // web page
	State  string // open, closed or merged
	Head   string // head commit
}

// PullRequests opens and follows pull requests with write credentials:
// a token of its own or the source's GitHub App, never the crawl's read
// token.
type PullRequests struct {
	client *gh.Client
	token  func(ctx context.Context) (string, error)
}

// NewPullRequests prepares pull-request calls for cfg's host. The token
// comes from writeTokenEnv when set, else from cfg's GitHub App (which
// needs the contents and pull-requests write permissions).
func NewPullRequests(cfg *config.GitHub, writeTokenEnv string, opts Options) (*PullRequests, error) {
	u, err := apiURL(cfg)
	if err != nil {
		return nil, err
	}
	p := &PullRequests{}
	// p.token is set below; the transport asks for it at each call.
	tr := newTransport(u.Host, func(ctx context.Context) (string, error) { return p.token(ctx) }, opts, 2, nil)
	p.client = gh.NewClient(&http.Client{Transport: tr})
	if strings.TrimRight(u.String(), "/") != defaultAPIURL {
		if p.client, err = p.client.WithEnterpriseURLs(u.String(), u.String()); err != nil {
			return nil, fmt.Errorf("api_url: %w", err)
		}
	}
	switch {
	case writeTokenEnv != "":
		tok, err := config.Secret(writeTokenEnv)
		if err != nil {
			return nil, err
		}
		p.token = func(context.Context) (string, error) { return tok, nil }
	case cfg.AppID != 0:
		app, err := newAppToken(cfg, p.client.BaseURL, opts)
		if err != nil {
			return nil, err
		}
		p.token = app.Token
	default:
		return nil, errors.New("no write credentials: set change.write[].write_token_env for this repository or a GitHub App on its source (the crawl token is never used to write)")
	}
	return p, nil
}

// Token returns the write token, for pushes over HTTPS.
func (p *PullRequests) Token(ctx context.Context) (string, error) { return p.token(ctx) }

// Ensure returns the pull request from head into base of repo (owner/name),
// opening it when none exists in any state, and updating its title and
// body when it is open: a campaign run twice never opens a second one.
func (p *PullRequests) Ensure(ctx context.Context, repo, head, base, title, body string) (PullRequest, bool, error) {
	owner, name, _ := strings.Cut(repo, "/")
	found, err := p.find(ctx, owner, name, head)
	if err != nil {
		return PullRequest{}, false, err
	}
	if found != nil {
		if found.GetState() == "open" && (found.GetTitle() != title || found.GetBody() != body) {
			upd, _, err := p.client.PullRequests.Edit(ctx, owner, name, found.GetNumber(), &gh.PullRequest{Title: &title, Body: &body})
			if err != nil {
				return PullRequest{}, false, fmt.Errorf("update pull request #%d: %w", found.GetNumber(), err)
			}
			found = upd
		}
		return convert(found), false, nil
	}
	pr, _, err := p.client.PullRequests.Create(ctx, owner, name, &gh.NewPullRequest{
		Title: &title, Head: &head, Base: &base, Body: &body,
	})
	if err != nil {
		return PullRequest{}, false, fmt.Errorf("open pull request: %w", err)
	}
	return convert(pr), true, nil
}

// find looks the pull request up by its head branch, in every state.
func (p *PullRequests) find(ctx context.Context, owner, name, head string) (*gh.PullRequest, error) {
	opt := &gh.PullRequestListOptions{State: "all", Head: owner + ":" + head, ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		prs, resp, err := p.client.PullRequests.List(ctx, owner, name, opt)
		if err != nil {
			return nil, fmt.Errorf("list pull requests: %w", err)
		}
		for _, pr := range prs {
			// The head filter is the API's; checking it again keeps a
			// server that ignores it from pairing the wrong request.
			if pr.GetHead().GetRef() == head {
				return pr, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opt.Page = resp.NextPage
	}
}

// Get reads a pull request's current state.
func (p *PullRequests) Get(ctx context.Context, repo string, number int) (PullRequest, error) {
	owner, name, _ := strings.Cut(repo, "/")
	pr, _, err := p.client.PullRequests.Get(ctx, owner, name, number)
	if err != nil {
		return PullRequest{}, fmt.Errorf("get pull request #%d: %w", number, err)
	}
	return convert(pr), nil
}

func convert(pr *gh.PullRequest) PullRequest {
	state := pr.GetState()
	if pr.GetMerged() || pr.MergedAt != nil {
		state = "merged"
	}
	return PullRequest{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), State: state, Head: pr.GetHead().GetSHA()}
}
