package indicators

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/config/ghcimport"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/internal/crawltest"
	"github.com/trawl-dev/trawl/internal/gittest"
)

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "github-crawler", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGitHubCrawlerCompatibility imports a github-crawler application.yml
// with trawl config import, crawls real repositories holding inputs like
// those of github-crawler's parser tests, and compares the documents
// field by field with what github-crawler documents it outputs: one
// document per repository on its default branch (crawlAllBranches:
// false), excluded repositories absent, the Spring profile in groups, each
// parser's value or sentinel, the tasks in miscTasksResults.
func TestGitHubCrawlerCompatibility(t *testing.T) {
	ctx := context.Background()
	res, err := ghcimport.Import([]byte(testdata(t, "application.yml")), ghcimport.Options{File: "application.yml", Profiles: []string{"backend"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(res.Config, filepath.Join(t.TempDir(), "trawl.yaml"))
	if err != nil {
		t.Fatalf("imported configuration: %v\n%s", err, res.Config)
	}
	// GitHub is out of reach: the same repositories come from a folder.
	root := t.TempDir()
	cfg.Sources = []config.Source{{Dir: root}}
	cfg.Index.Path = t.TempDir()

	api := gittest.Init(t, filepath.Join(root, "financing-platform-api"))
	api.Commit("first", map[string]string{
		"pom.xml":                            testdata(t, "pom.xml"),
		"Dockerfile":                         "FROM registry.example.com/base/wrong-root-image:1\n",
		"routing/Dockerfile":                 testdata(t, "Dockerfile"),
		".githubCrawler":                     "filesToParse:\n  - name: Dockerfile\n    redirectTo: routing/Dockerfile\n",
		"Jenkinsfile":                        testdata(t, "Jenkinsfile"),
		"src/main/resources/application.yml": testdata(t, "application-app.yml"),
		"src/main/java/Main.java":            "class Main { ConsulCatalogWatch w; }\n",
		"modules.xml":                        testdata(t, "modules.xml"),
	})
	api.Checkout("feature/x") // not crawled: crawlAllBranches is false
	api.Commit("feature", map[string]string{"pom.xml": "<project/>\n"})
	api.Checkout("main")
	web := gittest.Init(t, filepath.Join(root, "financing-platform-web"))
	web.Commit("first", map[string]string{"package.json": testdata(t, "package.json"), "composer.lock": testdata(t, "composer.lock")})
	for _, name := range []string{"financing-platform-batch-run", "other-service"} { // excluded by the two patterns
		r := gittest.Init(t, filepath.Join(root, name))
		r.Commit("first", map[string]string{"pom.xml": testdata(t, "pom.xml")})
	}
	legacy := gittest.Init(t, filepath.Join(root, "financing-platform-legacy"))
	legacy.Commit("first", map[string]string{"pom.xml": testdata(t, "pom.xml"), ".githubCrawler": "excluded: true\n"})

	idx, err := bleve.Open(ctx, filepath.Join(cfg.Index.Path, "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	c := crawltest.New(t, cfg, idx, crawler.Options{})
	if _, err := c.Run(ctx); err != nil {
		t.Fatal(err)
	}
	opts := OptionsFor(cfg)
	var problems []error
	if opts.Tasks, problems, err = RunTasks(ctx, cfg.RepositoryTasks, TaskEnv{Index: idx}); err != nil || len(problems) > 0 {
		t.Fatalf("tasks: %v %v", err, problems)
	}
	docs, err := Compute(ctx, idx, cfg.Indicators, opts)
	if err != nil {
		t.Fatal(err)
	}

	var got []map[string]any
	for i := range docs {
		b, _ := json.Marshal(&docs[i])
		var m map[string]any
		json.Unmarshal(b, &m)
		got = append(got, m)
	}
	if len(got) != 2 {
		t.Fatalf("%d documents, want 2 (api and web on main; batch-run, other-service and legacy excluded):\n%v", len(got), got)
	}
	// github-crawler's OutputIndicator fields, and trawl's two additions.
	wantKeys := []string{"branchName", "commit", "crawlerRunId", "creationDate", "fullName", "groups", "indicators", "lastUpdateDate", "miscTasksResults", "name", "tags", "timestamp"}
	for _, d := range got {
		var keys []string
		for k := range d {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !reflect.DeepEqual(keys, wantKeys) {
			t.Errorf("fields %v, want %v", keys, wantKeys)
		}
		if !regexp.MustCompile(`^\d{8}_\d{6}$`).MatchString(d["crawlerRunId"].(string)) ||
			!regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`).MatchString(d["timestamp"].(string)) {
			t.Errorf("crawlerRunId %v, timestamp %v: not github-crawler's formats", d["crawlerRunId"], d["timestamp"])
		}
		// A folder source does not know GitHub's dates; a GitHub source
		// fills them (github and indicators unit tests).
		if d["creationDate"] != nil || d["lastUpdateDate"] != nil {
			t.Errorf("dates %v %v, want null from a folder", d["creationDate"], d["lastUpdateDate"])
		}
		if !reflect.DeepEqual(d["groups"], []any{"backend"}) || !reflect.DeepEqual(d["tags"], []any{}) || d["branchName"] != "main" {
			t.Errorf("%s: groups %v tags %v branch %v", d["name"], d["groups"], d["tags"], d["branchName"])
		}
	}
	wantAPI := map[string]any{
		"spring_boot_starter_parent_version": "2.0.3.RELEASE",
		"jackson_version":                    "artifact found, but not the version", // its <version> comes before its <artifactId>
		// The first <version> after the artifactId's text, though it is
		// the next dependency's: github-crawler's one-pass reading.
		"web_starter_version":     "2.9.6",
		"log4j_version":           "not found",
		"nbProperties":            "3",
		"pomFilePath":             "pom.xml",
		"docker_image_used":       "openjdk:8-jre", // routing/Dockerfile, as .githubCrawler redirects
		"build_helper_version":    "4.2.1",         // a Java lookahead
		"uses_pipeline_lib":       "issue in config, check logs",
		"spring_application_name": "financing-api",
		"nbModules":               "issue while parsing the file", // undeclared namespace prefix
	}
	if !reflect.DeepEqual(got[0]["name"], "financing-platform-api") || !reflect.DeepEqual(got[0]["indicators"], wantAPI) {
		t.Errorf("api:\n got %v\nwant %v", got[0]["indicators"], wantAPI)
	}
	wantAPITasks := map[string]any{"nbOfMetricsInPomXml": "1", "pathsWhere_ConsulCatalogWatch_IsFound": []any{"src/main/java/Main.java"}}
	if !reflect.DeepEqual(got[0]["miscTasksResults"], wantAPITasks) {
		t.Errorf("api tasks: %v, want %v", got[0]["miscTasksResults"], wantAPITasks)
	}
	wantWeb := map[string]any{"angular_core_version": "^7.0.4", "sulu_package": "sulu/sulu"} // no pom.xml: its indicators absent
	if got[1]["name"] != "financing-platform-web" || !reflect.DeepEqual(got[1]["indicators"], wantWeb) {
		t.Errorf("web: %v, want %v", got[1]["indicators"], wantWeb)
	}
	wantWebTasks := map[string]any{"nbOfMetricsInPomXml": "0", "pathsWhere_ConsulCatalogWatch_IsFound": []any{"not found"}}
	if !reflect.DeepEqual(got[1]["miscTasksResults"], wantWebTasks) {
		t.Errorf("web tasks: %v, want %v", got[1]["miscTasksResults"], wantWebTasks)
	}
	// The CI-droid CSV output the configuration asks for.
	csv := string(CIDroidCSV(docs, cfg.IndicatorsExport.Files.CIDroidCSV))
	wantCSV := "repositoryFullName;branchName;pomFilePath;spring_boot_starter_parent_version\n" +
		"financing-platform-api;main;pom.xml;2.0.3.RELEASE;\nfinancing-platform-web;main;N/A;N/A;\n"
	if csv != wantCSV {
		t.Errorf("CI-droid csv:\n%s\nwant\n%s", csv, wantCSV)
	}

	// Without compatibility: github-crawler, trawl is stricter: the Java
	// lookahead and the pattern without a group are configuration errors.
	strict := strings.Replace(string(res.Config), "compatibility: github-crawler\n", "", 1)
	if _, err := config.Parse([]byte(strict), "trawl.yaml"); err == nil ||
		!strings.Contains(err.Error(), "Jenkinsfile[0].params.pattern") || !strings.Contains(err.Error(), "Jenkinsfile[1].params.pattern") {
		t.Errorf("strict configuration: %v", err)
	}
}
