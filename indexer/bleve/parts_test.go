package bleve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/document"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/verify"
	"github.com/trawl-dev/trawl/trigram"
)

// checkSplit fails unless parts are text's parts as partsAbove says: whole
// below the threshold; else pieces that join to text, each ending at its
// first line end at or after partSize bytes, or at the text's end.
func checkSplit(t *testing.T, text []byte, parts [][]byte) {
	t.Helper()
	if len(text) <= partsAbove {
		if parts != nil {
			t.Fatalf("a text of %d bytes was cut into %d parts", len(text), len(parts))
		}
		return
	}
	if !bytes.Equal(bytes.Join(parts, nil), text) {
		t.Fatal("the parts do not join to the text")
	}
	for i, p := range parts {
		last := i == len(parts)-1
		if len(p) == 0 || (!last && (p[len(p)-1] != '\n' || bytes.IndexByte(p[partSize-1:], '\n') != len(p)-partSize)) {
			t.Fatalf("part %d of %d (%d bytes) does not end at its first line end after %d bytes", i, len(parts), len(p), partSize)
		}
		if last && len(p) > partSize && bytes.IndexByte(p[partSize-1:], '\n') >= 0 && bytes.IndexByte(p[partSize-1:], '\n') != len(p)-partSize {
			t.Fatalf("the last part (%d bytes) holds a line end where a part should have ended", len(p))
		}
	}
}

func FuzzSplitText(f *testing.F) {
	f.Add([]byte("short\n"), 0)
	f.Add([]byte("line of text\n"), 10000)
	f.Add([]byte("no newline at all "), 8000)
	f.Add([]byte("x\n"), 40000)
	f.Fuzz(func(t *testing.T, unit []byte, times int) {
		if len(unit) == 0 || times < 0 || len(unit)*times > 1<<20 {
			return
		}
		text := bytes.Repeat(unit, times)
		parts := splitText(text)
		checkSplit(t, text, parts)
		if parts == nil {
			return
		}
		decoded, err := decodeParts(encodeParts(parts))
		if err != nil || len(decoded) != len(parts) {
			t.Fatalf("parts record: %d parts, %v; want %d", len(decoded), err, len(parts))
		}
		for i, p := range decoded {
			if p.size != len(parts[i]) || p.lines != indexer.CountLines(parts[i]) {
				t.Fatalf("part %d recorded as %d bytes, %d lines; want %d, %d", i, p.size, p.lines, len(parts[i]), indexer.CountLines(parts[i]))
			}
		}
	})
}

// FuzzDecodeParts feeds decodeParts arbitrary records, as a damaged index
// would: it must fail cleanly or return parts whose fields are in range.
func FuzzDecodeParts(f *testing.F) {
	f.Add(encodeParts([][]byte{[]byte("a\n"), []byte("b")}))
	f.Add([]byte{1, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		parts, err := decodeParts(b)
		if err != nil {
			return
		}
		for _, p := range parts {
			if p.lines < 0 || p.size < 0 || p.lines > p.size+1 || len(p.mask) != trigram.MaskBytes {
				t.Fatalf("decoded part %+v from %d bytes", p, len(b))
			}
		}
	})
}

func TestDecodePartsRejectsDamage(t *testing.T) {
	good := encodeParts([][]byte{[]byte("a\n"), []byte("b")})
	if _, err := decodeParts(good); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{nil, good[:len(good)-1], append(bytes.Clone(good), 0), {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}} {
		if _, err := decodeParts(bad); !errors.Is(err, errBadParts) {
			t.Errorf("decodeParts(%d bytes) = %v, want errBadParts", len(bad), err)
		}
	}
}

// bigText is a text of n numbered lines with needle on the lines in at.
func bigText(n int, at map[int]bool, final bool) []byte {
	var b bytes.Buffer
	for i := range n {
		if at[i] {
			fmt.Fprintf(&b, "needle %d", i)
		} else {
			fmt.Fprintf(&b, "line %d: %s ü", i, strings.Repeat("abc", i%17))
		}
		if i < n-1 || final {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func blobOf(text []byte) indexer.Blob {
	return indexer.Blob{ID: verify.BlobID(text, false), Text: text, Trigrams: trigram.Extract(text), Lines: indexer.CountLines(text)}
}

// countParts counts the part documents of x.
func countParts(t *testing.T, x *Index) int {
	t.Helper()
	n := 0
	err := x.read(func(r bindex.IndexReader) error {
		return x.streamIDs(context.Background(), r, term(fieldKind, kindPart), func(string) error {
			n++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestParts stores large texts in parts and reads them back: whole, in a
// scan, and partially, where every line of a part that may hold the
// needle, or lies within the context lines of one, is the text's own and
// every other line is empty; garbage collection removes the parts; a
// missing part is an error, not a shorter text.
func TestParts(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "index")
	x, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { x.Close() }()

	// Needles on the first line of a part, the last line of another and
	// the text's last line; the boundaries come from splitText.
	plain := bigText(12000, nil, true)
	parts := splitText(plain)
	if len(parts) < 8 {
		t.Fatalf("%d parts, want a text of at least 8", len(parts))
	}
	first := map[int]int{} // part -> its first line
	line := 0
	for i, p := range parts {
		first[i] = line
		line += indexer.CountLines(p)
	}
	at := map[int]bool{first[3]: true, first[6] - 1: true, 11999: true}
	texts := [][]byte{
		bigText(12000, at, false),
		bigText(12000, nil, true),
		append(bytes.Repeat([]byte("one very long line "), 10000), '\n'),
		[]byte("small\nneedle\n"),
	}
	var blobs []indexer.Blob
	var locs []indexer.Location
	for i, text := range texts {
		b := blobOf(text)
		blobs = append(blobs, b)
		locs = append(locs, indexer.Location{Repo: "acme/api", Branch: "main", Path: fmt.Sprintf("f%d", i), Blob: b.ID, Size: int64(len(text))})
	}
	c := &indexer.Changes{Blobs: blobs, PutLocs: locs, PutBranches: []indexer.Branch{{Repo: "acme/api", Name: "main", Commit: strings.Repeat("1", 40)}}}
	if err := x.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
	if n := countParts(t, x); n == 0 {
		t.Fatal("no part documents after committing large texts")
	}
	for i, b := range blobs {
		got, err := x.BlobText(ctx, b.ID)
		if err != nil || !bytes.Equal(got, b.Text) {
			t.Errorf("BlobText(text %d) = %d bytes, %v; want %d bytes", i, len(got), err, len(b.Text))
		}
	}
	scanned := 0
	err = x.ScanBlobs(ctx, func(id string, text []byte) error {
		for _, b := range blobs {
			if b.ID == id && !bytes.Equal(text, b.Text) {
				t.Errorf("ScanBlobs gave %d bytes of %s, want %d", len(text), id, len(b.Text))
			}
		}
		scanned++
		return nil
	})
	if err != nil || scanned != len(blobs) {
		t.Errorf("ScanBlobs: %d blobs, %v", scanned, err)
	}

	plan := trigram.And(trigram.Tri("NEE"), trigram.Tri("EED"), trigram.Tri("EDL"), trigram.Tri("DLE"))
	admit := func(m trigram.Mask) bool { return plan.Eval(m.Has) }
	want := strings.Split(string(texts[0]), "\n")
	for _, context := range []int{0, 2} {
		got, err := x.PartialText(ctx, blobs[0].ID, admit, context)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(got), "\n")
		if len(lines) != len(want) {
			t.Fatalf("context %d: %d lines, want %d", context, len(lines), len(want))
		}
		empty := 0
		for i, l := range lines {
			near := false
			for n := range at {
				near = near || (i >= n-context && i <= n+context)
			}
			switch {
			case l == "":
				empty++
				if near {
					t.Errorf("context %d: line %d, a needle or its context, was left out", context, i)
				}
			case l != want[i]:
				t.Errorf("context %d: line %d reads %q, want %q", context, i, l, want[i])
			}
		}
		if empty < len(want)/2 {
			t.Errorf("context %d: %d of %d lines left out, want most", context, empty, len(want))
		}
	}
	if got, err := x.PartialText(ctx, blobs[3].ID, admit, 0); err != nil || !bytes.Equal(got, texts[3]) {
		t.Errorf("PartialText of a small text = %q, %v; want it whole", got, err)
	}
	if _, err := x.PartialText(ctx, strings.Repeat("0", 40), admit, 0); !errors.Is(err, indexer.ErrNotFound) {
		t.Errorf("PartialText(missing) = %v, want ErrNotFound", err)
	}

	// A part lost: reads fail naming it.
	b := x.idx.NewBatch()
	b.Delete(partID(blobs[1].ID, 2))
	if err := x.idx.Batch(b); err != nil {
		t.Fatal(err)
	}
	if _, err := x.BlobText(ctx, blobs[1].ID); err == nil || !strings.Contains(err.Error(), "part 2") {
		t.Errorf("BlobText with a part missing = %v, want an error naming part 2", err)
	}
	// trawl verify still reads every other blob, and reports this one.
	rep, err := verify.Check(ctx, x, verify.Options{})
	if err != nil {
		t.Fatalf("verify with a part missing: %v", err)
	}
	if rep.Blobs != len(blobs) || len(rep.Problems) != 1 || rep.Problems[0].Kind != verify.KindCorrupt || rep.Problems[0].Blob != blobs[1].ID {
		t.Fatalf("verify with a part missing: %d blobs hashed, problems %+v; want %d and blob %s corrupt", rep.Blobs, rep.Problems, len(blobs), blobs[1].ID)
	}
	// --repair: the branch goes, the blob and what is left of its parts
	// are collected, and a crawl (here, a commit of what it would find)
	// writes it again.
	recrawl := func(ctx context.Context, repos []string) error {
		have, err := x.HasBlobs(ctx, []string{blobs[0].ID, blobs[1].ID, blobs[2].ID, blobs[3].ID})
		if err != nil {
			return err
		}
		again := *c
		again.Blobs = slices.DeleteFunc(slices.Clone(blobs), func(b indexer.Blob) bool { return have[b.ID] })
		return x.Commit(ctx, &again)
	}
	if _, err := verify.Repair(ctx, x, rep, recrawl); err != nil {
		t.Fatal(err)
	}
	if got, err := x.BlobText(ctx, blobs[1].ID); err != nil || !bytes.Equal(got, texts[1]) {
		t.Errorf("BlobText after repair = %d bytes, %v; want %d bytes", len(got), err, len(texts[1]))
	}
	if rep, err := verify.Check(ctx, x, verify.Options{}); err != nil || !rep.OK() {
		t.Errorf("verify after repair: %+v, %v", rep, err)
	}

	// Reopened, then collected: no part outlives its blob.
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if x, err = Open(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if got, err := x.BlobText(ctx, blobs[0].ID); err != nil || !bytes.Equal(got, texts[0]) {
		t.Errorf("BlobText after reopening = %d bytes, %v", len(got), err)
	}
	var keys []indexer.LocationKey
	for _, l := range locs {
		keys = append(keys, l.Key())
	}
	if err := x.Commit(ctx, &indexer.Changes{DeleteLocs: keys}); err != nil {
		t.Fatal(err)
	}
	if n, err := x.CollectGarbage(ctx); err != nil || n != len(blobs) {
		t.Fatalf("CollectGarbage = %d, %v; want %d", n, err, len(blobs))
	}
	if n := countParts(t, x); n != 0 {
		t.Errorf("%d part documents left after their blobs were collected", n)
	}
}

// TestLargeTextStoredWhole reads a large text that an index written before
// parts existed holds whole.
func TestLargeTextStoredWhole(t *testing.T) {
	ctx := context.Background()
	x := openT(t, filepath.Join(t.TempDir(), "index"))
	blob := blobOf(bigText(12000, map[int]bool{5: true}, true))
	d := document.NewDocument(blob.ID)
	d.AddField(x.keyword(fieldKind, kindBlob, false))
	d.AddField(&trigramField{opts: x.opts.tri, terms: blob.Trigrams})
	d.AddField(x.stored(fieldText, blob.Text))
	d.AddField(x.stored(fieldLines, []byte(fmt.Sprint(blob.Lines))))
	b := x.idx.NewBatch()
	if err := b.IndexAdvanced(d); err != nil {
		t.Fatal(err)
	}
	if err := x.idx.Batch(b); err != nil {
		t.Fatal(err)
	}
	got, err := x.PartialText(ctx, blob.ID, func(trigram.Mask) bool { return false }, 0)
	if err != nil || !bytes.Equal(got, blob.Text) {
		t.Errorf("PartialText of a large text stored whole = %d bytes, %v; want %d", len(got), err, len(blob.Text))
	}
	if got, err := x.BlobText(ctx, blob.ID); err != nil || !bytes.Equal(got, blob.Text) {
		t.Errorf("BlobText = %d bytes, %v", len(got), err)
	}
}

// TestLayoutVersion checks that a writer records the layout version and
// that an index of a later layout is refused, for reading too.
func TestLayoutVersion(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "index")
	x, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := x.idx.GetInternal(layoutKey); err != nil || string(v) != fmt.Sprint(layoutVersion) {
		t.Errorf("layout version = %q, %v; want %d", v, err, layoutVersion)
	}
	if err := x.idx.SetInternal(layoutKey, []byte(fmt.Sprint(layoutVersion+1))); err != nil {
		t.Fatal(err)
	}
	x.Close()
	for _, open := range []func(context.Context, string) (*Index, error){Open, OpenReadOnly} {
		if y, err := open(ctx, dir); err == nil || !strings.Contains(err.Error(), "later trawl") {
			if y != nil {
				y.Close()
			}
			t.Errorf("opening an index of a later layout: %v, want a refusal", err)
		}
	}
}

// TestMatchCandidates checks that each candidate's read gives what
// PartialText gives, from reads on other goroutines too, and that end runs
// once, with nil or with the error that stopped the match, its result being
// MatchCandidates'.
func TestMatchCandidates(t *testing.T) {
	ctx := context.Background()
	x := openT(t, filepath.Join(t.TempDir(), "index"))
	var blobs []indexer.Blob
	for _, text := range [][]byte{bigText(12000, map[int]bool{100: true, 9000: true}, true), []byte("a needle\n"), []byte("no match\n")} {
		blobs = append(blobs, blobOf(text))
	}
	if err := x.Commit(ctx, &indexer.Changes{Blobs: blobs}); err != nil {
		t.Fatal(err)
	}
	plan := trigram.And(trigram.Tri("NEE"), trigram.Tri("EED"), trigram.Tri("EDL"), trigram.Tri("DLE"))
	admit := func(m trigram.Mask) bool { return plan.Eval(m.Has) }
	type got struct {
		id   string
		text chan []byte
	}
	var reads []got
	ends := 0
	err := x.MatchCandidates(ctx, plan, func(id string, read func(func(trigram.Mask) bool, int) ([]byte, error)) error {
		g := got{id, make(chan []byte, 1)}
		reads = append(reads, g)
		go func() {
			text, err := read(admit, 1)
			if err != nil {
				t.Error(err)
			}
			g.text <- text
		}()
		return nil
	}, func(err error) error {
		ends++
		for _, g := range reads {
			want, werr := x.PartialText(ctx, g.id, admit, 1)
			if text := <-g.text; werr != nil || !bytes.Equal(text, want) {
				t.Errorf("read of %s: %d bytes, want %d (%v)", g.id, len(text), len(want), werr)
			}
		}
		return err
	})
	if err != nil || ends != 1 || len(reads) != 2 {
		t.Errorf("MatchCandidates = %v, end called %d times, %d candidates; want nil, 1, 2", err, ends, len(reads))
	}
	stop := errors.New("stop")
	var ended error
	err = x.MatchCandidates(ctx, plan, func(string, func(func(trigram.Mask) bool, int) ([]byte, error)) error { return stop },
		func(err error) error { ended = err; return err })
	if !errors.Is(err, stop) || !errors.Is(ended, stop) {
		t.Errorf("a failing fn: MatchCandidates = %v, end got %v; want both %v", err, ended, stop)
	}
}
