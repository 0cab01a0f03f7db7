package gittest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// bigFile is a >1 MiB text of numbered lines drawn from the parity
// vocabulary, so that small edits make good deltas.
func bigFile(r *rand.Rand, lines int) []string {
	vocab := []string{"timeout", "Timeout", "log4j-core", "err != nil", "version=2.14.1", "version=2.17.1",
		"spring.datasource.url", "x := 42", "Straße", "foo_bar", "FooBar"}
	out := make([]string, lines)
	for i := range out {
		out[i] = fmt.Sprintf("%06d %s %s %s", i, vocab[r.IntN(len(vocab))], strings.Repeat("abcdefghij", 4), vocab[r.IntN(len(vocab))])
	}
	return out
}

// DeltaRepo builds a repository whose >1 MiB files were edited many
// times on several branches, then repacked so that most versions are
// deltas (git repack -adf --depth=50 --window=250).
func DeltaRepo(t testing.TB, dir string, seed uint64, branches, edits int) *Repo {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 9))
	repo := Init(t, dir)
	lines := bigFile(r, 26000)
	other := bigFile(r, 24000)
	write := func() {
		repo.Commit("edit", map[string]string{
			"gen/bindata.go":  strings.Join(lines, "\n") + "\n",
			"data/table.txt":  strings.Join(other, "\n") + "\n",
			"small/notes.txt": lines[r.IntN(len(lines))] + "\n",
		})
	}
	write()
	for b := range branches {
		repo.Checkout("main")
		if b > 0 {
			repo.Checkout(fmt.Sprintf("release/%d", b))
		}
		for range edits {
			for range 3 {
				i := r.IntN(len(lines))
				lines[i] = fmt.Sprintf("%06d edited timeout %d on branch %d", i, r.IntN(1000), b)
			}
			other[r.IntN(len(other))] = "log4j-core " + fmt.Sprint(r.IntN(100))
			write()
		}
	}
	repo.Git("repack", "-adf", "--depth=50", "--window=250")
	repo.Git("prune-packed")
	return repo
}
