package crawler

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/trawl-dev/trawl/internal/gittest"
)

// TestObjectHash checks both object formats against git itself.
func TestObjectHash(t *testing.T) {
	content := []byte("Straße\ntimeout\n")
	for _, format := range []string{"sha1", "sha256"} {
		dir := t.TempDir()
		if out, err := exec.Command("git", "init", "-q", "--object-format="+format, dir).CombinedOutput(); err != nil {
			t.Fatalf("git init --object-format=%s: %v\n%s", format, err, out)
		}
		cmd := exec.Command("git", "-C", dir, "hash-object", "--stdin")
		cmd.Stdin = strings.NewReader(string(content))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git hash-object --object-format=%s: %v", format, err)
		}
		id := strings.TrimSpace(string(out))
		if !verifyBlob(id, content) {
			t.Errorf("%s: %s does not verify", format, id)
		}
		if verifyBlob(id, append(content, 'x')) {
			t.Errorf("%s: other content verifies as %s", format, id)
		}
	}
	if verifyBlob("abc", content) {
		t.Error("a short id verifies")
	}
}

// TestRereadAfterMismatch reads delta-compressed large blobs through
// go-git's streaming reader (LargeObjectThreshold), which returns wrong
// bytes for some: readBlob must notice and answer git's bytes from its
// second, non-streaming read.
func TestRereadAfterMismatch(t *testing.T) {
	repo := gittest.DeltaRepo(t, filepath.Join(t.TempDir(), "r"), 3, 3, 3)
	st := filesystem.NewStorageWithOptions(osfs.New(filepath.Join(repo.Dir, ".git")), cache.NewObjectLRUDefault(),
		filesystem.Options{LargeObjectThreshold: 1 << 20})
	r, err := git.Open(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for _, b := range []string{"main", "release/1", "release/2"} {
		h := plumbing.NewHash(repo.Git("rev-parse", b+":gen/bindata.go"))
		first, err := readFrom(r, h)
		if err != nil {
			t.Fatal(err)
		}
		if !verifyBlob(h.String(), first) {
			wrong++
		}
		text, err := readBlob(r, h)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !verifyBlob(h.String(), text) {
			t.Errorf("%s: readBlob returned bytes that do not hash to %s", b, h)
		}
	}
	if wrong == 0 {
		t.Skip("go-git's streaming reader read every blob right: nothing to re-read here (fixed upstream?)")
	}
}
