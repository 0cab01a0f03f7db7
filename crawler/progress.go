package crawler

import (
	"context"
	"sync/atomic"
	"time"
)

// progress counts a running crawl's work for Options.Progress.
type progress struct {
	start    time.Time
	total    int
	done     atomic.Int64
	branches int64 // atomic
	files    atomic.Int64
	bytes    atomic.Int64
	report   func(Progress)
}

func (p *progress) repoDone()      { p.done.Add(1) }
func (p *progress) addFile()       { p.files.Add(1) }
func (p *progress) addBytes(n int) { p.bytes.Add(int64(n)) }

func (p *progress) snapshot() Progress {
	return Progress{
		ReposTotal: p.total,
		ReposDone:  int(p.done.Load()),
		Branches:   atomic.LoadInt64(&p.branches),
		Files:      p.files.Load(),
		Bytes:      p.bytes.Load(),
		Elapsed:    time.Since(p.start),
	}
}

// tick reports progress every 200 ms until the returned stop is called,
// which reports once more.
func (p *progress) tick(ctx context.Context) (stop func()) {
	if p.report == nil {
		return func() {}
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.report(p.snapshot())
			case <-quit:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
		p.report(p.snapshot())
	}
}
