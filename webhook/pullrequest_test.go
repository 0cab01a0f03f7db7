package webhook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPullRequestsRoutesSignedDeliveries(t *testing.T) {
	secret := []byte("hook-secret")
	var got []PullRequestEvent
	nextCalled := 0
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { nextCalled++; w.WriteHeader(http.StatusTeapot) })
	h := PullRequests(secret, func(e PullRequestEvent) { got = append(got, e) }, next)

	// The documented shape of a "closed" pull_request delivery, trimmed.
	body := `{"action":"closed","number":1348,"pull_request":{"url":"https://api.github.com/repos/acme/web/pulls/1348",
	  "number":1348,"state":"closed","html_url":"https://github.com/acme/web/pull/1348","merged":true,
	  "head":{"label":"acme:trawl/log4shell/main","ref":"trawl/log4shell/main","sha":"6dcb09b5b57875f334f61aebed695e2e4193db5e"},
	  "base":{"ref":"main"}},"repository":{"full_name":"acme/web","name":"web"}}`
	send := func(event, sig string) int {
		req := httptest.NewRequest(http.MethodPost, "/hooks/github", strings.NewReader(body))
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-Hub-Signature-256", sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := send("pull_request", Sign([]byte("wrong"), []byte(body))); code != http.StatusUnauthorized || len(got) != 0 {
		t.Fatalf("bad signature: %d, %d events", code, len(got))
	}
	if code := send("pull_request", Sign(secret, []byte(body))); code != http.StatusAccepted {
		t.Fatalf("signed delivery: %d", code)
	}
	want := PullRequestEvent{Action: "closed", Repo: "acme/web", Head: "trawl/log4shell/main", Number: 1348,
		URL: "https://github.com/acme/web/pull/1348", State: "closed", Merged: true}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("events: %+v", got)
	}
	if code := send("push", Sign(secret, []byte(body))); code != http.StatusTeapot || nextCalled != 1 {
		t.Errorf("other events must reach the wrapped handler: %d, %d", code, nextCalled)
	}
}
