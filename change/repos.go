package change

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/github"
)

// Source kinds of a target.
const (
	sourceGitHub = "github"
	sourceGit    = "git"
	sourceDir    = "dir"
)

// target is where one repository is read, pushed and reviewed.
type target struct {
	name string
	kind string
	dir  string // local objects: the crawl's mirror, or the repository in place
	// pushURL is the remote pushed to; empty for a dir source, where the
	// branch is made in the repository itself.
	pushURL string
	gh      *config.GitHub
}

// resolver maps repository names to their mirrors and credentials, from
// the configuration alone: plan must not fetch.
type resolver struct {
	cfg     *config.Config
	mirrors string
	ghOpts  github.Options
}

func newResolver(cfg *config.Config, ghOpts github.Options) *resolver {
	return &resolver{cfg: cfg, mirrors: filepath.Join(cfg.Index.Path, "mirrors"), ghOpts: ghOpts}
}

// locate finds the source and the local repository of name.
func (r *resolver) locate(name string) (*target, error) {
	for _, s := range r.cfg.Sources {
		switch {
		case s.Git != nil:
			for _, raw := range s.Git.URLs {
				u := stripUserinfo(raw)
				if source.RepoNameFromURL(u) != name {
					continue
				}
				return &target{name: name, kind: sourceGit, dir: filepath.Join(r.mirrors, source.MirrorDir(name)), pushURL: u}, nil
			}
		case s.Dir != "":
			if dir, ok := inDir(s.Dir, name); ok {
				return &target{name: name, kind: sourceDir, dir: dir}, nil
			}
		case s.GitHub != nil:
			if !github.Owns(s.GitHub, name) {
				continue
			}
			dir, err := github.MirrorDir(s.GitHub, r.mirrors, name)
			if err != nil {
				return nil, fmt.Errorf("locate %s: %w", name, err)
			}
			t := &target{name: name, kind: sourceGitHub, dir: dir, gh: s.GitHub}
			// The mirror's remote is the clone URL GitHub gave the crawl.
			if repo, err := git.PlainOpen(dir); err == nil {
				if rem, err := repo.Remote("origin"); err == nil && len(rem.Config().URLs) > 0 {
					t.pushURL = rem.Config().URLs[0]
				}
			}
			return t, nil
		}
	}
	return nil, fmt.Errorf("locate %s: no configured source holds this repository", name)
}

// open opens the target's local repository for reading objects.
func (t *target) open() (*git.Repository, error) {
	if _, err := os.Stat(t.dir); err != nil {
		return nil, fmt.Errorf("open mirror of %s: %w (crawl first)", t.name, err)
	}
	// No LargeObjectThreshold: go-git returned wrong bytes for a large
	// delta object with it (NOTES.md), and a change must read true bytes.
	r, err := git.PlainOpenWithOptions(t.dir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("open mirror of %s: %w", t.name, err)
	}
	return r, nil
}

// inDir finds the repository name of a dir source below root, as the
// crawler names them (the path relative to root, without .git).
func inDir(root, name string) (string, bool) {
	if strings.TrimSuffix(filepath.Base(root), ".git") == name && isRepo(root) {
		return root, true
	}
	for _, cand := range []string{filepath.Join(root, filepath.FromSlash(name)), filepath.Join(root, filepath.FromSlash(name)+".git")} {
		if rel, err := filepath.Rel(root, cand); err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		if isRepo(cand) {
			return cand, true
		}
	}
	return "", false
}

func isRepo(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return true
	}
	_, err := os.Stat(filepath.Join(dir, "objects"))
	return err == nil
}

func stripUserinfo(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		host, _, _ := strings.Cut(rest, "/")
		if at := strings.LastIndex(host, "@"); at >= 0 {
			return raw[:i+3] + rest[at+1:]
		}
	}
	return raw
}

// PullRequests opens and reads the pull requests of one host.
// github.PullRequests implements it; a GitLab or Bitbucket client opening
// merge or pull requests fits the same three calls.
type PullRequests interface {
	// Ensure returns the request from head into base, opening it when none
	// exists in any state (created true), updating its title and body
	// when it is open.
	Ensure(ctx context.Context, repo, head, base, title, body string) (pr github.PullRequest, created bool, err error)
	// Get reads a request's current state.
	Get(ctx context.Context, repo string, number int) (github.PullRequest, error)
}

// writeAccess is how apply pushes to, and opens pull requests on, one
// target.
type writeAccess struct {
	auth transport.AuthMethod
	prs  PullRequests // nil: the host has no pull request API trawl speaks
	// password is redacted from any error text.
	password string
}

// writeEntry is the first change.write entry for name, and its path in the
// configuration for messages.
func (r *resolver) writeEntry(name string) (*config.ChangeWrite, string, error) {
	for i := range r.cfg.Change.Write {
		w := &r.cfg.Change.Write[i]
		re, err := regexp.Compile(w.Repos)
		if err != nil {
			return nil, "", fmt.Errorf("change.write[%d].repos: %w", i, err)
		}
		if re.MatchString(name) {
			return w, fmt.Sprintf("change.write[%d]", i), nil
		}
	}
	return nil, "", nil
}

// access reads the write credentials of t. The source's read credentials
// (token_env, password_env, a user:password in a URL) are never used.
func (r *resolver) access(ctx context.Context, t *target) (*writeAccess, error) {
	if t.kind == sourceDir {
		return &writeAccess{}, nil
	}
	w, at, err := r.writeEntry(t.name)
	if err != nil {
		return nil, err
	}
	if t.kind == sourceGitHub {
		env := ""
		if w != nil {
			env = w.WriteTokenEnv
		}
		prs, err := github.NewPullRequests(t.gh, env, r.ghOpts)
		if err != nil {
			return nil, fmt.Errorf("write credentials of %s: %w", t.name, err)
		}
		tok, err := prs.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("write credentials of %s: %w", t.name, err)
		}
		user := "x-access-token"
		if w != nil && w.Username != "" {
			user = w.Username
		}
		return &writeAccess{auth: &githttp.BasicAuth{Username: user, Password: tok}, prs: prs, password: tok}, nil
	}
	if w == nil || w.WriteTokenEnv == "" {
		return nil, fmt.Errorf("write credentials of %s: no change.write entry with write_token_env matches it (the crawl's password is never used to write)", t.name)
	}
	pw, err := config.Secret(w.WriteTokenEnv)
	if err != nil {
		return nil, fmt.Errorf("write credentials of %s: %s: %w", t.name, at, err)
	}
	user := w.Username
	if user == "" {
		user = "x-access-token"
	}
	return &writeAccess{auth: &githttp.BasicAuth{Username: user, Password: pw}, password: pw}, nil
}

// redact removes a secret from an error's text.
func (a *writeAccess) redact(err error) error {
	if err == nil || a.password == "" || !strings.Contains(err.Error(), a.password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), a.password, "***"))
}
