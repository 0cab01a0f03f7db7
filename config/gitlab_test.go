package config

import (
	"strings"
	"testing"
)

func TestGitLabValidation(t *testing.T) {
	tests := []struct {
		name, block, want string // want: "" for no error
	}{
		{"group", "group: acme", ""},
		{"subgroup, self-managed", "group: acme/platform\n      api_url: https://gitlab.example.com/api/v4\n      token_env: GITLAB_TOKEN", ""},
		{"instance URL without /api/v4", "user: jdoe\n      api_url: https://gitlab.example.com/gitlab", ""},
		{"both", "group: acme\n      user: jdoe", "sources[0].gitlab: set exactly one of group or user"},
		{"neither", "include_forks: true", "sources[0].gitlab: set exactly one of group or user"},
		{"group URL", "group: https://gitlab.com/acme",
			`trawl.yaml:3: sources[0].gitlab.group: "https://gitlab.com/acme" is not a group path`},
		{"trailing slash", "group: acme/", `sources[0].gitlab.group: "acme/" is not a group path`},
		{"user with a slash", "user: acme/jdoe", `sources[0].gitlab.user: "acme/jdoe" is not a username`},
		{"api v3", "group: acme\n      api_url: https://gitlab.example.com/api/v3",
			"trawl.yaml:4: sources[0].gitlab.api_url: \"https://gitlab.example.com/api/v3\" names another API version"},
		{"api_url not a URL", "group: acme\n      api_url: gitlab.example.com", "sources[0].gitlab.api_url:"},
		{"bad topic pattern", "group: acme\n      topics:\n        include: ['(']", "sources[0].gitlab.topics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte("sources:\n  - gitlab:\n      "+tt.block+"\n"), "trawl.yaml")
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if err == nil && cfg.Sources[0].GitLab.Concurrency != 4 {
				t.Errorf("concurrency default %d", cfg.Sources[0].GitLab.Concurrency)
			}
		})
	}
	cfg, err := Parse([]byte("sources:\n  - gitlab:\n      group: acme\n"), "trawl.yaml")
	if err != nil || cfg.Sources[0].GitLab.APIURL != "https://gitlab.com/api/v4" {
		t.Errorf("api_url default: %v %+v", err, cfg)
	}
}
