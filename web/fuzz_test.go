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

// FuzzDepsAPI checks that no parameters make GET /api/deps fail on the
// server's side: every answer is a list (200) or a JSON error (400).
func FuzzDepsAPI(f *testing.F) {
	f.Add(log4j, "<2.17.1", "", "")
	f.Add("pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", "", "^acme/", "^main$")
	f.Add("@scope/name", "^1.2 || >=3", "", "")
	idx := openIndex(f, apiRepos)
	putDeps(f, idx, apiDeps())
	srv := serve(f, idx, Options{})
	f.Fuzz(func(t *testing.T, name, version, repo, branch string) {
		q := url.Values{"name": {name}, "version": {version}, "repo": {repo}, "branch": {branch}}.Encode()
		resp, err := srv.Client().Get(srv.URL + "/api/deps?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: status %d %s", q, resp.StatusCode, body)
		}
		if !json.Valid(body) {
			t.Fatalf("%s: not JSON: %s", q, body)
		}
	})
}
