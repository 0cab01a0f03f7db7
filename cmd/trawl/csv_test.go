package main

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/trawl-dev/trawl/depquery"
)

// TestDepSummaryCSVNeutralisesFormulas: trawl deps --summary --csv writes
// a version that starts like a formula with a leading quote.
func TestDepSummaryCSVNeutralisesFormulas(t *testing.T) {
	var b bytes.Buffer
	rows := []depquery.VersionCount{{Ecosystem: "npm", Name: "-x", Version: "=1+1", Repos: 1, Branches: 1, Files: 1}}
	if err := printDepSummary(&b, rows, false, true); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1][1] != "'-x" || recs[1][2] != "'=1+1" {
		t.Errorf("records %q: want name and version quote-prefixed", recs)
	}
}
