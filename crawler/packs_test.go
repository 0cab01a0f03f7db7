package crawler_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/internal/gittest"
)

// TestPackFilesClosed: a crawl keeps each repository's pack files open
// while it reads that repository and closes them after; repeated crawls
// (as trawl serve runs them) must not pile up descriptors.
func TestPackFilesClosed(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd to count open files")
	}
	root := t.TempDir()
	repos := map[string]*gittest.Repo{}
	for _, name := range []string{"api", "web", "ops"} {
		r := gittest.Init(t, filepath.Join(root, "acme", name))
		r.Commit("first", map[string]string{"a.txt": "alpha " + name + "\n", "b/c.txt": "gamma\n"})
		r.Git("gc", "-q") // objects in a pack, which is what stays open
		repos[name] = r
	}
	// Without collections, a pack file left open stays open (the
	// finalizer of an unreachable file would close it).
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	cfg := dirConfig(t, root, t.TempDir(), "")
	crawlOnce(t, cfg)
	before := openFiles(t)
	for i := range 3 {
		for name, r := range repos {
			r.Commit("more", map[string]string{fmt.Sprintf("n%d.txt", i): "new " + name + "\n"})
			r.Git("gc", "-q")
		}
		if sum := crawlOnce(t, cfg); sum.BranchesChanged != 3 || len(sum.Errors) > 0 {
			t.Fatalf("crawl %d: %+v", i, sum)
		}
	}
	if after := openFiles(t); len(after) > len(before) {
		t.Errorf("open files grew from %d to %d over three crawls: %q", len(before), len(after), after)
	}
	for _, f := range openFiles(t) {
		if strings.HasSuffix(f, ".pack") {
			t.Errorf("pack file still open after the crawl: %s", f)
		}
	}
}

// openFiles lists what the process has open.
func openFiles(t *testing.T) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil {
			out = append(out, target)
		}
	}
	return out
}
