package crawler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/trawl-dev/trawl/indexer"
)

// trawl walks trees itself rather than with go-git's TreeWalker, which
// stops the whole walk at the first name it dislikes (a newline in a file
// name froze a branch) and silently ends the walk at a missing subtree.
// Here a bad name is one skipped file, a missing tree is an error, and a
// walk is streamed: no path is kept once it has been handed on.

// maxTreeDepth bounds recursion; git itself refuses deeper trees (4096).
const maxTreeDepth = 4096

// treeFile is one file of a tree as the crawler sees it.
type treeFile struct {
	path string // stored form: indexer.EscapePath of each component
	hash plumbing.Hash
	bad  bool // the name cannot be used (see badName): recorded as skipped
}

// trees reads and caches decoded trees. A cache keyed by tree id makes
// repeated subtrees (and tree bombs) cost one decode each.
type trees struct {
	s     storer.EncodedObjectStorer
	cache map[plumbing.Hash]*object.Tree
}

const treeCacheSize = 4096

func newTrees(s storer.EncodedObjectStorer) *trees {
	return &trees{s: s, cache: map[plumbing.Hash]*object.Tree{}}
}

func (t *trees) get(h plumbing.Hash) (*object.Tree, error) {
	if tr, ok := t.cache[h]; ok {
		return tr, nil
	}
	tr, err := object.GetTree(t.s, h)
	if err != nil {
		return nil, err
	}
	if len(t.cache) >= treeCacheSize {
		clear(t.cache) // crude, but bounded and good enough for locality
	}
	t.cache[h] = tr
	return tr, nil
}

// isFile reports whether a tree entry mode holds file content of this
// repository (symbolic links and submodules do not).
func isFile(m filemode.FileMode) bool {
	return m == filemode.Regular || m == filemode.Executable || m == filemode.Deprecated
}

// badName reports whether git stores name but trawl cannot use it: it holds
// a control character (a newline would forge lines in every listing), a
// slash (it would pose as a deeper path), or is "." or "..". Names that are
// merely not UTF-8 are fine: they are stored escaped.
func badName(name string) bool {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return true
	}
	for i := 0; i < len(name); {
		r, n := utf8.DecodeRuneInString(name[i:])
		if !(r == utf8.RuneError && n <= 1) && unicode.IsControl(r) {
			return true
		}
		i += n
	}
	return false
}

// escapeName is the stored form of one path component; a slash inside a
// (bad) name is escaped too, so that splitting the stored path on "/"
// gives back the components.
func escapeName(name string) string {
	e := indexer.EscapePath(name)
	if strings.Contains(e, "/") {
		e = strings.ReplaceAll(e, "/", `\x2f`)
	}
	return e
}

func joinPath(base, name string) string {
	if base == "" {
		return name
	}
	return base + "/" + name
}

// walk calls fn for every file below root, in git's order.
func (t *trees) walk(ctx context.Context, root plumbing.Hash, fn func(treeFile) error) error {
	return t.walkTree(ctx, root, "", false, 0, fn)
}

func (t *trees) walkTree(ctx context.Context, h plumbing.Hash, base string, bad bool, depth int, fn func(treeFile) error) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("tree %s at %q: nested deeper than %d", h, base, maxTreeDepth)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tr, err := t.get(h)
	if err != nil {
		return fmt.Errorf("read tree %s at %q: %w", h, base, err)
	}
	for i := range tr.Entries {
		e := &tr.Entries[i]
		if err := t.entry(ctx, e, base, bad, depth, fn); err != nil {
			return err
		}
	}
	return nil
}

func (t *trees) entry(ctx context.Context, e *object.TreeEntry, base string, bad bool, depth int, fn func(treeFile) error) error {
	path := joinPath(base, escapeName(e.Name))
	bad = bad || badName(e.Name)
	switch {
	case e.Mode == filemode.Dir:
		return t.walkTree(ctx, e.Hash, path, bad, depth+1, fn)
	case isFile(e.Mode):
		return fn(treeFile{path: path, hash: e.Hash, bad: bad})
	}
	return nil
}

// change is one difference between two trees: a file to put (new or
// changed) or one to delete.
type change struct {
	treeFile
	deleted bool
}

// diff calls fn for every file that differs between the trees a and b,
// skipping subtrees with the same id, so an incremental crawl costs what
// changed, not the size of the branch.
func (t *trees) diff(ctx context.Context, a, b plumbing.Hash, fn func(change) error) error {
	return t.diffTree(ctx, a, b, "", false, 0, fn)
}

func (t *trees) diffTree(ctx context.Context, a, b plumbing.Hash, base string, bad bool, depth int, fn func(change) error) error {
	if a == b {
		return nil
	}
	if depth > maxTreeDepth {
		return fmt.Errorf("tree %s at %q: nested deeper than %d", b, base, maxTreeDepth)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ta, err := t.get(a)
	if err != nil {
		return fmt.Errorf("read tree %s at %q: %w", a, base, err)
	}
	// Entries of a are needed after reading b, which may evict a from the
	// cache: keep the slice, not the map entry.
	ea := ta.Entries
	tb, err := t.get(b)
	if err != nil {
		return fmt.Errorf("read tree %s at %q: %w", b, base, err)
	}
	eb := tb.Entries
	put := func(e *object.TreeEntry) error {
		return t.entry(ctx, e, base, bad, depth, func(f treeFile) error { return fn(change{treeFile: f}) })
	}
	del := func(e *object.TreeEntry) error {
		return t.entry(ctx, e, base, bad, depth, func(f treeFile) error { return fn(change{treeFile: f, deleted: true}) })
	}
	i, j := 0, 0
	for i < len(ea) || j < len(eb) {
		var c int
		switch {
		case i == len(ea):
			c = 1
		case j == len(eb):
			c = -1
		default:
			c = strings.Compare(sortName(&ea[i]), sortName(&eb[j]))
		}
		switch {
		case c < 0:
			if err := del(&ea[i]); err != nil {
				return err
			}
			i++
		case c > 0:
			if err := put(&eb[j]); err != nil {
				return err
			}
			j++
		default:
			x, y := &ea[i], &eb[j]
			i++
			j++
			if x.Hash == y.Hash && x.Mode == y.Mode {
				continue
			}
			if x.Mode == filemode.Dir && y.Mode == filemode.Dir {
				path := joinPath(base, escapeName(y.Name))
				if err := t.diffTree(ctx, x.Hash, y.Hash, path, bad || badName(y.Name), depth+1, fn); err != nil {
					return err
				}
				continue
			}
			// Both are non-trees with the same name: a content or kind
			// change. A file that stays a file is put; one that became a
			// link or submodule goes.
			if isFile(y.Mode) {
				if err := put(y); err != nil {
					return err
				}
			} else if isFile(x.Mode) {
				if err := del(x); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sortName is git's tree order: a tree sorts as if its name ended in "/".
func sortName(e *object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

// errNoFile is lookup's answer for a path the tree does not hold as a file.
var errNoFile = errors.New("no such file")

// lookup returns the blob at the stored path p below root, or errNoFile.
func (t *trees) lookup(root plumbing.Hash, p string) (plumbing.Hash, error) {
	parts := strings.Split(p, "/")
	h := root
	for k, part := range parts {
		name, err := indexer.UnescapePath(part)
		if err != nil || escapeName(name) != part {
			return plumbing.ZeroHash, errNoFile // not a form the crawler writes
		}
		tr, err := t.get(h)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read tree %s: %w", h, err)
		}
		e := findEntry(tr, name, k < len(parts)-1)
		if e == nil {
			return plumbing.ZeroHash, errNoFile
		}
		if k == len(parts)-1 {
			if !isFile(e.Mode) {
				return plumbing.ZeroHash, errNoFile
			}
			return e.Hash, nil
		}
		h = e.Hash
	}
	return plumbing.ZeroHash, errNoFile
}

// findEntry finds name among tr's sorted entries: a tree when dir, else a
// non-tree.
func findEntry(tr *object.Tree, name string, dir bool) *object.TreeEntry {
	key := name
	if dir {
		key += "/"
	}
	lo, hi := 0, len(tr.Entries)
	for lo < hi {
		m := (lo + hi) / 2
		if sortName(&tr.Entries[m]) < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(tr.Entries) && tr.Entries[lo].Name == name && (tr.Entries[lo].Mode == filemode.Dir) == dir {
		return &tr.Entries[lo]
	}
	return nil
}
