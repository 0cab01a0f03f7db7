// Package service owns trawl serve's long-running crawl loop: crawls on an
// interval or cron schedule, never two at once; on-demand crawls of named
// repositories (webhooks); the status the API shows; and the Prometheus
// metrics of every crawl.
package service

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-dev/trawl/crawler"
)

// CrawlFunc runs one crawl pass; repos empty means every repository.
type CrawlFunc func(ctx context.Context, repos []string) (*crawler.Summary, error)

// Service schedules crawls.
type Service struct {
	crawl    CrawlFunc
	next     func(time.Time) time.Time
	log      *slog.Logger
	requests chan []string
	metrics  *metrics

	mu     sync.Mutex
	status Status
}

// Status is what GET /api/status shows of the crawler.
type Status struct {
	Running     bool             `json:"running"`
	LastStart   time.Time        `json:"last_start,omitzero"`
	LastEnd     time.Time        `json:"last_end,omitzero"`
	LastError   string           `json:"last_error,omitempty"`
	LastSummary *crawler.Summary `json:"last_summary,omitempty"`
	NextCrawl   time.Time        `json:"next_crawl,omitzero"`
	// RepoErrors keeps each failing repository's last error until a crawl
	// of it succeeds.
	RepoErrors map[string]string `json:"repo_errors"`
}

// New makes a service that starts a crawl at next(t) after one that
// started at t: config.Schedule.Next gives the interval or the cron
// schedule, parsed once when the configuration was read.
func New(crawl CrawlFunc, next func(time.Time) time.Time, log *slog.Logger, reg prometheus.Registerer) *Service {
	return &Service{
		crawl:    crawl,
		next:     next,
		log:      log,
		requests: make(chan []string, 64),
		metrics:  newMetrics(reg),
		status:   Status{RepoErrors: map[string]string{}},
	}
}

// Request asks for a crawl of repos (all when empty) as soon as the
// current one ends. Requests that pile up are merged.
func (s *Service) Request(repos ...string) {
	select {
	case s.requests <- repos:
	default:
		// The queue is full: a full crawl covers whatever was asked.
		s.log.Warn("crawl requests pile up; the next crawl covers every repository")
		select {
		case s.requests <- nil:
		default:
		}
	}
}

// Status returns a copy of the current status.
func (s *Service) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.RepoErrors = make(map[string]string, len(s.status.RepoErrors))
	for k, v := range s.status.RepoErrors {
		st.RepoErrors[k] = v
	}
	return st
}

// RepoErrors returns each failing repository's last error.
func (s *Service) RepoErrors() map[string]string { return s.Status().RepoErrors }

// Run crawls at once, then on schedule and on request, until ctx ends.
// A crawl under way when ctx ends stops at its next step; the index stays
// consistent because branch states are written last.
func (s *Service) Run(ctx context.Context) {
	s.runOnce(ctx, nil)
	for {
		next := s.next(time.Now())
		s.mu.Lock()
		s.status.NextCrawl = next
		s.mu.Unlock()
		timer := time.NewTimer(time.Until(next))
		var repos []string
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case repos = <-s.requests:
			timer.Stop()
			repos = s.drain(repos)
		}
		s.runOnce(ctx, repos)
	}
}

// drain merges queued requests into first; any full-crawl request makes
// the result a full crawl (nil).
func (s *Service) drain(first []string) []string {
	all := first == nil
	repos := slices.Clone(first)
	for {
		select {
		case more := <-s.requests:
			if more == nil {
				all = true
			}
			repos = append(repos, more...)
		default:
			if all {
				return nil
			}
			slices.Sort(repos)
			return slices.Compact(repos)
		}
	}
}

func (s *Service) runOnce(ctx context.Context, repos []string) {
	start := time.Now()
	s.mu.Lock()
	s.status.Running = true
	s.status.LastStart = start
	s.mu.Unlock()

	sum, err := s.crawl(ctx, repos)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.Running = false
	s.status.LastEnd = time.Now()
	s.status.LastError = ""
	if err != nil {
		s.status.LastError = err.Error()
		s.log.Error("crawl failed", "err", err)
	}
	if sum != nil {
		s.status.LastSummary = sum
		failed := map[string]bool{}
		for _, e := range sum.Errors {
			s.status.RepoErrors[e.Repo] = e.Error
			failed[e.Repo] = true
		}
		// A repository crawled without error is no longer failing.
		if repos == nil && err == nil {
			for name := range s.status.RepoErrors {
				if !failed[name] {
					delete(s.status.RepoErrors, name)
				}
			}
		}
		for _, name := range repos {
			if !failed[name] {
				delete(s.status.RepoErrors, name)
			}
		}
		s.log.Info("crawl finished", "repos", sum.Repos, "changed_branches", sum.BranchesChanged,
			"files", sum.FilesWritten, "errors", len(sum.Errors), "duration", time.Since(start).Round(time.Millisecond))
	}
	s.metrics.observe(time.Since(start), sum, err)
}

type metrics struct {
	duration prometheus.Histogram
	crawls   *prometheus.CounterVec
	repos    prometheus.Gauge
	branches prometheus.Gauge
	files    prometheus.Counter
	bytes    prometheus.Counter
	errors   prometheus.Counter
	limits   *prometheus.CounterVec
	// The index's layout after the last crawl that wrote, and its
	// compactions (indexer.Compactor).
	segments    prometheus.Gauge
	compactions prometheus.Counter
	compactTime prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "trawl_crawl_duration_seconds", Help: "Duration of crawl passes.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2, 14),
		}),
		crawls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trawl_crawls_total", Help: "Crawl passes by result (ok, partial, failed).",
		}, []string{"result"}),
		repos:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "trawl_repositories", Help: "Repositories seen by the last crawl."}),
		branches: prometheus.NewGauge(prometheus.GaugeOpts{Name: "trawl_branches", Help: "Branches seen by the last crawl."}),
		files:    prometheus.NewCounter(prometheus.CounterOpts{Name: "trawl_files_written_total", Help: "Locations written."}),
		bytes:    prometheus.NewCounter(prometheus.CounterOpts{Name: "trawl_bytes_indexed_total", Help: "Bytes of new content indexed."}),
		errors:   prometheus.NewCounter(prometheus.CounterOpts{Name: "trawl_repository_errors_total", Help: "Repositories that failed in a crawl."}),
		limits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trawl_crawl_limits_hit_total", Help: "Repositories and branches refused or cut short by a crawl limit, by limit.",
		}, []string{"limit"}),
	}
	m.segments = prometheus.NewGauge(prometheus.GaugeOpts{Name: "trawl_index_segments",
		Help: "Segments of the embedded index after the last crawl that wrote (0 before one, or on Elasticsearch)."})
	m.compactions = prometheus.NewCounter(prometheus.CounterOpts{Name: "trawl_index_compactions_total",
		Help: "Merges of the embedded index's segments into one after a crawl."})
	m.compactTime = prometheus.NewCounter(prometheus.CounterOpts{Name: "trawl_index_compaction_seconds_total",
		Help: "Time spent merging the embedded index's segments."})
	for _, l := range []string{crawler.LimitFiles, crawler.LimitDuration} {
		m.limits.WithLabelValues(l) // shown as 0 before any is hit
	}
	if reg != nil {
		reg.MustRegister(m.duration, m.crawls, m.repos, m.branches, m.files, m.bytes, m.errors, m.limits,
			m.segments, m.compactions, m.compactTime)
	}
	return m
}

func (m *metrics) observe(d time.Duration, sum *crawler.Summary, err error) {
	m.duration.Observe(d.Seconds())
	result := "ok"
	switch {
	case err != nil:
		result = "failed"
	case sum != nil && len(sum.Errors) > 0:
		result = "partial"
	}
	m.crawls.WithLabelValues(result).Inc()
	if sum == nil {
		return
	}
	m.repos.Set(float64(sum.Repos))
	m.branches.Set(float64(sum.Branches))
	m.files.Add(float64(sum.FilesWritten))
	m.bytes.Add(float64(sum.BytesIndexed))
	m.errors.Add(float64(len(sum.Errors)))
	for _, h := range sum.LimitsHit {
		m.limits.WithLabelValues(h.Limit).Inc()
	}
	if c := sum.Compaction; c != nil {
		m.segments.Set(float64(c.SegmentsAfter))
		if c.Merged {
			m.compactions.Inc()
			m.compactTime.Add(c.Duration.Seconds())
		}
	}
}
