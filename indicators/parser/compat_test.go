package parser

import (
	"strings"
	"testing"
)

func evalMode(t *testing.T, mode Mode, typ string, params map[string]string, text string) string {
	t.Helper()
	p, err := CompileMode(typ, params, mode)
	if err != nil {
		t.Fatalf("CompileMode(%s, %v, %d): %v", typ, params, mode, err)
	}
	return p.Eval("f", []byte(text))
}

// TestGitHubCrawlerMode checks the five cases where github-crawler's
// parsers answer differently from trawl's stricter ones, in both modes.
func TestGitHubCrawlerMode(t *testing.T) {
	// A <version> placed before its <artifactId>.
	pom := `<project><dependencies>
  <dependency><groupId>com.fasterxml</groupId><version>2.17.0</version><artifactId>jackson-databind</artifactId></dependency>
  <dependency><artifactId>junit</artifactId><version>4.13.2</version></dependency>
</dependencies></project>`
	art := map[string]string{"artifactId": "jackson-databind"}
	if got := evalMode(t, GitHubCrawler, TypeDependencyVersionInXML, art, pom); got != VersionNotFound {
		t.Errorf("version before artifactId, github-crawler mode: %q, want %q", got, VersionNotFound)
	}
	if got := evalMode(t, Strict, TypeDependencyVersionInXML, art, pom); got != "2.17.0" {
		t.Errorf("version before artifactId, strict: %q, want 2.17.0", got)
	}

	// Jayway filters, first element of an array result; numbers are not
	// strings to github-crawler.
	composer := `{"packages": [{"name": "symfony/console", "version": "v5.4.0"}, {"name": "sulu/sulu", "version": "2.5.1", "n": 3}]}`
	filt := map[string]string{"jsonPath": "$.packages[?(@.name == 'sulu/sulu')].name"}
	for _, mode := range []Mode{Strict, GitHubCrawler} {
		if got := evalMode(t, mode, TypeJSONPath, filt, composer); got != "sulu/sulu" {
			t.Errorf("filter, mode %d: %q, want sulu/sulu", mode, got)
		}
	}
	ver := map[string]string{"jsonPath": "$.packages[?(@.name != 'sulu/sulu' && @.version)].version"}
	if got := evalMode(t, GitHubCrawler, TypeJSONPath, ver, composer); got != "v5.4.0" {
		t.Errorf("filter with && : %q", got)
	}
	num := map[string]string{"jsonPath": "$.packages[1].n"}
	if got := evalMode(t, GitHubCrawler, TypeJSONPath, num, composer); got != NotFound {
		t.Errorf("number, github-crawler mode: %q, want %q", got, NotFound)
	}
	if got := evalMode(t, Strict, TypeJSONPath, num, composer); got != "3" {
		t.Errorf("number, strict: %q, want 3", got)
	}

	// An undeclared namespace prefix.
	bad := `<project><mvn:modules><module>a</module></mvn:modules></project>`
	cnt := map[string]string{"xpathToMatch": "project/modules"}
	if got := evalMode(t, GitHubCrawler, TypeCountXMLElements, cnt, bad); got != ParseIssue {
		t.Errorf("undeclared prefix, github-crawler mode: %q, want %q", got, ParseIssue)
	}
	if got := evalMode(t, Strict, TypeCountXMLElements, cnt, bad); got != "1" {
		t.Errorf("undeclared prefix, strict: %q, want 1", got)
	}
	declared := `<project xmlns:mvn="urn:x"><mvn:modules/></project>`
	// Declared, the file parses; modules in urn:x is not the unprefixed
	// modules of the XPath.
	if got := evalMode(t, GitHubCrawler, TypeCountXMLElements, cnt, declared); got != "0" {
		t.Errorf("declared prefix, github-crawler mode: %q, want 0", got)
	}

	// A Java lookahead.
	look := map[string]string{"pattern": `version\s*=\s*'([^']+)(?=')`}
	gradle := "dependencies {}\nversion = '1.4.2'\n"
	if got := evalMode(t, GitHubCrawler, TypeRegexpCapture, look, gradle); got != "1.4.2" {
		t.Errorf("lookahead, github-crawler mode: %q, want 1.4.2", got)
	}
	if _, err := CompileMode(TypeRegexpCapture, look, Strict); err == nil || !strings.Contains(err.Error(), "RE2") {
		t.Errorf("lookahead, strict: error %v, want an RE2 syntax error", err)
	}

	// No capture group: a run-time value, not a configuration error.
	none := map[string]string{"pattern": `FROM \S+`}
	p, err := CompileMode(TypeRegexpCapture, none, GitHubCrawler)
	if err != nil || p.CheckPattern() != nil {
		t.Fatalf("no group, github-crawler mode: compile %v, check %v; want both nil", err, p.CheckPattern())
	}
	if got := p.Eval("Dockerfile", []byte("FROM x\n")); got != RegexpConfigIssue {
		t.Errorf("no group, github-crawler mode: %q, want %q", got, RegexpConfigIssue)
	}
	p, _ = CompileMode(TypeRegexpCapture, none, Strict)
	if p.CheckPattern() == nil {
		t.Error("no group, strict: CheckPattern accepted it")
	}
}

// TestGitHubCrawlerModeTimeout checks that a catastrophic pattern gives up.
func TestGitHubCrawlerModeTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("takes the one-second match timeout")
	}
	p, err := CompileMode(TypeRegexpCapture, map[string]string{"pattern": `^(a+)+$`}, GitHubCrawler)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Eval("f", []byte(strings.Repeat("a", 40)+"!")); got != RegexpTimedOut {
		t.Errorf("catastrophic backtracking: %q, want %q", got, RegexpTimedOut)
	}
}

// TestSAXVersionQuirks pins github-crawler's one-pass reading.
func TestSAXVersionQuirks(t *testing.T) {
	for _, tt := range []struct{ pom, artifact, want string }{
		// The first <version> after the artifactId's text counts, even the project's.
		{`<project><parent><version>1</version><artifactId>boot</artifactId></parent><version>0.1</version></project>`, "boot", "0.1"},
		// Text compared as written.
		{`<project><artifactId> boot </artifactId><version>1</version></project>`, "boot", NotFound},
		// Property resolution, and its exact wording when absent.
		{`<project><properties><b>2.7</b></properties><artifactId>boot</artifactId><version>${b}</version></project>`, "boot", "2.7"},
		{`<project><artifactId>boot</artifactId><version>${c}</version></project>`, "boot", "${c}" + PropertyNotFoundIn},
		// Prefixed names are not artifactId to a non-namespace-aware parser.
		{`<m:project xmlns:m="urn:m"><m:artifactId>boot</m:artifactId><m:version>1</m:version></m:project>`, "boot", NotFound},
		// Broken XML before the value.
		{`<project><artifactId>boot</artifactId></projec>`, "boot", XMLErrorPrefix},
	} {
		got := saxVersion([]byte(tt.pom), tt.artifact)
		if got != tt.want && !(tt.want == XMLErrorPrefix && strings.HasPrefix(got, XMLErrorPrefix)) {
			t.Errorf("%s: %q, want %q", tt.pom, got, tt.want)
		}
	}
}

// TestGitHubCrawlerModeXPathNamespaces checks github-crawler's
// namespace-aware XPath: an unprefixed name matches only elements in no
// namespace (local-name() is how its own tests count pom.xml elements), a
// prefix without a binding is a parse issue.
func TestGitHubCrawlerModeXPathNamespaces(t *testing.T) {
	pom := `<project xmlns="http://maven.apache.org/POM/4.0.0"><dependencies><dependency/><dependency/></dependencies></project>`
	plain := `<project><dependencies><dependency/><dependency/></dependencies></project>`
	for _, tt := range []struct {
		xpath, doc string
		mode       Mode
		want       string
	}{
		{"//dependency", pom, Strict, "2"},
		{"//dependency", pom, GitHubCrawler, "0"},
		{"//dependency", plain, GitHubCrawler, "2"},
		{"//*[local-name()='dependency']", pom, GitHubCrawler, "2"},
		{"//mvn:dependency", pom, GitHubCrawler, ParseIssue},
		{"//mvn:dependency", pom, Strict, "2"},
	} {
		if got := evalMode(t, tt.mode, TypeCountXMLElements, map[string]string{"xpathToMatch": tt.xpath}, tt.doc); got != tt.want {
			t.Errorf("%s (mode %d) on %.30s: %q, want %q", tt.xpath, tt.mode, tt.doc, got, tt.want)
		}
	}
}
