package web

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserExamples opens the empty search page: it must offer the
// queries GET /api/examples computes from the index, and a click on one
// must run it.
func TestBrowserExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	idx := openIndex(t, examplesRepos)
	putDeps(t, idx, examplesDeps())
	srv := serve(t, idx, Options{})
	var api struct {
		Examples []Example `json:"examples"`
	}
	decode(t, get(t, srv, "/api/examples", ""), http.StatusOK, &api)
	if len(api.Examples) < 3 {
		t.Fatalf("the API offers %d examples, want 3", len(api.Examples))
	}
	var want []string
	for _, ex := range api.Examples {
		want = append(want, ex.Query)
	}

	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	console := watchConsole(ctx)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#examples li a")),
	); err != nil {
		t.Fatalf("the empty search page shows no examples: %v", err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#examples li a')].map((a) => a.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shown, want) {
		t.Errorf("page offers %q, the API %q", shown, want)
	}
	console.check(t, "empty page")

	// Click the configuration example: the search page runs it.
	i := slices.IndexFunc(api.Examples, func(ex Example) bool { return ex.Kind == "config" })
	if i < 0 {
		t.Fatalf("no config example in %+v", api.Examples)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#examples li[data-kind="config"] a`))); err != nil {
		t.Fatal(err)
	}
	waitRendered(t, ctx, api.Examples[i].Query)
	// Results come one card per path; a card counts the path's versions.
	files, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('#results .file')].reduce((n, c) => n + Number(c.dataset.versions), 0)`))
	if err != nil {
		t.Fatal(err)
	}
	// conf/app.yml of acme/api: one blob per branch.
	if files != 2 {
		t.Errorf("the clicked example shows %d files, want 2", files)
	}
	if q, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('q').value`)); err != nil || q != api.Examples[i].Query {
		t.Errorf("search box holds %q (%v), want %q", q, err, api.Examples[i].Query)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#examples').length`)); err != nil || n != 0 {
		t.Errorf("examples still shown over the results (%d, %v)", n, err)
	}
	console.check(t, "after the click")
}
