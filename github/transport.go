package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts what the source asked of the GitHub API, for metrics.
type Stats struct {
	APICalls       int64 // requests sent, including retries and 304s
	NotModified    int64 // 304 answers to conditional requests: no quota spent
	Retries        int64 // requests repeated after a 5xx, a network error or a rate limit
	RateLimitWaits int64 // pauses for a primary or secondary rate limit
	// RateLimitRemaining is the last X-RateLimit-Remaining seen, -1 before
	// any answer carried one.
	RateLimitRemaining int
	RateLimitReset     time.Time
}

// transport is the http.RoundTripper under go-github: every API call goes
// through it, so every call is authenticated, bounded in concurrency,
// conditional (ETags), and patient with rate limits and transient errors.
type transport struct {
	base    http.RoundTripper
	apiHost string // credentials go to this host only
	token   func(ctx context.Context) (string, error)
	sleep   func(ctx context.Context, d time.Duration) error
	log     *slog.Logger
	sem     chan struct{}
	retries int // attempts after a 5xx or a network error
	pages   *state

	calls, notModified, retried, waits atomic.Int64

	mu          sync.Mutex
	remaining   int
	reset       time.Time
	loggedReset time.Time // the reset time last announced in the log
}

// Rate-limit waits are bounded too: a token that stays limited after this
// many pauses is broken, and the error says so.
const maxRateLimitWaits = 6

func (t *transport) stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Stats{
		APICalls:           t.calls.Load(),
		NotModified:        t.notModified.Load(),
		Retries:            t.retried.Load(),
		RateLimitWaits:     t.waits.Load(),
		RateLimitRemaining: t.remaining,
		RateLimitReset:     t.reset,
	}
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.sem }()

	key := ""
	if req.Method == http.MethodGet {
		key = req.URL.String()
	}
	cached, haveCached := t.pages.page(key)
	canRetry := req.Body == nil || req.GetBody != nil
	failures, waits := 0, 0
	for {
		if err := t.waitForReset(ctx); err != nil {
			return nil, err
		}
		r, err := t.prepare(req, cached, haveCached)
		if err != nil {
			return nil, err
		}
		t.calls.Add(1)
		resp, err := t.base.RoundTrip(r)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
			resp.Body.Close()
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			failures++
			if !canRetry || failures > t.retries {
				return nil, err
			}
			if err := t.backoff(ctx, failures, time.Second); err != nil {
				return nil, err
			}
			continue
		}
		t.observe(resp.Header)

		if d, primary := t.rateLimited(resp, body, waits); d > 0 && canRetry && waits < maxRateLimitWaits {
			waits++
			t.waits.Add(1)
			t.retried.Add(1)
			if primary {
				t.announce()
			} else {
				t.log.Warn("GitHub secondary rate limit: backing off", "wait", d.Round(time.Second))
			}
			if err := t.sleep(ctx, d); err != nil {
				return nil, err
			}
			if primary {
				t.forgetSpent()
			}
			continue
		}
		if resp.StatusCode >= 500 && canRetry && failures < t.retries {
			failures++
			if err := t.backoff(ctx, failures, time.Second); err != nil {
				return nil, err
			}
			continue
		}

		switch {
		case resp.StatusCode == http.StatusNotModified && haveCached:
			t.notModified.Add(1)
			resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
			resp.Header.Set("Link", cached.Link)
			resp.Header.Set("Content-Type", "application/json; charset=utf-8")
			body = cached.Body
		case resp.StatusCode == http.StatusOK && key != "":
			if etag := resp.Header.Get("ETag"); etag != "" && json.Valid(body) {
				t.pages.setPage(key, page{ETag: etag, Link: resp.Header.Get("Link"), Body: body})
			}
		}
		if resp.StatusCode < 300 && resp.Header.Get("X-RateLimit-Remaining") == "0" {
			// go-github refuses every later call until the reset when it
			// sees an exhausted quota; this transport waits instead, so it
			// keeps that knowledge to itself.
			resp.Header.Del("X-RateLimit-Remaining")
			resp.Header.Del("X-RateLimit-Reset")
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		return resp, nil
	}
}

// prepare copies req for one attempt, with credentials and the ETag of the
// cached answer.
func (t *transport) prepare(req *http.Request, cached page, haveCached bool) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = b
	}
	if haveCached {
		r.Header.Set("If-None-Match", cached.ETag)
	}
	if t.token != nil && r.URL.Host == t.apiHost && r.Header.Get("Authorization") == "" {
		tok, err := t.token(req.Context())
		if err != nil {
			return nil, err
		}
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r, nil
}

// observe records the quota an answer reports.
func (t *transport) observe(h http.Header) {
	rem, err := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.remaining = rem
	if sec, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		t.reset = time.Unix(sec, 0)
	}
}

// waitForReset pauses while the quota is known to be spent, so that calls
// wait for the reset instead of spending themselves on 403s.
func (t *transport) waitForReset(ctx context.Context) error {
	t.mu.Lock()
	spent := t.remaining == 0 && time.Now().Before(t.reset)
	d := time.Until(t.reset) + time.Second
	t.mu.Unlock()
	if !spent {
		return nil
	}
	t.waits.Add(1)
	t.announce()
	if err := t.sleep(ctx, d); err != nil {
		return err
	}
	t.forgetSpent()
	return nil
}

// forgetSpent follows a wait for the reset: the quota is unknown until the
// next answer says.
func (t *transport) forgetSpent() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.remaining == 0 {
		t.remaining = -1
	}
}

// announce logs a primary rate-limit pause once per reset time: a crawl of
// hundreds of repositories would otherwise log it hundreds of times.
func (t *transport) announce() {
	t.mu.Lock()
	reset := t.reset
	first := !reset.Equal(t.loggedReset)
	t.loggedReset = reset
	t.mu.Unlock()
	if first {
		t.log.Warn("GitHub API rate limit exhausted: pausing until it resets", "reset", reset.Format(time.RFC3339))
	}
}

// rateLimited says how long to wait before repeating a request that hit a
// rate limit, and whether it was the primary (hourly quota) one.
func (t *transport) rateLimited(resp *http.Response, body []byte, waits int) (time.Duration, bool) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if sec, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Until(time.Unix(sec, 0))+time.Second, time.Second), true
		}
		return time.Minute, true
	}
	if sec, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && sec >= 0 {
		d := time.Duration(sec) * time.Second
		return d + jitter(d/4+time.Second), false
	}
	// A secondary limit without Retry-After: GitHub asks for at least a
	// minute, growing with each repeat.
	if resp.StatusCode == http.StatusTooManyRequests || bytes.Contains(bytes.ToLower(body), []byte("secondary rate limit")) {
		d := time.Minute << min(waits, 4)
		return d + jitter(d/4), false
	}
	return 0, false
}

// backoff waits base·2^(n-1), capped at a minute, with jitter so that
// workers that failed together do not retry together.
func (t *transport) backoff(ctx context.Context, n int, base time.Duration) error {
	t.retried.Add(1)
	d := min(base<<min(n-1, 6), time.Minute)
	return t.sleep(ctx, d/2+jitter(d/2))
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

// sleepContext waits for d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// redact replaces every occurrence of secret in err's text.
func redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "***"))
}
