package depquery

import (
	"testing"

	"github.com/trawl-dev/trawl/deps"
)

func TestSummarize(t *testing.T) {
	recs := []deps.Dependency{
		{Repo: "a", Branch: "main", Path: "pom.xml", Name: "x", Version: "1"},
		{Repo: "a", Branch: "dev", Path: "pom.xml", Name: "x", Version: "1"},
		{Repo: "b", Branch: "main", Path: "pom.xml", Name: "x", Version: "${v}", ResolvedVersion: "2"},
	}
	got := Summarize(recs)
	if len(got) != 2 || got[0].Version != "1" || got[0].Repos != 1 || got[0].Branches != 2 || got[1].Version != "2" {
		t.Errorf("Summarize = %+v", got)
	}
}
