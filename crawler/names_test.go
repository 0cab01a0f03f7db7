package crawler_test

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/internal/gittest"
)

// treeEntry is one entry of a tree written with git hash-object
// --literally, which stores any name git's object format can hold.
type treeEntry struct {
	mode, name, id string
}

// writeTree writes a tree object holding entries (sorted as git sorts)
// and returns its id.
func writeTree(t *testing.T, dir string, entries []treeEntry) string {
	t.Helper()
	key := func(e treeEntry) string {
		if e.mode == "40000" {
			return e.name + "/"
		}
		return e.name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	var buf bytes.Buffer
	for _, e := range entries {
		raw, err := hex.DecodeString(e.id)
		if err != nil {
			t.Fatal(err)
		}
		buf.WriteString(e.mode + " " + e.name + "\x00")
		buf.Write(raw)
	}
	return hashObject(t, dir, "tree", buf.Bytes())
}

func hashObject(t *testing.T, dir, typ string, content []byte) string {
	t.Helper()
	cmd := exec.Command("git", "-C", dir, "hash-object", "-t", typ, "-w", "--stdin", "--literally")
	cmd.Stdin = bytes.NewReader(content)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git hash-object -t %s: %v", typ, err)
	}
	return strings.TrimSpace(string(out))
}

// commitTree makes a commit of tree on branch main (with the previous
// head as parent) and returns its id.
func commitTree(t *testing.T, repo *gittest.Repo, tree string) string {
	t.Helper()
	args := []string{"commit-tree", tree, "-m", "hostile names"}
	if head, err := exec.Command("git", "-C", repo.Dir, "rev-parse", "-q", "--verify", "refs/heads/main").Output(); err == nil {
		args = append(args, "-p", strings.TrimSpace(string(head)))
	}
	id := repo.Git(args...)
	repo.Git("update-ref", "refs/heads/main", id)
	return id
}

// TestHostileNames: names git stores but trawl cannot use (newline, tab,
// other control characters, a slash inside a name) are skipped as "bad
// path" and never fail the branch: the rest is indexed and the branch
// state advances, push after push. Names that are not UTF-8 or hold a
// backslash are indexed under their escaped form, which gives back the
// raw bytes.
func TestHostileNames(t *testing.T) {
	root := t.TempDir()
	repo := gittest.Init(t, filepath.Join(root, "acme", "names"))
	dir := repo.Dir
	blob := func(s string) string { return hashObject(t, dir, "blob", []byte(s)) }
	pom := func(version string) string {
		return blob("<project>\n  <artifactId>log4j-core</artifactId>\n  <version>" + version + "</version>\n</project>\n")
	}
	hidden := blob("hidden payload timeout\n")
	badDir := writeTree(t, dir, []treeEntry{{"100644", "inner.txt", hidden}})
	realA := writeTree(t, dir, []treeEntry{{"100644", "b", blob("real a/b file\n")}})
	hostile := []treeEntry{
		{"100644", "evil\nname.txt", hidden},
		{"100644", "tab\tname.txt", hidden},
		{"100644", "ctrl\x01.txt", hidden},
		{"100644", "c1\u009b.txt", hidden},
		{"40000", "bad\ndir", badDir},
		{"100644", "a/b", blob("posing as a/b\n")}, // a slash inside one name
		{"40000", "a", realA},
		{"100644", "caf\xe9.txt", blob("accents timeout\n")}, // Latin-1 name: not UTF-8
		{"100644", `back\slash.txt`, blob("backslash timeout\n")},
	}
	tree := func(version string, entries ...treeEntry) string {
		return writeTree(t, dir, append(slices.Clone(entries), treeEntry{"100644", "pom.xml", pom(version)}))
	}
	wantBad := []string{`evil\x0aname.txt`, `tab\x09name.txt`, `ctrl\x01.txt`, `c1\xc2\x9b.txt`, `bad\x0adir/inner.txt`, `a\x2fb`}

	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			first := commitTree(t, repo, tree("2.14.0", hostile...))
			cfg := dirConfigOn(t, backend, root)
			check := func(commit, version string, bad []string) {
				t.Helper()
				sum := crawlOnce(t, cfg)
				if len(sum.Errors) > 0 {
					t.Fatalf("errors: %+v", sum.Errors)
				}
				if got := branchCommit(t, cfg, "acme/names", "main"); got != commit {
					t.Fatalf("branch state at %s, want %s: the branch did not advance", got, commit)
				}
				skips := skipReasons(t, cfg)
				var gotBad []string
				for k, reason := range skips {
					if reason == indexer.SkipBadPath {
						gotBad = append(gotBad, strings.TrimPrefix(k, "acme/names@main:"))
					}
				}
				if !sameSet(gotBad, bad) {
					t.Errorf("bad paths %q, want %q", gotBad, bad)
				}
				if hits := searchLines(t, cfg, "<version>"+version); len(hits) != 1 {
					t.Errorf("pom.xml at %s: %v", version, hits)
				}
				got := searchLines(t, cfg, "timeout")
				want := []string{`acme/names@main:caf\xe9.txt:1`, `acme/names@main:back\\slash.txt:1`}
				if !sameSet(got, want) {
					t.Errorf("timeout hits %q, want %q (the hidden payload must not be indexed)", got, want)
				}
				if hits := searchLines(t, cfg, "real a/b"); len(hits) != 1 || hits[0] != "acme/names@main:a/b:1" {
					t.Errorf("real a/b: %v", hits)
				}
			}
			check(first, "2.14.0", wantBad)
			raw, err := indexer.UnescapePath(`caf\xe9.txt`)
			if err != nil || raw != "caf\xe9.txt" {
				t.Errorf("unescape: %q, %v", raw, err)
			}

			// The next push changes pom.xml and adds one more hostile name:
			// the change is seen.
			second := commitTree(t, repo, tree("2.17.1", append(slices.Clone(hostile), treeEntry{"100644", "more\revil", hidden})...))
			check(second, "2.17.1", append(slices.Clone(wantBad), `more\x0devil`))

			// Without the hostile names, their skips go.
			third := commitTree(t, repo, tree("2.17.2", hostile[6:]...))
			check(third, "2.17.2", nil)
			repo.Git("update-ref", "-d", "refs/heads/main") // the next backend starts afresh
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// branchCommit is the indexed commit of a branch, or "".
func branchCommit(t *testing.T, cfg *config.Config, repo, branch string) string {
	t.Helper()
	idx := openIndex(t, cfg)
	defer idx.Close()
	states, err := idx.Branches(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range states {
		if b.Repo == repo && b.Name == branch {
			return b.Commit
		}
	}
	return ""
}
