package config

import "regexp"

// Gitea lists the repositories of a Gitea or Forgejo organisation or user
// (Codeberg runs Forgejo: api_url https://codeberg.org/api/v1).
type Gitea struct {
	Org              string `yaml:"org"`
	User             string `yaml:"user"`
	APIURL           string `yaml:"api_url"`   // https://gitea.example.com/api/v1; an address without a path gets /api/v1
	TokenEnv         string `yaml:"token_env"` // optional: without it, public repositories only
	WebhookSecretEnv string `yaml:"webhook_secret_env"`
	IncludeForks     bool   `yaml:"include_forks"`
	IncludeArchived  bool   `yaml:"include_archived"`
	Topics           Filter `yaml:"topics"` // RE2 on topic names
	Concurrency      int    `yaml:"concurrency"`
}

// giteaName is what Gitea and Forgejo accept as a user or organisation
// name (alphanumerics, '-', '_' and '.'): anything else, a '/' above
// all, cannot name an owner and would change the API path.
var giteaName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func (c *checker) gitea(path string, g *Gitea) {
	if (g.Org == "") == (g.User == "") {
		c.errorf(path, "set exactly one of org or user")
	}
	for _, f := range []struct{ key, v string }{{"org", g.Org}, {"user", g.User}} {
		if f.v != "" && !giteaName.MatchString(f.v) {
			c.errorf(path+"."+f.key, "%s is not a Gitea name (letters, digits, '-', '_' and '.'; one owner, without a repository)", show(f.v))
		}
	}
	if g.APIURL == "" {
		c.errorf(path+".api_url", "is required: the instance's API, e.g. https://gitea.example.com/api/v1 (Codeberg: https://codeberg.org/api/v1)")
	}
	c.forgeAPI(path, &g.APIURL, "", g.TokenEnv, g.WebhookSecretEnv, &g.Concurrency)
	c.filter(path+".topics", &g.Topics)
}
