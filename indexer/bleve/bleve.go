// Package bleve is trawl's embedded index backend: an indexer.Index stored in
// a Bleve (scorch) index in one directory, with no server to run.
//
// One Bleve index holds five kinds of document, told apart by the keyword
// field "kind":
//
//   - blob (id: the git blob id): the trigram set as keyword terms in "tri",
//     indexed without term vectors, frequencies or norms, which keeps the
//     index near half the size of the text; the text itself as a stored,
//     unindexed field that zap compresses, or, over 64 KiB, the line
//     counts, sizes and trigram masks of its parts.
//   - part (id: "p" NUL blob NUL ordinal): one line-aligned piece of a
//     large text, read only when its mask admits the query (parts.go).
//   - loc (id: "l" NUL repo NUL branch NUL path): keyword fields, those
//     the id does not hold (blob, language, skip, size) with doc values,
//     so that listing locations reads the id and columns instead of
//     stored documents; "rb" (repo NUL branch) for branch filters and
//     "skipped" (y or n) for skip filters. Indexes written before the
//     id was read back also hold doc values of repo, branch and path,
//     which nothing reads.
//   - branch (id: "b" NUL repo NUL branch): the indexer.Branch as stored
//     JSON, and "recorded" (y) when the states' internal record was
//     written with it (record.go). All branch states are also kept in
//     memory, and in that record so that Open need not read documents.
//   - dep (id: "d" NUL repo NUL branch NUL ordinal): one dependency record,
//     every field a keyword with doc values (read back like locations),
//     plus "rb", which is also how deleting a branch finds its records.
//     The ordinal is the record's place in its branch's list; a
//     replacement deletes every stored record of the branch and indexes the
//     new ones in the same batch, where a put outranks a delete of its id.
//
// The documents are built by hand (Batch.IndexAdvanced) rather than through
// the mapping, so a blob's trigrams become one field instead of thousands;
// their indexing options are taken from the explicit mapping, which is saved
// with the index and describes them truthfully.
//
// The text is kept in the index rather than in a separate content store:
// a Bleve batch is atomic, so a blob's trigrams and text become durable
// together, and Commit writes the locations and branch states that refer
// to blobs only once those are durable (write.go), so a crash can never
// leave a location without its text.
package bleve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/trawl-dev/trawl/indexer"
)

// Field names and values.
const (
	fieldKind       = "kind"
	fieldTri        = "tri"
	fieldText       = "text"
	fieldLines      = "lines"
	fieldRepo       = "repo"
	fieldBranch     = "branch"
	fieldPath       = "path"
	fieldBlob       = "blob"
	fieldStoredLV   = "lvs" // a location's size, language and skip reason (lvValue), stored
	fieldStoredBlob = "lbs" // a location's blob id as bytes, stored
	fieldValues     = "lv"  // size, language and skip reason as doc values, in locations of layout 2 and before
	fieldLanguage   = "language"
	fieldSkip       = "skip"
	fieldSize       = "size"
	fieldRB         = "rb"
	fieldSkipped    = "skipped"
	fieldState      = "state"

	fieldCommit        = "commit"
	fieldLine          = "line"
	fieldEcosystem     = "ecosystem"
	fieldName          = "name"
	fieldPURL          = "purl"
	fieldVersion       = "version"
	fieldResolved      = "resolved_version"
	fieldVersionSource = "version_source"
	fieldScope         = "scope"
	fieldDirect        = "direct"

	kindBlob   = "blob"
	kindLoc    = "loc"
	kindBranch = "branch"
	kindDep    = "dep"
)

// dirtyKey is the Bleve internal key holding the dirty flag.
var dirtyKey = []byte("trawl.dirty")

// layoutKey is the Bleve internal key holding the index's layout version:
// 2 since texts over 64 KiB are stored in parts (parts.go), which the
// trawls before it, which wrote no version, would read as empty; 3 since a
// location's blob, size, language and skip reason are stored fields
// (fieldStoredBlob, fieldStoredLV), read with its id instead of from doc
// values, and a trawl of layout 2 would read the last three as missing. A
// writer records its version on an index of an earlier one, whose
// documents stay readable; no trawl opens an index of a later version than
// it knows.
var layoutKey = []byte("trawl.layout")

const layoutVersion = 3

// Index is an indexer.Index stored in a Bleve index. It is safe for
// concurrent readers and one writer; writers are serialised anyway.
type Index struct {
	dir  string
	idx  bv.Index
	adv  bindex.Index
	m    *mapping.IndexMappingImpl
	opts fieldOptions
	lock *os.File
	// readOnly is set by OpenReadOnly: writes fail with errReadOnly.
	readOnly bool

	sortInMemory      int // see the constant; tests lower it
	parallelBlobBytes int // see the constant; tests lower it
	// freeDisk is freeBytes; tests replace it to see a full disk.
	freeDisk func(dir string) (uint64, error)

	wmu    sync.Mutex // serialises Commit, CollectGarbage and SetDirty
	closed atomic.Bool

	bmu      sync.RWMutex
	branches map[indexer.BranchKey]indexer.Branch // replaced, never changed in place
	sorted   []indexer.Branch                     // branches in Branches' order, from the record or nil until asked for
	// stale says the states were read from the documents, not a record
	// that matches them: the next write rewrites both (see record.go).
	// Guarded by wmu.
	stale bool
	// reshape says the record is of the earlier shape (metadata in every
	// state, unsorted): the next write rewrites the record alone, and a
	// writer's Open does so at once. Guarded by wmu.
	reshape bool
}

var (
	_ indexer.Index     = (*Index)(nil)
	_ indexer.Compactor = (*Index)(nil)
)

// Open creates or opens the index in dir, creating dir if needed. It fails
// at once if another process (or another Open in this one) holds dir.
func Open(ctx context.Context, dir string) (*Index, error) {
	return openLocked(ctx, dir, false)
}

// OpenReadOnly opens the index in dir for reading, beside other readers:
// any number of them may hold dir at once, and none while a writer (Open)
// does; either one fails at once if the other holds it. Its writes fail
// with errReadOnly. Scorch starts neither its persister nor its merger,
// which in a writer persist a snapshot of the index at every open. A dir
// with no index yet is created empty, by Open.
func OpenReadOnly(ctx context.Context, dir string) (*Index, error) {
	if _, err := os.Stat(filepath.Join(dir, "bleve", "index_meta.json")); err != nil {
		return Open(ctx, dir)
	}
	return openLocked(ctx, dir, true)
}

func openLocked(ctx context.Context, dir string, readOnly bool) (*Index, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	lock, err := lockDir(filepath.Join(dir, "trawl.lock"), readOnly)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	x, err := open(ctx, dir, lock, readOnly, nil)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	return x, nil
}

// open opens the index in dir, which the caller has locked; scorchCfg adds
// to scorch's configuration (tests turn its merging off with it).
func open(ctx context.Context, dir string, lock *os.File, readOnly bool, scorchCfg map[string]any) (*Index, error) {
	m := newMapping()
	x := &Index{dir: dir, m: m, opts: optionsOf(m), lock: lock, readOnly: readOnly, sortInMemory: sortInMemory, parallelBlobBytes: parallelBlobBytes, freeDisk: freeBytes}
	path := filepath.Join(dir, "bleve")
	// Our lock file keeps other trawl processes out; the bolt timeout keeps
	// a foreign holder of root.bolt (a bleve tool) from hanging us.
	cfg := map[string]any{"bolt_timeout": "2s", "read_only": readOnly}
	maps.Copy(cfg, scorchCfg)
	var err error
	if _, serr := os.Stat(filepath.Join(path, "index_meta.json")); serr == nil {
		x.idx, err = bv.OpenUsing(path, cfg)
	} else if readOnly {
		// OpenReadOnly saw the index, so it is not ours to create.
		return nil, serr
	} else {
		// A directory without index_meta.json is a creation that never
		// finished; nothing in it was ever committed.
		if err := os.RemoveAll(path); err != nil {
			return nil, err
		}
		x.idx, err = bv.NewUsing(path, m, scorch.Name, scorch.Name, cfg)
	}
	if err != nil {
		return nil, err
	}
	if x.adv, err = x.idx.Advanced(); err != nil {
		x.idx.Close()
		return nil, err
	}
	if err := x.checkLayout(); err != nil {
		x.idx.Close()
		return nil, err
	}
	if x.branches, x.stale, err = x.loadStates(ctx); err != nil {
		x.idx.Close()
		return nil, fmt.Errorf("load branch states: %w", err)
	}
	// An index written by an earlier trawl, or written to by one since,
	// gets its record now rather than at the next crawl that changes a
	// branch, which may be long in coming. The states are already read;
	// if writing fails, the next Commit tries again. A reader leaves it
	// to the next writer.
	if !readOnly {
		_ = x.rewriteStates(ctx)
	}
	return x, nil
}

// checkLayout refuses an index of a later layout and records this one's
// on an earlier one, unless read-only.
func (x *Index) checkLayout() error {
	v, err := x.idx.GetInternal(layoutKey)
	if err != nil {
		return fmt.Errorf("read layout version: %w", err)
	}
	have := 1
	if len(v) > 0 {
		if have, err = strconv.Atoi(string(v)); err != nil {
			return fmt.Errorf("layout version %q is not a number", v)
		}
	}
	switch {
	case have > layoutVersion:
		return fmt.Errorf("written by a later trawl (layout %d; this one knows up to %d): run that trawl, or delete %s and crawl again", have, layoutVersion, x.dir)
	case have < layoutVersion && !x.readOnly:
		if err := x.idx.SetInternal(layoutKey, []byte(strconv.Itoa(layoutVersion))); err != nil {
			return fmt.Errorf("record layout version: %w", err)
		}
	}
	return nil
}

// Close releases the index and its lock. Closing twice is harmless; closing
// while other calls run is not supported.
func (x *Index) Close() error {
	if x.closed.Swap(true) {
		return nil
	}
	err := x.idx.Close()
	if cerr := x.lock.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close index %s: %w", x.dir, err)
	}
	return nil
}

var (
	errClosed   = errors.New("index is closed")
	errReadOnly = errors.New("index is open for reading only")
)

// checkWrite is check for an operation that writes.
func (x *Index) checkWrite(ctx context.Context, op string) error {
	if err := x.check(ctx, op); err != nil {
		return err
	}
	if x.readOnly {
		return fmt.Errorf("%s %s: %w", op, x.dir, errReadOnly)
	}
	return nil
}

// check reports a cancelled context or a closed index, for op on the index.
func (x *Index) check(ctx context.Context, op string) error {
	if x.closed.Load() {
		return fmt.Errorf("%s %s: %w", op, x.dir, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, x.dir, err)
	}
	return nil
}

// Stats counts documents by kind and sums the bytes of files in the index
// directory.
func (x *Index) Stats(ctx context.Context) (indexer.Stats, error) {
	if err := x.check(ctx, "stats of index"); err != nil {
		return indexer.Stats{}, err
	}
	var st indexer.Stats
	for _, c := range []struct {
		kind string
		n    *int
	}{{kindBlob, &st.Blobs}, {kindLoc, &st.Locations}, {kindBranch, &st.Branches}} {
		req := bv.NewSearchRequestOptions(term(fieldKind, c.kind), 0, 0, false)
		req.Score = "none"
		res, err := x.idx.SearchInContext(ctx, req)
		if err != nil {
			return st, fmt.Errorf("stats of index %s: count %s documents: %w", x.dir, c.kind, err)
		}
		*c.n = int(res.Total)
	}
	err := filepath.WalkDir(x.dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			// Scorch removes merged segments while we walk.
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				st.DiskBytes += info.Size()
			}
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("stats of index %s: %w", x.dir, err)
	}
	return st, nil
}

// fieldOptions are the indexing options of each kind of field, taken from
// the mapping so that the documents and the mapping cannot disagree.
type fieldOptions struct {
	keyword   bindex.FieldIndexingOptions // indexed keyword
	keywordDV bindex.FieldIndexingOptions // indexed keyword with doc values
	tri       bindex.FieldIndexingOptions // indexed trigram, no freq/norm
	stored    bindex.FieldIndexingOptions // stored only
}

func optionsOf(m *mapping.IndexMappingImpl) fieldOptions {
	return fieldOptions{
		keyword:   m.TypeMapping[kindLoc].Properties[fieldRB].Fields[0].Options(),
		keywordDV: m.TypeMapping[kindLoc].Properties[fieldBlob].Fields[0].Options(),
		tri:       m.TypeMapping[kindBlob].Properties[fieldTri].Fields[0].Options(),
		stored:    m.TypeMapping[kindBlob].Properties[fieldText].Fields[0].Options(),
	}
}

// newMapping is the explicit mapping of the five document kinds. Nothing
// is dynamic and there is no _all field.
func newMapping() *mapping.IndexMappingImpl {
	keywordField := func(docValues bool) *mapping.FieldMapping {
		f := mapping.NewKeywordFieldMapping()
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = docValues
		return f
	}
	triField := keywordField(false)
	triField.SkipFreqNorm = true
	storedField := mapping.NewTextFieldMapping()
	storedField.Index = false
	storedField.Store = true
	storedField.IncludeInAll = false
	storedField.IncludeTermVectors = false
	storedField.DocValues = false

	doc := func(fields map[string]*mapping.FieldMapping) *mapping.DocumentMapping {
		d := mapping.NewDocumentStaticMapping()
		fields[fieldKind] = keywordField(false)
		for name, f := range fields {
			d.AddFieldMappingsAt(name, f)
			d.Properties[name].Dynamic = false
		}
		return d
	}

	m := mapping.NewIndexMapping()
	m.TypeField = fieldKind
	m.DefaultAnalyzer = keyword.Name
	m.IndexDynamic = false
	m.StoreDynamic = false
	m.DocValuesDynamic = false
	m.DefaultMapping = mapping.NewDocumentDisabledMapping()
	m.AddDocumentMapping(kindBlob, doc(map[string]*mapping.FieldMapping{
		fieldTri:   triField,
		fieldText:  storedField,
		fieldLines: storedField,
		fieldParts: storedField,
	}))
	m.AddDocumentMapping(kindPart, doc(map[string]*mapping.FieldMapping{
		fieldText:   storedField,
		fieldPartOf: keywordField(false),
	}))
	m.AddDocumentMapping(kindLoc, doc(map[string]*mapping.FieldMapping{
		// Repo, branch and path are read back from the id, the rest
		// from the stored fields (locReader); the blob's doc values
		// serve garbage collection.
		fieldRepo:       keywordField(false),
		fieldBranch:     keywordField(false),
		fieldPath:       keywordField(false),
		fieldBlob:       keywordField(true),
		fieldStoredLV:   storedField,
		fieldStoredBlob: storedField,
		fieldValues:     keywordField(true),
		fieldRB:         keywordField(false),
		fieldSkipped:    keywordField(false),
	}))
	m.AddDocumentMapping(kindBranch, doc(map[string]*mapping.FieldMapping{
		fieldState:    storedField,
		fieldRecorded: keywordField(false),
	}))
	dep := map[string]*mapping.FieldMapping{fieldRB: keywordField(false)}
	for _, f := range depFields {
		dep[f] = keywordField(true)
	}
	m.AddDocumentMapping(kindDep, doc(dep))
	return m
}
