package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/trawl-dev/trawl/search"
)

// manyVersionsOrg is an org where one file has many versions: acme/app's
// config.json differs on each of its 40 branches but for two pairs, as a
// version bumped by a bot on every branch does; it also holds vendored
// and generated copies, and files deeper down.
func manyVersionsOrg() []testRepo {
	app := testRepo{name: "acme/app", defaultBranch: "main", branches: map[string]map[string]string{}}
	for i := range 40 {
		b := fmt.Sprintf("dependabot/npm/lib-%02d", i)
		if i == 0 {
			b = "main"
		}
		v := i
		if i == 7 || i == 8 {
			v = 6 // the same blob on three branches
		}
		app.branches[b] = map[string]string{
			"config.json":              fmt.Sprintf("{\n  \"name\": \"app\",\n  \"lib\": \"1.%d.0\"\n}\n", v),
			"src/deep/inner/lib.js":    "export const lib = require('lib');\n",
			"vendor/lib/index.js":      "module.exports = 'lib';\n",
			"web/package-lock.json":    "{\"lockfileVersion\": 3, \"lib\": 1}\n",
			"docs/README.md":           "# app\nUses lib.\n",
			"internal/tools/readme.md": "lib tools\n",
		}
	}
	other := testRepo{name: "acme/other", defaultBranch: "trunk", branches: map[string]map[string]string{
		"trunk":   {"lib.txt": "lib on trunk\n", "a/b/c/lib.txt": "lib deep\n"},
		"feature": {"lib.txt": "lib on a feature\n", "x.lib": "nothing\n", "new.txt": "lib, not on trunk yet\n"},
	}}
	return []testRepo{app, other}
}

func TestRankedTotalsEqualExhaustiveSearch(t *testing.T) {
	idx := openIndex(t, manyVersionsOrg())
	srv := serve(t, idx, Options{})
	searcher := search.New(idx)
	for _, q := range []string{"lib", "lib file:\\.json$", "/1\\.[0-9]+\\.0/", "file:lib", "-repo:app lib"} {
		t.Run(q, func(t *testing.T) {
			full, err := searcher.Search(context.Background(), q, search.Options{Context: 1})
			if err != nil {
				t.Fatal(err)
			}
			if full.Stats.LimitHit || len(full.Files) == 0 {
				t.Fatalf("the exhaustive search: %+v", full.Stats)
			}
			var pages []rankedResponse
			params := url.Values{"q": {q}, "group": {"path"}, "limit": {"7"}, "context": {"1"}}
			for {
				var p rankedResponse
				decode(t, get(t, srv, "/api/search?"+params.Encode(), ""), http.StatusOK, &p)
				pages = append(pages, p)
				if p.Cursor == "" {
					break
				}
				if len(pages) > 100 {
					t.Fatal("the cursor never ends")
				}
				params.Set("cursor", p.Cursor)
			}
			paths := map[string]bool{}
			for _, f := range full.Files {
				paths[f.Repo+"\x00"+f.Path] = true
			}
			first := pages[0].Stats
			if first.TotalFiles != len(full.Files) || first.TotalMatches != full.Stats.Matches || first.TotalPaths != len(paths) || !first.TotalExact {
				t.Errorf("totals %+v, the exhaustive search finds %d files, %d lines, %d paths", first, len(full.Files), full.Stats.Matches, len(paths))
			}
			if got, want := facetStrings(pages[0].Facets), wantFacets(full); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("facets\n%v\nwant\n%v", got, want)
			}

			// The pages, one after another, are the whole answer in rank
			// order, each file once, each path on one page only.
			var got []search.File
			seenPath := map[string]int{}
			for i, p := range pages {
				if p.Stats.Offset != len(seenPath) {
					t.Errorf("page %d starts at path %d, want %d", i, p.Stats.Offset, len(seenPath))
				}
				if !slices.Equal(facetStrings(p.Facets)["Branch"], facetStrings(pages[0].Facets)["Branch"]) || p.Stats.TotalFiles != first.TotalFiles {
					t.Errorf("page %d changes the totals or facets", i)
				}
				n := 0
				for _, g := range p.Groups {
					k := g.Repo + "\x00" + g.Path
					if _, ok := seenPath[k]; ok {
						t.Errorf("path %s on two pages", g.Path)
					}
					seenPath[k] = i
					for _, fi := range g.Files {
						if fi != n {
							t.Errorf("page %d: group %s points at file %d, want %d", i, g.Path, fi, n)
						}
						f := p.Files[fi]
						if f.Repo != g.Repo || f.Path != g.Path {
							t.Errorf("group %s holds %s", g.Path, f.Path)
						}
						n++
					}
				}
				if n != len(p.Files) || p.Stats.Files != n {
					t.Errorf("page %d: groups cover %d of %d files (stats say %d)", i, n, len(p.Files), p.Stats.Files)
				}
				if last := i == len(pages)-1; p.Stats.LimitHit == last {
					t.Errorf("page %d of %d: limit_hit %v", i+1, len(pages), p.Stats.LimitHit)
				}
				got = append(got, p.Files...)
			}
			branches, err := idx.Branches(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defaults := map[string]string{}
			for _, b := range branches {
				defaults[b.Repo] = b.Meta.DefaultBranch
			}
			var want []search.File
			for _, g := range search.GroupFiles(full, defaults).Groups {
				want = append(want, g.Versions...)
			}
			if len(got) != len(want) {
				t.Fatalf("the pages hold %d files, the exhaustive search %d", len(got), len(want))
			}
			for i := range got {
				if got[i].Repo != want[i].Repo || got[i].Path != want[i].Path || got[i].Blob != want[i].Blob || len(got[i].Matches) != len(want[i].Matches) {
					t.Errorf("file %d is %s %s %s, want %s %s %s", i, got[i].Repo, got[i].Path, got[i].Blob, want[i].Repo, want[i].Path, want[i].Blob)
				}
			}
		})
	}
}

func TestRankedOrder(t *testing.T) {
	srv := serve(t, openIndex(t, manyVersionsOrg()), Options{})
	var p rankedResponse
	decode(t, get(t, srv, "/api/search?"+url.Values{"q": {"lib"}, "group": {"path"}, "limit": {"1000"}}.Encode(), ""), http.StatusOK, &p)
	var order []string
	for _, g := range p.Groups {
		order = append(order, g.Repo+":"+g.Path)
	}
	// Default branches first, hand-written before generated or vendored,
	// shallow and short paths first.
	want := []string{
		"acme/other:lib.txt", "acme/app:config.json", "acme/app:docs/README.md",
		"acme/app:internal/tools/readme.md", "acme/other:a/b/c/lib.txt", "acme/app:src/deep/inner/lib.js",
		"acme/app:web/package-lock.json", "acme/app:vendor/lib/index.js",
		"acme/other:new.txt",
	}
	if !slices.Equal(order, want) {
		t.Errorf("order\n%q\nwant\n%q", order, want)
	}
	for _, g := range p.Groups {
		if g.Path == "config.json" {
			// 40 branches, 38 blobs: three branches share one.
			if len(g.Files) != 38 || g.Branches != 40 || !g.Default {
				t.Errorf("config.json: %d versions on %d branches, default %v", len(g.Files), g.Branches, g.Default)
			}
			if f := p.Files[g.Files[0]]; f.Branches[0].Name != "main" {
				t.Errorf("first version of config.json is on %v, want main", f.Branches)
			}
			if f := p.Files[g.Files[1]]; len(f.Branches) != 3 {
				t.Errorf("second version is on %d branches, want the one on 3", len(f.Branches))
			}
		}
		if (g.Path == "web/package-lock.json") != g.Generated || (g.Path == "vendor/lib/index.js") != g.Vendored {
			t.Errorf("%s: generated %v, vendored %v", g.Path, g.Generated, g.Vendored)
		}
	}
}

func TestRankedCursorErrors(t *testing.T) {
	srv := serve(t, openIndex(t, manyVersionsOrg()), Options{})
	var p rankedResponse
	decode(t, get(t, srv, "/api/search?"+url.Values{"q": {"lib"}, "group": {"path"}, "limit": {"1"}}.Encode(), ""), http.StatusOK, &p)
	if p.Cursor == "" {
		t.Fatal("no cursor after a one-file page")
	}
	for _, tc := range []struct {
		q, cursor string
		status    int
	}{
		{"lib", "nonsense", http.StatusBadRequest},
		{"lib", "0123456789abcdef.-1", http.StatusBadRequest},
		{"lib", "0123456789abcdef.1", http.StatusGone},
		{"other", p.Cursor, http.StatusBadRequest},
	} {
		wantError(t, get(t, srv, "/api/search?"+url.Values{"q": {tc.q}, "cursor": {tc.cursor}}.Encode(), ""), tc.status)
	}
}

// facetStrings turns facets into wantFacets' form.
func facetStrings(f search.Facets) facetCounts {
	out := facetCounts{}
	for name, vals := range map[string][]search.FacetValue{"Repository": f.Repository, "Branch": f.Branch, "Language": f.Language, "Extension": f.Extension} {
		for _, v := range vals {
			out[name] = append(out[name], fmt.Sprintf("%s=%d", v.Value, v.Count))
		}
		slices.Sort(out[name])
	}
	return out
}

func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"0123456789abcdef.12", "0123456789abcdef.0", "x.1", "", ".", "0123456789abcdef.01", "0123456789ABCDEF.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCursor(s)
		if err != nil {
			return
		}
		if c.String() != s {
			t.Errorf("parseCursor(%q) = %+v, which prints as %q", s, c, c.String())
		}
	})
}
