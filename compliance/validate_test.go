package compliance

import (
	"errors"
	"testing"

	"github.com/trawl-dev/trawl/config"
)

// TestValidate: a rule whose query, dependency or constraint does not parse
// is refused at the value's line and key path, as config.Parse refuses a
// rule it cannot decode, and every bad rule is reported, not the first.
func TestValidate(t *testing.T) {
	const src = "sources:\n  - dir: /srv\nindicators:\n  pom.xml:\n    - {name: bootVersion, type: findDependencyVersionInXml, params: {artifactId: spring-boot-starter-parent}}\nrules:\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"bad query", "  - id: a\n    forbid_match: '/foo(/'\n",
			"trawl.yaml:8: rules[0].forbid_match: query \"/foo(/\" does not parse: parse error at 1: term /foo(/: bad regexp: error parsing regexp: missing closing ): `foo(`"},
		{"bad require query", "  - id: a\n    require_match: 'case:maybe x'\n",
			"trawl.yaml:8: rules[0].require_match: query \"case:maybe x\" does not parse: parse error at 0: case: wants yes, no or auto, not \"maybe\""},
		{"bad range", "  - id: a\n    forbid_dependency: {name: g:a, version: '>=x'}\n",
			`trawl.yaml:8: rules[0].forbid_dependency.version: version range ">=x": parse range ">=x": version "x": no digit`},
		{"bad target", "  - id: a\n    forbid_dependency: {name: 'pkg:'}\n",
			`trawl.yaml:8: rules[0].forbid_dependency: purl "pkg:": want pkg:type/name[@version]`},
		{"bad constraint", "  - id: a\n    indicator: {name: bootVersion, constraint: '>= x'}\n",
			`trawl.yaml:8: rules[0].indicator.constraint: parse range ">= x": version "x": no digit`},
		{"all reported", "  - id: a\n    forbid_match: '/(/'\n  - id: b\n    forbid_match: '/)/'\n",
			"trawl.yaml:8: rules[0].forbid_match: query \"/(/\" does not parse: parse error at 1: term /(/: bad regexp: error parsing regexp: missing closing ): `(`\n" +
				"trawl.yaml:10: rules[1].forbid_match: query \"/)/\" does not parse: parse error at 1: term /)/: bad regexp: error parsing regexp: unexpected ): `)`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(src+tt.yaml), "trawl.yaml")
			if err != nil {
				t.Fatalf("config.Parse refused what only Validate should: %v", err)
			}
			err = Validate(cfg.Rules)
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Line == 0 {
				t.Errorf("error %v is not a *config.Error with a line", err)
			}
		})
	}
	cfg, err := config.Parse([]byte(src+"  - id: ok\n    forbid_match: 'log4j-core'\n  - id: dep\n    forbid_dependency: {name: g:a, version: '<2'}\n  - id: ind\n    indicator: {name: bootVersion, constraint: '>= 3.2'}\n"), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(cfg.Rules); err != nil {
		t.Errorf("good rules refused: %v", err)
	}
}
