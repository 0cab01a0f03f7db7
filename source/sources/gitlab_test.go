package sources_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/source/gitlab"
	"github.com/trawl-dev/trawl/source/gitlab/gitlabtest"
	"github.com/trawl-dev/trawl/source/sources"
	"github.com/trawl-dev/trawl/webhook"
)

// A gitlab block builds a GitLab source, mounts /hooks/gitlab with the
// block's secret, and exports trawl_gitlab_* counters.
func TestGitLabBlock(t *testing.T) {
	f := gitlabtest.New(t, "tok")
	f.AddProject(gitlabtest.NewWork(t, map[string]string{"a": "a\n"}), "acme/a", nil)
	t.Setenv("TEST_GL_TOKEN", "tok")
	t.Setenv("TEST_GL_HOOK", "hook")
	dir := t.TempDir()
	yaml := "sources:\n  - gitlab:\n      group: acme\n      api_url: " + f.APIURL() +
		"\n      token_env: TEST_GL_TOKEN\n      webhook_secret_env: TEST_GL_HOOK\nindex:\n  path: " + filepath.Join(dir, "data") + "\n"
	path := filepath.Join(dir, "trawl.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	set := sources.New(sources.Options{})
	srcs, err := set.For(cfg)
	if err != nil {
		t.Fatal(err)
	}
	src, ok := srcs[0].(*gitlab.Source)
	if !ok || src.Name() != "gitlab group acme" {
		t.Fatalf("built %T %v", srcs[0], srcs[0])
	}
	if _, err := src.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(set.Collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	calls := -1.0
	for _, mf := range families {
		if mf.GetName() == "trawl_gitlab_api_calls_total" && len(mf.GetMetric()) == 1 {
			calls = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	if calls != float64(f.Calls()) || calls < 1 {
		t.Fatalf("trawl_gitlab_api_calls_total %v, want the %d calls made", calls, f.Calls())
	}

	var pushed []string
	routes, err := sources.Hooks(cfg, webhook.Events{Push: func(repo, branch string) { pushed = append(pushed, repo+"@"+branch) }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := routes["POST /hooks/gitlab"]
	if h == nil {
		t.Fatalf("routes %v", routes)
	}
	req := httptest.NewRequest(http.MethodPost, "/hooks/gitlab", strings.NewReader(`{"object_kind":"push","ref":"refs/heads/main","project":{"path_with_namespace":"acme/a"}}`))
	req.Header.Set("X-Gitlab-Event", "Push Hook")
	req.Header.Set("X-Gitlab-Token", "hook")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusAccepted || len(pushed) != 1 || pushed[0] != "acme/a@main" {
		t.Fatalf("hook: %d %s, pushed %v", w.Code, w.Body, pushed)
	}
}
