package main

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indicators"
	"github.com/trawl-dev/trawl/service"
	"github.com/trawl-dev/trawl/source/sources"
)

// newExporter builds the indicators_export of trawl.yaml, or nil when it
// has none.
func newExporter(cfg *config.Config, idx indexer.Index, gh *sources.Set, log *slog.Logger) (*indicators.Exporter, error) {
	x := cfg.IndicatorsExport
	if x == nil || x.Elasticsearch == nil && x.HTTP == nil && x.Files == nil {
		return nil, nil
	}
	xc := *x
	if xc.Files != nil {
		f := *xc.Files
		f.Dir = indicators.ExportDir(cfg)
		xc.Files = &f
	}
	var es *indicators.ES
	if e := x.Elasticsearch; e != nil {
		es = &indicators.ES{URL: e.URL, Index: e.Index, Username: e.Username}
		if err := readSecret(&es.Password, "indicators_export.elasticsearch.password_env", e.PasswordEnv); err != nil {
			return nil, err
		}
		if err := readSecret(&es.APIKey, "indicators_export.elasticsearch.api_key_env", e.APIKeyEnv); err != nil {
			return nil, err
		}
	}
	compute := func(ctx context.Context) ([]indicators.Document, []error, error) {
		return computeDocuments(ctx, cfg, idx, gh, indicators.Options{})
	}
	return indicators.NewExporter(xc, filepath.Join(cfg.Index.Path, "indicators-export"), es, compute, log), nil
}

// afterCrawl runs the export after each crawl, in the crawl's turn, so that
// it never reads the index while a crawl writes it. A failed export does
// not fail the crawl: it shows in /api/status and the metrics, and what it
// did not send is sent by the next one.
func afterCrawl(crawl service.CrawlFunc, e *indicators.Exporter, log *slog.Logger) service.CrawlFunc {
	return func(ctx context.Context, repos []string) (*crawler.Summary, error) {
		sum, err := crawl(ctx, repos)
		if ctx.Err() == nil {
			if xerr := e.Run(ctx); xerr != nil {
				log.Warn("indicators export failed; kept for the next run", "err", xerr)
			}
		}
		return sum, err
	}
}

// serveStatus is /api/status: the service's status, with the export's.
type serveStatus struct {
	service.Status
	IndicatorsExport *indicators.ExportStatus `json:"indicators_export,omitempty"`
}

func statusWithExport(st service.Status, e *indicators.Exporter) any {
	if e == nil {
		return st
	}
	x := e.Status()
	return serveStatus{Status: st, IndicatorsExport: &x}
}
