package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// checker collects every problem of a decoded configuration, each with
// the line its key path comes from.
type checker struct {
	file string
	idx  *nodeIndex
	errs []*Error
}

func (c *checker) errorf(path, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Line: c.idx.line(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// check validates cfg, fills in the defaults that depend on what the file
// says and compiles the regular expressions.
func (c *checker) check(cfg *Config) {
	if len(cfg.Sources) == 0 {
		c.errorf("sources", "at least one source (github, gitlab, bitbucket, gitea, azure, git or dir) is required")
	}
	for i := range cfg.Sources {
		c.source(fmt.Sprintf("sources[%d]", i), &cfg.Sources[i])
	}
	c.filter("repos", &cfg.Repos)
	c.globs("branches", cfg.Branches.Include, cfg.Branches.Exclude)
	c.globs("files", cfg.Files.Include, cfg.Files.Exclude)
	if cfg.Files.MaxSize <= 0 {
		c.errorf("files.max_size", "must be greater than 0")
	}
	c.index(&cfg.Index)
	c.schedule(&cfg.Schedule)
	c.server(&cfg.Server)
	c.limits(&cfg.Limits)
	c.rules(cfg)
	c.checkGitHubCrawler(cfg)
	c.change(&cfg.Change)
}

func (c *checker) source(path string, s *Source) {
	set := 0
	for _, ok := range []bool{s.GitHub != nil, s.Git != nil, s.Dir != "", s.GitLab != nil, s.Bitbucket != nil, s.Gitea != nil, s.Azure != nil} {
		if ok {
			set++
		}
	}
	if set != 1 {
		c.errorf(path, "set exactly one of github, gitlab, bitbucket, gitea, azure, git or dir")
	}
	if s.GitHub != nil {
		c.github(path+".github", s.GitHub)
	}
	if s.GitLab != nil {
		c.gitlab(path+".gitlab", s.GitLab)
	}
	if s.Bitbucket != nil {
		c.bitbucket(path+".bitbucket", s.Bitbucket)
	}
	if s.Gitea != nil {
		c.gitea(path+".gitea", s.Gitea)
	}
	if s.Azure != nil {
		c.azure(path+".azure", s.Azure)
	}
	if s.Git != nil {
		c.git(path+".git", s.Git)
	}
}

func (c *checker) github(path string, g *GitHub) {
	if (g.Org == "") == (g.User == "") {
		c.errorf(path, "set exactly one of org or user")
	}
	if g.APIURL == "" {
		g.APIURL = "https://api.github.com"
	} else if msg := checkHTTPURL(g.APIURL); msg != "" {
		c.errorf(path+".api_url", "%s", msg)
	}
	c.env(path+".token_env", g.TokenEnv)
	c.filter(path+".topics", &g.Topics)
	if !c.idx.has(path + ".concurrency") {
		g.Concurrency = 4
	} else if g.Concurrency < 1 {
		c.errorf(path+".concurrency", "must be at least 1")
	}
	app := 0
	for _, ok := range []bool{g.AppID != 0, g.InstallationID != 0, g.PrivateKeyFile != ""} {
		if ok {
			app++
		}
	}
	if app != 0 && app != 3 {
		c.errorf(path, "a GitHub App needs all of app_id, installation_id and private_key_file")
	}
}

// forgeAPI checks the keys every forge block has: api_url (def when
// unset, if def is not empty), token_env, webhook_secret_env and
// concurrency (default 4).
func (c *checker) forgeAPI(path string, apiURL *string, def, tokenEnv, secretEnv string, concurrency *int) {
	if *apiURL == "" {
		*apiURL = def
	} else if msg := checkHTTPURL(*apiURL); msg != "" {
		c.errorf(path+".api_url", "%s", msg)
	}
	c.env(path+".token_env", tokenEnv)
	c.env(path+".webhook_secret_env", secretEnv)
	if !c.idx.has(path + ".concurrency") {
		*concurrency = 4
	} else if *concurrency < 1 {
		c.errorf(path+".concurrency", "must be at least 1")
	}
}

func (c *checker) git(path string, g *Git) {
	if len(g.URLs) == 0 {
		c.errorf(path+".urls", "at least one URL is required")
	}
	for i, u := range g.URLs {
		if msg := checkGitURL(u); msg != "" {
			c.errorf(fmt.Sprintf("%s.urls[%d]", path, i), "%s", msg)
		} else if g.PasswordEnv != "" && sendsOverNetwork(u) && !isHTTPS(u) {
			// Over http the password would travel in clear; ssh and git
			// cannot use it. Local paths and file URLs never send it.
			c.errorf(fmt.Sprintf("%s.urls[%d]", path, i), "must be an https URL (or a local path): password_env is set, and trawl sends passwords only over https")
		}
	}
	c.env(path+".password_env", g.PasswordEnv)
}

func (c *checker) index(ix *Index) {
	if ix.Backend != "bleve" && ix.Backend != "elasticsearch" {
		c.errorf("index.backend", "%s is not a backend (use bleve or elasticsearch)", show(ix.Backend))
	}
	if ix.Path == "" {
		c.errorf("index.path", "must not be empty")
	}
	es := &ix.Elasticsearch
	const path = "index.elasticsearch"
	switch {
	case len(es.Addresses) > 0 && es.CloudID != "":
		c.errorf(path, "set addresses or cloud_id, not both")
	case len(es.Addresses) == 0 && es.CloudID == "":
		es.Addresses = []string{"http://127.0.0.1:9200"}
	}
	for i, a := range es.Addresses {
		if msg := checkHTTPURL(a); msg != "" {
			c.errorf(fmt.Sprintf("%s.addresses[%d]", path, i), "%s", msg)
		}
	}
	// Elasticsearch index names are lower case and exclude \/*?"<>|,# and
	// spaces; a prefix must also not start with -, _ or +.
	if !esPrefix.MatchString(es.IndexPrefix) {
		c.errorf(path+".index_prefix", "%s is not a valid index name prefix (lower-case letters, digits, '.', '_' and '-', starting with a letter or digit)", show(es.IndexPrefix))
	}
	c.env(path+".password_env", es.PasswordEnv)
	c.env(path+".api_key_env", es.APIKeyEnv)
}

var esPrefix = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

func (c *checker) schedule(s *Schedule) {
	// A bad cron expression is reported while decoding (cron.go).
	if !s.Cron.IsZero() {
		if c.idx.has("schedule.interval") {
			c.errorf("schedule", "set interval or cron, not both")
		}
		return
	}
	if s.Interval <= 0 {
		c.errorf("schedule.interval", "must be greater than 0 (or set cron)")
	}
}

func (c *checker) server(s *Server) {
	if msg := checkListen(s.Listen); msg != "" {
		c.errorf("server.listen", "%s", msg)
	}
	c.env("server.webhook_secret_env", s.WebhookSecretEnv)
	c.env("server.api_token_env", s.APITokenEnv)
	c.serverLimits(&s.ServerLimits)
}

// env checks a field that names an environment variable. Its value is
// never echoed: when it is wrong it is often the secret itself.
func (c *checker) env(path, name string) {
	switch {
	case name == "":
	case looksSecret(name):
		c.errorf(path, "must name an environment variable, not hold the secret")
	case !envNameRE.MatchString(name):
		c.errorf(path, "must name an environment variable (letters, digits and _, not starting with a digit), e.g. GITHUB_TOKEN")
	}
}

func (c *checker) filter(path string, f *Filter) {
	for _, list := range []struct {
		key      string
		patterns []string
		out      *[]*regexp.Regexp
	}{{"include", f.Include, &f.include}, {"exclude", f.Exclude, &f.exclude}} {
		*list.out = nil
		for i, p := range list.patterns {
			re, err := regexp.Compile(p)
			if err != nil {
				c.errorf(fmt.Sprintf("%s.%s[%d]", path, list.key, i), "invalid regular expression: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
				continue
			}
			*list.out = append(*list.out, re)
		}
	}
}

func (c *checker) globs(path string, include, exclude []string) {
	for _, list := range []struct {
		key      string
		patterns []string
	}{{"include", include}, {"exclude", exclude}} {
		for i, p := range list.patterns {
			if p == "" || !doublestar.ValidatePattern(p) {
				c.errorf(fmt.Sprintf("%s.%s[%d]", path, list.key, i), "%s is not a valid glob (examples: '**', 'src/**/*.go', 'release/*')", show(p))
			}
		}
	}
}

// checkHTTPURL returns what is wrong with an http(s) address, or "".
func checkHTTPURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a URL: " + urlErr(err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an http or https URL"
	case u.Host == "":
		return "has no host"
	case hasPassword(u):
		return "must not hold a password; name an environment variable in password_env instead"
	}
	return ""
}

// checkGitURL returns what is wrong with a clone URL, or "". Accepted:
// http, https, ssh, git and file URLs, scp-like ssh (git@host:org/repo.git)
// and local paths. The URL is never echoed: it may hold credentials.
func checkGitURL(s string) string {
	if strings.TrimSpace(s) == "" {
		return "must not be empty"
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return "is not a URL: " + urlErr(err)
		}
		switch strings.ToLower(u.Scheme) {
		case "http", "https", "ssh", "git":
			if u.Host == "" {
				return "has no host"
			}
		case "file":
			if u.Path == "" {
				return "has no path"
			}
		default:
			return fmt.Sprintf("has unsupported scheme %s (use http, https, ssh, git, file or a local path)", show(u.Scheme))
		}
		if hasPassword(u) {
			return "must not hold a password; name an environment variable in password_env instead"
		}
		return ""
	}
	if host, rest, ok := scpLike(s); ok {
		if host == "" || rest == "" {
			return "is not a valid ssh address (example: git@github.com:acme/api.git)"
		}
	}
	return ""
}

// scpLike splits git's "[user@]host:path" form, which git recognises by a
// colon before any slash.
func scpLike(s string) (host, path string, ok bool) {
	colon := strings.Index(s, ":")
	if colon < 0 || strings.Contains(s[:colon], "/") {
		return "", "", false
	}
	host = s[:colon]
	if at := strings.LastIndex(host, "@"); at >= 0 {
		host = host[at+1:]
	}
	return host, s[colon+1:], true
}

// sendsOverNetwork reports whether a clone URL reaches another host (not
// a local path or a file URL).
func sendsOverNetwork(s string) bool {
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		return err != nil || !strings.EqualFold(u.Scheme, "file")
	}
	_, _, scp := scpLike(s)
	return scp
}

func isHTTPS(s string) bool {
	u, err := url.Parse(s)
	return err == nil && strings.EqualFold(u.Scheme, "https")
}

func hasPassword(u *url.URL) bool {
	_, set := u.User.Password()
	return set
}

// urlErr drops the URL that url.Error repeats: it may hold credentials.
func urlErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return "invalid URL"
}

func checkListen(s string) string {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("%s is not host:port (example: 127.0.0.1:8080)", show(s))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("%s has no port number between 0 and 65535", show(s))
	}
	return ""
}

// resolvePaths makes the file's relative paths absolute, relative to the
// folder of the configuration file, so that trawl works from any folder.
func resolvePaths(cfg *Config, path string) error {
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("resolve paths of %s: %w", path, err)
	}
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	abs(&cfg.Index.Path)
	abs(&cfg.Index.Elasticsearch.CACert)
	for i := range cfg.Sources {
		s := &cfg.Sources[i]
		abs(&s.Dir)
		if s.GitHub != nil {
			abs(&s.GitHub.PrivateKeyFile)
		}
		if s.Git != nil {
			for j, u := range s.Git.URLs {
				if _, _, scp := scpLike(u); !strings.Contains(u, "://") && !scp {
					abs(&s.Git.URLs[j])
				}
			}
		}
	}
	return nil
}

// UnsetSecrets lists, as "key: problem", every _env key the configuration
// sets whose environment variable is unset or empty in this process:
// crawl and serve would stop on each. Elasticsearch credentials count only
// with backend elasticsearch. trawl config check reports them, so that an
// "ok" means the commands will start.
func UnsetSecrets(cfg *Config) []string {
	type ref struct{ path, name string }
	var refs []ref
	for i, s := range cfg.Sources {
		if s.GitHub != nil {
			refs = append(refs, ref{fmt.Sprintf("sources[%d].github.token_env", i), s.GitHub.TokenEnv})
		}
		if s.Git != nil {
			refs = append(refs, ref{fmt.Sprintf("sources[%d].git.password_env", i), s.Git.PasswordEnv})
		}
		for _, f := range forgeSecrets(s) {
			refs = append(refs, ref{fmt.Sprintf("sources[%d].%s", i, f[0]), f[1]})
		}
	}
	if cfg.Index.Backend == "elasticsearch" {
		es := cfg.Index.Elasticsearch
		refs = append(refs, ref{"index.elasticsearch.password_env", es.PasswordEnv}, ref{"index.elasticsearch.api_key_env", es.APIKeyEnv})
	}
	refs = append(refs, ref{"server.webhook_secret_env", cfg.Server.WebhookSecretEnv}, ref{"server.api_token_env", cfg.Server.APITokenEnv})
	var out []string
	for _, r := range refs {
		if r.name == "" {
			continue
		}
		if _, err := Secret(r.name); err != nil {
			out = append(out, r.path+": "+strings.TrimPrefix(err.Error(), "read secret: "))
		}
	}
	return out
}

// forgeSecrets lists the _env keys of a forge block other than GitHub's,
// as (key path below the source, variable).
func forgeSecrets(s Source) [][2]string {
	var out [][2]string
	add := func(forge, token, secret string) {
		out = append(out, [2]string{forge + ".token_env", token}, [2]string{forge + ".webhook_secret_env", secret})
	}
	switch {
	case s.GitLab != nil:
		add("gitlab", s.GitLab.TokenEnv, s.GitLab.WebhookSecretEnv)
	case s.Bitbucket != nil:
		add("bitbucket", s.Bitbucket.TokenEnv, s.Bitbucket.WebhookSecretEnv)
	case s.Gitea != nil:
		add("gitea", s.Gitea.TokenEnv, s.Gitea.WebhookSecretEnv)
	case s.Azure != nil:
		add("azure", s.Azure.TokenEnv, s.Azure.WebhookSecretEnv)
	}
	return out
}
