package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
)

// orgVersion changes whenever the generator's output changes, so a cached
// org made by an older generator is never measured as if it were new.
const orgVersion = 1

// OrgParams says what org to generate.
type OrgParams struct {
	Repos    int     // repositories
	Branches int     // branches per repository: main plus release/1.N
	Scale    float64 // 1 gives about 1.5 MB of files per branch of a repository
	GoRoot   string  // source of realistic Go text
}

// repoBytes is the size of one branch of a repository at scale 1.
const repoBytes = 1_500_000

// changeRate is the chance that a Go file changes between two consecutive
// release cuts of main. A blob then lives for about 1/changeRate cuts, which
// gives the 6 to 7 copies per blob measured on real repositories.
const changeRate = 0.15

// key names the cached org: every parameter that changes its content.
func (p OrgParams) key() string {
	return fmt.Sprintf("org-v%d-r%d-b%d-s%g-%s", orgVersion, p.Repos, p.Branches, p.Scale, runtime.Version())
}

// Org is a generated set of bare repositories below Dir.
type Org struct {
	Dir   string
	Repos []OrgRepo
}

// OrgRepo is one bare repository of an Org.
type OrgRepo struct {
	Name     string // full name as the dir source reports it
	Path     string
	Branches []string
}

// completeMarker is written last, so an interrupted generation is redone.
const completeMarker = ".complete"

// generateOrg returns the org for p under root, generating it unless a
// complete one is cached there.
func generateOrg(ctx context.Context, root string, p OrgParams, logf func(string, ...any)) (*Org, error) {
	dir, err := filepath.Abs(filepath.Join(root, p.key()))
	if err != nil {
		return nil, err
	}
	org := &Org{Dir: dir}
	for i := range p.Repos {
		name := fmt.Sprintf("acme/svc-%02d", i)
		org.Repos = append(org.Repos, OrgRepo{Name: name, Path: filepath.Join(dir, name+".git"), Branches: branchNames(p.Branches)})
	}
	if _, err := os.Stat(filepath.Join(dir, completeMarker)); err == nil {
		logf("using cached org %s", dir)
		return org, nil
	}
	logf("generating org %s (%d repos x %d branches)", dir, p.Repos, p.Branches)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("generate org %s: %w", dir, err)
	}
	pkgs, err := goPackages(p.GoRoot)
	if err != nil {
		return nil, fmt.Errorf("generate org %s: %w", dir, err)
	}
	target := int64(float64(repoBytes) * p.Scale)
	next := 0
	for i, r := range org.Repos {
		// Each repository gets its own package folders, taken in order
		// until it holds its share; the list wraps for very large orgs.
		var files []orgFile
		var size int64
		for size < target {
			pk := pkgs[next%len(pkgs)]
			next++
			for _, f := range pk.files {
				files = append(files, f)
				size += int64(len(f.data))
			}
		}
		if err := writeRepo(ctx, r, i, p.Branches, files); err != nil {
			return nil, fmt.Errorf("generate org %s: %w", dir, err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, completeMarker), nil, 0o644); err != nil {
		return nil, fmt.Errorf("generate org %s: %w", dir, err)
	}
	return org, nil
}

// branchNames lists n branches: release/1.0 ... release/1.(n-2), then main.
func branchNames(n int) []string {
	var out []string
	for j := range n - 1 {
		out = append(out, fmt.Sprintf("release/1.%d", j))
	}
	return append(out, "main")
}

type orgFile struct {
	path string
	data []byte
}

type goPackage struct {
	dir   string
	files []orgFile
}

// firstPackages are placed first so that the fixed benchmark queries find
// their rare identifiers at every scale.
var firstPackages = []string{"net/http", "crypto/x509", "database/sql", "encoding/json", "context", "log/slog"}

// goPackages reads the Go files of every package folder below goroot/src,
// firstPackages first, then the others in a fixed shuffled order so that
// repositories mix unrelated code as an organisation's do.
func goPackages(goroot string) ([]goPackage, error) {
	src := filepath.Join(goroot, "src")
	byDir := map[string]*goPackage{}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "testdata" || n == "vendor" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		rel = filepath.ToSlash(rel)
		dir := filepath.ToSlash(filepath.Dir(rel))
		pk := byDir[dir]
		if pk == nil {
			pk = &goPackage{dir: dir}
			byDir[dir] = pk
		}
		pk.files = append(pk.files, orgFile{path: rel, data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read Go sources in %s: %w", src, err)
	}
	var rest []string
	for dir := range byDir {
		if !slices.Contains(firstPackages, dir) {
			rest = append(rest, dir)
		}
	}
	slices.Sort(rest)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	var out []goPackage
	for _, dir := range append(slices.Clone(firstPackages), rest...) {
		if pk := byDir[dir]; pk != nil {
			out = append(out, *pk)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Go sources in %s", src)
	}
	return out, nil
}

// repoState is the content of main at one release cut.
type repoState struct {
	index   int
	epoch   int
	rng     *rand.Rand
	goFiles []orgFile
	// log4jFixed is the cut from which the repository uses a log4j without
	// CVE-2021-44228; some never upgrade.
	log4jFixed int
}

// writeRepo makes one bare repository with git fast-import: main evolves
// through one cut per release branch, each cut changing about changeRate of
// the Go files and bumping versions; release/1.N starts at cut N and adds a
// release commit of its own.
func writeRepo(ctx context.Context, r OrgRepo, index, branches int, goFiles []orgFile) error {
	if err := os.MkdirAll(r.Path, 0o755); err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, "git", "init", "--quiet", "--bare", "--initial-branch=main", r.Path).CombinedOutput(); err != nil {
		return fmt.Errorf("git init %s: %v: %s", r.Path, err, out)
	}
	var stream bytes.Buffer
	st := &repoState{
		index:      index,
		rng:        rand.New(rand.NewPCG(uint64(index), 7)),
		goFiles:    slices.Clone(goFiles),
		log4jFixed: 1 + index%(branches+2),
	}
	w := &fastImport{w: &stream}
	var cutMarks []int
	for e := range branches {
		st.epoch = e
		changed := st.mainFiles(e == 0)
		parent := 0
		if e > 0 {
			parent = cutMarks[e-1]
		}
		cutMarks = append(cutMarks, w.commit("refs/heads/main", parent, e, fmt.Sprintf("Development towards 1.%d", e), changed))
	}
	for j, name := range r.Branches[:len(r.Branches)-1] {
		st.epoch = j
		w.commit("refs/heads/"+name, cutMarks[j], j, fmt.Sprintf("Release 1.%d.0", j), st.releaseFiles(j))
	}
	cmd := exec.CommandContext(ctx, "git", "-C", r.Path, "fast-import", "--quiet")
	cmd.Stdin = &stream
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git fast-import into %s: %v: %s", r.Path, err, out)
	}
	return nil
}

// mainFiles returns the files of main that change at the current cut (all
// of them for the first).
func (s *repoState) mainFiles(first bool) []orgFile {
	var out []orgFile
	for i, f := range s.goFiles {
		if first || s.rng.Float64() < changeRate {
			if !first {
				s.goFiles[i].data = editGo(f.data, s.rng, fmt.Sprintf("1.%d", s.epoch))
			}
			out = append(out, s.goFiles[i])
		}
	}
	return append(out, s.projectFiles(fmt.Sprintf("1.%d.0-SNAPSHOT", s.epoch), first)...)
}

// releaseFiles returns what the release commit of release/1.j changes: the
// version in the build files and, often, one backported fix.
func (s *repoState) releaseFiles(j int) []orgFile {
	out := s.projectFiles(fmt.Sprintf("1.%d.0", j), false)
	if s.rng.IntN(2) == 0 {
		// The cut's own Go files are not kept, so the fix lands on main's
		// current text; real backports differ from main the same way.
		f := s.goFiles[s.rng.IntN(len(s.goFiles))]
		out = append(out, orgFile{path: f.path, data: editGo(f.data, s.rng, fmt.Sprintf("1.%d.1", j))})
	}
	return out
}

// projectFiles renders the build and configuration files for version; the
// ones that do not depend on the version are only returned when all is set.
func (s *repoState) projectFiles(version string, all bool) []orgFile {
	name := fmt.Sprintf("svc-%02d", s.index)
	log4j := "2.14.1"
	if s.epoch >= s.log4jFixed {
		log4j = "2.17.1"
	}
	out := []orgFile{
		{"pom.xml", []byte(fmt.Sprintf(pomXML, name, version, log4j, 10+s.epoch%5))},
		{"package.json", []byte(fmt.Sprintf(packageJSON, name, version, 17+s.epoch%5))},
	}
	if s.index%3 == 0 {
		out = append(out, orgFile{"build.gradle", []byte(fmt.Sprintf(buildGradle, version, log4j))})
	}
	// Pool size tuning happens now and then, in the services with a database.
	if all || s.epoch%4 == 0 {
		pool := ""
		if s.index%4 == 1 {
			pool = fmt.Sprintf(hikariYAML, 10+s.epoch)
		}
		out = append(out, orgFile{"config/application.yml", []byte(fmt.Sprintf(applicationYAML, name, 8000+s.index, pool))})
	}
	if all {
		out = append(out,
			orgFile{".github/workflows/ci.yml", []byte(ciYAML)},
			orgFile{"deploy/k8s.yaml", []byte(fmt.Sprintf(k8sYAML, name, 2+s.index%3))},
			orgFile{"README.md", []byte(fmt.Sprintf(readme, name))},
		)
	}
	return out
}

var openBrace = regexp.MustCompile(`(?m)\{\n`)

// editGo makes a small, plausible edit: a review note after a random line
// that opens a block (or at the end of a file with none).
func editGo(data []byte, rng *rand.Rand, version string) []byte {
	note := fmt.Sprintf("\t// Reviewed for %s: keep in sync with the service contract (ticket ACME-%d).\n", version, 1000+rng.IntN(9000))
	locs := openBrace.FindAllIndex(data, -1)
	if len(locs) == 0 {
		return append(slices.Clone(data), "// "+strings.TrimSpace(note)+"\n"...)
	}
	at := locs[rng.IntN(len(locs))][1]
	out := make([]byte, 0, len(data)+len(note))
	out = append(out, data[:at]...)
	out = append(out, note...)
	return append(out, data[at:]...)
}

// fastImport writes a git fast-import stream.
type fastImport struct {
	w    io.Writer
	mark int
}

// commit writes a commit on ref with files changed (inline data) and
// returns its mark; parent 0 means a root commit.
func (f *fastImport) commit(ref string, parent, day int, msg string, files []orgFile) int {
	f.mark++
	w := bufio.NewWriter(f.w)
	when := 1_700_000_000 + day*86400
	fmt.Fprintf(w, "commit %s\nmark :%d\ncommitter Acme CI <ci@acme.example> %d +0000\ndata %d\n%s\n", ref, f.mark, when, len(msg), msg)
	if parent > 0 {
		fmt.Fprintf(w, "from :%d\n", parent)
	}
	for _, file := range files {
		fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n", file.path, len(file.data))
		w.Write(file.data)
		w.WriteString("\n")
	}
	w.WriteString("\n")
	w.Flush()
	return f.mark
}

const pomXML = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>2.7.18</version>
    <relativePath/>
  </parent>
  <groupId>com.acme</groupId>
  <artifactId>%[1]s</artifactId>
  <version>%[2]s</version>
  <properties>
    <java.version>17</java.version>
    <jackson.version>2.15.%[4]d</jackson.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>%[3]s</version>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
      <scope>test</scope>
    </dependency>
  </dependencies>
</project>
`

const buildGradle = `plugins {
    id 'java'
    id 'org.springframework.boot' version '2.7.18'
}

group = 'com.acme'
version = '%s'

dependencies {
    implementation 'org.springframework.boot:spring-boot-starter-web'
    implementation 'org.apache.logging.log4j:log4j-core:%s'
    testImplementation 'org.junit.jupiter:junit-jupiter:5.10.1'
}
`

const packageJSON = `{
  "name": "@acme/%[1]s-web",
  "version": "%[2]s",
  "private": true,
  "scripts": {
    "build": "webpack --mode production",
    "test": "jest"
  },
  "dependencies": {
    "express": "^4.18.2",
    "lodash": "4.17.%[3]d",
    "react": "^18.2.0",
    "react-dom": "^18.2.0"
  },
  "devDependencies": {
    "jest": "^29.7.0",
    "webpack": "^5.89.0"
  }
}
`

const applicationYAML = `server:
  port: %[2]d
spring:
  application:
    name: %[1]s
  datasource:
    url: jdbc:postgresql://db.internal.acme.example:5432/%[1]s
    username: ${DB_USER}
    password: ${DB_PASSWORD}
%[3]slogging:
  level:
    root: INFO
    com.acme: DEBUG
management:
  endpoints:
    web:
      exposure:
        include: health,info,prometheus
`

const hikariYAML = `    hikari:
      maximum-pool-size: %d
      connection-timeout: 30000
`

const ciYAML = `name: ci
on:
  push:
    branches: [main, 'release/**']
  pull_request:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with:
          go-version: '1.22'
      - run: go test ./...
`

const k8sYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  labels:
    app: %[1]s
spec:
  replicas: %[2]d
  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      containers:
        - name: %[1]s
          image: ghcr.io/acme/%[1]s:latest
          ports:
            - containerPort: 8080
`

const readme = `# %s

Part of the Acme platform. Build with ` + "`mvn package`" + `, run the Go tools with ` + "`go run ./...`" + `.
Releases are cut from main as release/1.N branches.
`
