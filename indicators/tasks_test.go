package indicators

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
)

// fakeAPI stands in for GitHub, which tests cannot reach; github's own
// tests check the real calls against GitHub's documented answers.
type fakeAPI struct {
	branches, pulls map[string]int
	commits         map[string][]Commit
	teams           map[string][]string
	teamCalls       int
}

func (f *fakeAPI) CountBranches(_ context.Context, repo string) (int, error) {
	if n, ok := f.branches[repo]; ok {
		return n, nil
	}
	return 0, errors.New("404 Not Found")
}
func (f *fakeAPI) CountOpenPulls(_ context.Context, repo string) (int, error) {
	return f.pulls[repo], nil
}
func (f *fakeAPI) RecentCommits(_ context.Context, repo string, n int) ([]Commit, error) {
	c := f.commits[repo]
	return c[:min(n, len(c))], nil
}
func (f *fakeAPI) Teams(context.Context) (map[string][]string, error) {
	f.teamCalls++
	return f.teams, nil
}

func TestSearchQuery(t *testing.T) {
	for in, want := range map[string]string{
		"q=metrics+extension:xml":           `case:no "metrics" file:\.xml$`,
		"q=ConsulCatalogWatch":              `case:no "ConsulCatalogWatch"`,
		`q="spring boot"+filename:pom.xml`:  `case:no "spring boot" file:(^|/)pom\.xml$`,
		"q=foo+repo:acme/api+language:java": `case:no "foo" lang:java`,
		"q=x+path:src/main":                 `case:no "x" file:^src/main/`,
	} {
		got, err := SearchQuery(in)
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"q=x+size:>100", "q="} {
		if _, err := SearchQuery(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestRunTasks(t *testing.T) {
	idx := smallIndex(t, []file3{
		{"acme/api", "main", "pom.xml", "<artifactId>metrics-core</artifactId>\n"},
		{"acme/api", "main", "src/a.xml", "<Metrics/>\n"},
		{"acme/api", "main", "README.md", "metrics\n"},
		{"acme/api", "dev", "dev.xml", "metrics\n"},
		{"acme/web", "main", "pom.xml", "<artifactId>other</artifactId>\n"},
		{"gitlab.example.com/g/lib", "main", "x.xml", "metrics\n"},
	})
	api := &fakeAPI{
		branches: map[string]int{"acme/api": 45, "acme/web": 1},
		pulls:    map[string]int{"acme/api": 3},
		commits: map[string][]Commit{
			"acme/api": {{"alice", 10}, {"bob", 50}, {"alice", 30}, {"", 100}, {"carol", 1}},
			"acme/web": {{"nobody", 5}},
		},
		teams: map[string][]string{"Team A": {"alice"}, "Team B": {"bob", "carol"}},
	}
	tasks := []config.RepositoryTask{
		{Name: "nbMetrics", Type: config.TaskCountHits, Params: map[string]string{"queryString": "q=metrics+extension:xml"}},
		{Name: "metricsPaths", Type: config.TaskPathsForHits, Params: map[string]string{"queryString": "q=metrics+extension:xml"}},
		{Name: "nbBranches", Type: config.TaskNbBranches},
		{Name: "nbPRs", Type: config.TaskNbOpenPRs},
		{Name: "owner", Type: config.TaskOwnership, Params: map[string]string{"lastCommits": "4"}},
	}
	env := TaskEnv{Index: idx, GitHub: func(repo string) GitHubAPI {
		if strings.HasPrefix(repo, "acme/") {
			return api
		}
		return nil
	}}
	got, problems, err := RunTasks(context.Background(), tasks, env)
	if err != nil {
		t.Fatal(err)
	}
	wantAPI := map[string]any{"nbMetrics": "3", "metricsPaths": []string{"dev.xml", "pom.xml", "src/a.xml"}, "nbBranches": 45, "nbPRs": 3,
		OwningTeam: "Team B"} // 4 commits: alice 40 (Team A), bob 50 (Team B)
	if !reflect.DeepEqual(got["acme/api"], wantAPI) {
		t.Errorf("acme/api: %v\nwant %v", got["acme/api"], wantAPI)
	}
	wantWeb := map[string]any{"nbMetrics": "0", "metricsPaths": []string{NotFoundValue}, "nbBranches": 1, "nbPRs": 0, OwningTeam: Undefined}
	if !reflect.DeepEqual(got["acme/web"], wantWeb) {
		t.Errorf("acme/web: %v\nwant %v", got["acme/web"], wantWeb)
	}
	lib := got["gitlab.example.com/g/lib"]
	if lib["nbMetrics"] != "1" || !strings.HasPrefix(lib["nbBranches"].(string), "task failed: ") || len(problems) != 3 {
		t.Errorf("non-GitHub repository: %v, problems %v", lib, problems)
	}
	if api.teamCalls != 1 {
		t.Errorf("teams listed %d times, want once", api.teamCalls)
	}
}
