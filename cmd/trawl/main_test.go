package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/internal/indexdump"
	"github.com/trawl-dev/trawl/search"
)

// buildTrawl compiles the command once per test binary run.
func buildTrawl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "trawl")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func writeConfig(t *testing.T, root, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trawl.yaml")
	yaml := fmt.Sprintf("sources:\n  - dir: %s\nindex:\n  path: %s\n", root, data)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func snapshotOf(t *testing.T, data string) indexdump.Snapshot {
	t.Helper()
	ctx := context.Background()
	idx, err := bleve.Open(ctx, filepath.Join(data, "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	s, err := indexdump.Take(ctx, idx)
	if err != nil {
		t.Fatalf("inconsistent index in %s: %v", data, err)
	}
	return s
}

// branchCount opens the index in data, which a killed crawl may have
// left midway, and counts its branch states.
func branchCount(t *testing.T, data string) int {
	t.Helper()
	ctx := context.Background()
	idx, err := bleve.Open(ctx, filepath.Join(data, "index"))
	if err != nil {
		t.Fatalf("open an index left by a killed crawl: %v", err)
	}
	defer idx.Close()
	b, err := idx.Branches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// bulkOrg is an org large enough that a crawl takes a while: the kill
// points land in the middle of it.
func bulkOrg(t *testing.T, root string) {
	t.Helper()
	repos := gittest.MakeOrg(t, root, 4, 3)
	r := rand.New(rand.NewPCG(5, 5))
	for name, repo := range repos {
		files := map[string]string{}
		for i := range 250 {
			var b strings.Builder
			for range 80 {
				fmt.Fprintf(&b, "%s line %d value=%x\n", name, i, r.Uint64())
			}
			files[fmt.Sprintf("bulk/%03d.txt", i)] = b.String()
		}
		repo.Checkout("develop")
		repo.Commit("bulk", files)
		repo.Checkout("main")
	}
}

// TestKillNineThenRerunEqualsCleanCrawl kills trawl crawl with SIGKILL at
// several points, reruns it to completion, and compares the index with a
// clean crawl's: a killed crawl must be redone, never half-remembered.
func TestKillNineThenRerunEqualsCleanCrawl(t *testing.T) {
	bin := buildTrawl(t)
	root := t.TempDir()
	bulkOrg(t, root)

	clean := t.TempDir()
	if out, err := exec.Command(bin, "crawl", "-c", writeConfig(t, root, clean)).CombinedOutput(); err != nil {
		t.Fatalf("clean crawl: %v\n%s", err, out)
	}
	want := snapshotOf(t, clean)

	data := t.TempDir()
	cfg := writeConfig(t, root, data)
	total := len(want.Branches)
	partial := 0
	// Kill points are events, not times: after the k-th branch is queued
	// for writing, whatever the machine's speed.
	for _, k := range []int{1, 4, 9, 15} {
		cmd := exec.Command(bin, "crawl", "-c", cfg, "--batch-bytes", "65536", "--log-level", "debug")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		for seen := 0; seen < k && sc.Scan(); {
			if strings.Contains(sc.Text(), "branch queued") {
				seen++
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		io.Copy(io.Discard, stderr)
		cmd.Wait()
		if n := branchCount(t, data); n > 0 && n < total {
			partial++
		}
	}
	if partial == 0 {
		t.Fatal("no kill left a partly written index: the test did not exercise a killed crawl")
	}
	if out, err := exec.Command(bin, "crawl", "-c", cfg).CombinedOutput(); err != nil {
		t.Fatalf("crawl after kills: %v\n%s", err, out)
	}
	got := snapshotOf(t, data)
	if d := got.Diff(want); d != "" {
		t.Fatalf("after %d kills that left a partial index and a rerun, the index differs from a clean crawl (- rerun, + clean):\n%s", partial, d)
	}
}

// TestCLI runs the commands as a user would and checks their output
// formats and exit codes.
func TestCLI(t *testing.T) {
	bin := buildTrawl(t)
	root := t.TempDir()
	repo := gittest.Init(t, filepath.Join(root, "acme", "api"))
	repo.Commit("first", map[string]string{"pom.xml": "<artifactId>log4j-core</artifactId>\n", "bin.dat": "a\x00b",
		"go.mod": "module acme.example/api\n\ngo 1.22\n\nrequire github.com/google/uuid v1.3.0\n"})
	repo.Checkout("release/1.2")
	repo.Commit("release", map[string]string{"notes.txt": "hello\n"})
	repo.Checkout("main") // HEAD names the default branch, listed first
	data := t.TempDir()
	cfg := writeConfig(t, root, data)

	run := func(args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), code
	}

	if out, code := run("crawl", "-c", cfg, "--json"); code != 0 || !strings.Contains(out, `"branches": 2`) {
		t.Fatalf("crawl: exit %d\n%s", code, out)
	}
	out, code := run("search", "-c", cfg, "log4j-core")
	wantLines := "acme/api@main:pom.xml:1:<artifactId>log4j-core</artifactId>\nacme/api@release/1.2:pom.xml:1:<artifactId>log4j-core</artifactId>\n"
	if code != 0 || out != wantLines {
		t.Fatalf("search: exit %d\n%q\nwant\n%q", code, out, wantLines)
	}
	out, code = run("search", "-c", cfg, "--json", "log4j file:pom.xml")
	var res search.Result
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil {
		t.Fatalf("search --json: exit %d, %v\n%s", code, err, out)
	}
	if len(res.Files) != 1 || len(res.Files[0].Branches) != 2 || res.Files[0].Matches[0].Ranges[0] != [2]int{12, 17} {
		t.Fatalf("search --json: %+v", res)
	}
	// Commands that only read share the index with each other, not with
	// a crawl.
	reader, err := bleve.OpenReadOnly(context.Background(), filepath.Join(data, "index"))
	if err != nil {
		t.Fatal(err)
	}
	if out, code := run("search", "-c", cfg, "log4j-core"); code != 0 || out != wantLines {
		t.Errorf("search beside a reader: exit %d\n%s", code, out)
	}
	if out, code := run("crawl", "-c", cfg); code != 1 || !strings.Contains(out, "in use by another trawl process") {
		t.Errorf("crawl beside a reader: exit %d, want 1 and the index in use\n%s", code, out)
	}
	reader.Close()
	if out, code = run("search", "-c", cfg, "(unclosed"); code != 2 || !strings.Contains(out, "^") {
		t.Errorf("bad query: exit %d, want 2 with a caret under the position\n%s", code, out)
	}
	if out, code = run("skipped", "-c", cfg); code != 0 || !strings.Contains(out, "bin.dat") || !strings.Contains(out, "binary") {
		t.Errorf("skipped: exit %d\n%s", code, out)
	}
	out, code = run("deps", "-c", cfg, "--json", "github.com/google/uuid", "--version", "<1.6.0")
	var dj struct{ Dependencies []map[string]any }
	if err := json.Unmarshal([]byte(out), &dj); code != 0 || err != nil || len(dj.Dependencies) != 2 ||
		dj.Dependencies[0]["line"] != 5.0 || dj.Dependencies[0]["purl"] != "pkg:golang/github.com/google/uuid@v1.3.0" {
		t.Errorf("deps --json: exit %d, %v\n%s", code, err, out)
	}
	if out, code = run("deps", "-c", cfg, "--summary", "github.com/google/uuid"); code != 0 || !strings.Contains(out, "v1.3.0") {
		t.Errorf("deps --summary: exit %d\n%s", code, out)
	}
	if out, code = run("deps", "-c", cfg, "x", "--version", "<<nonsense"); code != 2 {
		t.Errorf("deps with a bad range: exit %d, want 2\n%s", code, out)
	}
	if out, code = run("config", "check", "-c", cfg); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("config check: exit %d\n%s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "trawl.yaml")
	os.WriteFile(bad, []byte("sources:\n  - dir: /x\nfiles:\n  max_sise: 1MiB\n"), 0o644)
	if out, code = run("config", "check", "-c", bad); code != 2 || !strings.Contains(out, ":4:") || !strings.Contains(out, "max_sise") {
		t.Errorf("config check on a bad key: exit %d, want 2 naming line 4 and the key\n%s", code, out)
	}
	if _, code = run("frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if out, code = run("search", "-h"); code != 0 || !strings.Contains(out, "Examples") {
		t.Errorf("search -h: exit %d\n%s", code, out)
	}
}
