package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer the counter's goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCounterDrawsAndClears(t *testing.T) {
	var buf syncBuffer
	c := startCounter(&buf, "deps: records read", time.Millisecond)
	c.add(41)
	c.add(1)
	for !strings.Contains(buf.String(), "deps: records read 42") {
		time.Sleep(time.Millisecond) // the test's timeout bounds this wait
	}
	c.stop()
	c.stop() // a second stop is harmless
	out := buf.String()
	if !strings.HasPrefix(out, "\r\x1b[K") || !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("counter output %q: want each draw to overwrite the line and stop to erase it", out)
	}
	var none *counter // what newCounter returns off a terminal
	none.add(1)
	none.stop()
}

// TestDepsQuietOffTerminal: a pipe gets the records and no progress.
func TestDepsQuietOffTerminal(t *testing.T) {
	cfg := crawledDemo(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"deps", "--csv", "-c", cfg}, &out, &errb); code != exitOK {
		t.Fatalf("deps --csv: exit %d %s", code, errb.String())
	}
	if errb.Len() > 0 || strings.Contains(out.String(), "\r") {
		t.Errorf("deps wrote progress off a terminal: stderr %q", errb.String())
	}
	if n := strings.Count(out.String(), "\n"); n < 100 {
		t.Errorf("deps --csv printed %d lines for the demo", n)
	}
}
