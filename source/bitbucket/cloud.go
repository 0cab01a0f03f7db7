package bitbucket

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/forgeapi"
)

// cloudPageLen is the largest page API 2.0 serves.
const cloudPageLen = 100

// maxCloudPages bounds one listing: 100,000 repositories, far above the
// largest workspace, so that a server handing out next links in a circle
// cannot keep a crawl going.
const maxCloudPages = 1000

// cloudPage is API 2.0's paged answer.
type cloudPage struct {
	Next   string      `json:"next"`
	Values []cloudRepo `json:"values"`
}

// cloudRepo holds the repository fields trawl reads.
type cloudRepo struct {
	UUID       string `json:"uuid"`
	FullName   string `json:"full_name"`
	Slug       string `json:"slug"`
	IsPrivate  bool   `json:"is_private"`
	CreatedOn  string `json:"created_on"`
	UpdatedOn  string `json:"updated_on"`
	Mainbranch *struct {
		Name string `json:"name"`
	} `json:"mainbranch"`
	Parent *struct {
		FullName string `json:"full_name"`
	} `json:"parent"` // forks only
	Project *struct {
		Key string `json:"key"`
	} `json:"project"`
	Links struct {
		HTML struct {
			Href string `json:"href"`
		} `json:"html"`
		Clone []struct {
			Href string `json:"href"`
			Name string `json:"name"`
		} `json:"clone"`
	} `json:"links"`
}

// listCloud pages through the workspace's repositories by their next
// links, narrowed to the project server-side when one is configured.
func (s *Source) listCloud(ctx context.Context) ([]source.Repo, error) {
	ws := s.cfg.Workspace
	what := "workspace " + ws
	q := url.Values{"pagelen": {strconv.Itoa(cloudPageLen)}}
	if s.cfg.Project != "" {
		q.Set("q", `project.key="`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s.cfg.Project)+`"`)
	}
	first := s.api + "/repositories/" + url.PathEscape(ws) + "?" + q.Encode()
	listedAny := false
	repos, err := s.collect(what, func(yield func(listed)) error {
		visited := map[string]bool{}
		for next, pages := first, 0; next != ""; pages++ {
			if pages == maxCloudPages || visited[next] {
				return fmt.Errorf("%s: Bitbucket's next links went on past %d pages or in a circle", what, pages)
			}
			visited[next] = true
			var page cloudPage
			if _, err := forgeapi.GetJSON(ctx, s.client, next, &page); err != nil {
				return explain(err, what)
			}
			for _, r := range page.Values {
				listedAny = true
				m, cloneURL, ok := s.cloudMeta(r)
				if !ok {
					s.log.Warn("Bitbucket repository without an https clone link: skipped", "repo", m.Name)
					continue
				}
				if s.cfg.Project != "" && (r.Project == nil || r.Project.Key != s.cfg.Project) {
					continue
				}
				key := r.UUID
				if key == "" {
					key = m.Name
				}
				version := r.UpdatedOn
				yield(listed{key: key, repo: source.Repo{
					Meta: m,
					Open: func(ctx context.Context) (*git.Repository, error) {
						release, err := s.acquire(ctx)
						if err != nil {
							return nil, err
						}
						defer release()
						return s.mirror(ctx, m.Name, cloneURL, version, nil)
					},
				}})
			}
			next = page.Next
		}
		return nil
	})
	if err == nil && !listedAny && s.cfg.Project != "" {
		// The filter matches nothing: say whether the project exists.
		var project struct{}
		u := s.api + "/workspaces/" + url.PathEscape(ws) + "/projects/" + url.PathEscape(s.cfg.Project)
		if _, err := forgeapi.GetJSON(ctx, s.client, u, &project); err != nil {
			return repos, explain(err, "project "+s.cfg.Project+" of workspace "+ws)
		}
	}
	return repos, err
}

// cloudMeta is what trawl records of r, with its https clone URL.
func (s *Source) cloudMeta(r cloudRepo) (indexer.Repo, string, bool) {
	m := indexer.Repo{
		Name:       r.FullName,
		URL:        strings.TrimSuffix(r.Links.HTML.Href, "/"),
		Fork:       r.Parent != nil,
		Visibility: "public",
	}
	if r.IsPrivate {
		m.Visibility = "private"
	}
	if r.Mainbranch != nil {
		m.DefaultBranch = r.Mainbranch.Name
	}
	m.CreatedAt = parseTime(r.CreatedOn)
	m.UpdatedAt = parseTime(r.UpdatedOn)
	if m.URL == "" {
		m.URL = "https://bitbucket.org/" + r.FullName
	}
	m.Link = m.URL + "/src/{commit}/{path}"
	m.LineLink = "#lines-{line}"
	for _, c := range r.Links.Clone {
		if c.Name == "https" {
			return m, source.StripCredentials(c.Href), true
		}
	}
	return m, "", false
}

// parseTime reads API 2.0's ISO 8601 times (microseconds and an offset);
// an unreadable one is left zero.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
