package gittest

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// A GrepHit is one line git grep matched.
type GrepHit struct {
	Branch, Path string
	Line         int
}

// Grep runs git grep -n -I with args (flags and pattern) on every branch
// of the repository in dir: the baseline trawl's results must equal.
func Grep(t testing.TB, dir string, args ...string) []GrepHit {
	t.Helper()
	branches := strings.Fields(Run(t, dir, "for-each-ref", "--format=%(refname:short)", "refs/heads"))
	var hits []GrepHit
	for _, branch := range branches {
		cmd := exec.Command("git", append(append([]string{"-C", dir, "grep", "-n", "-I", "--null", "--no-color"}, args...), branch)...)
		cmd.Env = append(cmd.Environ(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			continue // no match on this branch
		}
		if err != nil {
			t.Fatalf("git grep %v %s: %v", args, branch, err)
		}
		// With --null: "branch:path\0line\0text\n".
		for _, rec := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
			parts := bytes.SplitN(rec, []byte{0}, 3)
			if len(parts) < 3 {
				// A match line holding a newline cannot happen; a text
				// holding \r\n splits oddly only in the text part.
				continue
			}
			var line int
			fmt.Sscan(string(parts[1]), &line)
			path := strings.TrimPrefix(string(parts[0]), branch+":")
			// git grep lets a pattern that matches the empty string match
			// a phantom line after a file's final newline; GNU grep does
			// not, and neither does trawl: it is not a line.
			if len(parts[2]) == 0 {
				content, err := exec.Command("git", "-C", dir, "cat-file", "blob", branch+":"+path).Output()
				if err != nil {
					t.Fatalf("git cat-file %s:%s: %v", branch, path, err)
				}
				if bytes.HasSuffix(content, []byte("\n")) && line == bytes.Count(content, []byte("\n"))+1 {
					continue
				}
			}
			hits = append(hits, GrepHit{Branch: branch, Path: path, Line: line})
		}
	}
	return hits
}
