package search

import "testing"

func TestGroupFilesHonestTotals(t *testing.T) {
	res := &Result{Query: "x", Stats: Stats{Files: 3, Matches: 4, LimitHit: true}, Files: []File{
		{Repo: "r", Path: "a/b.go", Blob: "1", Language: "Go", Branches: []BranchRef{{Name: "dev"}}},
		{Repo: "r", Path: "a/b.go", Blob: "2", Language: "Go", Branches: []BranchRef{{Name: "main"}}},
		{Repo: "r", Path: "z.go", Blob: "3", Language: "Go", Branches: []BranchRef{{Name: "dev"}, {Name: "x"}}},
	}}
	rk := GroupFiles(res, map[string]string{"r": "main"})
	if rk.Totals.Exact || rk.Totals.Files != 3 || rk.Totals.Matches != 4 || rk.Totals.Paths != 2 {
		t.Errorf("totals %+v: a search stopped by a limit has lower bounds, not exact totals", rk.Totals)
	}
	if len(rk.Groups) != 2 || rk.Groups[0].Path != "a/b.go" || rk.Groups[0].Versions[0].Blob != "2" || rk.Groups[0].Branches != 2 {
		t.Errorf("groups %+v: want a/b.go first (on main), its main version first", rk.Groups)
	}
	if rk.Groups[1].Default {
		t.Errorf("z.go is not on the default branch")
	}
	if b := rk.Facets.Branch; len(b) != 3 || b[0] != (FacetValue{"dev", 2}) {
		t.Errorf("branch facet %+v", b)
	}
	for _, tc := range []struct{ path, ext string }{{"a/.gitignore", ""}, {"x.tar.gz", ".gz"}, {"Makefile", ""}, {"a.b/c", ""}} {
		if got := extension(tc.path); got != tc.ext {
			t.Errorf("extension(%q) = %q, want %q", tc.path, got, tc.ext)
		}
	}
}
