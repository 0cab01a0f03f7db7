package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-dev/trawl/compliance"
	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/service"
	"github.com/trawl-dev/trawl/source/sources"
)

// TestServeEvaluatesAfterCrawl runs serve's crawl function over a real
// repository twice, with a push in between: the rules are evaluated after
// each crawl, the newly failing branch is alerted to a webhook that fails
// first (shown in the status, then delivered once), and the gauges follow.
func TestServeEvaluatesAfterCrawl(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	repo := gittest.Init(t, filepath.Join(root, "acme", "api"))
	repo.Commit("first", map[string]string{"README.md": "# api\n"})

	var mu sync.Mutex
	var bodies []string
	failures := 1
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			http.Error(w, "busy", http.StatusBadGateway)
			return
		}
		bodies = append(bodies, string(b))
	}))
	defer hook.Close()
	t.Setenv("TRAWL_TEST_ALERT_URL", hook.URL+"/hooks/secret-part")

	data := t.TempDir()
	cfgPath := filepath.Join(t.TempDir(), "trawl.yaml")
	os.WriteFile(cfgPath, []byte("sources:\n  - dir: "+root+"\nindex:\n  path: "+data+"\nrules:\n"+
		"  - {id: no-keys, severity: error, forbid_file: ['**/*.pem']}\n"+
		"compliance:\n  alerts:\n    - {url_env: TRAWL_TEST_ALERT_URL, format: slack}\n"), 0o644)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := openIndex(ctx, cfg, readWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	comp, err := newComplianceService(cfg, idx, log)
	if err != nil {
		t.Fatal(err)
	}
	comp.notifier.Backoff = 1 // nanosecond: the test does not wait
	crawl := comp.after(crawlFunc(cfg, idx, log, sources.New(sources.Options{Logger: log})))
	if _, err := crawl(ctx, nil); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(compliance.Collector{Report: comp.Report})
	gauge := func() float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "trawl_compliance_branches_failing" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no trawl_compliance_branches_failing gauge")
		return 0
	}
	if g := gauge(); g != 0 {
		t.Errorf("failing gauge %v before the key", g)
	}

	repo.Commit("oops", map[string]string{"certs/server.pem": "-----BEGIN PRIVATE KEY-----\n"})
	if _, err := crawl(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if g := gauge(); g != 1 {
		t.Errorf("failing gauge %v after the key, want 1", g)
	}
	comp.notifier.Flush(ctx) // Run is not started here: deliver now
	status := comp.withStatus(func() any { return service.Status{} })()
	b, _ := json.Marshal(status)
	var st struct {
		Compliance struct {
			Rules     int
			Evaluated int
			Alerts    compliance.AlertStatus
		}
	}
	json.Unmarshal(b, &st)
	if st.Compliance.Rules != 1 || st.Compliance.Evaluated != 1 || st.Compliance.Alerts.Delivered != 1 || st.Compliance.Alerts.Failures != 1 {
		t.Errorf("status %s", b)
	}
	if strings.Contains(string(b), "secret-part") {
		t.Errorf("the alert URL leaks into the status: %s", b)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || !strings.Contains(bodies[0], "no-keys (error) newly fails on acme/api@main") || !strings.Contains(bodies[0], "certs/server.pem") {
		t.Errorf("alerts received %q", bodies)
	}

	// trawl check reads the same index and agrees.
	idx.Close()
	var out, errOut strings.Builder
	if code := run(ctx, []string{"check", "-c", cfgPath, "--json"}, &out, &errOut); code != exitError || !strings.Contains(out.String(), `"branches_failing": 1`) {
		t.Errorf("check: exit %d\n%s%s", code, out.String(), errOut.String())
	}
}
