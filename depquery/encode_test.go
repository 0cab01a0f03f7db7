package depquery

import (
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/deps"
)

func TestRecordWriter(t *testing.T) {
	d := deps.Dependency{Repo: "acme/api", Branch: "main", Commit: "c1", Path: "pom.xml", Line: 3, Ecosystem: "maven",
		Name: "g:a", PURL: "pkg:maven/g/a@1", Version: "1", ResolvedVersion: "1", VersionSource: "literal", Scope: "compile", Direct: true}
	var b strings.Builder
	if err := WriteCSV(&b, []deps.Dependency{d, {Name: "=cmd"}}); err != nil {
		t.Fatal(err)
	}
	want := "repo,branch,commit,path,line,ecosystem,name,purl,version,resolved_version,version_source,scope,direct\n" +
		"acme/api,main,c1,pom.xml,3,maven,g:a,pkg:maven/g/a@1,1,1,literal,compile,true\n" +
		",,,,0,,'=cmd,,,,,,false\n"
	if b.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	rw, err := NewRecordWriter(&b, NDJSON)
	if err != nil {
		t.Fatal(err)
	}
	rw.Write(d)
	rw.Write(d)
	if err := rw.Flush(); err != nil {
		t.Fatal(err)
	}
	line := `{"repo":"acme/api","branch":"main","commit":"c1","path":"pom.xml","line":3,"ecosystem":"maven","name":"g:a","purl":"pkg:maven/g/a@1","version":"1","resolved_version":"1","version_source":"literal","scope":"compile","direct":true}` + "\n"
	if b.String() != line+line {
		t.Errorf("NDJSON:\n%s\nwant two lines of\n%s", b.String(), line)
	}

	if _, err := NewRecordWriter(&b, "xml"); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("format xml: err %v, want one naming the format", err)
	}
}

func TestWriteSummary(t *testing.T) {
	rows := []VersionCount{{Ecosystem: "npm", Name: "lodash", Version: "4.17.21", Repos: 2, Branches: 3, Files: 4}}
	var b strings.Builder
	if err := WriteSummary(&b, CSV, rows); err != nil {
		t.Fatal(err)
	}
	if want := "ecosystem,name,version,repos,branches,files\nnpm,lodash,4.17.21,2,3,4\n"; b.String() != want {
		t.Errorf("CSV %q, want %q", b.String(), want)
	}
	b.Reset()
	if err := WriteSummary(&b, NDJSON, rows); err != nil {
		t.Fatal(err)
	}
	if want := `{"ecosystem":"npm","name":"lodash","version":"4.17.21","repos":2,"branches":3,"files":4}` + "\n"; b.String() != want {
		t.Errorf("NDJSON %q, want %q", b.String(), want)
	}
	if err := WriteSummary(&b, "json", rows); err == nil {
		t.Error("format json: no error")
	}
}
