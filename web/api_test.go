package web

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/search"
)

const (
	mainGo   = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello log4j\")\n}\n"
	pomMain  = "<project>\n  <dependency>\n    <artifactId>log4j-core</artifactId>\n    <version>2.14.1</version>\n  </dependency>\n</project>\n"
	pomOld   = "<project>\n  <dependency>\n    <artifactId>log4j-core</artifactId>\n    <version>2.17.1</version>\n  </dependency>\n</project>\n"
	logoPNG  = "\x00PNG\r\n\x1a\n"
	readmeMD = "# wéb\nünïcode log4j here\n"
	appTS    = "export const log = (m: string) => console.log(m);\n"
)

// apiRepos is the fixture of the handler tests: two repositories, one with
// two branches that share some blobs and differ in one.
var apiRepos = []testRepo{
	{name: "acme/api", defaultBranch: "main", branches: map[string]map[string]string{
		"main":        {"main.go": mainGo, "pom.xml": pomMain, "logo.png": logoPNG},
		"release/1.0": {"main.go": mainGo, "pom.xml": pomOld, "logo.png": logoPNG},
	}},
	{name: "acme/web", defaultBranch: "main", branches: map[string]map[string]string{
		"main": {"README.md": readmeMD, "src/app.ts": appTS},
	}},
}

// decode checks the status and the JSON content type of resp and decodes
// its body into v.
func decode(t *testing.T, resp *http.Response, status int, v any) {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d; body %s", resp.Request.URL.Path, resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: Content-Type %q, want application/json", resp.Request.URL.Path, ct)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s: decode %s: %v", resp.Request.URL.Path, body, err)
	}
}

// wantError checks that resp is a JSON error with status and returns its text.
func wantError(t *testing.T, resp *http.Response, status int) string {
	t.Helper()
	var e errorBody
	decode(t, resp, status, &e)
	if e.Error == "" {
		t.Fatalf("%s: empty error text", resp.Request.URL)
	}
	return e.Error
}

func TestSearchAPI(t *testing.T) {
	srv := serve(t, openIndex(t, apiRepos), Options{})

	var res search.Result
	decode(t, get(t, srv, "/api/search?q=log4j", ""), http.StatusOK, &res)
	if res.Query != "log4j" || res.Stats.Files != 4 || len(res.Files) != 4 || res.Stats.LimitHit {
		t.Fatalf("query %q, stats %+v, %d files; want 4 files, no limit hit", res.Query, res.Stats, len(res.Files))
	}
	var got []string
	for _, f := range res.Files {
		got = append(got, f.Repo+":"+f.Path)
	}
	want := []string{"acme/api:main.go", "acme/api:pom.xml", "acme/api:pom.xml", "acme/web:README.md"}
	if !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}

	f := res.Files[0]
	if f.Blob != gitBlobID(mainGo) || f.Language != "Go" {
		t.Errorf("main.go: blob %s language %q", f.Blob, f.Language)
	}
	if len(f.Branches) != 2 || f.Branches[0].Name != "main" || f.Branches[1].Name != "release/1.0" ||
		f.Branches[0].Commit != commitID("acme/api", "main") {
		t.Errorf("main.go branches %+v, want main then release/1.0 with their commits", f.Branches)
	}
	if want := "https://github.com/acme/api/blob/" + commitID("acme/api", "main") + "/main.go#L6"; f.URL != want {
		t.Errorf("permalink %q, want %q", f.URL, want)
	}
	line := "\tfmt.Println(\"hello log4j\")"
	at := strings.Index(line, "log4j")
	if len(f.Matches) != 1 || f.Matches[0].Line != 6 || f.Matches[0].Text != line ||
		!slices.Equal(f.Matches[0].Ranges, [][2]int{{at, at + 5}}) {
		t.Errorf("main.go matches %+v, want line 6 with range [%d,%d)", f.Matches, at, at+5)
	}

	// Ranges count bytes: "ü" and "ï" are two bytes each in UTF-8.
	r := res.Files[3].Matches
	if len(r) != 1 || !slices.Equal(r[0].Ranges, [][2]int{{10, 15}}) {
		t.Errorf("README.md matches %+v, want range [10,15) in bytes", r)
	}
}

func TestSearchAPILimitAndContext(t *testing.T) {
	srv := serve(t, openIndex(t, apiRepos), Options{})

	var res search.Result
	decode(t, get(t, srv, "/api/search?q=log4j&limit=1", ""), http.StatusOK, &res)
	if len(res.Files) != 1 || !res.Stats.LimitHit {
		t.Errorf("limit=1: %d files, limit_hit %v; want 1 file and limit_hit", len(res.Files), res.Stats.LimitHit)
	}
	decode(t, get(t, srv, "/api/search?q=log4j&limit=0", ""), http.StatusOK, &res)
	if len(res.Files) != 4 || res.Stats.LimitHit {
		t.Errorf("limit=0: %d files, limit_hit %v; want all 4", len(res.Files), res.Stats.LimitHit)
	}

	decode(t, get(t, srv, "/api/search?"+url.Values{"q": {"artifactId file:pom.xml"}, "context": {"1"}}.Encode(), ""), http.StatusOK, &res)
	if len(res.Files) != 2 {
		t.Fatalf("%d files, want both pom.xml", len(res.Files))
	}
	m := res.Files[0].Matches[0]
	if m.Line != 3 || !slices.Equal(m.Before, []string{"  <dependency>"}) || len(m.After) != 1 || !strings.Contains(m.After[0], "<version>") {
		t.Errorf("context=1: %+v, want line 3 with one line before and after", m)
	}

	// A query with filters only lists files without matches.
	decode(t, get(t, srv, "/api/search?"+url.Values{"q": {"file:\\.ts$"}}.Encode(), ""), http.StatusOK, &res)
	if len(res.Files) != 1 || res.Files[0].Path != "src/app.ts" || len(res.Files[0].Matches) != 0 {
		t.Errorf("file:\\.ts$: %+v, want src/app.ts without matches", res.Files)
	}

	// No match is an empty list, not null.
	resp := get(t, srv, "/api/search?q=nothing-matches-this", "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"files":[]`) {
		t.Errorf("no match: %d %s, want 200 with \"files\":[]", resp.StatusCode, body)
	}
}

func TestSearchAPIBadRequests(t *testing.T) {
	srv := serve(t, openIndex(t, apiRepos), Options{})
	long := strings.Repeat("a", maxQueryBytes+1)
	for _, tc := range []struct {
		name, query string
		status      int
		errHas      string
	}{
		{"no query", "", http.StatusBadRequest, "missing parameter q"},
		{"blank query", "q=%20%20", http.StatusBadRequest, "empty query"},
		{"query too long", "q=" + long, http.StatusBadRequest, "too long"},
		{"NUL in query", "q=a%00b", http.StatusBadRequest, "NUL"},
		{"invalid UTF-8", "q=%ff%fe", http.StatusBadRequest, "UTF-8"},
		{"parse error", "q=%22unclosed", http.StatusBadRequest, "unclosed quote"},
		{"bad regex", "q=/a(/", http.StatusBadRequest, ""},
		{"unknown language", "q=lang:klingon", http.StatusBadRequest, "unknown language"},
		{"negative limit", "q=a&limit=-1", http.StatusBadRequest, "limit"},
		{"limit not a number", "q=a&limit=ten", http.StatusBadRequest, "limit"},
		{"context too large", "q=a&context=11", http.StatusBadRequest, "context"},
		{"negative context", "q=a&context=-1", http.StatusBadRequest, "context"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := wantError(t, get(t, srv, "/api/search?"+tc.query, ""), tc.status)
			if !strings.Contains(msg, tc.errHas) {
				t.Errorf("error %q does not mention %q", msg, tc.errHas)
			}
		})
	}
	t.Run("stream validates too", func(t *testing.T) {
		wantError(t, get(t, srv, "/api/search/stream?q=a&context=99", ""), http.StatusBadRequest)
		wantError(t, get(t, srv, "/api/search/stream?q=(", ""), http.StatusBadRequest)
	})
}

func TestSearchAPITimeout(t *testing.T) {
	// A deadline that has passed before the search starts: the answer is a
	// 504 whatever the speed of the machine.
	srv := serve(t, openIndex(t, apiRepos), Options{Timeout: time.Nanosecond})
	msg := wantError(t, get(t, srv, "/api/search?q=log4j", ""), http.StatusGatewayTimeout)
	if !strings.Contains(msg, "timed out") {
		t.Errorf("error %q, want timed out", msg)
	}
}

func TestSearchStream(t *testing.T) {
	srv := serve(t, openIndex(t, apiRepos), Options{})
	resp := get(t, srv, "/api/search/stream?q=log4j&context=1", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var files []search.File
	var stats *search.Stats
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if stats != nil {
			t.Fatalf("line after the stats line: %s", sc.Text())
		}
		var line struct {
			search.File
			Stats *search.Stats `json:"stats"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if line.Stats != nil {
			stats = line.Stats
			continue
		}
		files = append(files, line.File)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if stats == nil || stats.Files != 4 || len(files) != 4 || stats.LimitHit {
		t.Fatalf("stats %+v and %d files, want 4 and no limit hit", stats, len(files))
	}
	for _, f := range files {
		if len(f.Matches) == 0 || f.Blob == "" || len(f.Branches) == 0 {
			t.Errorf("incomplete file line %+v", f)
		}
		if f.Path == "pom.xml" && len(f.Matches[0].Before) != 1 {
			t.Errorf("context=1 ignored: %+v", f.Matches[0])
		}
	}
}

func TestFileAPI(t *testing.T) {
	srv := serve(t, openIndex(t, apiRepos), Options{})

	t.Run("by path", func(t *testing.T) {
		var f fileResponse
		q := url.Values{"repo": {"acme/api"}, "branch": {"release/1.0"}, "path": {"pom.xml"}, "q": {"version log4j"}}
		decode(t, get(t, srv, "/api/file?"+q.Encode(), ""), http.StatusOK, &f)
		if f.Text != pomOld || f.Blob != gitBlobID(pomOld) || f.Language != "Maven POM" || f.Lines != 6 || f.Size != int64(len(pomOld)) {
			t.Errorf("file %+v", f)
		}
		if f.Commit != commitID("acme/api", "release/1.0") ||
			f.URL != "https://github.com/acme/api/blob/"+f.Commit+"/pom.xml" {
			t.Errorf("commit %s url %s", f.Commit, f.URL)
		}
		var branches []string
		for _, b := range f.Branches {
			branches = append(branches, b.Name+"="+b.Blob[:7])
		}
		want := []string{"main=" + gitBlobID(pomMain)[:7], "release/1.0=" + gitBlobID(pomOld)[:7]}
		if !slices.Equal(branches, want) {
			t.Errorf("branches %v, want %v (default first)", branches, want)
		}
		var lines []int
		for _, m := range f.Matches {
			lines = append(lines, m.Line)
		}
		if !slices.Equal(lines, []int{3, 4}) {
			t.Errorf("matched lines %v, want [3 4]", lines)
		}
	})

	t.Run("without q", func(t *testing.T) {
		var f fileResponse
		decode(t, get(t, srv, "/api/file?repo=acme/web&branch=main&path=src/app.ts", ""), http.StatusOK, &f)
		if f.Text != appTS || f.Matches == nil || len(f.Matches) != 0 {
			t.Errorf("text %q matches %v, want the text and an empty list", f.Text, f.Matches)
		}
	})

	t.Run("skipped file", func(t *testing.T) {
		var f fileResponse
		decode(t, get(t, srv, "/api/file?repo=acme/api&branch=main&path=logo.png&q=PNG", ""), http.StatusOK, &f)
		if f.Skip != "binary" || f.Text != "" || len(f.Matches) != 0 {
			t.Errorf("skip %q text %q matches %v, want a binary skip and no text", f.Skip, f.Text, f.Matches)
		}
	})

	t.Run("by blob", func(t *testing.T) {
		var f fileResponse
		decode(t, get(t, srv, "/api/file?blob="+strings.ToUpper(gitBlobID(mainGo))+"&q=fmt", ""), http.StatusOK, &f)
		if f.Text != mainGo || f.Language != "Go" || len(f.Locations) != 2 {
			t.Fatalf("text %q language %q locations %v", f.Text, f.Language, f.Locations)
		}
		if l := f.Locations[0]; l.Repo != "acme/api" || l.Path != "main.go" {
			t.Errorf("location %+v", l)
		}
		if len(f.Matches) != 2 || f.Matches[0].Line != 3 || f.Matches[1].Line != 6 {
			t.Errorf("matches %+v, want lines 3 and 6", f.Matches)
		}
	})

	for _, tc := range []struct {
		name, query string
		status      int
	}{
		{"missing repo", "branch=main&path=a", http.StatusBadRequest},
		{"missing path", "repo=acme/api&branch=main", http.StatusBadRequest},
		{"NUL in path", "repo=acme/api&branch=main&path=a%00b", http.StatusBadRequest},
		{"short blob", "blob=abc", http.StatusBadRequest},
		{"blob not hex", "blob=" + strings.Repeat("g", 40), http.StatusBadRequest},
		{"bad q", "repo=acme/api&branch=main&path=main.go&q=%22", http.StatusBadRequest},
		{"unknown repo", "repo=acme/nope&branch=main&path=main.go", http.StatusNotFound},
		{"unknown branch", "repo=acme/api&branch=dev&path=main.go", http.StatusNotFound},
		{"unknown path", "repo=acme/api&branch=main&path=nope.go", http.StatusNotFound},
		{"unknown blob", "blob=" + strings.Repeat("0", 40), http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, get(t, srv, "/api/file?"+tc.query, ""), tc.status)
		})
	}
}

func TestReposAPI(t *testing.T) {
	srv := serve(t, openIndex(t, apiRepos), Options{})
	for range 2 { // the second answer comes from the count cache
		var got struct {
			Repos []repoInfo `json:"repos"`
		}
		decode(t, get(t, srv, "/api/repos", ""), http.StatusOK, &got)
		if len(got.Repos) != 2 || got.Repos[0].Name != "acme/api" || got.Repos[1].Name != "acme/web" {
			t.Fatalf("repos %+v", got.Repos)
		}
		api := got.Repos[0]
		if api.URL != "https://github.com/acme/api" || api.DefaultBranch != "main" || !api.LastCrawl.Equal(crawledAt) || api.Files != 4 {
			t.Errorf("acme/api %+v", api)
		}
		if len(api.Branches) != 2 {
			t.Fatalf("branches %+v", api.Branches)
		}
		b := api.Branches[1]
		if b.Name != "release/1.0" || b.Commit != commitID("acme/api", "release/1.0") || b.Files != 2 || b.Skipped != 1 {
			t.Errorf("release/1.0 %+v, want 2 files and 1 skipped", b)
		}
	}
}

func TestSkippedAPI(t *testing.T) {
	srv := serve(t, openIndex(t, apiRepos), Options{})
	var got struct {
		Skipped   []skippedFile `json:"skipped"`
		Locations int           `json:"locations"`
		LimitHit  bool          `json:"limit_hit"`
	}
	decode(t, get(t, srv, "/api/skipped", ""), http.StatusOK, &got)
	if len(got.Skipped) != 1 || got.Locations != 2 || got.LimitHit {
		t.Fatalf("%+v, want one file on two branches", got)
	}
	s := got.Skipped[0]
	if s.Repo != "acme/api" || s.Path != "logo.png" || s.Skip != "binary" || !slices.Equal(s.Branches, []string{"main", "release/1.0"}) {
		t.Errorf("skipped %+v", s)
	}

	decode(t, get(t, srv, "/api/skipped?repo=acme/web", ""), http.StatusOK, &got)
	if len(got.Skipped) != 0 || got.Locations != 0 {
		t.Errorf("acme/web: %+v, want nothing", got)
	}
	wantError(t, get(t, srv, "/api/skipped?repo=acme/nope", ""), http.StatusNotFound)
	wantError(t, get(t, srv, "/api/skipped?limit=x", ""), http.StatusBadRequest)
}

func TestStatusAPI(t *testing.T) {
	idx := openIndex(t, apiRepos)
	srv := serve(t, idx, Options{Status: func() any {
		return map[string]any{"state": "idle", "errors": []string{"acme/broken: clone: denied"}}
	}})
	var got struct {
		Crawl struct {
			State  string   `json:"state"`
			Errors []string `json:"errors"`
		} `json:"crawl"`
		Index struct {
			Blobs, Locations, Branches int
		} `json:"index"`
		Repos     int       `json:"repos"`
		LastCrawl time.Time `json:"last_crawl"`
	}
	decode(t, get(t, srv, "/api/status", ""), http.StatusOK, &got)
	if got.Crawl.State != "idle" || len(got.Crawl.Errors) != 1 {
		t.Errorf("crawl %+v", got.Crawl)
	}
	// Blobs: main.go, two pom.xml, README.md, app.ts; logo.png is skipped.
	if got.Index.Blobs != 5 || got.Index.Locations != 8 || got.Index.Branches != 3 || got.Repos != 2 || !got.LastCrawl.Equal(crawledAt) {
		t.Errorf("status %+v", got)
	}

	// Without a Status function the crawl part is left out.
	srv = serve(t, idx, Options{})
	resp := get(t, srv, "/api/status", "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(body), `"crawl"`) {
		t.Errorf("status %d %s, want no crawl part", resp.StatusCode, body)
	}
}

func TestAuth(t *testing.T) {
	const token = "s3cret-token-value"
	idx := openIndex(t, apiRepos)
	srv := serve(t, idx, Options{APIToken: token})

	for _, path := range []string{"/api/search?q=log4j", "/api/search/stream?q=log4j", "/api/file?blob=" + gitBlobID(mainGo),
		"/api/repos", "/api/skipped", "/api/status", "/api/nope"} {
		for _, bad := range []string{"", "wrong", token + "x", token[:5]} {
			resp := get(t, srv, path, bad)
			msg := wantError(t, resp, http.StatusUnauthorized)
			if strings.Contains(msg, token) || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s with %q: error %q, WWW-Authenticate %q", path, bad, msg, resp.Header.Get("WWW-Authenticate"))
			}
		}
		if resp := get(t, srv, path, token); resp.StatusCode == http.StatusUnauthorized {
			t.Errorf("%s with the token: 401", path)
		}
	}
	// Another scheme is no bearer token.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/repos", nil)
	req.SetBasicAuth("x", token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("basic auth: %d, want 401", resp.StatusCode)
	}
	// Pages and health stay open: they hold no data.
	for _, path := range []string{"/", "/file?repo=a&branch=b&path=c", "/status", "/healthz"} {
		resp := get(t, srv, path, "")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || strings.Contains(string(body), token) {
			t.Errorf("%s: %d, or the page holds the token", path, resp.StatusCode)
		}
	}

	// Without a token nothing is asked.
	open := serve(t, idx, Options{})
	if resp := get(t, open, "/api/repos", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("no token configured: %d", resp.StatusCode)
	}
}

func TestRoutes(t *testing.T) {
	idx := openIndex(t, apiRepos)
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "trawl_up 1\n") })
	hook := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	srv := serve(t, idx, Options{Metrics: metrics, Extra: map[string]http.Handler{"POST /hooks/github": hook}})

	t.Run("wrong method is a JSON 405", func(t *testing.T) {
		resp, err := srv.Client().Post(srv.URL+"/api/search?q=a", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		wantError(t, resp, http.StatusMethodNotAllowed)
		if !strings.Contains(resp.Header.Get("Allow"), "GET") {
			t.Errorf("Allow %q", resp.Header.Get("Allow"))
		}
	})
	t.Run("unknown API path is a JSON 404", func(t *testing.T) {
		wantError(t, get(t, srv, "/api/nope", ""), http.StatusNotFound)
	})
	t.Run("metrics and extra routes", func(t *testing.T) {
		resp := get(t, srv, "/metrics", "")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(body) != "trawl_up 1\n" {
			t.Errorf("/metrics: %d %q", resp.StatusCode, body)
		}
		resp, err := srv.Client().Post(srv.URL+"/hooks/github", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Errorf("/hooks/github: %d", resp.StatusCode)
		}
	})
	t.Run("no metrics unless given", func(t *testing.T) {
		bare := serve(t, idx, Options{})
		if resp := get(t, bare, "/metrics", ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("/metrics without a handler: %d", resp.StatusCode)
		}
	})
	t.Run("healthz", func(t *testing.T) {
		resp := get(t, srv, "/healthz", "")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("/healthz: %d", resp.StatusCode)
		}
	})
}

func TestPagesAndHeaders(t *testing.T) {
	srv := serve(t, openIndex(t, apiRepos), Options{})

	resp := get(t, srv, "/?q="+url.QueryEscape(`"><script>alert(1)</script>`), "")
	body, _ := io.ReadAll(resp.Body)
	page := string(body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(1)") {
		t.Errorf("the query is not escaped in the page:\n%s", page)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") == "" {
		t.Errorf("headers %v", resp.Header)
	}
	// Inline script or style would be blocked by the policy: there is none.
	for _, bad := range []string{"<script>", "<style", " style=", " onclick=", " onload="} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q, which the policy blocks", bad)
		}
	}

	// Assets are served under the hashed names the page links to.
	for _, name := range []string{"app.js", "style.css", "icon.svg"} {
		a := New(Options{}).assets[name]
		link := "/static/" + name + "?v=" + a.hash
		if !strings.Contains(page, link) {
			t.Errorf("page does not link %s", link)
		}
		resp := get(t, srv, link, "")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || len(body) != len(a.data) || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d, %d bytes, Cache-Control %q", link, resp.StatusCode, len(body), resp.Header.Get("Cache-Control"))
		}
	}
	if resp := get(t, srv, "/static/page.html", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the template is served as an asset: %d", resp.StatusCode)
	}
	for _, path := range []string{"/file?repo=acme/api&branch=main&path=main.go", "/status"} {
		resp := get(t, srv, path, "")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "data-page=") {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	if resp := get(t, srv, "/nope", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/nope: %d", resp.StatusCode)
	}
}
