// Package giteatest is a Gitea (or Forgejo: the same API) for tests: an
// httptest server answering the REST calls trawl makes in the shapes of
// Gitea's swagger definitions, in front of a real git http-backend that
// serves the repositories. Unit tests of source/gitea and the end-to-end
// tests of internal/e2e share it.
package giteatest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
)

// Server answers GET /api/v1/orgs/{org}/repos, /users/{user}/repos,
// /user/repos, /user and /repos/{owner}/{repo}/topics as Gitea does:
// pages of ?page=&limit= (capped at the server's MaxResponseItems), the
// Link and X-Total-Count headers, repositories of an owner ordered by id
// and the token's own ordered by name (as Gitea's SearchRepository
// does), private repositories hidden from anonymous calls, 401 for a bad
// token and 404 for an owner it does not know. Git clones go to a real
// git http-backend that, like Gitea, takes any user name with the token
// as password, and serves public repositories anonymously.
type Server struct {
	t     testing.TB
	API   *httptest.Server
	Git   *httptest.Server // clone_url host: checks the token, then git http-backend
	back  *gittest.Server
	Token string

	mu           sync.Mutex
	owners       map[string]string // login -> "org" or "user"
	repos        []map[string]any
	nextID       int
	pageSize     int    // the server's MAX_RESPONSE_ITEMS
	login        string // the token's account, for GET /user
	noTopics     bool   // an older Gitea: the listing carries no topics
	topics       map[string][]string
	inject       forgeapitest.Answers
	afterPage    func(path string, page int)
	calls        forgeapitest.Calls
	clones       int
	unauthorized bool // every API call answers 401 (an expired token)
}

// New starts a Gitea that accepts token ("" for an instance read
// anonymously); it stops with the test.
func New(t testing.TB, token string) *Server {
	t.Helper()
	f := &Server{
		t: t, Token: token, owners: map[string]string{},
		nextID: 1, pageSize: 50, topics: map[string][]string{},
	}
	f.back = gittest.Serve(t, t.TempDir(), "", "")
	target, _ := url.Parse(f.back.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	f.Git = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, ok := r.BasicAuth()
		full := repoOfGitPath(r.URL.Path)
		if !(ok && f.Token != "" && hmac.Equal([]byte(pass), []byte(f.Token))) && !f.public(full) {
			w.Header().Set("WWW-Authenticate", `Basic realm="Gitea"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/info/refs") && r.URL.Query().Get("service") == "git-upload-pack" {
			f.mu.Lock()
			f.clones++
			f.mu.Unlock()
		}
		r.Header.Del("Authorization")
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Git.Close)
	f.API = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.API.Close)
	return f
}

// APIURL is the base the source is configured with.
func (f *Server) APIURL() string { return f.API.URL + "/api/v1" }

// WebURL is the instance's web address (html_url's host).
func (f *Server) WebURL() string { return "https://gitea.example" }

// AddOwner makes login known as an organisation (kind "org") or a user.
func (f *Server) AddOwner(login, kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.owners[login] = kind
}

// AddRepo serves work as full ("acme/api") and lists it with fields
// overriding the defaults; the owner is added as an organisation if
// unknown. It returns the repository's id.
func (f *Server) AddRepo(work *gittest.Repo, full string, fields map[string]any) int {
	f.t.Helper()
	owner, name, ok := strings.Cut(full, "/")
	if !ok {
		f.t.Fatalf("AddRepo %q: want owner/name", full)
	}
	if work != nil {
		f.back.Bare(f.t, work, full)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.owners[owner]; !ok {
		f.owners[owner] = "org"
	}
	id := f.nextID
	f.nextID++
	r := map[string]any{
		"id": id,
		"owner": map[string]any{
			"id": 100 + len(f.owners), "login": owner, "login_name": "", "full_name": "",
			"email": owner + "@noreply.gitea.example", "avatar_url": f.WebURL() + "/avatars/" + owner,
			"html_url": f.WebURL() + "/" + owner, "username": owner,
		},
		"name":               name,
		"full_name":          full,
		"description":        "",
		"empty":              work == nil,
		"private":            false,
		"fork":               false,
		"template":           false,
		"parent":             nil,
		"mirror":             false,
		"size":               36,
		"language":           "Go",
		"languages_url":      f.APIURL() + "/repos/" + full + "/languages",
		"html_url":           f.WebURL() + "/" + full,
		"url":                f.APIURL() + "/repos/" + full,
		"link":               "",
		"ssh_url":            "git@gitea.example:" + full + ".git",
		"clone_url":          f.Git.URL + "/" + full + ".git",
		"original_url":       "",
		"website":            "",
		"stars_count":        0,
		"forks_count":        0,
		"watchers_count":     1,
		"open_issues_count":  0,
		"open_pr_counter":    0,
		"release_counter":    0,
		"default_branch":     "main",
		"archived":           false,
		"created_at":         "2024-03-01T10:00:00Z",
		"updated_at":         "2024-03-02T11:30:00Z",
		"archived_at":        "1970-01-01T00:00:00Z",
		"permissions":        map[string]any{"admin": false, "push": false, "pull": true},
		"has_issues":         true,
		"has_wiki":           true,
		"has_pull_requests":  true,
		"has_projects":       true,
		"has_releases":       true,
		"has_packages":       true,
		"has_actions":        false,
		"internal":           false,
		"mirror_interval":    "",
		"object_format_name": "sha1",
		"mirror_updated":     "0001-01-01T00:00:00Z",
		"repo_transfer":      nil,
		"topics":             nil, // Gitea sends null for a repository without topics
		"licenses":           []string{},
	}
	for k, v := range fields {
		r[k] = v
	}
	if ts, ok := r["topics"].([]string); ok {
		f.topics[full] = ts
	}
	f.repos = append(f.repos, r)
	return id
}

// Set changes a field of the repository full.
func (f *Server) Set(full, key string, value any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.find(full)
	if r == nil {
		f.t.Fatalf("no repository %s", full)
	}
	r[key] = value
}

// Push records a push in the listing, as Gitea does: updated_at moves.
func (f *Server) Push(full string, at time.Time) {
	f.Set(full, "updated_at", at.UTC().Format(time.RFC3339))
}

// Rename renames a repository: its full name, URLs and git path change,
// its id stays.
func (f *Server) Rename(full, newName string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.find(full)
	if r == nil {
		f.t.Fatalf("no repository %s", full)
	}
	owner, _, _ := strings.Cut(full, "/")
	nf := owner + "/" + newName
	r["name"], r["full_name"] = newName, nf
	r["html_url"] = f.WebURL() + "/" + nf
	r["clone_url"] = f.Git.URL + "/" + nf + ".git"
	r["url"] = f.APIURL() + "/repos/" + nf
	if !r["empty"].(bool) {
		if err := os.Rename(filepath.Join(f.back.Root, full+".git"), filepath.Join(f.back.Root, nf+".git")); err != nil {
			f.t.Fatalf("rename %s: %v", full, err)
		}
	}
}

// Delete removes a repository from the listing.
func (f *Server) Delete(full string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.repos = slices.DeleteFunc(f.repos, func(r map[string]any) bool { return r["full_name"] == full })
}

// SetPageSize sets the server's MAX_RESPONSE_ITEMS (Gitea's default: 50).
func (f *Server) SetPageSize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pageSize = n
}

// SetLogin sets the token's account, for GET /user.
func (f *Server) SetLogin(login string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.login = login
	if _, ok := f.owners[login]; !ok {
		f.owners[login] = "user"
	}
}

// OmitTopics makes the listing carry no topics key, as Gitea before 1.23
// answered; the topics endpoint still has them.
func (f *Server) OmitTopics() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noTopics = true
}

// Expire makes the token invalid: every authenticated call answers 401.
func (f *Server) Expire() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unauthorized = true
}

// InjectOnce queues a one-shot answer: the next API call goes to h first,
// and h says whether it answered.
func (f *Server) InjectOnce(h func(w http.ResponseWriter, r *http.Request) bool) {
	f.inject.Add(h)
}

// AfterPage calls fn after each listing page is answered (with the lock
// released), to change the listing between pages.
func (f *Server) AfterPage(fn func(path string, page int)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.afterPage = fn
}

// CallCount is the number of API calls to path ("/api/v1/orgs/acme/repos")
// so far; "" counts every call.
func (f *Server) CallCount(path string) int {
	if path == "" {
		return f.calls.Total()
	}
	return f.calls.Count(path)
}

// Clones is the number of clones and fetches served so far.
func (f *Server) Clones() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clones
}

// PushURL is where a test pushes to full: the git http-backend itself,
// behind no authentication.
func (f *Server) PushURL(full string) string {
	return f.back.URL + "/" + full + ".git"
}

func (f *Server) find(full string) map[string]any {
	for _, r := range f.repos {
		if r["full_name"] == full {
			return r
		}
	}
	return nil
}

func (f *Server) public(full string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.find(full)
	return r != nil && r["private"] == false
}

// repoOfGitPath is owner/name of a smart-HTTP path
// (/acme/api.git/info/refs).
func repoOfGitPath(p string) string {
	if i := strings.Index(p, ".git/"); i >= 0 {
		return strings.TrimPrefix(p[:i], "/")
	}
	return ""
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls.Add(r.URL.Path)
	inj := f.inject.Next()
	expired := f.unauthorized
	f.mu.Unlock()
	if inj != nil && inj(w, r) {
		return
	}

	signed := false
	if auth := r.Header.Get("Authorization"); auth != "" {
		tok, ok := strings.CutPrefix(auth, "token ")
		if !ok {
			tok, ok = strings.CutPrefix(auth, "Bearer ")
		}
		if !ok || f.Token == "" || expired || !hmac.Equal([]byte(tok), []byte(f.Token)) {
			f.apiError(w, http.StatusUnauthorized, "user does not exist [uid: 0, name: ]")
			return
		}
		signed = true
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/api/v1")
	if !ok || r.Method != http.MethodGet {
		f.apiError(w, http.StatusNotFound, "The target couldn't be found.")
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	f.mu.Lock()
	switch {
	case len(parts) == 3 && (parts[0] == "orgs" || parts[0] == "users") && parts[2] == "repos":
		kind, known := f.owners[parts[1]]
		if !known || (parts[0] == "orgs") != (kind == "org") {
			f.mu.Unlock()
			f.apiError(w, http.StatusNotFound, "The target couldn't be found.")
			return
		}
		list := f.owned(parts[1], signed)
		page, n := f.page(w, r, list)
		after := f.afterPage
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, page)
		if after != nil {
			after(r.URL.Path, n)
		}
	case len(parts) == 2 && parts[0] == "user" && parts[1] == "repos" && signed:
		list := f.owned(f.login, true)
		slices.SortStableFunc(list, func(a, b map[string]any) int {
			return strings.Compare(strings.ToLower(a["name"].(string)), strings.ToLower(b["name"].(string)))
		})
		page, n := f.page(w, r, list)
		after := f.afterPage
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, page)
		if after != nil {
			after(r.URL.Path, n)
		}
	case len(parts) == 1 && parts[0] == "user" && signed:
		body := map[string]any{"id": 1, "login": f.login, "login_name": "", "full_name": "", "email": f.login + "@example.com",
			"avatar_url": f.WebURL() + "/avatars/1", "html_url": f.WebURL() + "/" + f.login, "username": f.login, "is_admin": false}
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, body)
	case len(parts) == 4 && parts[0] == "repos" && parts[3] == "topics":
		full := parts[1] + "/" + parts[2]
		rep := f.find(full)
		if rep == nil || (rep["private"] == true && !signed) {
			f.mu.Unlock()
			f.apiError(w, http.StatusNotFound, "The target couldn't be found.")
			return
		}
		ts := f.topics[full]
		if ts == nil {
			ts = []string{}
		}
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"topics": ts})
	default:
		f.mu.Unlock()
		f.apiError(w, http.StatusNotFound, "The target couldn't be found.")
	}
}

// owned are the repositories of owner a caller sees, by id (copies).
func (f *Server) owned(owner string, signed bool) []map[string]any {
	var out []map[string]any
	for _, r := range f.repos {
		if r["owner"].(map[string]any)["login"] != owner || (r["private"] == true && !signed) {
			continue
		}
		c := make(map[string]any, len(r))
		for k, v := range r {
			if k == "topics" && f.noTopics {
				continue
			}
			c[k] = v
		}
		out = append(out, c)
	}
	return out
}

// page slices list as Gitea's ListOptions do and sets Link and
// X-Total-Count as its SetLinkHeader and SetTotalCountHeader do; it
// returns the slice and the page number.
func (f *Server) page(w http.ResponseWriter, r *http.Request, list []map[string]any) ([]map[string]any, int) {
	p := forgeapitest.PageOf(r.URL.Query(), "page", "limit", f.pageSize, len(list))
	link := func(n int, rel string) string {
		// Gitea builds the links from its ROOT_URL, which is not always the
		// address the API is reached at: clients must not rely on the host.
		return fmt.Sprintf(`<%s%s?limit=%d&page=%d>; rel="%s"`, f.WebURL(), r.URL.Path, p.Size, n, rel)
	}
	var links []string
	if p.N < p.Last {
		links = append(links, link(p.N+1, "next"), link(p.Last, "last"))
	}
	if p.N > 1 {
		links = append(links, link(1, "first"), link(p.N-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ","))
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(len(list)))
	w.Header().Set("Access-Control-Expose-Headers", "X-Total-Count, Link")
	return list[p.Lo:p.Hi], p.N
}

// apiError answers Gitea's APIError shape.
func (f *Server) apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "url": f.WebURL() + "/api/swagger"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// NewWork makes a working repository with one commit of files.
func NewWork(t testing.TB, files map[string]string) *gittest.Repo {
	t.Helper()
	return forgeapitest.NewWork(t, files)
}

// Sign is the X-Gitea-Signature (and X-Forgejo-Signature) of body: the
// hex HMAC-SHA256 with secret, no prefix.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// PushPayload is the body of a push delivery to refs/heads/branch of
// full, in Gitea's PushPayload shape.
func PushPayload(full, branch, before, after string) []byte {
	owner, name, _ := strings.Cut(full, "/")
	body, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/" + branch, "before": before, "after": after,
		"compare_url": "https://gitea.example/" + full + "/compare/" + before + "..." + after,
		"commits": []map[string]any{{
			"id": after, "message": "change\n", "url": "https://gitea.example/" + full + "/commit/" + after,
			"author":    map[string]string{"name": "dev", "email": "dev@example.com", "username": "dev"},
			"committer": map[string]string{"name": "dev", "email": "dev@example.com", "username": "dev"},
			"timestamp": "2024-03-03T09:00:00Z", "added": []string{}, "removed": []string{}, "modified": []string{"main.go"},
		}},
		"total_commits": 1,
		"repository": map[string]any{
			"id": 1, "name": name, "full_name": full, "html_url": "https://gitea.example/" + full,
			"owner":     map[string]any{"id": 2, "login": owner, "username": owner},
			"clone_url": "https://gitea.example/" + full + ".git", "default_branch": "main", "private": false,
		},
		"pusher": map[string]any{"id": 3, "login": "dev", "username": "dev"},
		"sender": map[string]any{"id": 3, "login": "dev", "username": "dev"},
	})
	return body
}
