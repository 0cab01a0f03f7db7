package bleve

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/trawl-dev/trawl/indexer"
)

// Document ids. Git forbids NUL in repository names, ref names and paths,
// and blob ids are hex, so NUL separators make every id unambiguous and no
// location or branch id can equal a blob id.
func locID(k indexer.LocationKey) string {
	return "l\x00" + k.Repo + "\x00" + k.Branch + "\x00" + k.Path
}

func branchID(k indexer.BranchKey) string { return "b\x00" + k.Repo + "\x00" + k.Name }

func depID(k indexer.BranchKey, ordinal int) string {
	return "d\x00" + k.Repo + "\x00" + k.Name + "\x00" + strconv.Itoa(ordinal)
}

func rb(repo, branch string) string { return repo + "\x00" + branch }

func isBlobID(id string) bool { return id != "" && !strings.ContainsRune(id, 0) }

// trigramField is a blob's trigram set as the terms of one indexed field.
// It is built by hand rather than as a TextField with an analyzer because
// the set is already distinct: a TextField would allocate a token, a
// frequency and a map entry per trigram (a 100 KiB file has about 10,000)
// only to find each one once. Analysis is the part of a batch Bleve spends
// before it can build the segment, so what it saves shortens every write.
type trigramField struct {
	opts  bindex.FieldIndexingOptions
	terms []string
	freqs bindex.TokenFrequencies
}

func (f *trigramField) Name() string                         { return fieldTri }
func (f *trigramField) ArrayPositions() []uint64             { return nil }
func (f *trigramField) Options() bindex.FieldIndexingOptions { return f.opts }
func (f *trigramField) Value() []byte                        { return nil }
func (f *trigramField) NumPlainTextBytes() uint64            { return 0 }
func (f *trigramField) EncodedFieldType() byte               { return 't' }
func (f *trigramField) AnalyzedLength() int                  { return len(f.terms) }

func (f *trigramField) AnalyzedTokenFrequencies() bindex.TokenFrequencies { return f.freqs }

// Size is what Bleve counts against its memory statistics.
func (f *trigramField) Size() int { return f.freqs.Size() }

// Analyze builds the frequencies in one map, one array of entries and one
// byte array of terms. The field's options skip frequencies and norms, so,
// as TextField does with them, the entries leave the frequency at zero.
func (f *trigramField) Analyze() {
	n := 0
	for _, t := range f.terms {
		n += len(t)
	}
	buf := make([]byte, 0, n)
	entries := make([]bindex.TokenFreq, len(f.terms))
	freqs := make(bindex.TokenFrequencies, len(f.terms))
	for i, t := range f.terms {
		start := len(buf)
		buf = append(buf, t...)
		e := &entries[i]
		e.Term = buf[start:len(buf):len(buf)]
		freqs[t] = e
	}
	f.freqs = freqs
}

func (x *Index) keyword(name, value string, docValues bool) *document.TextField {
	opts := x.opts.keyword
	if docValues {
		opts = x.opts.keywordDV
	}
	// A nil analyzer makes the whole value one term.
	return document.NewTextFieldCustom(name, nil, []byte(value), opts, nil)
}

func (x *Index) stored(name string, value []byte) *document.TextField {
	return document.NewTextFieldCustom(name, nil, value, x.opts.stored, nil)
}

func (x *Index) locDoc(l *indexer.Location) (*document.Document, error) {
	if l.Repo == "" || l.Branch == "" || l.Path == "" || !isBlobID(l.Blob) {
		return nil, fmt.Errorf("location %q %q %q of blob %q is incomplete", l.Repo, l.Branch, l.Path, l.Blob)
	}
	if strings.ContainsRune(l.Language, 0) || strings.ContainsRune(l.Skip, 0) {
		return nil, fmt.Errorf("location %q %q %q: language %q or skip reason %q holds a NUL", l.Repo, l.Branch, l.Path, l.Language, l.Skip)
	}
	d := document.NewDocument(locID(l.Key()))
	d.AddField(x.keyword(fieldKind, kindLoc, false))
	d.AddField(x.keyword(fieldRepo, l.Repo, false))
	d.AddField(x.keyword(fieldBranch, l.Branch, false))
	d.AddField(x.keyword(fieldPath, l.Path, false))
	d.AddField(x.keyword(fieldBlob, l.Blob, true))
	d.AddField(x.stored(fieldStoredLV, []byte(lvValue(l))))
	// The id as bytes: half the stored size of its hex digits, which
	// isBlobID vouched for.
	raw, _ := hex.DecodeString(l.Blob)
	d.AddField(x.stored(fieldStoredBlob, raw))
	d.AddField(x.keyword(fieldRB, rb(l.Repo, l.Branch), false))
	skipped := "n"
	if l.Skip != "" {
		skipped = "y"
	}
	d.AddField(x.keyword(fieldSkipped, skipped, false))
	return d, nil
}

func (x *Index) branchDoc(b *indexer.Branch) (*document.Document, error) {
	if b.Repo == "" || b.Name == "" {
		return nil, fmt.Errorf("branch %q of repo %q is incomplete", b.Name, b.Repo)
	}
	state, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode branch %s %s: %w", b.Repo, b.Name, err)
	}
	d := document.NewDocument(branchID(b.Key()))
	d.AddField(x.keyword(fieldKind, kindBranch, false))
	d.AddField(x.stored(fieldState, state))
	// Written only with the record of all states: see record.go.
	d.AddField(x.keyword(fieldRecorded, recordedYes, false))
	return d, nil
}

// depDoc is the document of the ordinal-th dependency record of branch k.
// A record's own repo and branch, when set, must be k's.
func (x *Index) depDoc(k indexer.BranchKey, ordinal int, dep *indexer.Dependency) (*document.Document, error) {
	if k.Repo == "" || k.Name == "" {
		return nil, fmt.Errorf("dependencies of branch %q of repo %q: branch is incomplete", k.Name, k.Repo)
	}
	if (dep.Repo != "" && dep.Repo != k.Repo) || (dep.Branch != "" && dep.Branch != k.Name) {
		return nil, fmt.Errorf("dependency %s in %s of %s@%s: it names branch %s@%s",
			dep.Name, dep.Path, k.Repo, k.Name, dep.Repo, dep.Branch)
	}
	d := document.NewDocument(depID(k, ordinal))
	d.AddField(x.keyword(fieldKind, kindDep, false))
	d.AddField(x.keyword(fieldRB, rb(k.Repo, k.Name), false))
	direct := ""
	if dep.Direct {
		direct = "y"
	}
	for _, f := range []struct{ name, value string }{
		{fieldRepo, k.Repo},
		{fieldBranch, k.Name},
		{fieldCommit, dep.Commit},
		{fieldPath, dep.Path},
		{fieldLine, strconv.Itoa(dep.Line)},
		{fieldEcosystem, dep.Ecosystem},
		{fieldName, dep.Name},
		{fieldPURL, dep.PURL},
		{fieldVersion, dep.Version},
		{fieldResolved, dep.ResolvedVersion},
		{fieldVersionSource, dep.VersionSource},
		{fieldScope, dep.Scope},
		{fieldDirect, direct},
	} {
		if f.value != "" {
			d.AddField(x.keyword(f.name, f.value, true))
		}
	}
	return d, nil
}

// depFields are the doc-value fields a Dependency is read back from.
var depFields = []string{fieldRepo, fieldBranch, fieldCommit, fieldPath, fieldLine, fieldEcosystem, fieldName,
	fieldPURL, fieldVersion, fieldResolved, fieldVersionSource, fieldScope, fieldDirect}

// readDep reads the dependency record with internal id from its doc values.
func readDep(dv bindex.DocValueReader, id bindex.IndexInternalID) (indexer.Dependency, error) {
	var (
		d            indexer.Dependency
		line, direct string
	)
	err := dv.VisitDocValues(id, func(field string, term []byte) {
		switch field {
		case fieldRepo:
			appendPart(&d.Repo, term)
		case fieldBranch:
			appendPart(&d.Branch, term)
		case fieldCommit:
			appendPart(&d.Commit, term)
		case fieldPath:
			appendPart(&d.Path, term)
		case fieldLine:
			appendPart(&line, term)
		case fieldEcosystem:
			appendPart(&d.Ecosystem, term)
		case fieldName:
			appendPart(&d.Name, term)
		case fieldPURL:
			appendPart(&d.PURL, term)
		case fieldVersion:
			appendPart(&d.Version, term)
		case fieldResolved:
			appendPart(&d.ResolvedVersion, term)
		case fieldVersionSource:
			appendPart(&d.VersionSource, term)
		case fieldScope:
			appendPart(&d.Scope, term)
		case fieldDirect:
			appendPart(&direct, term)
		}
	})
	if err != nil {
		return d, err
	}
	d.Direct = direct == "y"
	if d.Line, err = strconv.Atoi(line); err != nil {
		return d, fmt.Errorf("dependency %s in %s %s %s: line %q: %w", d.Name, d.Repo, d.Branch, d.Path, line, err)
	}
	return d, nil
}

// appendPart adds a doc value term to *dst. Doc values split a value at
// 0xFF bytes, which a value that is not UTF-8 (a path) may hold; the parts
// arrive in order.
func appendPart(dst *string, term []byte) {
	if *dst != "" {
		*dst += "\xff"
	}
	*dst += string(term)
}

// lvValue is the value of a location's fieldStoredLV: its size, language
// and skip reason, NUL-separated; locDoc refuses a language or reason that
// holds a NUL.
func lvValue(l *indexer.Location) string {
	return strconv.FormatInt(l.Size, 10) + "\x00" + l.Language + "\x00" + l.Skip
}

// oldLVFields are the doc-value fields that held a location's size,
// language and skip reason before fieldStoredLV: fieldValues (an lvValue)
// in layout 2, the three fields of their own before.
var oldLVFields = []string{fieldValues, fieldLanguage, fieldSkip, fieldSize}

// locReader reads locations back from one snapshot: repo, branch and path
// from the id, the blob from fieldStoredBlob and size, language and skip
// reason from fieldStoredLV, all from the document's stored record: one
// lookup, which the id needed anyway, and a few bytes to decompress.
// Locations of earlier layouts keep these in doc values, which cost
// decompressing a field's chunk of 1,024 documents per location: on the
// bench org 2.6 ms of a whole trawl search process's 3.6 ms listing of 260
// locations went to the values' chunks, and a file: query listing 1,000
// locations spent most of its 9 ms on the blobs' chunks. A listing by blob
// takes their blob from the listed blobs' postings instead (blobsOf). A
// reader is not safe for concurrent use.
type locReader struct {
	r      bindex.IndexReader
	sr     *storedReader
	listed []string              // the blobs of a listing by blob, nil for all
	blobOf map[string]string     // listed's postings, made for the first location of an earlier layout
	blobs  bindex.DocValueReader // fieldBlob's, the same when listed is nil
	old    bindex.DocValueReader // oldLVFields', the same
}

func newLocReader(r bindex.IndexReader, listed []string) *locReader {
	return &locReader{r: r, sr: newStoredReader(r), listed: listed}
}

// read reads the location with internal id.
func (lr *locReader) read(ctx context.Context, id bindex.IndexInternalID) (indexer.Location, error) {
	var (
		l        indexer.Location
		lv       string
		storedLV bool
	)
	ext, err := lr.sr.visitID(id, func(name string, val []byte) {
		// val is the reader's buffer, valid only during the call.
		switch name {
		case fieldStoredLV:
			lv, storedLV = string(val), true
		case fieldStoredBlob:
			l.Blob = hex.EncodeToString(val)
		}
	})
	if err != nil {
		return l, err
	}
	k, ok := parseLocID(ext)
	if !ok {
		return l, fmt.Errorf("location id %q is not l NUL repo NUL branch NUL path", ext)
	}
	l.Repo, l.Branch, l.Path = k.Repo, k.Branch, k.Path
	var size string
	if storedLV {
		size, err = parseLV(&l, lv)
	} else {
		size, err = lr.oldValues(id, &l)
	}
	if err == nil && l.Blob == "" {
		err = lr.oldBlob(ctx, id, &l)
	}
	if err != nil {
		return l, err
	}
	if l.Size, err = strconv.ParseInt(size, 10, 64); err != nil {
		return l, fmt.Errorf("location %s %s %s: size %q: %w", l.Repo, l.Branch, l.Path, size, err)
	}
	return l, nil
}

// oldBlob reads into l the blob of a location written before
// fieldStoredBlob: from the listed blobs' postings, or from doc values.
func (lr *locReader) oldBlob(ctx context.Context, id bindex.IndexInternalID, l *indexer.Location) error {
	var err error
	if lr.listed != nil {
		if lr.blobOf == nil {
			if lr.blobOf, err = blobsOf(ctx, lr.r, lr.listed); err != nil {
				return err
			}
		}
		var ok bool
		if l.Blob, ok = lr.blobOf[string(id)]; !ok {
			return fmt.Errorf("location %s %s %s: in no listed blob's postings", l.Repo, l.Branch, l.Path)
		}
		return nil
	}
	if lr.blobs == nil {
		if lr.blobs, err = lr.r.DocValueReader([]string{fieldBlob}); err != nil {
			return err
		}
	}
	return lr.blobs.VisitDocValues(id, func(_ string, term []byte) { appendPart(&l.Blob, term) })
}

// oldValues reads the language and skip reason of a location written
// before fieldStoredLV into l from doc values, and returns its size.
func (lr *locReader) oldValues(id bindex.IndexInternalID, l *indexer.Location) (string, error) {
	if lr.old == nil {
		var err error
		if lr.old, err = lr.r.DocValueReader(oldLVFields); err != nil {
			return "", err
		}
	}
	var size, lv string
	err := lr.old.VisitDocValues(id, func(field string, term []byte) {
		switch field {
		case fieldLanguage:
			appendPart(&l.Language, term)
		case fieldSkip:
			appendPart(&l.Skip, term)
		case fieldSize:
			appendPart(&size, term)
		case fieldValues:
			appendPart(&lv, term)
		}
	})
	if err != nil || lv == "" {
		return size, err
	}
	return parseLV(l, lv)
}

// parseLV sets l's language and skip reason from lv, an lvValue, and
// returns its size.
func parseLV(l *indexer.Location, lv string) (string, error) {
	size, rest, ok := strings.Cut(lv, "\x00")
	if ok {
		l.Language, l.Skip, ok = strings.Cut(rest, "\x00")
	}
	if !ok {
		return "", fmt.Errorf("location %s %s %s: values %q are not size NUL language NUL skip", l.Repo, l.Branch, l.Path, lv)
	}
	return size, nil
}

// parseLocID is the inverse of locID.
func parseLocID(id string) (indexer.LocationKey, bool) {
	rest, ok := strings.CutPrefix(id, "l\x00")
	if !ok {
		return indexer.LocationKey{}, false
	}
	repo, rest, ok1 := strings.Cut(rest, "\x00")
	branch, path, ok2 := strings.Cut(rest, "\x00")
	return indexer.LocationKey{Repo: repo, Branch: branch, Path: path}, ok1 && ok2
}

func term(field, value string) *query.TermQuery {
	q := query.NewTermQuery(value)
	q.SetField(field)
	return q
}

// anyTerm matches documents whose field holds one of values.
func anyTerm(field string, values []string) query.Query {
	qs := make([]query.Query, len(values))
	for i, v := range values {
		qs[i] = term(field, v)
	}
	return query.NewDisjunctionQuery(qs)
}

var errStop = errors.New("stop")
