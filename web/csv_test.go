package web

import (
	"net/url"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
)

// TestDepsCSVNeutralisesFormulas: a version or branch that starts like a
// formula, which anyone with push access can write, reaches the CSV with
// a leading quote, in both CSV exports.
func TestDepsCSVNeutralisesFormulas(t *testing.T) {
	idx := openIndex(t, []testRepo{{name: "acme/evil", defaultBranch: "=main", branches: map[string]map[string]string{
		"=HYPERLINK(\"https://evil.example\")": {"package.json": "{}\n"},
	}}})
	branch := "=HYPERLINK(\"https://evil.example\")"
	putDeps(t, idx, []indexer.Dependency{{Repo: "acme/evil", Branch: branch, Path: "package.json", Line: 2,
		Ecosystem: "npm", Name: "left-pad", PURL: "pkg:npm/left-pad", Version: "@SUM(1+1)*cmd|' /C calc'!A0", VersionSource: "literal", Direct: true}})
	srv := serve(t, idx, Options{})

	rows := readCSV(t, get(t, srv, "/api/deps?format=csv&name=left-pad", ""))
	if len(rows) != 2 || rows[1][1] != "'"+branch || rows[1][8] != "'@SUM(1+1)*cmd|' /C calc'!A0" {
		t.Errorf("rows %q: want the branch and version quote-prefixed", rows)
	}
	rows = readCSV(t, get(t, srv, "/api/deps?summary=1&format=csv&name="+url.QueryEscape("left-pad"), ""))
	if len(rows) != 2 || rows[1][2] != "'@SUM(1+1)*cmd|' /C calc'!A0" {
		t.Errorf("summary rows %q: want the version quote-prefixed", rows)
	}
}
