// Package githubtest is a GitHub for tests: an httptest server answering
// the REST calls trawl makes in GitHub's documented shapes, in front of a
// real git http-backend serving the repositories. Unit tests of
// source/github and the end-to-end tests of internal/e2e share it.
package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
)

// Server answers the REST calls the source makes with GitHub's
// documented shapes (the "List organization repositories" example, Link
// pagination, X-RateLimit-* headers, weak ETags and 304s, the 409 of an
// empty repository), and serves the repositories themselves through git
// http-backend, which checks the token as GitHub does for HTTPS clones.
type Server struct {
	t     testing.TB
	API   *httptest.Server
	Git   *gittest.Server
	Token string // accepted as "Bearer"/"token" by the API, and as x-access-token's password by git
	Org   string

	mu       sync.Mutex
	repos    []map[string]any
	perPage  int // the server's page size, whatever the client asks
	empty    map[string]bool
	inject   forgeapitest.Answers
	calls    forgeapitest.Calls // by path
	quota    int
	reset    time.Time
	login    string // the token's user, for GET /user
	handlers map[string]http.HandlerFunc
}

// New starts a GitHub for org that accepts token; it stops with the test.
func New(t testing.TB, org, token string) *Server {
	t.Helper()
	f := &Server{
		t: t, Org: org, Token: token, perPage: 2,
		empty: map[string]bool{},
		quota: 5000, reset: time.Now().Add(time.Hour).Truncate(time.Second),
		handlers: map[string]http.HandlerFunc{},
	}
	f.Git = gittest.Serve(t, t.TempDir(), "x-access-token", token)
	f.API = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.API.Close)
	return f
}

// APIURL is the Enterprise-style base the source is configured with.
func (f *Server) APIURL() string { return f.API.URL + "/api/v3" }

// AddRepo serves work as org/name and lists it with the given fields
// overriding the defaults.
func (f *Server) AddRepo(work *gittest.Repo, name string, fields map[string]any) {
	f.t.Helper()
	full := f.Org + "/" + name
	cloneURL := f.Git.Bare(f.t, work, full)
	r := map[string]any{
		"id":        1296269 + len(f.repos),
		"node_id":   "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
		"name":      name,
		"full_name": full,
		"private":   false,
		"owner": map[string]any{
			"login": f.Org, "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "Organization",
			"url": f.APIURL() + "/users/" + f.Org, "html_url": "https://github.example/" + f.Org,
		},
		"html_url":       "https://github.example/" + full,
		"description":    "This your first repo!",
		"fork":           false,
		"url":            f.APIURL() + "/repos/" + full,
		"git_url":        "git://github.example/" + full + ".git",
		"ssh_url":        "git@github.example:" + full + ".git",
		"clone_url":      cloneURL,
		"homepage":       "https://github.com",
		"size":           108,
		"default_branch": "main",
		"topics":         []string{"octocat", "api"},
		"has_issues":     true,
		"archived":       false,
		"disabled":       false,
		"visibility":     "public",
		"pushed_at":      "2011-01-26T19:06:43Z",
		"created_at":     "2011-01-26T19:01:12Z",
		"updated_at":     "2011-01-26T19:14:43Z",
		"permissions":    map[string]any{"admin": false, "push": false, "pull": true},
	}
	for k, v := range fields {
		r[k] = v
	}
	f.mu.Lock()
	f.repos = append(f.repos, r)
	f.mu.Unlock()
}

// Set changes a field of a listed repository, as a push or a setting would.
func (f *Server) Set(name, key string, value any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.repos {
		if r["name"] == name {
			r[key] = value
			return
		}
	}
	f.t.Fatalf("no repository %s", name)
}

// Push records a push in the listing: a new pushed_at.
func (f *Server) Push(name string, at time.Time) {
	f.Set(name, "pushed_at", at.UTC().Format(time.RFC3339))
}

// InjectOnce queues a one-shot answer: the next authenticated call goes to
// h first, and h says whether it answered.
func (f *Server) InjectOnce(h func(w http.ResponseWriter, r *http.Request) bool) {
	f.inject.Add(h)
}

// CallCount is the number of calls to path so far.
func (f *Server) CallCount(path string) int {
	return f.calls.Count(path)
}

// Remaining is the quota left.
func (f *Server) Remaining() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.quota
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls.Add(r.URL.Path)
	inj := f.inject.Next()
	custom := f.handlers[r.Method+" "+r.URL.Path]
	f.mu.Unlock()

	if custom != nil {
		custom(w, r)
		return
	}
	auth := r.Header.Get("Authorization")
	if auth != "Bearer "+f.Token && auth != "token "+f.Token {
		WriteJSON(w, http.StatusUnauthorized, map[string]string{
			"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	if inj != nil && inj(w, r) {
		return
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	var body any
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	status := http.StatusOK
	switch {
	case r.Method == http.MethodGet && (path == "/orgs/"+f.Org+"/repos" || path == "/users/"+f.Org+"/repos" ||
		path == "/user/repos" && f.login == f.Org):
		body = f.page(w, r)
	case r.Method == http.MethodGet && path == "/user":
		body = map[string]any{"login": f.login, "id": 1, "type": "User"}
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/repos/") && strings.HasSuffix(path, "/branches"):
		full := strings.TrimSuffix(strings.TrimPrefix(path, "/repos/"), "/branches")
		if f.empty[full] {
			status = http.StatusConflict
			body = map[string]string{"message": "Git Repository is empty.",
				"documentation_url": "https://docs.github.com/rest/branches/branches#list-branches"}
			break
		}
		body = []map[string]any{{"name": "main", "commit": map[string]string{
			"sha": "c5b97d5ae6c19d5c5df71a34c7fbeeda2479ccbc", "url": f.APIURL() + "/repos/" + full + "/commits/c5b97d5"}, "protected": false}}
	default:
		WriteJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	data, _ := json.Marshal(body)
	etag := "W/" + forgeapitest.ETag(data)
	if status == http.StatusOK {
		w.Header().Set("ETag", etag)
	}
	if status == http.StatusOK && r.Header.Get("If-None-Match") == etag {
		// A 304 does not count against the quota.
		f.rateHeaders(w)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f.quota--
	f.rateHeaders(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(data)
}

// page slices the listing and sets GitHub's Link header.
func (f *Server) page(w http.ResponseWriter, r *http.Request) []map[string]any {
	p := forgeapitest.PageOf(r.URL.Query(), "page", "per_page", f.perPage, len(f.repos))
	link := func(n int, rel string) string {
		// GitHub's links point at the organisation by id.
		return fmt.Sprintf(`<%s/organizations/1/repos?per_page=%d&page=%d>; rel="%s"`, f.APIURL(), p.Size, n, rel)
	}
	var links []string
	if p.N > 1 {
		links = append(links, link(p.N-1, "prev"))
	}
	if p.N < p.Last {
		links = append(links, link(p.N+1, "next"), link(p.Last, "last"))
	}
	if p.N > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	return f.repos[p.Lo:p.Hi]
}

func (f *Server) rateHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(f.quota, 0)))
	h.Set("X-RateLimit-Used", strconv.Itoa(5000-f.quota))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(f.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// NewWork makes a working repository with one commit of files.
func NewWork(t testing.TB, files map[string]string) *gittest.Repo {
	t.Helper()
	return forgeapitest.NewWork(t, files)
}

// EmptyWork makes a working repository without any commit.
func EmptyWork(t testing.TB) *gittest.Repo {
	return gittest.Init(t, filepath.Join(t.TempDir(), "empty"))
}

// Handle answers route ("GET /api/v3/orgs/acme/repos") with h instead of
// the built-in answer, before any authentication check.
func (f *Server) Handle(route string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[route] = h
}

// SetQuota sets the calls left before the rate limit.
func (f *Server) SetQuota(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.quota = n
}

// RateHeaders sets the X-RateLimit-* headers for a quota of n left.
func (f *Server) RateHeaders(w http.ResponseWriter, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	saved := f.quota
	f.quota = n
	f.rateHeaders(w)
	f.quota = saved
}

// SetEmpty makes full (owner/name) a repository without commits: its
// branches call answers 409, as GitHub's does.
func (f *Server) SetEmpty(full string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.empty[full] = true
}

// SetLogin sets the token's user, for GET /user.
func (f *Server) SetLogin(login string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.login = login
}

// Repos is a copy of the listing.
func (f *Server) Repos() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.repos...)
}

// PushURL is the authenticated push address of org/name.
func (f *Server) PushURL(name string) string {
	return strings.Replace(f.Git.URL, "http://", "http://x-access-token:"+f.Token+"@", 1) + "/" + f.Org + "/" + name + ".git"
}
