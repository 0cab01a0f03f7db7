package github_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
	"github.com/trawl-dev/trawl/source/github/githubtest"
)

// pagedHandler answers items n at a time with GitHub's Link header, as the
// list endpoints do.
func pagedHandler(f *githubtest.Server, path string, items []map[string]any, per int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+f.Token {
			githubtest.WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
			return
		}
		p := forgeapitest.PageOf(r.URL.Query(), "page", "", per, len(items))
		if p.N < p.Last {
			w.Header().Set("Link", fmt.Sprintf(`<%s%s?per_page=%d&page=%d>; rel="next", <%s%s?per_page=%d&page=%d>; rel="last"`,
				f.API.URL, path, per, p.N+1, f.API.URL, path, per, p.Last))
		}
		githubtest.WriteJSON(w, http.StatusOK, items[p.Lo:p.Hi])
	}
}

func TestRepositoryTaskCalls(t *testing.T) {
	f := githubtest.New(t, "acme", testToken)
	var branches, pulls, commits, teamA, teamB []map[string]any
	for i := range 45 { // more than github-crawler's one page of 30
		branches = append(branches, map[string]any{"name": fmt.Sprintf("b%d", i), "commit": map[string]string{"sha": "c5b97d5ae6c19d5c5df71a34c7fbeeda2479ccbc"}, "protected": false})
	}
	for i := range 3 {
		pulls = append(pulls, map[string]any{"id": i, "number": i + 1, "state": "open", "title": "t"})
	}
	authors := []string{"alice", "bob", "alice", "carol"}
	changes := []int{10, 50, 30, 5}
	for i, a := range authors {
		sha := fmt.Sprintf("%040d", i)
		commits = append(commits, map[string]any{"sha": sha, "commit": map[string]any{"message": "m"}, "author": map[string]any{"login": a}})
		f.Handle("GET /api/v3/repos/acme/api/commits/"+sha, func(w http.ResponseWriter, r *http.Request) {
			githubtest.WriteJSON(w, http.StatusOK, map[string]any{"sha": sha, "author": map[string]any{"login": a},
				"stats": map[string]int{"additions": changes[i], "deletions": 0, "total": changes[i]}})
		})
	}
	teamA = []map[string]any{{"login": "alice", "id": 1}}
	teamB = []map[string]any{{"login": "bob", "id": 2}, {"login": "carol", "id": 3}}
	f.Handle("GET /api/v3/repos/acme/api/branches", pagedHandler(f, "/api/v3/repos/acme/api/branches", branches, 20))
	f.Handle("GET /api/v3/repos/acme/api/pulls", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("state") != "open" {
			t.Errorf("pulls asked with state %q", r.URL.Query().Get("state"))
		}
		pagedHandler(f, "/api/v3/repos/acme/api/pulls", pulls, 2)(w, r)
	})
	f.Handle("GET /api/v3/repos/acme/api/commits", pagedHandler(f, "/api/v3/repos/acme/api/commits", commits, 3))
	f.Handle("GET /api/v3/orgs/acme/teams", pagedHandler(f, "/api/v3/orgs/acme/teams",
		[]map[string]any{{"id": 1, "name": "Team A", "slug": "team-a"}, {"id": 2, "name": "Team B", "slug": "team-b"}}, 1))
	f.Handle("GET /api/v3/orgs/acme/teams/team-a/members", pagedHandler(f, "/api/v3/orgs/acme/teams/team-a/members", teamA, 1))
	f.Handle("GET /api/v3/orgs/acme/teams/team-b/members", pagedHandler(f, "/api/v3/orgs/acme/teams/team-b/members", teamB, 1))

	src := newSource(t, ghConfig(t, f), t.TempDir(), nil, 0)
	ctx := context.Background()
	if n, err := src.CountBranches(ctx, "acme/api"); err != nil || n != 45 {
		t.Errorf("branches: %d, %v; want 45", n, err)
	}
	if n, err := src.CountOpenPulls(ctx, "acme/api"); err != nil || n != 3 {
		t.Errorf("open pulls: %d, %v; want 3", n, err)
	}
	cs, err := src.RecentCommits(ctx, "acme/api", 3)
	if err != nil || len(cs) != 3 || cs[1].Author != "bob" || cs[1].Changes != 50 {
		t.Errorf("recent commits: %+v, %v", cs, err)
	}
	teams, err := src.Teams(ctx)
	if err != nil || len(teams["Team A"]) != 1 || len(teams["Team B"]) != 2 || teams["Team B"][1] != "carol" {
		t.Errorf("teams: %v, %v", teams, err)
	}
	if !src.Owns("acme/api") || src.Owns("other/api") {
		t.Error("Owns")
	}
	if _, err := src.CountOpenPulls(ctx, "acme/missing"); err == nil {
		t.Error("pulls of a missing repository: no error")
	}
}
