package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/internal/gittest"
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
