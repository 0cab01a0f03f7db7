// Package web serves trawl's HTTP API (search, streamed search, file view,
// repositories, skipped files, dependencies, status) and its browser UI, a
// handful of embedded pages that talk only to that API.
//
// Every response carries a Content-Security-Policy that forbids inline
// script and style, so the UI builds its DOM from data with textContent
// only. API calls are bounded in time and checked, when Options.APIToken is
// set, against a bearer token; without one, the Host header is checked
// against DNS rebinding. Searches are bounded in number, time and answer
// size (limits.go).
package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/trawl-dev/trawl/change"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/search"
)

// Options configure a Server. Index and Searcher are required.
type Options struct {
	Index    indexer.Index
	Searcher *search.Searcher
	Logger   *slog.Logger // nil: slog.Default()
	// APIToken, when set, is required as "Authorization: Bearer TOKEN" on
	// every /api call. Pages, /healthz and /metrics stay open: the pages
	// hold no data and ask the API for everything.
	APIToken string
	// Status returns the crawler's state for GET /api/status; nil omits it.
	Status func() any
	// Crawler, when set, names failing repositories on the Status page and
	// serves POST /api/crawl?repo= to retry one.
	Crawler Crawler
	// Indicators returns the value of GET /api/indicators, as JSON; nil
	// leaves the route unmounted.
	Indicators func(ctx context.Context) (any, error)
	// Metrics serves GET /metrics; nil leaves the route unmounted.
	Metrics http.Handler
	// Extra mounts more routes by ServeMux pattern, e.g. "POST /hooks/github".
	Extra map[string]http.Handler
	// Changes holds trawl change's campaigns for the Changes page; nil
	// leaves the page and GET /api/changes unmounted.
	Changes *change.Store
	// Timeout bounds each API request; zero means 10 s.
	Timeout time.Duration
	// StreamTimeout bounds GET /api/search/stream, which is exhaustive;
	// zero means 10 minutes.
	StreamTimeout time.Duration
	// Limits bound concurrent searches and answer sizes (limits.go).
	Limits Limits
	// Listen and AllowedHosts are the Host names answered besides loopback
	// names and IP addresses when APIToken is empty (see checkHost).
	Listen       string
	AllowedHosts []string
	// DataDir and PrivateDirs are folders shown as <data> and <private>
	// in GET /api/status, whose errors name files (see pathScrubber).
	DataDir     string
	PrivateDirs []string
}

// Limits of the API. They keep one request from holding the server: the
// streamed search is the way to get more than maxLimit files.
const (
	maxQueryBytes     = 4 << 10
	maxParamBytes     = 4 << 10
	defaultLimit      = 100
	maxLimit          = 10_000 // GET /api/search: limit=0 means this many files
	maxMatches        = 100_000
	maxContext        = 10
	defaultSkipped    = 1_000
	maxSkipped        = 100_000
	defaultTimeout    = 10 * time.Second
	defaultStreamTime = 10 * time.Minute
)

// Server serves the API and the UI. It is safe for concurrent use.
type Server struct {
	idx           indexer.Index
	searcher      *search.Searcher
	log           *slog.Logger
	tokenSum      [32]byte // sha256 of the token; compared in constant time
	authOn        bool
	status        func() any
	crawler       Crawler
	indicators    func(context.Context) (any, error)
	metrics       http.Handler
	extra         map[string]http.Handler
	timeout       time.Duration
	streamTimeout time.Duration
	limits        Limits
	searchSlots   chan struct{} // one token per search under way
	allowedHosts  []string
	scrub         *pathScrubber
	changes       *change.Store

	answers  answers  // ranked answers that cursors continue, see results.go
	depNames depNames // dependency names for name search, see depnames.go

	pages  *template.Template
	assets map[string]asset
}

// New returns a Server for o.
func New(o Options) *Server {
	s := &Server{
		idx:           o.Index,
		searcher:      o.Searcher,
		log:           o.Logger,
		status:        o.Status,
		indicators:    o.Indicators,
		metrics:       o.Metrics,
		extra:         o.Extra,
		timeout:       o.Timeout,
		streamTimeout: o.StreamTimeout,
		crawler:       o.Crawler,
		changes:       o.Changes,
		allowedHosts:  normalHosts(o.AllowedHosts, o.Listen),
		scrub:         newPathScrubber(o.DataDir, o.PrivateDirs),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.timeout <= 0 {
		s.timeout = defaultTimeout
	}
	if s.streamTimeout <= 0 {
		s.streamTimeout = defaultStreamTime
	}
	s.limits = o.Limits.withDefaults(s.timeout)
	s.searchSlots = make(chan struct{}, s.limits.MaxConcurrentSearches)
	if o.APIToken != "" {
		s.authOn = true
		s.tokenSum = sha256.Sum256([]byte(o.APIToken))
	}
	s.assets = loadAssets()
	s.pages = template.Must(template.New("page.html").Funcs(template.FuncMap{
		"asset": s.assetURL,
	}).ParseFS(uiFS, "ui/page.html"))
	return s
}

// Handler returns the routes of the API, the UI, /healthz, /metrics and
// Options.Extra.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()

	s.api(mux, "GET /api/search", s.timeout, s.limited(s.handleSearch))
	s.api(mux, "GET /api/search/stream", s.streamTimeout, s.limited(s.handleStream))
	s.api(mux, "GET /api/file", s.timeout, s.handleFile)
	s.api(mux, "GET /api/repos", s.timeout, s.handleRepos)
	s.api(mux, "GET /api/skipped", s.timeout, s.handleSkipped)
	s.api(mux, "GET /api/status", s.timeout, s.handleStatus)
	s.api(mux, "GET /api/examples", s.timeout, newExamples(s.idx).handle)
	// CSV and NDJSON exports are exhaustive; handleDeps bounds JSON answers
	// by the shorter timeout itself.
	s.api(mux, "GET /api/deps", s.streamTimeout, s.handleDeps)
	s.api(mux, "GET /api/deps/names", s.timeout, s.handleDepNames)
	if s.crawler != nil {
		s.api(mux, "POST /api/crawl", s.timeout, s.handleCrawl)
	}
	if s.indicators != nil {
		s.api(mux, "GET /api/indicators", s.timeout, s.handleIndicators)
	}
	s.complianceRoutes(mux) // compliance.go
	s.changesRoutes(mux)
	mux.Handle("/api/", s.authorize(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
	})))

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	if s.metrics != nil {
		mux.Handle("GET /metrics", s.metrics)
	}

	mux.HandleFunc("GET /{$}", s.page("search"))
	mux.HandleFunc("GET /file", s.page("file"))
	mux.HandleFunc("GET /status", s.page("status"))
	mux.HandleFunc("GET /deps", s.page("deps"))
	mux.HandleFunc("GET /static/{name}", s.handleAsset)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 page not found", http.StatusNotFound)
	})

	for pattern, h := range s.extra {
		mux.Handle(pattern, h)
	}
	return s.secure(s.logRequests(s.checkHost(mux)))
}

// api mounts an API handler under pattern ("GET /api/x") with the bearer
// check and a time limit, plus a method-less twin so that other methods get
// a JSON 405 rather than ServeMux's plain-text one.
func (s *Server) api(mux *http.ServeMux, pattern string, limit time.Duration, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	mux.Handle(pattern, s.authorize(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), limit)
		defer cancel()
		// Routes longer than the server's WriteTimeout (the stream,
		// exports) get their own time to write.
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(max(limit+writeSlack, s.limits.WriteTimeout)))
		w.Header().Set("Cache-Control", "no-store")
		h(w, r.WithContext(ctx))
	})))
	mux.Handle(path, s.authorize(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", method+", HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+path)
	})))
}

// authorize requires the bearer token when one is configured. Both sides
// are hashed first so that the comparison takes the same time whatever the
// length of the guess.
func (s *Server) authorize(h http.Handler) http.Handler {
	if !s.authOn {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="trawl"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token")
			return
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if subtle.ConstantTimeCompare(sum[:], s.tokenSum[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="trawl", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "invalid bearer token")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows the embedded script and style sheet and
// nothing inline, so that data can never become code.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status for the request log. It forwards
// Unwrap so that http.ResponseController still reaches Flush.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		s.log.Log(r.Context(), level, "http request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration", time.Since(start))
	})
}

// writeJSON writes v with code. Encoding errors are lost: the status line
// has gone out already.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Del("Content-Length")
	writeJSON(w, code, errorBody{Error: msg})
}

// httpError is an error with the status it deserves.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(msg string) error { return &httpError{http.StatusBadRequest, msg} }

// fail answers err with the status its kind deserves. Internal errors are
// logged in full and answered without detail.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, op string, err error) {
	var he *httpError
	var pe *search.ParseError
	switch {
	case errors.As(err, &he):
		writeError(w, he.code, he.msg)
	case errors.As(err, &pe):
		writeError(w, http.StatusBadRequest, pe.Error())
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, op+": timed out")
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
		s.log.Debug("request canceled", "path", r.URL.Path, "op", op)
	case errors.Is(err, indexer.ErrNotFound):
		writeError(w, http.StatusNotFound, op+": not found")
	default:
		s.log.Error("request failed", "path", r.URL.Path, "op", op, "err", err)
		writeError(w, http.StatusInternalServerError, op+": internal error")
	}
}
