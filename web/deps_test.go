package web

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/depquery"
	"github.com/trawl-dev/trawl/indexer"
)

const log4j = "org.apache.logging.log4j:log4j-core"

// apiDeps are the dependency records of apiRepos, in the order the index
// returns them: repo, branch, path, line, name.
func apiDeps() []indexer.Dependency {
	recs := []indexer.Dependency{
		{Repo: "acme/api", Branch: "main", Path: "pom.xml", Line: 3, Ecosystem: "maven", Name: log4j,
			PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", Version: "2.14.1", ResolvedVersion: "2.14.1",
			VersionSource: "literal", Scope: "compile", Direct: true},
		{Repo: "acme/api", Branch: "main", Path: "pom.xml", Line: 9, Ecosystem: "maven", Name: "org.slf4j:slf4j-api",
			PURL: "pkg:maven/org.slf4j/slf4j-api", Version: "${logging.version}", VersionSource: "property", Scope: "compile", Direct: true},
		{Repo: "acme/api", Branch: "release/1.0", Path: "pom.xml", Line: 3, Ecosystem: "maven", Name: log4j,
			PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", Version: "2.17.1", ResolvedVersion: "2.17.1",
			VersionSource: "literal", Scope: "compile", Direct: true},
		{Repo: "acme/web", Branch: "main", Path: "build.gradle", Line: 12, Ecosystem: "maven", Name: log4j,
			PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", Version: "2.17.1", ResolvedVersion: "2.17.1",
			VersionSource: "literal", Scope: "implementation", Direct: true},
		{Repo: "acme/web", Branch: "main", Path: "package.json", Line: 5, Ecosystem: "npm", Name: "lodash",
			PURL: "pkg:npm/lodash@4.17.21", Version: "^4.17.0", ResolvedVersion: "4.17.21",
			VersionSource: "lockfile", Scope: "", Direct: true},
	}
	for i := range recs {
		recs[i].Commit = commitID(recs[i].Repo, recs[i].Branch)
	}
	return recs
}

// depsServer serves apiRepos with their dependency records.
func depsServer(t *testing.T, o Options) *httptest.Server {
	t.Helper()
	idx := openIndex(t, apiRepos)
	putDeps(t, idx, apiDeps())
	return serve(t, idx, o)
}

// pick returns the records of apiDeps at indexes is.
func pick(is ...int) []indexer.Dependency {
	all := apiDeps()
	out := []indexer.Dependency{}
	for _, i := range is {
		out = append(out, all[i])
	}
	return out
}

type depsAnswer struct {
	Dependencies []indexer.Dependency `json:"dependencies"`
	LimitHit     bool                 `json:"limit_hit"`
}

func TestDepsAPI(t *testing.T) {
	srv := depsServer(t, Options{})
	for _, tc := range []struct {
		name   string
		params url.Values
		want   []indexer.Dependency
	}{
		{"everything", nil, pick(0, 1, 2, 3, 4)},
		{"by name", url.Values{"name": {log4j}}, pick(0, 2, 3)},
		{"by name and range", url.Values{"name": {log4j}, "version": {"<2.17.0"}}, pick(0)},
		{"maven range syntax", url.Values{"name": {log4j}, "version": {"[2.17,3)"}}, pick(2, 3)},
		{"purl pins its version", url.Values{"name": {"pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"}}, pick(2, 3)},
		{"purl with a range", url.Values{"name": {"pkg:maven/org.apache.logging.log4j/log4j-core"}, "version": {">=2.0"}}, pick(0, 2, 3)},
		{"repo", url.Values{"repo": {"^acme/web$"}}, pick(3, 4)},
		{"branch", url.Values{"name": {log4j}, "branch": {"^release/"}}, pick(2)},
		{"repo and branch", url.Values{"repo": {"api"}, "branch": {"^main$"}}, pick(0, 1)},
		{"npm resolved by the lockfile", url.Values{"name": {"lodash"}, "version": {">=4.17.21"}}, pick(4)},
		{"undecided left out", url.Values{"name": {"org.slf4j:slf4j-api"}, "version": {">=1.0"}}, pick()},
		{"undecided asked for", url.Values{"name": {"org.slf4j:slf4j-api"}, "version": {">=1.0"}, "undecided": {"1"}}, pick(1)},
		{"unknown name", url.Values{"name": {"left-pad"}}, pick()},
		{"no branch matches", url.Values{"branch": {"^nope$"}}, pick()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got depsAnswer
			decode(t, get(t, srv, "/api/deps?"+tc.params.Encode(), ""), http.StatusOK, &got)
			if got.Dependencies == nil {
				t.Fatal(`"dependencies" is null, want a list`)
			}
			if !slices.Equal(got.Dependencies, tc.want) || got.LimitHit {
				t.Errorf("got %d records (limit hit %v):\n%+v\nwant:\n%+v", len(got.Dependencies), got.LimitHit, got.Dependencies, tc.want)
			}
		})
	}

	t.Run("field names of docs/design.md §7", func(t *testing.T) {
		resp := get(t, srv, "/api/deps?name=lodash", "")
		var raw struct {
			Dependencies []map[string]any `json:"dependencies"`
		}
		decode(t, resp, http.StatusOK, &raw)
		want := map[string]any{"repo": "acme/web", "branch": "main", "commit": commitID("acme/web", "main"),
			"path": "package.json", "line": 5.0, "ecosystem": "npm", "name": "lodash", "purl": "pkg:npm/lodash@4.17.21",
			"version": "^4.17.0", "resolved_version": "4.17.21", "version_source": "lockfile", "scope": "", "direct": true}
		if len(raw.Dependencies) != 1 || !mapsEqual(raw.Dependencies[0], want) {
			t.Errorf("got %v, want [%v]", raw.Dependencies, want)
		}
	})

	t.Run("limit", func(t *testing.T) {
		var got depsAnswer
		decode(t, get(t, srv, "/api/deps?limit=2", ""), http.StatusOK, &got)
		if !slices.Equal(got.Dependencies, pick(0, 1)) || !got.LimitHit {
			t.Errorf("limit=2: %d records, limit hit %v; want the first 2 and a limit hit", len(got.Dependencies), got.LimitHit)
		}
		decode(t, get(t, srv, "/api/deps?limit=5", ""), http.StatusOK, &got)
		if len(got.Dependencies) != 5 || got.LimitHit {
			t.Errorf("limit=5 over 5 records: %d records, limit hit %v", len(got.Dependencies), got.LimitHit)
		}
	})
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestDepsAPISummary(t *testing.T) {
	srv := depsServer(t, Options{})
	var got struct {
		Summary  []depquery.VersionCount `json:"summary"`
		Records  int                     `json:"records"`
		LimitHit bool                    `json:"limit_hit"`
	}
	decode(t, get(t, srv, "/api/deps?summary=1&name="+url.QueryEscape(log4j), ""), http.StatusOK, &got)
	want := []depquery.VersionCount{
		{Ecosystem: "maven", Name: log4j, Version: "2.17.1", Repos: 2, Branches: 2, Files: 2},
		{Ecosystem: "maven", Name: log4j, Version: "2.14.1", Repos: 1, Branches: 1, Files: 1},
	}
	if !slices.Equal(got.Summary, want) || got.Records != 3 || got.LimitHit {
		t.Errorf("summary %+v of %d records (limit hit %v), want %+v of 3", got.Summary, got.Records, got.LimitHit, want)
	}

	resp := get(t, srv, "/api/deps?summary=1&format=csv&name="+url.QueryEscape(log4j), "")
	rows := readCSV(t, resp)
	wantRows := [][]string{{"ecosystem", "name", "version", "repos", "branches", "files"},
		{"maven", log4j, "2.17.1", "2", "2", "2"},
		{"maven", log4j, "2.14.1", "1", "1", "1"}}
	if !slices.EqualFunc(rows, wantRows, slices.Equal) {
		t.Errorf("summary CSV %q, want %q", rows, wantRows)
	}
}

func readCSV(t *testing.T, resp *http.Response) [][]string {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q, want text/csv", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("Content-Disposition %q, want an attachment", cd)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v", err)
	}
	return rows
}

func TestDepsAPIExports(t *testing.T) {
	srv := depsServer(t, Options{})
	q := "name=" + url.QueryEscape(log4j)

	want := [][]string{
		{"repo", "branch", "commit", "path", "line", "ecosystem", "name", "purl", "version", "resolved_version", "version_source", "scope", "direct"},
		{"acme/api", "main", commitID("acme/api", "main"), "pom.xml", "3", "maven", log4j,
			"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "2.14.1", "2.14.1", "literal", "compile", "true"},
	}
	t.Run("csv", func(t *testing.T) {
		rows := readCSV(t, get(t, srv, "/api/deps?format=csv&"+q, ""))
		if len(rows) != 4 || !slices.EqualFunc(rows[:2], want, slices.Equal) {
			t.Errorf("CSV rows %q, want 4 rows starting %q", rows, want)
		}
		if rows[2][1] != "release/1.0" || rows[3][3] != "build.gradle" {
			t.Errorf("CSV rows out of order: %q", rows)
		}
	})
	t.Run("csv with nothing found has its header", func(t *testing.T) {
		rows := readCSV(t, get(t, srv, "/api/deps?format=csv&name=left-pad", ""))
		if len(rows) != 1 || !slices.Equal(rows[0], want[0]) {
			t.Errorf("rows %q, want the header only", rows)
		}
	})
	t.Run("ndjson", func(t *testing.T) {
		resp := get(t, srv, "/api/deps?format=ndjson&"+q, "")
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "application/x-ndjson" {
			t.Fatalf("status %d, Content-Type %q", resp.StatusCode, ct)
		}
		var got []indexer.Dependency
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var d indexer.Dependency
			dec := json.NewDecoder(strings.NewReader(sc.Text()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&d); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			got = append(got, d)
		}
		if want := pick(0, 2, 3); !slices.Equal(got, want) {
			t.Errorf("NDJSON records %+v, want %+v", got, want)
		}
	})
	t.Run("ndjson limit", func(t *testing.T) {
		resp := get(t, srv, "/api/deps?format=ndjson&limit=1&"+q, "")
		body, _ := io.ReadAll(resp.Body)
		if lines := strings.Split(strings.TrimSpace(string(body)), "\n"); len(lines) != 1 {
			t.Errorf("limit=1 gave %d lines: %s", len(lines), body)
		}
	})
}

func TestDepsAPIBadRequests(t *testing.T) {
	srv := depsServer(t, Options{})
	for _, tc := range []struct {
		params url.Values
		want   string // in the error text
	}{
		{url.Values{"repo": {"(acme"}}, "repo"},
		{url.Values{"branch": {"[main"}}, "branch"},
		{url.Values{"name": {log4j}, "version": {"latest"}}, "version"},
		{url.Values{"name": {"pkg:maven"}}, "name"},
		{url.Values{"format": {"xml"}}, "format"},
		{url.Values{"summary": {"maybe"}}, "summary"},
		{url.Values{"undecided": {"2"}}, "undecided"},
		{url.Values{"limit": {"-1"}}, "limit"},
		{url.Values{"name": {"a\x00b"}}, "name"},
		{url.Values{"repo": {strings.Repeat("a", maxParamBytes+1)}}, "repo"},
	} {
		// A bad parameter is answered the same in every format.
		for _, format := range []string{"", "csv"} {
			p := url.Values{}
			for k, v := range tc.params {
				p[k] = v
			}
			if format != "" && !p.Has("format") {
				p.Set("format", format)
			}
			msg := wantError(t, get(t, srv, "/api/deps?"+p.Encode(), ""), http.StatusBadRequest)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("%s: error %q does not name %q", p.Encode(), msg, tc.want)
			}
		}
	}
}

func TestIndicatorsAPI(t *testing.T) {
	idx := openIndex(t, apiRepos)
	calls := 0
	srv := serve(t, idx, Options{APIToken: "tok", Indicators: func(ctx context.Context) (any, error) {
		calls++
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return map[string]any{"stale_branches": 3, "outdated": []string{log4j}}, nil
	}})
	wantError(t, get(t, srv, "/api/indicators", ""), http.StatusUnauthorized)
	var got map[string]any
	decode(t, get(t, srv, "/api/indicators", "tok"), http.StatusOK, &got)
	if got["stale_branches"] != 3.0 || len(got["outdated"].([]any)) != 1 || calls != 1 {
		t.Errorf("indicators %v after %d calls", got, calls)
	}

	failing := serve(t, idx, Options{Indicators: func(context.Context) (any, error) {
		return nil, errors.New("secret detail")
	}})
	if msg := wantError(t, get(t, failing, "/api/indicators", ""), http.StatusInternalServerError); strings.Contains(msg, "secret") {
		t.Errorf("internal error leaks its detail: %q", msg)
	}

	wantError(t, get(t, serve(t, idx, Options{}), "/api/indicators", ""), http.StatusNotFound)
}

func TestDepsPage(t *testing.T) {
	srv := depsServer(t, Options{})
	resp := get(t, srv, "/deps?name="+url.QueryEscape(`"><b>x`), "")
	body, _ := io.ReadAll(resp.Body)
	page := string(body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `data-page="deps"`) || !strings.Contains(page, `id="deps-form"`) {
		t.Fatalf("/deps: %d\n%s", resp.StatusCode, page)
	}
	if strings.Contains(page, "<b>x") {
		t.Errorf("the page echoes a parameter unescaped")
	}
	if !strings.Contains(page, `<a href="/deps" aria-current="page">`) {
		t.Errorf("the nav does not mark the Dependencies page as current")
	}
	for _, path := range []string{"/", "/status", "/file?repo=acme/api&branch=main&path=main.go"} {
		resp := get(t, srv, path, "")
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), `<a href="/deps">Dependencies</a>`) {
			t.Errorf("%s has no link to the Dependencies page", path)
		}
	}
}
