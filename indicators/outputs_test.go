package indicators

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/config"
)

func strp(s string) *string { return &s }

func sampleDocs() []Document {
	return []Document{
		{Name: "api", FullName: "acme/api", BranchName: "main", isDefault: true, Tags: []string{"java", "spring"},
			Indicators:       map[string]string{"pomFilePath": "pom.xml", "boot": "3.2.4"},
			MiscTasksResults: map[string]any{"paths": []string{"a/B.java", "pom.xml"}, "nbBranches": 45},
			CreationDate:     strp("2019-01-02T03:04:05Z"), LastUpdateDate: strp("2024-05-03T08:00:00Z")},
		{Name: "api", FullName: "acme/api", BranchName: "release/1.0", Indicators: map[string]string{"pomFilePath": "pom.xml"}, MiscTasksResults: map[string]any{}},
		{Name: "web", FullName: "acme/web", BranchName: "main", isDefault: true, Indicators: map[string]string{}, MiscTasksResults: map[string]any{"paths": []string{NotFoundValue}}},
	}
}

func TestCIDroidCSV(t *testing.T) {
	got := string(CIDroidCSV(sampleDocs(), []string{"pomFilePath", "nbBranches", "boot"}))
	want := "repositoryFullName;branchName;pomFilePath;nbBranches;boot\n" +
		"acme/api;main;pom.xml;45;3.2.4;\n" +
		"acme/api;release/1.0;pom.xml;N/A;N/A;\n" +
		"acme/web;main;N/A;N/A;N/A;\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCIDroidJSON(t *testing.T) {
	out := CIDroidJSON(sampleDocs(), []string{"paths", "boot"}, true)
	var got []map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got) != 3 || got[0]["repoFullName"] != "acme/api" || got[0]["filePathOnRepo"] != "a/B.java" ||
		got[0]["otherIndicator1"] != "3.2.4" || got[0]["tags"] != "[java, spring]" || got[0]["branchName"] != "main" ||
		got[1]["filePathOnRepo"] != "null" || got[2]["tags"] != "[]" {
		t.Errorf("%s", out)
	}
	if !strings.HasPrefix(string(out), "[\n{\"repoFullName\": \"acme/api\",\"filePathOnRepo\": \"a/B.java\",") {
		t.Errorf("layout differs from github-crawler's:\n%s", out)
	}
	if empty := CIDroidJSON(nil, []string{"x"}, false); json.Unmarshal(empty, &got) != nil {
		t.Errorf("no documents: %q is not JSON", empty)
	}
}

func TestSearchPatternAndRecentCSV(t *testing.T) {
	got := string(SearchPatternCSV(sampleDocs(), "paths"))
	want := "repositoryFullName;location\nacme/api;a/B.java;\nacme/api;pom.xml;\nacme/web;not found;\n"
	if got != want {
		t.Errorf("search pattern csv:\n%s\nwant\n%s", got, want)
	}
	if got := string(SearchPatternCSV(sampleDocs(), "nbBranches")); !strings.Contains(got, "acme/api;unable to parse item path;\n") {
		t.Errorf("not a list:\n%s", got)
	}
	got = string(RecentRepositoriesCSV(sampleDocs()))
	want = "repositoryName;creationDate;lastUpdateDate\napi;2019-01-02;2024-05-03;\nweb;;;\n"
	if got != want {
		t.Errorf("recent repositories csv:\n%s\nwant\n%s", got, want)
	}
}

func TestWriteFilesNames(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 12, 2, 16, 5, 9, 0, time.Local)
	f := config.ExportFiles{FilenamePrefix: "orgaCheckupOutput", CIDroidCSV: []string{"boot"}, CIDroidJSON: []string{"pomFilePath"},
		SearchPatternCSV: "paths", RecentRepositoriesCSV: true}
	paths, err := WriteFiles(dir, f, sampleDocs(), at)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	sort.Strings(names)
	want := []string{"CIdroidReadyContent_20261202_160509.csv", "CIdroidReadyContent_20261202_160509.json",
		"RecentRepositories_20261202_160509.csv", "SearchPatternInCode_20261202_160509.csv", "orgaCheckupOutput_20261202_160509.txt"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v", names, want)
	}
	txt, _ := os.ReadFile(filepath.Join(dir, "orgaCheckupOutput_20261202_160509.txt"))
	lines := strings.Split(strings.TrimSuffix(string(txt), "\n"), "\n")
	if lines[0] != "OUTPUT FOR GitHub crawler - 20261202_160509" || len(lines) != 4 || !strings.Contains(lines[2], `"branchName":"release/1.0"`) {
		t.Errorf("file output:\n%s", txt)
	}
	if _, err := WriteFiles(dir, f, sampleDocs(), at); err == nil {
		t.Error("a second run in the same second overwrote the files")
	}
}

func TestExpandTarget(t *testing.T) {
	at := time.Date(2026, 3, 4, 12, 0, 0, 0, time.Local)
	if got := ExpandTarget("http://es:9200/technologymap-{yyyy-MM}/_doc/{id}", at); got != "http://es:9200/technologymap-2026-03/_doc/{id}" {
		t.Errorf("got %s", got)
	}
}

func TestPostExpandsDates(t *testing.T) {
	var paths []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
	}))
	defer srv.Close()
	before := time.Now().Format("2006-01")
	docs := sampleDocs()
	if err := Post(context.Background(), nil, srv.URL+"/technologymap-{yyyy-MM}/_doc/{id}", docs[:1]); err != nil {
		t.Fatal(err)
	}
	after := time.Now().Format("2006-01")
	want1, want2 := "/technologymap-"+before+"/_doc/"+docs[0].ID(), "/technologymap-"+after+"/_doc/"+docs[0].ID()
	if len(paths) != 1 || (paths[0] != want1 && paths[0] != want2) {
		t.Errorf("posted to %v, want %s", paths, want1)
	}
}

func TestCSVCellsAreSafe(t *testing.T) {
	docs := []Document{{Name: "x", FullName: "acme/x", BranchName: "=HYPERLINK(\"http://evil\")", Indicators: map[string]string{"v": "a\nacme/forged;main;1;"}}}
	got := string(CIDroidCSV(docs, []string{"v"}))
	want := "repositoryFullName;branchName;v\nacme/x;'=HYPERLINK(\"http://evil\");a acme/forged;main;1;;\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
