package service

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
)

// TestRequestsMergeAndErrorsClear runs the loop with a crawl function that
// records what it was asked and fails repository "bad" once: requests
// queued during a crawl merge into one, and a repository's error stays
// until a crawl of it succeeds.
func TestRequestsMergeAndErrorsClear(t *testing.T) {
	calls := make(chan []string, 10)
	release := make(chan struct{})
	failBad := true
	crawl := func(ctx context.Context, repos []string) (*crawler.Summary, error) {
		calls <- repos
		<-release
		sum := &crawler.Summary{}
		if failBad && (repos == nil || slices.Contains(repos, "bad")) {
			sum.Errors = []crawler.RepoError{{Repo: "bad", Error: "fetch: authentication required"}}
		}
		return sum, nil
	}
	reg := prometheus.NewRegistry()
	s := New(crawl, func(t time.Time) time.Time { return t.Add(time.Hour) }, slog.New(slog.DiscardHandler), reg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()

	if got := <-calls; got != nil {
		t.Fatalf("first crawl asked for %v, want every repository", got)
	}
	// Queued while the first crawl runs: they must merge into one crawl.
	s.Request("b")
	s.Request("bad")
	s.Request("b")
	release <- struct{}{}
	if got := <-calls; !slices.Equal(got, []string{"b", "bad"}) {
		t.Fatalf("merged crawl asked for %v, want [b bad]", got)
	}
	if !s.Status().Running {
		t.Error("status does not say a crawl is running")
	}
	if errs := s.Status().RepoErrors; errs["bad"] == "" {
		t.Errorf("the first crawl's failure is not in the status: %v", errs)
	}
	failBad = false
	release <- struct{}{}
	s.Request("bad")
	if got := <-calls; !slices.Equal(got, []string{"bad"}) {
		t.Fatalf("crawl asked for %v, want [bad]", got)
	}
	release <- struct{}{}
	cancel()
	<-done
	if errs := s.Status().RepoErrors; len(errs) != 0 {
		t.Errorf("repository errors after a successful crawl of it: %v", errs)
	}
	if s.Status().LastSummary == nil || s.Status().Running {
		t.Errorf("final status: %+v", s.Status())
	}
}

// TestCompactionMetrics: a crawl's compaction shows in the segment gauge,
// and a merge in the counters; a crawl that did not compact leaves them.
func TestCompactionMetrics(t *testing.T) {
	m := newMetrics(prometheus.NewRegistry())
	m.observe(time.Second, &crawler.Summary{Compaction: &indexer.Compaction{Merged: true, SegmentsBefore: 16, SegmentsAfter: 1, Duration: 7 * time.Second}}, nil)
	m.observe(time.Second, &crawler.Summary{}, nil)
	m.observe(time.Second, &crawler.Summary{Compaction: &indexer.Compaction{SegmentsBefore: 3, SegmentsAfter: 3}}, nil)
	if got := testutil.ToFloat64(m.segments); got != 3 {
		t.Errorf("trawl_index_segments = %v, want 3 (the last crawl that wrote)", got)
	}
	if got := testutil.ToFloat64(m.compactions); got != 1 {
		t.Errorf("trawl_index_compactions_total = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.compactTime); got != 7 {
		t.Errorf("trawl_index_compaction_seconds_total = %v, want 7", got)
	}
}
