package bitbucket

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	gittransport "github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/forgeapi"
)

// dcPageLimit is the page size asked of Data Center; the server caps it
// (page.max.repositories, 1000 by default) and says so in "limit".
const dcPageLimit = 1000

// dcPage is REST 1.0's paged answer.
type dcPage struct {
	Size          int      `json:"size"`
	Limit         int      `json:"limit"`
	IsLastPage    bool     `json:"isLastPage"`
	Start         int      `json:"start"`
	NextPageStart *int     `json:"nextPageStart"`
	Values        []dcRepo `json:"values"`
}

// dcRepo holds the RestRepository fields trawl reads.
type dcRepo struct {
	ID      int    `json:"id"`
	Slug    string `json:"slug"`
	Name    string `json:"name"`
	State   string `json:"state"`
	Public  bool   `json:"public"`
	Project struct {
		Key    string `json:"key"`
		Public bool   `json:"public"`
	} `json:"project"`
	Archived bool `json:"archived"` // 8.0 and later
	// DefaultBranch appears in some versions' answers; otherwise the
	// default branch comes from the git ref advertisement (HEAD).
	DefaultBranch string  `json:"defaultBranch"`
	Origin        *dcRepo `json:"origin"` // forks only
	Links         dcLinks `json:"links"`
}

type dcLinks struct {
	Clone []struct {
		Href string `json:"href"`
		Name string `json:"name"`
	} `json:"clone"`
	Self []struct {
		Href string `json:"href"`
	} `json:"self"`
}

// listDC pages through a project's repositories, or every repository the
// token sees when no project is configured.
func (s *Source) listDC(ctx context.Context) ([]source.Repo, error) {
	path, what := "/repos", "the repositories the token can see"
	if s.cfg.Project != "" {
		path = "/projects/" + url.PathEscape(s.cfg.Project) + "/repos"
		what = "project " + s.cfg.Project
	}
	q := url.Values{"limit": {strconv.Itoa(dcPageLimit)}}
	if s.cfg.IncludeArchived {
		// 8.x lists active repositories only unless asked; older
		// versions ignore the parameter and list everything.
		q.Set("archived", "ALL")
	}
	return s.collect(what, func(yield func(listed)) error {
		start := 0
		for {
			q.Set("start", strconv.Itoa(start))
			var page dcPage
			if _, err := forgeapi.GetJSON(ctx, s.client, s.api+path+"?"+q.Encode(), &page); err != nil {
				return explain(err, what)
			}
			for _, r := range page.Values {
				m, cloneURL, ok := s.dcMeta(r)
				if !ok {
					s.log.Warn("Bitbucket repository without an http clone link: skipped", "repo", m.Name)
					continue
				}
				key := m.Name
				if r.ID != 0 {
					key = strconv.Itoa(r.ID)
				}
				yield(listed{key: key, repo: source.Repo{
					Meta: m,
					Open: func(ctx context.Context) (*git.Repository, error) { return s.openDC(ctx, m, cloneURL) },
				}})
			}
			if page.IsLastPage || len(page.Values) == 0 {
				return nil
			}
			next := start + len(page.Values)
			if page.NextPageStart != nil {
				next = *page.NextPageStart
			}
			if next <= start {
				// A server that does not advance would page forever.
				return fmt.Errorf("%s: Bitbucket paging did not advance (start %d, nextPageStart %d)", what, start, next)
			}
			start = next
		}
	})
}

// dcMeta is what trawl records of r, with its https clone URL.
func (s *Source) dcMeta(r dcRepo) (indexer.Repo, string, bool) {
	m := indexer.Repo{
		Name:          r.Project.Key + "/" + r.Slug,
		DefaultBranch: r.DefaultBranch,
		Archived:      r.Archived,
		Fork:          r.Origin != nil,
		Visibility:    "private",
	}
	if r.Public || r.Project.Public {
		m.Visibility = "public"
	}
	web := ""
	if len(r.Links.Self) > 0 {
		web = strings.TrimSuffix(r.Links.Self[0].Href, "/")
	}
	if web == "" {
		web = strings.TrimSuffix(s.api, "/rest/api/1.0") + "/projects/" + url.PathEscape(r.Project.Key) +
			"/repos/" + url.PathEscape(r.Slug) + "/browse"
	}
	if !strings.HasSuffix(web, "/browse") {
		web += "/browse"
	}
	m.URL = web
	m.Link = web + "/{path}?at={commit}"
	m.LineLink = "#{line}"
	for _, c := range r.Links.Clone {
		if c.Name == "http" {
			return m, source.StripCredentials(c.Href), true
		}
	}
	return m, "", false
}

// openDC mirrors a Data Center repository. Data Center's API says nothing
// of pushes (no pushed_at, no ETags), so the branch heads in git's ref
// advertisement are the version: one small request per repository, and no
// fetch when nothing moved.
func (s *Source) openDC(ctx context.Context, m indexer.Repo, cloneURL string) (*git.Repository, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	auth, err := s.gitAuth(cloneURL)
	if err != nil {
		return nil, fmt.Errorf("mirror %s: %w", m.Name, err)
	}
	refs, err := lsRemote(ctx, cloneURL, auth)
	if errors.Is(err, gittransport.ErrEmptyRemoteRepository) {
		s.st.Forget(m.Name)
		return nil, source.ErrEmpty
	}
	if err != nil {
		return nil, fmt.Errorf("list branches of %s: %w", m.Name, source.Redact(err, s.token))
	}
	version, head := refsVersion(refs)
	return s.mirror(ctx, m.Name, cloneURL, version, func(r *git.Repository) error {
		// The crawler takes the default branch from the mirror's HEAD
		// when the listing has none.
		if head == "" {
			return nil
		}
		return r.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, head))
	})
}

// lsRemote reads the remote's ref advertisement.
func lsRemote(ctx context.Context, cloneURL string, auth gittransport.AuthMethod) ([]*plumbing.Reference, error) {
	rem := git.NewRemote(memory.NewStorage(), &gitconfig.RemoteConfig{Name: "origin", URLs: []string{cloneURL}})
	return rem.ListContext(ctx, &git.ListOptions{Auth: auth})
}

// refsVersion digests the branch heads and HEAD's target: equal digests,
// equal branches. It returns HEAD's target too.
func refsVersion(refs []*plumbing.Reference) (version string, head plumbing.ReferenceName) {
	var lines []string
	for _, r := range refs {
		switch {
		case r.Name() == plumbing.HEAD && r.Type() == plumbing.SymbolicReference:
			head = r.Target()
			lines = append(lines, "HEAD "+r.Target().String())
		case r.Name().IsBranch() && r.Type() == plumbing.HashReference:
			lines = append(lines, r.Hash().String()+" "+r.Name().String())
		}
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "refs:" + hex.EncodeToString(sum[:]), head
}
