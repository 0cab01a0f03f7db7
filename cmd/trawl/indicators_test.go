package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/internal/gittest"
)

// TestIndicatorsAndSBOMCommands crawls a real repository, then runs trawl
// indicators and trawl sbom on the index.
func TestIndicatorsAndSBOMCommands(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	repo := gittest.Init(t, filepath.Join(root, "acme", "api"))
	repo.Commit("first", map[string]string{
		"pom.xml": `<project><artifactId>api</artifactId><version>1.0</version>
<dependencies><dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency></dependencies></project>
`,
		"go.mod": "module acme.example/api\n\ngo 1.22\n\nrequire github.com/google/uuid v1.3.0\n",
	})
	repo.Checkout("release/1.2")
	repo.Commit("release", map[string]string{"Dockerfile": "FROM eclipse-temurin:21-jre\n"})
	repo.Checkout("main")

	cfg := filepath.Join(t.TempDir(), "trawl.yaml")
	yaml := "sources:\n  - dir: " + root + "\nindex:\n  path: " + t.TempDir() + "\nindicators:\n" +
		"  '[pom.xml]':\n    - {name: junit, type: findDependencyVersionInXml, params: {artifactId: junit}}\n" +
		"  Dockerfile:\n    - {name: image, type: findFirstValueWithRegexpCapture, params: {pattern: 'FROM (\\S+)'}}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := cmdCrawl(ctx, []string{"-c", cfg}, &out, &errOut); err != nil {
		t.Fatalf("crawl: %v\n%s", err, errOut.String())
	}

	out.Reset()
	if err := cmdIndicators(ctx, []string{"-c", cfg, "--json", "--run-id", "r1", "--group", "backend"}, &out, &errOut); err != nil {
		t.Fatalf("indicators: %v\n%s", err, errOut.String())
	}
	var got struct {
		Documents []struct {
			Name, BranchName, CrawlerRunID string
			Indicators                     map[string]string
			Groups                         []string
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(got.Documents) != 2 {
		t.Fatalf("%d documents, want 2\n%s", len(got.Documents), out.String())
	}
	main, rel := got.Documents[0], got.Documents[1]
	if main.Name != "api" || main.BranchName != "main" || main.Indicators["junit"] != "4.13.2" || len(main.Indicators) != 1 ||
		main.CrawlerRunID != "r1" || len(main.Groups) != 1 || main.Groups[0] != "backend" {
		t.Errorf("main: %+v", main)
	}
	if rel.BranchName != "release/1.2" || rel.Indicators["image"] != "eclipse-temurin:21-jre" || rel.Indicators["junit"] != "4.13.2" {
		t.Errorf("release/1.2: %+v", rel)
	}

	out.Reset()
	if err := cmdIndicators(ctx, []string{"-c", cfg, "--branch", "^release/"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if want := "acme/api@release/1.2  image      eclipse-temurin:21-jre\n"; !strings.Contains(out.String(), want) || strings.Contains(out.String(), "@main") {
		t.Errorf("table:\n%s\nwant a line %q and no main branch", out.String(), want)
	}
	for _, args := range [][]string{
		{"-c", cfg, "--es-index", "x"},
		{"-c", cfg, "--es", "http://127.0.0.1:1", "--es-index", "Bad Name"},
		{"-c", cfg, "--post", "ftp://x"},
		{"-c", cfg, "--repo", "("},
	} {
		var u usageError
		if err := cmdIndicators(ctx, args, &out, &errOut); !errors.As(err, &u) {
			t.Errorf("indicators %q: %v, want a usage error", args, err)
		}
	}

	out.Reset()
	if err := cmdSBOM(ctx, []string{"-c", cfg, "--repo", "acme/api", "--branch", "main"}, &out, &errOut); err != nil {
		t.Fatalf("sbom: %v\n%s", err, errOut.String())
	}
	var bom struct {
		BOMFormat  string `json:"bomFormat"`
		Components []struct{ PURL, Scope string }
	}
	if err := json.Unmarshal(out.Bytes(), &bom); err != nil || bom.BOMFormat != "CycloneDX" {
		t.Fatalf("sbom output: %v\n%s", err, out.String())
	}
	purls := map[string]string{}
	for _, c := range bom.Components {
		purls[c.PURL] = c.Scope
	}
	if purls["pkg:maven/junit/junit@4.13.2"] != "excluded" || purls["pkg:golang/github.com/google/uuid@v1.3.0"] != "required" {
		t.Errorf("sbom components: %v", purls)
	}
	if err := cmdSBOM(ctx, []string{"-c", cfg, "--repo", "acme/api", "--branch", "nope"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "not in the index") {
		t.Errorf("sbom of an unknown branch: %v", err)
	}
	var u usageError
	if err := cmdSBOM(ctx, []string{"-c", cfg, "--repo", "acme/api"}, &out, &errOut); !errors.As(err, &u) {
		t.Errorf("sbom without --branch: %v, want a usage error", err)
	}
}
