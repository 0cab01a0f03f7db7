package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/trawl-dev/trawl/search"
)

// Limits bound what searches may cost the server; zero values mean the
// defaults below, which README's "Query and server limits" lists.
type Limits struct {
	// MaxConcurrentSearches is how many searches (GET /api/search, the
	// stream, and highlighting in GET /api/file) verify at once.
	MaxConcurrentSearches int
	// SearchQueueWait is how long a search waits for a slot before it is
	// answered 503 with Retry-After.
	SearchQueueWait time.Duration
	// MaxAnswerBytes bounds the answer of GET /api/search (lines of
	// matches and context); search.Options.MaxBytes says how it counts.
	MaxAnswerBytes int
	// ReadTimeout, WriteTimeout and IdleTimeout are HTTPServer's: the
	// whole request, the whole answer (API calls get their own time limit
	// plus writeSlack; the stream each of its writes) and a keep-alive
	// connection without a request.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// Defaults of Limits.
const (
	DefaultMaxConcurrentSearches = 4
	DefaultSearchQueueWait       = 2 * time.Second
	DefaultMaxAnswerBytes        = 32 << 20
	DefaultReadTimeout           = 30 * time.Second
	DefaultIdleTimeout           = 2 * time.Minute
	readHeaderTimeout            = 10 * time.Second
)

func (l Limits) withDefaults(requestTimeout time.Duration) Limits {
	if l.MaxConcurrentSearches <= 0 {
		l.MaxConcurrentSearches = DefaultMaxConcurrentSearches
	}
	if l.SearchQueueWait <= 0 {
		l.SearchQueueWait = DefaultSearchQueueWait
	}
	if l.MaxAnswerBytes <= 0 {
		l.MaxAnswerBytes = DefaultMaxAnswerBytes
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = DefaultReadTimeout
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = requestTimeout + writeSlack
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = DefaultIdleTimeout
	}
	return l
}

// HTTPServer returns an http.Server for Handler with the connection
// timeouts of the server's Limits.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: min(readHeaderTimeout, s.limits.ReadTimeout),
		ReadTimeout:       s.limits.ReadTimeout,
		WriteTimeout:      s.limits.WriteTimeout,
		IdleTimeout:       s.limits.IdleTimeout,
	}
}

// acquireSearch takes a search slot, waiting at most the queue wait. When
// none frees up it answers 503 with Retry-After and returns false; when
// the client leaves first it answers nothing and returns false.
func (s *Server) acquireSearch(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	select {
	case s.searchSlots <- struct{}{}:
		return s.releaseSearch, true
	default:
	}
	t := time.NewTimer(s.limits.SearchQueueWait)
	defer t.Stop()
	select {
	case s.searchSlots <- struct{}{}:
		return s.releaseSearch, true
	case <-r.Context().Done():
		return nil, false
	case <-t.C:
	}
	retry := int(math.Ceil(s.limits.SearchQueueWait.Seconds()))
	s.log.Warn("search refused: too many at once", "path", r.URL.Path, "limit", s.limits.MaxConcurrentSearches)
	w.Header().Set("Retry-After", strconv.Itoa(retry))
	writeError(w, http.StatusServiceUnavailable, fmt.Sprintf(
		"too many searches at once (server.max_concurrent_searches is %d, none freed within %s); retry in %d s",
		s.limits.MaxConcurrentSearches, s.limits.SearchQueueWait, retry))
	return nil, false
}

func (s *Server) releaseSearch() { <-s.searchSlots }

// limited runs h holding a search slot.
func (s *Server) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		release, ok := s.acquireSearch(w, r)
		if !ok {
			return
		}
		defer release()
		h(w, r)
	}
}

// checkHost refuses requests whose Host header names a host the server
// does not know, when no API token protects it. A web page can point its
// own DNS name at 127.0.0.1 (DNS rebinding) and, being same-origin with
// it, read a local trawl serve's answers; the browser still sends the
// page's name as Host, which this check refuses. IP addresses are
// accepted, since rebinding needs a name; webhooks (/hooks/) are left to
// their own signature check.
func (s *Server) checkHost(h http.Handler) http.Handler {
	if s.authOn {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) && !strings.HasPrefix(r.URL.Path, "/hooks/") {
			s.log.Warn("request refused: unknown Host", "host", r.Host, "path", r.URL.Path)
			writeError(w, http.StatusMisdirectedRequest, fmt.Sprintf(
				"host %q is not served: without an API token (server.api_token_env) trawl answers only localhost, IP addresses, "+
					"the listen host and server.allowed_hosts, against DNS rebinding", r.Host))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	switch {
	case host == "":
		// HTTP/1.0 without Host: no browser sends that.
		return true
	case net.ParseIP(host) != nil:
		return true
	case host == "localhost" || strings.HasSuffix(host, ".localhost"):
		// Browsers resolve these to loopback themselves (RFC 6761).
		return true
	}
	for _, a := range s.allowedHosts {
		if host == a {
			return true
		}
	}
	return false
}

// normalHosts lowers the allowed names and adds the listen address's host.
func normalHosts(allowed []string, listen string) []string {
	var out []string
	for _, a := range allowed {
		out = append(out, strings.TrimSuffix(strings.ToLower(a), "."))
	}
	if h, _, err := net.SplitHostPort(listen); err == nil && h != "" {
		out = append(out, strings.ToLower(h))
	}
	return out
}

// highlight fills resp.Matches with the lines q matches, holding a search
// slot and stopping, as a search does, a little before the request's
// deadline: the lines found by then come back with limit_hit. It answers
// the request itself and returns false when it cannot go on.
func (s *Server) highlight(w http.ResponseWriter, r *http.Request, q string, resp *fileResponse) bool {
	release, ok := s.acquireSearch(w, r)
	if !ok {
		return false
	}
	defer release()
	ctx, cancel := context.WithTimeout(r.Context(), s.searchTime(r))
	defer cancel()
	m, err := search.Highlight(ctx, q, []byte(resp.Text))
	switch {
	case err != nil && r.Context().Err() == nil && errors.Is(err, context.DeadlineExceeded):
		resp.LimitHit, resp.LimitReason = true, search.LimitTimeout
	case err != nil:
		s.fail(w, r, "highlight", err)
		return false
	}
	if m != nil {
		resp.Matches = m
	}
	return true
}

// searchTime is how long a search may run: nine tenths of what is left of
// the request's time once it holds a search slot, so that its answer so far
// goes out before the request's deadline.
func (s *Server) searchTime(r *http.Request) time.Duration {
	left := s.timeout
	if dl, ok := r.Context().Deadline(); ok {
		left = time.Until(dl)
	}
	return max(left*9/10, time.Nanosecond)
}

// writeSlack is how much longer than its time limit an answer may take to
// write.
const writeSlack = 30 * time.Second

// extendWrite gives the next write of a long answer its own WriteTimeout,
// so that a stream outlives the server's but a client that stops reading
// is still cut off.
func (s *Server) extendWrite(rc *http.ResponseController) {
	rc.SetWriteDeadline(time.Now().Add(s.limits.WriteTimeout))
}
