package search

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/trigram"
)

// TestFindAllLongLineExact checks that the interruptible matcher of long
// lines finds exactly what regexp's FindAllIndex finds, word boundaries,
// anchors, empty matches and invalid UTF-8 included.
func TestFindAllLongLineExact(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	patterns := []string{`a`, `ab|a`, `\bab`, `b\b`, `\Bb`, `^a`, `a$`, `x*`, `a*?`, `(?i)é`, `\w+`, `(a|b)c?`, `[^a]`, `^`, `$`, `\b`, `.`, `(?i)k`}
	alphabet := []string{"a", "b", "c", " ", "é", "É", "\xff", "\xe2\x82", "K", "\u212a", "x", "_"}
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		// A cost this high sends every line down the long path.
		lr := &lineRe{re: re, cost: stepBudget}
		b := &budget{ctx: t.Context()}
		for range 300 {
			var sb strings.Builder
			for range r.IntN(12) {
				sb.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			line := []byte(sb.String())
			got, err := lr.findAll(b, line)
			if err != nil {
				t.Fatal(err)
			}
			if want := re.FindAllIndex(line, -1); !reflect.DeepEqual(got, want) {
				t.Fatalf("/%s/ on %q: %v, want %v", p, line, got, want)
			}
		}
	}
}

// countdownCtx is a context that reports itself done after its Err has
// been asked n times: it stops a verifier in the middle of its work
// without any timing.
type countdownCtx struct {
	context.Context
	n atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.n.Add(-1) < 0 {
		return context.DeadlineExceeded
	}
	return nil
}

// pathological is one line on which /[a-j]{1000}[0-9]/ costs about 2,000
// NFA steps per byte (tens of seconds for a megabyte), with a match at its
// very end so that a search that ignores its deadline answers in full.
func pathological(n int) string {
	var sb strings.Builder
	for i := range n {
		sb.WriteByte('a' + byte(i%10))
	}
	sb.WriteByte('7')
	return sb.String()
}

func TestVerifyStopsInsideALine(t *testing.T) {
	q, err := Parse(`/[a-j]{1000}[0-9]/`)
	if err != nil {
		t.Fatal(err)
	}
	// Done at the third check: the first is made before the line starts,
	// so the others are made inside it.
	ctx := &countdownCtx{Context: context.Background()}
	ctx.n.Store(3)
	tm, err := newVerifier(q.ContentTerms()).match(ctx, []byte(pathological(256<<10)))
	if err != context.DeadlineExceeded {
		t.Fatalf("match: error %v, want the context's", err)
	}
	if len(tm.ranges) != 0 {
		t.Errorf("match stopped with %d lines found, want none", len(tm.ranges))
	}

	// Many short lines: the check between them holds too.
	ctx.n.Store(3)
	many := strings.Repeat(pathological(1100)+"\n", 2000)
	if _, err := newVerifier(q.ContentTerms()).match(ctx, []byte(many)); err != context.DeadlineExceeded {
		t.Fatalf("match over many lines: error %v, want the context's", err)
	}

	ctx.n.Store(3)
	if _, err := Highlight(ctx, `/[a-j]{1000}[0-9]/`, []byte(pathological(256<<10))); err != context.DeadlineExceeded {
		t.Errorf("Highlight: error %v, want the context's", err)
	}
}

// oneFileSearcher indexes text as acme/min:main:app.min.js.
func oneFileSearcher(t *testing.T, text string) *Searcher {
	t.Helper()
	idx, err := bleve.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	id := strings.Repeat("ab", 20)
	c := &indexer.Changes{
		Blobs:       []indexer.Blob{{ID: id, Text: []byte(text), Trigrams: trigram.Extract([]byte(text)), Lines: strings.Count(text, "\n") + 1}},
		PutLocs:     []indexer.Location{{Repo: "acme/min", Branch: "main", Path: "app.min.js", Blob: id, Size: int64(len(text))}},
		PutBranches: []indexer.Branch{{Repo: "acme/min", Name: "main", Commit: commitOf("acme/min", "main"), Meta: indexer.Repo{Name: "acme/min", DefaultBranch: "main"}}},
	}
	if err := idx.Commit(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return New(idx)
}

// TestSearchDeadlineInsideAFile searches a pathological regexp over one
// long line: the answer must be the deadline's (limit_hit, reason timeout,
// no file) rather than the full one (the line matches at its end).
func TestSearchDeadlineInsideAFile(t *testing.T) {
	s := oneFileSearcher(t, pathological(512<<10))
	res, err := s.Search(t.Context(), `/[a-j]{1000}[0-9]/`, Options{Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Stats.LimitHit || res.Stats.LimitReason != LimitTimeout || len(res.Files) != 0 {
		t.Errorf("stats %+v with %d files; want limit_hit, reason %q and no file", res.Stats, len(res.Files), LimitTimeout)
	}
}

func TestSearchMaxBytes(t *testing.T) {
	// 2,000 matching lines of 100 bytes with 10 lines of context each:
	// about 4 MB of answer unbounded.
	line := "log4j " + strings.Repeat("x", 94)
	s := oneFileSearcher(t, strings.Repeat(line+"\n", 2000))
	res, err := s.Search(t.Context(), `log4j`, Options{Context: 10, MaxBytes: 100 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Stats.LimitHit || res.Stats.LimitReason != LimitBytes {
		t.Fatalf("stats %+v; want limit_hit with reason %q", res.Stats, LimitBytes)
	}
	if len(res.Files) != 1 || len(res.Files[0].Matches) == 0 || res.Stats.Matches != len(res.Files[0].Matches) {
		t.Fatalf("%d files, stats %+v: want the file with the matches that fit", len(res.Files), res.Stats)
	}
	size := 0
	for _, m := range res.Files[0].Matches {
		size += len(m.Text)
		for _, c := range append(m.Before, m.After...) {
			size += len(c)
		}
	}
	if size > 100<<10 {
		t.Errorf("answer holds %d bytes of lines, bound 100 KiB", size)
	}

	// Unbounded, the same search returns every line.
	res, err = s.Search(t.Context(), `log4j`, Options{Context: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.LimitHit || res.Stats.Matches != 2000 {
		t.Errorf("unbounded: stats %+v, want 2000 matches", res.Stats)
	}

	// Not one line fits: no file, and the reason.
	res, err = s.Search(t.Context(), `log4j`, Options{Context: 10, MaxBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Stats.LimitHit || res.Stats.LimitReason != LimitBytes || len(res.Files) != 0 {
		t.Errorf("tiny bound: stats %+v with %d files; want limit_hit %q and none", res.Stats, len(res.Files), LimitBytes)
	}
}

func TestSearchLimitReasons(t *testing.T) {
	s := newFixture(t)
	for _, tt := range []struct {
		opt    Options
		reason string
	}{
		{Options{MaxFiles: 2}, LimitFiles},
		{Options{MaxMatches: 1}, LimitMatches},
	} {
		res, err := s.Search(t.Context(), `log4j`, tt.opt)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Stats.LimitHit || res.Stats.LimitReason != tt.reason {
			t.Errorf("%+v: stats %+v, want reason %q", tt.opt, res.Stats, tt.reason)
		}
	}
	res, err := s.Search(t.Context(), `log4j`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.LimitHit || res.Stats.LimitReason != "" {
		t.Errorf("no limit: stats %+v", res.Stats)
	}
}

// FuzzFindAllLongLine compares the interruptible matcher of long lines
// with regexp's FindAllIndex on any pattern and line.
func FuzzFindAllLongLine(f *testing.F) {
	f.Add(`\bab`, "ab ab_ab")
	f.Add(`x*`, "axxb")
	f.Add(`(?i)k$`, "K\u212a")
	f.Add(`^|$`, "\xffé")
	f.Fuzz(func(t *testing.T, pattern, line string) {
		re, err := regexp.Compile(pattern)
		if err != nil || strings.Contains(line, "\n") {
			return
		}
		lr := &lineRe{re: re, cost: stepBudget}
		got, err := lr.findAll(&budget{ctx: context.Background()}, []byte(line))
		if err != nil {
			t.Fatal(err)
		}
		if want := re.FindAllIndex([]byte(line), -1); !reflect.DeepEqual(got, want) {
			t.Fatalf("/%s/ on %q: %v, want %v", pattern, line, got, want)
		}
	})
}

func TestJSONSize(t *testing.T) {
	for _, s := range []string{"", "plain", `<a href="x">&amp;</a>`, "tab\there\r", "\x00\x1f", `back\slash`, "ünï"} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonSize([]byte(s)); got != len(b) {
			t.Errorf("jsonSize(%q) = %d, want %d (%s)", s, got, len(b), b)
		}
	}
}
