package config

// Gitea lists the repositories of a Gitea or Forgejo organisation or user.
type Gitea struct {
	Org              string `yaml:"org"`
	User             string `yaml:"user"`
	APIURL           string `yaml:"api_url"` // https://gitea.example.com/api/v1 (Codeberg: https://codeberg.org/api/v1)
	TokenEnv         string `yaml:"token_env"`
	WebhookSecretEnv string `yaml:"webhook_secret_env"`
	IncludeForks     bool   `yaml:"include_forks"`
	IncludeArchived  bool   `yaml:"include_archived"`
	Topics           Filter `yaml:"topics"` // RE2 on topic names
	Concurrency      int    `yaml:"concurrency"`
}

func (c *checker) gitea(path string, g *Gitea) {
	if (g.Org == "") == (g.User == "") {
		c.errorf(path, "set exactly one of org or user")
	}
	if g.APIURL == "" {
		c.errorf(path+".api_url", "is required: the instance's API, e.g. https://gitea.example.com/api/v1")
	}
	c.forgeAPI(path, &g.APIURL, "", g.TokenEnv, g.WebhookSecretEnv, &g.Concurrency)
	c.filter(path+".topics", &g.Topics)
}
