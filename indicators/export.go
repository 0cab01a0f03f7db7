package indicators

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/trawl-dev/trawl/config"
)

// RunDocument is what an export sends once per run besides the changed
// documents, so that a dashboard can tell a quiet run from a missing one.
type RunDocument struct {
	Type         string `json:"type"` // "crawlerRun"
	CrawlerRunID string `json:"crawlerRunId"`
	Timestamp    string `json:"timestamp"`
	Documents    int    `json:"documents"`    // documents the run computed
	Changed      int    `json:"changed"`      // of which sent because their values changed
	Repositories int    `json:"repositories"` // repositories they cover
	TaskErrors   int    `json:"taskErrors"`   // repository tasks that failed
}

// ID is the run document's id.
func (r *RunDocument) ID() string { return "run-" + r.CrawlerRunID }

// ExportStatus is what /api/status and the metrics show of the export.
type ExportStatus struct {
	Targets     []string  `json:"targets"`
	LastRun     time.Time `json:"last_run,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Pending     int       `json:"pending_documents"` // documents and run documents kept for the next attempt
	Sent        int64     `json:"sent_documents_total"`
	Failures    int64     `json:"failed_runs_total"`
	Runs        int64     `json:"runs_total"`
}

// Exporter sends the indicator documents after each crawl to the targets
// of indicators_export: only the documents whose values changed since they
// were last sent, plus a RunDocument. What a target does not take is kept
// on disk and sent first on the next run, so a target that is down loses
// no run's documents: for each document the latest values, and every run
// document.
type Exporter struct {
	cfg     config.IndicatorsExport
	dir     string // state: one file per target
	compute func(ctx context.Context) ([]Document, []error, error)
	es      *ES
	log     *slog.Logger

	// Client, Sleep and Now may be replaced before the first Run (tests).
	Client *http.Client
	Sleep  func(ctx context.Context, d time.Duration) error
	Now    func() time.Time

	mu     sync.Mutex // one Run at a time; guards status
	status ExportStatus
}

// NewExporter returns an exporter for cfg keeping its state in dir. es is
// the Elasticsearch target with its secrets read (nil when none); compute
// returns the documents of a run and the repository task failures.
func NewExporter(cfg config.IndicatorsExport, dir string, es *ES, compute func(ctx context.Context) ([]Document, []error, error), log *slog.Logger) *Exporter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Exporter{cfg: cfg, dir: dir, compute: compute, es: es, log: log,
		Client: http.DefaultClient, Sleep: sleepCtx, Now: time.Now}
	for _, t := range e.targets() {
		e.status.Targets = append(e.status.Targets, t)
	}
	if n, err := e.pending(); err == nil {
		e.status.Pending = n
	}
	return e
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (e *Exporter) targets() []string {
	var out []string
	if e.es != nil {
		out = append(out, "elasticsearch")
	}
	if e.cfg.HTTP != nil {
		out = append(out, "http")
	}
	return out
}

// Status returns the export's state.
func (e *Exporter) Status() ExportStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.status
	st.Targets = append([]string(nil), e.status.Targets...)
	return st
}

// targetState is what one target has been sent and what waits for it.
type targetState struct {
	Sent        map[string]string   `json:"sent"`         // document id -> hash of its values when last sent
	PendingDocs map[string]Document `json:"pending_docs"` // latest values not yet taken
	PendingRuns []RunDocument       `json:"pending_runs"`
}

func (e *Exporter) statePath(target string) string {
	return filepath.Join(e.dir, "export-"+target+".json")
}

func (e *Exporter) load(target string) (*targetState, error) {
	st := &targetState{Sent: map[string]string{}, PendingDocs: map[string]Document{}}
	data, err := os.ReadFile(e.statePath(target))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read export state: %w", err)
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("read export state %s: %w", e.statePath(target), err)
	}
	if st.Sent == nil {
		st.Sent = map[string]string{}
	}
	if st.PendingDocs == nil {
		st.PendingDocs = map[string]Document{}
	}
	return st, nil
}

// save writes the state through a temporary file, so a crash leaves the
// previous state whole.
func (e *Exporter) save(target string, st *targetState) error {
	if err := os.MkdirAll(e.dir, 0o755); err != nil {
		return fmt.Errorf("write export state: %w", err)
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := e.statePath(target) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write export state: %w", err)
	}
	if err := os.Rename(tmp, e.statePath(target)); err != nil {
		return fmt.Errorf("write export state: %w", err)
	}
	return nil
}

func (e *Exporter) pending() (int, error) {
	n := 0
	for _, t := range e.targets() {
		st, err := e.load(t)
		if err != nil {
			return 0, err
		}
		n += len(st.PendingDocs) + len(st.PendingRuns)
	}
	return n, nil
}

// valueHash identifies a document's values: what changes the dashboard.
// The run id and timestamp change every run and are left out.
func valueHash(d Document) string {
	d.CrawlerRunID, d.Timestamp = "", ""
	data, _ := json.Marshal(&d)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Run computes the documents, queues the changed ones and the run document
// for each target, and sends everything queued. It returns the first send
// failure, after retries; what failed stays queued.
func (e *Exporter) Run(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status.Runs++
	e.status.LastRun = e.Now()
	err := e.run(ctx)
	if n, perr := e.pending(); perr == nil {
		e.status.Pending = n
	}
	if err != nil {
		e.status.Failures++
		e.status.LastError = err.Error()
		return err
	}
	e.status.LastError = ""
	e.status.LastSuccess = e.Now()
	return nil
}

func (e *Exporter) run(ctx context.Context) error {
	docs, problems, err := e.compute(ctx)
	if err != nil {
		return fmt.Errorf("compute indicators: %w", err)
	}
	for _, p := range problems {
		e.log.Warn("repository task failed", "err", p)
	}
	if x := e.cfg.Files; x != nil {
		if _, err := WriteFiles(e.filesDir(), *x, docs, e.Now()); err != nil {
			e.log.Warn("indicator file outputs", "err", err)
		}
	}
	repos := map[string]bool{}
	for _, d := range docs {
		repos[d.FullName] = true
	}
	var first error
	for _, target := range e.targets() {
		st, err := e.load(target)
		if err != nil {
			return err
		}
		changed := 0
		for _, d := range docs {
			if st.Sent[d.ID()] != valueHash(d) {
				st.PendingDocs[d.ID()] = d
				changed++
			}
		}
		run := RunDocument{Type: "crawlerRun", Documents: len(docs), Changed: changed, Repositories: len(repos), TaskErrors: len(problems)}
		if len(docs) > 0 {
			run.CrawlerRunID, run.Timestamp = docs[0].CrawlerRunID, docs[0].Timestamp
		} else {
			now := e.Now()
			run.CrawlerRunID, run.Timestamp = now.Format(runIDLayout), now.UTC().Format("2006-01-02T15:04:05.000Z07:00")
		}
		st.PendingRuns = append(st.PendingRuns, run)
		// Queued first, so a crash while sending loses nothing.
		if err := e.save(target, st); err != nil {
			return err
		}
		if err := e.flush(ctx, target, st); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (e *Exporter) filesDir() string {
	if e.cfg.Files != nil && e.cfg.Files.Dir != "" {
		return e.cfg.Files.Dir
	}
	return "."
}

// flush sends what st holds for target, with retries, and forgets what the
// target took.
func (e *Exporter) flush(ctx context.Context, target string, st *targetState) error {
	ids := make([]string, 0, len(st.PendingDocs))
	for id := range st.PendingDocs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	docs := make([]Document, len(ids))
	for i, id := range ids {
		docs[i] = st.PendingDocs[id]
	}
	retries := e.cfg.Retries
	if retries == 0 {
		retries = 3
	}
	var err error
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			// 1s, 2s, 4s...: a restarting cluster is back within seconds.
			if serr := e.Sleep(ctx, time.Duration(1<<(attempt-1))*time.Second); serr != nil {
				return serr
			}
		}
		if err = e.send(ctx, target, docs, st.PendingRuns); err == nil {
			break
		}
		e.log.Warn("indicator export failed", "target", target, "attempt", attempt+1, "err", err)
	}
	if err != nil {
		return fmt.Errorf("export indicators to %s: %w", target, err)
	}
	for _, d := range docs {
		st.Sent[d.ID()] = valueHash(d)
	}
	e.status.Sent += int64(len(docs) + len(st.PendingRuns))
	st.PendingDocs, st.PendingRuns = map[string]Document{}, nil
	return e.save(target, st)
}

func (e *Exporter) send(ctx context.Context, target string, docs []Document, runs []RunDocument) error {
	switch target {
	case "elasticsearch":
		if err := PostES(ctx, e.Client, *e.es, docs); err != nil {
			return err
		}
		return postRunsES(ctx, e.Client, *e.es, runs)
	case "http":
		if err := Post(ctx, e.Client, e.cfg.HTTP.URL, docs); err != nil {
			return err
		}
		return postRuns(ctx, e.Client, e.cfg.HTTP.URL, runs)
	}
	return fmt.Errorf("unknown target %s", target)
}
