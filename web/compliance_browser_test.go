package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

type complianceView struct {
	Rows []struct {
		Rule    string `json:"rule"`
		Status  string `json:"status"`
		Failing string `json:"failing"`
		Passing string `json:"passing"`
		Points  int    `json:"points"` // vertices of the trend polyline
		Label   string `json:"label"`
	} `json:"rows"`
	Drill []struct {
		Rule  string   `json:"rule"`
		Items []string `json:"items"`
		Links []string `json:"links"`
	} `json:"drill"`
	Summary string `json:"summary"`
}

const readCompliance = `(() => ({
  summary: document.getElementById('summary').textContent,
  rows: [...document.querySelectorAll('table.compliance tbody tr')].map((tr) => {
    const pl = tr.querySelector('svg.trend polyline');
    return {
      rule: tr.dataset.rule, status: tr.dataset.status,
      failing: tr.querySelector('.failing').textContent, passing: tr.querySelector('.passing').textContent,
      points: pl ? pl.getAttribute('points').trim().split(/\s+/).length : 0,
      label: tr.querySelector('svg.trend').getAttribute('aria-label'),
    };
  }),
  drill: [...document.querySelectorAll('details.drill')].map((d) => ({
    rule: d.dataset.rule,
    items: [...d.querySelectorAll('li[data-repo]')].map((li) => li.dataset.repo + '@' + li.dataset.branch),
    links: [...d.querySelectorAll('.evidence a')].map((a) => a.href),
  })),
}))()`

type matrixView struct {
	Head  []string            `json:"head"`
	Cells map[string][]string `json:"cells"` // repo -> per column "version|marked|commit"
}

const readMatrix = `(() => {
  const head = [...document.querySelectorAll('table.matrix thead th')].map((th) => th.textContent);
  const cells = {};
  for (const tr of document.querySelectorAll('table.matrix tbody tr')) {
    cells[tr.dataset.repo] = [...tr.querySelectorAll('td')].map((td) =>
      td.dataset.branch === undefined ? '' : td.dataset.version + '|' + (td.querySelector('mark') ? 'marked' : '') + '|' + td.title);
  }
  return {head, cells};
})()`

// TestBrowserCompliance opens the Compliance page and the version matrix
// in chromium over an index holding two stored evaluations.
func TestBrowserCompliance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	idx := complianceIndex(t)
	srv := serve(t, idx, Options{})
	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	console := watchConsole(ctx)

	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.Click(chromedp.CSS(`nav a[href="/compliance"]`)),
		chromedp.WaitReady(chromedp.CSS(`#compliance[data-rendered="1"]`)),
		chromedp.Click(chromedp.CSS(`#rule-old-bleve summary`)),
	)
	if err != nil {
		t.Fatalf("open the Compliance page: %v", err)
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[complianceView](readCompliance))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Rows) != 3 {
		t.Fatalf("%d rules shown, want 3: %+v", len(v.Rows), v)
	}
	// old-bleve was evaluated twice (two trend points), the others once.
	want := []struct {
		rule, status, failing, passing string
		points                         int
	}{
		{"old-bleve", "fail", "7", "3", 2}, {"readme", "fail", "2", "2", 1}, {"few-replicas", "fail", "5", "5", 1},
	}
	for i, w := range want {
		r := v.Rows[i]
		if r.Rule != w.rule || r.Status != w.status || r.Failing != w.failing || r.Passing != w.passing || r.Points != w.points {
			t.Errorf("row %d: %+v, want %+v", i, r, w)
		}
	}
	if v.Rows[0].Label != "failing branches of old-bleve over time: 7, 7" {
		t.Errorf("trend label %q", v.Rows[0].Label)
	}
	if len(v.Drill) != 3 || v.Drill[0].Rule != "old-bleve" || len(v.Drill[0].Items) != 7 || v.Drill[0].Items[0] != "acme/api@develop" {
		t.Fatalf("drill-down %+v", v.Drill)
	}
	if len(v.Drill[0].Links) != 7 || v.Drill[0].Links[0] != "https://github.com/acme/api/blob/"+commitID("acme/api", "develop")+"/go.mod#L5" {
		t.Errorf("evidence links %q", v.Drill[0].Links)
	}
	if len(v.Drill[1].Links) != 0 || len(v.Drill[1].Items) != 2 {
		t.Errorf("require_file drill-down %+v", v.Drill[1])
	}
	screenshot(t, ctx, "compliance.png")
	console.check(t, "compliance page")

	// The version matrix: the nav, then the form.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/matrix"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#matrix-form input[name="dependency"]`)),
		chromedp.SendKeys(chromedp.CSS(`#matrix-form input[name="dependency"]`), bleveModule+"\r"),
		chromedp.WaitReady(chromedp.CSS(`#matrix[data-rendered="dependency=`+urlQueryEscape(bleveModule)+`&indicator=&repo=&branch="]`)),
	)
	if err != nil {
		t.Fatalf("open the version matrix: %v", err)
	}
	m, err := chromedp.Run(ctx, chromedp.Evaluate[matrixView](readMatrix))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Head) != 4 || m.Head[1] != "develop" || m.Head[2] != "main" || m.Head[3] != "release/2.0" || len(m.Cells) != 4 {
		t.Fatalf("matrix %+v", m)
	}
	// acme/billing: develop v2.5.0 and release/2.0 v2.4.4 differ from main's v2.6.3.
	b := m.Cells["acme/billing"]
	if b[0] != "v2.5.0|marked|"+commitID("acme/billing", "develop") || b[1] != "v2.6.3||"+commitID("acme/billing", "main") ||
		b[2] != "v2.4.4|marked|"+commitID("acme/billing", "release/2.0") {
		t.Errorf("acme/billing row %q", b)
	}
	if a := m.Cells["acme/api"]; a[2] != "" {
		t.Errorf("acme/api has no release/2.0, its cell shows %q", a[2])
	}
	screenshot(t, ctx, "matrix.png")
	console.check(t, "matrix page")
}

// urlQueryEscape escapes as URLSearchParams.toString does for the module
// path: '/' becomes %2F.
func urlQueryEscape(s string) string {
	out := ""
	for _, c := range s {
		if c == '/' {
			out += "%2F"
		} else {
			out += string(c)
		}
	}
	return out
}
