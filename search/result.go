package search

import (
	"bufio"
	"encoding/json"
	"io"
)

// Result is the answer to one query, as docs/design.md §6 fixes it for the CLI's
// --json output and GET /api/search.
type Result struct {
	Query string `json:"query"`
	Stats Stats  `json:"stats"`
	Files []File `json:"files"`
}

// Stats summarises a search.
type Stats struct {
	Files      int     `json:"files"`      // files in the answer
	Matches    int     `json:"matches"`    // matching lines in the answer
	Candidates int     `json:"candidates"` // blobs the trigram plan selected and the verifier read
	DurationMS float64 `json:"duration_ms"`
	LimitHit   bool    `json:"limit_hit"` // a limit stopped the search: the answer is incomplete
	// LimitReason says which limit, when LimitHit: one of the Limit
	// constants.
	LimitReason string `json:"limit_reason,omitempty"`
}

// Reasons a search stopped early, in Stats.LimitReason.
const (
	LimitFiles   = "max_files"        // Options.MaxFiles files
	LimitMatches = "max_matches"      // Options.MaxMatches matching lines
	LimitBytes   = "max_answer_bytes" // Options.MaxBytes of answer
	LimitTimeout = "timeout"          // Options.Timeout passed
)

// File is one (repo, path, blob) with every branch where the path holds the blob.
type File struct {
	Repo     string      `json:"repo"`
	Path     string      `json:"path"`
	Blob     string      `json:"blob"`
	Language string      `json:"language"`
	Branches []BranchRef `json:"branches"` // default branch first, then by name
	URL      string      `json:"url"`      // permalink at the first branch's commit; empty when the host is unknown
	Matches  []Match     `json:"matches"`  // empty for a query with filters only
}

// BranchRef names a branch and the commit of its indexed head.
type BranchRef struct {
	Name   string `json:"name"`
	Commit string `json:"commit"`
}

// Match is one matching line.
type Match struct {
	Line   int      `json:"line"`   // 1-based
	Text   string   `json:"text"`   // the line without its newline
	Ranges [][2]int `json:"ranges"` // [start, end) byte offsets in Text
	Before []string `json:"before"` // context lines before, oldest first
	After  []string `json:"after"`
}

// WriteJSON writes r as `trawl search --json` prints it: the bytes of
// json.Encoder with SetIndent("", "  "), written one file at a time. The
// encoder builds the whole text in memory, and indents it into a second
// copy, before writing a byte; an exhaustive answer runs to tens of
// megabytes (the bench's "err != nil": 49 MB).
func (r *Result) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	put := func(v any, prefix string) error {
		b, err := json.MarshalIndent(v, prefix, "  ")
		if err == nil {
			_, err = bw.Write(b)
		}
		return err
	}
	bw.WriteString("{\n  \"query\": ")
	if err := put(r.Query, "  "); err != nil {
		return err
	}
	bw.WriteString(",\n  \"stats\": ")
	if err := put(r.Stats, "  "); err != nil {
		return err
	}
	bw.WriteString(",\n  \"files\": ")
	switch {
	case r.Files == nil:
		bw.WriteString("null")
	case len(r.Files) == 0:
		bw.WriteString("[]")
	default:
		bw.WriteString("[\n")
		for i := range r.Files {
			bw.WriteString("    ")
			if err := put(&r.Files[i], "    "); err != nil {
				return err
			}
			if i < len(r.Files)-1 {
				bw.WriteByte(',')
			}
			bw.WriteByte('\n')
		}
		bw.WriteString("  ]")
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}
