package bench

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/internal/crawltest"
	"github.com/trawl-dev/trawl/search"
)

// testRunner builds the rusage helper for one test (the build cache makes
// it quick).
func testRunner(t *testing.T) runner {
	t.Helper()
	rn, err := buildRunner(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return rn
}

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
	cr := crawltest.New(t, cfg, idx, crawler.Options{})
	sum, err := cr.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Errors) > 0 || sum.Branches != 6 {
		t.Fatalf("crawl: %d branches, errors %v; want 6 branches", sum.Branches, sum.Errors)
	}
	s := search.New(idx)
	matched := 0
	var results []QueryResult
	for _, q := range queries {
		got, err := measureQuery(ctx, s, q, 1)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, got)
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
	// The fixed cost is only that if its query verifies nothing.
	if got, err := measureQuery(ctx, s, fixedCostQuery, 1); err != nil || got.Candidates != 0 || got.Lines != 0 {
		t.Errorf("%s: %d candidates, %d results (%v); want none", fixedCostQuery.Query, got.Candidates, got.Lines, err)
	}

	// csearch over the unique blobs finds what trawl finds, counted once
	// per blob.
	if why := csearchTools(); why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("csearch is required in CI (.ci/run installs codesearch): %s", why)
		}
		t.Logf("csearch comparison skipped: %s", why)
	} else {
		_, blobs, err := corpusStats(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := csearchBaseline(ctx, testRunner(t), dir, "org", blobs, 1, t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		if cs.Skipped != "" || len(cs.Queries) != len(queries) || cs.IndexBytes == 0 || cs.Blobs != int64(len(blobs)) || cs.Ignored*10 > len(blobs) {
			t.Fatalf("csearch baseline: %+v for %d blobs", cs, len(blobs))
		}
		for i, q := range queries {
			c := cs.Queries[i]
			if c.NoEquivalent != "" {
				t.Errorf("%s: no csearch equivalent: %s", q.Query, c.NoEquivalent)
				continue
			}
			if want := results[i].linesIn(cs.IgnoredBlobs); q.Limit == 0 && c.Results != want {
				t.Errorf("%s: csearch %s found %d, trawl %d in the distinct blobs cindex indexed", q.Query, shellWords(c.Args), c.Results, want)
			}
		}
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
	if disk.Folder < disk.Total {
		t.Errorf("data folder %d bytes, smaller than the index in it (%d)", disk.Folder, disk.Total)
	}
}

func TestCsearchArgs(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  string // shell words, or the start of the no-equivalent reason
	}{
		{"MaxHeaderBytes", "csearch -c -- MaxHeaderBytes"},
		{"maximum-pool-size", "csearch -i -c -- maximum-pool-size"},
		{`case:yes "sql: no rows"`, "csearch -c -- 'sql: no rows'"},
		{`"<version>1.3.0</version>"`, `csearch -i -c -- '<version>1\.3\.0</version>'`},
		{`/func \w+Context\(/`, `csearch -c -- 'func \w+Context\('`},
		{`/Serve(HTTP|Conn)\(w/`, `csearch -c -- 'Serve(HTTP|Conn)\(w'`},
		{`case:no /FOO/`, "csearch -i -c -- FOO"},
		{`file:pom\.xml`, `csearch -f 'pom\.xml' -l -- ''`},
		{`log4j-core file:build\.gradle$`, `csearch -f 'build\.gradle$' -i -c -- log4j-core`},
		{"x branch:main", "repo: and branch:"},
		{"x repo:acme/api", "repo: and branch:"},
		{"x lang:go", "lang:"},
		{"x -file:_test", "a negated term"},
		{"a b", "several content terms"},
		{"a or b", "OR"},
		{"x file:^src/", "a file: filter anchored"},
		{`x file:\Asrc/`, "a file: filter anchored"},
	} {
		args, why, err := csearchArgs(Query{Query: tc.query})
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		got := why
		if why == "" {
			got = shellWords(args)
		} else if args != nil {
			t.Errorf("%s: arguments %q beside the reason %q", tc.query, args, why)
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	if _, _, err := csearchArgs(Query{Query: "/(/"}); err == nil {
		t.Error("a bad regexp was translated")
	}
}

func TestExportName(t *testing.T) {
	hash := "0123456789abcdef0123456789abcdef01234567"
	for path, want := range map[string]string{
		"pom.xml":                  "01/23456789abcdef0123456789abcdef01234567/pom.xml",
		".github/workflows/ci.yml": "01/23456789abcdef0123456789abcdef01234567/_.github/workflows/ci.yml",
		"a/#b/~c/d~":               "01/23456789abcdef0123456789abcdef01234567/a/_#b/_~c/d~_",
	} {
		got, err := exportName(blobRef{Hash: hash, Path: path})
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", path, got, err, want)
		}
	}
	for _, path := range []string{"../x", "/etc/passwd", ""} {
		if _, err := exportName(blobRef{Hash: hash, Path: path}); err == nil {
			t.Errorf("%q was exported", path)
		}
	}
}

func TestCountCsearch(t *testing.T) {
	out := []byte("/x/a.go: 3\n/x/b c.go: 12\n")
	if n, err := countCsearch(out, []string{"-c", "--", "x"}); err != nil || n != 15 {
		t.Errorf("-c: %d, %v; want 15", n, err)
	}
	// "-c" after -- is the pattern, not the flag: csearch listed files.
	if n, err := countCsearch(out, []string{"-l", "--", "-c"}); err != nil || n != 2 {
		t.Errorf("-l: %d, %v; want 2", n, err)
	}
	if _, err := countCsearch([]byte("no count\n"), []string{"-c", "--", "x"}); err == nil {
		t.Error("a line without a count was accepted")
	}
}

// TestCsearchMissing checks that the baseline is skipped, with the reason
// in the report, when the tools are not installed.
func TestCsearchMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	cs, err := csearchBaseline(t.Context(), runner{}, t.TempDir(), "org", nil, 1, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cs.Skipped, "cindex and csearch not found") {
		t.Fatalf("skipped = %q", cs.Skipped)
	}
	r := &Report{Csearch: cs, Backends: []BackendResult{{Name: "bleve", Queries: make([]QueryResult, len(queries))}}, Grep: make([]GrepResult, len(queries))}
	for i, q := range queries {
		r.Backends[0].Queries[i].Query = q
	}
	md := r.Markdown()
	for _, want := range []string{"Not measured in this run: cindex and csearch not found", "| csearch not measured | - |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
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

// allocEnv makes TestAllocHelper allocate that many MiB and hold them.
const allocEnv = "TRAWL_BENCH_ALLOC_MIB"

// TestAllocHelper is the command TestRunMeasured measures.
func TestAllocHelper(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(allocEnv))
	if err != nil {
		t.Skip("the command TestRunMeasured runs, not a test of its own")
	}
	held := make([]byte, n<<20)
	for i := range held {
		if i%4096 == 0 {
			held[i] = 1
		}
	}
	runtime.KeepAlive(held)
}

// TestRunMeasured checks that a small command run from a large process is
// reported at its own size, and that its exit code and output come back.
func TestRunMeasured(t *testing.T) {
	ballast := make([]byte, 128<<20)
	for i := range ballast {
		if i%4096 == 0 {
			ballast[i] = 1
		}
	}
	rn := testRunner(t)
	var out strings.Builder
	m, err := rn.run(t.Context(), "git", []string{"--version"}, nil, nil, &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "git version") {
		t.Errorf("output %q", out.String())
	}
	if m.PeakRSS <= 0 || m.PeakRSS >= 32<<20 || m.Wall <= 0 {
		t.Errorf("git --version measured at %d bytes peak RSS in %v, from a process holding %d MiB", m.PeakRSS, m.Wall, len(ballast)>>20)
	}
	if runtime.GOOS == "linux" {
		if m.Anon <= 0 || m.Anon >= 16<<20 {
			t.Errorf("git --version measured at %d bytes of anonymous memory at exit", m.Anon)
		}
		// What a command allocates and holds shows in its anonymous memory
		// at exit; this test binary, run again, allocates 48 MiB.
		env := append(os.Environ(), allocEnv+"=48")
		m, err = rn.run(t.Context(), os.Args[0], []string{"-test.run", "^TestAllocHelper$"}, env, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if m.Anon < 48<<20 || m.Anon > 96<<20 || m.PeakRSS < m.Anon {
			t.Errorf("a process holding 48 MiB measured at %d bytes anonymous, %d peak RSS", m.Anon, m.PeakRSS)
		}
	}
	_, err = rn.run(t.Context(), "git", []string{"no-such-subcommand"}, nil, nil, nil, nil)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("a failing command returned %v, want exit status 1", err)
	}
	runtime.KeepAlive(ballast)
}
