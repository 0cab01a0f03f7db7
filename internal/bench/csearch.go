package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/trawl-dev/trawl/search"
)

// The csearch baseline is Russ Cox's cindex/csearch (Debian package
// codesearch) over the org's unique blobs, each written once to a folder.
// It knows no branches, so it is a floor for trawl to approach, not a peer:
// the same text, indexed once, searched by a tool that does nothing else.

// blobRef is one unique blob of the org and the first path it was seen at.
type blobRef struct {
	Repo string // bare repository folder
	Hash string
	Path string
}

// CsearchRun is what the csearch baseline measured.
type CsearchRun struct {
	Skipped      string // why it was not measured; empty when it was
	Version      string // of the Debian package, when dpkg knows it
	Blobs        int64  // files written, one per unique blob
	Bytes        int64  // their content
	ExportTime   time.Duration
	IndexTime    time.Duration // cindex, whole process
	IndexPeakRSS int64
	IndexBytes   int64 // the index file
	Ignored      int   // files cindex declined (too long, not UTF-8, ...)
	// IgnoredBlobs holds the blobs cindex declined, whose matches csearch
	// cannot find.
	IgnoredBlobs map[string]bool
	Queries      []CsearchResult
}

// CsearchResult is csearch's measurement of one benchmark query.
type CsearchResult struct {
	Args         []string // after csearch; nil when NoEquivalent says why
	NoEquivalent string
	Runs         int
	P50          time.Duration
	PeakRSS      int64
	Anon         int64 // the most anonymous memory at exit of any run; -1 when unknown
	Results      int64 // lines (-c) or files (-l) in the unique blobs
}

// csearchTools says why the baseline cannot run, or "" when it can.
func csearchTools() string {
	var missing []string
	for _, tool := range []string{"cindex", "csearch"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return strings.Join(missing, " and ") + " not found on PATH (Debian package codesearch; scripts/bench.sh installs it when apt-get can)"
}

// csearchArgs translates q into csearch arguments: -i where trawl folds
// case, the literal quoted with regexp.QuoteMeta (csearch takes RE2, as
// trawl's /re/ does), a file: filter as -f, -c to count matching lines like
// the git grep baseline, and -l with an empty pattern for a query with
// filters only. A query csearch cannot express returns a reason instead.
func csearchArgs(q Query) (args []string, noEquivalent string, err error) {
	parsed, err := search.Parse(q.Query)
	if err != nil {
		return nil, "", err
	}
	if strings.Contains(parsed.Root.String(), "(or ") {
		return nil, "OR (csearch takes one regexp per query)", nil
	}
	var content, paths []*search.Term
	for _, t := range parsed.Terms {
		if t.Negated {
			return nil, "a negated term (csearch has no NOT)", nil
		}
		switch t.Field {
		case search.FieldContent:
			content = append(content, t)
		case search.FieldPath:
			paths = append(paths, t)
		case search.FieldRepo, search.FieldBranch:
			return nil, "repo: and branch: filters (csearch knows no repositories or branches)", nil
		case search.FieldLang:
			return nil, "lang: (csearch knows no languages)", nil
		default:
			return nil, fmt.Sprintf("field %d has no csearch equivalent", t.Field), nil
		}
	}
	switch {
	case len(content) > 1:
		return nil, "several content terms (csearch matches one regexp per line, not terms anywhere in a file)", nil
	case len(paths) > 1:
		return nil, "several file: filters (csearch takes one -f)", nil
	}
	if len(paths) == 1 {
		anchored, err := anchoredAtStart(paths[0].Value)
		if err != nil {
			return nil, "", fmt.Errorf("query %q: %w", q.Query, err)
		}
		if anchored {
			return nil, "a file: filter anchored at the path's start (the exported names start with their folder)", nil
		}
		args = append(args, "-f", paths[0].Value)
	}
	if len(content) == 0 {
		return append(args, "-l", "--", ""), "", nil
	}
	t := content[0]
	if t.Fold {
		args = append(args, "-i")
	}
	pattern := t.Value
	if !t.Regex {
		pattern = regexp.QuoteMeta(t.Value)
	}
	return append(args, "-c", "--", pattern), "", nil
}

// anchoredAtStart reports whether the path regexp re holds ^ or \A.
func anchoredAtStart(re string) (bool, error) {
	syn, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return false, err
	}
	var walk func(*syntax.Regexp) bool
	walk = func(r *syntax.Regexp) bool {
		if r.Op == syntax.OpBeginText || r.Op == syntax.OpBeginLine {
			return true
		}
		for _, s := range r.Sub {
			if walk(s) {
				return true
			}
		}
		return false
	}
	return walk(syn), nil
}

// exportName is where blob b is written below the export folder: its
// hash, then its path, so that csearch -f sees the path trawl's file:
// sees. cindex skips names that start with '.', '#' or '~' or end with
// '~', so such path elements gain a '_' that keeps the file indexed.
func exportName(b blobRef) (string, error) {
	if len(b.Hash) < 3 || !filepath.IsLocal(b.Path) {
		return "", fmt.Errorf("export blob %s at %q: not a blob hash and a relative path", b.Hash, b.Path)
	}
	elems := strings.Split(b.Path, "/")
	for i, e := range elems {
		if e[0] == '.' || e[0] == '#' || e[0] == '~' {
			e = "_" + e
		}
		if strings.HasSuffix(e, "~") {
			e += "_"
		}
		elems[i] = e
	}
	return filepath.Join(append([]string{b.Hash[:2], b.Hash[2:]}, elems...)...), nil
}

// exportBlobs writes every blob once below dir, one git cat-file --batch
// per repository, and returns their count and bytes.
func exportBlobs(ctx context.Context, dir string, blobs []blobRef) (n, size int64, err error) {
	byRepo := map[string][]blobRef{}
	var order []string
	for _, b := range blobs {
		if _, ok := byRepo[b.Repo]; !ok {
			order = append(order, b.Repo)
		}
		byRepo[b.Repo] = append(byRepo[b.Repo], b)
	}
	for _, repo := range order {
		k, s, err := exportRepo(ctx, dir, repo, byRepo[repo])
		n, size = n+k, size+s
		if err != nil {
			return n, size, err
		}
	}
	return n, size, nil
}

func exportRepo(ctx context.Context, dir, repo string, blobs []blobRef) (n, size int64, err error) {
	var in bytes.Buffer
	for _, b := range blobs {
		in.WriteString(b.Hash + "\n")
	}
	cmd := exec.CommandContext(ctx, "git", "-C", repo, "cat-file", "--batch")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("git cat-file --batch in %s: %w", repo, err)
	}
	r := bufio.NewReaderSize(out, 1<<20)
	readErr := func() error {
		for _, b := range blobs {
			header, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("read blob %s: %w", b.Hash, err)
			}
			// <object> SP <type> SP <size> LF <contents> LF
			f := strings.Fields(header)
			if len(f) != 3 || f[0] != b.Hash || f[1] != "blob" {
				return fmt.Errorf("read blob %s: unexpected header %q", b.Hash, strings.TrimSpace(header))
			}
			length, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				return fmt.Errorf("read blob %s: bad size in %q", b.Hash, strings.TrimSpace(header))
			}
			name, err := exportName(b)
			if err != nil {
				return err
			}
			path := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := writeFrom(path, r, length); err != nil {
				return fmt.Errorf("export blob %s to %s: %w", b.Hash, path, err)
			}
			if _, err := r.Discard(1); err != nil {
				return fmt.Errorf("read blob %s: %w", b.Hash, err)
			}
			n++
			size += length
		}
		return nil
	}()
	if readErr != nil {
		_ = cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	if readErr != nil {
		return n, size, fmt.Errorf("git cat-file --batch in %s: %w", repo, readErr)
	}
	if waitErr != nil {
		return n, size, fmt.Errorf("git cat-file --batch in %s: %w: %s", repo, waitErr, strings.TrimSpace(stderr.String()))
	}
	return n, size, nil
}

func writeFrom(path string, r io.Reader, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, n); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// csearchBaseline exports the org's unique blobs below work (once per
// org: the export is cached beside it), indexes them with cindex and times
// every query with csearch.
func csearchBaseline(ctx context.Context, rn runner, work, orgKey string, blobs []blobRef, runs int, logf func(string, ...any)) (CsearchRun, error) {
	var cs CsearchRun
	if why := csearchTools(); why != "" {
		cs.Skipped = why
		logf("csearch baseline skipped: %s", why)
		return cs, nil
	}
	if out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f", "${Version}", "codesearch").Output(); err == nil {
		cs.Version = strings.TrimSpace(string(out))
	}
	root := filepath.Join(work, "csearch", orgKey)
	dir := filepath.Join(root, "blobs")
	marker := filepath.Join(root, completeMarker)
	if _, err := os.Stat(marker); err == nil {
		logf("csearch: using the exported blobs in %s", dir)
		var err error
		if cs.Blobs, cs.Bytes, err = folderSize(dir); err != nil {
			return cs, err
		}
	} else {
		logf("csearch: exporting %d unique blobs to %s", len(blobs), dir)
		if err := os.RemoveAll(root); err != nil {
			return cs, fmt.Errorf("csearch export %s: %w", root, err)
		}
		start := time.Now()
		var err error
		if cs.Blobs, cs.Bytes, err = exportBlobs(ctx, dir, blobs); err != nil {
			return cs, err
		}
		cs.ExportTime = time.Since(start)
		if err := os.WriteFile(marker, nil, 0o644); err != nil {
			return cs, err
		}
	}

	index := filepath.Join(root, "csearchindex")
	if err := os.Remove(index); err != nil && !errors.Is(err, os.ErrNotExist) {
		return cs, err
	}
	logf("csearch: cindex %s", dir)
	env := append(os.Environ(), "CSEARCHINDEX="+index)
	// -verbose lists every file indexed; cindex drops the others (lines
	// over 2000 bytes, over 20000 trigrams, invalid UTF-8) without a word.
	var stderr bytes.Buffer
	m, err := rn.run(ctx, "cindex", []string{"-verbose", dir}, env, nil, nil, &stderr)
	if err != nil {
		return cs, fmt.Errorf("cindex %s: %w: %s", dir, err, lastLines(stderr.String(), 5))
	}
	cs.IndexTime, cs.IndexPeakRSS = m.Wall, m.PeakRSS
	indexed := indexedFiles(stderr.String())
	cs.IgnoredBlobs = map[string]bool{}
	for _, b := range blobs {
		name, err := exportName(b)
		if err != nil {
			return cs, err
		}
		if !indexed[filepath.Join(dir, name)] {
			cs.IgnoredBlobs[b.Hash] = true
		}
	}
	cs.Ignored = len(cs.IgnoredBlobs)
	info, err := os.Stat(index)
	if err != nil {
		return cs, fmt.Errorf("cindex wrote no index: %w", err)
	}
	cs.IndexBytes = info.Size()

	for _, q := range queries {
		args, why, err := csearchArgs(q)
		if err != nil {
			return cs, err
		}
		r := CsearchResult{Args: args, NoEquivalent: why}
		if why == "" {
			logf("csearch: %s", q.Query)
			if r, err = timeCsearch(ctx, rn, env, args, runs); err != nil {
				return cs, err
			}
		}
		cs.Queries = append(cs.Queries, r)
	}
	return cs, nil
}

// indexedFiles reads the files cindex -verbose reports, one per log line:
// "<date> <time> <bytes> <trigrams> <path>".
func indexedFiles(log string) map[string]bool {
	files := map[string]bool{}
	for line := range strings.Lines(log) {
		f := strings.SplitN(strings.TrimRight(line, "\n"), " ", 5)
		if len(f) != 5 {
			continue
		}
		if _, err := strconv.Atoi(f[2]); err != nil {
			continue
		}
		if _, err := strconv.Atoi(f[3]); err != nil {
			continue
		}
		files[f[4]] = true
	}
	return files
}

// timeCsearch runs csearch once to warm the page cache, then up to runs
// times (fewer once 10 s have gone), and reports the median wall time and
// the highest peak RSS.
func timeCsearch(ctx context.Context, rn runner, env, args []string, runs int) (CsearchResult, error) {
	r := CsearchResult{Args: args, Anon: -1}
	var times []time.Duration
	begin := time.Now()
	for i := 0; i <= runs && (i < 2 || time.Since(begin) < 10*time.Second); i++ {
		var stdout, stderr bytes.Buffer
		m, err := rn.run(ctx, "csearch", args, env, nil, &stdout, &stderr)
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 1 && stderr.Len() == 0 {
			err = nil // no match
		}
		if err != nil {
			return r, fmt.Errorf("csearch %s: %w: %s", strings.Join(args, " "), err, lastLines(stderr.String(), 5))
		}
		r.PeakRSS, r.Anon = max(r.PeakRSS, m.PeakRSS), max(r.Anon, m.Anon)
		n, err := countCsearch(stdout.Bytes(), args)
		if err != nil {
			return r, err
		}
		r.Results = n
		if i > 0 {
			times = append(times, m.Wall)
		}
	}
	r.Runs = len(times)
	r.P50 = percentile(times, 50)
	return r, nil
}

// countCsearch sums csearch -c's "name: count" lines, or counts -l's names.
func countCsearch(out []byte, args []string) (int64, error) {
	counted := false
	for _, a := range args {
		if a == "--" {
			break
		}
		counted = counted || a == "-c"
	}
	var total int64
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !counted {
			total++
			continue
		}
		i := strings.LastIndex(line, ": ")
		if i < 0 {
			return 0, fmt.Errorf("csearch -c: bad line %q", line)
		}
		n, err := strconv.ParseInt(line[i+2:], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("csearch -c: bad line %q", line)
		}
		total += n
	}
	return total, sc.Err()
}

// folderSize counts the files below dir and their bytes.
func folderSize(dir string) (files, size int64, err error) {
	err = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files++
		size += info.Size()
		return nil
	})
	if err != nil {
		return files, size, fmt.Errorf("size of %s: %w", dir, err)
	}
	return files, size, nil
}

func peakRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return maxRSSBytes(ru)
	}
	return 0
}

// lastLines keeps the end of a tool's log for an error message.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
