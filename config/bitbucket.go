package config

import (
	"regexp"
	"strings"
)

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

// bitbucketKeyRE is a project key: letters, digits and underscores (Data
// Center's rule), with "~" before a user's personal project.
var bitbucketKeyRE = regexp.MustCompile(`^~?[A-Za-z0-9_][A-Za-z0-9_-]*$`)

// bitbucketWorkspaceRE is a Cloud workspace ID as it appears in URLs.
var bitbucketWorkspaceRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func (c *checker) bitbucket(path string, b *Bitbucket) {
	def := "https://api.bitbucket.org/2.0"
	if b.Workspace == "" {
		def = ""
		if b.APIURL == "" {
			c.errorf(path+".api_url", "is required for Bitbucket Data Center/Server (https://bitbucket.example.com/rest/api/1.0); set workspace for Bitbucket Cloud")
		}
	} else if !bitbucketWorkspaceRE.MatchString(b.Workspace) {
		c.errorf(path+".workspace", "%s is not a workspace ID (letters, digits, '-', '_' and '.', as in bitbucket.org/WORKSPACE)", show(b.Workspace))
	}
	if b.Workspace != "" && strings.Contains(b.APIURL, "/rest/api/") {
		c.errorf(path+".api_url", "is a Data Center/Server REST URL, but workspace is set (Bitbucket Cloud): drop workspace, or api_url")
	}
	if b.Project != "" && !bitbucketKeyRE.MatchString(b.Project) {
		c.errorf(path+".project", "%s is not a project key (letters, digits and _, as in /projects/KEY)", show(b.Project))
	}
	if b.Username != "" && b.TokenEnv == "" {
		c.errorf(path+".username", "needs token_env: the user name goes with a token or app password")
	}
	c.forgeAPI(path, &b.APIURL, def, b.TokenEnv, b.WebhookSecretEnv, &b.Concurrency)
}
