package crawler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
)

// A Source discovers repositories.
type Source interface {
	// Name describes the source in messages (never with credentials).
	Name() string
	// List returns every repository of the source. An error means the
	// listing is incomplete: repositories missing from it are not deleted.
	List(ctx context.Context) ([]Repo, error)
}

// Repo is one discovered repository.
type Repo struct {
	Meta indexer.Repo
	// Open makes the repository's branches readable: it clones or fetches a
	// mirror, or opens a repository in place. It returns ErrEmpty for a
	// repository with no commits.
	Open func(ctx context.Context) (*git.Repository, error)
	// Remotes says to index refs/remotes/*/* as branches too (a clone read
	// in place by a dir source); mirrors hold their branches in refs/heads.
	Remotes bool
}

// ErrEmpty reports a repository without any branch.
var ErrEmpty = errors.New("empty repository")

// gitSource is a list of clone URLs, mirrored under the data folder.
type gitSource struct {
	urls    []string
	auth    transport.AuthMethod
	mirrors string // folder holding one bare mirror per repository
}

func newGitSource(g *config.Git, mirrors string) (*gitSource, error) {
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

// MirrorDir maps a full name to its folder name below the mirrors folder
// (trawl change reads the same mirrors).
// The map is injective, so two repositories never share a mirror (the
// old one sent a__b/c and a/b__c to one folder): letters, digits, '.', '-'
// and '_' stay, '/' becomes '+', and every other byte, '+' included, is
// written %XX. The result is one path element: it holds no separator and
// ends in ".git", so it is never "." or "..". Names too long for a folder
// keep a prefix and add a SHA-256 of the whole name.
func MirrorDir(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-', c == '_':
			b.WriteByte(c)
		case c == '/':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	enc := b.String()
	const maxElem = 200 // file systems allow 255 bytes; leave room for ".git" and temporary suffixes
	if len(enc) > maxElem {
		sum := sha256.Sum256([]byte(name))
		enc = enc[:maxElem-65] + "~" + hex.EncodeToString(sum[:])
	}
	return enc + ".git"
}

// legacyMirrorDir is the folder name trawl used before MirrorDir was
// injective.
func legacyMirrorDir(name string) string {
	r := strings.NewReplacer("/", "__", "\\", "__", ":", "_", "..", "_")
	return r.Replace(name) + ".git"
}

// adoptLegacyMirror moves a mirror made under the old folder name to the
// new one, so an upgrade does not clone everything again. If two
// repositories shared the old folder, the first takes it and the fetch
// that follows (pruning, forced, from this repository's URL) makes it
// exactly this repository's mirror; the other clones afresh.
func adoptLegacyMirror(mirrors, name, dir string) {
	old := filepath.Join(mirrors, legacyMirrorDir(name))
	if old == dir {
		return
	}
	if _, err := os.Stat(dir); err == nil {
		return
	}
	if _, err := os.Stat(old); err != nil {
		return
	}
	os.Rename(old, dir) // racing another repository for it is fine: the loser clones
}

// Mirror fetches every branch of the repository at u into a bare mirror in
// dir, creating it on first use. Only refs/heads/* are fetched, pruned and
// force-updated, so a force-push or a deleted branch is mirrored exactly.
func Mirror(ctx context.Context, u string, auth transport.AuthMethod, dir string) (*git.Repository, error) {
	r, err := openRepository(dir)
	if err != nil {
		// A first clone, or a mirror left half-made by a killed crawl:
		// start it afresh.
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("reset mirror: %w", err)
		}
		if r, err = git.PlainInit(dir, true); err != nil {
			return nil, fmt.Errorf("create mirror: %w", err)
		}
		_, err = r.CreateRemote(&gitconfig.RemoteConfig{
			Name:  "origin",
			URLs:  []string{u},
			Fetch: []gitconfig.RefSpec{"+refs/heads/*:refs/heads/*"},
		})
		if err != nil {
			return nil, fmt.Errorf("create mirror: %w", err)
		}
		if r, err = openRepository(dir); err != nil {
			return nil, fmt.Errorf("open new mirror: %w", err)
		}
	}
	err = r.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin",
		RemoteURL:  u, // the configured URL wins over a stale stored one
		RefSpecs:   []gitconfig.RefSpec{"+refs/heads/*:refs/heads/*"},
		Auth:       auth,
		Prune:      true,
		Force:      true,
		Tags:       git.NoTags,
	})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
		return r, nil
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return nil, ErrEmpty
	}
	return nil, fmt.Errorf("fetch: %w", redact(err, auth))
}

// redact removes a password that a transport error might quote.
func redact(err error, auth transport.AuthMethod) error {
	b, ok := auth.(*githttp.BasicAuth)
	if !ok || b.Password == "" || !strings.Contains(err.Error(), b.Password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), b.Password, "***"))
}

// dirSource is every git repository below a folder, read in place.
type dirSource struct {
	root string
}

func (s *dirSource) Name() string { return "dir " + s.root }

func (s *dirSource) List(ctx context.Context) ([]Repo, error) {
	var repos []Repo
	err := filepath.WalkDir(s.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == s.root {
				return err
			}
			return nil // an unreadable folder below the root holds nothing we can read
		}
		if !d.IsDir() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !isRepository(path) {
			return nil
		}
		rel, err := filepath.Rel(s.root, path)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.ToSlash(rel), ".git")
		if rel == "." {
			name = strings.TrimSuffix(filepath.Base(s.root), ".git")
		}
		dir := path
		repos = append(repos, Repo{
			Meta:    indexer.Repo{Name: name},
			Remotes: true,
			Open: func(ctx context.Context) (*git.Repository, error) {
				r, err := openRepository(dir)
				if err != nil {
					return nil, fmt.Errorf("open %s: %w", dir, err)
				}
				return r, nil
			},
		})
		return filepath.SkipDir // a repository's own folders hold no other repository we index
	})
	if err != nil {
		return repos, fmt.Errorf("list %s: %w", s.root, err)
	}
	return repos, nil
}

// isRepository reports whether dir is a working tree (has .git) or a bare
// repository (HEAD, objects and refs).
func isRepository(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return true
	}
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}
