package config

import (
	"strings"
	"testing"
)

// TestAzure: the azure block's defaults, and errors naming the key.
func TestAzure(t *testing.T) {
	cfg, err := Parse([]byte("sources:\n  - azure:\n      organization: acme\n"), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Sources[0].Azure; a.APIURL != "https://dev.azure.com" || a.Concurrency != 4 {
		t.Errorf("defaults: %+v", a)
	}
	for _, c := range []struct{ yaml, want string }{
		{"      project: web\n", "trawl.yaml:2: sources[0].azure.organization: is required"},
		{"      organization: dev.azure.com/acme\n", `sources[0].azure.organization: "dev.azure.com/acme" is a name, not a path or URL`},
		{"      organization: acme\n      project: web/api\n", `sources[0].azure.project: "web/api" is a project name`},
		{"      organization: acme\n      api_url: dev.azure.com\n", "sources[0].azure.api_url"},
	} {
		_, err := Parse([]byte("sources:\n  - azure:\n"+c.yaml), "trawl.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
}
