package indicators

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/trigram"
)

const (
	pomMain = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent><artifactId>spring-boot-starter-parent</artifactId><version>3.2.4</version></parent>
  <artifactId>api</artifactId>
  <properties><a>1</a><b>2</b></properties>
</project>
`
	pomOld = `<project><parent><artifactId>spring-boot-starter-parent</artifactId><version>${boot}</version></parent>
  <properties><boot>2.7.18</boot></properties></project>
`
	dockerfile = "FROM registry.example.com/base/eclipse-temurin:21-jre\n"
	appYML     = "spring:\n  application:\n    name: api-service\n"
	pkgWeb     = `{"dependencies": {"@angular/core": "^17.3.0"}}`
)

const cfgYAML = `sources:
  - dir: /srv
indicators:
  "[pom.xml]":
    - {name: boot, type: findDependencyVersionInXml, params: {artifactId: spring-boot-starter-parent}}
    - {name: nbProperties, type: countMatchingXmlElements, params: {xpathToMatch: "//*[local-name()='properties']/*"}}
    - {name: pomPath, type: findFilePath}
    - {name: image, type: findFirstValueWithRegexpCapture, params: {pattern: 'never (here)'}}
  Dockerfile:
    - {name: image, method: findFirstValueWithRegexpCapture, params: {pattern: 'FROM \S+/([^/\s]+)'}}
  src/main/resources/application.yml:
    - {name: app, type: findPropertyValueInYamlFile, params: {propertyName: spring.application.name}}
    - {name: profile, type: findPropertyValueInYamlFile, params: {propertyName: spring.profiles.active}}
  package.json:
    - {name: angular, type: findValueForJsonPath, params: {jsonPath: dependencies.@angular/core}}
`

func blobID(text string) string {
	h := sha1.Sum([]byte(fmt.Sprintf("blob %d\x00%s", len(text), text)))
	return hex.EncodeToString(h[:])
}

// countingIndex counts BlobText calls per blob on a real index.
type countingIndex struct {
	indexer.Index
	mu    sync.Mutex
	reads map[string]int
}

func (c *countingIndex) BlobText(ctx context.Context, id string) ([]byte, error) {
	c.mu.Lock()
	c.reads[id]++
	c.mu.Unlock()
	return c.Index.BlobText(ctx, id)
}

// fixture fills a Bleve index: acme/api on main and release/1.0 (which
// shares the Dockerfile blob and has an older pom.xml), acme/web whose
// pom.xml was skipped as too large, and tools/empty with none of the files.
func fixture(t *testing.T) *countingIndex {
	t.Helper()
	ctx := context.Background()
	idx, err := bleve.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	var c indexer.Changes
	for _, text := range []string{pomMain, pomOld, dockerfile, appYML, pkgWeb} {
		c.Blobs = append(c.Blobs, indexer.Blob{ID: blobID(text), Text: []byte(text), Trigrams: trigram.Extract([]byte(text)), Lines: strings.Count(text, "\n")})
	}
	loc := func(repo, branch, path, text string) indexer.Location {
		return indexer.Location{Repo: repo, Branch: branch, Path: path, Blob: blobID(text), Size: int64(len(text))}
	}
	big := loc("acme/web", "main", "pom.xml", strings.Repeat("x", 100))
	big.Skip = indexer.SkipTooLarge
	c.PutLocs = []indexer.Location{
		loc("acme/api", "main", "pom.xml", pomMain),
		loc("acme/api", "main", "Dockerfile", dockerfile),
		loc("acme/api", "main", "src/main/resources/application.yml", appYML),
		loc("acme/api", "main", "README.md", appYML), // not configured
		loc("acme/api", "release/1.0", "pom.xml", pomOld),
		loc("acme/api", "release/1.0", "Dockerfile", dockerfile),
		loc("acme/web", "main", "package.json", pkgWeb),
		loc("acme/web", "main", "sub/package.json", pkgWeb), // not at the configured path
		big,
	}
	pushed := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	api := indexer.Repo{Name: "acme/api", DefaultBranch: "main", Topics: []string{"java", "spring"}, PushedAt: pushed,
		CreatedAt: time.Date(2019, 1, 2, 3, 4, 5, 0, time.UTC), UpdatedAt: time.Date(2024, 5, 3, 8, 0, 0, 0, time.UTC)}
	for _, b := range []indexer.Branch{
		{Repo: "acme/api", Name: "main", Commit: "c1", Meta: api},
		{Repo: "acme/api", Name: "release/1.0", Commit: "c2", Meta: api},
		{Repo: "acme/web", Name: "main", Commit: "c3", Meta: indexer.Repo{Name: "acme/web"}},
		{Repo: "tools/empty", Name: "main", Commit: "c4", Meta: indexer.Repo{Name: "tools/empty"}},
	} {
		c.PutBranches = append(c.PutBranches, b)
	}
	if err := idx.Commit(ctx, &c); err != nil {
		t.Fatal(err)
	}
	return &countingIndex{Index: idx, reads: map[string]int{}}
}

func loadConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(cfgYAML), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var now = time.Date(2024, 6, 2, 3, 4, 5, 600_000_000, time.UTC)

func TestCompute(t *testing.T) {
	idx := fixture(t)
	cfg := loadConfig(t)
	tasks := map[string]map[string]any{"acme/api": {"nbBranches": 2}}
	docs, err := Compute(context.Background(), idx, cfg.Indicators, Options{Groups: []string{"backend"}, Tasks: tasks, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]string{}
	var order []string
	for _, d := range docs {
		key := d.FullName + "@" + d.BranchName
		got[key] = d.Indicators
		order = append(order, key)
	}
	want := map[string]map[string]string{
		"acme/api@main": {
			"boot": "3.2.4", "nbProperties": "2", "pomPath": "pom.xml",
			"image":   "eclipse-temurin:21-jre", // the Dockerfile, later in the configuration, wins over pom.xml's "not found"
			"app":     "api-service",
			"profile": "not found",
		},
		"acme/api@release/1.0": {
			"boot": "2.7.18", "nbProperties": "1", "pomPath": "pom.xml", "image": "eclipse-temurin:21-jre",
			// no application.yml on this branch: app and profile are absent, as in github-crawler
		},
		"acme/web@main": {
			"boot": NotIndexedPrefix + "too large", "nbProperties": NotIndexedPrefix + "too large",
			"pomPath": "pom.xml", "image": NotIndexedPrefix + "too large",
			"angular": "^17.3.0",
		},
		"tools/empty@main": {},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("indicators:\n got %v\nwant %v", got, want)
	}
	if wantOrder := []string{"acme/api@main", "acme/api@release/1.0", "acme/web@main", "tools/empty@main"}; !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("order %q, want %q", order, wantOrder)
	}
	for id, n := range idx.reads {
		if n != 1 {
			t.Errorf("blob %s read %d times, want once", id, n)
		}
	}
	if len(idx.reads) != 5 {
		t.Errorf("%d blobs read, want 5 (every configured file's blob, nothing else)", len(idx.reads))
	}

	d := docs[0]
	if d.Name != "api" || d.CrawlerRunID != now.Local().Format("20060102_150405") || d.Timestamp != "2024-06-02T03:04:05.600Z" ||
		d.LastUpdateDate == nil || *d.LastUpdateDate != "2024-05-03T08:00:00Z" || d.CreationDate == nil || *d.CreationDate != "2019-01-02T03:04:05Z" ||
		!reflect.DeepEqual(d.MiscTasksResults, map[string]any{"nbBranches": 2}) || len(docs[1].MiscTasksResults) != 0 ||
		!reflect.DeepEqual(d.Tags, []string{"java", "spring"}) || !reflect.DeepEqual(d.Groups, []string{"backend"}) || d.Commit != "c1" {
		t.Errorf("document fields: %+v", d)
	}
}

// TestDocumentJSON pins the field names dashboards built on github-crawler
// rely on.
func TestDocumentJSON(t *testing.T) {
	idx := fixture(t)
	docs, err := Compute(context.Background(), idx, loadConfig(t).Indicators, Options{RunID: "run1", Repo: regexp.MustCompile(`^tools/`), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("%d documents, want 1 (--repo filter)", len(docs))
	}
	b, err := json.Marshal(docs[0])
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"name":"empty","branchName":"main","creationDate":null,"lastUpdateDate":null,"indicators":{},"tags":[],"groups":[],"crawlerRunId":"run1","miscTasksResults":{},"timestamp":"2024-06-02T03:04:05.600Z","fullName":"tools/empty","commit":"c4"}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
}

func TestComputeBranchFilterAndNoIndicators(t *testing.T) {
	idx := fixture(t)
	docs, err := Compute(context.Background(), idx, loadConfig(t).Indicators, Options{Branch: regexp.MustCompile(`^release/`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].BranchName != "release/1.0" || docs[0].Indicators["boot"] != "2.7.18" {
		t.Errorf("branch filter: %+v", docs)
	}
	if _, ok := idx.reads[blobID(pomMain)]; ok {
		t.Errorf("read a blob of a branch the filter excludes")
	}
	docs, err = Compute(context.Background(), idx, nil, Options{})
	if err != nil || len(docs) != 4 {
		t.Fatalf("no indicators configured: %d documents, %v; want 4 with empty indicators", len(docs), err)
	}
	for _, d := range docs {
		if len(d.Indicators) != 0 {
			t.Errorf("%s: indicators %v without configuration", d.FullName, d.Indicators)
		}
	}
}

func TestID(t *testing.T) {
	a, b := ID("acme/api", "main"), ID("acme/api", "main")
	if a != b || len(a) != 64 {
		t.Fatalf("ID not deterministic or not a hex SHA-256: %q %q", a, b)
	}
	if ID("acme/api", "main") == ID("acme/api", "release") || ID("a/b", "c") == ID("a", "b/c") {
		t.Error("different branches share an id")
	}
}

// esServer answers _bulk like Elasticsearch, storing documents by index
// and id, and answers plain POSTs, recording their paths.
type esServer struct {
	mu    sync.Mutex
	docs  map[string]map[string]json.RawMessage // index → id → source
	posts []string
	auth  []string
}

func (s *esServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	if r.URL.Path != "/_bulk" {
		body, _ := io.ReadAll(r.Body)
		if !json.Valid(body) {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		s.posts = append(s.posts, r.URL.Path)
		w.WriteHeader(http.StatusCreated)
		return
	}
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(nil, 1<<20)
	type item struct {
		Index struct {
			ID     string `json:"_id"`
			Status int    `json:"status"`
		} `json:"index"`
	}
	var items []item
	for sc.Scan() {
		var action struct {
			Index struct {
				Index string `json:"_index"`
				ID    string `json:"_id"`
			} `json:"index"`
		}
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil || !sc.Scan() {
			http.Error(w, "bad bulk body", http.StatusBadRequest)
			return
		}
		if s.docs[action.Index.Index] == nil {
			s.docs[action.Index.Index] = map[string]json.RawMessage{}
		}
		s.docs[action.Index.Index][action.Index.ID] = append(json.RawMessage{}, sc.Bytes()...)
		var it item
		it.Index.ID, it.Index.Status = action.Index.ID, 201
		items = append(items, it)
	}
	json.NewEncoder(w).Encode(map[string]any{"errors": false, "items": items})
}

func TestPostES(t *testing.T) {
	idx := fixture(t)
	docs, err := Compute(context.Background(), idx, loadConfig(t).Indicators, Options{})
	if err != nil {
		t.Fatal(err)
	}
	es := &esServer{docs: map[string]map[string]json.RawMessage{}}
	srv := httptest.NewServer(es)
	defer srv.Close()
	target := ES{URL: srv.URL, Index: "technologymap", APIKey: "a2V5"}
	for range 2 { // a rerun replaces rather than duplicates
		if err := PostES(context.Background(), srv.Client(), target, docs); err != nil {
			t.Fatal(err)
		}
	}
	stored := es.docs["technologymap"]
	if len(stored) != len(docs) {
		t.Fatalf("%d documents stored after two runs, want %d", len(stored), len(docs))
	}
	var d Document
	if err := json.Unmarshal(stored[ID("acme/api", "release/1.0")], &d); err != nil {
		t.Fatal(err)
	}
	if d.BranchName != "release/1.0" || d.Indicators["boot"] != "2.7.18" {
		t.Errorf("stored document %+v", d)
	}
	if es.auth[0] != "ApiKey a2V5" {
		t.Errorf("Authorization %q", es.auth[0])
	}
}

func TestPostESReportsItemErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"errors": true, "items": [{"index": {"_id": "x", "status": 400, "error": {"type": "mapper_parsing_exception"}}}]}`)
	}))
	defer srv.Close()
	err := PostES(context.Background(), srv.Client(), ES{URL: srv.URL, Index: "i"}, []Document{{FullName: "a/b", BranchName: "main"}})
	if err == nil || !strings.Contains(err.Error(), "mapper_parsing_exception") {
		t.Errorf("error %v, want the item's error", err)
	}
}

func TestPost(t *testing.T) {
	idx := fixture(t)
	docs, err := Compute(context.Background(), idx, loadConfig(t).Indicators, Options{})
	if err != nil {
		t.Fatal(err)
	}
	es := &esServer{}
	srv := httptest.NewServer(es)
	defer srv.Close()
	if err := Post(context.Background(), srv.Client(), srv.URL+"/technologymap/_doc/{id}", docs); err != nil {
		t.Fatal(err)
	}
	if len(es.posts) != len(docs) || es.posts[0] != "/technologymap/_doc/"+ID("acme/api", "main") {
		t.Errorf("posted to %q", es.posts)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such index", http.StatusNotFound)
	}))
	defer bad.Close()
	if err := Post(context.Background(), bad.Client(), bad.URL, docs[:1]); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("error %v, want the 404", err)
	}
}
