package service

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-dev/trawl/crawler"
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
