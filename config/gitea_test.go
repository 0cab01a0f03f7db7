package config

import (
	"strings"
	"testing"
)

func TestGiteaBlock(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"org and user", "      org: acme\n      user: bob\n      api_url: https://gitea.example.com/api/v1\n",
			"trawl.yaml:2: sources[0].gitea: set exactly one of org or user"},
		{"no api_url", "      org: acme\n",
			"trawl.yaml:2: sources[0].gitea.api_url: is required"},
		{"api_url not http", "      org: acme\n      api_url: gitea.example.com\n",
			"trawl.yaml:4: sources[0].gitea.api_url: must be an http or https URL"},
		{"org with a repository", "      org: acme/api\n      api_url: https://codeberg.org\n",
			`trawl.yaml:3: sources[0].gitea.org: "acme/api" is not a Gitea name`},
		{"user with a space", "      user: a b\n      api_url: https://codeberg.org\n",
			`trawl.yaml:3: sources[0].gitea.user: "a b" is not a Gitea name`},
		{"topic regex", "      org: acme\n      api_url: https://codeberg.org\n      topics: {include: ['(']}\n",
			"trawl.yaml:5: sources[0].gitea.topics.include[0]: invalid regular expression"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte("sources:\n  - gitea:\n"+tc.yaml), "trawl.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	cfg, err := Parse([]byte("sources:\n  - gitea:\n      org: forgejo\n      api_url: https://codeberg.org/api/v1\n"), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if g := cfg.Sources[0].Gitea; g == nil || g.Org != "forgejo" || g.Concurrency != 4 {
		t.Errorf("parsed %+v", cfg.Sources[0].Gitea)
	}
}
