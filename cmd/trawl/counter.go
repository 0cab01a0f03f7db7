package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// counter is the progress line of a long operation whose total is unknown
// (a stream of records): what has been done and for how long, redrawn every
// 200 ms on a terminal, like crawl's bar. Pipes and logs get nothing.
type counter struct {
	w     io.Writer
	label string
	start time.Time
	n     atomic.Int64
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// newCounter returns nil unless w is a terminal; a nil counter's methods do
// nothing, so callers need no test.
func newCounter(w io.Writer, label string) *counter {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return startCounter(w, label, 200*time.Millisecond)
}

func startCounter(w io.Writer, label string, every time.Duration) *counter {
	c := &counter{w: w, label: label, start: time.Now(), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				c.draw()
			case <-c.quit:
				return
			}
		}
	}()
	return c
}

func (c *counter) add(n int) {
	if c != nil {
		c.n.Add(int64(n))
	}
}

func (c *counter) draw() {
	fmt.Fprintf(c.w, "\r\x1b[K%s %d  %s", c.label, c.n.Load(), time.Since(c.start).Round(time.Second))
}

// stop ends the redraws and erases the line, so the output that follows
// starts clean.
func (c *counter) stop() {
	if c == nil {
		return
	}
	c.once.Do(func() {
		close(c.quit)
		<-c.done
		fmt.Fprint(c.w, "\r\x1b[K")
	})
}
