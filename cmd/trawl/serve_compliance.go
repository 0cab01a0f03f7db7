package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/trawl-dev/trawl/compliance"
	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/service"
)

// complianceService is the compliance.Service of trawl serve, built from
// trawl.yaml (alert targets and export credentials read from the
// environment here), with what the server wires around it.
type complianceService struct {
	*compliance.Service
	notifier *compliance.Notifier // nil without alerts
	rules    bool
}

func newComplianceService(cfg *config.Config, idx indexer.Index, log *slog.Logger) (*complianceService, error) {
	o := compliance.ServiceOptions{Index: idx, Rules: cfg.Rules, Indicators: cfg.Indicators,
		Timeout: cfg.Compliance.Timeout, History: cfg.Compliance.History, DataDir: cfg.Index.Path, Logger: log}
	c := cfg.Compliance
	if len(c.Alerts) > 0 {
		// Pending alerts and the ids delivered survive a restart.
		o.Notifier = &compliance.Notifier{Log: log, StatePath: filepath.Join(cfg.Index.Path, "compliance-alerts.json")}
		for i, a := range c.Alerts {
			u := a.URL
			if err := readSecret(&u, fmt.Sprintf("compliance.alerts[%d].url_env", i), a.URLEnv); err != nil {
				return nil, err
			}
			o.Notifier.Targets = append(o.Notifier.Targets, compliance.Target{URL: u, Format: a.Format})
		}
	}
	if c.Elasticsearch.URL != "" {
		es, err := complianceES(c.Elasticsearch, c.Elasticsearch.URL, "")
		if err != nil {
			return nil, err
		}
		o.ES = es
	}
	return &complianceService{Service: compliance.NewService(o), notifier: o.Notifier, rules: len(cfg.Rules) > 0}, nil
}

// complianceES builds an export target from the configuration, with the
// URL and prefix of flags when given.
func complianceES(c config.ComplianceElastic, url, prefix string) (*compliance.ES, error) {
	es := &compliance.ES{URL: url, Prefix: c.IndexPrefix, Username: c.Username}
	if prefix != "" {
		es.Prefix = prefix
	}
	if err := readSecret(&es.Password, "compliance.elasticsearch.password_env", c.PasswordEnv); err != nil {
		return nil, err
	}
	if err := readSecret(&es.APIKey, "compliance.elasticsearch.api_key_env", c.APIKeyEnv); err != nil {
		return nil, err
	}
	return es, nil
}

// after wraps a crawl so that the rules are evaluated when it ends, even
// when some repositories failed (their branches keep their last state).
func (s *complianceService) after(crawl service.CrawlFunc) service.CrawlFunc {
	if !s.rules {
		return crawl
	}
	return func(ctx context.Context, repos []string) (*crawler.Summary, error) {
		sum, err := crawl(ctx, repos)
		if ctx.Err() == nil {
			s.Evaluate(ctx)
		}
		return sum, err
	}
}

// withStatus adds the compliance status, as "compliance", to the crawl
// status of GET /api/status.
func (s *complianceService) withStatus(crawl func() any) func() any {
	return func() any {
		st := s.Status()
		out := map[string]any{}
		if b, err := json.Marshal(crawl()); err == nil {
			json.Unmarshal(b, &out)
		}
		out["compliance"] = st
		return out
	}
}
