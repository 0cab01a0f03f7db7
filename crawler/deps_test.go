package crawler_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/trawl-dev/trawl/depquery"
	"github.com/trawl-dev/trawl/deps"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/internal/gittest"
)

const pomTemplate = `<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>api</artifactId>
  <version>1.0</version>
  <properties>
    <log4j.version>%s</log4j.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${log4j.version}</version>
    </dependency>
  </dependencies>
</project>
`

// TestDependenciesEveryBranch crawls manifests on several branches with
// different versions and answers "which branches use log4j-core below
// 2.17.1?", checking each record, that an unchanged manifest shared by
// many branches is parsed once, and that a broken manifest is reported
// without stopping the crawl.
func TestDependenciesEveryBranch(t *testing.T) {
	root := t.TempDir()
	r := gittest.Init(t, filepath.Join(root, "acme", "api"))
	r.Commit("first", map[string]string{
		"pom.xml": fmt.Sprintf(pomTemplate, "2.14.1"),
		"go.mod":  "module example.com/api\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n",
	})
	for _, b := range []string{"release/1.0", "release/1.1", "release/1.2"} {
		r.Checkout("main")
		r.Checkout(b) // same pom and go.mod blobs as main
	}
	r.Checkout("main")
	r.Checkout("fixed")
	r.Commit("upgrade", map[string]string{"pom.xml": fmt.Sprintf(pomTemplate, "2.17.1")})
	r.Checkout("main")
	r.Checkout("broken")
	r.Commit("break", map[string]string{"package.json": "{not json"})
	r.Checkout("main")

	cfg := dirConfig(t, root, t.TempDir(), "")
	sum := crawlOnce(t, cfg)
	// pom 2.14.1, pom 2.17.1, go.mod, broken package.json: four blobs,
	// whatever the number of branches holding them.
	if sum.ManifestsParsed != 4 {
		t.Errorf("parsed %d manifests, want 4 (once per blob)", sum.ManifestsParsed)
	}
	if len(sum.ManifestErrors) != 1 || sum.ManifestErrors[0].Path != "package.json" || sum.ManifestErrors[0].Branch != "broken" {
		t.Errorf("manifest errors: %+v", sum.ManifestErrors)
	}

	ctx := context.Background()
	idx := openIndex(t, cfg)
	defer func() { idx.Close() }()
	f, err := depquery.ParseFilter("org.apache.logging.log4j:log4j-core", "<2.17.1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = depquery.Find(ctx, idx, f, func(d indexer.Dependency) error {
		got = append(got, fmt.Sprintf("%s@%s:%s:%d %s %s resolved=%s source=%s", d.Repo, d.Branch, d.Path, d.Line, d.Ecosystem, d.Version, d.ResolvedVersion, d.VersionSource))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	var want []string
	for _, b := range []string{"broken", "main", "release/1.0", "release/1.1", "release/1.2"} {
		want = append(want, fmt.Sprintf("acme/api@%s:pom.xml:10 maven ${log4j.version} resolved=2.14.1 source=property", b))
	}
	if !slices.Equal(got, want) {
		t.Errorf("log4j-core <2.17.1:\n%q\nwant\n%q", got, want)
	}

	// Deleting a branch takes its records with it.
	idx.Close()
	r.Git("branch", "-D", "release/1.0")
	crawlOnce(t, cfg)
	idx = openIndex(t, cfg)
	n := 0
	depquery.Find(ctx, idx, depquery.Filter{Target: deps.Target{Names: []string{"github.com/google/uuid"}}}, func(d indexer.Dependency) error {
		if d.Branch == "release/1.0" {
			t.Errorf("record of a deleted branch: %+v", d)
		}
		n++
		return nil
	})
	if n != 5 {
		t.Errorf("uuid on %d branches, want 5", n)
	}
}
