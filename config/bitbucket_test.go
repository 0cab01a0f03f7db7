package config

import (
	"strings"
	"testing"
)

func TestBitbucketValidation(t *testing.T) {
	tests := []struct {
		name, block, want string // want: "" for no error
	}{
		{"data center project", "project: ACME\n      api_url: https://bb.example.com/rest/api/1.0\n      token_env: BB_TOKEN", ""},
		{"data center, every repository", "api_url: https://bb.example.com\n      token_env: BB_TOKEN", ""},
		{"personal project", "project: '~ALICE'\n      api_url: https://bb.example.com", ""},
		{"cloud", "workspace: acme\n      project: PLAT\n      username: alice\n      token_env: BB_APP_PASSWORD", ""},
		{"no api_url for data center", "project: ACME",
			"trawl.yaml:2: sources[0].bitbucket.api_url: is required for Bitbucket Data Center/Server"},
		{"project with a slash", "project: ACME/api\n      api_url: https://bb.example.com",
			`trawl.yaml:3: sources[0].bitbucket.project: "ACME/api" is not a project key`},
		{"workspace URL", "workspace: https://bitbucket.org/acme",
			`trawl.yaml:3: sources[0].bitbucket.workspace: "https://bitbucket.org/acme" is not a workspace ID`},
		{"cloud with a data center URL", "workspace: acme\n      api_url: https://bb.example.com/rest/api/1.0",
			"sources[0].bitbucket.api_url: is a Data Center/Server REST URL, but workspace is set"},
		{"username without token", "workspace: acme\n      username: alice",
			"sources[0].bitbucket.username: needs token_env"},
		{"api_url not a URL", "api_url: bb.example.com",
			"sources[0].bitbucket.api_url:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte("sources:\n  - bitbucket:\n      "+tt.block+"\n"), "trawl.yaml")
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if err == nil && cfg.Sources[0].Bitbucket.Concurrency != 4 {
				t.Errorf("concurrency default %d", cfg.Sources[0].Bitbucket.Concurrency)
			}
		})
	}
	cfg, err := Parse([]byte("sources:\n  - bitbucket:\n      workspace: acme\n"), "trawl.yaml")
	if err != nil || cfg.Sources[0].Bitbucket.APIURL != "https://api.bitbucket.org/2.0" {
		t.Errorf("cloud api_url default: %v %+v", err, cfg)
	}
}
