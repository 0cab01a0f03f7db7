package gitea

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/source/gitea/giteatest"
	"github.com/trawl-dev/trawl/webhook"
	"github.com/trawl-dev/trawl/webhook/webhooktest"
)

var hookSecret = []byte("gitea hook secret")

// recorder collects what a handler reports.
type recorder struct{ pushes, repos []string }

func (r *recorder) events() webhook.Events {
	return webhook.Events{
		Push:       func(repo, branch string) { r.pushes = append(r.pushes, repo+"@"+branch) },
		Repository: func(repo string) { r.repos = append(r.repos, repo) },
	}
}

// deliver sends body as event with the signature under the forge's
// header names ("Gitea" or "Forgejo"; Forgejo sends the Gitea names too).
func deliver(h http.Handler, forge, event, signature string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/hooks/gitea", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-"+forge+"-Event", event)
	req.Header.Set("X-"+forge+"-Delivery", "0b6b2a2e-7a41-4f59-9a4b-5f0b7d0a8c11")
	if signature != "" {
		req.Header.Set("X-"+forge+"-Signature", signature)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func reply(t *testing.T, w *httptest.ResponseRecorder, status int) map[string]string {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d (%s)", w.Code, status, w.Body)
	}
	var m map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("answer %q is not JSON", w.Body)
	}
	return m
}

func TestPushSignatures(t *testing.T) {
	body := giteatest.PushPayload("acme/api", "feature/x", "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222")
	for _, forge := range []string{"Gitea", "Forgejo"} {
		t.Run(forge, func(t *testing.T) {
			for _, tc := range []struct {
				name, signature string
				status          int
			}{
				{"missing signature", "", http.StatusUnauthorized},
				{"wrong signature", giteatest.Sign([]byte("not the secret"), body), http.StatusUnauthorized},
				{"signature with a prefix", "sha256=" + giteatest.Sign(hookSecret, body), http.StatusUnauthorized},
				{"valid signature", giteatest.Sign(hookSecret, body), http.StatusAccepted},
			} {
				var rec recorder
				w := deliver(Webhook([][]byte{[]byte("another source's"), hookSecret}, rec.events(), nil), forge, "push", tc.signature, body)
				m := reply(t, w, tc.status)
				if tc.status == http.StatusAccepted {
					if m["status"] != "queued" || !slices.Equal(rec.pushes, []string{"acme/api@feature/x"}) {
						t.Errorf("%s: answer %v, pushes %v", tc.name, m, rec.pushes)
					}
				} else if len(rec.pushes) != 0 || !strings.Contains(m["error"], "X-Gitea-Signature") {
					t.Errorf("%s: answer %v, pushes %v", tc.name, m, rec.pushes)
				}
			}
		})
	}
}

func TestRefusedOrIgnoredUnread(t *testing.T) {
	sig := giteatest.Sign(hookSecret, []byte("{}"))
	for _, tc := range []struct {
		name, event, signature string
		secrets                [][]byte
		status                 int
		want                   string
	}{
		{"no secret configured", "push", sig, nil, http.StatusUnauthorized, "webhook_secret_env"},
		{"empty secret", "push", sig, [][]byte{{}}, http.StatusUnauthorized, "webhook_secret_env"},
		{"no signature", "push", "", [][]byte{hookSecret}, http.StatusUnauthorized, "X-Gitea-Signature"},
		{"malformed signature", "push", "zz", [][]byte{hookSecret}, http.StatusUnauthorized, "X-Gitea-Signature"},
		{"unused event without a signature", "issues", "", [][]byte{hookSecret}, http.StatusUnauthorized, "X-Gitea-Signature"},
		{"unused event", "issues", sig, [][]byte{hookSecret}, http.StatusAccepted, "ignored"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := Webhook(tc.secrets, webhook.Events{Push: func(string, string) { t.Error("push reported") }}, nil)
			req := httptest.NewRequest(http.MethodPost, "/hooks/gitea", webhooktest.Unread(t, tc.name))
			req.Header.Set("X-Gitea-Event", tc.event)
			if tc.signature != "" {
				req.Header.Set("X-Gitea-Signature", tc.signature)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			m := reply(t, w, tc.status)
			if !strings.Contains(m["error"]+m["status"], tc.want) {
				t.Errorf("answer %v, want it to say %q", m, tc.want)
			}
		})
	}
}

func TestEventsRouted(t *testing.T) {
	for _, tc := range []struct {
		event, body   string
		pushes, repos []string
		status        string
	}{
		{"create", `{"sha":"2222","ref":"release/2.0","ref_type":"branch","repository":{"full_name":"acme/api"}}`, []string{"acme/api@release/2.0"}, nil, "queued"},
		{"delete", `{"ref":"old","ref_type":"branch","pusher_type":"user","repository":{"full_name":"acme/api"}}`, []string{"acme/api@old"}, nil, "queued"},
		{"create", `{"sha":"2222","ref":"v1.0","ref_type":"tag","repository":{"full_name":"acme/api"}}`, nil, nil, "ignored"},
		{"push", `{"ref":"refs/tags/v1.0","repository":{"full_name":"acme/api"}}`, nil, nil, "ignored"},
		{"push", `{"ref":"refs/heads/main"}`, nil, nil, "ignored"},
		{"repository", `{"action":"created","repository":{"full_name":"acme/new"},"organization":{"username":"acme"}}`, nil, []string{"acme/new"}, "queued"},
		{"repository", `{"action":"deleted","repository":{"full_name":"acme/gone"}}`, nil, []string{"acme/gone"}, "queued"},
	} {
		var rec recorder
		h := Webhook([][]byte{hookSecret}, rec.events(), nil)
		m := reply(t, deliver(h, "Gitea", tc.event, giteatest.Sign(hookSecret, []byte(tc.body)), []byte(tc.body)), http.StatusAccepted)
		if m["status"] != tc.status || !slices.Equal(rec.pushes, tc.pushes) || !slices.Equal(rec.repos, tc.repos) {
			t.Errorf("%s %s: answer %v, pushes %v, repositories %v", tc.event, tc.body, m, rec.pushes, rec.repos)
		}
	}
}

func TestBadDeliveries(t *testing.T) {
	h := Webhook([][]byte{hookSecret}, webhook.Events{}, nil)
	body := []byte("not json")
	reply(t, deliver(h, "Gitea", "push", giteatest.Sign(hookSecret, body), body), http.StatusBadRequest)

	req := httptest.NewRequest(http.MethodGet, "/hooks/gitea", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	reply(t, w, http.StatusMethodNotAllowed)

	req = httptest.NewRequest(http.MethodPost, "/hooks/gitea", webhooktest.Unread(t, "over the cap"))
	req.ContentLength = webhook.MaxBody + 1
	req.Header.Set("X-Gitea-Event", "push")
	req.Header.Set("X-Gitea-Signature", giteatest.Sign(hookSecret, nil))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	reply(t, w, http.StatusRequestEntityTooLarge)
}

func FuzzPayloadRoute(f *testing.F) {
	f.Add("push", `{"ref":"refs/heads/main","repository":{"full_name":"acme/api"}}`)
	f.Add("create", `{"ref":"x","ref_type":"branch","repository":{"full_name":"a/b"}}`)
	f.Add("repository", `{"action":"deleted","repository":{"full_name":"a/b"}}`)
	f.Fuzz(func(t *testing.T, event, body string) {
		var p payload
		if json.Unmarshal([]byte(body), &p) != nil {
			return
		}
		repo, branch, changed := p.route(event)
		if (branch != "" || changed) && repo == "" {
			t.Errorf("%s %s: routed to no repository", event, body)
		}
		if branch != "" && changed {
			t.Errorf("%s %s: both a push and a repository change", event, body)
		}
		if strings.HasPrefix(branch, "refs/heads/") && event == "push" {
			t.Errorf("branch %q keeps its ref prefix", branch)
		}
	})
}

func FuzzRelNext(f *testing.F) {
	f.Add(`<https://g/api/v1/orgs/a/repos?limit=50&page=2>; rel="next",<https://g/api/v1/orgs/a/repos?limit=50&page=9>; rel="last"`)
	f.Add(`<https://g/x?page=1>; rel="first"`)
	f.Add(`<>; rel=next`)
	f.Fuzz(func(t *testing.T, link string) {
		n, ok := relNext(link)
		if ok && n <= 0 {
			t.Errorf("relNext(%q) = %d", link, n)
		}
	})
}
