package e2e

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/search"
)

// parityQuery pairs a trawl query with the git grep flags that mean the same.
type parityQuery struct {
	trawl string
	grep  []string // flags and pattern for git grep
}

var parityQueries = []parityQuery{
	{`timeout`, []string{"-i", "-F", "-e", "timeout"}},
	{`Timeout`, []string{"-F", "-e", "Timeout"}},
	{`case:yes timeout`, []string{"-F", "-e", "timeout"}},
	{`case:no TIMEOUT`, []string{"-i", "-F", "-e", "TIMEOUT"}},
	{`log4j-core`, []string{"-i", "-F", "-e", "log4j-core"}},
	{`"err != nil"`, []string{"-i", "-F", "-e", "err != nil"}},
	{`spring.datasource.url`, []string{"-i", "-F", "-e", "spring.datasource.url"}},
	{`${project.version}`, []string{"-i", "-F", "-e", "${project.version}"}},
	{`needle-in-long-line`, []string{"-i", "-F", "-e", "needle-in-long-line"}},
	{`Straße`, []string{"-F", "-e", "Straße"}},
	{`/version=2\.1[47]\.1/`, []string{"-E", "-e", `version=2\.1[47]\.1`}},
	{`/^<project>$/`, []string{"-E", "-e", `^<project>$`}},
	{`/[0-9]{2}$/`, []string{"-E", "-e", `[0-9]{2}$`}},
	{`/(foo_bar|FooBar) [a-z]+/`, []string{"-E", "-e", `(foo_bar|FooBar) [a-z]+`}},
	{`case:no /kel+vin/`, []string{"-i", "-E", "-e", `kel+vin`}},
	{`/c.re$/`, []string{"-E", "-e", `c.re$`}},
	{`/x := [0-9]+/`, []string{"-E", "-e", `x := [0-9]+`}},
	{`/^$/`, []string{"-E", "-e", `^$`}},
	{`/a/`, []string{"-E", "-e", `a`}},
}

// TestParityWithGitGrep crawls a generated org and checks, for literal and
// regex queries with and without case sensitivity, that trawl's set of
// (repo, branch, path, line) equals git grep -n -I's over every branch,
// except for files trawl reports as skipped (git grep reads non-UTF-8
// text; trawl records it as skipped with its reason).
func TestParityWithGitGrep(t *testing.T) {
	root := t.TempDir()
	repos := gittest.MakeOrg(t, root, 3, 7)
	addLargeFiles(repos)
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) { testParity(t, backend, root, repos) })
	}
}

func testParity(t *testing.T, backend, root string, repos map[string]*gittest.Repo) {
	cfg := loadConfigOn(t, backend, fmt.Sprintf("sources:\n  - dir: %s\n", root))
	idx := openIndex(t, cfg)
	crawl(t, cfg, idx, nil)
	ctx := context.Background()

	skipped := map[string]string{} // repo@branch:path -> reason
	err := idx.Locations(ctx, indexer.LocationQuery{Skipped: indexer.SkippedOnly}, func(l indexer.Location) error {
		skipped[l.Repo+"@"+l.Branch+":"+l.Path] = l.Skip
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ path, reason string }{{"bin/data.bin", indexer.SkipBinary}, {"latin1.txt", indexer.SkipNotUTF8}} {
		if got := skipped["team0/svc0@main:"+want.path]; got != want.reason {
			t.Errorf("skip reason of %s = %q, want %q", want.path, got, want.reason)
		}
	}

	s := search.New(idx)
	for _, q := range parityQueries {
		t.Run(q.trawl, func(t *testing.T) {
			res, err := s.Search(ctx, q.trawl, search.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Stats.LimitHit {
				t.Fatal("limit hit on an exhaustive search")
			}
			got := map[string]bool{}
			for _, f := range res.Files {
				for _, b := range f.Branches {
					for _, m := range f.Matches {
						got[fmt.Sprintf("%s@%s:%s:%d", f.Repo, b.Name, f.Path, m.Line)] = true
					}
				}
			}
			want := map[string]bool{}
			for name, repo := range repos {
				for _, hit := range gittest.Grep(t, repo.Dir, q.grep...) {
					file := name + "@" + hit.Branch + ":" + hit.Path
					if reason := skipped[file]; reason != "" {
						continue
					}
					want[fmt.Sprintf("%s:%d", file, hit.Line)] = true
				}
			}
			if len(want) == 0 {
				t.Fatalf("git grep finds nothing for %v: the corpus does not exercise this query", q.grep)
			}
			var missing, extra []string
			for k := range want {
				if !got[k] {
					missing = append(missing, k)
				}
			}
			for k := range got {
				if !want[k] {
					extra = append(extra, k)
				}
			}
			slices.Sort(missing)
			slices.Sort(extra)
			if len(missing)+len(extra) > 0 {
				t.Errorf("query %q: %d hits, git grep %d\nmissing (git grep has, trawl not): %v\nextra (trawl has, git grep not): %v",
					q.trawl, len(got), len(want), head(missing), head(extra))
			}
		})
	}
}

func head(l []string) []string { return l[:min(len(l), 10)] }

// addLargeFiles commits to each repository a file large enough for the
// Bleve index to store in parts, which a query reads only where a part's
// trigram mask admits it, with the parity queries' words on a few lines
// each, and another version of it on develop.
func addLargeFiles(repos map[string]*gittest.Repo) {
	words := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa"}
	rare := []string{"timeout = 5", "Timeout: 10s", "log4j-core", "if err != nil {", "version=2.14.1", "Straße", "kelvin \u212a",
		"FooBar baz", "x := 42", "<project>", "core", "abc 17", "needle-in-long-line"}
	for _, name := range slices.Sorted(maps.Keys(repos)) {
		repo := repos[name]
		r := rand.New(rand.NewPCG(uint64(len(name)), 3))
		var lines []string
		for i := range 9000 {
			var line string
			switch n := r.IntN(1000); {
			case n < 6:
				line = rare[r.IntN(len(rare))]
			case n < 40:
				line = ""
			default:
				for j := range 1 + r.IntN(5) {
					if j > 0 {
						line += " "
					}
					line += words[r.IntN(len(words))]
				}
				line += fmt.Sprint(" ", i)
			}
			lines = append(lines, line)
		}
		repo.Checkout("main")
		repo.Commit("large file", map[string]string{"gen/large.txt": strings.Join(lines, "\n") + "\n"})
		repo.Checkout("develop")
		lines[4500] = "Timeout: 99s"
		repo.Commit("large file, another version", map[string]string{"gen/large.txt": strings.Join(lines, "\n")})
		repo.Checkout("main")
	}
}
