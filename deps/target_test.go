package deps

import "testing"

func TestMatchUnresolvedPropertyIsUndecided(t *testing.T) {
	r, err := ParseRange("maven", "<2.0")
	if err != nil {
		t.Fatal(err)
	}
	in, known := r.Match(Dependency{Version: "${slf4j.version}"})
	if in || known {
		t.Errorf("Match(${slf4j.version}) = %v, %v; want undecided", in, known)
	}
}

func TestParseTarget(t *testing.T) {
	cases := []struct{ target, rng, eco, name, inside, outside string }{
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "", "maven", "org.apache.logging.log4j:log4j-core", "2.14.1", "2.14.2"},
		{"pkg:npm/%40babel/core", "<7.20.0", "npm", "@babel/core", "7.19.9", "7.20.0"},
		{"pkg:pypi/Django_REST.framework", ">=3.0", "pypi", "django-rest-framework", "3.1", "2.9"},
		{"org.apache.logging.log4j:log4j-core", "vers:maven/>=2.0|<2.17.1", "", "org.apache.logging.log4j:log4j-core", "2.14.1", "2.17.1"},
		{"github.com/google/uuid", "<v1.6.0", "", "github.com/google/uuid", "v1.3.0", "v1.6.0"},
	}
	for _, c := range cases {
		f, err := ParseTarget(c.target, c.rng)
		if err != nil {
			t.Fatalf("ParseTarget(%q, %q): %v", c.target, c.rng, err)
		}
		if f.Ecosystem != c.eco || len(f.Names) != 1 || f.Names[0] != c.name {
			t.Errorf("ParseTarget(%q) = %q %q, want %q %q", c.target, f.Ecosystem, f.Names, c.eco, c.name)
		}
		if !f.Range.Contains(c.inside) || f.Range.Contains(c.outside) {
			t.Errorf("%q %q: range should hold %s and not %s", c.target, c.rng, c.inside, c.outside)
		}
	}
	if _, err := ParseTarget("pkg:nothing", ""); err == nil {
		t.Error("a purl without a name parsed")
	}
}
