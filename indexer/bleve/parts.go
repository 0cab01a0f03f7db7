package bleve

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strconv"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/trigram"
)

// A text larger than partsAbove is stored in parts of partSize bytes or a
// little more, each ending at a line end, so that verifying a query reads
// only the parts that can hold a match. Zap compresses a document's stored
// fields in one piece, and decompressing whole texts was most of a
// selective query's time on the bench org (53% of MaxHeaderBytes, whose 27
// matching files hold 4.8 MB, 10% of it in the 16 KiB parts that hold the
// word). The blob's document keeps its trigrams, its line count and, in
// fieldParts, each part's line count, size and trigram mask; each part is
// a document of its own (id "p" NUL blob NUL ordinal, kind "part") holding
// the part's text and, in fieldPartOf, the blob id, by which garbage
// collection finds it. A blob and its parts are indexed in one batch, so
// they become durable together. Smaller texts, and every text of an index
// written before parts existed, are stored whole in fieldText.
const (
	partsAbove = 64 << 10
	partSize   = 16 << 10
)

const (
	kindPart    = "part"
	fieldParts  = "parts"
	fieldPartOf = "of"
)

func partID(blob string, i int) string { return "p\x00" + blob + "\x00" + strconv.Itoa(i) }

// part describes one part of a stored text.
type part struct {
	lines int
	size  int
	mask  trigram.Mask
}

// splitText cuts text into parts (see partsAbove), or returns nil when it
// is stored whole.
func splitText(text []byte) [][]byte {
	if len(text) <= partsAbove {
		return nil
	}
	var parts [][]byte
	for len(text) > 0 {
		n := len(text)
		if n > partSize {
			if i := bytes.IndexByte(text[partSize-1:], '\n'); i >= 0 {
				n = partSize + i
			}
		}
		parts = append(parts, text[:n:n])
		text = text[n:]
	}
	return parts
}

// encodeParts is fieldParts' value: the number of parts, then each part's
// line count, size and mask.
func encodeParts(parts [][]byte) []byte {
	out := binary.AppendUvarint(nil, uint64(len(parts)))
	for _, p := range parts {
		out = binary.AppendUvarint(out, uint64(indexer.CountLines(p)))
		out = binary.AppendUvarint(out, uint64(len(p)))
		out = append(out, trigram.NewMask(p)...)
	}
	return out
}

// errBadParts is a text stored in parts that cannot be read back whole: a
// damaged record of its parts, or a part missing or of the wrong size.
var errBadParts = errors.New("damaged parts")

func decodeParts(b []byte) ([]part, error) {
	n, k := binary.Uvarint(b)
	// Each part takes a mask and two varints: n is bounded by the record.
	if k <= 0 || n == 0 || n > uint64(len(b)/(trigram.MaskBytes+2)) {
		return nil, errBadParts
	}
	b = b[k:]
	parts := make([]part, n)
	for i := range parts {
		lines, k1 := binary.Uvarint(b)
		if k1 <= 0 {
			return nil, errBadParts
		}
		size, k2 := binary.Uvarint(b[k1:])
		if k2 <= 0 || len(b) < k1+k2+trigram.MaskBytes || lines > size+1 || size > 1<<32 {
			return nil, errBadParts
		}
		b = b[k1+k2:]
		parts[i] = part{lines: int(lines), size: int(size), mask: trigram.Mask(b[:trigram.MaskBytes])}
		b = b[trigram.MaskBytes:]
	}
	if len(b) != 0 {
		return nil, errBadParts
	}
	return parts, nil
}

// indexBlob adds to batch the documents that store bl (blobDocs).
func (x *Index) indexBlob(batch *bv.Batch, bl *indexer.Blob) error {
	docs, err := x.blobDocs(bl)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if err := batch.IndexAdvanced(d); err != nil {
			return err
		}
	}
	return nil
}

// blobDocs returns the documents that store b: its own and, for a large
// text, one per part.
func (x *Index) blobDocs(b *indexer.Blob) ([]*document.Document, error) {
	if !isBlobID(b.ID) {
		return nil, fmt.Errorf("blob id %q is invalid", b.ID)
	}
	d := document.NewDocument(b.ID)
	d.AddField(x.keyword(fieldKind, kindBlob, false))
	d.AddField(&trigramField{opts: x.opts.tri, terms: b.Trigrams})
	d.AddField(x.stored(fieldLines, []byte(strconv.Itoa(b.Lines))))
	parts := splitText(b.Text)
	if parts == nil {
		d.AddField(x.stored(fieldText, b.Text))
		return []*document.Document{d}, nil
	}
	d.AddField(x.stored(fieldParts, encodeParts(parts)))
	docs := []*document.Document{d}
	for i, p := range parts {
		pd := document.NewDocument(partID(b.ID, i))
		pd.AddField(x.keyword(fieldKind, kindPart, false))
		pd.AddField(x.keyword(fieldPartOf, b.ID, false))
		pd.AddField(x.stored(fieldText, p))
		docs = append(docs, pd)
	}
	return docs, nil
}

// storedBlob is what a blob's document holds of its text: the text, when
// stored whole, or its parts.
type storedBlob struct {
	text  []byte
	parts []part // nil when stored whole
}

// storedReader reads the stored fields of documents by id from one
// snapshot. On scorch it visits the segment's fields in place, where
// Document copies every value into a new document: a part's text is then
// copied once, into the text being assembled, instead of twice (the copies
// and their garbage were a fifth of reading parts on the bench org).
type storedReader struct {
	r       bindex.IndexReader
	snap    *scorch.IndexSnapshot // nil: read through r.Document
	offsets []uint64              // first global document number of each segment
}

func newStoredReader(r bindex.IndexReader) *storedReader {
	sr := &storedReader{r: r}
	if snap, ok := r.(*scorch.IndexSnapshot); ok {
		// Scorch numbers a snapshot's documents segment after segment,
		// each segment's whole count, deleted documents included.
		sr.snap = snap
		var first uint64
		for _, ss := range snap.Segments() {
			sr.offsets = append(sr.offsets, first)
			first += ss.Segment().Count()
		}
	}
	return sr
}

// visit calls fn with each stored field of document id, its value valid
// only during the call; it reports whether the document exists.
func (sr *storedReader) visit(id string, fn func(name string, val []byte)) (bool, error) {
	if sr.snap == nil {
		doc, err := sr.r.Document(id)
		if err != nil || doc == nil {
			return false, err
		}
		doc.VisitFields(func(f bindex.Field) { fn(f.Name(), f.Value()) })
		return true, nil
	}
	iid, err := sr.snap.InternalID(id)
	if err != nil || iid == nil {
		return false, err
	}
	return true, sr.visitAt(iid.Value(), id, fn)
}

// visitAt is visit for the document of global number num, which must be
// id's in sr's snapshot.
func (sr *storedReader) visitAt(num uint64, id string, fn func(name string, val []byte)) error {
	stored, err := sr.visitNum(num, fn)
	if err == nil && stored != id {
		// Numbering worked out from scorch's layout, not its API: a
		// library that numbers otherwise must fail here, not answer with
		// another document's text.
		err = fmt.Errorf("document %d, read for %q, is %q", num, id, stored)
	}
	return err
}

// visitID calls fn with each stored field of the document with internal
// id but its _id, which it returns.
func (sr *storedReader) visitID(id bindex.IndexInternalID, fn func(name string, val []byte)) (string, error) {
	if sr.snap != nil {
		return sr.visitNum(id.Value(), fn)
	}
	ext, err := sr.r.ExternalID(id)
	if err != nil {
		return "", err
	}
	_, err = sr.visit(ext, fn)
	return ext, err
}

// visitNum calls fn with each stored field of the document of global
// number num in sr's snapshot but its _id, which it returns (scorch
// visits the _id first).
func (sr *storedReader) visitNum(num uint64, fn func(name string, val []byte)) (string, error) {
	seg := sort.Search(len(sr.offsets), func(i int) bool { return sr.offsets[i] > num }) - 1
	if seg < 0 {
		return "", fmt.Errorf("document %d lies in no segment", num)
	}
	var stored string
	err := sr.snap.Segments()[seg].VisitDocument(num-sr.offsets[seg], func(name string, _ byte, val []byte, _ []uint64) bool {
		if name == "_id" {
			stored = string(val)
		} else {
			fn(name, val)
		}
		return true
	})
	return stored, err
}

// readBlob reads blob id's document; a missing one is indexer.ErrNotFound.
func (sr *storedReader) readBlob(id string) (storedBlob, error) {
	if !isBlobID(id) {
		return storedBlob{}, indexer.ErrNotFound
	}
	return blobFrom(id, func(fn func(name string, val []byte)) (bool, error) { return sr.visit(id, fn) })
}

// readBlobAt is readBlob for the document of global number num.
func (sr *storedReader) readBlobAt(num uint64, id string) (storedBlob, error) {
	if sr.snap == nil {
		return sr.readBlob(id)
	}
	return blobFrom(id, func(fn func(name string, val []byte)) (bool, error) { return true, sr.visitAt(num, id, fn) })
}

// blobFrom decodes the stored fields of blob id that visit hands over.
func blobFrom(id string, visit func(fn func(name string, val []byte)) (bool, error)) (storedBlob, error) {
	sb := storedBlob{text: []byte{}}
	var raw []byte
	found, err := visit(func(name string, val []byte) {
		switch name {
		case fieldText:
			sb.text = bytes.Clone(val)
		case fieldParts:
			raw = bytes.Clone(val)
		}
	})
	switch {
	case err != nil:
		return sb, err
	case !found:
		return sb, indexer.ErrNotFound
	case raw != nil:
		if sb.parts, err = decodeParts(raw); err != nil {
			return sb, fmt.Errorf("blob %s: %w", id, err)
		}
	}
	return sb, nil
}

// readPart appends the text of part i of blob id, checking its size.
func (sr *storedReader) readPart(id string, i int, p part, dst []byte) ([]byte, error) {
	n := -1
	found, err := sr.visit(partID(id, i), func(name string, val []byte) {
		if name == fieldText {
			n = len(val)
			dst = append(dst, val...)
		}
	})
	if err != nil {
		return dst, err
	}
	if !found || n != p.size {
		return dst, fmt.Errorf("%w: blob %s: part %d of %d bytes is missing or %d bytes long", errBadParts, id, i, p.size, n)
	}
	return dst, nil
}

// read returns sb's text, reading its parts from sr, with each part keep
// rejects (keep nil: none) replaced by as many empty lines as it holds.
func (sb storedBlob) read(sr *storedReader, id string, keep []bool) ([]byte, error) {
	if sb.parts == nil {
		return sb.text, nil
	}
	size := 0
	for i, p := range sb.parts {
		if keep == nil || keep[i] {
			size += p.size
		} else {
			size += p.lines
		}
	}
	// The sizes are the record's; a damaged one must not allocate
	// gigabytes up front (each part's size is checked as it is read).
	out := make([]byte, 0, min(size, 64<<20))
	for i, p := range sb.parts {
		if keep != nil && !keep[i] {
			for range p.lines {
				out = append(out, '\n')
			}
			continue
		}
		var err error
		if out, err = sr.readPart(id, i, p, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PartialText returns the text of a stored blob for verifying a query, or
// indexer.ErrNotFound. A text stored in parts comes back with each part
// whose mask admit rejects, and that lies more than context lines from
// every part it accepts, replaced by as many empty lines as it holds, so
// that the lines kept keep their numbers; admit must reject only parts
// that cannot hold a line the query matches, or shows as context. A text
// stored whole comes back whole.
func (x *Index) PartialText(ctx context.Context, id string, admit func(trigram.Mask) bool, context int) ([]byte, error) {
	return x.text(ctx, id, keepFor(admit, context))
}

// text reads blob id's text from one snapshot: of a text in parts, those
// keep selects (keep nil: all).
func (x *Index) text(ctx context.Context, id string, keep func([]part) []bool) ([]byte, error) {
	if err := x.check(ctx, "read blob"); err != nil {
		return nil, err
	}
	var text []byte
	err := x.read(func(r bindex.IndexReader) error {
		sr := newStoredReader(r)
		sb, err := sr.readBlob(id)
		if err == nil {
			text, err = sb.kept(sr, id, keep)
		}
		return err
	})
	return text, x.textErr(id, err)
}

// kept is read with the parts keep selects (keep nil: all).
func (sb storedBlob) kept(sr *storedReader, id string, keep func([]part) []bool) ([]byte, error) {
	var kept []bool
	if keep != nil && sb.parts != nil {
		kept = keep(sb.parts)
	}
	return sb.read(sr, id, kept)
}

// textErr names the blob, and the index unless the blob is not found, in
// an error of reading its text.
func (x *Index) textErr(id string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, indexer.ErrNotFound):
		return fmt.Errorf("read blob %s: %w", id, indexer.ErrNotFound)
	}
	return fmt.Errorf("read blob %s from index %s: %w", id, x.dir, err)
}

// MatchCandidates is MatchBlobs for a search that reads the text of each
// candidate: fn gets, with each id, a read of its text, as PartialText
// returns it, from the snapshot the candidates come from. The read finds
// the document by the number the match gave, where PartialText looks the
// id up again: that lookup was a seventh of a regex query with a thousand
// small candidates on the bench org. Reads may run on other goroutines,
// until end returns: end is called once, with the error that stopped the
// match or nil, before the snapshot is released, and what it returns is
// MatchCandidates' result.
func (x *Index) MatchCandidates(ctx context.Context, q *trigram.Query,
	fn func(id string, read func(admit func(trigram.Mask) bool, context int) ([]byte, error)) error, end func(error) error) error {
	if err := x.check(ctx, "match blobs in index"); err != nil {
		return end(err)
	}
	bq, err := blobQuery(q)
	if err != nil {
		return end(fmt.Errorf("match blobs in index %s: %w", x.dir, err))
	}
	if bq == nil {
		return end(nil)
	}
	ended := false
	var endErr error
	err = x.read(func(r bindex.IndexReader) error {
		sr := newStoredReader(r)
		var fnErr error
		err := x.stream(ctx, r, bq, func(iid bindex.IndexInternalID) error {
			id, err := r.ExternalID(iid)
			if err != nil {
				return err
			}
			num := iid.Value()
			read := func(admit func(trigram.Mask) bool, context int) ([]byte, error) {
				sb, err := sr.readBlobAt(num, id)
				var text []byte
				if err == nil {
					text, err = sb.kept(sr, id, keepFor(admit, context))
				}
				return text, x.textErr(id, err)
			}
			if fnErr = fn(id, read); fnErr != nil {
				return errStop
			}
			return nil
		})
		switch {
		case fnErr != nil:
			err = fnErr
		case err != nil:
			err = fmt.Errorf("match blobs %s in index %s: %w", q, x.dir, err)
		}
		ended, endErr = true, end(err)
		return nil
	})
	wrapped := err
	if err != nil {
		wrapped = fmt.Errorf("match blobs %s in index %s: %w", q, x.dir, err)
	}
	switch {
	case !ended:
		return end(wrapped) // no snapshot: no read started
	case endErr != nil:
		return endErr
	}
	return wrapped // the snapshot's release failed
}

// keepFor is keepParts for admit and context, as kept takes it.
func keepFor(admit func(trigram.Mask) bool, context int) func([]part) []bool {
	return func(parts []part) []bool { return keepParts(parts, admit, context) }
}

// keepParts says which parts PartialText reads: those admit accepts and
// those within context lines of one.
func keepParts(parts []part, admit func(trigram.Mask) bool, context int) []bool {
	keep := make([]bool, len(parts))
	for i, p := range parts {
		if !admit(p.mask) {
			continue
		}
		keep[i] = true
		for j, lines := i-1, 0; j >= 0 && lines < context; j-- {
			keep[j] = true
			lines += parts[j].lines
		}
		for j, lines := i+1, 0; j < len(parts) && lines < context; j++ {
			keep[j] = true
			lines += parts[j].lines
		}
	}
	return keep
}
