package osv

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/indexer"
)

// OSV-schema documents (https://ossf.github.io/osv-schema/), written for
// these tests.
var advisories = map[string]string{
	"GHSA-jfh8-c2jp-5v3q.json": `{"schema_version": "1.6.0", "id": "GHSA-jfh8-c2jp-5v3q", "aliases": ["CVE-2021-44228"],
	  "summary": "Remote code injection in Log4j",
	  "affected": [{"package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
	    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.3.1"}, {"introduced": "2.4"}, {"fixed": "2.12.2"}, {"introduced": "2.13.0"}, {"fixed": "2.15.0"}]}]}]}`,
	"GHSA-last.json": `{"id": "GHSA-last", "details": "Only until 1.4.\nMore text.",
	  "affected": [{"package": {"ecosystem": "Maven", "name": "com.acme:lib"},
	    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "1.4"}]}]}]}`,
	"npm/GHSA-npm.json": `{"id": "GHSA-npm", "summary": "Prototype pollution",
	  "affected": [{"package": {"ecosystem": "npm", "name": "lodash"}, "versions": ["4.17.15", "4.17.16"],
	    "ranges": [{"type": "GIT", "repo": "https://github.com/lodash/lodash", "events": [{"introduced": "0"}, {"fixed": "abc123"}]}]}]}`,
	"GO-2022-0001.json": `{"id": "GO-2022-0001", "summary": "Go module issue",
	  "affected": [{"package": {"ecosystem": "Go", "name": "golang.org/x/text"},
	    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.3.7"}]}]}]}`,
	"PYSEC-1.json": `{"id": "PYSEC-1", "summary": "py", "withdrawn": "2023-01-01T00:00:00Z",
	  "affected": [{"package": {"ecosystem": "PyPI", "name": "Django"}, "versions": ["3.0"]}]}`,
}

// writeZip builds an archive laid out like OSV's all.zip.
func writeZip(t testing.TB, entries map[string]string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "all.zip")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for n, body := range entries {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestImportAndMatch(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	st, err := Importer{DataDir: data}.Import(ctx, writeZip(t, advisories))
	if err != nil {
		t.Fatal(err)
	}
	if st.Advisories != 4 || st.Withdrawn != 1 || st.Ecosystems["maven"] != 2 || st.Ecosystems["npm"] != 1 || st.Ecosystems["golang"] != 1 {
		t.Errorf("stats = %+v", st)
	}
	db, err := Load(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if db.Len() != 4 || db.Digest() == "" {
		t.Errorf("Len %d, digest %q", db.Len(), db.Digest())
	}
	log4j := "org.apache.logging.log4j:log4j-core"
	tests := []struct {
		dep       indexer.Dependency
		id, fixed string // "" id: no advisory
	}{
		{indexer.Dependency{Ecosystem: "maven", Name: log4j, Version: "2.14.1"}, "GHSA-jfh8-c2jp-5v3q", "2.15.0"},
		{indexer.Dependency{Ecosystem: "maven", Name: log4j, Version: "2.12.1"}, "GHSA-jfh8-c2jp-5v3q", "2.12.2"},
		{indexer.Dependency{Ecosystem: "maven", Name: log4j, Version: "2.12.2"}, "", ""},
		{indexer.Dependency{Ecosystem: "maven", Name: log4j, Version: "2.17.1"}, "", ""},
		{indexer.Dependency{Ecosystem: "maven", Name: log4j, Version: "1.2.17"}, "", ""},
		{indexer.Dependency{Ecosystem: "gradle", Name: log4j, Version: "2.0-beta9"}, "GHSA-jfh8-c2jp-5v3q", "2.3.1"},
		{indexer.Dependency{Ecosystem: "maven", Name: log4j, Version: "${log4j.version}", ResolvedVersion: "2.14.0"}, "GHSA-jfh8-c2jp-5v3q", "2.15.0"},
		{indexer.Dependency{Ecosystem: "maven", Name: log4j, Version: "[2.0,3.0)"}, "", ""}, // a range: undecided, never a false alarm
		{indexer.Dependency{Ecosystem: "maven", Name: "com.acme:lib", Version: "1.4"}, "GHSA-last", ""},
		{indexer.Dependency{Ecosystem: "maven", Name: "com.acme:lib", Version: "1.4.1"}, "", ""},
		{indexer.Dependency{Ecosystem: "npm", Name: "lodash", Version: "4.17.15"}, "GHSA-npm", ""},
		{indexer.Dependency{Ecosystem: "npm", Name: "lodash", Version: "4.17.21"}, "", ""},
		{indexer.Dependency{Ecosystem: "golang", Name: "golang.org/x/text", Version: "v0.3.6"}, "GO-2022-0001", "0.3.7"},
		{indexer.Dependency{Ecosystem: "golang", Name: "golang.org/x/text", Version: "v0.3.7"}, "", ""},
		{indexer.Dependency{Ecosystem: "pypi", Name: "django", Version: "3.0"}, "", ""}, // withdrawn
	}
	for _, tt := range tests {
		got := db.Match(tt.dep)
		if tt.id == "" {
			if len(got) != 0 {
				t.Errorf("%s@%s: %+v, want none", tt.dep.Name, tt.dep.Version, got)
			}
			continue
		}
		if len(got) != 1 || got[0].ID != tt.id || got[0].Fixed != tt.fixed {
			t.Errorf("%s@%s: %+v, want %s fixed %q", tt.dep.Name, tt.dep.Version, got, tt.id, tt.fixed)
		}
	}
	if m := db.Match(tests[8].dep); m[0].Summary != "Only until 1.4." {
		t.Errorf("summary from details = %q", m[0].Summary)
	}

	// A second import of the same ecosystem replaces it.
	if _, err := (Importer{DataDir: data}).Import(ctx, writeZip(t, map[string]string{"GHSA-last.json": advisories["GHSA-last.json"]})); err != nil {
		t.Fatal(err)
	}
	db2, err := Load(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(db2.Match(tests[0].dep)) != 0 || len(db2.Match(tests[8].dep)) != 1 || db2.Digest() == db.Digest() {
		t.Error("a re-import of maven did not replace its advisories")
	}
}

func TestImportErrorsNameTheEntry(t *testing.T) {
	ctx := context.Background()
	tests := []struct{ name, body, want string }{
		{"broken.json", `{"id": "X", "affected": [`, "entry broken.json: not OSV JSON"},
		{"noid.json", `{"affected": []}`, "entry noid.json: no id"},
		{"nopkg.json", `{"id": "X", "affected": [{"package": {"ecosystem": "Maven"}}]}`, "entry nopkg.json: X: affected[0]: package needs an ecosystem and a name"},
		{"badevent.json", `{"id": "X", "affected": [{"package": {"ecosystem": "Maven", "name": "a:b"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1", "fixed": "2"}]}]}]}`, "entry badevent.json: X: affected[0].ranges[0].events[0]: want one of introduced, fixed, last_affected"},
		{"badversion.json", `{"id": "X", "affected": [{"package": {"ecosystem": "Maven", "name": "a:b"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "abc"}]}]}]}`, `entry badversion.json: X: affected[0].ranges[0]: parse range "<abc": version "abc": no digit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			entries := map[string]string{"GHSA-last.json": advisories["GHSA-last.json"], tt.name: tt.body}
			_, err := Importer{DataDir: data}.Import(ctx, writeZip(t, entries))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if _, err := os.Stat(Dir(data)); !os.IsNotExist(err) {
				t.Error("a failed import wrote advisories")
			}
		})
	}
}

func TestImportEntryLimit(t *testing.T) {
	data := t.TempDir()
	_, err := Importer{DataDir: data, MaxEntrySize: 64}.Import(context.Background(), writeZip(t, advisories))
	if err == nil || !strings.Contains(err.Error(), "more than the 64 an advisory may have") {
		t.Fatalf("error %v, want the entry limit", err)
	}
}

func TestImportNotAZip(t *testing.T) {
	name := filepath.Join(t.TempDir(), "all.zip")
	os.WriteFile(name, []byte("not a zip"), 0o644)
	if _, err := (Importer{DataDir: t.TempDir()}).Import(context.Background(), name); err == nil || !strings.Contains(err.Error(), "all.zip") {
		t.Fatalf("error %v", err)
	}
}

func FuzzParseAdvisory(f *testing.F) {
	for _, a := range advisories {
		f.Add([]byte(a))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		adv, _, err := ParseAdvisory(data)
		if err != nil {
			return
		}
		db := &DB{byPkg: map[pkgKey][]entry{}}
		db.add(&adv)
		for _, a := range adv.Affected {
			db.Match(indexer.Dependency{Ecosystem: a.Ecosystem, Name: a.Name, Version: "1.0.0"})
		}
	})
}
