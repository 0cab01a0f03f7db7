package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// FetchState is what a forge source remembers of its fetches between
// crawls (forgeapi.State): the forge's version of each repository when
// its mirror was last fetched, so that an unchanged repository costs no
// fetch.
type FetchState interface {
	// Fetched reports whether name was last fetched at version.
	Fetched(name, version string) bool
	SetFetched(name, version string)
	// Forget makes the next Open of name fetch.
	Forget(name string)
	Save() error
}

// Fetch is one update of a forge repository's mirror.
type Fetch struct {
	Forge string // in log lines: "GitHub"
	Name  string // full name, the key in the state
	Dir   string // the mirror
	// Version is what the forge says of the repository now (pushed_at, a
	// digest of its heads...); "" is unknown, and makes the next Open
	// fetch again.
	Version string
	URL     string // the clone URL, as the caller wants it sent
	Auth    transport.AuthMethod
	Secrets []string // the credential (and its encodings), redacted from errors
	// Slots, when set, bounds the fetches running at once: one is held
	// for the fetch.
	Slots chan struct{}
	// After, when set, runs on the fetched mirror before the version is
	// recorded; its error fails the Open, and the next Open fetches again.
	After func(*git.Repository) error
}

// Current opens the mirror in dir when st says name was fetched at
// version, so nothing needs fetching; it reports false otherwise, or when
// the mirror cannot be opened (removed since).
func Current(st FetchState, name, version, dir string) (*git.Repository, bool) {
	if !st.Fetched(name, version) {
		return nil, false
	}
	r, err := OpenMirror(dir)
	return r, err == nil
}

// FetchMirror mirrors f.URL into f.Dir and records the outcome in st: an
// empty repository is forgotten (ErrEmpty), a fetched one's version is
// recorded and st saved. A failed save is only logged: it costs one more
// fetch next time, never a missed one.
func FetchMirror(ctx context.Context, st FetchState, f Fetch, log *slog.Logger) (*git.Repository, error) {
	if f.Slots != nil {
		select {
		case f.Slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { <-f.Slots }()
	}
	r, err := Mirror(ctx, f.URL, f.Auth, f.Dir)
	if errors.Is(err, ErrEmpty) {
		st.Forget(f.Name)
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("mirror %s: %w", f.Name, Redact(err, f.Secrets...))
	}
	if f.After != nil {
		if err := f.After(r); err != nil {
			return nil, fmt.Errorf("mirror %s: %w", f.Name, err)
		}
	}
	if f.Version == "" {
		st.Forget(f.Name)
	} else {
		st.SetFetched(f.Name, f.Version)
	}
	if err := st.Save(); err != nil && log != nil {
		log.Warn("cannot save "+f.Forge+" fetch state", "err", err)
	}
	return r, nil
}
