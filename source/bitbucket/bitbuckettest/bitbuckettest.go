// Package bitbuckettest is a fake Bitbucket for tests: an httptest server
// answering the REST calls trawl's Bitbucket source makes, in the shapes
// Atlassian documents for Data Center/Server (REST 1.0: isLastPage,
// nextPageStart, {"errors": [...]}) and for Cloud (API 2.0: next links,
// {"type": "error", ...}), with the repositories themselves served over
// HTTPS by a real git http-backend (internal/gittest) that checks the
// credentials as Bitbucket does for clones. Like net/http/httptest, every
// function takes a testing.TB and cleans up after the test.
package bitbuckettest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
)

// Flavor is the Bitbucket product a Server imitates.
type Flavor int

const (
	DataCenter Flavor = iota // Bitbucket Data Center / Server, REST 1.0
	Cloud                    // bitbucket.org, API 2.0
)

// Server is a fake Bitbucket.
type Server struct {
	Flavor Flavor
	API    *httptest.Server
	Git    *gittest.Server // https, trusted by TrustGit
	// Token is the secret the API and git accept: a Data Center HTTP
	// access token, or a Cloud app password or access token.
	Token string
	// User is the user name git accepts with Token (Data Center:
	// x-token-auth unless set otherwise; Cloud: the app password's owner,
	// which the API also takes as Basic auth).
	User string
	// Workspace is the Cloud workspace served (Cloud only).
	Workspace string

	t  testing.TB
	mu sync.Mutex
	// PageSize is the server's largest page, whatever the client asks:
	// small, so that tests page.
	pageSize  int
	repos     []*repo
	projects  map[string]bool // Data Center project keys and Cloud project keys that exist
	inject    forgeapitest.Answers
	afterPage func(path string, n int)
	calls     forgeapitest.Calls
	etags     bool
	fetches   int // git-upload-pack POSTs
	refAds    int // info/refs GETs
}

type repo struct {
	key, slug string // project key (Data Center) or workspace (Cloud), slug
	project   string // Cloud: project key
	fields    map[string]any
}

// NewDataCenter starts a fake Bitbucket Data Center that accepts token as
// a Bearer HTTP access token on the API and as the password of user (or
// x-token-auth when user is empty) on git.
func NewDataCenter(t testing.TB, user, token string) *Server {
	t.Helper()
	if user == "" {
		user = "x-token-auth"
	}
	return start(t, &Server{Flavor: DataCenter, Token: token, User: user})
}

// NewCloud starts a fake bitbucket.org serving workspace. The API accepts
// user and token as Basic auth (an app password) or token alone as a
// Bearer access token; git accepts user and token.
func NewCloud(t testing.TB, workspace, user, token string) *Server {
	t.Helper()
	return start(t, &Server{Flavor: Cloud, Token: token, User: user, Workspace: workspace, etags: true})
}

func start(t testing.TB, s *Server) *Server {
	s.t = t
	s.pageSize = 2
	s.projects = map[string]bool{}
	s.Git = gittest.ServeTLS(t, t.TempDir(), s.User, s.Token)
	// Count what git asks, before the first request: a ref advertisement
	// (GET info/refs) starts both an ls-remote and a fetch; only a fetch
	// POSTs to git-upload-pack.
	backend := s.Git.Config.Handler
	s.Git.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack"):
			s.fetches++
		case strings.HasSuffix(r.URL.Path, "/info/refs"):
			s.refAds++
		}
		s.mu.Unlock()
		backend.ServeHTTP(w, r)
	})
	s.API = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.API.Close)
	return s
}

// APIURL is what a configuration's api_url holds for this server.
func (s *Server) APIURL() string {
	if s.Flavor == Cloud {
		return s.API.URL + "/2.0"
	}
	return s.API.URL + "/rest/api/1.0"
}

// WebURL is the web interface's base: permalinks start with it.
func (s *Server) WebURL() string {
	if s.Flavor == Cloud {
		return "https://bitbucket.example"
	}
	return s.API.URL
}

// TrustGit makes go-git trust the git server's certificate for the rest
// of the test (go-git's https client is process-wide).
func (s *Server) TrustGit(t testing.TB) {
	client.InstallProtocol("https", githttp.NewClient(s.Git.Client()))
	t.Cleanup(func() { client.InstallProtocol("https", githttp.DefaultClient) })
}

// SetPageSize changes the server's largest page.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// AddProject makes a Data Center project (or a Cloud project) exist even
// without repositories.
func (s *Server) AddProject(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projects[key] = true
}

// Add serves work as key/slug, key being the Data Center project key (or,
// on Cloud, the project key inside the workspace), and lists it with
// fields overriding the documented example's.
func (s *Server) Add(work *gittest.Repo, key, slug string, fields map[string]any) {
	s.t.Helper()
	r := &repo{key: key, slug: slug}
	var path string
	if s.Flavor == Cloud {
		r.project, r.key = key, s.Workspace
		path = s.Workspace + "/" + slug
	} else {
		path = "scm/" + strings.ToLower(key) + "/" + slug
	}
	clone := s.Git.Bare(s.t, work, path)
	if s.Flavor == Cloud {
		r.fields = s.cloudRepo(r, clone)
	} else {
		r.fields = s.dcRepo(r, clone)
	}
	for k, v := range fields {
		r.fields[k] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projects[key] = true
	s.repos = append(s.repos, r)
}

// BareDir is the served repository of key/slug on disk: tests push to it
// (git over https would have to trust the test certificate).
func (s *Server) BareDir(key, slug string) string {
	if s.Flavor == Cloud {
		return filepath.Join(s.Git.Root, s.Workspace, slug+".git")
	}
	return filepath.Join(s.Git.Root, "scm", strings.ToLower(key), slug+".git")
}

// Set changes a field of a listed repository.
func (s *Server) Set(key, slug, field string, value any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.find(key, slug).fields[field] = value
}

// Touch records a push on Cloud: a new updated_on.
func (s *Server) Touch(slug string, at time.Time) {
	s.Set(s.Workspace, slug, "updated_on", at.UTC().Format("2006-01-02T15:04:05.000000-07:00"))
}

// Remove stops listing key/slug.
func (s *Server) Remove(key, slug string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.repos {
		if s.is(r, key, slug) {
			s.repos = append(s.repos[:i], s.repos[i+1:]...)
			return
		}
	}
	s.t.Fatalf("bitbuckettest: no repository %s/%s", key, slug)
}

// MoveFirst moves key/slug to the head of the listing, as a rename or a
// new sort key can do between two page requests.
func (s *Server) MoveFirst(key, slug string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.repos {
		if s.is(r, key, slug) {
			s.repos = append([]*repo{r}, append(s.repos[:i:i], s.repos[i+1:]...)...)
			return
		}
	}
	s.t.Fatalf("bitbuckettest: no repository %s/%s", key, slug)
}

// AfterPage calls f (without the server's lock) after each listing page
// is answered, with the request path and the page's number (from 1).
func (s *Server) AfterPage(f func(path string, n int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterPage = f
}

// Inject queues a one-shot answer: the next authenticated API request is
// offered to h, which reports whether it answered.
func (s *Server) Inject(h func(w http.ResponseWriter, r *http.Request) bool) {
	s.inject.Add(h)
}

// Calls is how many API requests reached path ("" for all of them).
func (s *Server) Calls(path string) int {
	if path == "" {
		return s.calls.Total()
	}
	return s.calls.Count(path)
}

// Fetches is how many fetches (git-upload-pack requests) git served.
func (s *Server) Fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// RefAdvertisements is how many ref advertisements (info/refs) git served.
func (s *Server) RefAdvertisements() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refAds
}

func (s *Server) is(r *repo, key, slug string) bool {
	if s.Flavor == Cloud {
		return r.slug == slug && (key == "" || key == s.Workspace || key == r.project)
	}
	return r.key == key && r.slug == slug
}

func (s *Server) find(key, slug string) *repo {
	for _, r := range s.repos {
		if s.is(r, key, slug) {
			return r
		}
	}
	s.t.Fatalf("bitbuckettest: no repository %s/%s", key, slug)
	return nil
}

// dcRepo is the documented RestRepository example, for r.
func (s *Server) dcRepo(r *repo, clone string) map[string]any {
	browse := s.API.URL + "/projects/" + r.key + "/repos/" + r.slug + "/browse"
	// Bitbucket puts the requesting user into its http clone link.
	u, _ := url.Parse(clone)
	u.User = url.User("admin")
	return map[string]any{
		"slug": r.slug, "id": 1 + len(s.repos), "name": r.slug,
		"description": "My repo description", "hierarchyId": "e3c939f9ef4a7fae272e",
		"scmId": "git", "state": "AVAILABLE", "statusMessage": "Available", "forkable": true,
		"project": map[string]any{
			"key": r.key, "id": 1, "name": "My Cool Project", "description": "The description for my cool project.",
			"public": false, "type": "NORMAL",
			"links": map[string]any{"self": []map[string]string{{"href": s.API.URL + "/projects/" + r.key}}},
		},
		"public": false, "archived": false,
		"links": map[string]any{
			"clone": []map[string]string{
				{"href": "ssh://git@" + u.Host + ":7999/" + strings.ToLower(r.key) + "/" + r.slug + ".git", "name": "ssh"},
				{"href": u.String(), "name": "http"},
			},
			"self": []map[string]string{{"href": browse}},
		},
	}
}

// cloudRepo is the documented repository object, for r.
func (s *Server) cloudRepo(r *repo, clone string) map[string]any {
	full := s.Workspace + "/" + r.slug
	u, _ := url.Parse(clone)
	u.User = url.User(s.User)
	return map[string]any{
		"type": "repository", "full_name": full, "name": r.slug, "slug": r.slug,
		"uuid": fmt.Sprintf("{%08d-0000-4000-8000-000000000000}", len(s.repos)), "scm": "git",
		"description": "", "is_private": true, "fork_policy": "allow_forks", "language": "go",
		"size": 1234, "has_issues": false, "has_wiki": false, "website": nil,
		"created_on": "2026-01-01T00:00:00.000000+00:00", "updated_on": "2026-01-02T00:00:00.000000+00:00",
		"mainbranch": map[string]any{"type": "branch", "name": "main"},
		"workspace":  map[string]any{"type": "workspace", "slug": s.Workspace, "name": s.Workspace, "uuid": "{00000000-0000-4000-8000-00000000000a}"},
		"project":    map[string]any{"type": "project", "key": r.project, "name": r.project, "uuid": "{00000000-0000-4000-8000-00000000000b}"},
		"owner":      map[string]any{"type": "team", "username": s.Workspace, "display_name": s.Workspace},
		"links": map[string]any{
			"self": map[string]string{"href": s.APIURL() + "/repositories/" + full},
			"html": map[string]string{"href": s.WebURL() + "/" + full},
			"clone": []map[string]string{
				{"name": "https", "href": u.String()},
				{"name": "ssh", "href": "git@bitbucket.example:" + full + ".git"},
			},
		},
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls.Add(r.URL.Path)
	s.mu.Unlock()
	if !s.authorized(r) {
		if s.Flavor == Cloud {
			writeJSON(w, http.StatusUnauthorized, cloudError("Token is invalid, expired, or not supported for this endpoint."))
		} else {
			writeJSON(w, http.StatusUnauthorized, dcError("Authentication failed. Please check your credentials and try again.",
				"com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"))
		}
		return
	}
	if s.inject.Serve(w, r) {
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, dcError("Method not allowed", ""))
		return
	}
	if s.Flavor == Cloud {
		s.serveCloud(w, r)
	} else {
		s.serveDC(w, r)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if h == "Bearer "+s.Token {
		return true
	}
	u, p, ok := r.BasicAuth()
	return ok && s.Flavor == Cloud && u == s.User && p == s.Token
}

var dcProjectRepos = regexp.MustCompile(`^/rest/api/1\.0/projects/([^/]+)/repos$`)

func (s *Server) serveDC(w http.ResponseWriter, r *http.Request) {
	var key string
	switch m := dcProjectRepos.FindStringSubmatch(r.URL.Path); {
	case r.URL.Path == "/rest/api/1.0/repos":
	case m != nil:
		key = m[1]
		s.mu.Lock()
		ok := s.projects[key]
		s.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, dcError("Project "+key+" does not exist.",
				"com.atlassian.bitbucket.project.NoSuchProjectException"))
			return
		}
	default:
		writeJSON(w, http.StatusNotFound, dcError("This resource does not exist.", ""))
		return
	}
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("start"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	s.mu.Lock()
	if limit <= 0 || limit > s.pageSize {
		limit = s.pageSize
	}
	var all []map[string]any
	for _, rp := range s.repos {
		if key == "" || rp.key == key {
			all = append(all, rp.fields)
		}
	}
	start = min(max(start, 0), len(all))
	end := min(start+limit, len(all))
	page := map[string]any{
		"size": end - start, "limit": limit, "isLastPage": end == len(all),
		"values": append([]map[string]any{}, all[start:end]...), "start": start,
	}
	if end < len(all) {
		page["nextPageStart"] = end
	}
	data, _ := json.Marshal(page)
	after := s.afterPage
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Write(data)
	if after != nil {
		after(r.URL.Path, start/limit+1)
	}
}

var bbqlProject = regexp.MustCompile(`^project\.key\s*=\s*"([^"\\]*)"$`)

func (s *Server) serveCloud(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/2.0/repositories/"+s.Workspace:
	case strings.HasPrefix(r.URL.Path, "/2.0/workspaces/"+s.Workspace+"/projects/"):
		key := strings.TrimPrefix(r.URL.Path, "/2.0/workspaces/"+s.Workspace+"/projects/")
		s.mu.Lock()
		ok := s.projects[key]
		s.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, cloudError("Project not found"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"type": "project", "key": key, "name": key})
		return
	case strings.HasPrefix(r.URL.Path, "/2.0/repositories/"):
		writeJSON(w, http.StatusNotFound, cloudError("No workspace with identifier '"+strings.TrimPrefix(r.URL.Path, "/2.0/repositories/")+"'."))
		return
	default:
		writeJSON(w, http.StatusNotFound, cloudError("Resource not found"))
		return
	}
	q := r.URL.Query()
	project := ""
	if bq := q.Get("q"); bq != "" {
		m := bbqlProject.FindStringSubmatch(bq)
		if m == nil {
			writeJSON(w, http.StatusBadRequest, cloudError("Invalid query: "+bq))
			return
		}
		project = m[1]
	}
	s.mu.Lock()
	var all []map[string]any
	for _, rp := range s.repos {
		if project == "" || rp.project == project {
			all = append(all, rp.fields)
		}
	}
	p := forgeapitest.PageOf(q, "page", "pagelen", s.pageSize, len(all))
	page := map[string]any{"pagelen": p.Size, "size": len(all), "page": p.N, "values": append([]map[string]any{}, all[p.Lo:p.Hi]...)}
	if p.Hi < len(all) {
		next := *r.URL
		nq := next.Query()
		nq.Set("page", strconv.Itoa(p.N+1))
		next.RawQuery = nq.Encode()
		page["next"] = s.API.URL + next.RequestURI()
	}
	data, _ := json.Marshal(page)
	after := s.afterPage
	etags := s.etags
	s.mu.Unlock()
	if etags {
		etag := forgeapitest.ETag(data)
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(data)
	if after != nil {
		after(r.URL.Path, p.N)
	}
}

func dcError(msg, exception string) map[string]any {
	var exc any
	if exception != "" {
		exc = exception
	}
	return map[string]any{"errors": []map[string]any{{"context": nil, "message": msg, "exceptionName": exc}}}
}

func cloudError(msg string) map[string]any {
	return map[string]any{"type": "error", "error": map[string]any{"message": msg}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// RateLimited answers one request 429 with Retry-After, as both products
// do when a client goes over its limit.
func RateLimited(seconds int) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Retry-After", strconv.Itoa(seconds))
		writeJSON(w, http.StatusTooManyRequests, dcError("Rate limit exceeded", ""))
		return true
	}
}

// LoginPage answers one request 200 with an HTML sign-in page, as an SSO
// proxy in front of Bitbucket does.
func LoginPage() func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Log in - Bitbucket</title></head><body><form action=\"/j_atl_security_check\"></form></body></html>")
		return true
	}
}

// Status answers one request with code and a documented error body.
func (s *Server) Status(code int, msg string) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if s.Flavor == Cloud {
			writeJSON(w, code, cloudError(msg))
		} else {
			writeJSON(w, code, dcError(msg, ""))
		}
		return true
	}
}

// Sign is the X-Hub-Signature Bitbucket sends for body with secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
