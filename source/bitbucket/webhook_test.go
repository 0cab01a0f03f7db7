package bitbucket_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/source/bitbucket"
	"github.com/trawl-dev/trawl/source/bitbucket/bitbuckettest"
	"github.com/trawl-dev/trawl/webhook"
)

// dcPush is the documented repo:refs_changed example, trimmed: a branch
// updated, a branch deleted, a tag added.
const dcPush = `{"eventKey":"repo:refs_changed","date":"2017-09-19T09:45:32+1000",
"actor":{"name":"admin","emailAddress":"admin@example.com","id":1,"displayName":"Administrator","active":true,"slug":"admin","type":"NORMAL"},
"repository":{"slug":"repository","id":84,"name":"repository","scmId":"git","state":"AVAILABLE","statusMessage":"Available","forkable":true,
 "project":{"key":"PROJ","id":84,"name":"project","public":false,"type":"NORMAL"},"public":false},
"changes":[
 {"ref":{"id":"refs/heads/master","displayId":"master","type":"BRANCH"},"refId":"refs/heads/master","fromHash":"ecddabb624f6f5ba43816f5926e580a5f680a932","toHash":"178864a7d521b6f5e720b386b2c2b0ef8563e0dc","type":"UPDATE"},
 {"ref":{"id":"refs/heads/old/feature","displayId":"old/feature","type":"BRANCH"},"refId":"refs/heads/old/feature","fromHash":"178864a7d521b6f5e720b386b2c2b0ef8563e0dc","toHash":"0000000000000000000000000000000000000000","type":"DELETE"},
 {"ref":{"id":"refs/tags/v1","displayId":"v1","type":"TAG"},"refId":"refs/tags/v1","fromHash":"0000000000000000000000000000000000000000","toHash":"178864a7d521b6f5e720b386b2c2b0ef8563e0dc","type":"ADD"}]}`

const dcModified = `{"eventKey":"repo:modified","date":"2017-09-19T09:45:32+1000","actor":{"name":"admin"},
"old":{"slug":"repository","id":84,"name":"repository","project":{"key":"PROJ","id":84,"name":"project"}},
"new":{"slug":"repository2","id":84,"name":"repository2","project":{"key":"PROJ","id":84,"name":"project"}}}`

const cloudPush = `{"actor":{"type":"user","display_name":"Alice"},
"repository":{"type":"repository","full_name":"acme/api","name":"api","uuid":"{00000000-0000-4000-8000-000000000001}","workspace":{"slug":"acme"}},
"push":{"changes":[
 {"new":{"type":"branch","name":"main","target":{"type":"commit","hash":"178864a7d521"}},"old":{"type":"branch","name":"main","target":{"type":"commit","hash":"ecddabb624f6"}},"created":false,"closed":false,"forced":false},
 {"new":null,"old":{"type":"branch","name":"gone","target":{"type":"commit","hash":"ecddabb624f6"}},"created":false,"closed":true},
 {"new":{"type":"tag","name":"v2"},"old":null,"created":true,"closed":false}]}}`

const cloudUpdated = `{"actor":{"type":"user"},"repository":{"type":"repository","full_name":"acme/api2","name":"api2"},
"changes":{"name":{"new":"api2","old":"api"},"full_name":{"new":"acme/api2","old":"acme/api"}}}`

type recorder struct {
	pushes, repos []string
}

func (r *recorder) events() webhook.Events {
	return webhook.Events{
		Push:       func(repo, branch string) { r.pushes = append(r.pushes, repo+"@"+branch) },
		Repository: func(repo string) { r.repos = append(r.repos, repo) },
	}
}

func deliver(t *testing.T, h http.Handler, event, sig string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/hooks/bitbucket", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Event-Key", event)
	req.Header.Set("X-Request-Id", "d0c7ef1c-5f1a-4f1b-9c1d-9b0e1f2a3b4c")
	if sig != "" {
		req.Header.Set("X-Hub-Signature", sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func status(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var v struct{ Status, Error string }
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer %q is not JSON: %v", w.Body.String(), err)
	}
	return v.Status + v.Error
}

func TestWebhookSignatures(t *testing.T) {
	secret := []byte("s3cret hook")
	body := []byte(dcPush)
	cases := []struct {
		name, sig string
		code      int
		pushes    []string
	}{
		{"valid", bitbucket.Sign(secret, body), http.StatusAccepted, []string{"PROJ/repository@master", "PROJ/repository@old/feature"}},
		{"wrong secret", bitbucket.Sign([]byte("guess"), body), http.StatusUnauthorized, nil},
		{"other body", bitbucket.Sign(secret, []byte(dcPush+" ")), http.StatusUnauthorized, nil},
		{"missing", "", http.StatusUnauthorized, nil},
		{"sha1", "sha1=" + strings.Repeat("ab", 20), http.StatusUnauthorized, nil},
		{"not hex", "sha256=" + strings.Repeat("zz", 32), http.StatusUnauthorized, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rec recorder
			h := bitbucket.Webhook([][]byte{[]byte("another source's"), secret}, rec.events(), nil)
			w := deliver(t, h, "repo:refs_changed", c.sig, body)
			if w.Code != c.code || !slices.Equal(rec.pushes, c.pushes) {
				t.Fatalf("answer %d %s, pushes %v; want %d %v", w.Code, w.Body, rec.pushes, c.code, c.pushes)
			}
			if c.code == http.StatusAccepted && status(t, w) != "queued" {
				t.Errorf("answer %s", w.Body)
			}
		})
	}
	// The fake signs as the handler checks.
	if bitbuckettest.Sign(secret, body) != bitbucket.Sign(secret, body) {
		t.Error("bitbuckettest.Sign and bitbucket.Sign differ")
	}
}

func TestWebhookWithoutSecretRefusesUnread(t *testing.T) {
	var rec recorder
	h := bitbucket.Webhook(nil, rec.events(), nil)
	req := httptest.NewRequest(http.MethodPost, "/hooks/bitbucket", failingReader{t})
	req.Header.Set("X-Event-Key", "repo:refs_changed")
	req.Header.Set("X-Hub-Signature", bitbucket.Sign(nil, []byte(dcPush)))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized || !strings.Contains(status(t, w), "no webhook secret") {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
}

func TestWebhookIgnoresUnusedEventsUnread(t *testing.T) {
	var rec recorder
	secret := []byte("s")
	h := bitbucket.Webhook([][]byte{secret}, rec.events(), nil)
	req := httptest.NewRequest(http.MethodPost, "/hooks/bitbucket", failingReader{t})
	req.Header.Set("X-Event-Key", "pr:opened")
	req.Header.Set("X-Hub-Signature", bitbucket.Sign(secret, []byte("{}")))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusAccepted || status(t, w) != "ignored" {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
}

// failingReader fails the test when a handler reads a body it should not.
type failingReader struct{ t *testing.T }

func (f failingReader) Read([]byte) (int, error) {
	f.t.Error("the body was read")
	return 0, errors.New("must not be read")
}

func TestWebhookEvents(t *testing.T) {
	secret := []byte("s3cret")
	cases := []struct {
		event, body   string
		code          int
		pushes, repos []string
	}{
		{"diagnostics:ping", `{"test": true}`, http.StatusOK, nil, nil},
		{"repo:modified", dcModified, http.StatusAccepted, nil, []string{"PROJ/repository", "PROJ/repository2"}},
		{"repo:forked", `{"eventKey":"repo:forked","repository":{"slug":"fork","project":{"key":"~ALICE"},"origin":{"slug":"repository","project":{"key":"PROJ"}}}}`,
			http.StatusAccepted, nil, []string{"~ALICE/fork"}},
		{"repo:push", cloudPush, http.StatusAccepted, []string{"acme/api@main", "acme/api@gone"}, nil},
		{"repo:updated", cloudUpdated, http.StatusAccepted, nil, []string{"acme/api", "acme/api2"}},
		{"repo:fork", `{"repository":{"full_name":"acme/api"},"fork":{"full_name":"bob/api"}}`, http.StatusAccepted, nil, []string{"bob/api"}},
		{"repo:deleted", `{"repository":{"full_name":"acme/old"}}`, http.StatusAccepted, nil, []string{"acme/old"}},
		{"repo:refs_changed", `{"repository":{"slug":"r","project":{"key":"P"}},"changes":[{"ref":{"id":"refs/tags/v1","type":"TAG"}}]}`,
			http.StatusAccepted, nil, nil},
		{"repo:refs_changed", `not json`, http.StatusBadRequest, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.event, func(t *testing.T) {
			var rec recorder
			h := bitbucket.Webhook([][]byte{secret}, rec.events(), nil)
			w := deliver(t, h, c.event, bitbucket.Sign(secret, []byte(c.body)), []byte(c.body))
			if w.Code != c.code || !slices.Equal(rec.pushes, c.pushes) || !slices.Equal(rec.repos, c.repos) {
				t.Fatalf("answer %d %s, pushes %v, repos %v; want %d %v %v", w.Code, w.Body, rec.pushes, rec.repos, c.code, c.pushes, c.repos)
			}
		})
	}
}

func TestWebhookPingNeedsTheSignatureToo(t *testing.T) {
	h := bitbucket.Webhook([][]byte{[]byte("s")}, webhook.Events{}, nil)
	if w := deliver(t, h, "diagnostics:ping", bitbucket.Sign([]byte("x"), []byte(`{"test":true}`)), []byte(`{"test":true}`)); w.Code != http.StatusUnauthorized {
		t.Fatalf("ping with a wrong signature: %d", w.Code)
	}
}

func TestWebhookOnlyPOST(t *testing.T) {
	h := bitbucket.Webhook([][]byte{[]byte("s")}, webhook.Events{}, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/hooks/bitbucket", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", w.Code)
	}
}
