package verify

import "testing"

func TestNeedsRepair(t *testing.T) {
	stray := Problem{Kind: KindStray, Repo: "acme/api", Branch: "main", Detail: "no branch state"}
	for _, tc := range []struct {
		name string
		r    Report
		want bool
	}{
		{"clean", Report{Blobs: 3, Locations: 4, Branches: 1}, false},
		{"problem", Report{Problems: []Problem{{Kind: KindCorrupt, Blob: "ab", Detail: "hash"}}}, true},
		{"note of a killed crawl", Report{Dirty: true, Notes: []Problem{stray}}, true},
		{"unreferenced blobs", Report{Unreferenced: 2}, true},
	} {
		if got := tc.r.NeedsRepair(); got != tc.want {
			t.Errorf("%s: NeedsRepair = %v, want %v", tc.name, got, tc.want)
		}
	}
}
