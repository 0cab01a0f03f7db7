package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func eval(t *testing.T, typ string, params map[string]string, path string, text []byte) string {
	t.Helper()
	p, err := Compile(typ, params)
	if err != nil {
		t.Fatalf("Compile(%s, %v): %v", typ, params, err)
	}
	return p.Eval(path, text)
}

func TestDependencyVersionInXML(t *testing.T) {
	pom := read(t, "pom.xml")
	tests := []struct{ artifact, want string }{
		{"spring-boot-starter-parent", "3.2.4"},
		{"api", "1.0.0-SNAPSHOT"},
		{"junit", "4.13.2"},
		{"jackson-databind", "2.17.0"},                         // version before artifactId, from a property
		{"guava", "33.1.0-jre"},                                // property names compare case-insensitively, as SAX qName.equals(ignoreCase)
		{"slf4j-api", "${slf4j.version}" + PropertyNotFoundIn}, // github-crawler's exact wording
		{"spring-boot-starter-web", VersionNotFound},           // managed version
		{"log4j-core", NotFound},                               // absent
		{"spring-boot", NotFound},                              // prefix only
	}
	for _, tt := range tests {
		if got := eval(t, TypeDependencyVersionInXML, map[string]string{"artifactId": tt.artifact}, "pom.xml", pom); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.artifact, got, tt.want)
		}
	}
	got := eval(t, TypeDependencyVersionInXML, map[string]string{"artifactId": "x"}, "pom.xml", []byte("<project><artifactId>x</artifactId>"))
	if !strings.HasPrefix(got, XMLErrorPrefix) {
		t.Errorf("broken XML: got %q, want the %q sentinel", got, XMLErrorPrefix)
	}
}

func TestRegexpCapture(t *testing.T) {
	dockerfile := []byte("# base\nFROM registry.example.com/base/eclipse-temurin:21-jre AS run\nRUN true\n")
	tests := []struct{ pattern, want string }{
		{`FROM\s.*\/(.*)\s?.*`, "eclipse-temurin:21-jre AS run"}, // github-crawler's own sample, greedy as in Java
		{`FROM \S+/([^/\s]+)`, "eclipse-temurin:21-jre"},
		{`(?m)^RUN (.*)$`, "true"},
		{`ENTRYPOINT (.*)`, NotFound},
		{`FROM (\S+) AS (\S+)`, RegexpConfigIssue},
		{`FROM \S+`, RegexpConfigIssue},
	}
	for _, tt := range tests {
		if got := eval(t, TypeRegexpCapture, map[string]string{"pattern": tt.pattern}, "Dockerfile", dockerfile); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func TestYAMLProperty(t *testing.T) {
	yml := read(t, "application.yml")
	tests := []struct{ prop, want string }{
		{"spring.application.name", "api-service"},
		{"spring.datasource.url", "jdbc:postgresql://db/api"}, // flat key below a nested one
		{"interesting.valueAsList", "item1, item2"},
		{"interesting.semiNested.property", "semiNestedValue"},
		{"interesting.port", "8080"},
		{"boolean.property", "true"},
		{"server.ssl.key-store", "hello"}, // second document
		{"interesting.empty", NotFound},
		{"interesting", NotFound}, // a mapping is no value
		{"spring.application.name.more", NotFound},
		{"nothing.here", NotFound},
	}
	for _, tt := range tests {
		if got := eval(t, TypeYAMLProperty, map[string]string{"propertyName": tt.prop}, "application.yml", yml); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.prop, got, tt.want)
		}
	}
	got := eval(t, TypeYAMLProperty, map[string]string{"propertyName": "a"}, "x.yml", []byte("a: [1, 2\nb: {"))
	if !strings.HasPrefix(got, ParseIssuePrefix) {
		t.Errorf("broken YAML: got %q, want the %q sentinel", got, ParseIssuePrefix)
	}
	// A document before the broken one still answers, as snakeyaml's lazy loadAll does.
	if got := eval(t, TypeYAMLProperty, map[string]string{"propertyName": "a"}, "x.yml", []byte("a: 1\n---\nb: [\n")); got != "1" {
		t.Errorf("value before a broken document: got %q, want 1", got)
	}
}

func TestJSONPath(t *testing.T) {
	pkg := read(t, "package.json")
	tests := []struct{ path, want string }{
		{"dependencies.@angular/core", "^17.3.0"}, // github-crawler's own test: no $, names with @ and /
		{"$.dependencies.rxjs", "~7.8.0"},
		{"$['devDependencies']['typescript']", "5.4.2"},
		{"workspaces", "packages/a"}, // a list gives its first element
		{"$.workspaces[-1]", "packages/b"},
		{"$..node", ">=20"},
		{"$.build.targets[*].name", "es2022"},
		{"$.build.retries", "3"},
		{"private", "true"},
		{"dependencies.@someLib", NotFound},
		{"dependencies", NotFound}, // an object is no value
		{"$.workspaces[5]", NotFound},
	}
	for _, tt := range tests {
		if got := eval(t, TypeJSONPath, map[string]string{"jsonPath": tt.path}, "package.json", pkg); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.path, got, tt.want)
		}
	}
	got := eval(t, TypeJSONPath, map[string]string{"jsonPath": "a"}, "x.json", []byte(`{"a": `))
	if !strings.HasPrefix(got, ParseIssuePrefix) {
		t.Errorf("broken JSON: got %q, want the %q sentinel", got, ParseIssuePrefix)
	}
}

func TestCountMatchingXMLElements(t *testing.T) {
	pom := read(t, "pom.xml")
	tests := []struct{ xpath, want string }{
		{"//*[local-name()='project']/*[local-name()='properties']/*", "3"}, // github-crawler's own test form
		{"//*[local-name()='project']/*[local-name()='modules']/*", "0"},
		{"/project/dependencies/dependency", "5"}, // names match within the default namespace
		{"//dependency[scope='test']", "1"},
		{"//dependency[version]", "4"},
		{"//dependency[1]/artifactId", "1"},
		{"//dependency[last()]/artifactId[text()='junit']", "1"},
		{"//artifactId", "7"},
		{"//groupId[.='org.springframework.boot']", "2"},
		{"/project/@*", "0"}, // namespace declarations are not attributes
		{"//pom:dependency[pom:groupId='junit' and pom:scope='test']", "1"},
		{"project", "1"},
	}
	for _, tt := range tests {
		if got := eval(t, TypeCountXMLElements, map[string]string{"xpathToMatch": tt.xpath}, "pom.xml", pom); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.xpath, got, tt.want)
		}
	}
	got := eval(t, TypeCountXMLElements, map[string]string{"xpathToMatch": "//a"}, "x.xml", []byte("<a><b></a>"))
	if !strings.HasPrefix(got, XMLErrorPrefix) {
		t.Errorf("broken XML: got %q, want the %q sentinel", got, XMLErrorPrefix)
	}
}

func TestFilePath(t *testing.T) {
	if got := eval(t, TypeFilePath, nil, "services/api/pom.xml", []byte("whatever")); got != "services/api/pom.xml" {
		t.Errorf("got %q", got)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		typ    string
		params map[string]string
		param  string // the ParamError's Param
	}{
		{"findMagic", nil, ""},
		{TypeDependencyVersionInXML, nil, "artifactId"},
		{TypeRegexpCapture, map[string]string{"pattern": "a("}, "pattern"},
		{TypeYAMLProperty, map[string]string{"propertyName": " "}, "propertyName"},
		{TypeJSONPath, map[string]string{"jsonPath": "$.a[1:3]"}, "jsonPath"},
		{TypeCountXMLElements, map[string]string{"xpathToMatch": "//a[contains(.,'x')]"}, "xpathToMatch"},
		{TypeCountXMLElements, map[string]string{"xpathToMatch": "//a/@b/c"}, "xpathToMatch"},
		{TypeCountXMLElements, map[string]string{"xpathToMatch": "//a[0]"}, "xpathToMatch"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.typ, tt.params)
		pe, ok := err.(*ParamError)
		if !ok {
			t.Errorf("Compile(%s, %v) = %v, want a *ParamError", tt.typ, tt.params, err)
			continue
		}
		if pe.Param != tt.param {
			t.Errorf("Compile(%s, %v): error about %q (%v), want %q", tt.typ, tt.params, pe.Param, pe, tt.param)
		}
	}
}
