package crawler_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/internal/crawltest"
)

// TestPasswordOnlyOverHTTPS: a git source with a password and an http://
// URL is refused before any request is made (configuration check, and the
// crawler itself for callers that build a configuration in code), and no
// error quotes the password.
func TestPasswordOnlyOverHTTPS(t *testing.T) {
	const pw = "pl41n-t3xt-pw"
	t.Setenv("TRAWL_TEST_PW", pw)
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()

	dir := t.TempDir()
	yaml := fmt.Sprintf("sources:\n  - git:\n      urls: [%s/team/api.git, ssh://git@host.example/team/b.git]\n      username: alice\n      password_env: TRAWL_TEST_PW\nindex:\n  path: %s\n", srv.URL, dir)
	_, err := config.Parse([]byte(yaml), "trawl.yaml")
	if err == nil || !strings.Contains(err.Error(), "trawl.yaml:3: sources[0].git.urls[0]: must be an https URL") ||
		!strings.Contains(err.Error(), "sources[0].git.urls[1]: must be an https URL") || strings.Contains(err.Error(), pw) {
		t.Errorf("config check: %v", err)
	}

	cfg := loadConfig(t, dir, fmt.Sprintf("sources:\n  - git:\n      urls: [%s/team/api.git]\nindex:\n  path: %s\n", srv.URL, dir))
	cfg.Sources[0].Git.Username, cfg.Sources[0].Git.PasswordEnv = "alice", "TRAWL_TEST_PW"
	idx, err := bleve.Open(context.Background(), filepath.Join(dir, "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	c := crawltest.New(t, cfg, idx, crawler.Options{})
	sum, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0].Error, "only over https") || strings.Contains(sum.Errors[0].Error, pw) {
		t.Errorf("errors: %+v", sum.Errors)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the http server", n)
	}
}
