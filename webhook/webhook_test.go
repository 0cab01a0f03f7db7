package webhook_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trawl-dev/trawl/webhook"
)

var secret = []byte("It's a Secret to Everybody")

// recorder collects the events a handler reports.
type recorder struct {
	mu     sync.Mutex
	pushes []string // repo@branch
	repos  []string
}

func (r *recorder) events() webhook.Events {
	return webhook.Events{
		Push: func(repo, branch string) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.pushes = append(r.pushes, repo+"@"+branch)
		},
		Repository: func(repo string) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.repos = append(r.repos, repo)
		},
	}
}

func deliver(t *testing.T, h http.Handler, event, body, signature string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/hooks/github", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

const pushBody = `{"ref":"refs/heads/release/1.2","before":"6113728f27ae82c7b1a177c8d03f9e96e0adf246","after":"0000000000000000000000000000000000000000","created":false,"deleted":false,"forced":false,"repository":{"id":186853002,"name":"api","full_name":"acme/api","private":false,"owner":{"login":"acme","type":"Organization"},"default_branch":"main"},"pusher":{"name":"octocat"},"sender":{"login":"octocat"},"commits":[],"head_commit":null}`

func TestSignatures(t *testing.T) {
	rec := &recorder{}
	h := webhook.Handler(secret, rec.events(), nil)
	valid := webhook.Sign(secret, []byte(pushBody))
	for _, tc := range []struct {
		name, signature string
		status          int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"wrong secret", webhook.Sign([]byte("another secret"), []byte(pushBody)), http.StatusUnauthorized},
		{"other body", webhook.Sign(secret, []byte(pushBody+" ")), http.StatusUnauthorized},
		{"sha1 only", "sha1=" + strings.Repeat("0", 40), http.StatusUnauthorized},
		{"not hex", "sha256=zz", http.StatusUnauthorized},
		{"valid", valid, http.StatusAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.pushes = nil
			w := deliver(t, h, "push", pushBody, tc.signature)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			wantPushes := 0
			if tc.status == http.StatusAccepted {
				wantPushes = 1
			}
			if len(rec.pushes) != wantPushes {
				t.Errorf("pushes %v", rec.pushes)
			}
		})
	}
	if got := rec.pushes; !slices.Equal(got, []string{"acme/api@release/1.2"}) {
		t.Errorf("push reported %v", got)
	}
}

// GitHub documents this example: the HMAC-SHA256 of "Hello, World!" with
// the secret "It's a Secret to Everybody".
func TestSignMatchesGitHubsExample(t *testing.T) {
	want := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got := webhook.Sign(secret, []byte("Hello, World!")); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestEmptySecretRefusesEverything(t *testing.T) {
	rec := &recorder{}
	h := webhook.Handler(nil, rec.events(), nil)
	w := deliver(t, h, "push", pushBody, webhook.Sign(nil, []byte(pushBody)))
	if w.Code != http.StatusUnauthorized || len(rec.pushes) != 0 {
		t.Errorf("status %d, pushes %v: an unconfigured secret must refuse", w.Code, rec.pushes)
	}
}

func TestEvents(t *testing.T) {
	for _, tc := range []struct {
		name, event, body string
		status            int
		pushes, repos     []string
	}{
		{"ping", "ping", `{"zen":"Keep it logically awesome.","hook_id":1,"hook":{"type":"Organization","events":["push","create","delete","repository"]}}`,
			http.StatusOK, nil, nil},
		{"push", "push", pushBody, http.StatusAccepted, []string{"acme/api@release/1.2"}, nil},
		{"push of a tag", "push", `{"ref":"refs/tags/v1.0","repository":{"name":"api","full_name":"acme/api"}}`,
			http.StatusAccepted, nil, nil},
		{"branch created", "create", `{"ref":"feature/x","ref_type":"branch","master_branch":"main","pusher_type":"user","repository":{"name":"api","full_name":"acme/api"}}`,
			http.StatusAccepted, []string{"acme/api@feature/x"}, nil},
		{"branch deleted", "delete", `{"ref":"feature/x","ref_type":"branch","pusher_type":"user","repository":{"name":"api","full_name":"acme/api"}}`,
			http.StatusAccepted, []string{"acme/api@feature/x"}, nil},
		{"tag created", "create", `{"ref":"v2","ref_type":"tag","repository":{"name":"api","full_name":"acme/api"}}`,
			http.StatusAccepted, nil, nil},
		{"repository archived", "repository", `{"action":"archived","repository":{"name":"api","full_name":"acme/api","archived":true}}`,
			http.StatusAccepted, nil, []string{"acme/api"}},
		{"repository renamed", "repository", `{"action":"renamed","changes":{"repository":{"name":{"from":"old-api"}}},"repository":{"name":"api","full_name":"acme/api"}}`,
			http.StatusAccepted, nil, []string{"acme/api", "acme/old-api"}},
		{"repository transferred", "repository", `{"action":"transferred","changes":{"owner":{"from":{"organization":{"login":"legacy"}}}},"repository":{"name":"api","full_name":"acme/api"}}`,
			http.StatusAccepted, nil, []string{"acme/api", "legacy/api"}},
		{"unknown event", "issues", `{"action":"opened","issue":{"number":1},"repository":{"name":"api","full_name":"acme/api"}}`,
			http.StatusAccepted, nil, nil},
		{"not JSON", "push", `{"ref":`, http.StatusBadRequest, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			h := webhook.Handler(secret, rec.events(), nil)
			w := deliver(t, h, tc.event, tc.body, webhook.Sign(secret, []byte(tc.body)))
			if w.Code != tc.status {
				t.Errorf("status %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			if !slices.Equal(rec.pushes, tc.pushes) || !slices.Equal(rec.repos, tc.repos) {
				t.Errorf("pushes %v repos %v, want %v %v", rec.pushes, rec.repos, tc.pushes, tc.repos)
			}
		})
	}
}

func TestBodyLimitAndMethod(t *testing.T) {
	rec := &recorder{}
	h := webhook.Handler(secret, rec.events(), nil)
	big := fmt.Sprintf(`{"ref":"refs/heads/main","padding":"%s"}`, strings.Repeat("x", webhook.MaxBody))
	if w := deliver(t, h, "push", big, webhook.Sign(secret, []byte(big))); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d", w.Code)
	}
	req := httptest.NewRequest(http.MethodGet, "/hooks/github", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d", w.Code)
	}
	if len(rec.pushes) != 0 {
		t.Errorf("pushes %v", rec.pushes)
	}
}

// FuzzHandler feeds arbitrary signed payloads: the handler must answer
// without panicking or failing, and report each kind of change only for
// the events that carry it.
func FuzzHandler(f *testing.F) {
	f.Add("push", pushBody)
	f.Add("create", `{"ref":"x","ref_type":"branch","repository":{"full_name":"a/b"}}`)
	f.Add("repository", `{"action":"renamed","changes":{"repository":{"name":{"from":"c"}}},"repository":{"name":"b","full_name":"a/b"}}`)
	f.Add("push", `[]`)
	f.Add("ping", ``)
	f.Fuzz(func(t *testing.T, event, body string) {
		rec := &recorder{}
		h := webhook.Handler(secret, rec.events(), nil)
		w := deliver(t, h, event, body, webhook.Sign(secret, []byte(body)))
		if w.Code >= 500 {
			t.Fatalf("status %d", w.Code)
		}
		if len(rec.pushes) > 0 && event != "push" && event != "create" && event != "delete" {
			t.Errorf("event %q reported pushes %v", event, rec.pushes)
		}
		if len(rec.repos) > 0 && event != "repository" {
			t.Errorf("event %q reported repositories %v", event, rec.repos)
		}
	})
}
