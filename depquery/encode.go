package depquery

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/trawl-dev/trawl/deps"
	"github.com/trawl-dev/trawl/internal/csvsafe"
)

// CSVHeader is the column order of a record in CSV, as docs/design.md §7
// and the README list it.
func CSVHeader() []string {
	return []string{"repo", "branch", "commit", "path", "line", "ecosystem", "name", "purl",
		"version", "resolved_version", "version_source", "scope", "direct"}
}

// CSVRow is d in the columns of CSVHeader.
func CSVRow(d deps.Dependency) []string {
	return []string{d.Repo, d.Branch, d.Commit, d.Path, strconv.Itoa(d.Line), d.Ecosystem, d.Name, d.PURL,
		d.Version, d.ResolvedVersion, d.VersionSource, d.Scope, strconv.FormatBool(d.Direct)}
}

// SummaryCSVHeader is the column order of a VersionCount in CSV.
func SummaryCSVHeader() []string {
	return []string{"ecosystem", "name", "version", "repos", "branches", "files"}
}

// SummaryCSVRow is v in the columns of SummaryCSVHeader.
func SummaryCSVRow(v VersionCount) []string {
	return []string{v.Ecosystem, v.Name, v.Version, strconv.Itoa(v.Repos), strconv.Itoa(v.Branches), strconv.Itoa(v.Files)}
}

// Formats a RecordWriter writes.
const (
	CSV    = "csv"
	NDJSON = "ndjson"
)

// RecordWriter writes records one at a time as CSV (header row first,
// cells made safe for spreadsheets by csvsafe) or as NDJSON, one JSON
// object a line, so that an export of a whole organisation is written as
// it is read.
type RecordWriter struct {
	csv *csvsafe.Writer
	enc *json.Encoder
}

// NewRecordWriter starts a stream of records in format (CSV or NDJSON); a
// CSV stream's header row is written now.
func NewRecordWriter(w io.Writer, format string) (*RecordWriter, error) {
	switch format {
	case CSV:
		cw := csvsafe.NewWriter(w)
		if err := cw.Write(CSVHeader()); err != nil {
			return nil, fmt.Errorf("write CSV header: %w", err)
		}
		return &RecordWriter{csv: cw}, nil
	case NDJSON:
		return &RecordWriter{enc: json.NewEncoder(w)}, nil
	}
	return nil, fmt.Errorf("record format %q: want %s or %s", format, CSV, NDJSON)
}

// Write adds one record.
func (rw *RecordWriter) Write(d deps.Dependency) error {
	if rw.csv != nil {
		rw.csv.Write(CSVRow(d))
		return rw.csv.Error()
	}
	if err := rw.enc.Encode(d); err != nil {
		return fmt.Errorf("write record: %w", err)
	}
	return nil
}

// Flush writes out what a CSV stream buffers, and reports its first error.
// NDJSON is not buffered.
func (rw *RecordWriter) Flush() error {
	if rw.csv == nil {
		return nil
	}
	rw.csv.Flush()
	return rw.csv.Error()
}

// WriteCSV writes records as CSV with a header row.
func WriteCSV(w io.Writer, records []deps.Dependency) error {
	rw, err := NewRecordWriter(w, CSV)
	if err != nil {
		return err
	}
	for _, d := range records {
		if err := rw.Write(d); err != nil {
			return err
		}
	}
	return rw.Flush()
}

// WriteSummary writes rows as CSV (with a header row) or as NDJSON.
func WriteSummary(w io.Writer, format string, rows []VersionCount) error {
	switch format {
	case CSV:
		cw := csvsafe.NewWriter(w)
		cw.Write(SummaryCSVHeader())
		for _, v := range rows {
			cw.Write(SummaryCSVRow(v))
		}
		cw.Flush()
		return cw.Error()
	case NDJSON:
		enc := json.NewEncoder(w)
		for _, v := range rows {
			if err := enc.Encode(v); err != nil {
				return fmt.Errorf("write summary: %w", err)
			}
		}
		return nil
	}
	return fmt.Errorf("summary format %q: want %s or %s", format, CSV, NDJSON)
}
