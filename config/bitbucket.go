package config

// Bitbucket lists the repositories of a Bitbucket Data Center/Server
// project (or every one the token sees), or of a Bitbucket Cloud
// workspace.
type Bitbucket struct {
	Project          string `yaml:"project"`   // Data Center/Server project key; with workspace, a Cloud project key
	Workspace        string `yaml:"workspace"` // Bitbucket Cloud
	APIURL           string `yaml:"api_url"`   // Data Center/Server: https://bitbucket.example.com/rest/api/1.0; Cloud: https://api.bitbucket.org/2.0
	Username         string `yaml:"username"`  // Cloud app passwords and clones: the account's user name
	TokenEnv         string `yaml:"token_env"` // HTTP access token, app password or access token
	WebhookSecretEnv string `yaml:"webhook_secret_env"`
	IncludeForks     bool   `yaml:"include_forks"`
	IncludeArchived  bool   `yaml:"include_archived"`
	Concurrency      int    `yaml:"concurrency"`
}

func (c *checker) bitbucket(path string, b *Bitbucket) {
	def := "https://api.bitbucket.org/2.0"
	if b.Workspace == "" {
		def = ""
		if b.APIURL == "" {
			c.errorf(path+".api_url", "is required for Bitbucket Data Center/Server (https://bitbucket.example.com/rest/api/1.0); set workspace for Bitbucket Cloud")
		}
	}
	c.forgeAPI(path, &b.APIURL, def, b.TokenEnv, b.WebhookSecretEnv, &b.Concurrency)
}
