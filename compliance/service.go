package compliance

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/osv"
)

// Service evaluates the rules after every crawl of a long-running server:
// incrementally, against the results stored in the index. It stores the
// new results, exports them to Elasticsearch when configured and queues
// the alerts of branches that newly fail or recover. One evaluation runs
// at a time.
type Service struct {
	opts ServiceOptions

	osvDB  *osv.DB
	osvSum string // names, sizes and times of the files osvDB was read from

	mu      sync.Mutex
	last    *Report
	status  ServiceStatus
	running sync.Mutex
}

// ServiceOptions configure a Service.
type ServiceOptions struct {
	Index      indexer.Index
	Rules      []config.Rule
	Indicators config.Indicators
	Timeout    time.Duration // per evaluation (compliance.timeout)
	History    time.Duration // results kept (compliance.history)
	DataDir    string        // where OSV advisories are imported (trawl osv import)
	Notifier   *Notifier     // alerts; nil sends none
	ES         *ES           // export; nil exports nothing
	Logger     *slog.Logger
}

// ServiceStatus is what GET /api/status shows under crawl.compliance.
type ServiceStatus struct {
	Rules       int          `json:"rules"`
	LastRun     time.Time    `json:"last_run,omitzero"`
	Evaluated   int          `json:"evaluated"` // (rule, branch) pairs answered anew by the last run
	Reused      int          `json:"reused"`
	LastError   string       `json:"last_error,omitempty"`
	ExportError string       `json:"export_error,omitempty"`
	Alerts      *AlertStatus `json:"alerts,omitempty"`
}

// NewService prepares a service; Start begins its work.
func NewService(o ServiceOptions) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{opts: o, status: ServiceStatus{Rules: len(o.Rules)}}
}

// Start starts the alert deliveries and loads the last stored report, so
// that metrics answer before the first crawl ends.
func (s *Service) Start(ctx context.Context) {
	if rep, _, err := Stored(ctx, s.opts.Index, time.Now()); err == nil && rep != nil {
		s.mu.Lock()
		s.last = rep
		s.mu.Unlock()
	}
	if s.opts.Notifier != nil {
		go s.opts.Notifier.Run(ctx)
	}
}

// Evaluate runs the rules once and records the outcome in the status; a
// failure is logged and shown there, never returned: the next crawl tries
// again.
func (s *Service) Evaluate(ctx context.Context) {
	s.running.Lock()
	defer s.running.Unlock()
	start := time.Now()
	run, err := s.evaluateOnce(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.LastRun = start.UTC()
	if err != nil {
		s.status.LastError = err.Error()
		s.opts.Logger.Error("evaluate compliance rules", "err", err)
		return
	}
	s.status.LastError = ""
	s.status.Evaluated = run.Evaluation.Evaluated
	s.status.Reused = len(run.Evaluation.Results) - run.Evaluation.Evaluated
	s.last = run.Report
	s.opts.Logger.Info("compliance rules evaluated", "rules", len(s.opts.Rules), "evaluated", s.status.Evaluated,
		"reused", s.status.Reused, "transitions", len(run.Transitions), "duration", time.Since(start))
	if s.opts.Notifier != nil && len(run.Transitions) > 0 {
		s.opts.Notifier.Enqueue(run.Transitions)
	}
	if s.opts.ES != nil {
		docs := Docs(run.Report.Rules, run.Evaluation.At, run.Evaluation.Results)
		if err := s.opts.ES.Export(ctx, run.Evaluation.At, docs); err != nil {
			s.status.ExportError = err.Error()
			s.opts.Logger.Error("export compliance results", "err", err)
		} else {
			s.status.ExportError = ""
		}
	}
}

func (s *Service) evaluateOnce(ctx context.Context) (*Run, error) {
	e := &Evaluator{Index: s.opts.Index, Indicators: s.opts.Indicators, Timeout: s.opts.Timeout}
	if NeedsOSV(s.opts.Rules) {
		// Parsing a large ecosystem's advisories takes a while: read them
		// again only after an import changed the files.
		sum := osvFiles(s.opts.DataDir)
		if s.osvDB == nil || sum != s.osvSum {
			db, err := osv.Load(ctx, s.opts.DataDir)
			if err != nil {
				return nil, err
			}
			s.osvDB, s.osvSum = db, sum
		}
		e.OSV = s.osvDB
	}
	return e.EvaluateStored(ctx, s.opts.Rules, s.opts.History)
}

// Report returns the last report, nil before any.
func (s *Service) Report() *Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Status is the service's state for GET /api/status.
func (s *Service) Status() ServiceStatus {
	s.mu.Lock()
	st := s.status
	s.mu.Unlock()
	if s.opts.Notifier != nil {
		a := s.opts.Notifier.Status()
		st.Alerts = &a
	}
	return st
}

// NeedsOSV reports whether some rule checks dependencies against OSV
// advisories (forbid_vulnerable), which must then be loaded.
func NeedsOSV(rules []config.Rule) bool {
	for _, r := range rules {
		if r.ForbidVulnerable != nil {
			return true
		}
	}
	return false
}

// osvFiles describes the advisory files of a data folder by name, size and
// modification time.
func osvFiles(dataDir string) string {
	names, _ := filepath.Glob(filepath.Join(osv.Dir(dataDir), "*.json"))
	var b strings.Builder
	for _, n := range names {
		if fi, err := os.Stat(n); err == nil {
			fmt.Fprintf(&b, "%s %d %d\n", n, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return b.String()
}
