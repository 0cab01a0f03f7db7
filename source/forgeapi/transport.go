// Package forgeapi is the HTTP layer under every forge's API client: one
// http.RoundTripper that authenticates, bounds concurrency, sends
// conditional requests from a state file (an unchanged listing costs 304s
// and no quota), waits out rate limits and retries transient failures,
// refuses HTML where JSON was asked (a login page behind SSO), and counts
// what it did for metrics. Forge packages (source/github, source/gitlab...)
// put it under their client and keep only what is theirs: endpoints,
// shapes and webhooks.
package forgeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts what a source asked of its forge's API, for metrics.
type Stats struct {
	APICalls       int64 // requests sent, including retries and 304s
	NotModified    int64 // 304 answers to conditional requests: no quota spent
	Retries        int64 // requests repeated after a 5xx, a network error or a rate limit
	RateLimitWaits int64 // pauses for a primary or secondary rate limit
	// RateLimitRemaining is the last X-RateLimit-Remaining (or
	// RateLimit-Remaining) seen, -1 before any answer carried one.
	RateLimitRemaining int
	RateLimitReset     time.Time
}

// Options configure a Transport.
type Options struct {
	Forge string // "GitHub", "GitLab": in log lines and errors
	Host  string // the API's host: Auth runs only for requests to it
	// Auth sets credentials on a request to Host; nil sends none.
	Auth func(ctx context.Context, r *http.Request) error
	// Base carries the requests; default http.DefaultTransport.
	Base http.RoundTripper
	// Sleep waits for d or until ctx ends. Rate-limit pauses and retry
	// backoffs go through it; tests replace it to avoid real waits.
	Sleep  func(ctx context.Context, d time.Duration) error
	Logger *slog.Logger
	// Concurrency bounds the calls in flight; default 4.
	Concurrency int
	// Retries bounds the repeats of a call after a 5xx answer or a
	// network error; default 4.
	Retries int
	// State caches GET answers with their ETags; nil caches nothing.
	State *State
}

// Transport is the http.RoundTripper under a forge's API client: every
// call goes through it, so every call is authenticated, bounded in
// concurrency, conditional (ETags), and patient with rate limits and
// transient errors.
type Transport struct {
	forge   string
	base    http.RoundTripper
	apiHost string // credentials go to this host only
	auth    func(ctx context.Context, r *http.Request) error
	sleep   func(ctx context.Context, d time.Duration) error
	log     *slog.Logger
	sem     chan struct{}
	retries int // attempts after a 5xx or a network error
	pages   *State

	calls, notModified, retried, waits atomic.Int64

	mu          sync.Mutex
	remaining   int
	reset       time.Time
	loggedReset time.Time // the reset time last announced in the log
}

// NewTransport makes a Transport; zero options take their defaults.
func NewTransport(o Options) *Transport {
	if o.Base == nil {
		o.Base = http.DefaultTransport
	}
	if o.Sleep == nil {
		o.Sleep = Sleep
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Retries <= 0 {
		o.Retries = 4
	}
	if o.State == nil {
		o.State = NewState()
	}
	if o.Forge == "" {
		o.Forge = "forge"
	}
	return &Transport{
		forge: o.Forge, base: o.Base, apiHost: o.Host, auth: o.Auth, sleep: o.Sleep,
		log: o.Logger, sem: make(chan struct{}, o.Concurrency), retries: o.Retries,
		pages: o.State, remaining: -1,
	}
}

// Rate-limit waits are bounded too: a token that stays limited after this
// many pauses is broken, and the error says so.
const maxRateLimitWaits = 6

// Stats reports the calls made so far and the last known quota.
func (t *Transport) Stats() Stats {
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

// RoundTrip sends req, waiting out rate limits and repeating it after
// transient failures, and answers a 304 to a conditional GET with the
// cached page. The answer's body is read whole (up to 64 MiB) so that it
// can be cached and checked.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.sem }()

	c := t.newCall(req)
	for {
		if err := t.waitForReset(ctx); err != nil {
			return nil, err
		}
		r, err := t.prepare(req, c.cached, c.haveCached)
		if err != nil {
			return nil, err
		}
		resp, body, err := c.send(r)
		if err != nil {
			if err := c.retryFailure(ctx, err); err != nil {
				return nil, err
			}
			continue
		}
		t.observe(resp.Header)
		again, err := c.retryAnswer(ctx, resp, body)
		if err != nil {
			return nil, err
		}
		if !again {
			return c.answer(resp, body)
		}
	}
}

// call is the state of one RoundTrip across its attempts.
type call struct {
	t          *Transport
	req        *http.Request
	key        string // the page's key in the state: its URL, for a GET
	cached     page
	haveCached bool
	// canRetry says the request can be sent again: it has no body, or
	// one that can be had again.
	canRetry bool
	failures int // network errors and 5xx answers so far
	waits    int // rate-limit pauses so far
}

func (t *Transport) newCall(req *http.Request) *call {
	c := &call{t: t, req: req, canRetry: req.Body == nil || req.GetBody != nil}
	if req.Method == http.MethodGet {
		c.key = req.URL.String()
	}
	c.cached, c.haveCached = t.pages.page(c.key)
	return c
}

// send makes one attempt, r, and reads its answer's body.
func (c *call) send(r *http.Request) (*http.Response, []byte, error) {
	c.t.calls.Add(1)
	resp, err := c.t.base.RoundTrip(r)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	resp.Body.Close()
	return resp, body, err
}

// retryFailure waits before repeating an attempt that failed in the
// network, or returns the error that ends the call.
func (c *call) retryFailure(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	c.failures++
	if !c.canRetry || c.failures > c.t.retries {
		return err
	}
	return c.t.backoff(ctx, c.failures, time.Second)
}

// retryAnswer waits out a rate limit, or backs off after a 5xx, and says
// whether the request is to be sent again.
func (c *call) retryAnswer(ctx context.Context, resp *http.Response, body []byte) (bool, error) {
	t := c.t
	if d, primary := t.rateLimited(resp, body, c.waits); d > 0 && c.canRetry && c.waits < maxRateLimitWaits {
		c.waits++
		t.waits.Add(1)
		t.retried.Add(1)
		if primary {
			t.announce()
		} else {
			t.log.Warn(t.forge+" secondary rate limit: backing off", "wait", d.Round(time.Second))
		}
		if err := t.sleep(ctx, d); err != nil {
			return false, err
		}
		if primary {
			t.forgetSpent()
		}
		return true, nil
	}
	if resp.StatusCode >= 500 && c.canRetry && c.failures < t.retries {
		c.failures++
		return true, t.backoff(ctx, c.failures, time.Second)
	}
	return false, nil
}

// answer is the final answer to the call: a 304 becomes the cached page,
// a 200 to a GET is cached, an exhausted quota is hidden from the client,
// and HTML where JSON was asked is an error.
func (c *call) answer(resp *http.Response, body []byte) (*http.Response, error) {
	switch {
	case resp.StatusCode == http.StatusNotModified && c.haveCached:
		body = c.fromCache(resp)
	case resp.StatusCode == http.StatusOK && c.key != "":
		c.store(resp, body)
	}
	if n, ok := remaining(resp.Header); ok && n == 0 && resp.StatusCode < 300 {
		// Clients (go-github, GitLab's) refuse every later call until
		// the reset when they see an exhausted quota; this transport
		// waits instead, so it keeps that knowledge to itself.
		for _, k := range []string{"X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit-Remaining", "RateLimit-Reset"} {
			resp.Header.Del(k)
		}
	}
	if resp.StatusCode < 300 && isHTML(resp.Header) {
		return nil, &HTMLError{Forge: c.t.forge, URL: redactURL(c.req.URL), Status: resp.StatusCode}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// fromCache turns a 304 into the 200 of the cached page and returns its
// body.
func (c *call) fromCache(resp *http.Response) []byte {
	c.t.notModified.Add(1)
	resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
	resp.Header.Set("Link", c.cached.Link)
	for k, v := range c.cached.Paging {
		resp.Header.Set(k, v)
	}
	resp.Header.Set("Content-Type", "application/json; charset=utf-8")
	return c.cached.Body
}

// store caches a 200 answer that has an ETag and a JSON body, with its
// paging headers.
func (c *call) store(resp *http.Response, body []byte) {
	etag := resp.Header.Get("ETag")
	if etag == "" || !json.Valid(body) {
		return
	}
	p := page{ETag: etag, Link: resp.Header.Get("Link"), Body: body}
	for _, k := range pagingHeaders {
		if v := resp.Header.Get(k); v != "" {
			if p.Paging == nil {
				p.Paging = map[string]string{}
			}
			p.Paging[k] = v
		}
	}
	c.t.pages.setPage(c.key, p)
}

// prepare copies req for one attempt, with credentials and the ETag of the
// cached answer.
func (t *Transport) prepare(req *http.Request, cached page, haveCached bool) (*http.Request, error) {
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
	if t.auth != nil && r.URL.Host == t.apiHost && r.Header.Get("Authorization") == "" {
		if err := t.auth(req.Context(), r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// observe records the quota an answer reports.
func (t *Transport) observe(h http.Header) {
	rem, ok := remaining(h)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.remaining = rem
	if reset, ok := resetTime(h); ok {
		t.reset = reset
	}
}

// remaining reads the quota left: GitHub, Gitea and Azure DevOps say
// X-RateLimit-Remaining, GitLab RateLimit-Remaining.
func remaining(h http.Header) (int, bool) {
	for _, k := range []string{"X-RateLimit-Remaining", "RateLimit-Remaining"} {
		if n, err := strconv.Atoi(h.Get(k)); err == nil {
			return n, true
		}
	}
	return 0, false
}

// resetTime reads when the quota resets, in Unix seconds.
func resetTime(h http.Header) (time.Time, bool) {
	for _, k := range []string{"X-RateLimit-Reset", "RateLimit-Reset"} {
		if sec, err := strconv.ParseInt(h.Get(k), 10, 64); err == nil {
			return time.Unix(sec, 0), true
		}
	}
	return time.Time{}, false
}

// waitForReset pauses while the quota is known to be spent, so that calls
// wait for the reset instead of spending themselves on 403s.
func (t *Transport) waitForReset(ctx context.Context) error {
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
func (t *Transport) forgetSpent() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.remaining == 0 {
		t.remaining = -1
	}
}

// announce logs a primary rate-limit pause once per reset time: a crawl of
// hundreds of repositories would otherwise log it hundreds of times.
func (t *Transport) announce() {
	t.mu.Lock()
	reset := t.reset
	first := !reset.Equal(t.loggedReset)
	t.loggedReset = reset
	t.mu.Unlock()
	if first {
		t.log.Warn(t.forge+" API rate limit exhausted: pausing until it resets", "reset", reset.Format(time.RFC3339))
	}
}

// rateLimited says how long to wait before repeating a request that hit a
// rate limit, and whether it was the primary (hourly quota) one.
func (t *Transport) rateLimited(resp *http.Response, body []byte, waits int) (time.Duration, bool) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if n, ok := remaining(resp.Header); ok && n == 0 {
		if reset, ok := resetTime(resp.Header); ok {
			return max(time.Until(reset)+time.Second, time.Second), true
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
func (t *Transport) backoff(ctx context.Context, n int, base time.Duration) error {
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

// Sleep waits for d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
