package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/webhook"
)

// TestServePushWebhook runs trawl serve against a repository on a real
// smart-HTTP server, pushes a commit with git, delivers the push webhook,
// and finds the pushed line through /api/search long before the hourly
// schedule would have crawled.
func TestServePushWebhook(t *testing.T) {
	bin := buildTrawl(t)
	work := gittest.Init(t, filepath.Join(t.TempDir(), "api"))
	work.Commit("first", map[string]string{"app.conf": "listen = 8080\n"})
	srv := gittest.Serve(t, t.TempDir(), "", "")
	cloneURL := srv.Bare(t, work, "team/api")
	repoName := strings.TrimPrefix(srv.URL, "http://") + "/team/api"

	cfg := filepath.Join(t.TempDir(), "trawl.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`sources:
  - git:
      urls: [%s]
index:
  path: %s
schedule:
  interval: 1h
server:
  listen: 127.0.0.1:0
  webhook_secret_env: TRAWL_TEST_HOOK
`, cloneURL, t.TempDir())), 0o644)

	proc := startServe(t, bin, []string{"TRAWL_TEST_HOOK=hook-secret"}, "serve", "-c", cfg)
	cmd, exited, base, logs := proc.cmd, proc.exited, proc.base, proc.logs

	// waitFor polls the API until cond holds; the deadline only bounds a
	// broken run, it is not a speed assertion.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if cond() {
				return
			}
		}
		t.Fatalf("timed out waiting for %s", what)
	}
	hits := func(q string) int {
		resp, err := http.Get(base + "/api/search?q=" + url.QueryEscape(q))
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		var res search.Result
		if json.NewDecoder(resp.Body).Decode(&res) != nil {
			return -1
		}
		return len(res.Files)
	}
	waitFor("the first crawl", func() bool { return hits("listen") == 1 })

	// Without an API token, a name the server does not know is refused
	// (DNS rebinding), whatever the address it arrived on.
	rebind, _ := http.NewRequest("GET", base+"/api/search?q=listen", nil)
	rebind.Host = "attacker.example"
	if resp, err := http.DefaultClient.Do(rebind); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("search under Host attacker.example: %d, want 421", resp.StatusCode)
	}

	work.Commit("pushed", map[string]string{"app.conf": "listen = 8080\npushed-line-42\n"})
	gittest.Run(t, work.Dir, "push", "-q", cloneURL, "main")

	body := []byte(fmt.Sprintf(`{"ref":"refs/heads/main","repository":{"name":"api","full_name":%q}}`, repoName))
	deliver := func(signature string) int {
		req, _ := http.NewRequest("POST", base+"/hooks/github", bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("Content-Type", "application/json")
		if signature != "" {
			req.Header.Set("X-Hub-Signature-256", signature)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := deliver(webhook.Sign([]byte("wrong"), body)); code != http.StatusUnauthorized {
		t.Fatalf("badly signed webhook: %d, want 401", code)
	}
	if code := deliver(""); code != http.StatusUnauthorized {
		t.Fatalf("unsigned webhook: %d, want 401", code)
	}
	if n := hits("pushed-line-42"); n != 0 {
		t.Fatalf("the pushed line is found before a valid webhook: %d", n)
	}
	if code := deliver(webhook.Sign([]byte("hook-secret"), body)); code/100 != 2 {
		t.Fatalf("signed webhook: %d", code)
	}
	waitFor("the pushed line", func() bool { return hits("pushed-line-42") == 1 })
	if strings.Contains(logs.String(), "hook-secret") {
		t.Error("the webhook secret reached the logs")
	}

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("serve did not stop after SIGTERM")
	}
}
