package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/search"
)

const chromiumPath = "/usr/bin/chromium"

// generatedOrg is several repositories over several branches; the
// branches share most blobs and differ in a few, as real ones do.
func generatedOrg() []testRepo {
	var repos []testRepo
	for i, name := range []string{"acme/api", "acme/billing", "acme/infra", "acme/web"} {
		r := testRepo{name: name, defaultBranch: "main", branches: map[string]map[string]string{}}
		branches := []string{"main", "develop", "release/2.0"}[:2+i%2]
		for _, b := range branches {
			files := map[string]string{
				"internal/auth/token.go": fmt.Sprintf("package auth\n\nimport \"errors\"\n\n// CheckToken is called by every handler of %s.\n"+
					"func CheckToken(tok string) error {\n\tif tok == \"\" {\n\t\treturn errors.New(\"empty token\")\n\t}\n\treturn nil\n}\n", name),
				"deploy/values.yaml": fmt.Sprintf("service: %s\nreplicas: %d\n", name, 2+i),
				"docs/guide.md":      "# Guide\n\nNothing to see here.\n",
			}
			if b != "main" {
				// Another blob on this branch, so results show branch differences.
				files["internal/auth/token.go"] += "\n// checkToken: reviewed on " + b + "\n"
			}
			if name == "acme/web" || name == "acme/api" {
				files["web/src/session.ts"] = "import { api } from './api';\n\nexport function checkToken(t: string): boolean {\n" +
					"  return t.length > 0; // ünïcode 🙂 checkToken\n}\n"
			}
			if i%2 == 0 {
				files["README.md"] = "# " + name + "\n\nCall `checkToken()` before anything else.\n"
			}
			files["go.mod"] = "module github.com/" + name + "\n\ngo 1.26\n\nrequire " + bleveModule + " " + bleveVersion(name, b) + "\n"
			r.branches[b] = files
		}
		repos = append(repos, r)
	}
	return repos
}

const bleveModule = "github.com/blevesearch/bleve/v2"

// bleveVersion is the version of bleveModule that go.mod requires on a
// branch of generatedOrg: branches lag behind main, and acme/infra's main
// lags too.
func bleveVersion(repo, branch string) string {
	switch {
	case branch == "release/2.0" || repo == "acme/infra" && branch == "main":
		return "v2.4.4"
	case branch == "develop":
		return "v2.5.0"
	}
	return "v2.6.3"
}

// orgDeps are the records a crawl extracts from the go.mod files of repos.
func orgDeps(repos []testRepo) []indexer.Dependency {
	var out []indexer.Dependency
	for _, r := range repos {
		for b := range r.branches {
			v := bleveVersion(r.name, b)
			out = append(out, indexer.Dependency{Repo: r.name, Branch: b, Path: "go.mod", Line: 5,
				Ecosystem: "golang", Name: bleveModule, PURL: "pkg:golang/" + bleveModule + "@" + v,
				Version: v, ResolvedVersion: v, VersionSource: "literal", Direct: true})
		}
	}
	return out
}

// browser starts Debian's chromium with a fresh profile, or skips the test
// when it is missing outside CI.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("no browser: %v", err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first action starts the browser; it must not run under a timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// consoleErrors collects uncaught exceptions and errors the page logs,
// Content-Security-Policy violations among them.
type consoleErrors struct {
	mu   sync.Mutex
	msgs []string
}

func watchConsole(ctx context.Context) *consoleErrors {
	c := &consoleErrors{}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				c.mu.Lock()
				c.msgs = append(c.msgs, string(m.Type)+": "+m.Text)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

func (c *consoleErrors) check(t *testing.T, when string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		t.Errorf("%s: browser console: %s", when, m)
	}
	c.msgs = nil
}

// drop forgets the messages so far: those a test provoked on purpose.
func (c *consoleErrors) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = nil
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	// TRAWL_SCREENSHOTS names a folder to keep them in (the README's come
	// from a run with it set).
	if dir := os.Getenv("TRAWL_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// facetCounts is what the facet column shows: group name to "value=count".
type facetCounts map[string][]string

// wantFacets computes the facet counts from an API answer the way the page
// must: each file counts once per repository, per branch it is on, per
// language and per extension.
func wantFacets(res *search.Result) facetCounts {
	count := map[string]map[string]int{}
	add := func(group, v string) {
		if count[group] == nil {
			count[group] = map[string]int{}
		}
		count[group][v]++
	}
	for _, f := range res.Files {
		add("Repository", f.Repo)
		for _, b := range f.Branches {
			add("Branch", b.Name)
		}
		if f.Language != "" {
			add("Language", f.Language)
		}
		if ext := filepath.Ext(f.Path); ext != "" {
			add("Extension", ext)
		}
	}
	out := facetCounts{}
	for g, m := range count {
		for v, n := range m {
			out[g] = append(out[g], fmt.Sprintf("%s=%d", v, n))
		}
		slices.Sort(out[g])
	}
	return out
}

const readFacets = `(() => {
  const out = {};
  for (const g of document.querySelectorAll('.facet-group')) {
    out[g.querySelector('h2').textContent] = [...g.querySelectorAll('.facet')].map(
      (b) => b.querySelector('.facet-name').textContent + '=' + b.querySelector('.count').textContent).sort();
  }
  return out;
})()`

// pageResults is what the result list shows.
type pageResults struct {
	Files      int      `json:"files"`
	MatchLines int      `json:"matchLines"`
	Marks      []string `json:"marks"`
	Repos      []string `json:"repos"`
	KeyAt      float64  `json:"keyAt"`
	RenderedAt float64  `json:"renderedAt"`
}

const readResults = `(() => {
  const r = document.getElementById('results');
  return {
    files: r.querySelectorAll('.file').length,
    matchLines: r.querySelectorAll('.line.match').length,
    marks: [...r.querySelectorAll('mark')].map((m) => m.textContent),
    repos: [...new Set([...r.querySelectorAll('.file .repo')].map((e) => e.textContent))],
    keyAt: Number(r.dataset.keyAt),
    renderedAt: Number(r.dataset.renderedAt),
  };
})()`

// waitRendered waits until the result list shows the answer to query.
func waitRendered(t *testing.T, ctx context.Context, query string) {
	t.Helper()
	sel := fmt.Sprintf(`#results[data-query=%q]`, query)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitReady(chromedp.CSS(sel))); err != nil {
		t.Fatalf("wait for the results of %q: %v", query, err)
	}
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	org := generatedOrg()
	idx := openIndex(t, org)
	putDeps(t, idx, orgDeps(org))
	srv := serve(t, idx, Options{})
	searcher := search.New(idx)
	ctx := browser(t)
	// Bound everything after the start, so a page that never shows what the
	// test waits for fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	console := watchConsole(ctx)

	const query = "checktoken"
	want, err := searcher.Search(context.Background(), query, search.Options{MaxFiles: 100, Context: 2})
	if err != nil {
		t.Fatal(err)
	}
	// token.go: one blob per branch, 2+3+2+3; session.ts in 2 repos,
	// README.md in 2.
	if len(want.Files) != 14 {
		t.Fatalf("the API finds %d files for %q, want 14", len(want.Files), query)
	}

	// Type the query; results come as you type.
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), query),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitRendered(t, ctx, query)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[pageResults](readResults))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("last keystroke to painted results: %.1f ms", got.RenderedAt-got.KeyAt)
	// One card per path: token.go in 4 repositories, session.ts and
	// README.md in 2 each; a version's lines shown above are left out.
	ranked := rankedAPI(t, srv.URL, query, 2)
	wantLines, wantRanges := wantShown(ranked)
	if got.Files != 8 || len(ranked.Groups) != 8 || got.MatchLines != wantLines {
		t.Errorf("page shows %d paths and %d matching lines, want 8 and %d", got.Files, got.MatchLines, wantLines)
	}
	if len(got.Marks) != wantRanges {
		t.Errorf("page marks %d ranges, want %d", len(got.Marks), wantRanges)
	}
	for _, m := range got.Marks {
		if strings.ToLower(m) != query {
			t.Errorf("highlighted %q, want only %q in any case", m, query)
		}
	}
	facets, err := chromedp.Run(ctx, chromedp.Evaluate[facetCounts](readFacets))
	if err != nil {
		t.Fatal(err)
	}
	wantF := wantFacets(want)
	for _, g := range []string{"Repository", "Branch", "Language", "Extension"} {
		if !slices.Equal(facets[g], wantF[g]) {
			t.Errorf("facet %s shows %v, want %v", g, facets[g], wantF[g])
		}
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "q="+query) {
		t.Errorf("the URL %s does not carry the query", loc)
	}
	screenshot(t, ctx, "search.png")
	console.check(t, "search")

	// A facet adds its filter to the query.
	const term = `repo:^acme/web$`
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`button.facet[data-term=%q]`, term)))); err != nil {
		t.Fatal(err)
	}
	waitRendered(t, ctx, query+" "+term)
	got, err = chromedp.Run(ctx, chromedp.Evaluate[pageResults](readResults))
	if err != nil {
		t.Fatal(err)
	}
	webPaths := map[string]bool{}
	for _, f := range want.Files {
		if f.Repo == "acme/web" {
			webPaths[f.Path] = true
		}
	}
	if got.Files != len(webPaths) || !slices.Equal(got.Repos, []string{"acme/web"}) {
		t.Errorf("after the facet: %d paths from %v, want %d from acme/web", got.Files, got.Repos, len(webPaths))
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#q"))); v != query+" "+term {
		t.Errorf("search box holds %q", v)
	}

	// Keyboard: j/k move through results, Enter opens the selected one.
	filtered := rankedAPI(t, srv.URL, query+" "+term, 2)
	first := filtered.Files[filtered.Groups[0].Files[0]]
	err = chromedp.Do(ctx,
		chromedp.KeyEvent("j"), chromedp.KeyEvent("j"), chromedp.KeyEvent("k"),
		chromedp.WaitReady(chromedp.CSS(`.file.selected[data-index="0"]`)),
		chromedp.KeyEvent("\r"),
		chromedp.WaitReady(chromedp.CSS("#file-body[data-rendered-at]")),
	)
	if err != nil {
		t.Fatalf("open the first result with the keyboard: %v", err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	if p := u.Query(); u.Path != "/file" || p.Get("repo") != first.Repo || p.Get("path") != first.Path || p.Get("branch") != first.Branches[0].Name {
		t.Fatalf("opened %s, want %s@%s:%s", loc, first.Repo, first.Branches[0].Name, first.Path)
	}
	type fileView struct {
		Current  string   `json:"current"`
		Marked   string   `json:"marked"`
		Matches  int      `json:"matches"`
		Branches []string `json:"branches"`
	}
	fv, err := chromedp.Run(ctx, chromedp.Evaluate[fileView](`(() => ({
  current: (document.querySelector('tr.current') || {}).id || '',
  marked: [...document.querySelectorAll('tr.current mark')].map((m) => m.textContent).join(','),
  matches: document.querySelectorAll('tr.match').length,
  branches: [...document.querySelectorAll('#branch option')].map((o) => o.value),
}))()`))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("L%d", first.Matches[0].Line); fv.Current != want || strings.ToLower(fv.Marked) != query {
		t.Errorf("file view: current line %q with marks %q, want %s with %q", fv.Current, fv.Marked, want, query)
	}
	if fv.Matches != len(first.Matches) {
		t.Errorf("file view marks %d lines, want %d", fv.Matches, len(first.Matches))
	}
	// Every acme/web branch holds both files that match.
	if want := []string{"main", "develop", "release/2.0"}; !slices.Equal(fv.Branches, want) {
		t.Errorf("branch switcher offers %v, want %v", fv.Branches, want)
	}
	screenshot(t, ctx, "file.png")
	console.check(t, "file view")

	// The status page, then dark mode on a narrow screen.
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/status"),
		chromedp.WaitReady(chromedp.CSS("#status table")),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "status.png")
	console.check(t, "status")
	checkDepsPage(t, ctx, srv.URL)
	console.check(t, "dependencies")

	err = chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			return tg.Call(ctx, "Emulation.setEmulatedMedia", emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
			}, nil)
		}),
		chromedp.EmulateViewport(420, 900),
		chromedp.Navigate(srv.URL+"/?"+url.Values{"q": {query}}.Encode()),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitRendered(t, ctx, query)
	screenshot(t, ctx, "search-dark-narrow.png")
	console.check(t, "dark")

	// With a token configured the page asks for it, then shows the data.
	locked := serve(t, idx, Options{APIToken: "let-me-in"})
	err = chromedp.Do(ctx,
		chromedp.Navigate(locked.URL+"/status"),
		chromedp.WaitVisible(chromedp.CSS("#auth")),
		chromedp.SendKeys(chromedp.CSS("#token"), "let-me-in\r"),
		chromedp.WaitReady(chromedp.CSS("#status table")),
	)
	if err != nil {
		t.Fatalf("status page behind a token: %v", err)
	}
}

// rankedAPI asks srv for the ranked answer to query, as the page does.
func rankedAPI(t *testing.T, base, query string, context int) rankedResponse {
	t.Helper()
	u := base + "/api/search?" + url.Values{"q": {query}, "group": {"path"}, "limit": {"100"}, "context": {fmt.Sprint(context)}}.Encode()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p rankedResponse
	decode(t, resp, http.StatusOK, &p)
	return p
}

// wantShown counts the matching lines and marks the result list shows for
// p: per path, the first three versions, each with at most eight lines
// that the versions above it do not have.
func wantShown(p rankedResponse) (lines, ranges int) {
	for _, g := range p.Groups {
		seen := map[string]bool{}
		for k, fi := range g.Files {
			if k == 3 {
				break
			}
			fresh := 0
			for _, m := range p.Files[fi].Matches {
				if seen[m.Text] || fresh == 8 {
					continue
				}
				fresh++
				lines++
				ranges += len(m.Ranges)
			}
			for _, m := range p.Files[fi].Matches {
				seen[m.Text] = true
			}
		}
	}
	return lines, ranges
}

// depsView is what the Dependencies page shows.
type depsView struct {
	Bars []struct {
		Version  string  `json:"version"`
		Label    string  `json:"label"`
		Count    string  `json:"count"`
		Fraction float64 `json:"fraction"` // bar width over track width
	} `json:"bars"`
	Rows [][]string `json:"rows"`
	CSV  string     `json:"csv"`
}

const readDeps = `(() => ({
  bars: [...document.querySelectorAll('.bar-row')].map((li) => ({
    version: li.dataset.version,
    label: li.querySelector('.bar-label').textContent,
    count: li.querySelector('.bar-count').textContent,
    fraction: li.querySelector('.bar').getBoundingClientRect().width / li.querySelector('.bar-track').getBoundingClientRect().width,
  })),
  rows: [...document.querySelectorAll('#deps-table tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent)),
  csv: (document.getElementById('deps-csv') || {}).href || '',
}))()`

// checkDepsPage queries the Dependencies page of a server holding
// generatedOrg and orgDeps, as a user would: the form, then a range, then
// a record's link to its file.
func checkDepsPage(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	wait := func(params url.Values) depsView {
		t.Helper()
		sel := fmt.Sprintf(`#deps[data-rendered=%q]`, params.Encode())
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(wctx, chromedp.WaitReady(chromedp.CSS(sel))); err != nil {
			t.Fatalf("wait for the dependencies of %v: %v", params, err)
		}
		v, err := chromedp.Run(ctx, chromedp.Evaluate[depsView](readDeps))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	// The nav leads there; the form submits the name.
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS(`nav a[href="/deps"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#deps-form input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`#deps-form input[name="name"]`), bleveModule+"\r"),
	)
	if err != nil {
		t.Fatalf("query the Dependencies page: %v", err)
	}
	v := wait(url.Values{"name": {bleveModule}})
	// The version matrix of the same dependency is one click away.
	matrix, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('deps-matrix').href`))
	if err != nil {
		t.Fatal(err)
	}
	if link := base + "/matrix?" + (url.Values{"dependency": {bleveModule}}).Encode(); matrix != link {
		t.Errorf("matrix link %q, want %q", matrix, link)
	}
	// Newest first; develop of all four repositories uses v2.5.0, the
	// widest bar; the others are 3 of those 4 branches wide.
	type bar struct {
		version, count string
		fraction       float64
	}
	want := []bar{{"v2.6.3", "3 repos · 3 branches", 0.75}, {"v2.5.0", "4 repos · 4 branches", 1}, {"v2.4.4", "3 repos · 3 branches", 0.75}}
	if len(v.Bars) != len(want) {
		t.Fatalf("histogram has %d bars, want %d: %+v", len(v.Bars), len(want), v.Bars)
	}
	for i, w := range want {
		b := v.Bars[i]
		if b.Version != w.version || b.Label != w.version || b.Count != w.count || b.Fraction < w.fraction-0.02 || b.Fraction > w.fraction+0.02 {
			t.Errorf("bar %d: %q %q %q at %.2f of the track, want %q %q at %.2f", i, b.Version, b.Label, b.Count, b.Fraction, w.version, w.count, w.fraction)
		}
	}
	if len(v.Rows) != 10 {
		t.Errorf("table has %d rows, want one per branch: 10", len(v.Rows))
	}
	if len(v.Rows) > 0 {
		// Repository, Branch, File, Version, Resolved, Source, Scope.
		if r := v.Rows[0]; len(r) != 7 || r[0] != "acme/api" || r[2] != "go.mod:5" || r[5] != "literal" {
			t.Errorf("first row %q", r)
		}
	}
	if u, err := url.Parse(v.CSV); err != nil || u.Path != "/api/deps" || u.Query().Get("format") != "csv" || u.Query().Get("name") != bleveModule {
		t.Errorf("CSV link %q", v.CSV)
	}
	screenshot(t, ctx, "deps.png")

	// A range keeps the old versions only.
	params := url.Values{"name": {bleveModule}, "version": {"<v2.5.0"}}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/deps?"+params.Encode())); err != nil {
		t.Fatal(err)
	}
	v = wait(params)
	if len(v.Bars) != 1 || v.Bars[0].Version != "v2.4.4" || len(v.Rows) != 3 {
		t.Errorf("below v2.5.0: bars %+v and %d rows, want v2.4.4 only on 3 branches", v.Bars, len(v.Rows))
	}
	for _, r := range v.Rows {
		if len(r) < 4 || r[3] != "v2.4.4" {
			t.Errorf("row %q is not at v2.4.4", r)
		}
	}

	// A record links to its line in the file view.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#deps-table tbody tr:first-child a`)),
		chromedp.WaitReady(chromedp.CSS("#file-body[data-rendered-at]")),
	)
	if err != nil {
		t.Fatalf("open a record's file: %v", err)
	}
	cur, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('tr.current') || {}).textContent || ''`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "5require " + bleveModule + " v2.4.4"; cur != want {
		t.Errorf("file view's current line %q, want %q", cur, want)
	}
}

// TestBrowserStatus opens the Status page of an org the size issue 17
// reports, on an index where listing locations fails the test: every
// section must load from the counts the crawl keeps.
func TestBrowserStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	base := openIndex(t, apiRepos) // logo.png is skipped on two branches
	states := bigOrgStates()
	if err := base.Commit(context.Background(), &indexer.Changes{PutBranches: states}); err != nil {
		t.Fatal(err)
	}
	crawler := &recordingCrawler{errs: map[string]string{"org/repo09": "fetch org/repo09: authentication required"}}
	next := time.Now().Add(7 * time.Minute)
	srv := serve(t, noScan{base, t}, Options{Crawler: crawler, Status: func() any {
		return map[string]any{"running": false, "last_start": crawledAt, "last_end": crawledAt.Add(83 * time.Second),
			"next_crawl": next, "repo_errors": crawler.errs,
			"last_summary": map[string]any{"repos": 18, "repos_failed": 1, "files_written": 12345, "duration_ns": int64(83 * time.Second), "bytes_indexed": 5 << 20}}
	}})
	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	console := watchConsole(ctx)
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/status"),
		chromedp.WaitReady(chromedp.CSS(`#status-index .section-body[data-loaded]`)),
		chromedp.WaitReady(chromedp.CSS(`#status-repos .section-body[data-loaded]`)),
		chromedp.WaitReady(chromedp.CSS(`#status-skipped .section-body[data-loaded]`)),
	)
	if err != nil {
		t.Fatalf("status page: %v", err)
	}
	type view struct {
		Text      string   `json:"text"`
		FirstRepo string   `json:"firstRepo"`
		FirstErr  string   `json:"firstErr"`
		Countdown string   `json:"countdown"`
		Reasons   []string `json:"reasons"`
		Shown     string   `json:"shown"`
	}
	const read = `(() => ({
  text: document.getElementById('status').textContent,
  firstRepo: document.querySelector('#status-repos tbody tr').dataset.repo,
  firstErr: (document.querySelector('#status-repos tbody tr .error-text') || {}).textContent || '',
  countdown: (document.querySelector('.countdown') || {}).textContent || '',
  reasons: [...document.querySelectorAll('.reasons button')].map((b) => b.textContent),
  shown: document.querySelector('#status-skipped .section-body').dataset.shown,
}))()`
	v, err := chromedp.Run(ctx, chromedp.Evaluate[view](read))
	if err != nil {
		t.Fatal(err)
	}
	wantBinary := 2 // logo.png on two branches of acme/api
	wantLarge := 0
	for _, b := range states {
		wantBinary += b.Counts.Skipped[indexer.SkipBinary]
		wantLarge += b.Counts.Skipped[indexer.SkipTooLarge]
	}
	wantReasons := []string{fmt.Sprintf("all %d", wantBinary+wantLarge), fmt.Sprintf("binary %d", wantBinary), fmt.Sprintf("too large %d", wantLarge)}
	for i := range wantReasons {
		wantReasons[i] = strings.ReplaceAll(wantReasons[i], fmt.Sprint(wantBinary+wantLarge), fmtThousands(wantBinary+wantLarge))
	}
	if v.FirstRepo != "org/repo09" || !strings.Contains(v.FirstErr, "authentication required") {
		t.Errorf("first repository %q with error %q, want the failing org/repo09", v.FirstRepo, v.FirstErr)
	}
	if !strings.HasPrefix(v.Countdown, "in 6 min") && !strings.HasPrefix(v.Countdown, "in 7 min") {
		t.Errorf("countdown %q, want about 7 minutes", v.Countdown)
	}
	if !slices.Equal(v.Reasons, wantReasons) {
		t.Errorf("skip reasons %q, want %q", v.Reasons, wantReasons)
	}
	for _, raw := range []string{"duration_ns", "last_summary", "1h23m", "83000000000"} {
		if strings.Contains(v.Text, raw) {
			t.Errorf("the page shows the raw %q", raw)
		}
	}
	for _, human := range []string{"1 min 23 s", "5.0 MiB", "12,345"} {
		if !strings.Contains(v.Text, human) {
			t.Errorf("the page does not say %q", human)
		}
	}
	screenshot(t, ctx, "status-org.png")

	// Filter the skips by reason, then retry the failing repository.
	for _, step := range []struct {
		click, want string
	}{
		{`.reasons button[data-reason="too large"]`, `#status-skipped .section-body[data-shown="0"]`},
		{`.reasons button[data-reason="binary"]`, `#status-skipped .section-body[data-shown="1"]`},
		{`#status-repos tr.failed button.retry`, `#status-repos tr.failed button.retry[disabled]`},
	} {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := chromedp.Do(wctx, chromedp.Click(chromedp.CSS(step.click)), chromedp.WaitReady(chromedp.CSS(step.want)))
		cancel()
		if err != nil {
			console.check(t, "status")
			t.Fatalf("click %s, wait for %s: %v", step.click, step.want, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		crawler.mu.Lock()
		got := slices.Clone(crawler.requested)
		crawler.mu.Unlock()
		if slices.Equal(got, []string{"org/repo09"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("retry requested %v, want [org/repo09]", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	console.check(t, "status")
}

// fmtThousands writes n as the page's toLocaleString does in en-US.
func fmtThousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// resultsOrg is manyVersionsOrg and a repository with more paths than one
// page holds.
func resultsOrg() []testRepo {
	org := manyVersionsOrg()
	bulk := testRepo{name: "acme/bulk", defaultBranch: "main", branches: map[string]map[string]string{"main": {}}}
	for i := range 150 {
		bulk.branches["main"][fmt.Sprintf("pkg/p%03d/lib.go", i)] = fmt.Sprintf("package p%03d // lib %d\n", i, i)
	}
	var long strings.Builder
	for i := 1; i <= 300; i++ {
		fmt.Fprintf(&long, "line %d of a long file\n", i)
	}
	bulk.branches["main"]["long.txt"] = long.String()
	bulk.branches["main"]["dist/app.min.js"] = strings.Repeat("var a=1;", 2000) + "needle();" + strings.Repeat("var b=2;", 2000) + "\n"
	return append(org, bulk)
}

// cardsView is what the result list shows, card by card.
type cardsView struct {
	Paths    []string `json:"paths"`
	Versions []string `json:"versions"`
	Branches []string `json:"branches"`
	Default  []string `json:"default"`
	Expanded int      `json:"expanded"`
	Summary  string   `json:"summary"`
	Requests []string `json:"requests"`
	Hint     string   `json:"hint"`
}

const readCards = `(() => {
  const cards = [...document.querySelectorAll('#results .file')];
  return {
    paths: cards.map((c) => c.querySelector('.repo').textContent + ':' + c.querySelector('.path').textContent),
    versions: cards.map((c) => c.dataset.versions),
    branches: cards.map((c) => c.dataset.branches),
    default: cards.map((c) => (c.querySelector('.file-title .branch.default') || {}).textContent || ''),
    expanded: document.querySelectorAll('#results .also[aria-expanded="true"]').length,
    summary: document.getElementById('summary').textContent,
    requests: performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.includes('/api/search')),
    hint: (document.querySelector('.no-match') || {}).textContent || '',
  };
})()`

// TestBrowserResults covers ranked, grouped results with true totals, a
// cursor that continues without reordering, typing a regex character by
// character, the case and regex toggles, and the hint for no match.
func TestBrowserResults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	idx := openIndex(t, resultsOrg())
	srv := serve(t, idx, Options{})
	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	console := watchConsole(ctx)
	read := func() cardsView {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[cardsView](readCards))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	full, err := search.New(idx).Search(context.Background(), "lib", search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	for _, f := range full.Files {
		paths[f.Repo+":"+f.Path] = true
	}
	err = chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?q=lib"))
	if err != nil {
		t.Fatal(err)
	}
	waitRendered(t, ctx, "lib")
	v := read()
	wantSummary := fmt.Sprintf("%s files in %d paths, %s matching lines", fmtThousands(len(full.Files)), len(paths), fmtThousands(full.Stats.Matches))
	if !strings.HasPrefix(v.Summary, wantSummary) {
		t.Errorf("summary %q, want it to start %q", v.Summary, wantSummary)
	}
	if len(v.Paths) == 0 || len(v.Paths) >= len(paths) {
		t.Fatalf("first page shows %d of %d paths: want a part", len(v.Paths), len(paths))
	}
	i := slices.Index(v.Paths, "acme/app:config.json")
	if i < 0 || v.Versions[i] != "38" || v.Branches[i] != "40" || v.Default[i] != "main" {
		t.Errorf("config.json card: index %d, %v versions on %v branches, default %v", i, v.Versions, v.Branches, v.Default)
	}
	screenshot(t, ctx, "search-grouped.png")

	// Expand a card, then continue: the first page stays as it was.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#results .file:first-child .also`)),
		chromedp.Click(chromedp.CSS(`#more`)),
		chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`#results[data-cards="%d"]`, len(paths)))),
	)
	if err != nil {
		t.Fatalf("show more: %v", err)
	}
	after := read()
	if !slices.Equal(after.Paths[:len(v.Paths)], v.Paths) || after.Expanded != 1 {
		t.Errorf("after Show more the first page changed or collapsed: %d expanded", after.Expanded)
	}
	if len(after.Requests) != 2 || !strings.Contains(after.Requests[1], "cursor=") {
		t.Errorf("requests %q: want the first page, then one by cursor", after.Requests)
	}
	seen := map[string]bool{}
	for _, p := range after.Paths {
		if seen[p] || !paths[p] {
			t.Errorf("card %s is repeated or not in the answer", p)
		}
		seen[p] = true
	}
	if !strings.HasPrefix(after.Summary, wantSummary) {
		t.Errorf("summary after Show more %q", after.Summary)
	}

	// Type a regex character by character: nothing flashes an error and no
	// request is refused on the way.
	const typed = `/"lib": "1\.(1|2)\.0"/`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
  window.sawError = '';
  new MutationObserver(() => {
    const s = document.getElementById('summary');
    if (s.classList.contains('error')) window.sawError = s.textContent;
  }).observe(document.getElementById('summary'), {attributes: true, childList: true, subtree: true});
  performance.clearResourceTimings();
  document.getElementById('q').value = '';
  return true;
})()`)); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#q")))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range typed {
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#q"), string(r)), chromedp.Sleep(100*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	waitRendered(t, ctx, typed)
	type typing struct {
		SawError string `json:"sawError"`
		Refused  int    `json:"refused"`
		Cards    int    `json:"cards"`
	}
	ty, err := chromedp.Run(ctx, chromedp.Evaluate[typing](`({
  sawError: window.sawError,
  refused: performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/search') && e.responseStatus >= 400).length,
  cards: document.querySelectorAll('#results .file').length,
})`))
	if err != nil {
		t.Fatal(err)
	}
	if ty.SawError != "" || ty.Refused != 0 || ty.Cards != 1 {
		t.Errorf("typing %s: error shown %q, %d requests refused, %d cards (want config.json only)", typed, ty.SawError, ty.Refused, ty.Cards)
	}

	console.check(t, "typing a regex")

	// A real error points at its place in the query as typed.
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/?"+url.Values{"q": {"lib /a(b/"}}.Encode()),
		chromedp.WaitReady(chromedp.CSS("#summary.error .caret")),
	)
	if err != nil {
		t.Fatalf("parse error: %v", err)
	}
	console.drop() // the browser logs the 400 of the query that does not parse
	caret, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#summary').textContent`))
	if strings.Contains(caret, "(?i)") || !strings.Contains(caret, "character 6") {
		t.Errorf("error %q: want it at character 6 without (?i)", caret)
	}

	// The toggles write the query, and the URL follows.
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/?q=LIB"),
		chromedp.WaitReady(chromedp.CSS(`#case-toggle[aria-pressed="true"]`)),
		chromedp.Click(chromedp.CSS("#case-toggle")),
		chromedp.WaitReady(chromedp.CSS(`#results[data-query="LIB case:no"]`)),
		chromedp.Click(chromedp.CSS("#regex-toggle")),
		chromedp.WaitReady(chromedp.CSS(`#results[data-query="/LIB/ case:no"]`)),
		chromedp.WaitReady(chromedp.CSS(`#regex-toggle[aria-pressed="true"]`)),
		chromedp.WaitReady(chromedp.CSS(`#case-toggle[aria-pressed="false"]`)),
	)
	if err != nil {
		t.Fatalf("toggles: %v", err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, url.Values{"q": {"/LIB/ case:no"}}.Encode()) {
		t.Errorf("URL %s does not hold the toggled query", loc)
	}

	// Nothing matches: the hint names the case and the filter in force,
	// and its link searches without the filter.
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/?"+url.Values{"q": {"Lib repo:^acme/other$"}}.Encode()),
		chromedp.WaitReady(chromedp.CSS(`.no-match`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if h := read().Hint; !strings.Contains(h, "case-sensitive") || !strings.Contains(h, "repo:^acme/other$") {
		t.Errorf("hint %q", h)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.no-match li:first-child a`)),
		chromedp.WaitReady(chromedp.CSS(`#results[data-query="Lib repo:^acme/other$ case:no"] .file`)),
	)
	if err != nil {
		t.Fatalf("follow the hint: %v", err)
	}
	console.check(t, "results")
}

// TestBrowserFileView covers line anchors and ranges below the sticky
// header, shift-click, y for a commit link, and long lines trimmed around
// the match.
func TestBrowserFileView(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	idx := openIndex(t, resultsOrg())
	srv := serve(t, idx, Options{})
	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	console := watchConsole(ctx)
	type fileView struct {
		Current   []string `json:"current"`
		Hash      string   `json:"hash"`
		Search    string   `json:"search"`
		Permalink string   `json:"permalink"`
		TopGap    float64  `json:"topGap"` // first current row's top minus the header's bottom
		InView    bool     `json:"inView"`
	}
	const readView = `(() => {
  const cur = [...document.querySelectorAll('tr.current')];
  const top = cur.length ? cur[0].getBoundingClientRect().top : -1;
  return {
    current: cur.map((tr) => tr.id),
    hash: location.hash,
    search: location.search,
    permalink: (document.querySelector('.file-meta a.permalink') || {}).href || '',
    topGap: top - document.querySelector('header.top').getBoundingClientRect().bottom,
    inView: top >= 0 && top < window.innerHeight,
  };
})()`
	read := func() fileView {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[fileView](readView))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	page := srv.URL + "/file?" + url.Values{"repo": {"acme/bulk"}, "branch": {"main"}, "path": {"long.txt"}}.Encode()

	// A range in the URL: its lines are marked and the first shows below
	// the header.
	err := chromedp.Do(ctx, chromedp.Navigate(page+"#L200-L204"), chromedp.WaitReady(chromedp.CSS(`#file-body[data-range="200-204"]`)))
	if err != nil {
		t.Fatal(err)
	}
	v := read()
	if !slices.Equal(v.Current, []string{"L200", "L201", "L202", "L203", "L204"}) || v.TopGap < 0 || !v.InView {
		t.Errorf("#L200-L204: marked %v, %.0f px below the header (in view %v)", v.Current, v.TopGap, v.InView)
	}
	if !strings.HasSuffix(v.Permalink, "/blob/"+commitID("acme/bulk", "main")+"/long.txt#L200-L204") {
		t.Errorf("forge link %q does not carry the range", v.Permalink)
	}

	// Click a line number, then shift-click another: the mark follows.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#L203 td.ln a`)),
		chromedp.WaitReady(chromedp.CSS(`#file-body[data-range="203-203"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if v := read(); v.Hash != "#L203" || !slices.Equal(v.Current, []string{"L203"}) {
		t.Errorf("after a click: hash %q, marked %v", v.Hash, v.Current)
	}
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`#L206 td.ln a`)))
	if err != nil || len(nodes) != 1 {
		t.Fatalf("line 206: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.MouseClickNode(nodes[0], chromedp.ButtonModifiers(chromedp.ModifierShift)),
		chromedp.WaitReady(chromedp.CSS(`#file-body[data-range="203-206"]`)),
	)
	if err != nil {
		t.Fatalf("shift-click: %v", err)
	}
	if v := read(); v.Hash != "#L203-L206" || len(v.Current) != 4 {
		t.Errorf("after a shift-click: hash %q, marked %v", v.Hash, v.Current)
	}

	// y pins the link to the commit.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("y")); err != nil {
		t.Fatal(err)
	}
	if v := read(); !strings.Contains(v.Search, "commit="+commitID("acme/bulk", "main")) || v.Hash != "#L203-L206" {
		t.Errorf("after y: %s%s, want the commit and the range", v.Search, v.Hash)
	}
	screenshot(t, ctx, "file-range.png")

	// A minified line is trimmed around its match, in results and in the
	// file view, and expands on request.
	type longLine struct {
		Trimmed int  `json:"trimmed"`
		Mark    bool `json:"mark"`
		Full    int  `json:"full"`
	}
	const readLong = `(() => {
  const t = document.querySelector('.trimmed');
  return {trimmed: t ? t.textContent.length : -1, mark: !!(t && t.querySelector('mark')),
    full: Math.max(0, ...[...document.querySelectorAll('code')].map((c) => c.textContent.length))};
})()`
	for _, where := range []string{srv.URL + "/?q=needle", srv.URL + "/file?" + url.Values{"repo": {"acme/bulk"}, "branch": {"main"}, "path": {"dist/app.min.js"}, "q": {"needle"}}.Encode()} {
		err := chromedp.Do(ctx, chromedp.Navigate(where), chromedp.WaitReady(chromedp.CSS(`.trimmed mark`)))
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		l, err := chromedp.Run(ctx, chromedp.Evaluate[longLine](readLong))
		if err != nil {
			t.Fatal(err)
		}
		if l.Trimmed < 0 || l.Trimmed > 600 || !l.Mark {
			t.Errorf("%s: trimmed line of %d characters, marked %v", where, l.Trimmed, l.Mark)
		}
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.trimmed .expand`)), chromedp.WaitNotPresent(chromedp.CSS(`.trimmed`)))
		if err != nil {
			t.Fatalf("expand: %v", err)
		}
		l, _ = chromedp.Run(ctx, chromedp.Evaluate[longLine](readLong))
		if l.Full != 2000*16+9 {
			t.Errorf("%s: expanded line has %d characters, want %d", where, l.Full, 2000*16+9)
		}
	}

	// On a forge whose links are not GitHub's, a line's link is written
	// the forge's way (Bitbucket Data Center: ?at=<commit>#<line>).
	bb := serve(t, openIndex(t, []testRepo{{name: "ACME/api", defaultBranch: "main",
		branches: map[string]map[string]string{"main": {"pom.xml": "<project>\n<version>1</version>\n</project>\n"}},
		link:     "https://bitbucket.example.com/projects/ACME/repos/api/browse/{path}?at={commit}", lineLink: "#{line}"}}), Options{})
	bbPage := bb.URL + "/file?" + url.Values{"repo": {"ACME/api"}, "branch": {"main"}, "path": {"pom.xml"}}.Encode()
	err = chromedp.Do(ctx, chromedp.Navigate(bbPage+"#L2"), chromedp.WaitReady(chromedp.CSS(`#file-body[data-range="2-2"]`)))
	if err != nil {
		t.Fatal(err)
	}
	want := "https://bitbucket.example.com/projects/ACME/repos/api/browse/pom.xml?at=" + commitID("ACME/api", "main") + "#2"
	if v := read(); v.Permalink != want {
		t.Errorf("Bitbucket line link %q, want %q", v.Permalink, want)
	}
	console.check(t, "file view")
}

// TestBrowserDeps covers name search by substring with suggestions, bars
// that name their repositories and filter the table when clicked, the
// default branch marked, a range rejected at its faulty character, and a
// table instead of bars for one repository.
func TestBrowserDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	org := generatedOrg()
	idx := openIndex(t, org)
	putDeps(t, idx, orgDeps(org))
	srv := serve(t, idx, Options{})
	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	console := watchConsole(ctx)
	eval := func(js string) []string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](js))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	deps := func(params url.Values) string { return srv.URL + "/deps?" + params.Encode() }

	// Part of a name finds nothing exactly, and suggests the full name.
	err := chromedp.Do(ctx,
		chromedp.Navigate(deps(url.Values{"name": {"bleve"}})),
		chromedp.WaitReady(chromedp.CSS(`.suggestions a.suggestion`)),
		chromedp.Click(chromedp.CSS(`.suggestions a.suggestion`)),
		chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`#deps[data-rendered=%q]`, url.Values{"name": {bleveModule}}.Encode()))),
	)
	if err != nil {
		t.Fatalf("suggestion: %v", err)
	}
	repos := eval(`[...document.querySelectorAll('.bar-repos')].map((e) => e.textContent)`)
	if want := []string{"acme/api, acme/billing, acme/web", "acme/api, acme/billing, acme/infra +1", "acme/billing, acme/infra, acme/web"}; !slices.Equal(repos, want) {
		t.Errorf("bars name %q, want %q", repos, want)
	}
	defaults := eval(`[...document.querySelectorAll('#deps-table tbody tr')].filter((tr) => tr.querySelector('.tag')).map((tr) => tr.cells[0].textContent + '@' + tr.cells[1].textContent)`)
	if want := []string{"acme/api@maindefault", "acme/billing@maindefault", "acme/infra@maindefault", "acme/web@maindefault"}; !slices.Equal(defaults, want) {
		t.Errorf("default branches marked: %q", defaults)
	}
	// A click on a bar keeps the table to its version.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.bar-row[data-version="v2.4.4"]`)),
		chromedp.WaitReady(chromedp.CSS(`#deps[data-only="v2.4.4"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	visible := eval(`[...document.querySelectorAll('#deps-table tbody tr')].filter((tr) => !tr.hidden).map((tr) => tr.cells[3].textContent)`)
	if !slices.Equal(visible, []string{"v2.4.4", "v2.4.4", "v2.4.4"}) {
		t.Errorf("after clicking v2.4.4 the table shows %q", visible)
	}
	screenshot(t, ctx, "deps-bars.png")

	// A range that does not parse is rejected at its faulty character.
	err = chromedp.Do(ctx,
		chromedp.Navigate(deps(url.Values{"name": {bleveModule}, "version": {">>2"}})),
		chromedp.WaitReady(chromedp.CSS(`#summary.error .caret`)),
		chromedp.WaitReady(chromedp.CSS(`input[name="version"][aria-invalid="true"]`)),
	)
	if err != nil {
		t.Fatalf("bad range: %v", err)
	}
	if msg := eval(`[document.getElementById('summary').textContent]`)[0]; !strings.Contains(msg, "character 1") {
		t.Errorf("bad range message %q", msg)
	}
	console.drop() // the 400 of the bad range

	// One repository: a table of versions and branches, default first.
	err = chromedp.Do(ctx,
		chromedp.Navigate(deps(url.Values{"name": {bleveModule}, "repo": {"^acme/billing$"}})),
		chromedp.WaitReady(chromedp.CSS(`table.versions`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	rows := eval(`[...document.querySelectorAll('table.versions tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent).join(' ') + (tr.querySelector('.branch.default') ? ' *' : ''))`)
	if want := []string{"v2.6.3 main *", "v2.5.0 develop", "v2.4.4 release/2.0"}; !slices.Equal(rows, want) {
		t.Errorf("one repository's versions %q, want %q", rows, want)
	}
	if n := eval(`[String(document.querySelectorAll('.bar-row').length)]`)[0]; n != "0" {
		t.Errorf("%s bars drawn for one repository", n)
	}

	// Typing part of a name offers the names containing it.
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/deps"),
		chromedp.SendKeys(chromedp.CSS(`#deps-form input[name="name"]`), "blev"),
		chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`#dep-names option[value=%q]`, bleveModule))),
	)
	if err != nil {
		t.Fatalf("name suggestions: %v", err)
	}
	console.check(t, "dependencies")
}

// widthsView is what a page's layout does at one width.
type widthsView struct {
	PageWidth float64  `json:"pageWidth"` // document scroll width
	Viewport  float64  `json:"viewport"`  // window inner width
	Overflow  []string `json:"overflow"`  // visible elements reaching past the viewport, outside scroll boxes
	TableFits bool     `json:"tableFits"` // the dependency table's last column is inside its box
	TagsRight float64  `json:"tagsRight"` // right edge of the widest branch tag row
}

const readWidths = `(() => {
  const vw = window.innerWidth;
  const inScroll = (e) => { for (let p = e.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } return false; };
  const over = [...document.querySelectorAll('main *, header.top *')].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > vw + 1 && !inScroll(e);
  }).slice(0, 5).map((e) => e.tagName.toLowerCase() + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
  const t = document.querySelector('table.deps');
  let fits = true;
  if (t) { const last = t.querySelector('thead th:last-child').getBoundingClientRect(); fits = last.right <= t.parentElement.getBoundingClientRect().right + 1; }
  return {
    pageWidth: document.documentElement.scrollWidth, viewport: vw, overflow: over, tableFits: fits,
    tagsRight: Math.max(0, ...[...document.querySelectorAll('.tags, .version-branches, .branch-list')].map((e) => e.getBoundingClientRect().right)),
  };
})()`

// TestBrowserWidths opens every page at a phone's, a tablet's and a
// laptop's width: nothing reaches past the viewport, branch tags wrap, and
// the dependency table fits at 1400 px. It saves a screenshot of each.
func TestBrowserWidths(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	org := generatedOrg()
	long := testRepo{name: "acme/phone", defaultBranch: "main", branches: map[string]map[string]string{}}
	for _, b := range []string{"main", "feature/a-very-long-branch-name-that-would-never-fit-on-a-phone-screen", "dependabot/npm_and_yarn/web/src/lodash-4.17.21"} {
		long.branches[b] = map[string]string{"token.go": "package auth\n\n// checkToken " + b + "\nfunc checkToken() {}\n"}
	}
	org = append(org, long)
	idx := openIndex(t, org)
	putDeps(t, idx, orgDeps(generatedOrg()))
	srv := serve(t, idx, Options{})
	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	console := watchConsole(ctx)
	pages := []struct {
		name, path, ready string
	}{
		{"search", "/?q=checktoken", `#results[data-query="checktoken"]`},
		{"file", "/file?" + url.Values{"repo": {"acme/phone"}, "branch": {"main"}, "path": {"token.go"}, "q": {"checktoken"}}.Encode() + "#L3", `#file-body[data-rendered-at]`},
		{"status", "/status", `#status-repos .section-body[data-loaded]`},
		{"deps", "/deps?" + url.Values{"name": {bleveModule}}.Encode(), `#deps[data-rendered]`},
	}
	for _, width := range []int64{390, 800, 1400} {
		for _, p := range pages {
			err := chromedp.Do(ctx,
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(srv.URL+p.path),
				chromedp.WaitReady(chromedp.CSS(p.ready)),
			)
			if err != nil {
				t.Fatalf("%s at %d px: %v", p.name, width, err)
			}
			if p.name == "search" {
				// Open every branch list, so their wrapping is measured too.
				if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelectorAll('.also').forEach((b) => b.click()), true)`)); err != nil {
					t.Fatal(err)
				}
			}
			v, err := chromedp.Run(ctx, chromedp.Evaluate[widthsView](readWidths))
			if err != nil {
				t.Fatal(err)
			}
			if v.PageWidth > v.Viewport || len(v.Overflow) > 0 {
				t.Errorf("%s at %d px: page %v px wide; past the edge: %q", p.name, width, v.PageWidth, v.Overflow)
			}
			if v.TagsRight > v.Viewport+1 {
				t.Errorf("%s at %d px: branch tags reach %v px", p.name, width, v.TagsRight)
			}
			if p.name == "deps" && width == 1400 && !v.TableFits {
				t.Errorf("deps at 1400 px: the table's last column is cut off")
			}
			screenshot(t, ctx, fmt.Sprintf("%s-%d.png", p.name, width))
		}
	}
	console.check(t, "widths")
}
