package gitlab

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/webhook"
	"github.com/trawl-dev/trawl/webhook/webhooktest"
)

// recorder collects the events a handler reports.
type recorder struct{ pushes, repos []string }

func (r *recorder) events() webhook.Events {
	return webhook.Events{
		Push:       func(repo, branch string) { r.pushes = append(r.pushes, repo+"@"+branch) },
		Repository: func(repo string) { r.repos = append(r.repos, repo) },
	}
}

// A push event as GitLab's documentation shows it (trimmed to the fields
// around the ones trawl reads).
const pushHook = `{
  "object_kind": "push", "event_name": "push",
  "before": "95790bf891e76fee5e1747ab589903a6a1f80f22",
  "after": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
  "ref": "refs/heads/main", "ref_protected": true,
  "checkout_sha": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
  "user_id": 4, "user_name": "John Smith", "user_username": "jsmith",
  "project_id": 15,
  "project": {
    "id": 15, "name": "Api", "web_url": "https://gitlab.example/acme/platform/api",
    "git_http_url": "https://gitlab.example/acme/platform/api.git",
    "namespace": "Platform", "visibility_level": 0,
    "path_with_namespace": "acme/platform/api", "default_branch": "main"
  },
  "commits": [], "total_commits_count": 0,
  "repository": {"name": "Api", "url": "git@gitlab.example:acme/platform/api.git", "homepage": "https://gitlab.example/acme/platform/api"}
}`

func deliver(t *testing.T, h http.Handler, event, tok string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/hooks/gitlab", body)
	req.Header.Set("Content-Type", "application/json")
	if event != "" {
		req.Header.Set("X-Gitlab-Event", event)
	}
	if tok != "" {
		req.Header.Set("X-Gitlab-Token", tok)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestWebhookPushToken(t *testing.T) {
	var rec recorder
	h := Webhook([][]byte{[]byte("other-source-secret"), []byte("hook-secret")}, rec.events(), nil)

	for _, tc := range []struct{ name, tok string }{{"missing", ""}, {"wrong", "hook-secreT"}, {"prefix", "hook-secre"}} {
		w := deliver(t, h, "Push Hook", tc.tok, webhooktest.Unread(t, "a refused delivery"))
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "X-Gitlab-Token") {
			t.Errorf("%s token: %d %s", tc.name, w.Code, w.Body)
		}
	}
	if len(rec.pushes) != 0 {
		t.Fatalf("refused deliveries reported pushes: %v", rec.pushes)
	}
	w := deliver(t, h, "Push Hook", "hook-secret", strings.NewReader(pushHook))
	if w.Code != http.StatusAccepted || !strings.Contains(w.Body.String(), "queued") {
		t.Fatalf("valid push: %d %s", w.Code, w.Body)
	}
	// Any configured source's secret is accepted.
	deliver(t, h, "Push Hook", "other-source-secret", strings.NewReader(pushHook))
	if want := []string{"acme/platform/api@main", "acme/platform/api@main"}; !slices.Equal(rec.pushes, want) {
		t.Fatalf("pushes %v, want %v", rec.pushes, want)
	}
}

func TestWebhookNoSecretRefusesAll(t *testing.T) {
	var rec recorder
	h := Webhook(nil, rec.events(), nil)
	w := deliver(t, h, "Push Hook", "anything", webhooktest.Unread(t, "a refused delivery"))
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "webhook_secret_env") {
		t.Fatalf("no secret: %d %s", w.Code, w.Body)
	}
	h = Webhook([][]byte{{}}, rec.events(), nil) // an empty secret is none
	if w := deliver(t, h, "Push Hook", "", webhooktest.Unread(t, "a refused delivery")); w.Code != http.StatusUnauthorized {
		t.Fatalf("empty secret: %d", w.Code)
	}
	if len(rec.pushes) != 0 {
		t.Fatal(rec.pushes)
	}
}

func TestWebhookIgnoredAndSystemHooks(t *testing.T) {
	var rec recorder
	h := Webhook([][]byte{[]byte("s")}, rec.events(), nil)

	// Events trawl does not use are not read.
	for _, ev := range []string{"Tag Push Hook", "Merge Request Hook", "Pipeline Hook"} {
		if w := deliver(t, h, ev, "s", webhooktest.Unread(t, "a refused delivery")); w.Code != http.StatusAccepted || !strings.Contains(w.Body.String(), "ignored") {
			t.Errorf("%s: %d %s", ev, w.Code, w.Body)
		}
	}
	// A push of a tag through a Push Hook, and a malformed body.
	if w := deliver(t, h, "Push Hook", "s", strings.NewReader(strings.Replace(pushHook, "refs/heads/main", "refs/tags/v1", 1))); !strings.Contains(w.Body.String(), "ignored") {
		t.Errorf("tag ref: %s", w.Body)
	}
	if w := deliver(t, h, "Push Hook", "s", strings.NewReader("{not json")); w.Code != http.StatusBadRequest {
		t.Errorf("bad JSON: %d", w.Code)
	}
	if w := deliver(t, h, http.MethodGet, "s", nil); w.Code != http.StatusAccepted {
		t.Errorf("unknown event: %d", w.Code)
	}

	// System hooks, in the shapes of GitLab's system hook documentation.
	system := []string{
		`{"object_kind":"push","event_name":"push","ref":"refs/heads/feature/x","project":{"path_with_namespace":"acme/web"}}`,
		`{"event_name":"repository_update","changes":[{"before":"8205ea8d","after":"4045ea7a","ref":"refs/heads/main"},{"ref":"refs/tags/v2"}],"project":{"path_with_namespace":"acme/lib"}}`,
		`{"created_at":"2012-07-21T07:30:54Z","event_name":"project_create","name":"StoreCloud","owner_email":"johnsmith@example.com","path":"storecloud","path_with_namespace":"jsmith/storecloud","project_id":74,"project_visibility":"private"}`,
		`{"event_name":"project_destroy","path_with_namespace":"jsmith/underscore","project_id":73}`,
		`{"event_name":"project_rename","path":"underscore","path_with_namespace":"jsmith/underscore","old_path_with_namespace":"jsmith/overscore","project_id":73}`,
		`{"event_name":"project_transfer","path_with_namespace":"scores/underscore","old_path_with_namespace":"jsmith/overscore","project_id":73}`,
		`{"event_name":"user_create","email":"js@gitlabhq.com","name":"John Smith","username":"js","user_id":41}`,
	}
	for _, body := range system {
		if w := deliver(t, h, "System Hook", "s", strings.NewReader(body)); w.Code != http.StatusAccepted {
			t.Errorf("%s: %d %s", body, w.Code, w.Body)
		}
	}
	if want := []string{"acme/web@feature/x", "acme/lib@main"}; !slices.Equal(rec.pushes, want) {
		t.Errorf("system pushes %v, want %v", rec.pushes, want)
	}
	wantRepos := []string{"jsmith/storecloud", "jsmith/underscore", "jsmith/underscore", "jsmith/overscore", "scores/underscore", "jsmith/overscore"}
	if !slices.Equal(rec.repos, wantRepos) {
		t.Errorf("repository events %v, want %v", rec.repos, wantRepos)
	}
}

func TestWebhookBodyBounded(t *testing.T) {
	h := Webhook([][]byte{[]byte("s")}, webhook.Events{}, nil)
	req := httptest.NewRequest(http.MethodPost, "/hooks/gitlab", webhooktest.Unread(t, "a refused delivery"))
	req.Header.Set("X-Gitlab-Event", "Push Hook")
	req.Header.Set("X-Gitlab-Token", "s")
	req.ContentLength = webhook.MaxBody + 1
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized delivery: %d", w.Code)
	}
}

// FuzzWebhook posts arbitrary bodies as authenticated deliveries: the
// handler answers 202 or 400 without panicking, and reports no empty name.
func FuzzWebhook(f *testing.F) {
	f.Add("Push Hook", pushHook)
	f.Add("System Hook", `{"event_name":"project_rename","path_with_namespace":"a/b","old_path_with_namespace":"a/c"}`)
	f.Add("System Hook", `{"event_name":"repository_update","changes":[{"ref":"refs/heads/"}],"project":{}}`)
	f.Fuzz(func(t *testing.T, event, body string) {
		var got []string
		h := Webhook([][]byte{[]byte("s")}, webhook.Events{
			Push:       func(repo, branch string) { got = append(got, repo) },
			Repository: func(repo string) { got = append(got, repo) },
		}, nil)
		w := deliver(t, h, event, "s", strings.NewReader(body))
		if w.Code != http.StatusAccepted && w.Code != http.StatusBadRequest {
			t.Fatalf("answer %d", w.Code)
		}
		for _, r := range got {
			if r == "" {
				t.Fatal("reported an empty repository name")
			}
		}
	})
}
