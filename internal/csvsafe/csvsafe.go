// Package csvsafe writes CSV that spreadsheets open as data: a cell that
// starts like a formula is neutralised, as OWASP's "CSV Injection" page
// advises, so that a branch named "=HYPERLINK(...)" or a dependency
// version "@SUM(...)" pushed by anyone with write access cannot run in
// the auditor's Excel or LibreOffice.
package csvsafe

import (
	"encoding/csv"
	"io"
)

// Cell returns s, prefixed with a single quote when it starts with one of
// the characters OWASP lists as starting a formula: = + - @, tab or
// carriage return. Spreadsheets show the quote-prefixed cell as the text
// it was; other readers see one extra leading quote, documented in
// README.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Writer is a csv.Writer whose every cell goes through Cell.
type Writer struct {
	w   *csv.Writer
	buf []string
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one record, its cells neutralised.
func (w *Writer) Write(record []string) error {
	w.buf = w.buf[:0]
	for _, c := range record {
		w.buf = append(w.buf, Cell(c))
	}
	return w.w.Write(w.buf)
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() { w.w.Flush() }

// Error reports any error of a previous Write or Flush.
func (w *Writer) Error() error { return w.w.Error() }
