package compliance

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

func TestEvaluateStored(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	clock := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	e := &Evaluator{Index: o.idx, Indicators: o.cfg.Indicators, OSV: osvDB(t), Now: func() time.Time { return clock }}
	run, err := e.EvaluateStored(ctx, o.cfg.Rules, 36*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Transitions) != 0 {
		t.Errorf("a first evaluation alerts: %+v", run.Transitions)
	}
	rep, hist, err := Stored(ctx, o.idx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || len(rep.Rules) != 7 || rep.Rules[2].ID != "log4shell" || rep.Rules[2].BranchesFailing != 1 || rep.Rules[2].Kind != "forbid_dependency" {
		t.Fatalf("stored report %+v, history %+v", rep, hist)
	}
	if hist[0].Counts[2].Failing != 1 || hist[0].Counts[2].Title != "log4shell" {
		t.Errorf("history counts %+v", hist[0].Counts)
	}

	// A push removes the key on release/1.2 and adds one on main.
	o.api.Checkout("release/1.2")
	o.api.Commit("remove the key", map[string]string{"deploy/id_rsa!": ""})
	o.api.Checkout("main")
	o.api.Commit("add a key", map[string]string{"certs/server.pem": "-----BEGIN PRIVATE KEY-----\n"})
	o.crawl()
	clock = clock.Add(24 * time.Hour)
	run, err = e.EvaluateStored(ctx, o.cfg.Rules, 36*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range run.Transitions {
		got = append(got, tr.Rule+" "+tr.Repo+"@"+tr.Branch+" "+string(tr.From)+"->"+string(tr.To))
	}
	want := []string{"no-private-keys acme/api@main pass->fail", "no-private-keys acme/api@release/1.2 fail->pass"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("transitions:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if tr := run.Transitions[0]; tr.Severity != "error" || len(tr.Evidence) != 1 || tr.Evidence[0].Path != "certs/server.pem" || !tr.At.Equal(clock) {
		t.Errorf("newly failing transition %+v", tr)
	}
	// The same state evaluated again: no transition, nothing re-evaluated.
	clock = clock.Add(24 * time.Hour)
	run, err = e.EvaluateStored(ctx, o.cfg.Rules, 36*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Transitions) != 0 || run.Evaluation.Evaluated != 0 {
		t.Errorf("unchanged: %d transitions, %d evaluated", len(run.Transitions), run.Evaluation.Evaluated)
	}
	rep, hist, err = Stored(ctx, o.idx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// 36 h of history: the first point (48 h old) is pruned.
	if len(hist) != 2 || !hist[0].At.Equal(clock.Add(-24*time.Hour)) {
		t.Errorf("history after pruning: %+v", hist)
	}
	for _, f := range rep.Rules[1].Failing {
		if f.Branch == "main" && !f.Since.Equal(clock.Add(-24*time.Hour)) {
			t.Errorf("main failing since %v, want the evaluation that saw the key", f.Since)
		}
	}

	// A rule removed from the configuration leaves the store.
	if _, err := e.EvaluateStored(ctx, o.cfg.Rules[:1], 0); err != nil {
		t.Fatal(err)
	}
	n := 0
	o.idx.ComplianceResults(ctx, func(r indexer.ComplianceResult) error {
		if r.Rule != "codeowners" {
			t.Errorf("result of a removed rule kept: %+v", r.Key())
		}
		n++
		return nil
	})
	if n != 2 {
		t.Errorf("%d results stored, want codeowners' 2", n)
	}
}

// receiver is a webhook endpoint that fails its first requests.
type receiver struct {
	mu       sync.Mutex
	failures int
	bodies   []string
	attempts int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.attempts++
	if rc.failures > 0 {
		rc.failures--
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	rc.bodies = append(rc.bodies, string(b))
}

func TestNotifier(t *testing.T) {
	ctx := context.Background()
	rc := &receiver{failures: 2}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	slack := &receiver{}
	slackSrv := httptest.NewServer(slack)
	defer slackSrv.Close()
	at := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	ts := []Transition{
		{Rule: "log4shell", Title: "No Log4Shell", Severity: "error", Repo: "acme/api", Branch: "main", Commit: "c1", From: Pass, To: Fail, At: at,
			Evidence: []Evidence{{Path: "pom.xml", Line: 5, Text: "log4j-core 2.14.1", URL: "https://x/pom.xml#L5"}}},
		{Rule: "log4shell", Title: "No Log4Shell", Severity: "error", Repo: "acme/api", Branch: "release/1.2", Commit: "c2", From: Fail, To: Pass, At: at},
	}
	n := &Notifier{Targets: []Target{{URL: srv.URL + "/hooks/T000/SECRET", Format: "generic"}, {URL: slackSrv.URL + "/services/SECRET", Format: "slack"}},
		Backoff: time.Millisecond, Retries: 1}
	n.Enqueue(ts)
	n.Flush(ctx)
	// Retries 1: two attempts per round, both failed for the first
	// transition; it stays pending.
	st := n.Status()
	if st.Delivered != 3 || st.Pending != 1 || st.Failures != 2 || len(st.Errors) != 2 {
		t.Fatalf("after the first round: %+v", st)
	}
	for _, e := range st.Errors {
		if strings.Contains(e.Error, "SECRET") || strings.Contains(e.Target, "SECRET") || !strings.Contains(e.Error, "503") {
			t.Errorf("alert error %+v", e)
		}
	}
	// The same transitions again, and the next round: nothing is sent twice
	// and the pending one goes out.
	n.Enqueue(ts)
	n.Flush(ctx)
	st = n.Status()
	if st.Delivered != 4 || st.Pending != 0 {
		t.Errorf("after the second round: %+v", st)
	}
	if len(rc.bodies) != 2 || len(slack.bodies) != 2 {
		t.Fatalf("generic got %d, slack got %d, want 2 each", len(rc.bodies), len(slack.bodies))
	}
	var generic struct {
		Event      string
		Transition Transition
	}
	json.Unmarshal([]byte(rc.bodies[0]), &generic)
	if generic.Event != "compliance.recovered" || generic.Transition.Branch != "release/1.2" {
		t.Errorf("first generic delivery %s", rc.bodies[0])
	}
	json.Unmarshal([]byte(rc.bodies[1]), &generic)
	if generic.Event != "compliance.failing" || generic.Transition.Evidence[0].Line != 5 {
		t.Errorf("second generic delivery %s", rc.bodies[1])
	}
	var msg struct{ Text string }
	json.Unmarshal([]byte(slack.bodies[0]), &msg)
	if !strings.Contains(msg.Text, "log4shell (error) newly fails on acme/api@main") || !strings.Contains(msg.Text, "pom.xml:5") {
		t.Errorf("slack text %q", msg.Text)
	}
	teams, err := Payload("teams", ts[1])
	if err != nil || !strings.Contains(string(teams), `"@type":"MessageCard"`) || !strings.Contains(string(teams), "recovered on acme/api@release/1.2") {
		t.Errorf("teams payload %s %v", teams, err)
	}

	// Run delivers in the background after Enqueue.
	ctx2, cancel := context.WithCancel(ctx)
	defer cancel()
	go n.Run(ctx2)
	n.Enqueue([]Transition{{Rule: "x", Repo: "r", Branch: "b", To: Fail, At: at.Add(time.Hour)}})
	deadline := time.Now().Add(30 * time.Second)
	for n.Status().Delivered != 6 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := n.Status(); st.Delivered != 6 {
		t.Errorf("Run did not deliver: %+v", st)
	}
}

// TestNotifierSurvivesRestart keeps an undelivered alert across a new
// Notifier on the same state file, and never sends a delivered one again.
func TestNotifierSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	rc := &receiver{failures: 1 << 30}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	state := t.TempDir() + "/alerts.json"
	target := Target{URL: srv.URL + "/hook", Format: "generic"}
	tr := Transition{Rule: "r", Repo: "acme/api", Branch: "main", To: Fail, At: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)}

	a := &Notifier{Targets: []Target{target}, StatePath: state, Backoff: time.Nanosecond, Retries: 1}
	a.Enqueue([]Transition{tr})
	a.Flush(ctx)
	if st := a.Status(); st.Pending != 1 || st.Delivered != 0 {
		t.Fatalf("target down: %+v", st)
	}

	// A restart, and the target is back.
	rc.mu.Lock()
	rc.failures = 0
	rc.mu.Unlock()
	b := &Notifier{Targets: []Target{target}, StatePath: state, Backoff: time.Nanosecond}
	b.Flush(ctx)
	if st := b.Status(); st.Pending != 0 || st.Delivered != 1 || len(rc.bodies) != 1 {
		t.Fatalf("after the restart: %+v, %d received", st, len(rc.bodies))
	}
	// Another restart: the delivered transition is remembered.
	c := &Notifier{Targets: []Target{target}, StatePath: state, Backoff: time.Nanosecond}
	c.Enqueue([]Transition{tr})
	c.Flush(ctx)
	if len(rc.bodies) != 1 || c.Status().Pending != 0 {
		t.Errorf("a delivered transition was sent again: %d received", len(rc.bodies))
	}
	data, _ := os.ReadFile(state)
	if strings.Contains(string(data), srv.URL) {
		t.Errorf("the state file holds the target URL: %s", data)
	}
}

// TestErrorIsNoTransition: a failing branch whose rule errs once, then
// fails again, keeps its failing-since time and raises no new alert.
func TestErrorIsNoTransition(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	clock := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	rules := o.cfg.Rules[3:4] // no-plain-passwords: fails on acme/api main
	e := &Evaluator{Index: o.idx, Now: func() time.Time { return clock }}
	if _, err := e.EvaluateStored(ctx, rules, 0); err != nil {
		t.Fatal(err)
	}
	// A push makes the branches evaluated again, under a timeout no query
	// meets.
	o.api.Commit("unrelated", map[string]string{"NOTES.md": "x\n"})
	o.crawl()
	clock = clock.Add(time.Hour)
	e.Timeout = time.Nanosecond
	run, err := e.EvaluateStored(ctx, rules, 0)
	if err != nil {
		t.Fatal(err)
	}
	if run.Report.Rules[0].Status != Error || len(run.Transitions) != 0 {
		t.Fatalf("timed-out rule: %+v, %d transitions", run.Report.Rules[0], len(run.Transitions))
	}
	clock = clock.Add(time.Hour)
	e.Timeout = 0
	run, err = e.EvaluateStored(ctx, rules, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Transitions) != 0 {
		t.Errorf("fail, error, fail raised %+v", run.Transitions)
	}
	f := run.Report.Rules[0].Failing
	if len(f) != 1 || !f[0].Since.Equal(clock.Add(-2*time.Hour)) {
		t.Errorf("failing %+v, want since the first evaluation", f)
	}
}
