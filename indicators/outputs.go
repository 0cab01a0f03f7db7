package indicators

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/internal/csvsafe"
)

// fileStamp is github-crawler's yyyyMMdd_HHmmss in its output file names.
const fileStamp = "20060102_150405"

// WriteFiles writes github-crawler's file outputs that f asks for into
// dir, named with at (local time) as github-crawler names them, and
// returns their paths. A file is never overwritten: a second run in the
// same second fails, as github-crawler's CREATE_NEW does.
//
//   - PREFIX_yyyyMMdd_HHmmss.txt: a header line, then one document per line
//     (JSON; github-crawler printed Kotlin's toString of the repository)
//   - CIdroidReadyContent_yyyyMMdd_HHmmss.csv: repositoryFullName;branchName;
//     then the indicators asked for, N/A when absent
//   - CIdroidReadyContent_yyyyMMdd_HHmmss.json: CI-droid's resource list,
//     filePathOnRepo from the first indicator, otherIndicatorN from the
//     others, tags with with_tags
//   - SearchPatternInCode_yyyyMMdd_HHmmss.csv: repositoryFullName;location
//     for each path a pathsForHitsOnRepoSearch task found
//   - RecentRepositories_yyyyMMdd_HHmmss.csv: repositoryName;creationDate;
//     lastUpdateDate per repository
func WriteFiles(dir string, f config.ExportFiles, docs []Document, at time.Time) ([]string, error) {
	stamp := at.Local().Format(fileStamp)
	var written []string
	write := func(name string, body []byte) error {
		p := filepath.Join(dir, name)
		fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("write indicator output: %w", err)
		}
		if _, err := fh.Write(body); err != nil {
			fh.Close()
			return fmt.Errorf("write indicator output %s: %w", p, err)
		}
		if err := fh.Close(); err != nil {
			return fmt.Errorf("write indicator output %s: %w", p, err)
		}
		written = append(written, p)
		return nil
	}
	if f.FilenamePrefix != "" {
		var b bytes.Buffer
		b.WriteString("OUTPUT FOR GitHub crawler - " + stamp + "\n")
		for i := range docs {
			line, err := json.Marshal(&docs[i])
			if err != nil {
				return written, err
			}
			b.Write(line)
			b.WriteByte('\n')
		}
		if err := write(f.FilenamePrefix+"_"+stamp+".txt", b.Bytes()); err != nil {
			return written, err
		}
	}
	if len(f.CIDroidCSV) > 0 {
		if err := write("CIdroidReadyContent_"+stamp+".csv", CIDroidCSV(docs, f.CIDroidCSV)); err != nil {
			return written, err
		}
	}
	if len(f.CIDroidJSON) > 0 {
		if err := write("CIdroidReadyContent_"+stamp+".json", CIDroidJSON(docs, f.CIDroidJSON, f.CIDroidJSONWithTags)); err != nil {
			return written, err
		}
	}
	if f.SearchPatternCSV != "" {
		if err := write("SearchPatternInCode_"+stamp+".csv", SearchPatternCSV(docs, f.SearchPatternCSV)); err != nil {
			return written, err
		}
	}
	if f.RecentRepositoriesCSV {
		if err := write("RecentRepositories_"+stamp+".csv", RecentRepositoriesCSV(docs)); err != nil {
			return written, err
		}
	}
	return written, nil
}

// value is what a document says for name: an indicator, else a task
// result; ok false when neither has it.
func (d *Document) value(name string) (any, bool) {
	if v, ok := d.Indicators[name]; ok {
		return v, true
	}
	v, ok := d.MiscTasksResults[name]
	return v, ok
}

// text renders a value as github-crawler's string concatenation does: a
// list as Kotlin prints one, [a, b].
func text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []string:
		return "[" + strings.Join(t, ", ") + "]"
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// CIDroidCSV is github-crawler's CIdroidReadyCsvFileOutput: a header, then
// per document repositoryFullName;branchName;value;... with N/A for a
// missing value, each value followed by ';'.
func CIDroidCSV(docs []Document, names []string) []byte {
	var b bytes.Buffer
	b.WriteString("repositoryFullName;branchName;" + strings.Join(names, ";") + "\n")
	for i := range docs {
		d := &docs[i]
		b.WriteString(cell(d.FullName) + ";" + cell(d.BranchName) + ";")
		for _, n := range names {
			v, ok := d.value(n)
			if !ok {
				b.WriteString("N/A;")
				continue
			}
			b.WriteString(cell(text(v)) + ";")
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// CIDroidJSON is github-crawler's CIdroidReadyJsonFileOutput: a JSON list
// of {repoFullName, filePathOnRepo, otherIndicatorN..., tags?, branchName},
// filePathOnRepo being the first indicator's value (a list's first
// element), tags the Kotlin rendering of the list ("[a, b]"). Unlike
// github-crawler's, strings are escaped, so the file is always JSON.
func CIDroidJSON(docs []Document, names []string, withTags bool) []byte {
	var b bytes.Buffer
	str := func(s string) string {
		j, _ := json.Marshal(s)
		return string(j)
	}
	b.WriteString("[\n")
	for i := range docs {
		d := &docs[i]
		b.WriteString(`{"repoFullName": ` + str(d.FullName) + ",")
		first, _ := d.value(names[0])
		if l, ok := first.([]string); ok && len(l) > 0 {
			first = l[0]
		}
		b.WriteString(`"filePathOnRepo": ` + str(text(first)) + ",")
		for j := 1; j < len(names); j++ {
			v, _ := d.value(names[j])
			b.WriteString(fmt.Sprintf(`"otherIndicator%d": %s,`, j, str(text(v))))
		}
		if withTags {
			b.WriteString(`"tags": ` + str(text(d.Tags)) + ",")
		}
		b.WriteString(`"branchName": ` + str(d.BranchName) + "}")
		if i < len(docs)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]")
	return b.Bytes()
}

// SearchPatternCSV is github-crawler's SearchPatternInCodeCsvFileOutput:
// per repository, one repositoryFullName;location; line per path the task
// found on the default branch's document, or "unable to parse item path"
// when the task gave no list.
func SearchPatternCSV(docs []Document, task string) []byte {
	var b bytes.Buffer
	b.WriteString("repositoryFullName;location\n")
	for _, d := range defaultDocs(docs) {
		paths, ok := d.MiscTasksResults[task].([]string)
		if !ok {
			b.WriteString(cell(d.FullName) + ";unable to parse item path;\n")
			continue
		}
		for _, p := range paths {
			b.WriteString(cell(d.FullName) + ";" + cell(p) + ";\n")
		}
	}
	return b.Bytes()
}

// RecentRepositoriesCSV is github-crawler's RecentRepositoriesCsvFileOutput:
// per repository, name;creationDate;lastUpdateDate; with dates as
// yyyy-MM-dd ("" when unknown).
func RecentRepositoriesCSV(docs []Document) []byte {
	var b bytes.Buffer
	b.WriteString("repositoryName;creationDate;lastUpdateDate\n")
	day := func(s *string) string {
		if s == nil || len(*s) < 10 {
			return ""
		}
		return (*s)[:10]
	}
	for _, d := range defaultDocs(docs) {
		b.WriteString(cell(d.Name) + ";" + day(d.CreationDate) + ";" + day(d.LastUpdateDate) + ";\n")
	}
	return b.Bytes()
}

// defaultDocs returns one document per repository: the default branch's
// when it is among docs, else the repository's first.
func defaultDocs(docs []Document) []*Document {
	var order []string
	pick := map[string]*Document{}
	for i := range docs {
		d := &docs[i]
		cur, ok := pick[d.FullName]
		if !ok {
			order = append(order, d.FullName)
			pick[d.FullName] = d
			continue
		}
		if !cur.isDefault && d.isDefault {
			pick[d.FullName] = d
		}
	}
	out := make([]*Document, len(order))
	for i, r := range order {
		out[i] = pick[r]
	}
	return out
}

// cell makes a value safe in github-crawler's semicolon-separated files,
// which it never quoted: a line break would forge a record, so it becomes
// a space, and a value starting like a spreadsheet formula (a branch named
// "=HYPERLINK(...)") is neutralised as csvsafe does.
func cell(s string) string {
	return csvsafe.Cell(strings.NewReplacer("\n", " ", "\r", " ").Replace(s))
}
