package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/internal/gittest"
)

// TestServeExportsIndicators runs trawl serve with an indicators_export
// HTTP target that is down at first: the failure shows in /api/status and
// /metrics, and once the target is back the first run's documents arrive
// with the later ones.
func TestServeExportsIndicators(t *testing.T) {
	bin := buildTrawl(t)
	root := t.TempDir()
	repo := gittest.Init(t, filepath.Join(root, "api"))
	repo.Commit("first", map[string]string{"Dockerfile": "FROM eclipse-temurin:21-jre\n"})

	var down atomic.Bool
	down.Store(true)
	var mu sync.Mutex
	var got []map[string]any
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		var doc map[string]any
		json.NewDecoder(r.Body).Decode(&doc)
		doc["_path"] = r.URL.Path
		mu.Lock()
		got = append(got, doc)
		mu.Unlock()
	}))
	defer target.Close()

	cfg := filepath.Join(t.TempDir(), "trawl.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`sources:
  - dir: %s
index:
  path: %s
schedule:
  interval: 2s
server:
  listen: 127.0.0.1:0
compatibility: github-crawler
groups: [backend]
indicators:
  Dockerfile:
    - {name: image, type: findFirstValueWithRegexpCapture, params: {pattern: 'FROM (\S+)'}}
indicators_export:
  retries: 1
  http: {url: "%s/technologymap-{yyyy}/_doc/{id}"}
`, root, t.TempDir(), target.URL)), 0o644)
	base := startServe(t, bin, nil, "serve", "-c", cfg).base
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if cond() {
				return
			}
		}
		t.Fatalf("timed out waiting for %s", what)
	}
	status := func() map[string]any {
		resp, err := http.Get(base + "/api/status")
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var st struct {
			Crawl struct {
				IndicatorsExport map[string]any `json:"indicators_export"`
			} `json:"crawl"`
		}
		json.NewDecoder(resp.Body).Decode(&st)
		return st.Crawl.IndicatorsExport
	}
	waitFor("a failed export in /api/status", func() bool {
		st := status()
		return st != nil && strings.Contains(fmt.Sprint(st["last_error"]), "503") && st["pending_documents"].(float64) >= 2
	})
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(metrics, []byte("trawl_indicators_export_failures_total")) || bytes.Contains(metrics, []byte("trawl_indicators_export_failures_total 0\n")) {
		t.Errorf("metrics do not show the failure:\n%s", grepLines(metrics, "indicators_export"))
	}

	down.Store(false)
	waitFor("the export to recover", func() bool {
		st := status()
		return st != nil && st["pending_documents"] == 0.0 && st["last_error"] == nil
	})
	mu.Lock()
	defer mu.Unlock()
	var doc map[string]any
	runs := 0
	for _, d := range got {
		if d["type"] == "crawlerRun" {
			runs++
		} else if d["branchName"] == "main" {
			doc = d
		}
	}
	year := time.Now().Format("2006")
	if doc == nil || doc["indicators"].(map[string]any)["image"] != "eclipse-temurin:21-jre" || fmt.Sprint(doc["groups"]) != "[backend]" ||
		!strings.HasPrefix(doc["_path"].(string), "/technologymap-") || !strings.Contains(doc["_path"].(string), year) {
		t.Errorf("document received: %v", doc)
	}
	if runs < 2 {
		t.Errorf("%d run documents received, want the failed run's and the later ones'", runs)
	}
}

func grepLines(b []byte, s string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
