package webhook

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/webhook/webhooktest"
)

func jsonError(t *testing.T, w *httptest.ResponseRecorder, status int) string {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d (%s)", w.Code, status, w.Body)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("body %q (%s), want {\"error\": ...} JSON", w.Body, w.Header().Get("Content-Type"))
	}
	return e.Error
}

var testSecret = []byte("s3cret")

func TestRefusedUnread(t *testing.T) {
	sig := Sign(testSecret, []byte("{}"))
	for _, tc := range []struct {
		name, event, signature string
		secret                 []byte
		length                 int64
		status                 int
		want                   string
	}{
		{"no secret configured", "push", sig, nil, 2, http.StatusUnauthorized, "server.webhook_secret_env"},
		{"no signature", "push", "", testSecret, 2, http.StatusUnauthorized, "X-Hub-Signature-256"},
		{"malformed signature", "push", "sha256=abc", testSecret, 2, http.StatusUnauthorized, "X-Hub-Signature-256"},
		{"Content-Length over the cap", "push", sig, testSecret, MaxBody + 1, http.StatusRequestEntityTooLarge, "cap"},
		{"unused event without a signature", "issues", "", testSecret, 2, http.StatusUnauthorized, "X-Hub-Signature-256"},
		{"unused event, no secret configured", "issues", sig, nil, 2, http.StatusUnauthorized, "server.webhook_secret_env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := Handler(tc.secret, Events{Push: func(string, string) { t.Error("push reported") }}, nil)
			req := httptest.NewRequest(http.MethodPost, "/hooks/github", webhooktest.Unread(t, tc.name))
			req.ContentLength = tc.length
			req.Header.Set("X-GitHub-Event", tc.event)
			if tc.signature != "" {
				req.Header.Set("X-Hub-Signature-256", tc.signature)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if msg := jsonError(t, w, tc.status); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want it to mention %q", msg, tc.want)
			}
		})
	}
	// An event trawl never uses is not read either.
	h := Handler(testSecret, Events{}, nil)
	req := httptest.NewRequest(http.MethodPost, "/hooks/github", webhooktest.Unread(t, "issues event"))
	req.Header.Set("X-GitHub-Event", "issues")
	req.Header.Set("X-Hub-Signature-256", sig)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusAccepted {
		t.Errorf("unused event: status %d, want 202", w.Code)
	}
}

// TestChunkedOverCap: without a Content-Length the reader itself stops at
// the cap.
func TestChunkedOverCap(t *testing.T) {
	h := Handler(testSecret, Events{Push: func(string, string) { t.Error("push reported") }}, nil)
	body := strings.Repeat("x", MaxBody+1)
	req := httptest.NewRequest(http.MethodPost, "/hooks/github", io.MultiReader(strings.NewReader(body)))
	req.ContentLength = -1
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", Sign(testSecret, []byte(body)))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	jsonError(t, w, http.StatusRequestEntityTooLarge)
}

// TestSlowSender sends part of a body and stalls: the handler stops
// waiting after its read timeout and answers 408.
func TestSlowSender(t *testing.T) {
	h := Handler(testSecret, Events{}, nil).(*handler)
	h.readTimeout = 50 * time.Millisecond
	srv := httptest.NewServer(h)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nX-Hub-Signature-256: %s\r\nContent-Length: 1000\r\n\r\n{\"ref\":", Sign(testSecret, []byte("{}")))
	// A safety net, not the limit under test: without the handler's read
	// deadline nothing would come back before it.
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("status %d, want 408", resp.StatusCode)
	}
}
