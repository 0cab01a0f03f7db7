// Package gitlabtest is a GitLab for tests: an httptest server answering
// the REST (v4) calls trawl makes in GitLab's documented shapes, in front
// of a real git http-backend serving the projects. Unit tests of
// source/gitlab and the end-to-end tests of internal/e2e share it.
package gitlabtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
)

// Server answers GET /groups/:id/projects and GET /users/:id/projects
// with GitLab's documented shapes ("List a group's projects"): offset
// pagination with X-Page, X-Next-Page, X-Total-Pages and a Link header,
// or keyset pagination (Link only) when Keyset is set; RateLimit-*
// headers; weak ETags and 304s that keep the other headers, as Rails'
// Rack::ConditionalGet does; 401 for a wrong or expired token, 404 for a
// group the token cannot see. Projects are served by git http-backend,
// which takes the token as the password of user oauth2, as GitLab does.
type Server struct {
	t     testing.TB
	API   *httptest.Server
	Git   *gittest.Server
	Token string // accepted as PRIVATE-TOKEN by the API, and as oauth2's password by git

	mu       sync.Mutex
	projects []map[string]any // ordered by id
	nextID   int
	perPage  int
	keyset   bool
	noLink   bool
	expired  bool
	hidden   map[string]bool // groups the token cannot see
	inject   forgeapitest.Answers
	after    map[int]func()     // run after page n of a listing is answered
	calls    forgeapitest.Calls // by escaped path
	quota    int
	reset    time.Time
	handlers map[string]http.HandlerFunc
}

// New starts a GitLab that accepts token; it stops with the test.
func New(t testing.TB, token string) *Server {
	t.Helper()
	f := &Server{
		t: t, Token: token, perPage: 2, nextID: 3,
		hidden: map[string]bool{}, after: map[int]func(){},
		quota: 2000, reset: time.Now().Add(time.Minute).Truncate(time.Second),
		handlers: map[string]http.HandlerFunc{},
	}
	f.Git = gittest.Serve(t, t.TempDir(), "oauth2", token)
	f.API = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.API.Close)
	return f
}

// APIURL is the self-managed-style base the source is configured with.
func (f *Server) APIURL() string { return f.API.URL + "/api/v4" }

// WebURL is the web address of a project.
func (f *Server) WebURL(full string) string { return "https://gitlab.example/" + full }

// AddProject serves work as full (group/subgroup/project) and lists it
// with the given fields overriding the defaults. It returns its id.
func (f *Server) AddProject(work *gittest.Repo, full string, fields map[string]any) int {
	f.t.Helper()
	cloneURL := ""
	if work != nil {
		cloneURL = f.Git.Bare(f.t, work, full)
	} else {
		cloneURL = f.Git.URL + "/" + full + ".git"
	}
	ns, name := "", full
	if i := strings.LastIndex(full, "/"); i >= 0 {
		ns, name = full[:i], full[i+1:]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextID
	f.nextID++
	p := map[string]any{
		"id":                  id,
		"description":         "Lorem ipsum dolor sit amet.",
		"name":                name,
		"name_with_namespace": strings.ReplaceAll(full, "/", " / "),
		"path":                name,
		"path_with_namespace": full,
		"created_at":          "2013-09-30T13:46:02Z",
		"updated_at":          "2013-09-30T13:46:02Z",
		"default_branch":      "main",
		"tag_list":            []string{},
		"topics":              []string{},
		"ssh_url_to_repo":     "git@gitlab.example:" + full + ".git",
		"http_url_to_repo":    cloneURL,
		"web_url":             f.WebURL(full),
		"readme_url":          f.WebURL(full) + "/-/blob/main/README.md",
		"forks_count":         0,
		"star_count":          0,
		"last_activity_at":    "2013-09-30T13:46:02Z",
		"visibility":          "private",
		"empty_repo":          work == nil,
		"archived":            false,
		"namespace": map[string]any{
			"id": 2, "name": ns, "path": ns[strings.LastIndex(ns, "/")+1:], "kind": "group",
			"full_path": ns, "web_url": f.WebURL(ns),
		},
		"_links": map[string]any{"self": f.APIURL() + "/projects/" + strconv.Itoa(id)},
	}
	for k, v := range fields {
		p[k] = v
	}
	f.projects = append(f.projects, p)
	slices.SortFunc(f.projects, func(a, b map[string]any) int { return a["id"].(int) - b["id"].(int) })
	return id
}

// Set changes a field of a listed project, as a push or a setting would.
func (f *Server) Set(full, key string, value any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.projects {
		if p["path_with_namespace"] == full {
			p[key] = value
			return
		}
	}
	f.t.Fatalf("no project %s", full)
}

// Push records activity on a project: a new last_activity_at.
func (f *Server) Push(full string, at time.Time) {
	f.Set(full, "last_activity_at", at.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// SetPerPage sets the server's page size, whatever the client asks.
func (f *Server) SetPerPage(n int) { f.mu.Lock(); f.perPage = n; f.mu.Unlock() }

// SetKeyset makes listings keyset-paginated: a Link header with a cursor
// and no X-Next-Page, as GitLab answers pagination=keyset.
func (f *Server) SetKeyset(on bool) { f.mu.Lock(); f.keyset = on; f.mu.Unlock() }

// SetNoLink leaves the Link header out of offset-paginated answers, so
// that only X-Next-Page says there is more.
func (f *Server) SetNoLink(on bool) { f.mu.Lock(); f.noLink = on; f.mu.Unlock() }

// SetExpired makes the token expired: every API call is answered 401.
func (f *Server) SetExpired(on bool) { f.mu.Lock(); f.expired = on; f.mu.Unlock() }

// Hide makes group invisible to the token: GitLab answers 404.
func (f *Server) Hide(group string) { f.mu.Lock(); f.hidden[group] = true; f.mu.Unlock() }

// AfterPage runs fn once page n of a listing has been answered (a change
// between two page reads).
func (f *Server) AfterPage(n int, fn func()) { f.mu.Lock(); f.after[n] = fn; f.mu.Unlock() }

// SetQuota sets the calls left before the rate limit.
func (f *Server) SetQuota(n int) { f.mu.Lock(); f.quota = n; f.mu.Unlock() }

// InjectOnce queues a one-shot answer: the next authenticated call goes
// to h first, and h says whether it answered.
func (f *Server) InjectOnce(h func(w http.ResponseWriter, r *http.Request) bool) {
	f.inject.Add(h)
}

// Handle answers route ("GET /api/v4/groups/acme/projects", path as
// sent, escaped) with h instead of the built-in answer, before any
// authentication check.
func (f *Server) Handle(route string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[route] = h
}

// CallCount is the number of calls to the escaped path so far.
func (f *Server) CallCount(path string) int {
	return f.calls.Count(path)
}

// Calls is the number of API calls so far.
func (f *Server) Calls() int {
	return f.calls.Total()
}

// PushURL is the authenticated push address of a project.
func (f *Server) PushURL(full string) string {
	return strings.Replace(f.Git.URL, "http://", "http://oauth2:"+f.Token+"@", 1) + "/" + full + ".git"
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	f.mu.Lock()
	f.calls.Add(path)
	custom := f.handlers[r.Method+" "+path]
	expired := f.expired
	f.mu.Unlock()

	if custom != nil {
		custom(w, r)
		return
	}
	if r.Header.Get("PRIVATE-TOKEN") != f.Token || f.Token == "" {
		WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	if expired {
		WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token",
			"error_description": "Token is expired. You can either do re-authorization or token refresh."})
		return
	}
	if f.inject.Serve(w, r) {
		return
	}

	rest, ok := strings.CutPrefix(path, "/api/v4/")
	parts := strings.Split(rest, "/")
	if !ok || r.Method != http.MethodGet || len(parts) != 3 || parts[2] != "projects" ||
		(parts[0] != "groups" && parts[0] != "users") {
		WriteJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
		return
	}
	id, err := url.PathUnescape(parts[1])
	if err != nil {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "id is invalid"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	var list []map[string]any
	for _, p := range f.projects {
		ns := p["namespace"].(map[string]any)["full_path"].(string)
		switch {
		case parts[0] == "users" && ns != id:
			continue
		case parts[0] == "groups" && ns != id && !(q.Get("include_subgroups") == "true" && strings.HasPrefix(ns, id+"/")):
			continue
		case q.Get("archived") == "false" && p["archived"] == true:
			continue
		}
		list = append(list, p)
	}
	if parts[0] == "groups" && (f.hidden[id] || !f.groupExists(id)) {
		WriteJSON(w, http.StatusNotFound, map[string]string{"message": "404 Group Not Found"})
		return
	}
	page, n := f.page(w, r, list)
	f.answer(w, r, page)
	if fn := f.after[n]; fn != nil {
		delete(f.after, n)
		f.mu.Unlock()
		fn()
		f.mu.Lock()
	}
}

// groupExists says whether any project lives in group or below it.
func (f *Server) groupExists(group string) bool {
	for _, p := range f.projects {
		ns := p["namespace"].(map[string]any)["full_path"].(string)
		if ns == group || strings.HasPrefix(ns, group+"/") {
			return true
		}
	}
	return false
}

// page slices a listing and sets GitLab's pagination headers; it returns
// the slice and the page number (1 for the first keyset page).
func (f *Server) page(w http.ResponseWriter, r *http.Request, list []map[string]any) ([]map[string]any, int) {
	q := r.URL.Query()
	pg := forgeapitest.PageOf(q, "page", "per_page", f.perPage, len(list))
	per := pg.Size
	link := func(rel string, set map[string]string) string {
		u := *r.URL
		v := u.Query()
		for k, val := range set {
			v.Set(k, val)
		}
		u.RawQuery = v.Encode()
		return fmt.Sprintf(`<%s%s>; rel="%s"`, f.API.URL, u.String(), rel)
	}
	h := w.Header()
	if f.keyset || q.Get("pagination") == "keyset" {
		after, _ := strconv.Atoi(q.Get("id_after"))
		lo := slices.IndexFunc(list, func(p map[string]any) bool { return p["id"].(int) > after })
		if lo < 0 {
			lo = len(list)
		}
		hi := min(lo+per, len(list))
		if hi < len(list) {
			h.Set("Link", link("next", map[string]string{"pagination": "keyset", "id_after": strconv.Itoa(list[hi-1]["id"].(int)), "per_page": strconv.Itoa(per)}))
		}
		n := 1
		if after > 0 {
			n = 2
		}
		return list[lo:hi], n
	}
	n, last := pg.N, pg.Last
	var links []string
	if n > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(n-1))
		links = append(links, link("prev", map[string]string{"page": strconv.Itoa(n - 1)}))
	} else {
		h.Set("X-Prev-Page", "")
	}
	if n < last {
		h.Set("X-Next-Page", strconv.Itoa(n+1))
		links = append(links, link("next", map[string]string{"page": strconv.Itoa(n + 1)}))
	} else {
		h.Set("X-Next-Page", "")
	}
	links = append(links, link("first", map[string]string{"page": "1"}), link("last", map[string]string{"page": strconv.Itoa(last)}))
	if !f.noLink {
		h.Set("Link", strings.Join(links, ", "))
	}
	h.Set("X-Page", strconv.Itoa(n))
	h.Set("X-Per-Page", strconv.Itoa(per))
	h.Set("X-Total", strconv.Itoa(len(list)))
	h.Set("X-Total-Pages", strconv.Itoa(last))
	return list[pg.Lo:pg.Hi], n
}

// answer writes body with a weak ETag, or a 304 when the client has it.
func (f *Server) answer(w http.ResponseWriter, r *http.Request, body any) {
	if body == nil {
		body = []any{}
	}
	data, _ := json.Marshal(body)
	etag := "W/" + forgeapitest.ETag(data)
	w.Header().Set("ETag", etag)
	f.quota--
	f.rateHeaders(w)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

// rateHeaders sets GitLab's RateLimit-* headers.
func (f *Server) rateHeaders(w http.ResponseWriter) {
	RateHeaders(w, max(f.quota, 0), f.reset)
}

// RateHeaders sets GitLab's RateLimit-* headers for remaining calls left
// until reset.
func RateHeaders(w http.ResponseWriter, remaining int, reset time.Time) {
	h := w.Header()
	h.Set("RateLimit-Limit", "2000")
	h.Set("RateLimit-Observed", strconv.Itoa(2000-remaining))
	h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("RateLimit-ResetTime", reset.UTC().Format(http.TimeFormat))
}

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// NewWork makes a working repository with one commit of files.
func NewWork(t testing.TB, files map[string]string) *gittest.Repo {
	t.Helper()
	return forgeapitest.NewWork(t, files)
}
