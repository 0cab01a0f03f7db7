package source

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
)

// gitSource is a list of clone URLs, mirrored under the data folder.
type gitSource struct {
	urls    []string
	auth    transport.AuthMethod
	mirrors string // folder holding one bare mirror per repository
}

// NewGit is the source for a git entry of the configuration: its clone
// URLs, each mirrored below mirrors. It reads the password from the
// environment now, so that a missing one is reported before any work.
func NewGit(g *config.Git, mirrors string) (Source, error) {
	s := &gitSource{urls: g.URLs, mirrors: mirrors}
	if g.PasswordEnv != "" {
		pw, err := config.Secret(g.PasswordEnv)
		if err != nil {
			return nil, err
		}
		user := g.Username
		if user == "" {
			user = "git" // hosts that take a token as password ignore the user name
		}
		s.auth = &githttp.BasicAuth{Username: user, Password: pw}
	}
	return s, nil
}

func (s *gitSource) Name() string { return "git urls" }

func (s *gitSource) List(ctx context.Context) ([]Repo, error) {
	var repos []Repo
	for _, raw := range s.urls {
		u, auth := splitCredentials(raw)
		if auth == nil {
			auth = s.auth
		}
		authErr := checkAuthScheme(u, auth)
		if authErr == nil && !isHTTPURL(u) {
			auth = nil // ssh, git, file and local paths never take a password
		}
		name := RepoNameFromURL(u)
		dir := filepath.Join(s.mirrors, MirrorDir(name))
		repos = append(repos, Repo{
			Meta: indexer.Repo{Name: name},
			Open: func(ctx context.Context) (*git.Repository, error) {
				if authErr != nil {
					return nil, authErr
				}
				adoptLegacyMirror(s.mirrors, name, dir)
				return Mirror(ctx, u, auth, dir)
			},
		})
	}
	return repos, nil
}

// checkAuthScheme refuses to send a password anywhere but over https: over
// http anyone on the path reads it, and ssh or git cannot use it. Local
// paths and file URLs never send it. The error never holds the password.
func checkAuthScheme(u string, auth transport.AuthMethod) error {
	b, ok := auth.(*githttp.BasicAuth)
	if !ok || b.Password == "" {
		return nil
	}
	ep, err := transport.NewEndpoint(u)
	if err != nil {
		return errors.New("a password is configured (password_env) but the URL does not parse: trawl sends passwords only over https")
	}
	switch ep.Protocol {
	case "https", "file":
		return nil
	}
	return fmt.Errorf("a password is configured (password_env) but the URL is %s://: trawl sends passwords only over https", ep.Protocol)
}

func isHTTPURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (strings.EqualFold(p.Scheme, "http") || strings.EqualFold(p.Scheme, "https"))
}

// splitCredentials moves user:password out of a URL so that they never
// reach a stored remote, a log line or an error message.
func splitCredentials(raw string) (string, transport.AuthMethod) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return raw, nil
	}
	pw, _ := u.User.Password()
	auth := &githttp.BasicAuth{Username: u.User.Username(), Password: pw}
	u.User = nil
	return u.String(), auth
}

// RepoNameFromURL gives a repository's full name for a clone URL or path:
// its host and path without .git (git.example.com/team/api).
func RepoNameFromURL(raw string) string {
	name := raw
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		name = u.Host + "/" + strings.TrimPrefix(u.Path, "/")
	} else if i := strings.Index(raw, ":"); i > 1 && !strings.Contains(raw[:i], "/") {
		// scp-like ssh syntax: git@host:team/api.git
		host := raw[:i]
		if at := strings.LastIndex(host, "@"); at >= 0 {
			host = host[at+1:]
		}
		name = host + "/" + raw[i+1:]
	}
	name = filepath.ToSlash(name)
	name = strings.Trim(name, "/")
	name = strings.TrimSuffix(name, "/.git")
	return strings.TrimSuffix(name, ".git")
}
