package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestIndicatorsParse(t *testing.T) {
	const src = `sources:
  - dir: /srv
indicators:
  "[pom.xml]":
    - name: boot
      method: findDependencyVersionInXml
      params:
        artifactId: spring-boot-starter-parent
    - name: pomPath
      type: findFilePath
  Dockerfile:
    - name: image
      type: findFirstValueWithRegexpCapture
      params: {pattern: 'FROM\s+(\S+)'}
  "[src/main/resources/application.yml]":
    - name: app
      type: findPropertyValueInYamlFile
      params: {propertyName: spring.application.name}
  package.json:
    - {name: angular, type: findValueForJsonPath, params: {jsonPath: dependencies.@angular/core}}
  modules.xml:
    - name: props
      type: countMatchingXmlElements
      params: {xpathToMatch: "//*[local-name()='properties']/*"}
`
	cfg, err := Parse([]byte(src), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Indicators{
		{Path: "pom.xml", Indicators: []Indicator{
			{Name: "boot", Type: "findDependencyVersionInXml", Params: map[string]string{"artifactId": "spring-boot-starter-parent"}},
			{Name: "pomPath", Type: "findFilePath"},
		}},
		{Path: "Dockerfile", Indicators: []Indicator{{Name: "image", Type: "findFirstValueWithRegexpCapture", Params: map[string]string{"pattern": `FROM\s+(\S+)`}}}},
		{Path: "src/main/resources/application.yml", Indicators: []Indicator{{Name: "app", Type: "findPropertyValueInYamlFile", Params: map[string]string{"propertyName": "spring.application.name"}}}},
		{Path: "package.json", Indicators: []Indicator{{Name: "angular", Type: "findValueForJsonPath", Params: map[string]string{"jsonPath": "dependencies.@angular/core"}}}},
		{Path: "modules.xml", Indicators: []Indicator{{Name: "props", Type: "countMatchingXmlElements", Params: map[string]string{"xpathToMatch": "//*[local-name()='properties']/*"}}}},
	}
	// Each parser is compiled once, when the file is read.
	for fi, f := range cfg.Indicators {
		for ii, ind := range f.Indicators {
			if ind.Parser() == nil || ind.Parser().Type() != ind.Type {
				t.Errorf("%s %s: parser %v, want one of type %s", f.Path, ind.Name, ind.Parser(), ind.Type)
			}
			cfg.Indicators[fi].Indicators[ii].compiled = nil
		}
	}
	if !reflect.DeepEqual(cfg.Indicators, want) {
		t.Errorf("Indicators =\n%#v\nwant\n%#v", cfg.Indicators, want)
	}
	if got := cfg.Indicators.Paths(); !reflect.DeepEqual(got, []string{"pom.xml", "Dockerfile", "src/main/resources/application.yml", "package.json", "modules.xml"}) {
		t.Errorf("Paths() = %q", got)
	}
}

func TestIndicatorsErrors(t *testing.T) {
	const src = "sources:\n  - dir: /srv\nindicators:\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"not a mapping", src[:len(src)-1] + " [a]\n",
			`trawl.yaml:3: indicators: must be a mapping of file paths to lists of indicators, not a list`},
		{"unknown type", src + "  pom.xml:\n    - name: x\n      type: findMagic\n",
			`trawl.yaml:6: indicators.pom.xml[0].type: unknown type "findMagic" (use one of countMatchingXmlElements, findDependencyVersionInXml, findFilePath, findFirstValueWithRegexpCapture, findPropertyValueInYamlFile, findValueForJsonPath)`},
		{"missing type", src + "  pom.xml:\n    - name: x\n",
			`trawl.yaml:5: indicators.pom.xml[0]: type is required (one of countMatchingXmlElements, findDependencyVersionInXml, findFilePath, findFirstValueWithRegexpCapture, findPropertyValueInYamlFile, findValueForJsonPath)`},
		{"missing name", src + "  pom.xml:\n    - type: findFilePath\n",
			`trawl.yaml:5: indicators.pom.xml[0]: name is required`},
		{"unknown key", src + "  pom.xml:\n    - name: x\n      type: findFilePath\n      parms: {}\n",
			`trawl.yaml:7: indicators.pom.xml[0]: unknown key "parms"`},
		{"missing param", src + "  pom.xml:\n    - name: x\n      type: findDependencyVersionInXml\n      params:\n        groupId: g\n",
			`trawl.yaml:7: indicators.pom.xml[0].params: artifactId is required for type findDependencyVersionInXml`},
		{"missing params", src + "  pom.xml:\n    - name: x\n      type: findDependencyVersionInXml\n",
			`trawl.yaml:5: indicators.pom.xml[0]: params.artifactId is required for type findDependencyVersionInXml`},
		{"bad regex", src + "  Dockerfile:\n    - name: x\n      type: findFirstValueWithRegexpCapture\n      params:\n        pattern: 'a(?=b)'\n",
			"trawl.yaml:8: indicators.Dockerfile[0].params.pattern: invalid regular expression (RE2 syntax): invalid or unsupported Perl syntax: `(?=` (compatibility: github-crawler accepts it, as github-crawler does)"},
		{"no capture group", src + "  Dockerfile:\n    - name: x\n      type: findFirstValueWithRegexpCapture\n      params:\n        pattern: 'FROM .*'\n",
			`trawl.yaml:8: indicators.Dockerfile[0].params.pattern: must have exactly one capture group, has 0 (compatibility: github-crawler accepts it, as github-crawler does)`},
		{"bad xpath", src + "  pom.xml:\n    - name: x\n      type: countMatchingXmlElements\n      params:\n        xpathToMatch: '//a[contains(., \"x\")]'\n",
			`trawl.yaml:8: indicators.pom.xml[0].params.xpathToMatch: XPath "//a[contains(., \"x\")]": unsupported predicate [contains(., "x")]`},
		{"bad json path", src + "  package.json:\n    - name: x\n      type: findValueForJsonPath\n      params:\n        jsonPath: '$.a[1:3]'\n",
			`trawl.yaml:8: indicators.package.json[0].params.jsonPath: JSON path "$.a[1:3]": unsupported [1:3] (supported: ['name'], [N], [*])`},
		{"absolute path", src + "  /pom.xml:\n    - {name: x, type: findFilePath}\n",
			`trawl.yaml:4: indicators./pom.xml: file path "/pom.xml" must be relative to the repository root (no leading /)`},
		{"duplicate name", src + "  pom.xml:\n    - {name: x, type: findFilePath}\n    - {name: x, type: findFilePath}\n",
			`trawl.yaml:6: indicators.pom.xml[1]: indicator "x" is given twice for this file`},
		{"same path twice", src + "  pom.xml:\n    - {name: x, type: findFilePath}\n  '[pom.xml]':\n    - {name: y, type: findFilePath}\n",
			`trawl.yaml:6: indicators.[pom.xml]: file path "pom.xml" is given twice`},
		{"empty list", src + "  pom.xml: []\n",
			`trawl.yaml:4: indicators.pom.xml: must be a list of indicators (name, type, params)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "trawl.yaml")
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			if got := strings.TrimSpace(err.Error()); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
