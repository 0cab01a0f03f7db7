package change

import (
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/deps"
)

// roundTrip sets name to version in the manifests (path -> content),
// checks that only the lines that held the old version changed, and
// returns trawl's own dependency records of the result.
func roundTrip(t *testing.T, files map[string]string, name, version string, changedLines map[string][]int) []deps.Dependency {
	t.Helper()
	var missing []string
	out := map[string]string{}
	for p, content := range files {
		nb, props, err := setVersion(p, []byte(content), name, version)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[p] = string(nb)
		missing = append(missing, props...)
	}
	for _, prop := range missing {
		for p := range files {
			if nb, ok, err := setMavenProperty([]byte(out[p]), prop, version); err != nil {
				t.Fatal(err)
			} else if ok {
				out[p] = string(nb)
			}
		}
	}
	manifests := map[string]*deps.Manifest{}
	for p, content := range out {
		oldLines, newLines := strings.Split(files[p], "\n"), strings.Split(content, "\n")
		if len(oldLines) != len(newLines) {
			t.Fatalf("%s: %d lines became %d", p, len(oldLines), len(newLines))
		}
		want := map[int]bool{}
		for _, n := range changedLines[p] {
			want[n] = true
		}
		for i := range oldLines {
			if (oldLines[i] != newLines[i]) != want[i+1] {
				t.Errorf("%s line %d: %q -> %q (expected changed: %v)", p, i+1, oldLines[i], newLines[i], want[i+1])
			}
		}
		m, err := deps.Parse(p, []byte(content))
		if err != nil {
			t.Fatalf("%s does not parse after the edit: %v\n%s", p, err, content)
		}
		manifests[p] = m
	}
	return deps.Resolve(manifests)
}

func versionsOf(records []deps.Dependency, name string) []string {
	var out []string
	for _, r := range records {
		if r.Name == name {
			v := r.ResolvedVersion
			if v == "" {
				v = r.Version
			}
			out = append(out, r.Path+"="+v)
		}
	}
	return out
}

func TestSetMavenDirectPropertyAndParent(t *testing.T) {
	parent := `<?xml version="1.0"?>
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>root</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <properties>
    <log4j.version>2.14.1</log4j.version>   <!-- keep this comment -->
    <other.version>2.14.1</other.version>
  </properties>
</project>
`
	child := `<project>
	<parent>
		<groupId>com.acme</groupId>
		<artifactId>root</artifactId>
		<version>1</version>
	</parent>
	<artifactId>svc</artifactId>
	<dependencies>
		<dependency>
			<groupId>org.apache.logging.log4j</groupId>
			<artifactId>log4j-core</artifactId>
			<version>${log4j.version}</version>
		</dependency>
		<dependency>
			<groupId>org.apache.logging.log4j</groupId>
			<artifactId>log4j-api</artifactId>
			<version>2.14.1</version>
		</dependency>
	</dependencies>
</project>
`
	direct := `<project>
  <groupId>com.acme</groupId><artifactId>tool</artifactId><version>3</version>
  <dependencies>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version> 2.14.1 </version></dependency>
  </dependencies>
</project>
`
	files := map[string]string{"pom.xml": parent, "svc/pom.xml": child, "tool/pom.xml": direct}
	recs := roundTrip(t, files, "org.apache.logging.log4j:log4j-core", "2.17.1",
		map[string][]int{"pom.xml": {9}, "tool/pom.xml": {4}})
	got := strings.Join(versionsOf(recs, "org.apache.logging.log4j:log4j-core"), " ")
	if got != "svc/pom.xml=2.17.1 tool/pom.xml=2.17.1" {
		t.Errorf("log4j-core after the edit: %s", got)
	}
	if got := strings.Join(versionsOf(recs, "org.apache.logging.log4j:log4j-api"), " "); got != "svc/pom.xml=2.14.1" {
		t.Errorf("log4j-api must not move: %s", got)
	}

	// A <parent> reference.
	recs = roundTrip(t, map[string]string{"svc/pom.xml": child}, "com.acme:root", "2", map[string][]int{"svc/pom.xml": {5}})
	if got := strings.Join(versionsOf(recs, "com.acme:root"), " "); got != "svc/pom.xml=2" {
		t.Errorf("parent after the edit: %s", got)
	}
}

func TestSetNPMAndGoMod(t *testing.T) {
	pkg := `{
  "name": "web",
  "version": "1.0.0",
  "dependencies": {
    "lodash": "^4.17.15",
    "left-pad": "1.0.0"
  },
  "devDependencies": {"lodash": "4.17.15"},
  "description": "lodash"
}
`
	recs := roundTrip(t, map[string]string{"package.json": pkg}, "lodash", "4.17.21", map[string][]int{"package.json": {5, 8}})
	if got := strings.Join(versionsOf(recs, "lodash"), " "); got != "package.json=4.17.21 package.json=4.17.21" {
		t.Errorf("lodash: %s", got)
	}
	if got := strings.Join(versionsOf(recs, "left-pad"), " "); got != "package.json=1.0.0" {
		t.Errorf("left-pad must not move: %s", got)
	}

	mod := `module example.com/app

go 1.22

require github.com/pkg/errors v0.9.0

require (
	golang.org/x/text v0.3.0 // indirect
	github.com/google/uuid v1.1.0
)
`
	recs = roundTrip(t, map[string]string{"go.mod": mod}, "golang.org/x/text", "v0.14.0", map[string][]int{"go.mod": {8}})
	if got := strings.Join(versionsOf(recs, "golang.org/x/text"), " "); got != "go.mod=v0.14.0" {
		t.Errorf("x/text: %s", got)
	}
	out, _, _ := setVersion("go.mod", []byte(mod), "golang.org/x/text", "v0.14.0")
	if !strings.Contains(string(out), "\tgolang.org/x/text v0.14.0 // indirect\n") {
		t.Errorf("the indirect comment is lost:\n%s", out)
	}
	recs = roundTrip(t, map[string]string{"go.mod": mod}, "github.com/pkg/errors", "v0.9.1", map[string][]int{"go.mod": {5}})
	if got := strings.Join(versionsOf(recs, "github.com/pkg/errors"), " "); got != "go.mod=v0.9.1" {
		t.Errorf("pkg/errors: %s", got)
	}
}

func TestSetDockerActionsCatalog(t *testing.T) {
	df := "FROM --platform=linux/amd64 eclipse-temurin:17-jre@sha256:abc AS run\nRUN echo eclipse-temurin:17\nFROM node:18\n"
	recs := roundTrip(t, map[string]string{"Dockerfile": df}, "eclipse-temurin", "21-jre", map[string][]int{"Dockerfile": {1}})
	if got := strings.Join(versionsOf(recs, "eclipse-temurin"), " "); got != "Dockerfile=21-jre" {
		t.Errorf("docker: %s", got)
	}
	wf := "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v3\n      - uses: actions/setup-go@v4 # go\n"
	recs = roundTrip(t, map[string]string{".github/workflows/ci.yml": wf}, "actions/checkout", "v4", map[string][]int{".github/workflows/ci.yml": {6}})
	if got := strings.Join(versionsOf(recs, "actions/checkout"), " "); got != ".github/workflows/ci.yml=v4" {
		t.Errorf("actions: %s", got)
	}
	cat := "[versions]\nlog4j = \"2.14.1\"\n\n[libraries]\nlog4j-core = { module = \"org.apache.logging.log4j:log4j-core\", version.ref = \"log4j\" }\nguava = { module = \"com.google.guava:guava\", version = \"31.0-jre\" }\n"
	recs = roundTrip(t, map[string]string{"gradle/libs.versions.toml": cat}, "org.apache.logging.log4j:log4j-core", "2.17.1", map[string][]int{"gradle/libs.versions.toml": {2}})
	if got := strings.Join(versionsOf(recs, "org.apache.logging.log4j:log4j-core"), " "); !strings.Contains(got, "=2.17.1") {
		t.Errorf("catalog: %s", got)
	}
}
