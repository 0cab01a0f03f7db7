package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/demo"
	"github.com/trawl-dev/trawl/search"
)

// TestREADMEClaims keeps the README's examples true: the configuration it
// shows is config example's, every quoted trawl search query parses, and
// the demo commands it shows are the tour's.
func TestREADMEClaims(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if !strings.Contains(readme, "```yaml\n"+config.Example()+"```\n") {
		t.Errorf("README.md does not show trawl config example as it prints today")
	}
	queries := regexp.MustCompile(`trawl search (?:--?[a-z]+(?: [0-9]+)? )*'([^']+)'`).FindAllStringSubmatch(readme, -1)
	if len(queries) < 5 {
		t.Fatalf("found %d search examples in README.md", len(queries))
	}
	for _, q := range queries {
		if _, err := search.Parse(q[1]); err != nil {
			t.Errorf("README query %q does not parse: %v", q[1], err)
		}
	}
	for _, line := range regexp.MustCompile(`(?m)^\$ trawl (.*)$`).FindAllStringSubmatch(readme, -1) {
		found := false
		for _, q := range demo.Tour() {
			found = found || shellJoin(q.Args) == line[1]
		}
		if !found {
			t.Errorf("README shows `trawl %s`, which the demo tour does not run", line[1])
		}
	}
}
