package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/source/sources"
)

// smallOrg generates a three-repository org (net/http, crypto/x509 and
// database/sql, one package each) with two branches under root.
func smallOrg(t *testing.T, root string) *Org {
	t.Helper()
	goroot, err := goEnv(t.Context(), "GOROOT")
	if err != nil {
		t.Fatal(err)
	}
	org, err := generateOrg(t.Context(), root, OrgParams{Repos: 3, Branches: 2, Scale: 0.01, GoRoot: goroot}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	return org
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestGenerateOrgIsDeterministicAndCached(t *testing.T) {
	a, b := smallOrg(t, t.TempDir()), smallOrg(t, t.TempDir())
	for i, r := range a.Repos {
		refs := git(t, r.Path, "for-each-ref", "--format=%(refname) %(objectname)")
		if want := git(t, b.Repos[i].Path, "for-each-ref", "--format=%(refname) %(objectname)"); refs != want {
			t.Errorf("%s: two generations differ:\n%s\n%s", r.Name, refs, want)
		}
		if got := strings.Count(refs, "\n") + 1; got != 2 {
			t.Errorf("%s: %d branches, want 2:\n%s", r.Name, got, refs)
		}
		// A release branch shares most blobs with main but not its version.
		diff := git(t, r.Path, "diff", "--name-only", "release/1.0", "main")
		if !strings.Contains(diff, "pom.xml") {
			t.Errorf("%s: release/1.0 and main have the same pom.xml", r.Name)
		}
	}

	// A second call with the same parameters reuses the org: a repository
	// removed behind its back stays removed.
	root := filepath.Dir(a.Dir)
	if err := os.RemoveAll(a.Repos[0].Path); err != nil {
		t.Fatal(err)
	}
	smallOrg(t, root)
	if _, err := os.Stat(a.Repos[0].Path); !os.IsNotExist(err) {
		t.Errorf("the cached org was generated again (stat: %v)", err)
	}
}

// TestQueriesMatchGitGrep crawls the small org with the real crawler and
// bleve backend and checks that every benchmark query finds what its git
// grep baseline finds, so the ratios compare equal work.
func TestQueriesMatchGitGrep(t *testing.T) {
	ctx := t.Context()
	org := smallOrg(t, t.TempDir())
	dir := t.TempDir()
	b := bleveBackend{}
	cfg, err := writeConfig(org, b, filepath.Join(dir, "data"), filepath.Join(dir, "trawl.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := b.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := sources.For(cfg, sources.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cr, err := crawler.New(cfg, idx, crawler.Options{Sources: srcs})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := cr.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Errors) > 0 || sum.Branches != 6 {
		t.Fatalf("crawl: %d branches, errors %v; want 6 branches", sum.Branches, sum.Errors)
	}
	s := search.New(idx)
	matched := 0
	for _, q := range queries {
		got, err := measureQuery(ctx, s, q, 1)
		if err != nil {
			t.Fatal(err)
		}
		want, err := gitGrep(ctx, org, q)
		if err != nil {
			t.Fatal(err)
		}
		if q.Limit > 0 {
			if !got.LimitHit && got.Lines != want.Lines {
				t.Errorf("%s: trawl %d results under the limit, git grep %d", q.Query, got.Lines, want.Lines)
			}
			continue
		}
		if got.Lines != want.Lines {
			t.Errorf("%s: trawl %d results, git grep %d", q.Query, got.Lines, want.Lines)
		}
		if got.Lines > 0 {
			matched++
		}
	}
	// The comparison means little if the queries find nothing.
	if matched < len(queries)/2 {
		t.Errorf("only %d of %d queries found anything in the small org", matched, len(queries))
	}

	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	disk, err := b.Disk(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The stored text is compressed but not to nothing.
	if disk.Stored <= sum.BytesIndexed/10 || disk.Stored >= disk.Total {
		t.Errorf("stored fields %d bytes of %d on disk for %d bytes of text", disk.Stored, disk.Total, sum.BytesIndexed)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 20; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if got := percentile(d, 50); got != 10*time.Millisecond {
		t.Errorf("p50 = %v, want 10ms", got)
	}
	if got := percentile(d, 95); got != 19*time.Millisecond {
		t.Errorf("p95 = %v, want 19ms", got)
	}
	if got := percentile(d[:1], 95); got != 20*time.Millisecond {
		t.Errorf("p95 of one = %v, want 20ms", got)
	}
}

func TestGrepArgs(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  string
	}{
		{"MaxHeaderBytes", "grep -I -n -c -F -e MaxHeaderBytes"},
		{"maximum-pool-size", "grep -I -n -c -i -F -e maximum-pool-size"},
		{`case:yes "sql: no rows"`, "grep -I -n -c -F -e sql: no rows"},
		{`/func \w+Context\(/`, `grep -I -n -c -P -e func \w+Context\(`},
		{`file:pom\.xml`, "grep -I -l -e "},
	} {
		args, err := grepArgs(Query{Query: tc.query})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(args, " "); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	if _, err := grepArgs(Query{Query: "a -b"}); err == nil {
		t.Error("a negated term was accepted")
	}
}

func TestZapStoredBytesRejectsShortFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.zap")
	if err := os.WriteFile(path, []byte("short"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := zapStoredBytes(path); err == nil {
		t.Error("a 5-byte file was read as a zap segment")
	}
}
