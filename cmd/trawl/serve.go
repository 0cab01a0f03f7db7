package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trawl-dev/trawl/change"
	"github.com/trawl-dev/trawl/compliance"
	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indicators"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/service"
	"github.com/trawl-dev/trawl/source/sources"
	"github.com/trawl-dev/trawl/web"
	"github.com/trawl-dev/trawl/webhook"
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
	fs, c := newCommandFlags("serve", serveHelp, stderr)
	var (
		listen  string
		noCrawl bool
	)
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
	// The ballast keeps a query's collections few (gcBallast); a crawl's
	// heap goal grows by twice its size at most.
	ballast := gcBallast()
	defer runtime.KeepAlive(ballast)
	idx, err := openIndex(ctx, cfg, readWrite)
	if err != nil {
		return err
	}
	defer idx.Close()
	s, err := newServer(cfg, idx, log, listen)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	log.Info("serving", "url", "http://"+ln.Addr().String(), "backend", cfg.Index.Backend)
	fmt.Fprintf(stdout, "trawl serving on http://%s\n", ln.Addr())
	return s.run(ctx, ln, noCrawl)
}

// server is trawl serve's parts: the crawl schedule, the compliance
// evaluation that follows each crawl, and the HTTP server.
type server struct {
	svc  *service.Service
	comp *complianceService
	http *http.Server
	log  *slog.Logger
}

// newServer wires the sources, the schedule, metrics, webhooks and the
// web server for cfg's index.
func newServer(cfg *config.Config, idx indexer.Index, log *slog.Logger, listen string) (*server, error) {
	var apiToken string
	if err := readSecret(&apiToken, "server.api_token_env", cfg.Server.APITokenEnv); err != nil {
		return nil, err
	}
	set := sources.New(sources.Options{Logger: log})
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(set.Collectors()...)
	crawl := crawlFunc(cfg, idx, log, set)
	exp, err := newExporter(cfg, idx, set, log) // indicators_export, after every crawl
	if err != nil {
		return nil, usageError{err}
	}
	if exp != nil {
		crawl = afterCrawl(crawl, exp, log)
		reg.MustRegister(indicators.ExportCollector{Status: exp.Status})
	}
	comp, err := newComplianceService(cfg, idx, log)
	if err != nil {
		return nil, err
	}
	reg.MustRegister(compliance.Collector{Report: comp.Report})
	svc := service.New(comp.after(crawl), cfg.Schedule.Next, log, reg)
	campaigns := change.New(cfg, idx, change.Options{})
	hooks, err := webhookRoutes(cfg, set, svc, campaigns, log)
	if err != nil {
		return nil, err
	}
	srv := web.New(web.Options{
		Indicators: func(ctx context.Context) (any, error) {
			docs, err := indicators.Compute(ctx, idx, cfg.Indicators, indicators.OptionsFor(cfg))
			return map[string]any{"documents": docs}, err
		},
		Extra:    hooks,
		Changes:  campaigns.Store(),
		Index:    idx,
		Searcher: search.New(idx),
		Logger:   log,
		APIToken: apiToken,
		Status:   comp.withStatus(func() any { return statusWithExport(svc.Status(), exp) }),
		Crawler:  svc,
		Metrics:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
		// Limits: README, "Query and server limits".
		Timeout:       cfg.Server.SearchTimeout,
		StreamTimeout: cfg.Server.StreamTimeout,
		Limits: web.Limits{
			MaxConcurrentSearches: cfg.Server.MaxConcurrentSearches,
			SearchQueueWait:       cfg.Server.SearchQueueWait,
			MaxAnswerBytes:        int(cfg.Server.MaxAnswerBytes),
			ReadTimeout:           cfg.Server.ReadTimeout,
			WriteTimeout:          cfg.Server.WriteTimeout,
			IdleTimeout:           cfg.Server.IdleTimeout,
		},
		Listen:       listen,
		AllowedHosts: cfg.Server.AllowedHosts,
		DataDir:      cfg.Index.Path,
		PrivateDirs:  []string{filepath.Dir(cfg.Path)},
	})
	return &server{svc: svc, comp: comp, http: srv.HTTPServer(), log: log}, nil
}

// webhookRoutes are the webhook endpoints: GitHub's (which also serves
// the pull-request events of bulk changes) and every other configured
// forge's. A push asks for that repository's crawl; a repository event
// for a full listing, the only one that sees deletions and renames.
func webhookRoutes(cfg *config.Config, set *sources.Set, svc *service.Service, campaigns *change.Campaigns, log *slog.Logger) (map[string]http.Handler, error) {
	events := webhook.Events{
		Push: func(repo, branch string) {
			set.MarkChanged(repo)
			log.Info("push webhook", "repo", repo, "branch", branch)
			svc.Request(repo)
		},
		Repository: func(repo string) {
			log.Info("repository webhook", "repo", repo)
			svc.Request()
		},
	}
	routes, err := sources.Hooks(cfg, events, log)
	if err != nil {
		return nil, usageError{err}
	}
	// GitHub's is mounted without a secret too, so that deliveries get
	// the documented 401 saying why rather than a 404.
	var secret string
	if err := readSecret(&secret, "server.webhook_secret_env", cfg.Server.WebhookSecretEnv); err != nil {
		return nil, err
	}
	routes["POST /hooks/github"] = webhook.PullRequests([]byte(secret), pullRequestEvents(campaigns, log), webhook.Handler([]byte(secret), events, log))
	return routes, nil
}

// run crawls on schedule (unless noCrawl) and serves on ln until ctx
// ends, then shuts the server down and waits for the crawl to stop.
func (s *server) run(ctx context.Context, ln net.Listener, noCrawl bool) error {
	s.comp.Start(ctx)
	crawlDone := make(chan struct{})
	go func() {
		defer close(crawlDone)
		if !noCrawl {
			s.svc.Run(ctx)
		}
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.http.Serve(ln) }()

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	}
	s.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.http.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Warn("shutdown", "err", err)
	}
	<-crawlDone
	return nil
}

// crawlFunc crawls cfg's sources into idx, all repositories or the named ones.
func crawlFunc(cfg *config.Config, idx indexer.Index, log *slog.Logger, gh *sources.Set) service.CrawlFunc {
	return func(ctx context.Context, repos []string) (*crawler.Summary, error) {
		c, err := crawlerFor(cfg, idx, gh, crawler.Options{Logger: log, Repos: repos})
		if err != nil {
			return nil, err
		}
		return c.Run(ctx)
	}
}
