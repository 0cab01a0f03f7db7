package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/trawl-dev/trawl/compliance"
	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/osv"
	"github.com/trawl-dev/trawl/service"
)

// complianceService evaluates the rules after every crawl of trawl serve:
// incrementally, against the results stored in the index; it stores the
// new ones, exports them to Elasticsearch when configured and queues the
// alerts of branches that newly fail or recover.
type complianceService struct {
	cfg      *config.Config
	idx      indexer.Index
	log      *slog.Logger
	notifier *compliance.Notifier
	es       *compliance.ES

	osvDB  *osv.DB
	osvSum string // names, sizes and times of the files osvDB was read from

	mu      sync.Mutex
	last    *compliance.Report
	status  complianceStatus
	running sync.Mutex // one evaluation at a time
}

// complianceStatus is what GET /api/status shows under crawl.compliance.
type complianceStatus struct {
	Rules       int                     `json:"rules"`
	LastRun     time.Time               `json:"last_run,omitzero"`
	Evaluated   int                     `json:"evaluated"` // (rule, branch) pairs answered anew by the last run
	Reused      int                     `json:"reused"`
	LastError   string                  `json:"last_error,omitempty"`
	ExportError string                  `json:"export_error,omitempty"`
	Alerts      *compliance.AlertStatus `json:"alerts,omitempty"`
}

func newComplianceService(cfg *config.Config, idx indexer.Index, log *slog.Logger) (*complianceService, error) {
	s := &complianceService{cfg: cfg, idx: idx, log: log}
	c := cfg.Compliance
	if len(c.Alerts) > 0 {
		// Pending alerts and the ids delivered survive a restart.
		s.notifier = &compliance.Notifier{Log: log, StatePath: filepath.Join(cfg.Index.Path, "compliance-alerts.json")}
		for i, a := range c.Alerts {
			u := a.URL
			if a.URLEnv != "" {
				var err error
				if u, err = config.Secret(a.URLEnv); err != nil {
					return nil, usageError{fmt.Errorf("compliance.alerts[%d].url_env: %w", i, err)}
				}
			}
			s.notifier.Targets = append(s.notifier.Targets, compliance.Target{URL: u, Format: a.Format})
		}
	}
	if c.Elasticsearch.URL != "" {
		es, err := complianceES(c.Elasticsearch, c.Elasticsearch.URL, "")
		if err != nil {
			return nil, err
		}
		s.es = es
	}
	s.status.Rules = len(cfg.Rules)
	return s, nil
}

// complianceES builds an export target from the configuration, with the
// URL and prefix of flags when given.
func complianceES(c config.ComplianceElastic, url, prefix string) (*compliance.ES, error) {
	es := &compliance.ES{URL: url, Prefix: c.IndexPrefix, Username: c.Username}
	if prefix != "" {
		es.Prefix = prefix
	}
	var err error
	if c.PasswordEnv != "" {
		if es.Password, err = config.Secret(c.PasswordEnv); err != nil {
			return nil, usageError{fmt.Errorf("compliance.elasticsearch.password_env: %w", err)}
		}
	}
	if c.APIKeyEnv != "" {
		if es.APIKey, err = config.Secret(c.APIKeyEnv); err != nil {
			return nil, usageError{fmt.Errorf("compliance.elasticsearch.api_key_env: %w", err)}
		}
	}
	return es, nil
}

// run starts the alert deliveries and loads the last stored report, so
// that /metrics answers before the first crawl ends.
func (s *complianceService) run(ctx context.Context) {
	if rep, _, err := compliance.Stored(ctx, s.idx, time.Now()); err == nil && rep != nil {
		s.mu.Lock()
		s.last = rep
		s.mu.Unlock()
	}
	if s.notifier != nil {
		go s.notifier.Run(ctx)
	}
}

// after wraps a crawl so that the rules are evaluated when it ends, even
// when some repositories failed (their branches keep their last state).
func (s *complianceService) after(crawl service.CrawlFunc) service.CrawlFunc {
	if len(s.cfg.Rules) == 0 {
		return crawl
	}
	return func(ctx context.Context, repos []string) (*crawler.Summary, error) {
		sum, err := crawl(ctx, repos)
		if ctx.Err() == nil {
			s.evaluate(ctx)
		}
		return sum, err
	}
}

func (s *complianceService) evaluate(ctx context.Context) {
	s.running.Lock()
	defer s.running.Unlock()
	start := time.Now()
	run, err := s.evaluateOnce(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.LastRun = start.UTC()
	if err != nil {
		s.status.LastError = err.Error()
		s.log.Error("evaluate compliance rules", "err", err)
		return
	}
	s.status.LastError = ""
	s.status.Evaluated = run.Evaluation.Evaluated
	s.status.Reused = len(run.Evaluation.Results) - run.Evaluation.Evaluated
	s.last = run.Report
	s.log.Info("compliance rules evaluated", "rules", len(s.cfg.Rules), "evaluated", s.status.Evaluated,
		"reused", s.status.Reused, "transitions", len(run.Transitions), "duration", time.Since(start))
	if s.notifier != nil && len(run.Transitions) > 0 {
		s.notifier.Enqueue(run.Transitions)
	}
	if s.es != nil {
		docs := compliance.Docs(run.Report.Rules, run.Evaluation.At, run.Evaluation.Results)
		if err := s.es.Export(ctx, run.Evaluation.At, docs); err != nil {
			s.status.ExportError = err.Error()
			s.log.Error("export compliance results", "err", err)
		} else {
			s.status.ExportError = ""
		}
	}
}

func (s *complianceService) evaluateOnce(ctx context.Context) (*compliance.Run, error) {
	e := &compliance.Evaluator{Index: s.idx, Indicators: s.cfg.Indicators, Timeout: s.cfg.Compliance.Timeout}
	if needsOSV(s.cfg.Rules) {
		// Parsing a large ecosystem's advisories takes a while: read them
		// again only after an import changed the files.
		sum := osvFiles(s.cfg.Index.Path)
		if s.osvDB == nil || sum != s.osvSum {
			db, err := osv.Load(ctx, s.cfg.Index.Path)
			if err != nil {
				return nil, err
			}
			s.osvDB, s.osvSum = db, sum
		}
		e.OSV = s.osvDB
	}
	return e.EvaluateStored(ctx, s.cfg.Rules, s.cfg.Compliance.History)
}

// report returns the last report, nil before any.
func (s *complianceService) report() *compliance.Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// withStatus adds the compliance status, as "compliance", to the crawl
// status of GET /api/status.
func (s *complianceService) withStatus(crawl func() any) func() any {
	return func() any {
		s.mu.Lock()
		st := s.status
		s.mu.Unlock()
		if s.notifier != nil {
			a := s.notifier.Status()
			st.Alerts = &a
		}
		out := map[string]any{}
		if b, err := json.Marshal(crawl()); err == nil {
			json.Unmarshal(b, &out)
		}
		out["compliance"] = st
		return out
	}
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
