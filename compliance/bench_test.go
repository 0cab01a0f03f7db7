package compliance

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/internal/crawltest"
	"github.com/trawl-dev/trawl/internal/gittest"
)

// benchRules are 50 rules of every kind but forbid_vulnerable (which needs
// an OSV archive) over gittest.MakeOrg's files.
func benchRules() string {
	var b strings.Builder
	b.WriteString("indicators:\n  pom.xml:\n    - {name: log4j, type: findFirstValueWithRegexpCapture, params: {pattern: '<version>(.*)</version>'}}\nrules:\n")
	for i := range 10 {
		fmt.Fprintf(&b, "  - {id: file-%d, require_file: [README.md, 'docs/%d.md']}\n", i, i)
		fmt.Fprintf(&b, "  - {id: forbid-%d, forbid_file: ['**/*.bin', 'x%d/**']}\n", i, i)
		fmt.Fprintf(&b, "  - {id: match-%d, forbid_match: '/timeout|TODO %d/ file:\\.(yaml|txt)$'}\n", i, i)
		fmt.Fprintf(&b, "  - {id: dep-%d, forbid_dependency: {name: github.com/google/uuid, version: '<v1.%d.0'}}\n", i, i)
		fmt.Fprintf(&b, "  - {id: ind-%d, indicator: {name: log4j, constraint: '>= 2.%d'}}\n", i, 10+i)
	}
	return b.String()
}

// BenchmarkEvaluate evaluates 50 rules from scratch, then after a push to
// one branch. Run by hand: go test -run '^$' -bench Evaluate ./compliance/
func BenchmarkEvaluate(b *testing.B) {
	ctx := context.Background()
	root := b.TempDir()
	repos := gittest.MakeOrg(b, filepath.Join(root, "org"), 20, 7)
	cfg, err := config.Parse([]byte("sources:\n  - dir: "+filepath.Join(root, "org")+"\n"+benchRules()), filepath.Join(root, "trawl.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	idx, err := bleve.Open(ctx, filepath.Join(root, "index"))
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	crawl := func() {
		c := crawltest.New(b, cfg, idx, crawler.Options{})
		if _, err := c.Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
	crawl()
	branches, _ := idx.Branches(ctx)
	e := &Evaluator{Index: idx, Indicators: cfg.Indicators}
	var prev map[Key]Result
	b.Run(fmt.Sprintf("scratch-%drules-%dbranches", len(cfg.Rules), len(branches)), func(b *testing.B) {
		for b.Loop() {
			ev, err := e.Evaluate(ctx, cfg.Rules, nil)
			if err != nil {
				b.Fatal(err)
			}
			prev = byKey(ev.Results)
		}
	})
	r := repos["team0/svc0"]
	r.Checkout("develop")
	r.Commit("push", map[string]string{"config/app.yaml": "timeout: 1\n"})
	crawl()
	b.Run("after-one-push", func(b *testing.B) {
		for b.Loop() {
			ev, err := e.Evaluate(ctx, cfg.Rules, prev)
			if err != nil {
				b.Fatal(err)
			}
			if ev.Evaluated == 0 || ev.Evaluated > len(cfg.Rules) {
				b.Fatalf("%d evaluated after one push", ev.Evaluated)
			}
		}
	})
}
