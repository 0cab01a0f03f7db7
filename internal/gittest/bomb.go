package gittest

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// TreeBomb makes, in a new repository at dir, a branch main whose tree
// holds 10^levels files in a few hundred bytes: each level is one tree
// (made with git mktree) of ten entries that all point at the tree of the
// level below. It returns the repository.
func TreeBomb(t testing.TB, dir string, levels int) *Repo {
	t.Helper()
	r := Init(t, dir)
	id := hashStdin(t, r.Dir, "log4j-core 2.14.0 in every file\n")
	mode, typ, prefix := "100644", "blob", "f"
	for range levels {
		var in strings.Builder
		for i := range 10 {
			fmt.Fprintf(&in, "%s %s %s\t%s%d\n", mode, typ, id, prefix, i)
		}
		id = mktree(t, r.Dir, in.String())
		mode, typ, prefix = "040000", "tree", "d"
	}
	commit := r.Git("commit-tree", id, "-m", fmt.Sprintf("10^%d files", levels))
	r.Git("update-ref", "refs/heads/main", commit)
	return r
}

func hashStdin(t testing.TB, dir, content string) string {
	t.Helper()
	cmd := exec.Command("git", "-C", dir, "hash-object", "-w", "--stdin")
	cmd.Stdin = strings.NewReader(content)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git hash-object: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func mktree(t testing.TB, dir, in string) string {
	t.Helper()
	cmd := exec.Command("git", "-C", dir, "mktree")
	cmd.Stdin = strings.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git mktree: %v", err)
	}
	return strings.TrimSpace(string(out))
}
