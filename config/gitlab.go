package config

import (
	"net/url"
	"strings"
)

// GitLab lists the projects of a group (with every subgroup) or a user,
// on gitlab.com or a self-managed instance.
type GitLab struct {
	Group            string `yaml:"group"`     // full path: acme or acme/platform
	User             string `yaml:"user"`      // username
	APIURL           string `yaml:"api_url"`   // default https://gitlab.com/api/v4; /api/v4 is added when missing
	TokenEnv         string `yaml:"token_env"` // project, group or personal access token (read_api, read_repository)
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
	if g.Group != "" && !gitlabPath(g.Group) {
		c.errorf(path+".group", "%q is not a group path (as in the group's URL: acme or acme/platform)", g.Group)
	}
	if g.User != "" && (strings.Contains(g.User, "/") || !gitlabPath(g.User)) {
		c.errorf(path+".user", "%q is not a username", g.User)
	}
	c.forgeAPI(path, &g.APIURL, "https://gitlab.com/api/v4", g.TokenEnv, g.WebhookSecretEnv, &g.Concurrency)
	if u, err := url.Parse(g.APIURL); err == nil && u.Host != "" && u.Path != "" &&
		strings.TrimSuffix(u.Path, "/") != "/api/v4" && !strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v4") &&
		strings.Contains(u.Path, "/api/") {
		c.errorf(path+".api_url", "%q names another API version: trawl speaks GitLab's REST API v4 (…/api/v4)", g.APIURL)
	}
	c.filter(path+".topics", &g.Topics)
}

// gitlabPath reports whether p can be a namespace path: segments of
// letters, digits, '_', '-' and '.', separated by single slashes, not
// starting or ending with one.
func gitlabPath(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for _, r := range seg {
			if !(r == '_' || r == '-' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}
