package config

// Azure lists the Git repositories of an Azure DevOps organisation (every
// project, or one), on Azure DevOps Services or Server.
type Azure struct {
	Organization     string `yaml:"organization"` // Server: the collection, e.g. DefaultCollection
	Project          string `yaml:"project"`      // optional: every project when absent
	APIURL           string `yaml:"api_url"`      // default https://dev.azure.com; Server: https://tfs.example.com/tfs
	TokenEnv         string `yaml:"token_env"`    // personal access token
	WebhookSecretEnv string `yaml:"webhook_secret_env"`
	IncludeForks     bool   `yaml:"include_forks"`
	Concurrency      int    `yaml:"concurrency"`
}

func (c *checker) azure(path string, a *Azure) {
	if a.Organization == "" {
		c.errorf(path+".organization", "is required")
	}
	c.forgeAPI(path, &a.APIURL, "https://dev.azure.com", a.TokenEnv, a.WebhookSecretEnv, &a.Concurrency)
}
