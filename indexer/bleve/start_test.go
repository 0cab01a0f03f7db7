package bleve

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// TestStartBuildsNoAutomata guards the patched vellum in third_party:
// upstream, scorch's package initialisation builds two Levenshtein
// automaton builders (about a megabyte in 26,000 allocations, 2-3 ms,
// a quarter of a `trawl search` process's CPU) for fuzzy queries trawl
// never runs. The patch builds them on first use. This test starts its
// own binary with the runtime's init trace and fails if scorch's init
// allocates that again, as it would if the replace directive went.
func TestStartBuildsNoAutomata(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run %s with the init trace: %v\n%s", os.Args[0], err, out)
	}
	// init github.com/blevesearch/bleve/v2/index/scorch @4.2 ms, 0.004 ms clock, 720 bytes, 9 allocs
	m := regexp.MustCompile(`(?m)^init github\.com/blevesearch/bleve/v2/index/scorch @.*, (\d+) bytes, (\d+) allocs$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no init trace line for scorch in:\n%s", out)
	}
	bytes, _ := strconv.Atoi(string(m[1]))
	allocs, _ := strconv.Atoi(string(m[2]))
	if bytes > 64<<10 || allocs > 1000 {
		t.Errorf("scorch's init allocated %d bytes in %d allocations; with vellum's builders lazy it is under 1 KB (is the replace of github.com/blevesearch/vellum in go.mod gone?)", bytes, allocs)
	}
}
