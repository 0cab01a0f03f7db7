package bleve

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
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

func rb(repo, branch string) string { return repo + "\x00" + branch }

func isBlobID(id string) bool { return id != "" && !strings.ContainsRune(id, 0) }

// trigramAnalyzer hands a blob's trigram set to Bleve as the tokens of one
// field, instead of one keyword field per trigram.
type trigramAnalyzer []string

func (a trigramAnalyzer) Analyze([]byte) analysis.TokenStream {
	tokens := make([]analysis.Token, len(a))
	out := make(analysis.TokenStream, len(a))
	for i, t := range a {
		tokens[i] = analysis.Token{Term: []byte(t), Start: 0, End: len(t), Position: i + 1, Type: analysis.AlphaNumeric}
		out[i] = &tokens[i]
	}
	return out
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

func (x *Index) blobDoc(b *indexer.Blob) (*document.Document, error) {
	if !isBlobID(b.ID) {
		return nil, fmt.Errorf("blob id %q is invalid", b.ID)
	}
	d := document.NewDocument(b.ID)
	d.AddField(x.keyword(fieldKind, kindBlob, false))
	d.AddField(document.NewTextFieldCustom(fieldTri, nil, nil, x.opts.tri, trigramAnalyzer(b.Trigrams)))
	d.AddField(x.stored(fieldText, b.Text))
	d.AddField(x.stored(fieldLines, []byte(strconv.Itoa(b.Lines))))
	return d, nil
}

func (x *Index) locDoc(l *indexer.Location) (*document.Document, error) {
	if l.Repo == "" || l.Branch == "" || l.Path == "" || !isBlobID(l.Blob) {
		return nil, fmt.Errorf("location %q %q %q of blob %q is incomplete", l.Repo, l.Branch, l.Path, l.Blob)
	}
	d := document.NewDocument(locID(l.Key()))
	d.AddField(x.keyword(fieldKind, kindLoc, false))
	d.AddField(x.keyword(fieldRepo, l.Repo, true))
	d.AddField(x.keyword(fieldBranch, l.Branch, true))
	d.AddField(x.keyword(fieldPath, l.Path, true))
	d.AddField(x.keyword(fieldBlob, l.Blob, true))
	d.AddField(x.keyword(fieldSize, strconv.FormatInt(l.Size, 10), true))
	d.AddField(x.keyword(fieldRB, rb(l.Repo, l.Branch), false))
	// Empty values are left out rather than indexed as empty terms; the
	// skipped field is what queries select on.
	if l.Language != "" {
		d.AddField(x.keyword(fieldLanguage, l.Language, true))
	}
	skipped := "n"
	if l.Skip != "" {
		d.AddField(x.keyword(fieldSkip, l.Skip, true))
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
	return d, nil
}

// locFields are the doc-value fields a Location is read back from.
var locFields = []string{fieldRepo, fieldBranch, fieldPath, fieldBlob, fieldLanguage, fieldSkip, fieldSize}

// readLoc reads the location with internal id from its doc values.
func readLoc(dv bindex.DocValueReader, id bindex.IndexInternalID) (indexer.Location, error) {
	var (
		l    indexer.Location
		size string
		err  error
	)
	set := func(dst *string, term []byte) {
		// Doc values split a value at 0xFF bytes, which a path that is not
		// UTF-8 may hold; the parts arrive in order.
		if *dst != "" {
			*dst += "\xff"
		}
		*dst += string(term)
	}
	err = dv.VisitDocValues(id, func(field string, term []byte) {
		switch field {
		case fieldRepo:
			set(&l.Repo, term)
		case fieldBranch:
			set(&l.Branch, term)
		case fieldPath:
			set(&l.Path, term)
		case fieldBlob:
			set(&l.Blob, term)
		case fieldLanguage:
			set(&l.Language, term)
		case fieldSkip:
			set(&l.Skip, term)
		case fieldSize:
			set(&size, term)
		}
	})
	if err != nil {
		return l, err
	}
	if l.Size, err = strconv.ParseInt(size, 10, 64); err != nil {
		return l, fmt.Errorf("location %s %s %s: size %q: %w", l.Repo, l.Branch, l.Path, size, err)
	}
	return l, nil
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
