package indicators

import (
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indicators/parser"
)

// TestCompileOnce checks that Compute uses the parsers config compiled when
// it read the file, in the mode the file's compatibility key chose, and
// compiles only what config did not.
func TestCompileOnce(t *testing.T) {
	const src = "sources:\n  - dir: /srv\nindicators:\n  Dockerfile:\n    - {name: image, type: findFirstValueWithRegexpCapture, params: {pattern: 'FROM\\s+(\\S+)'}}\n"
	for _, tt := range []struct {
		compat string
		mode   parser.Mode
	}{{"", parser.Strict}, {"compatibility: github-crawler\n", parser.GitHubCrawler}} {
		cfg, err := config.Parse([]byte(src+tt.compat), "trawl.yaml")
		if err != nil {
			t.Fatal(err)
		}
		compiled := cfg.Indicators[0].Indicators[0].Parser()
		if compiled == nil || compiled.Mode() != tt.mode {
			t.Fatalf("%q: config compiled %v, want a parser in mode %v", tt.compat, compiled, tt.mode)
		}
		files, err := compile(cfg.Indicators, OptionsFor(cfg).Mode)
		if err != nil {
			t.Fatal(err)
		}
		if files[0].parsers[0] != compiled {
			t.Errorf("%q: compile built another parser instead of config's", tt.compat)
		}
		other := parser.Strict + parser.GitHubCrawler - tt.mode
		files, err = compile(cfg.Indicators, other)
		if err != nil {
			t.Fatal(err)
		}
		if p := files[0].parsers[0]; p == compiled || p.Mode() != other {
			t.Errorf("%q: asked for mode %v, got %v (config's: %t)", tt.compat, other, p.Mode(), p == compiled)
		}
	}
	// An Indicator made in code has no parser yet: compile builds it.
	files, err := compile(config.Indicators{{Path: "pom.xml", Indicators: []config.Indicator{{Name: "p", Type: parser.TypeFilePath}}}}, parser.Strict)
	if err != nil || files[0].parsers[0] == nil {
		t.Fatalf("compile of an Indicator made in code = %v, %v", files, err)
	}
}
