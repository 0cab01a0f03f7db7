package source

import (
	"net/url"
	"strings"

	"github.com/go-git/go-git/v5"
)

// forgeHosts are the hosts whose web pages follow {repo}/blob/{commit}/{path},
// the permalink shape indexer.Repo.Permalink builds (GitLab redirects it
// to /-/blob/). Other hosts get no link rather than a broken one.
var forgeHosts = []string{"github", "gitlab", "gitea", "codeberg", "forgejo"}

// WebURL is the web page of a repository read from a folder or a clone
// URL, from its origin remote: https://host/org/name for
// git@host:org/name.git, ssh://git@host/org/name.git or
// https://user@host/org/name.git; empty when the host is not a known forge.
func WebURL(r *git.Repository) string {
	cfg, err := r.Config()
	if err != nil {
		return ""
	}
	origin, ok := cfg.Remotes["origin"]
	if !ok || len(origin.URLs) == 0 {
		return ""
	}
	return WebURLOf(origin.URLs[0])
}

// WebURLOf turns a clone URL into the repository's web page, or "".
func WebURLOf(clone string) string {
	var host, path string
	if u, err := url.Parse(clone); err == nil && u.Scheme != "" && u.Host != "" {
		switch u.Scheme {
		case "https", "http", "ssh", "git":
		default:
			return ""
		}
		host, path = u.Hostname(), u.Path
	} else if at := strings.Index(clone, "@"); at >= 0 && strings.Contains(clone[at:], ":") && !strings.Contains(clone, "://") {
		// scp-like: git@host:org/name.git
		rest := clone[at+1:]
		host, path, _ = strings.Cut(rest, ":")
	} else {
		return ""
	}
	path = strings.Trim(strings.TrimSuffix(strings.Trim(path, "/"), ".git"), "/")
	if host == "" || path == "" || !strings.Contains(path, "/") {
		return ""
	}
	known := false
	for _, f := range forgeHosts {
		known = known || strings.Contains(strings.ToLower(host), f)
	}
	if !known {
		return ""
	}
	return "https://" + strings.ToLower(host) + "/" + path
}
