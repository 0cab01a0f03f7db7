package parser

import "testing"

// FuzzXPath checks that any expression either fails to compile or counts
// without panicking.
func FuzzXPath(f *testing.F) {
	f.Add("//*[local-name()='project']/*", "<project><a/><b x='1'/></project>")
	f.Fuzz(func(t *testing.T, expr, doc string) {
		x, err := ParseXPath(expr)
		if err != nil {
			return
		}
		if root, err := parseXML([]byte(doc)); err == nil {
			if n := x.Count(root); n < 0 {
				t.Fatalf("negative count %d", n)
			}
		}
	})
}

// FuzzJSONPath checks that any path either fails to compile or answers a
// value or a sentinel without panicking.
func FuzzJSONPath(f *testing.F) {
	f.Add("$.a[0]", `{"a": ["x"]}`)
	f.Fuzz(func(t *testing.T, expr, doc string) {
		p, err := ParseJSONPath(expr)
		if err != nil {
			return
		}
		_ = jsonValue([]byte(doc), p)
	})
}

// FuzzGitHubCrawlerMode checks that github-crawler mode answers every
// parser type on any file without panicking: filters, the SAX-style pom
// pass and the namespace check are hand-written.
func FuzzGitHubCrawlerMode(f *testing.F) {
	f.Add("$.packages[?(@.name == 'x' || @.v >= 2)].name", `{"packages": [{"name": "x"}]}`)
	f.Add("jackson-databind", `<project><version>1</version><artifactId>jackson-databind</artifactId></project>`)
	f.Add("project/modules", `<project><mvn:modules/></project>`)
	f.Fuzz(func(t *testing.T, param, doc string) {
		for typ, name := range map[string]string{
			TypeJSONPath: "jsonPath", TypeDependencyVersionInXML: "artifactId", TypeCountXMLElements: "xpathToMatch",
		} {
			p, err := CompileMode(typ, map[string]string{name: param}, GitHubCrawler)
			if err != nil {
				continue
			}
			if p.Eval("f", []byte(doc)) == "" && typ != TypeJSONPath && typ != TypeDependencyVersionInXML {
				t.Fatalf("%s %q: empty value", typ, param)
			}
		}
	})
}
