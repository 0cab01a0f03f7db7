package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

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
	r, err := OpenRepository(dir)
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
		if r, err = OpenRepository(dir); err != nil {
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
	if !ok {
		return err
	}
	return Redact(err, b.Password)
}

// Redact replaces every secret in err's text with ***, for errors of
// libraries (transports, API clients) that quote a URL or a header.
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// StripCredentials drops any user info from a URL, so that a stored
// remote or a message never holds a secret.
func StripCredentials(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// OpenMirror opens a bare mirror made by Mirror for reading; it fails when
// dir holds no repository (never cloned, or removed).
func OpenMirror(dir string) (*git.Repository, error) {
	r, err := OpenRepository(dir)
	if err != nil {
		return nil, fmt.Errorf("open mirror %s: %w", dir, err)
	}
	return r, nil
}
