package change_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/change"
	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/internal/crawltest"
	"github.com/trawl-dev/trawl/internal/gittest"
)

const (
	readToken  = "read-token-1"
	writeToken = "write-token-2"
)

// fakeGitHub answers the REST calls trawl makes with GitHub's documented
// shapes ("List organization repositories", "List/Create/Update/Get a pull
// request") and records the pull requests. Its git server takes the read
// token for fetches only: a push needs the write token, as a read-only
// fine-grained token would.
type fakeGitHub struct {
	t   *testing.T
	api *httptest.Server
	git *httptest.Server
	srv *gittest.Server
	org string

	appKey *rsa.PublicKey // when set, POST /app/installations/42/access_tokens gives writeToken

	mu      sync.Mutex
	repos   []map[string]any
	pulls   map[string][]map[string]any // by repo full name
	creates int
	edits   int
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{t: t, org: "acme", pulls: map[string][]map[string]any{}}
	f.srv = gittest.Serve(t, t.TempDir(), "", "")
	backend, _ := url.Parse(f.srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(backend)
	f.git = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		push := strings.HasSuffix(r.URL.Path, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack"
		if !ok || u != "x-access-token" || p != writeToken && (push || p != readToken) {
			w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
			http.Error(w, "Invalid username or token.", http.StatusUnauthorized)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(f.git.Close)
	f.api = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.api.Close)
	return f
}

func (f *fakeGitHub) apiURL() string { return f.api.URL + "/api/v3" }

func (f *fakeGitHub) addRepo(work *gittest.Repo, name string) {
	full := f.org + "/" + name
	f.srv.Bare(f.t, work, full)
	f.repos = append(f.repos, map[string]any{
		"id": 1296269 + len(f.repos), "name": name, "full_name": full, "private": false,
		"owner":          map[string]any{"login": f.org, "id": 1, "type": "Organization"},
		"html_url":       "https://github.example/" + full,
		"clone_url":      f.git.URL + "/" + full + ".git",
		"default_branch": "main", "size": 108, "fork": false, "archived": false,
		"pushed_at": "2026-12-01T10:00:00Z", "visibility": "public", "topics": []string{},
	})
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	auth := r.Header.Get("Authorization")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	if path == "/app/installations/42/access_tokens" && r.Method == http.MethodPost && f.appKey != nil {
		if !validJWT(auth, f.appKey) {
			http.Error(w, `{"message":"A JSON web token could not be decoded"}`, http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"token": writeToken, "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			"permissions": map[string]string{"contents": "write", "pull_requests": "write", "metadata": "read"}})
		return
	}
	if path == "/orgs/"+f.org+"/repos" && r.Method == http.MethodGet {
		if auth != "Bearer "+readToken && auth != "Bearer "+writeToken {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(f.repos)
		return
	}
	parts := strings.Split(strings.TrimPrefix(path, "/repos/"), "/")
	if len(parts) < 3 || parts[2] != "pulls" {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	if auth != "Bearer "+writeToken {
		// The read token may not write: GitHub answers 403 to a token
		// without the pull-requests permission.
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"Resource not accessible by personal access token"}`)
		return
	}
	full := parts[0] + "/" + parts[1]
	switch {
	case len(parts) == 3 && r.Method == http.MethodGet:
		head := r.URL.Query().Get("head")
		out := []map[string]any{}
		for _, pr := range f.pulls[full] {
			if head == "" || head == f.org+":"+pr["head"].(map[string]any)["ref"].(string) {
				out = append(out, pr)
			}
		}
		json.NewEncoder(w).Encode(out)
	case len(parts) == 3 && r.Method == http.MethodPost:
		var req struct{ Title, Head, Base, Body string }
		json.NewDecoder(r.Body).Decode(&req)
		for _, pr := range f.pulls[full] {
			if pr["head"].(map[string]any)["ref"] == req.Head && pr["state"] == "open" {
				w.WriteHeader(http.StatusUnprocessableEntity)
				fmt.Fprintf(w, `{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for %s:%s."}]}`, f.org, req.Head)
				return
			}
		}
		f.creates++
		n := 1347 + f.creates
		pr := map[string]any{
			"url": f.apiURL() + "/repos/" + full + "/pulls/" + strconv.Itoa(n),
			"id":  n, "number": n, "state": "open", "title": req.Title, "body": req.Body,
			"html_url": "https://github.example/" + full + "/pull/" + strconv.Itoa(n),
			"head":     map[string]any{"label": f.org + ":" + req.Head, "ref": req.Head, "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"},
			"base":     map[string]any{"label": f.org + ":" + req.Base, "ref": req.Base},
			"merged":   false, "merged_at": nil, "draft": false,
		}
		f.pulls[full] = append(f.pulls[full], pr)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(pr)
	case len(parts) == 4:
		n, _ := strconv.Atoi(parts[3])
		for _, pr := range f.pulls[full] {
			if pr["number"] != n {
				continue
			}
			if r.Method == http.MethodPatch {
				f.edits++
				var req map[string]any
				json.NewDecoder(r.Body).Decode(&req)
				for k, v := range req {
					pr[k] = v
				}
			}
			json.NewEncoder(w).Encode(pr)
			return
		}
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	default:
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	}
}

func (f *fakeGitHub) merge(full string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, pr := range f.pulls[full] {
		if pr["number"] == n {
			pr["state"], pr["merged"], pr["merged_at"] = "closed", true, "2026-12-02T13:00:00Z"
		}
	}
}

func TestGitHubPullRequests(t *testing.T) {
	gh := newFakeGitHub(t)
	for _, name := range []string{"api", "web"} {
		w := gittest.Init(t, filepath.Join(t.TempDir(), name))
		w.Commit("initial", map[string]string{"pom.xml": `<project>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>2.14.1</version>
    </dependency>
  </dependencies>
</project>
`})
		gh.addRepo(w, name)
	}
	t.Setenv("TEST_GH_READ", readToken)
	t.Setenv("TEST_GH_WRITE", writeToken)
	data := t.TempDir()
	yaml := fmt.Sprintf(`sources:
  - github:
      org: acme
      api_url: %s
      token_env: TEST_GH_READ
index:
  path: %s
change:
  write:
    - repos: '^acme/web$'
      write_token_env: TEST_GH_WRITE
`, gh.apiURL(), data)
	ctx := context.Background()
	c := crawledChanger(t, yaml, data)
	p, err := c.Plan(ctx, change.Spec{ID: "log4shell", DepRange: "<2.17.1",
		Action: change.Action{Kind: change.KindSetDependency, Dependency: "org.apache.logging.log4j:log4j-core", Version: "2.17.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 2 {
		t.Fatalf("planned %d changes, want 2", len(p.Changes))
	}
	p, err = c.Apply(ctx, "log4shell", change.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := byKey(p)
	// acme/api has no write entry: the read token is never used to write.
	if s := got["acme/api@main"].State; !strings.Contains(s, "failed: write credentials of acme/api: no write credentials") {
		t.Errorf("acme/api: %s", s)
	}
	web := got["acme/web@main"]
	if web.State != change.StatePROpen || web.PullRequest != "https://github.example/acme/web/pull/1348" {
		t.Fatalf("acme/web: %+v", web)
	}
	pr := gh.pulls["acme/web"][0]
	if pr["title"] != "trawl change log4shell: set org.apache.logging.log4j:log4j-core to 2.17.1" ||
		pr["head"].(map[string]any)["ref"] != "trawl/log4shell/main" || pr["base"].(map[string]any)["ref"] != "main" ||
		!strings.Contains(pr["body"].(string), "campaign `log4shell`") || !strings.Contains(pr["body"].(string), "Dependency: `org.apache.logging.log4j:log4j-core <2.17.1`") {
		t.Errorf("pull request: %+v", pr)
	}
	bare := filepath.Join(gh.srv.Root, "acme/web.git")
	if v := gittest.Run(t, bare, "show", "trawl/log4shell/main:pom.xml"); !strings.Contains(v, "<version>2.17.1</version>") {
		t.Errorf("pushed pom:\n%s", v)
	}

	// A rerun updates the same branch and opens no second pull request.
	if _, err := c.Apply(ctx, "log4shell", change.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if gh.creates != 1 || gh.edits != 0 {
		t.Errorf("after a rerun: %d pull requests opened, %d edited; want 1 and 0", gh.creates, gh.edits)
	}
	// A new plan of the same campaign updates that pull request.
	if _, err := c.Plan(ctx, change.Spec{ID: "log4shell", DepRange: "<2.17.1", Message: "Upgrade log4j-core to 2.17.1 (CVE-2021-44228)\n",
		Action: change.Action{Kind: change.KindSetDependency, Dependency: "org.apache.logging.log4j:log4j-core", Version: "2.17.1"}}); err != nil {
		t.Fatal(err)
	}
	p, err = c.Apply(ctx, "log4shell", change.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if gh.creates != 1 || gh.edits != 1 || gh.pulls["acme/web"][0]["title"] != "Upgrade log4j-core to 2.17.1 (CVE-2021-44228)" || byKey(p)["acme/web@main"].State != change.StatePROpen {
		t.Errorf("after a new plan: %d opened, %d edited, title %v", gh.creates, gh.edits, gh.pulls["acme/web"][0]["title"])
	}
	if msg := gittest.Run(t, bare, "log", "-1", "--format=%s", "trawl/log4shell/main"); msg != "Upgrade log4j-core to 2.17.1 (CVE-2021-44228)" {
		t.Errorf("the branch was not updated: %q", msg)
	}

	// The pull_request webhook keeps the state fresh between refreshes.
	if ok, err := c.PullRequestEvent("acme/web", "trawl/log4shell/main", 1348, "", "closed", false); !ok || err != nil {
		t.Fatalf("webhook event: %v %v", ok, err)
	}
	if rows, _ := c.Status(ctx, "log4shell", false); rows[1].State != change.StatePRClosed {
		t.Errorf("after a closed event: %+v", rows[1])
	}
	if ok, _ := c.PullRequestEvent("acme/web", "feature/x", 7, "", "closed", true); ok {
		t.Errorf("a pull request trawl did not open was taken")
	}

	// status refreshes the state through the API.
	gh.merge("acme/web", 1348)
	rows, err := c.Status(ctx, "log4shell", true)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, r := range rows {
		states = append(states, r.Repo+"="+r.State)
	}
	if strings.Join(states, " ") != "acme/api=failed: write credentials of acme/api: no write credentials: set change.write[].write_token_env for this repository or a GitHub App on its source (the crawl token is never used to write) acme/web=pr_merged" {
		t.Errorf("status: %q", states)
	}
	// A merged pull request is left alone by a later apply.
	if _, err := c.Apply(ctx, "log4shell", change.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if gh.creates != 1 {
		t.Errorf("apply after the merge opened a pull request")
	}
}

// validJWT checks an App JWT's RS256 signature as GitHub does.
// crawledChanger loads the configuration yaml, crawls its sources into a
// Bleve index under data and returns the campaigns on both.
func crawledChanger(t *testing.T, yaml, data string) *change.Campaigns {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trawl.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	idx, err := bleve.Open(ctx, filepath.Join(data, "index"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	cr := crawltest.New(t, cfg, idx, crawler.Options{})
	if sum, err := cr.Run(ctx); err != nil || len(sum.Errors) > 0 {
		t.Fatalf("crawl: %v %+v", err, sum)
	}
	return change.New(cfg, idx, change.Options{})
}

func validJWT(auth string, pub *rsa.PublicKey) bool {
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	parts := strings.Split(tok, ".")
	if !ok || len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil
}

// TestGitHubAppWrites: without a write entry, a source with a GitHub App
// pushes and opens pull requests with the App's installation token.
func TestGitHubAppWrites(t *testing.T) {
	gh := newFakeGitHub(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	gh.appKey = &key.PublicKey
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	w := gittest.Init(t, filepath.Join(t.TempDir(), "api"))
	w.Commit("initial", map[string]string{"Dockerfile": "FROM eclipse-temurin:17-jre\n"})
	gh.addRepo(w, "api")
	data := t.TempDir()
	ctx := context.Background()
	c := crawledChanger(t, fmt.Sprintf("sources:\n  - github:\n      org: acme\n      api_url: %s\n      app_id: 7\n      installation_id: 42\n      private_key_file: %s\nindex:\n  path: %s\n", gh.apiURL(), keyFile, data), data)
	if _, err := c.Plan(ctx, change.Spec{ID: "jre21", Action: change.Action{Kind: change.KindSetDependency, Dependency: "eclipse-temurin", Version: "21-jre"}}); err != nil {
		t.Fatal(err)
	}
	p, err := c.Apply(ctx, "jre21", change.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Changes[0].State; s != change.StatePROpen {
		t.Fatalf("state %s", s)
	}
	if got := gittest.Run(t, filepath.Join(gh.srv.Root, "acme/api.git"), "show", "trawl/jre21/main:Dockerfile"); got != "FROM eclipse-temurin:21-jre" {
		t.Errorf("pushed Dockerfile %q", got)
	}
}
