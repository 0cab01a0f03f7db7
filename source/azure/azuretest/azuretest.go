// Package azuretest is an Azure DevOps for tests: an httptest server
// answering the REST calls trawl makes in Azure DevOps' documented shapes
// ({"count": n, "value": [...]} envelopes, x-ms-continuationtoken paging,
// TF-coded JSON errors, 401 or a 203 sign-in page for a bad PAT), and
// serving the repositories themselves at their Azure clone URLs
// ({org}/{project}/_git/{repo}) through a real git http-backend, with the
// PAT checked as Azure checks it (basic auth, any user name). Unit tests
// of source/azure and the end-to-end tests of internal/e2e share it.
package azuretest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
)

// Server is one Azure DevOps organisation.
type Server struct {
	t   testing.TB
	API *httptest.Server // REST API and git clone URLs, as on dev.azure.com
	Git *gittest.Server  // the bare repositories, reached through API's /_git/ paths
	Org string
	PAT string
	// SignInPage makes a bad PAT get what Azure DevOps often answers: 203
	// and an HTML sign-in page, rather than 401.
	SignInPage bool
	// ETags makes the server tag its answers and answer 304 to a
	// matching If-None-Match. Azure DevOps does not document ETags on
	// these listings; the option checks trawl is right either way.
	ETags bool

	mu          sync.Mutex
	projects    []*project
	pageSize    int
	inject      forgeapitest.Answers
	calls       forgeapitest.Calls // by path
	fetches     int                // git requests
	notModified int
	hidden      map[string]bool
	nextID      int
}

type project struct {
	fields map[string]any
	repos  []map[string]any
}

// New starts an Azure DevOps organisation org that accepts pat; it stops
// with the test.
func New(t testing.TB, org, pat string) *Server {
	t.Helper()
	f := &Server{t: t, Org: org, PAT: pat, pageSize: 2, hidden: map[string]bool{}}
	f.Git = gittest.Serve(t, t.TempDir(), "", "")
	f.API = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.API.Close)
	return f
}

// APIURL is the api_url the source is configured with (like
// https://dev.azure.com, without the organisation).
func (f *Server) APIURL() string { return f.API.URL }

func (f *Server) id(kind string) string {
	f.nextID++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", f.nextID, len(kind))
}

// AddProject adds a project; fields override the defaults.
func (f *Server) AddProject(name string, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.id("project")
	p := map[string]any{
		"id":             id,
		"name":           name,
		"description":    "Team project for " + name,
		"url":            f.API.URL + "/" + f.Org + "/_apis/projects/" + id,
		"state":          "wellFormed",
		"revision":       411518573,
		"visibility":     "private",
		"lastUpdateTime": "2026-01-01T00:00:00.000Z",
	}
	for k, v := range fields {
		p[k] = v
	}
	f.projects = append(f.projects, &project{fields: p})
}

// AddRepo serves work as project/name and lists it with fields
// overriding the defaults; it returns the bare repository's folder.
func (f *Server) AddRepo(projectName string, work *gittest.Repo, name string, fields map[string]any) string {
	f.t.Helper()
	f.Git.Bare(f.t, work, f.Org+"/"+projectName+"/"+name)
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.project(projectName)
	if p == nil {
		f.t.Fatalf("no project %s", projectName)
	}
	id := f.id("repo")
	web := f.API.URL + "/" + f.Org + "/" + url.PathEscape(projectName) + "/_git/" + url.PathEscape(name)
	remote := strings.Replace(web, "://", "://"+f.Org+"@", 1)
	r := map[string]any{
		"id":   id,
		"name": name,
		"url":  f.API.URL + "/" + f.Org + "/" + p.fields["id"].(string) + "/_apis/git/repositories/" + id,
		"project": map[string]any{
			"id": p.fields["id"], "name": projectName, "url": p.fields["url"],
			"state": "wellFormed", "revision": 411518573, "visibility": p.fields["visibility"],
			"lastUpdateTime": p.fields["lastUpdateTime"],
		},
		"defaultBranch":   "refs/heads/main",
		"size":            12345,
		"remoteUrl":       remote,
		"sshUrl":          "git@ssh.dev.azure.example:v3/" + f.Org + "/" + projectName + "/" + name,
		"webUrl":          web,
		"isDisabled":      false,
		"isInMaintenance": false,
	}
	for k, v := range fields {
		if v == nil {
			delete(r, k)
		} else {
			r[k] = v
		}
	}
	p.repos = append(p.repos, r)
	return filepath.Join(f.Git.Root, f.Org, projectName, name+".git")
}

func (f *Server) project(key string) *project {
	for _, p := range f.projects {
		if p.fields["name"] == key || p.fields["id"] == key {
			return p
		}
	}
	return nil
}

// ProjectID is the id of a project.
func (f *Server) ProjectID(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.project(name); p != nil {
		return p.fields["id"].(string)
	}
	return ""
}

// RepoID is the id of a repository.
func (f *Server) RepoID(projectName, name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.project(projectName); p != nil {
		for _, r := range p.repos {
			if r["name"] == name {
				return r["id"].(string)
			}
		}
	}
	return ""
}

// Hide makes a project invisible to the PAT: Azure answers 404 for it
// and leaves it out of the listing.
func (f *Server) Hide(projectName string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hidden[projectName] = true
}

// SetPageSize sets the projects page size the server uses whatever $top
// says.
func (f *Server) SetPageSize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pageSize = n
}

// InjectOnce queues a one-shot answer: the next call (API or git) goes to
// h first, and h says whether it answered.
func (f *Server) InjectOnce(h func(w http.ResponseWriter, r *http.Request) bool) {
	f.inject.Add(h)
}

// CallCount is the number of API calls to path so far.
func (f *Server) CallCount(path string) int {
	return f.calls.Count(path)
}

// Calls is the number of API calls so far.
func (f *Server) Calls() int {
	return f.calls.Total()
}

// Fetches is the number of git requests (ref advertisements and packs)
// so far.
func (f *Server) Fetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches
}

// PushURL is where a test pushes to project/name: the git http-backend
// itself, behind the API's PAT check.
func (f *Server) PushURL(projectName, name string) string {
	return f.Git.URL + "/" + f.Org + "/" + projectName + "/" + name + ".git"
}

// Moving lists a repository in project to as well as in from, both
// with the same id: what a listing taken while an administrator moves it
// can show.
func (f *Server) Moving(name, from, to string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	src, dst := f.project(from), f.project(to)
	for _, r := range src.repos {
		if r["name"] == name {
			moved := map[string]any{}
			for k, v := range r {
				moved[k] = v
			}
			moved["project"] = map[string]any{"id": dst.fields["id"], "name": dst.fields["name"], "visibility": dst.fields["visibility"]}
			dst.repos = append(dst.repos, moved)
			return
		}
	}
}

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// ok answers v with 200, or with 304 when ETags are on and the client
// holds the answer. The 304 carries no x-ms-continuationtoken: a
// conditional answer need not repeat such headers, and a client that
// trusts the cached page alone would stop paging.
func (f *Server) ok(w http.ResponseWriter, r *http.Request, v any) {
	if !f.ETags {
		WriteJSON(w, http.StatusOK, v)
		return
	}
	data, _ := json.Marshal(v)
	etag := forgeapitest.ETag(data)
	if r.Header.Get("If-None-Match") == etag {
		f.notModified++
		w.Header().Del("x-ms-continuationtoken")
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	WriteJSON(w, http.StatusOK, v)
}

// NotModified is the number of 304 answers so far.
func (f *Server) NotModified() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.notModified
}

// WriteError answers an Azure DevOps error: a TF code in message, with
// the exception's type.
func WriteError(w http.ResponseWriter, status int, message, typeKey string) {
	WriteJSON(w, status, map[string]any{
		"$id": "1", "innerException": nil, "message": message,
		"typeName": "Microsoft.TeamFoundation.Core.WebApi." + typeKey + ", Microsoft.TeamFoundation.Core.WebApi",
		"typeKey":  typeKey, "errorCode": 0, "eventId": 3000,
	})
}

// SignIn answers what Azure DevOps answers a request with a bad PAT
// more often than 401: 203 and its HTML sign-in page.
func SignIn(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNonAuthoritativeInfo)
	fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body>Sign in to your account</body></html>")
}

func (f *Server) authorized(r *http.Request) bool {
	_, p, ok := r.BasicAuth()
	return ok && p == f.PAT
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	isGit := strings.Contains(r.URL.Path, "/_git/")
	if isGit {
		f.fetches++
	} else {
		f.calls.Add(r.URL.Path)
	}
	inj := f.inject.Next()
	f.mu.Unlock()

	if !f.authorized(r) {
		if isGit {
			w.Header().Set("WWW-Authenticate", `Basic realm="https://dev.azure.com/"`)
			http.Error(w, "TF400813: Resource not available for anonymous access. Client authentication required.", http.StatusUnauthorized)
			return
		}
		if f.SignInPage {
			SignIn(w)
			return
		}
		WriteError(w, http.StatusUnauthorized, "TF400813: The user '' is not authorized to access this resource.", "UnauthorizedRequestException")
		return
	}
	if inj != nil && inj(w, r) {
		return
	}
	if isGit {
		f.git(w, r)
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		WriteError(w, http.StatusBadRequest, "VS800006: No api-version was supplied for the \"GET\" request.", "VssVersionNotSpecifiedException")
		return
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) < 3 || segs[0] != f.Org || r.Method != http.MethodGet {
		WriteError(w, http.StatusNotFound, "TF400898: An Internal Error Occurred. Activity Id: 0.", "NotFoundException")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch rest := segs[1:]; {
	case len(rest) == 2 && rest[0] == "_apis" && rest[1] == "projects":
		f.listProjects(w, r)
	case len(rest) == 3 && rest[0] == "_apis" && rest[1] == "projects":
		p := f.project(rest[2])
		if p == nil || f.hidden[p.fields["name"].(string)] {
			WriteError(w, http.StatusNotFound, fmt.Sprintf("TF200016: The following project does not exist: %s. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.", rest[2]), "ProjectDoesNotExistWithNameException")
			return
		}
		f.ok(w, r, p.fields)
	case len(rest) == 4 && rest[1] == "_apis" && rest[2] == "git" && rest[3] == "repositories":
		p := f.project(rest[0])
		if p == nil || f.hidden[p.fields["name"].(string)] {
			WriteError(w, http.StatusNotFound, fmt.Sprintf("TF200016: The following project does not exist: %s. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.", rest[0]), "ProjectDoesNotExistWithNameException")
			return
		}
		f.ok(w, r, map[string]any{"count": len(p.repos), "value": p.repos})
	case len(rest) == 6 && rest[1] == "_apis" && rest[2] == "git" && rest[3] == "repositories" && rest[5] == "refs":
		f.refs(w, r, rest[0], rest[4])
	default:
		WriteError(w, http.StatusNotFound, "TF400898: An Internal Error Occurred. Activity Id: 0.", "NotFoundException")
	}
}

// listProjects answers one page of the projects the PAT sees.
func (f *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	var visible []map[string]any
	for _, p := range f.projects {
		if !f.hidden[p.fields["name"].(string)] {
			visible = append(visible, p.fields)
		}
	}
	start := 0
	if tok := r.URL.Query().Get("continuationToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(visible) {
			WriteError(w, http.StatusBadRequest, "VS403503: The continuation token is not valid.", "InvalidArgumentValueException")
			return
		}
		start = n
	}
	per := f.pageSize
	if top, err := strconv.Atoi(r.URL.Query().Get("$top")); err == nil && top > 0 && top < per {
		per = top
	}
	f.continued(w, r, visible, start, per)
}

// continued answers per of items from start in Azure's {"count", "value"}
// envelope; a next page is announced by the x-ms-continuationtoken
// header only, as Azure does.
func (f *Server) continued(w http.ResponseWriter, r *http.Request, items []map[string]any, start, per int) {
	end := min(start+per, len(items))
	if end < len(items) {
		w.Header().Set("x-ms-continuationtoken", strconv.Itoa(end))
	}
	page := items[start:end]
	if page == nil {
		page = []map[string]any{}
	}
	f.ok(w, r, map[string]any{"count": len(page), "value": page})
}

// refs answers a repository's branches (filter=heads/), paged by $top.
func (f *Server) refs(w http.ResponseWriter, r *http.Request, projectKey, repoKey string) {
	p := f.project(projectKey)
	var repo map[string]any
	if p != nil {
		for _, x := range p.repos {
			if x["id"] == repoKey || x["name"] == repoKey {
				repo = x
			}
		}
	}
	if repo == nil {
		WriteError(w, http.StatusNotFound, "TF401019: The Git repository with name or identifier "+repoKey+" does not exist or you do not have permissions for the operation you are attempting.", "GitRepositoryNotFoundException")
		return
	}
	dir := filepath.Join(f.Git.Root, f.Org, p.fields["name"].(string), repo["name"].(string)+".git")
	out, err := exec.Command("git", "-C", dir, "for-each-ref", "--format=%(refname) %(objectname)", "refs/"+r.URL.Query().Get("filter")).Output()
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "git for-each-ref: "+err.Error(), "InternalServerException")
		return
	}
	var refs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if name, id, ok := strings.Cut(line, " "); ok {
			refs = append(refs, map[string]any{"name": name, "objectId": id,
				"creator": map[string]any{"displayName": "trawl test"}, "url": f.API.URL + "/" + f.Org + "/_apis/git/repositories/" + repoKey + "/refs?filter=" + strings.TrimPrefix(name, "refs/")})
		}
	}
	start := 0
	if tok := r.URL.Query().Get("continuationToken"); tok != "" {
		start, _ = strconv.Atoi(tok)
		start = min(max(start, 0), len(refs))
	}
	per, _ := strconv.Atoi(r.URL.Query().Get("$top"))
	if per <= 0 {
		per = 100
	}
	per = min(per, f.pageSize*2) // small pages, so that tests page
	f.continued(w, r, refs, start, per)
}

// git serves {org}/{project}/_git/{repo}/... from the bare repository
// {org}/{project}/{repo}.git through git http-backend.
func (f *Server) git(w http.ResponseWriter, r *http.Request) {
	before, after, _ := strings.Cut(r.URL.Path, "/_git/")
	name, rest, _ := strings.Cut(after, "/")
	target, _ := url.Parse(f.Git.URL)
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.URL.Path = before + "/" + name + ".git/" + rest
		pr.Out.URL.RawPath = ""
		pr.Out.Header.Del("Authorization")
	}}
	proxy.ServeHTTP(w, r)
}
