package config

// GitLab lists the projects of a group (with every subgroup) or a user,
// on gitlab.com or a self-managed instance.
type GitLab struct {
	Group            string `yaml:"group"`
	User             string `yaml:"user"`
	APIURL           string `yaml:"api_url"`   // default https://gitlab.com/api/v4
	TokenEnv         string `yaml:"token_env"` // project, group or personal access token
	WebhookSecretEnv string `yaml:"webhook_secret_env"`
	IncludeForks     bool   `yaml:"include_forks"`
	IncludeArchived  bool   `yaml:"include_archived"`
	Topics           Filter `yaml:"topics"` // RE2 on topic names
	Concurrency      int    `yaml:"concurrency"`
}

func (c *checker) gitlab(path string, g *GitLab) {
	if (g.Group == "") == (g.User == "") {
		c.errorf(path, "set exactly one of group or user")
	}
	c.forgeAPI(path, &g.APIURL, "https://gitlab.com/api/v4", g.TokenEnv, g.WebhookSecretEnv, &g.Concurrency)
	c.filter(path+".topics", &g.Topics)
}
