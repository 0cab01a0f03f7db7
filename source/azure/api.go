package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/trawl-dev/trawl/source/forgeapi"
)

// apiVersion is asked of every call: Azure DevOps Services and Server
// 2022.1 and later answer 7.1 with the shapes below.
const apiVersion = "7.1"

// Page sizes. Azure caps a projects page at 100 (a larger $top is
// lowered) and a refs page at 1,000.
const (
	projectsPage = 100
	refsPage     = 1000
)

// maxPages bounds every continuation-token loop: a forge that keeps
// answering a next page (or repeats a token) must not keep the crawl
// listing for ever. 1,000 pages are 100,000 projects or a million
// branches of one repository.
const maxPages = 1000

// continuationHeader carries the token of the next page: Azure DevOps
// pages its listings with it rather than with links or page numbers.
const continuationHeader = "X-Ms-Continuationtoken"

// list is the envelope of every Azure DevOps collection answer.
type list[T any] struct {
	Count int `json:"count"`
	Value []T `json:"value"`
}

// project is a TeamProjectReference.
type project struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	State          string `json:"state"`      // wellFormed, createPending, deleting, new
	Visibility     string `json:"visibility"` // private, public (Services only)
	LastUpdateTime string `json:"lastUpdateTime"`
}

// repository is a GitRepository.
type repository struct {
	ID              string  `json:"id"`
	Name            string  `json:"name"`
	Project         project `json:"project"`
	DefaultBranch   string  `json:"defaultBranch"` // refs/heads/main; absent for an empty repository
	Size            int64   `json:"size"`
	RemoteURL       string  `json:"remoteUrl"` // https://acme@dev.azure.com/acme/web/_git/api
	WebURL          string  `json:"webUrl"`
	IsDisabled      bool    `json:"isDisabled"`
	IsInMaintenance bool    `json:"isInMaintenance"`
	IsFork          bool    `json:"isFork"`
}

// ref is a GitRef.
type ref struct {
	Name     string `json:"name"` // refs/heads/main
	ObjectID string `json:"objectId"`
}

// collectionURL is the base of every call: {api_url}/{organization}. A
// Server api_url may already name the collection
// (https://tfs.example.com/tfs/DefaultCollection), and a legacy
// https://{org}.visualstudio.com URL names the organisation in its host:
// neither gets the organisation appended again.
func collectionURL(apiURL, org string) string {
	base := strings.TrimRight(apiURL, "/")
	u, err := url.Parse(base)
	if err == nil {
		last := u.Path[strings.LastIndex(u.Path, "/")+1:]
		if strings.EqualFold(last, org) {
			return base
		}
		if host := strings.ToLower(u.Hostname()); strings.HasSuffix(host, ".visualstudio.com") &&
			strings.EqualFold(strings.TrimSuffix(host, ".visualstudio.com"), org) && strings.Trim(u.Path, "/") == "" {
			return base
		}
	}
	return base + "/" + url.PathEscape(org)
}

// get is forgeapi.GetJSON with Azure DevOps' own ways of saying no turned
// into errors that name what was asked (what: "organization acme").
func (s *Source) get(ctx context.Context, u, what string, v any) (http.Header, error) {
	h, err := forgeapi.GetJSON(ctx, s.client, u, v)
	if err != nil {
		return h, explain(what, s.redact(err))
	}
	return h, nil
}

// explain says what an Azure DevOps refusal means for what.
func explain(what string, err error) error {
	var se *forgeapi.StatusError
	var he *forgeapi.HTMLError
	switch {
	case errors.As(err, &he) && he.Status == http.StatusNonAuthoritativeInfo:
		// Azure DevOps answers a request with a bad or expired PAT with
		// 203 and its sign-in page, not with 401.
		return fmt.Errorf("%s: Azure DevOps answered its sign-in page (203) instead of JSON: the personal access token is expired, revoked or not valid for this organization: %w", what, err)
	case errors.As(err, &he):
		return fmt.Errorf("%s: %w", what, err)
	case errors.As(err, &se) && se.Status == http.StatusUnauthorized:
		return fmt.Errorf("%s: Azure DevOps refused the personal access token (401): it is expired, revoked, or not valid for this organization: %w", what, err)
	case errors.As(err, &se) && se.Status == http.StatusForbidden:
		return fmt.Errorf("%s: the personal access token may not read it (403): it needs the Code (Read) and Project and Team (Read) scopes: %w", what, err)
	case errors.As(err, &se) && se.Status == http.StatusNotFound:
		return fmt.Errorf("%s: not found, or not visible to the personal access token (404): %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// projects lists the organisation's projects, or the one configured.
func (s *Source) projects(ctx context.Context) ([]project, error) {
	if s.cfg.Project != "" {
		var p project
		u := s.base + "/_apis/projects/" + url.PathEscape(s.cfg.Project) + "?api-version=" + apiVersion
		if _, err := s.get(ctx, u, "project "+s.cfg.Organization+"/"+s.cfg.Project, &p); err != nil {
			return nil, err
		}
		if p.ID == "" || p.Name == "" {
			return nil, fmt.Errorf("project %s/%s: Azure DevOps answered a project without id or name", s.cfg.Organization, s.cfg.Project)
		}
		return []project{p}, nil
	}
	var all []project
	seen := map[string]bool{}
	err := paged(ctx, func(token string) (string, error) {
		u := fmt.Sprintf("%s/_apis/projects?api-version=%s&$top=%d", s.base, apiVersion, projectsPage)
		if token != "" {
			u += "&continuationToken=" + url.QueryEscape(token)
		}
		var l list[project]
		h, err := s.get(ctx, u, "organization "+s.cfg.Organization, &l)
		if err != nil {
			return "", err
		}
		for _, p := range l.Value {
			// A project created or renamed between two pages can show
			// on both: list it once.
			if p.ID != "" && !seen[p.ID] {
				seen[p.ID] = true
				all = append(all, p)
			}
		}
		return h.Get(continuationHeader), nil
	})
	if err != nil {
		return all, fmt.Errorf("list projects: %w", err)
	}
	return all, nil
}

// repositories lists the Git repositories of one project; Azure answers
// them all at once.
func (s *Source) repositories(ctx context.Context, p project) ([]repository, error) {
	u := s.base + "/" + url.PathEscape(p.ID) + "/_apis/git/repositories?api-version=" + apiVersion
	var l list[repository]
	if _, err := s.get(ctx, u, "project "+s.cfg.Organization+"/"+p.Name, &l); err != nil {
		return nil, err
	}
	return l.Value, nil
}

// heads lists the branches of a repository with their commits.
func (s *Source) heads(ctx context.Context, r repository, full string) ([]ref, error) {
	var refs []ref
	err := paged(ctx, func(token string) (string, error) {
		u := fmt.Sprintf("%s/%s/_apis/git/repositories/%s/refs?filter=heads/&api-version=%s&$top=%d",
			s.base, url.PathEscape(r.Project.ID), url.PathEscape(r.ID), apiVersion, refsPage)
		if token != "" {
			u += "&continuationToken=" + url.QueryEscape(token)
		}
		var l list[ref]
		h, err := s.get(ctx, u, "repository "+full, &l)
		if err != nil {
			return "", err
		}
		refs = append(refs, l.Value...)
		return h.Get(continuationHeader), nil
	})
	return refs, err
}

// paged calls page with each continuation token until the answer carries
// none. A token answered twice in a row, or more than maxPages pages,
// stops it with an error: the listing would be incomplete.
func paged(ctx context.Context, page func(token string) (next string, err error)) error {
	token := ""
	for n := 0; ; n++ {
		if n == maxPages {
			return fmt.Errorf("stopped after %d pages: Azure DevOps keeps answering a continuation token", maxPages)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		next, err := page(token)
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		if next == token {
			return fmt.Errorf("Azure DevOps answered the continuation token it was sent (%q): the listing would never end", next)
		}
		token = next
	}
}

// unconditional removes If-None-Match from the requests of paged
// listings. The forgeapi cache keeps a page's body but not the
// x-ms-continuationtoken header that says a next page exists, so a 304
// turned back into the cached page would end the listing early; and
// repositories missing from a listing are deleted from the index. Single
// answers (a project's repositories) stay conditional.
type unconditional struct{ base http.RoundTripper }

func (u unconditional) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("If-None-Match") != "" && r.URL.Query().Has("$top") {
		r = r.Clone(r.Context())
		r.Header.Del("If-None-Match")
	}
	return u.base.RoundTrip(r)
}
