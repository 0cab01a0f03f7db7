package source

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/trawl-dev/trawl/internal/gittest"
)

// fetchState is a FetchState in memory.
type fetchState struct {
	v     map[string]string
	saves int
}

func (s *fetchState) Fetched(name, version string) bool {
	return version != "" && s.v[name] == version
}
func (s *fetchState) SetFetched(name, version string) { s.v[name] = version }
func (s *fetchState) Forget(name string)              { delete(s.v, name) }
func (s *fetchState) Save() error                     { s.saves++; return nil }

func TestFetchMirrorRecordsWhatItFetched(t *testing.T) {
	srv := gittest.Serve(t, t.TempDir(), "x-access-token", "s3cr3t")
	work := gittest.Init(t, filepath.Join(t.TempDir(), "work"))
	work.Commit("first", map[string]string{"a.txt": "a"})
	url := srv.Bare(t, work, "acme/api")
	empty := srv.Bare(t, gittest.Init(t, filepath.Join(t.TempDir(), "empty")), "acme/empty")
	auth := &githttp.BasicAuth{Username: "x-access-token", Password: "s3cr3t"}
	st := &fetchState{v: map[string]string{"acme/empty": "old"}}
	dir := filepath.Join(t.TempDir(), MirrorDir("acme/api"))
	ctx := context.Background()

	if _, ok := Current(st, "acme/api", "v1", dir); ok {
		t.Fatal("Current before any fetch")
	}
	slots := make(chan struct{}, 1)
	r, err := FetchMirror(ctx, st, Fetch{Forge: "Test", Name: "acme/api", Dir: dir, Version: "v1", URL: url, Auth: auth, Slots: slots}, nil)
	if err != nil || r == nil {
		t.Fatalf("FetchMirror: %v", err)
	}
	if st.v["acme/api"] != "v1" || st.saves != 1 || len(slots) != 0 {
		t.Errorf("after a fetch: state %v, %d saves, %d slots held", st.v, st.saves, len(slots))
	}
	if _, ok := Current(st, "acme/api", "v1", dir); !ok {
		t.Error("Current after a fetch at the same version")
	}
	if _, ok := Current(st, "acme/api", "v2", dir); ok {
		t.Error("Current at a newer version")
	}

	// An unknown version is not recorded: the next Open fetches again.
	if _, err := FetchMirror(ctx, st, Fetch{Name: "acme/api", Dir: dir, URL: url, Auth: auth}, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.v["acme/api"]; ok {
		t.Errorf("an unknown version recorded: %v", st.v)
	}

	// After's error fails the Open and records nothing.
	boom := errors.New("boom")
	_, err = FetchMirror(ctx, st, Fetch{Name: "acme/api", Dir: dir, Version: "v3", URL: url, Auth: auth,
		After: func(*git.Repository) error { return boom }}, nil)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "mirror acme/api: ") || st.v["acme/api"] == "v3" {
		t.Errorf("After failing: err %v, state %v", err, st.v)
	}

	// An empty repository is forgotten.
	_, err = FetchMirror(ctx, st, Fetch{Name: "acme/empty", Dir: filepath.Join(t.TempDir(), "e.git"), Version: "v1", URL: empty, Auth: auth}, nil)
	if !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty: %v", err)
	}
	if _, ok := st.v["acme/empty"]; ok {
		t.Errorf("an empty repository kept its version: %v", st.v)
	}

	// A failed fetch names the repository and never quotes the secret.
	_, err = FetchMirror(ctx, st, Fetch{Name: "acme/api", Dir: filepath.Join(t.TempDir(), "x.git"), Version: "v4",
		URL: strings.Replace(url, "://", "://x-access-token:s3cr3t@", 1) + "-missing", Secrets: []string{"s3cr3t"}}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "mirror acme/api: ") || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("failed fetch: %v", err)
	}

	// A cancelled context waits for no slot.
	slots <- struct{}{}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := FetchMirror(cctx, st, Fetch{Name: "acme/api", Dir: dir, Version: "v5", URL: url, Auth: auth, Slots: slots}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while the slots are full: %v", err)
	}
}
