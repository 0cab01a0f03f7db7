// Package config owns trawl.yaml: its structure, defaults and validation.
// Every error names the key and the line it comes from.
package config

import (
	"regexp"
	"time"
)

// Config is a whole trawl.yaml.
type Config struct {
	Sources  []Source `yaml:"sources"`
	Repos    Filter   `yaml:"repos"`    // RE2 on full names
	Branches Globs    `yaml:"branches"` // globs on branch names
	Files    Files    `yaml:"files"`
	Index    Index    `yaml:"index"`
	Schedule Schedule `yaml:"schedule"`
	Server   Server   `yaml:"server"`
	Limits   Limits   `yaml:"limits"` // what one repository may cost a crawl (limits.go)

	// Indicators are github-crawler compatible values read from files at
	// query time (trawl indicators).
	Indicators Indicators `yaml:"indicators"`

	// Rules are compliance rules (DESIGN.md §8): trawl check, GET /api/compliance.
	Rules      Rules              `yaml:"rules"`
	Compliance ComplianceSettings `yaml:"compliance"` // history, alerts and export of rule results

	Compatibility    string            `yaml:"compatibility"`     // github-crawler: its parsers' exact behaviour (DESIGN.md §4)
	Groups           []string          `yaml:"groups"`            // copied into every indicator document (github-crawler's Spring profiles)
	RepositoryTasks  []RepositoryTask  `yaml:"repository_tasks"`  // github-crawler's misc-repository-tasks
	IndicatorsExport *IndicatorsExport `yaml:"indicators_export"` // where trawl serve sends indicator documents after each crawl

	// Change configures bulk changes through pull requests (trawl change).
	Change Change `yaml:"change"`

	// Path is the file the configuration was read from; relative paths in
	// it are resolved against its folder.
	Path string `yaml:"-"`
}

// Source is one place repositories come from; exactly one field is set.
type Source struct {
	GitHub    *GitHub    `yaml:"github"`
	Git       *Git       `yaml:"git"`
	Dir       string     `yaml:"dir"` // every git repository below this folder, read in place
	GitLab    *GitLab    `yaml:"gitlab"`
	Bitbucket *Bitbucket `yaml:"bitbucket"`
	Gitea     *Gitea     `yaml:"gitea"` // Gitea and Forgejo
	Azure     *Azure     `yaml:"azure"` // Azure DevOps
}

// GitHub lists the repositories of an organisation or a user.
type GitHub struct {
	Org             string `yaml:"org"`
	User            string `yaml:"user"`
	APIURL          string `yaml:"api_url"`   // default https://api.github.com
	TokenEnv        string `yaml:"token_env"` // the token itself never appears in the file
	IncludeForks    bool   `yaml:"include_forks"`
	IncludeArchived bool   `yaml:"include_archived"`
	Topics          Filter `yaml:"topics"` // RE2 on topic names
	Concurrency     int    `yaml:"concurrency"`
	AppID           int64  `yaml:"app_id"`
	InstallationID  int64  `yaml:"installation_id"`
	PrivateKeyFile  string `yaml:"private_key_file"`
}

// Git is a list of clone URLs (https, http, file or local paths).
type Git struct {
	URLs        []string `yaml:"urls"`
	Username    string   `yaml:"username"`
	PasswordEnv string   `yaml:"password_env"` // environment variable holding the password or token
}

// Filter holds include and exclude regular expressions (RE2, unanchored).
// An empty Include accepts everything.
type Filter struct {
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`

	include, exclude []*regexp.Regexp
}

// Globs holds include and exclude doublestar globs. An empty Include
// accepts everything.
type Globs struct {
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
	Default bool     `yaml:"-"` // branches: default: each repository's default branch only
}

// Files selects the files to index.
type Files struct {
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
	MaxSize Size     `yaml:"max_size"` // default 1 MiB
}

// Size is a byte count written as 1048576, 512KiB, 1MiB, 2MB, 1GiB.
type Size int64

// Index chooses and configures the backend.
type Index struct {
	Backend       string        `yaml:"backend"` // bleve (default) or elasticsearch
	Path          string        `yaml:"path"`    // index, mirrors and state; default ./trawl-data
	Elasticsearch Elasticsearch `yaml:"elasticsearch"`
}

// Elasticsearch configures the elasticsearch backend.
type Elasticsearch struct {
	Addresses   []string `yaml:"addresses"`
	IndexPrefix string   `yaml:"index_prefix"` // default trawl
	Username    string   `yaml:"username"`
	PasswordEnv string   `yaml:"password_env"`
	APIKeyEnv   string   `yaml:"api_key_env"`
	CACert      string   `yaml:"ca_cert"`
	CloudID     string   `yaml:"cloud_id"`
	// Compress asks the cluster to gzip its answers (elastic.Options).
	Compress bool `yaml:"compress"`
}

// Schedule says when trawl serve crawls.
type Schedule struct {
	Interval time.Duration `yaml:"interval"` // default 15m
	Cron     Cron          `yaml:"cron"`     // parsed when read (cron.go)
}

// Server configures trawl serve.
type Server struct {
	Listen           string `yaml:"listen"` // default 127.0.0.1:8080
	WebhookSecretEnv string `yaml:"webhook_secret_env"`
	APITokenEnv      string `yaml:"api_token_env"`

	ServerLimits `yaml:",inline"` // timeouts and bounds, see serverlimits.go
}
