package sbom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/xeipuuv/gojsonschema"

	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
)

// schema compiles the CycloneDX 1.6 JSON schema shipped in the
// cyclonedx-go module, with the SPDX and JSF schemas it refers to, so that
// validation needs no network.
func schema(t *testing.T) *gojsonschema.Schema {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	if err != nil {
		t.Fatalf("find the cyclonedx-go module: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	load := func(name string) gojsonschema.JSONLoader {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return gojsonschema.NewBytesLoader(b)
	}
	sl := gojsonschema.NewSchemaLoader()
	sl.Draft = gojsonschema.Draft7
	// The JSF file's name ends in .schemax.json; its $id is what the BOM
	// schema refers to.
	if err := sl.AddSchemas(load("spdx.schema.json"), load("jsf-0.82.schemax.json")); err != nil {
		t.Fatal(err)
	}
	s, err := sl.Compile(load("bom-1.6.schema.json"))
	if err != nil {
		t.Fatalf("compile the CycloneDX schema: %v", err)
	}
	return s
}

func validate(t *testing.T, s *gojsonschema.Schema, doc []byte) {
	t.Helper()
	res, err := s.Validate(gojsonschema.NewBytesLoader(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors() {
		t.Errorf("schema: %s", e)
	}
}

var crawled = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func fixture(t *testing.T) indexer.Index {
	t.Helper()
	ctx := context.Background()
	idx, err := bleve.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	main := indexer.BranchKey{Repo: "acme/api", Name: "main"}
	dep := func(path string, line int, eco, name, purl, version, resolved, scope string, direct bool) indexer.Dependency {
		return indexer.Dependency{Repo: main.Repo, Branch: main.Name, Commit: "1a2b3c", Path: path, Line: line, Ecosystem: eco, Name: name,
			PURL: purl, Version: version, ResolvedVersion: resolved, VersionSource: "literal", Scope: scope, Direct: direct}
	}
	c := &indexer.Changes{
		PutDeps: []indexer.BranchDeps{{Branch: main, Deps: []indexer.Dependency{
			dep("pom.xml", 20, "maven", "com.fasterxml.jackson.core:jackson-databind", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.17.0", "${jackson.version}", "2.17.0", "", true),
			dep("pom.xml", 31, "maven", "junit:junit", "pkg:maven/junit/junit@4.13.2", "4.13.2", "4.13.2", "test", true),
			dep("web/package.json", 7, "npm", "@angular/core", "pkg:npm/%40angular/core@17.3.1", "^17.3.0", "17.3.1", "", true),
			dep("web/package-lock.json", 40, "npm", "@angular/core", "pkg:npm/%40angular/core@17.3.1", "17.3.1", "17.3.1", "", true),
			dep("web/package.json", 12, "npm", "typescript", "pkg:npm/typescript@5.4.2", "5.4.2", "", "dev", true),
			dep("go.mod", 9, "golang", "golang.org/x/sync", "pkg:golang/golang.org/x/sync@v0.7.0", "v0.7.0", "v0.7.0", "", false),
			dep("Dockerfile", 1, "docker", "eclipse-temurin", "pkg:docker/eclipse-temurin@21-jre", "21-jre", "", "", true),
		}}},
		PutBranches: []indexer.Branch{
			{Repo: "acme/api", Name: "main", Commit: "1a2b3c", CrawledAt: crawled, Meta: indexer.Repo{Name: "acme/api", URL: "https://github.com/acme/api"}},
			{Repo: "acme/api", Name: "empty", Commit: "4d5e6f", CrawledAt: crawled, Meta: indexer.Repo{Name: "acme/api"}},
		},
	}
	if err := idx.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
	return idx
}

func build(t *testing.T, idx indexer.Index, branch string) (*cdx.BOM, []byte) {
	t.Helper()
	bom, err := Build(context.Background(), idx, "acme/api", branch, Options{ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, bom); err != nil {
		t.Fatal(err)
	}
	return bom, buf.Bytes()
}

func TestBuildValidatesAgainstSchema(t *testing.T) {
	idx := fixture(t)
	s := schema(t)
	_, doc := build(t, idx, "main")
	validate(t, s, doc)
	_, empty := build(t, idx, "empty")
	validate(t, s, empty)

	// The validator must catch a broken BOM, or the checks above prove nothing.
	broken := bytes.Replace(doc, []byte(`"scope": "excluded"`), []byte(`"scope": "tests"`), 1)
	res, err := s.Validate(gojsonschema.NewBytesLoader(broken))
	if err != nil || res.Valid() {
		t.Errorf("a BOM with an invalid scope validated (err %v)", err)
	}
}

func TestBuildContent(t *testing.T) {
	idx := fixture(t)
	bom, doc := build(t, idx, "main")
	var got struct {
		SpecVersion  string `json:"specVersion"`
		SerialNumber string `json:"serialNumber"`
		Metadata     struct {
			Timestamp string `json:"timestamp"`
			Component struct {
				Name, Version string
				Properties    []cdx.Property `json:"properties"`
			} `json:"component"`
		} `json:"metadata"`
		Components []struct {
			Ref      string `json:"bom-ref"`
			Group    string `json:"group"`
			Name     string `json:"name"`
			Version  string `json:"version"`
			PURL     string `json:"purl"`
			Scope    string `json:"scope"`
			Type     string `json:"type"`
			Evidence struct {
				Occurrences []struct {
					Location string `json:"location"`
					Line     int    `json:"line"`
				} `json:"occurrences"`
			} `json:"evidence"`
		} `json:"components"`
		Dependencies []struct {
			Ref       string   `json:"ref"`
			DependsOn []string `json:"dependsOn"`
		} `json:"dependencies"`
	}
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	if got.SpecVersion != "1.6" || !strings.HasPrefix(got.SerialNumber, "urn:uuid:") || got.Metadata.Timestamp != "2024-06-01T12:00:00Z" {
		t.Errorf("header: %s %s %s", got.SpecVersion, got.SerialNumber, got.Metadata.Timestamp)
	}
	if got.Metadata.Component.Name != "acme/api" || got.Metadata.Component.Version != "1a2b3c" {
		t.Errorf("metadata component %+v", got.Metadata.Component)
	}
	if len(got.Components) != 6 {
		t.Fatalf("%d components, want 6 (the lockfile and manifest lines of @angular/core are one package)", len(got.Components))
	}
	byPURL := map[string]int{}
	for i, c := range got.Components {
		byPURL[c.PURL] = i
	}
	ng := got.Components[byPURL["pkg:npm/%40angular/core@17.3.1"]]
	if ng.Group != "@angular" || ng.Name != "core" || ng.Version != "17.3.1" || ng.Scope != "required" || len(ng.Evidence.Occurrences) != 2 ||
		ng.Evidence.Occurrences[1].Location != "web/package.json" || ng.Evidence.Occurrences[1].Line != 7 {
		t.Errorf("@angular/core: %+v", ng)
	}
	jackson := got.Components[byPURL["pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.17.0"]]
	if jackson.Group != "com.fasterxml.jackson.core" || jackson.Name != "jackson-databind" || jackson.Version != "2.17.0" {
		t.Errorf("jackson: %+v", jackson)
	}
	for purl, scope := range map[string]string{
		"pkg:maven/junit/junit@4.13.2":        "excluded",
		"pkg:npm/typescript@5.4.2":            "excluded",
		"pkg:docker/eclipse-temurin@21-jre":   "required",
		"pkg:golang/golang.org/x/sync@v0.7.0": "required",
	} {
		if c := got.Components[byPURL[purl]]; c.Scope != scope {
			t.Errorf("%s: scope %q, want %q", purl, c.Scope, scope)
		}
	}
	if c := got.Components[byPURL["pkg:docker/eclipse-temurin@21-jre"]]; c.Type != "container" {
		t.Errorf("docker image type %q", c.Type)
	}
	if len(got.Dependencies) != 1 || got.Dependencies[0].Ref != bom.Metadata.Component.BOMRef || len(got.Dependencies[0].DependsOn) != 5 {
		t.Errorf("dependencies %+v: want the root depending on the 5 direct packages", got.Dependencies)
	}

	// Deterministic: the same index state gives the same bytes; another
	// branch another serial number.
	_, again := build(t, idx, "main")
	if !bytes.Equal(doc, again) {
		t.Error("two builds of the same branch differ")
	}
	other, _ := build(t, idx, "empty")
	if other.SerialNumber == bom.SerialNumber {
		t.Error("two branches share a serial number")
	}
}

func TestBuildUnknownBranch(t *testing.T) {
	idx := fixture(t)
	_, err := Build(context.Background(), idx, "acme/api", "nope", Options{})
	if !errors.Is(err, indexer.ErrNotFound) {
		t.Errorf("error %v, want ErrNotFound", err)
	}
}

func TestUUID5(t *testing.T) {
	// Python's uuid.uuid5(uuid.NAMESPACE_URL, "https://example.com").
	if got, want := uuid5("https://example.com"), "4fd35a71-71ef-5a55-a9d9-aa75c889a6d0"; got != want {
		t.Errorf("uuid5 = %s, want %s", got, want)
	}
}
