package config

import "strings"

// Azure lists the Git repositories of an Azure DevOps organisation (every
// project, or one), on Azure DevOps Services or Server.
type Azure struct {
	// Organization is the organisation on Services (dev.azure.com/acme:
	// acme), the collection on Server (DefaultCollection).
	Organization string `yaml:"organization"`
	Project      string `yaml:"project"` // optional: every project when absent
	// APIURL defaults to https://dev.azure.com; a legacy
	// https://acme.visualstudio.com works too. Server:
	// https://tfs.example.com/tfs (the collection is appended) or
	// https://tfs.example.com/tfs/DefaultCollection.
	APIURL           string `yaml:"api_url"`
	TokenEnv         string `yaml:"token_env"` // personal access token: Code (Read), Project and Team (Read)
	WebhookSecretEnv string `yaml:"webhook_secret_env"`
	IncludeForks     bool   `yaml:"include_forks"`
	Concurrency      int    `yaml:"concurrency"`
}

func (c *checker) azure(path string, a *Azure) {
	switch {
	case a.Organization == "":
		c.errorf(path+".organization", "is required (the organisation, or the collection on Azure DevOps Server)")
	case strings.ContainsAny(a.Organization, `/\?#`):
		c.errorf(path+".organization", "%s is a name, not a path or URL (put the host in api_url)", show(a.Organization))
	}
	if strings.ContainsAny(a.Project, `/\?#`) {
		c.errorf(path+".project", "%s is a project name, not a path", show(a.Project))
	}
	c.forgeAPI(path, &a.APIURL, "https://dev.azure.com", a.TokenEnv, a.WebhookSecretEnv, &a.Concurrency)
}
