// Package crawltest prepares crawlers for tests and benchmarks: a crawler
// of the sources a configuration names, built as trawl crawl builds them.
package crawltest

import (
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/source/sources"
)

// New is a crawler of cfg into idx with opt; when opt.Sources is empty,
// the sources are cfg's, built once for this crawler. It fails the test
// when either cannot be built.
func New(t testing.TB, cfg *config.Config, idx indexer.Index, opt crawler.Options) *crawler.Crawler {
	t.Helper()
	if len(opt.Sources) == 0 {
		srcs, err := sources.For(cfg, sources.Options{})
		if err != nil {
			t.Fatal(err)
		}
		opt.Sources = srcs
	}
	c, err := crawler.New(cfg, idx, opt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
