package azure

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/webhook"
	"github.com/trawl-dev/trawl/webhook/webhooktest"
)

type recorded struct{ pushes, repos []string }

func (r *recorded) events() webhook.Events {
	return webhook.Events{
		Push:       func(repo, branch string) { r.pushes = append(r.pushes, repo+" "+branch) },
		Repository: func(repo string) { r.repos = append(r.repos, repo) },
	}
}

func deliver(t *testing.T, h http.Handler, user, password string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/hooks/azure", body)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func answer(t *testing.T, w *httptest.ResponseRecorder, status int, key string) string {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d (%s)", w.Code, status, w.Body)
	}
	var m map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || m[key] == "" {
		t.Fatalf("answer %q, want {%q: ...}", w.Body, key)
	}
	return m[key]
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestWebhookCredentials: the basic-auth password must be one of the
// secrets, any user name; without a secret configured, or with missing
// or wrong credentials, nothing is read or done.
func TestWebhookCredentials(t *testing.T) {
	secrets := [][]byte{[]byte("first secret"), []byte("second secret")}
	for _, c := range []struct {
		name, user, password string
		secrets              [][]byte
		want                 string
	}{
		{"no secret configured", "trawl", "first secret", nil, "webhook_secret_env"},
		{"missing credentials", "", "", secrets, "basic authentication"},
		{"wrong password", "trawl", "first secre", secrets, "basic authentication"},
		{"a secret as the user name", "first secret", "x", secrets, "basic authentication"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r recorded
			w := deliver(t, Webhook(c.secrets, r.events(), nil), c.user, c.password, webhooktest.Unread(t, c.name))
			if msg := answer(t, w, http.StatusUnauthorized, "error"); !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not mention %q", msg, c.want)
			}
			if len(r.pushes)+len(r.repos) > 0 {
				t.Errorf("events reported: %+v", r)
			}
		})
	}
	for _, c := range []struct{ user, password string }{{"trawl", "first secret"}, {"", "second secret"}} {
		var r recorded
		w := deliver(t, Webhook(secrets, r.events(), nil), c.user, c.password, strings.NewReader(testdata(t, "git.push.json")))
		if got := answer(t, w, http.StatusAccepted, "status"); got != "queued" {
			t.Errorf("status %q", got)
		}
		if want := []string{"acme/web/api main", "acme/web/api release/1.2"}; !slices.Equal(r.pushes, want) {
			t.Errorf("pushes %v, want %v (tags are not branches)", r.pushes, want)
		}
	}
}

// TestWebhookEvents: repository events report old and new names; events
// trawl does not use are acknowledged and ignored; bad requests say so.
func TestWebhookEvents(t *testing.T) {
	secret := [][]byte{[]byte("s3cret")}
	var r recorded
	h := Webhook(secret, r.events(), nil)
	w := deliver(t, h, "", "s3cret", strings.NewReader(testdata(t, "git.repo.renamed.json")))
	answer(t, w, http.StatusAccepted, "status")
	if want := []string{"DefaultCollection/web/api-v2", "DefaultCollection/web/api"}; !slices.Equal(r.repos, want) {
		t.Errorf("repository events %v, want %v", r.repos, want)
	}
	deleted := `{"eventType":"git.repo.deleted","resource":{"repositoryName":"old","repository":{"name":"old","project":{"name":"web"}}},"resourceContainers":{"account":{"baseUrl":"https://dev.azure.com/acme/"}}}`
	r.repos = nil
	answer(t, deliver(t, h, "", "s3cret", strings.NewReader(deleted)), http.StatusAccepted, "status")
	if want := []string{"acme/web/old"}; !slices.Equal(r.repos, want) {
		t.Errorf("deleted: %v, want %v", r.repos, want)
	}
	r.repos, r.pushes = nil, nil
	build := `{"eventType":"build.complete","resource":{"id":1}}`
	if got := answer(t, deliver(t, h, "", "s3cret", strings.NewReader(build)), http.StatusAccepted, "status"); got != "ignored" || len(r.repos)+len(r.pushes) > 0 {
		t.Errorf("an unused event: %q %+v", got, r)
	}
	answer(t, deliver(t, h, "", "s3cret", strings.NewReader("<html>")), http.StatusBadRequest, "error")
	req := httptest.NewRequest(http.MethodGet, "/hooks/azure", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", rec.Code)
	}
	// Over the cap: refused before reading, by Content-Length.
	req = httptest.NewRequest(http.MethodPost, "/hooks/azure", webhooktest.Unread(t, "oversized"))
	req.ContentLength = webhook.MaxBody + 1
	req.SetBasicAuth("", "s3cret")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	answer(t, rec, http.StatusRequestEntityTooLarge, "error")
}

// TestOrganization: the organisation or collection of each URL shape.
func TestOrganization(t *testing.T) {
	for _, c := range []struct{ url, project, want string }{
		{"https://acme@dev.azure.com/acme/web/_git/api", "web", "acme"},
		{"https://dev.azure.com/acme/_git/web", "web", "acme"},
		{"https://dev.azure.com/acme/acme/_git/api", "acme", "acme"},
		{"https://Acme.visualstudio.com/DefaultCollection/web/_git/api", "web", "acme"},
		{"https://tfs.example.com/tfs/DefaultCollection/web/_git/api", "web", "DefaultCollection"},
		{"https://tfs.example.com/tfs/Bank%20Collection/_git/web", "web", "Bank Collection"},
		{"https://dev.azure.com/acme/", "", "acme"},
		{"not a url", "web", ""},
		{"", "", ""},
	} {
		if got := organization(c.url, c.project); got != c.want {
			t.Errorf("organization(%q, %q) = %q, want %q", c.url, c.project, got, c.want)
		}
	}
}

// FuzzParseEvent: any delivery parses without panicking, and every name
// it reports is organization/project/repo.
func FuzzParseEvent(f *testing.F) {
	for _, name := range []string{"git.push.json", "git.repo.renamed.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := parseEvent(body)
		if err != nil {
			return
		}
		if ev.Repo != "" && strings.Count(ev.Repo, "/") < 2 {
			t.Errorf("push repository %q is not organization/project/repo", ev.Repo)
		}
		for _, b := range ev.Branches {
			if b == "" {
				t.Error("an empty branch")
			}
		}
	})
}
