package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/webhook"
)

func runTrawl(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestChangeCommands(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"web", "site"} {
		w := gittest.Init(t, filepath.Join(root, name))
		w.Commit("initial", map[string]string{"package.json": "{\n  \"name\": \"" + name + "\",\n  \"dependencies\": {\n    \"lodash\": \"4.17.15\"\n  }\n}\n"})
	}
	cfg := writeConfig(t, root, t.TempDir())
	if code, _, stderr := runTrawl(t, "crawl", "-c", cfg); code != 0 {
		t.Fatalf("crawl: %d %s", code, stderr)
	}

	code, stdout, stderr := runTrawl(t, "change", "plan", "-c", cfg, "--id", "lodash", "--set-dependency", "lodash=4.17.21", "--version", "<4.17.21", "--json")
	if code != 0 {
		t.Fatalf("plan: %d %s", code, stderr)
	}
	var plan struct {
		ID      string `json:"id"`
		Changes []struct {
			Repo, Branch string
			BaseCommit   string `json:"base_commit"`
			Files        []struct{ Path, Diff string }
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if plan.ID != "lodash" || len(plan.Changes) != 2 || len(plan.Changes[0].BaseCommit) != 40 ||
		plan.Changes[0].Files[0].Path != "package.json" ||
		!strings.Contains(plan.Changes[0].Files[0].Diff, "-    \"lodash\": \"4.17.15\"\n+    \"lodash\": \"4.17.21\"\n") {
		t.Fatalf("plan JSON:\n%s", stdout)
	}

	code, stdout, stderr = runTrawl(t, "change", "apply", "-c", cfg, "--id", "lodash")
	if code != 0 {
		t.Fatalf("apply: %d %s\n%s", code, stderr, stdout)
	}
	// A dir source has no pull request API: the branch is made in place.
	if got := gittest.Run(t, filepath.Join(root, "web"), "show", "trawl/lodash/main:package.json"); !strings.Contains(got, `"lodash": "4.17.21"`) {
		t.Errorf("branch content:\n%s", got)
	}
	code, stdout, _ = runTrawl(t, "change", "status", "-c", cfg, "--json")
	var status struct {
		Changes []struct{ ID, Repo, Branch, State string } `json:"changes"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &status) != nil || len(status.Changes) != 2 || status.Changes[0].State != "pushed" || status.Changes[0].ID != "lodash" {
		t.Errorf("status: %d\n%s", code, stdout)
	}

	// A template that fails on one repository fails that resource only; the
	// plan is stored and the exit code says something failed.
	tmpl := filepath.Join(t.TempDir(), "notice.tmpl")
	os.WriteFile(tmpl, []byte(`{{if eq .Name "site"}}{{file "missing"}}{{end}}owned by {{.Name}}`+"\n"), 0o644)
	code, stdout, stderr = runTrawl(t, "change", "plan", "-c", cfg, "--id", "notice", "--query", "file:package.json", "--write", "NOTICE", "--from", tmpl, "--template", "--json")
	if code != exitError || !strings.Contains(stderr, "1 planned in 1 repositories, 0 no_change, 1 failed") ||
		!strings.Contains(stdout, `"state": "failed: template: write:1:24: executing \"write\" at <file \"missing\">: error calling file: file missing does not exist on this branch"`) {
		t.Errorf("plan with a failing template: %d\n%s\n%s", code, stdout, stderr)
	}

	for _, bad := range [][]string{
		{"change", "plan", "-c", cfg, "--id", "x", "--regex", "a(", "--with", "b", "--query", "a"},
		{"change", "plan", "-c", cfg, "--id", "Bad ID", "--replace", "a", "--with", "b"},
		{"change", "plan", "-c", cfg, "--id", "x", "--replace", "a"},
		{"change", "plan", "-c", cfg, "--id", "x", "--replace", "a", "--with", "b", "--delete"},
		{"change", "apply", "-c", cfg, "--id", "never-planned"},
		{"change", "nope"},
	} {
		if code, _, stderr := runTrawl(t, bad...); code != exitUsage || stderr == "" {
			t.Errorf("%q: exit %d, want 2 with a message (%s)", bad, code, stderr)
		}
	}
}

// TestServeChangesWebhook runs trawl serve over a campaign that was
// applied, delivers a signed pull_request webhook for its branch, and sees
// the new state on GET /api/changes.
func TestServeChangesWebhook(t *testing.T) {
	root := t.TempDir()
	w := gittest.Init(t, filepath.Join(root, "api"))
	w.Commit("initial", map[string]string{"README.md": "old name\n"})
	data := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "trawl.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("sources:\n  - dir: %s\nindex:\n  path: %s\nschedule:\n  interval: 1h\nserver:\n  listen: 127.0.0.1:0\n  webhook_secret_env: TRAWL_TEST_HOOK\n", root, data)), 0o644)
	t.Setenv("TRAWL_TEST_HOOK", "hook-secret")
	for _, args := range [][]string{
		{"crawl", "-c", cfg},
		{"change", "plan", "-c", cfg, "--id", "rename", "--replace", "old name", "--with", "new name"},
		{"change", "apply", "-c", cfg, "--id", "rename"},
	} {
		if code, out, stderr := runTrawl(t, args...); code != 0 {
			t.Fatalf("%q: %d\n%s%s", args, code, out, stderr)
		}
	}
	bin := buildTrawl(t)
	base := startServe(t, bin, nil, "serve", "-c", cfg, "--no-crawl").base

	states := func() string {
		resp, err := http.Get(base + "/api/changes/rename")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var c struct {
			Changes []struct {
				State       string
				PullRequest string `json:"pull_request"`
			} `json:"changes"`
		}
		json.NewDecoder(resp.Body).Decode(&c)
		var out []string
		for _, ch := range c.Changes {
			out = append(out, ch.State+" "+ch.PullRequest)
		}
		return strings.Join(out, ",")
	}
	if s := states(); s != "pushed " {
		t.Fatalf("before the webhook: %q", s)
	}
	body := []byte(`{"action":"closed","number":7,"pull_request":{"number":7,"state":"closed","merged":true,
	  "html_url":"https://git.example/api/pull/7","head":{"ref":"trawl/rename/main"}},"repository":{"full_name":"api"}}`)
	req, _ := http.NewRequest("POST", base+"/hooks/github", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-Hub-Signature-256", webhook.Sign([]byte("hook-secret"), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook: %d", resp.StatusCode)
	}
	if s := states(); s != "pr_merged https://git.example/api/pull/7" {
		t.Errorf("after the webhook: %q", s)
	}
}
