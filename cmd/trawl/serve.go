package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/service"
	"github.com/trawl-dev/trawl/web"
)

const serveHelp = `
Usage: trawl serve [-c trawl.yaml] [--listen ADDR] [--no-crawl]

Runs trawl as a service: crawls at start and then on schedule.interval (or
schedule.cron), never two at once; serves the web UI and the HTTP API
(/api/search, /api/search/stream, /api/file, /api/repos, /api/skipped,
/api/status), /healthz and Prometheus /metrics on server.listen.
SIGTERM or Ctrl-C stops the crawl under way at its next step (the index
stays consistent) and shuts the server down.

Examples:
  trawl serve
  trawl serve --listen 0.0.0.0:8080
`

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", serveHelp, stderr)
	var (
		c       common
		listen  string
		noCrawl bool
	)
	c.register(fs)
	fs.StringVar(&listen, "listen", "", "`address` to listen on (default server.listen)")
	fs.BoolVar(&noCrawl, "no-crawl", false, "serve the index as it is, without crawling (read-only replicas)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	if listen == "" {
		listen = cfg.Server.Listen
	}
	apiToken := ""
	if cfg.Server.APITokenEnv != "" {
		if apiToken, err = config.Secret(cfg.Server.APITokenEnv); err != nil {
			return usageError{fmt.Errorf("server.api_token_env: %w", err)}
		}
	}
	idx, err := openIndex(ctx, cfg)
	if err != nil {
		return err
	}
	defer idx.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	svc, err := service.New(crawlFunc(cfg, idx, log), cfg.Schedule.Interval, cfg.Schedule.Cron, log, reg)
	if err != nil {
		return usageError{fmt.Errorf("schedule.cron: %w", err)}
	}
	srv := web.New(web.Options{
		Index:    idx,
		Searcher: search.New(idx),
		Logger:   log,
		APIToken: apiToken,
		Status:   func() any { return svc.Status() },
		Metrics:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
	})

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	log.Info("serving", "url", "http://"+ln.Addr().String(), "backend", cfg.Index.Backend)
	fmt.Fprintf(stdout, "trawl serving on http://%s\n", ln.Addr())

	crawlDone := make(chan struct{})
	go func() {
		defer close(crawlDone)
		if !noCrawl {
			svc.Run(ctx)
		}
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown", "err", err)
	}
	<-crawlDone
	return nil
}

// crawlFunc crawls cfg's sources into idx, all repositories or the named ones.
func crawlFunc(cfg *config.Config, idx indexer.Index, log *slog.Logger) service.CrawlFunc {
	return func(ctx context.Context, repos []string) (*crawler.Summary, error) {
		c, err := crawler.New(cfg, idx, crawler.Options{Logger: log, Repos: repos})
		if err != nil {
			return nil, err
		}
		return c.Run(ctx)
	}
}
