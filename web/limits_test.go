package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/search"
)

// pathological is one line of n letters and a digit: /[a-j]{K}[0-9]/
// costs about 2K NFA steps per byte on it and matches at its very end, so
// a search that ignores its deadline answers in full, slowly.
func pathological(n int) string {
	var sb strings.Builder
	for i := range n {
		sb.WriteByte('a' + byte(i%10))
	}
	sb.WriteByte('7')
	return sb.String()
}

// newTestServer is serve that also returns the Server, to look at its
// search slots.
func newTestServer(t *testing.T, files map[string]string, o Options) (*Server, *httptest.Server) {
	t.Helper()
	idx := openIndex(t, []testRepo{{name: "acme/min", defaultBranch: "main", branches: map[string]map[string]string{"main": files}}})
	o.Index = idx
	o.Searcher = search.New(idx)
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	s := New(o)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv
}

// TestDeadlineInsideAFile: a pathological regexp over one long line gets
// the deadline's answer from search, stream and file view alike, not the
// full one (which holds the line's match).
func TestDeadlineInsideAFile(t *testing.T) {
	_, srv := newTestServer(t, map[string]string{"app.min.js": pathological(512 << 10)},
		Options{Timeout: time.Second, StreamTimeout: time.Second})
	q := url.QueryEscape(`/[a-j]{1000}[0-9]/`)

	var res search.Result
	decode(t, get(t, srv, "/api/search?q="+q, ""), http.StatusOK, &res)
	if !res.Stats.LimitHit || res.Stats.LimitReason != search.LimitTimeout || len(res.Files) != 0 {
		t.Errorf("search: stats %+v with %d files; want limit_hit, reason timeout, no file", res.Stats, len(res.Files))
	}

	msg := wantError(t, get(t, srv, "/api/search/stream?q="+q, ""), http.StatusGatewayTimeout)
	if !strings.Contains(msg, "timed out") {
		t.Errorf("stream: error %q, want timed out", msg)
	}

	var file fileResponse
	decode(t, get(t, srv, "/api/file?repo=acme/min&branch=main&path=app.min.js&q="+q, ""), http.StatusOK, &file)
	if !file.LimitHit || file.LimitReason != search.LimitTimeout || len(file.Matches) != 0 {
		t.Errorf("file: limit_hit %v, reason %q, %d matches; want the deadline's answer", file.LimitHit, file.LimitReason, len(file.Matches))
	}
}

// TestSearchSlotsAndCancel holds the only search slot with a search that
// would run for many minutes: another search is answered 503 with
// Retry-After, and once the first client goes away its work stops and
// searches are served again.
func TestSearchSlotsAndCancel(t *testing.T) {
	s, srv := newTestServer(t, map[string]string{"big.min.js": pathological(4 << 20), "small.txt": "needle\n"},
		Options{Timeout: time.Hour, Limits: Limits{MaxConcurrentSearches: 1, SearchQueueWait: time.Second}})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/search?q="+url.QueryEscape(`/[a-j]{1000}[a-j]{1000}[a-j]{1000}[0-9]/ /[a-j]{1000}[a-j]{1000}[a-j]{1000}[0-8]/`), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for len(s.searchSlots) == 0 {
		select {
		case err := <-done:
			t.Fatalf("the long search ended before it was cancelled: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}

	resp := get(t, srv, "/api/search?q=needle", "")
	if ra := resp.Header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q, want 1", ra)
	}
	if msg := wantError(t, resp, http.StatusServiceUnavailable); !strings.Contains(msg, "max_concurrent_searches") {
		t.Errorf("503 error %q, want it to name the limit", msg)
	}

	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v, want context.Canceled", err)
	}
	// The cancelled search must give its slot back well before its
	// minutes of work are done: each attempt waits a second for it.
	for attempt := 1; ; attempt++ {
		resp := get(t, srv, "/api/search?q=needle", "")
		if resp.StatusCode == http.StatusOK {
			var res search.Result
			decode(t, resp, http.StatusOK, &res)
			if len(res.Files) != 1 {
				t.Errorf("after cancel: %d files, want 1", len(res.Files))
			}
			break
		}
		if attempt == 30 {
			t.Fatalf("the cancelled search still holds its slot after %d attempts: status %d", attempt, resp.StatusCode)
		}
	}
}

func TestMaxAnswerBytesAPI(t *testing.T) {
	line := "log4j " + strings.Repeat("x", 94) + "\n"
	_, srv := newTestServer(t, map[string]string{"wide.txt": strings.Repeat(line, 3000)},
		Options{Limits: Limits{MaxAnswerBytes: 64 << 10}})
	resp := get(t, srv, "/api/search?q=log4j&context=10&limit=0", "")
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var res search.Result
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("decode %d bytes: %v", len(body), err)
	}
	if !res.Stats.LimitHit || res.Stats.LimitReason != search.LimitBytes || res.Stats.Matches == 0 {
		t.Errorf("stats %+v; want matches, limit_hit and reason %q", res.Stats, search.LimitBytes)
	}
	// Unbounded, the answer would hold 3,000 matches with 21 lines each:
	// over 6 MB.
	if len(body) > 2*64<<10 {
		t.Errorf("answer of %d bytes with max_answer_bytes 64 KiB", len(body))
	}
}

func TestHostCheck(t *testing.T) {
	idx := openIndex(t, apiRepos)
	srv := serve(t, idx, Options{Listen: "trawl.internal:8080", AllowedHosts: []string{"Search.Example.COM"},
		Extra: map[string]http.Handler{"POST /hooks/github": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusAccepted)
		})}})
	do := func(host, method, path string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	for _, host := range []string{"localhost:8080", "LOCALHOST", "app.localhost", "127.0.0.1:9", "[::1]:8080", "10.1.2.3",
		"trawl.internal:8080", "search.example.com", "search.example.com."} {
		if resp := do(host, http.MethodGet, "/api/repos"); resp.StatusCode != http.StatusOK {
			t.Errorf("Host %s: status %d, want 200", host, resp.StatusCode)
		}
	}
	for _, host := range []string{"evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io"} {
		for _, path := range []string{"/api/repos", "/", "/metrics"} {
			msg := wantError(t, do(host, http.MethodGet, path), http.StatusMisdirectedRequest)
			if !strings.Contains(msg, "allowed_hosts") {
				t.Errorf("Host %s: error %q, want it to name server.allowed_hosts", host, msg)
			}
		}
	}
	// Webhooks check their own signature and arrive under the public name.
	if resp := do("evil.example", http.MethodPost, "/hooks/github"); resp.StatusCode != http.StatusAccepted {
		t.Errorf("webhook under an unknown Host: status %d, want 202", resp.StatusCode)
	}

	// With a token, the token is the protection: any Host may ask.
	srv = serve(t, idx, Options{APIToken: "s3cret"})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/repos", nil)
	req.Host = "trawl.example.org"
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with a token: status %d, want 200", resp.StatusCode)
	}
}

func TestStatusHidesPaths(t *testing.T) {
	data := t.TempDir()
	idx := openIndex(t, apiRepos)
	srv := serve(t, idx, Options{DataDir: data, PrivateDirs: []string{"/etc/trawl"}, Status: func() any {
		return map[string]any{
			"last_error":  "crawl: open " + data + "/mirrors/acme+api/HEAD: permission denied",
			"repo_errors": map[string]string{"acme/api": "fetch acme/api: read /srv/git/secret-project/objects/pack/pack-1.pack: EOF; config /etc/trawl/trawl.yaml"},
			"errors":      []map[string]any{{"repo": "acme/web", "error": "clone file:///home/ops/repos/web.git: not found", "count": 12345678901234}},
			"plain":       "fetch https://github.com/acme/api: 404",
		}
	}})
	var st struct {
		Crawl any `json:"crawl"`
	}
	decode(t, get(t, srv, "/api/status", ""), http.StatusOK, &st)
	body, _ := json.Marshal(st.Crawl)
	text := strings.ReplaceAll(string(body), `\u003c`, "<")
	text = strings.ReplaceAll(text, `\u003e`, ">")
	for _, leak := range []string{data, "/srv/git", "secret-project", "/home/ops", "/etc/trawl"} {
		if strings.Contains(text, leak) {
			t.Errorf("status shows %q: %s", leak, text)
		}
	}
	for _, kept := range []string{"<data>/mirrors/acme+api/HEAD: permission denied", "…/pack-1.pack: EOF", "<private>/trawl.yaml",
		"file://…/web.git", "fetch https://github.com/acme/api: 404", "12345678901234"} {
		if !strings.Contains(text, kept) {
			t.Errorf("status lacks %q: %s", kept, text)
		}
	}
}

// TestIdleTimeout: a keep-alive connection without a request is closed.
func TestIdleTimeout(t *testing.T) {
	idx := openIndex(t, apiRepos)
	s := New(Options{Index: idx, Searcher: search.New(idx), Limits: Limits{IdleTimeout: 50 * time.Millisecond}})
	hs := s.HTTPServer()
	if hs.ReadTimeout != DefaultReadTimeout || hs.WriteTimeout != defaultTimeout+writeSlack || hs.ReadHeaderTimeout == 0 {
		t.Errorf("timeouts read %s, write %s, header %s", hs.ReadTimeout, hs.WriteTimeout, hs.ReadHeaderTimeout)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// A safety net, not the limit under test: without an idle timeout the
	// read below would wait for it and fail.
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("idle connection: read %v, want EOF (closed by the server)", err)
	}
}

// TestStreamOutlivesWriteTimeout: the stream takes longer to verify than
// the server's WriteTimeout and still writes its answer, as it sets its own
// write deadlines.
func TestStreamOutlivesWriteTimeout(t *testing.T) {
	idx := openIndex(t, []testRepo{{name: "acme/min", defaultBranch: "main", branches: map[string]map[string]string{
		"main": {"app.min.js": pathological(16 << 10)}}}})
	s := New(Options{Index: idx, Searcher: search.New(idx), Limits: Limits{WriteTimeout: 50 * time.Millisecond}})
	hs := s.HTTPServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	resp, err := http.Get("http://" + ln.Addr().String() + "/api/search/stream?q=" + url.QueryEscape(`/[a-j]{1000}[0-9]/`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lines []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("stream cut after %d lines: %v", len(lines), err)
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[1], `{"stats":`) || !strings.Contains(lines[0], `"app.min.js"`) {
		t.Errorf("stream of %d lines, want the file then the stats", len(lines))
	}
}
