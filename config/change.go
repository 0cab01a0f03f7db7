package config

import (
	"fmt"
	"regexp"
	"strings"
)

// Change configures trawl change (DESIGN.md §9): who commits, which
// credentials push and open pull requests, and how large a campaign may be
// before apply asks for --yes.
//
//	change:
//	  max_repos: 10                  # apply refuses more repositories without --yes
//	  author: {name: trawl, email: trawl@example.com}
//	  write:                         # first entry whose repos matches wins
//	    - repos: '^acme/'
//	      write_token_env: GITHUB_WRITE_TOKEN
//	    - repos: '^git\.example\.com/'
//	      username: ci
//	      write_token_env: GIT_WRITE_PASSWORD
//
// The read token of a source (token_env, password_env) is never used to
// write: a repository without a write entry, and without a GitHub App on
// its source, cannot be pushed to.
type Change struct {
	MaxRepos int           `yaml:"max_repos"` // default 10; 0 means the default
	Author   ChangeAuthor  `yaml:"author"`
	Write    []ChangeWrite `yaml:"write"`
}

// ChangeAuthor is the author and committer of the commits trawl makes.
type ChangeAuthor struct {
	Name  string `yaml:"name"`  // default trawl
	Email string `yaml:"email"` // default trawl@localhost
}

// ChangeWrite holds the write credentials for the repositories whose full
// name matches Repos (RE2, unanchored; empty matches every repository).
type ChangeWrite struct {
	Repos         string `yaml:"repos"`
	Username      string `yaml:"username"`        // basic-auth user for pushes; default x-access-token
	WriteTokenEnv string `yaml:"write_token_env"` // variable holding the token or password
}

// change checks the change section; each problem names its key and line.
func (c *checker) change(ch *Change) {
	if ch.MaxRepos < 0 {
		c.errorf("change.max_repos", "must be 0 (the default, 10) or more")
	}
	for _, f := range []struct{ path, v string }{{"change.author.name", ch.Author.Name}, {"change.author.email", ch.Author.Email}} {
		if strings.ContainsAny(f.v, "<>\n\r") {
			c.errorf(f.path, "must not hold <, > or a line break")
		}
	}
	for i, w := range ch.Write {
		path := fmt.Sprintf("change.write[%d]", i)
		if _, err := regexp.Compile(w.Repos); err != nil {
			c.errorf(path+".repos", "%s", err)
		}
		if w.WriteTokenEnv == "" {
			c.errorf(path+".write_token_env", "is required: name the environment variable holding the write token")
		}
		c.env(path+".write_token_env", w.WriteTokenEnv)
	}
}
