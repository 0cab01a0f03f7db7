package layers

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/trawl-dev/trawl"

// A rule forbids the packages matching from (a package path below the
// module, "x/..." for x and everything below it) to import any package
// matching one of never. Patterns without a dot are trawl's own packages;
// others are import paths ("github.com/go-git/go-git/v5/...").
type rule struct {
	from  string
	never []string
	why   string
	// except names imports of from that break the rule today, each
	// with the issue that removes it; the test fails if one is no
	// longer there, so that the list only shrinks.
	except []string
}

var rules = []rule{
	{
		from:  "indexer/...",
		never: []string{"web/...", "webhook", "search/...", "crawler/...", "source/...", "config/...", "github.com/go-git/go-git/v5/..."},
		why:   "storage holds documents: it knows no HTTP serving, no git, no query language and no YAML schema (backends take options structs)",
	},
	{
		from:  "config",
		never: []string{"..."},
		why:   "config is the schema: every other package may read it, so it imports none of trawl's",
		except: []string{
			"config -> indicators/parser", // compiled indicator parsers, built once: a leaf package
		},
	},
	{
		from:  "trigram",
		never: []string{"..."},
		why:   "trigram is a leaf: folding and extraction, shared by the index and the search",
	},
	{
		from:  "source/...",
		never: []string{"crawler/...", "indexer/bleve/...", "indexer/elastic/...", "search/...", "web/...", "change/...", "compliance/..."},
		why:   "sources discover repositories; the crawler consumes them, never the other way round",
	},
	{
		from:  "crawler/...",
		never: []string{"source/github/...", "source/gitlab/...", "source/bitbucket/...", "source/gitea/...", "source/azure/...", "source/sources", "web/...", "webhook", "search/...", "indexer/bleve/...", "indexer/elastic/..."},
		why:   "the crawler knows the Source and Index interfaces, not which forge or backend is behind them",
	},
	{
		from:  "search/...",
		never: []string{"crawler/...", "source/...", "web/...", "config/...", "indexer/bleve/...", "indexer/elastic/...", "github.com/go-git/go-git/v5/..."},
		why:   "the query language works on the Index interface alone",
	},
	{
		from:  "deps",
		never: []string{"indexer/...", "search/...", "crawler/...", "web/..."},
		why:   "deps parses manifests; querying the index is the query side's",
	},
	{
		from:  "depquery",
		never: []string{"crawler/...", "source/...", "config/...", "search/...", "web/...", "indexer/bleve/...", "indexer/elastic/..."},
		why:   "depquery answers dependency questions on the Index interface, for both trawl deps and the web",
	},
	{
		from:  "web/...",
		never: []string{"crawler/...", "source/...", "indexer/bleve/...", "indexer/elastic/...", "github.com/go-git/go-git/v5/..."},
		why:   "the server answers from the index through interfaces; crawls reach it as a function",
	},
	{
		from:  "lang",
		never: []string{"...", "github.com/go-enry/go-enry/v2/..."},
		why:   "lang answers from generated tables: go-enry's package initialisation costs every process about 35 ms (lang/internal/gen and the tests use go-enry)",
	},
	{
		from:  "source/forgeapi",
		never: []string{"..."},
		why:   "the HTTP layer under forge APIs knows no trawl type",
	},
	{
		from:  "source/sources",
		never: []string{"crawler/..."},
		why:   "building sources needs no crawler",
	},
	{
		from:  "webhook",
		never: []string{"..."},
		why:   "webhook handlers turn deliveries into Events; what a crawl does with them is the server's",
	},
	{
		from:  "compliance/...",
		never: []string{"crawler/...", "source/..."},
		why:   "audits answer from the index",
	},
	{
		from:  "indicators/...",
		never: []string{"crawler/...", "source/..."},
		why:   "audits answer from the index",
	},
	{
		from:  "sbom/...",
		never: []string{"crawler/...", "source/..."},
		why:   "audits answer from the index",
	},
	{
		from:  "change/...",
		never: []string{"crawler/..."},
		why:   "bulk changes plan from the index and push through the forge",
	},
	{
		from:  "service/...",
		never: []string{"indexer/bleve/...", "indexer/elastic/...", "web/..."},
		why:   "the schedule runs crawls it is handed",
	},
}

// TestBinaryDependencies: what the trawl binary must not link, whichever
// package would bring it in.
func TestBinaryDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", module+"/cmd/trawl").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if match("github.com/go-enry/go-enry/v2/...", dep) {
			t.Errorf("cmd/trawl links %s: its initialisation costs every command about 35 ms; use package lang", dep)
		}
		if match("github.com/elastic/go-elasticsearch/v8/esapi", dep) || match("github.com/elastic/go-elasticsearch/v8/typedapi/...", dep) {
			t.Errorf("cmd/trawl links %s: it costs about 40 s (esapi) or minutes (typedapi) of a cold build; "+
				"send the request through indexer/elastic's own (api.go)", dep)
		}
	}
}

type pkg struct {
	ImportPath string
	Imports    []string
}

func TestImportRules(t *testing.T) {
	pkgs := list(t)
	for _, r := range rules {
		seen := map[string]bool{}
		for _, p := range pkgs {
			if !match(r.from, p.ImportPath) {
				continue
			}
			for _, imp := range p.Imports {
				for _, n := range r.never {
					if !match(n, imp) {
						continue
					}
					edge := short(p.ImportPath) + " -> " + short(imp)
					if slices.Contains(r.except, edge) {
						seen[edge] = true
						continue
					}
					t.Errorf("%s: %s must not import %s (%s)", edge, short(p.ImportPath), short(imp), r.why)
				}
			}
		}
		for _, e := range r.except {
			if !seen[e] {
				t.Errorf("exception %q of rule %s is gone: remove it from the list", e, r.from)
			}
		}
	}
}

// list runs go list on the module's packages (tests excluded: test files
// may import across layers to build fixtures).
func list(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages: not the module", len(pkgs))
	}
	return pkgs
}

// match reports whether the import path p matches pattern: trawl's
// packages are written without the module prefix.
func match(pattern, p string) bool {
	if pattern == "..." {
		return strings.HasPrefix(p, module+"/")
	}
	if !strings.Contains(strings.SplitN(pattern, "/", 2)[0], ".") {
		pattern = module + "/" + pattern
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return p == base || strings.HasPrefix(p, base+"/")
	}
	ok, _ := path.Match(pattern, p)
	return ok
}

func short(p string) string { return strings.TrimPrefix(p, module+"/") }
