// Package deps extracts dependency declarations from build manifests and
// lockfiles (Maven, Gradle, npm, Go, Python, Docker, Helm, GitHub Actions,
// Jenkins) and resolves them into the dependency records of docs/design.md §7.
//
// Work is split in two so that it follows trawl's content-once data model:
// Parse looks at one file's content only, so its result can be cached by blob
// id and reused on every branch holding that blob; Resolve combines the parsed
// manifests of one branch (parents, properties, lockfiles, catalogs), which is
// cheap and needs no file content.
package deps

import (
	"fmt"
	"path"
	"strings"
)

// Dependency is one library, image or action a manifest on a branch
// declares or locks: a record of docs/design.md §7. Parse and Resolve fill
// everything but the repository, branch and commit, which the caller adds.
type Dependency struct {
	Repo            string `json:"repo"`
	Branch          string `json:"branch"`
	Commit          string `json:"commit"`
	Path            string `json:"path"`
	Line            int    `json:"line"`
	Ecosystem       string `json:"ecosystem"` // purl type: maven, npm, golang, pypi, docker, github...
	Name            string `json:"name"`
	PURL            string `json:"purl"`
	Version         string `json:"version"`          // as declared; a range stays a range
	ResolvedVersion string `json:"resolved_version"` // exact version from a lockfile, property, parent or catalog
	VersionSource   string `json:"version_source"`   // literal, property, parent, lockfile, catalog, bom
	Scope           string `json:"scope"`
	Direct          bool   `json:"direct"`
}

// Version sources, as docs/design.md §7 names them.
const (
	SourceLiteral  = "literal"
	SourceProperty = "property"
	SourceParent   = "parent"
	SourceLockfile = "lockfile"
	SourceCatalog  = "catalog"
	SourceBOM      = "bom"
)

// Manifest kinds returned by Kind.
const (
	KindMaven         = "maven"
	KindGradle        = "gradle"
	KindGradleProps   = "gradle-properties"
	KindGradleCatalog = "gradle-catalog"
	KindGradleLock    = "gradle-lock"
	KindNPM           = "npm"
	KindNPMLock       = "npm-lock"
	KindYarnLock      = "yarn-lock"
	KindGoMod         = "gomod"
	KindRequirements  = "requirements"
	KindPyProject     = "pyproject"
	KindPoetryLock    = "poetry-lock"
	KindDockerfile    = "dockerfile"
	KindCompose       = "compose"
	KindHelmChart     = "helm-chart"
	KindHelmValues    = "helm-values"
	KindActions       = "actions"
	KindJenkinsfile   = "jenkinsfile"
)

// Manifest is what one file says on its own. It holds only plain data so that
// it survives a JSON round trip (it is cached by blob id).
type Manifest struct {
	Kind string `json:"kind"`
	// Decls are the declarations as written, with whatever the file alone
	// can resolve (Dockerfile ARG defaults, Gradle variables of the file).
	Decls []Decl `json:"decls,omitempty"`
	// Locks are lockfile entries: exact versions that other manifests'
	// declarations resolve to.
	Locks []Lock `json:"locks,omitempty"`
	// Props are key/value settings other files refer to: gradle.properties,
	// Gradle ext/def variables, Helm Chart.yaml appVersion.
	Props map[string]string `json:"props,omitempty"`
	// Pom is a Maven POM, kept whole because parents, properties and
	// dependencyManagement are only resolved across files.
	Pom *Pom `json:"pom,omitempty"`
	// Catalog is a Gradle version catalog.
	Catalog *Catalog `json:"catalog,omitempty"`
	// Package is an npm package.json's identity and workspaces.
	Package *NPMPackage `json:"package,omitempty"`
}

// Decl is one dependency declaration.
type Decl struct {
	Line      int    `json:"line"`
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	// Version is the version as written (a range stays a range, a Gradle
	// "$var" stays unexpanded).
	Version string `json:"version,omitempty"`
	// Resolved is the exact version when the file alone fixes it.
	Resolved string `json:"resolved,omitempty"`
	Source   string `json:"source,omitempty"`
	Scope    string `json:"scope,omitempty"`
	Indirect bool   `json:"indirect,omitempty"`
	// Ref names what the version comes from when another file must resolve
	// it: a Gradle catalog alias ("libs.log4j.core") or an unexpanded
	// variable.
	Ref string `json:"ref,omitempty"`
	// PURLVersion overrides the version put in the purl (a Docker digest).
	PURLVersion string `json:"purl_version,omitempty"`
	// Subpath is the purl subpath (an action inside a repository).
	Subpath string `json:"subpath,omitempty"`
	// Repository is the purl repository_url (a Helm chart's repository).
	Repository string `json:"repository,omitempty"`
}

// Lock is one lockfile entry.
type Lock struct {
	Line    int    `json:"line"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// Key locates the entry: the install path in package-lock.json
	// ("node_modules/a/node_modules/b"), empty elsewhere.
	Key string `json:"key,omitempty"`
	// Specs are the requested ranges a yarn.lock entry satisfies.
	Specs []string `json:"specs,omitempty"`
	// Link is the workspace folder a package-lock.json link entry points to.
	Link  string `json:"link,omitempty"`
	Scope string `json:"scope,omitempty"`
}

// Kind reports which extractor handles path ("" when none), from the file
// name alone.
func Kind(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	base := path.Base(p)
	lower := strings.ToLower(base)
	dir := path.Dir(p)
	for _, seg := range strings.Split(dir, "/") {
		if seg == "node_modules" {
			return ""
		}
	}
	switch {
	case base == "pom.xml":
		return KindMaven
	case strings.HasSuffix(lower, ".gradle") || strings.HasSuffix(lower, ".gradle.kts"):
		return KindGradle
	case base == "gradle.properties":
		return KindGradleProps
	case strings.HasSuffix(base, ".versions.toml") && path.Base(dir) == "gradle":
		return KindGradleCatalog
	case base == "gradle.lockfile" || (strings.HasSuffix(base, ".lockfile") && path.Base(dir) == "dependency-locks"):
		return KindGradleLock
	case base == "package.json":
		return KindNPM
	case base == "package-lock.json" || base == "npm-shrinkwrap.json":
		return KindNPMLock
	case base == "yarn.lock":
		return KindYarnLock
	case base == "go.mod":
		return KindGoMod
	case strings.HasSuffix(lower, ".txt") && (strings.HasPrefix(lower, "requirements") || strings.HasSuffix(lower, "requirements.txt") || path.Base(dir) == "requirements"):
		return KindRequirements
	case base == "pyproject.toml":
		return KindPyProject
	case base == "poetry.lock":
		return KindPoetryLock
	case lower == "dockerfile" || lower == "containerfile" || strings.HasPrefix(lower, "dockerfile.") || strings.HasSuffix(lower, ".dockerfile"):
		return KindDockerfile
	case isYAML(lower) && (strings.HasPrefix(lower, "docker-compose") || strings.HasPrefix(lower, "compose.") || strings.HasPrefix(lower, "compose-")):
		return KindCompose
	case base == "Chart.yaml" || base == "Chart.yml":
		return KindHelmChart
	case isYAML(lower) && (strings.HasPrefix(lower, "values.") || strings.HasPrefix(lower, "values-")):
		return KindHelmValues
	case isYAML(lower) && (strings.HasSuffix(dir, ".github/workflows") || lower == "action.yml" || lower == "action.yaml"):
		return KindActions
	case base == "Jenkinsfile" || strings.HasPrefix(base, "Jenkinsfile.") || strings.HasSuffix(lower, ".jenkinsfile"):
		return KindJenkinsfile
	}
	return ""
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")
}

// Parse extracts what one manifest file says on its own. It returns nil and
// no error for a path Kind does not know. A file that does not parse yields an
// error naming the path and, where known, the line.
func Parse(p string, content []byte) (m *Manifest, err error) {
	kind := Kind(p)
	if kind == "" {
		return nil, nil
	}
	// The parsers index into untrusted input; a bug must cost one file,
	// not the crawl.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("parse %s: internal error: %v", p, r)
		}
	}()
	parsers := map[string]func([]byte) (*Manifest, error){
		KindMaven:         parseMaven,
		KindGradle:        parseGradle,
		KindGradleProps:   parseGradleProps,
		KindGradleCatalog: parseGradleCatalog,
		KindGradleLock:    parseGradleLock,
		KindNPM:           parsePackageJSON,
		KindNPMLock:       parsePackageLock,
		KindYarnLock:      parseYarnLock,
		KindGoMod:         parseGoMod,
		KindRequirements:  parseRequirements,
		KindPyProject:     parsePyProject,
		KindPoetryLock:    parsePoetryLock,
		KindDockerfile:    parseDockerfile,
		KindCompose:       parseCompose,
		KindHelmChart:     parseHelmChart,
		KindHelmValues:    parseHelmValues,
		KindActions:       parseActions,
		KindJenkinsfile:   parseJenkinsfile,
	}
	m, err = parsers[kind](content)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	m.Kind = kind
	return m, nil
}

// lineError is a parse error at a known line.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func errorf(line int, format string, args ...any) error {
	return &lineError{line: line, msg: fmt.Sprintf(format, args...)}
}

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex []int

func newLineIndex(b []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range b {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (idx lineIndex) line(off int) int {
	lo, hi := 0, len(idx)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if idx[mid] <= off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + 1
}
