package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// FuzzSearchAPI checks that no query string makes GET /api/search fail on
// the server's side: every answer is a result (200) or a JSON error (400).
func FuzzSearchAPI(f *testing.F) {
	for _, seed := range []string{"log4j", `"a b"`, "/fo+[a-z]/", "repo:^acme/api$ -file:\\.go$", "(a or b", "lang:go case:yes x"} {
		f.Add(seed, "2")
	}
	idx := openIndex(f, apiRepos)
	srv := serve(f, idx, Options{})
	f.Fuzz(func(t *testing.T, q, context string) {
		resp, err := srv.Client().Get(srv.URL + "/api/search?" + url.Values{"q": {q}, "context": {context}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("q=%q context=%q: status %d %s", q, context, resp.StatusCode, body)
		}
		if !json.Valid(body) {
			t.Fatalf("q=%q: not JSON: %s", q, body)
		}
	})
}
