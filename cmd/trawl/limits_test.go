package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/service"
)

// maxRSS is the memory a crawl may take next to a tree bomb.
const maxRSS = 512 << 20

// TestTreeBomb crawls, with the built binary, a tree bomb (10^7 files in
// a few hundred bytes, made with git mktree) next to an ordinary
// repository, under the default limits. trawl crawl refuses the bomb with
// its reason, indexes the other repository and peaks under 512 MiB (the
// process's own rusage); trawl skipped lists the refusal; trawl serve
// keeps answering, shows it in /api/status and /metrics, and stays under
// 512 MiB too (VmHWM).
func TestTreeBomb(t *testing.T) {
	bin := buildTrawl(t)
	root := t.TempDir()
	gittest.TreeBomb(t, filepath.Join(root, "acme", "bomb"), 7)
	ok := gittest.Init(t, filepath.Join(root, "acme", "ok"))
	ok.Commit("first", map[string]string{"a.txt": "findme-after-the-bomb\n"})
	data := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "trawl.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("sources:\n  - dir: %s\nindex:\n  path: %s\nschedule:\n  interval: 1h\nserver:\n  listen: 127.0.0.1:0\n", root, data)), 0o644)

	// trawl crawl
	cmd := exec.Command(bin, "crawl", "--json", "-c", cfg)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("trawl crawl: %v, want exit code 1 (a repository over a limit)\n%s", err, stderr.String())
	}
	if rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10; rss > maxRSS {
		t.Errorf("trawl crawl peaked at %d MiB, over %d MiB", rss>>20, maxRSS>>20)
	} else {
		t.Logf("trawl crawl peaked at %d MiB", rss>>20)
	}
	var sum crawler.Summary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, stdout.String())
	}
	if len(sum.LimitsHit) != 1 || sum.LimitsHit[0].Repo != "acme/bomb" || sum.LimitsHit[0].Limit != "max_files_per_branch" {
		t.Errorf("limits hit: %+v", sum.LimitsHit)
	}
	if sum.FilesWritten != 1 {
		t.Errorf("files written %d, want 1 (the other repository)", sum.FilesWritten)
	}

	// trawl skipped
	out, err := exec.Command(bin, "skipped", "-c", cfg).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "acme/bomb") || !strings.Contains(string(out), "max_files_per_branch") {
		t.Errorf("trawl skipped: %v\n%s", err, out)
	}

	// trawl serve
	proc := startServe(t, bin, nil, "serve", "-c", cfg)
	srv, base := proc.cmd, proc.base
	get := func(path string) (int, []byte) {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	var status service.Status
	// The deadline bounds a broken run only; it asserts no speed.
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if code, _ := get("/healthz"); code != http.StatusOK {
			t.Fatalf("/healthz answered %d while crawling", code)
		}
		_, body := get("/api/status")
		var doc struct {
			Crawl service.Status `json:"crawl"`
		}
		if json.Unmarshal(body, &doc) == nil && doc.Crawl.LastSummary != nil && !doc.Crawl.Running {
			status = doc.Crawl
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no crawl finished; last status %s", body)
		}
	}
	if s := status.LastSummary; len(s.LimitsHit) != 1 || s.LimitsHit[0].Repo != "acme/bomb" {
		t.Errorf("/api/status limits_hit: %+v", s.LimitsHit)
	}
	if !strings.Contains(status.RepoErrors["acme/bomb"], "max_files_per_branch") {
		t.Errorf("/api/status repo_errors: %v", status.RepoErrors)
	}
	_, body := get("/api/search?q=findme-after-the-bomb")
	var res search.Result
	if json.Unmarshal(body, &res) != nil || len(res.Files) != 1 {
		t.Errorf("search while the bomb is refused: %s", body)
	}
	_, metrics := get("/metrics")
	if !strings.Contains(string(metrics), `trawl_crawl_limits_hit_total{limit="max_files_per_branch"} 1`) {
		t.Errorf("metrics lack the limit hit:\n%s", linesWith(string(metrics), "trawl_crawl_limits"))
	}
	if hwm := vmHWM(t, srv.Process.Pid); hwm > maxRSS {
		t.Errorf("trawl serve peaked at %d MiB, over %d MiB", hwm>>20, maxRSS>>20)
	} else {
		t.Logf("trawl serve peaked at %d MiB", hwm>>20)
	}
}

// vmHWM reads a live process's peak resident set from /proc.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

func linesWith(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
