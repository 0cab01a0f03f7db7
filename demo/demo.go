// Package demo generates, offline, a small organisation of git
// repositories that shows what trawl is for: six repositories of about five
// branches each, with Maven, npm, Go, Python, Docker, Helm and GitHub
// Actions manifests, a log4j-core 2.14.1 on one release branch only, a
// configuration key whose value differs across branches, a repository
// without CODEOWNERS, a generated file too large to index, a binary file and
// a plain-text password. It also writes the trawl.yaml that crawls it, and
// holds the tour: the questions `make run` asks of it.
//
// Generation is deterministic (fixed authors and dates, objects written
// straight into bare repositories), so every machine gets the same commit
// ids and a second run changes nothing.
package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// marker marks a folder as made by Init, so that Init may replace it.
const marker = ".trawl-demo"

// ConfigFile is the name of the configuration Init writes in its folder.
const ConfigFile = "trawl.yaml"

// epoch is the date of every repository's first commit; later commits
// follow at fixed offsets.
var epoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Options configure Init.
type Options struct {
	// Force replaces a folder that is not empty and was not made by Init.
	Force bool
}

// Result says what Init wrote.
type Result struct {
	Config   string   // path of the trawl.yaml
	Repos    []string // full names, sorted
	Branches int      // over all repositories
}

// Init writes the demo organisation into dir: bare repositories below
// dir/repos and dir/trawl.yaml. A folder that Init made before is
// replaced; any other non-empty folder is refused unless o.Force is set.
func Init(ctx context.Context, dir string, o Options) (*Result, error) {
	if err := prepare(dir, o.Force); err != nil {
		return nil, err
	}
	res := &Result{Config: filepath.Join(dir, ConfigFile)}
	for i, spec := range org() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := writeRepo(filepath.Join(dir, "repos", filepath.FromSlash(spec.name)+".git"), spec, epoch.Add(time.Duration(i)*24*time.Hour))
		if err != nil {
			return nil, fmt.Errorf("demo: write %s: %w", spec.name, err)
		}
		res.Repos = append(res.Repos, spec.name)
		res.Branches += n
	}
	sort.Strings(res.Repos)
	if err := os.WriteFile(res.Config, []byte(configYAML), 0o644); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, marker), []byte("made by trawl demo init; trawl demo init may replace this folder\n"), 0o644); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return res, nil
}

// prepare empties dir when Init made it (or force is set) and creates it.
func prepare(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return fmt.Errorf("demo: %w", err)
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, marker)); err != nil && !force {
		return fmt.Errorf("demo: %s is not empty and was not made by trawl demo init (--force replaces it)", dir)
	}
	// Keep the index (trawl-data) so a second make run crawls nothing new;
	// replace the rest.
	for _, e := range entries {
		if e.Name() == "trawl-data" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

// writeRepo writes one repository: main with two commits, each other branch
// one commit on top of main's first. It returns the number of branches.
func writeRepo(dir string, spec repoSpec, when time.Time) (int, error) {
	defaultBranch := "main"
	b, err := initBare(dir, defaultBranch)
	if err != nil {
		return 0, err
	}
	owner := "Alex Moreau"
	root, err := b.commit(spec.base, plumbing.ZeroHash, signature(owner, when), "Initial import of "+filepath.Base(spec.name)+"\n")
	if err != nil {
		return 0, err
	}
	// A second commit on main, so the default branch has history of its own.
	files := copyFiles(spec.base)
	files["README.md"] += "\nSee CONTRIBUTING in the platform handbook before opening a pull request.\n"
	head, err := b.commit(files, root, signature(owner, when.Add(2*time.Hour)), "README: link the contribution guide\n")
	if err != nil {
		return 0, err
	}
	if err := b.setBranch(defaultBranch, head); err != nil {
		return 0, err
	}
	for i, br := range spec.branches {
		files := copyFiles(spec.base)
		for p, content := range br.change {
			if content == "" {
				delete(files, p)
			} else {
				files[p] = content
			}
		}
		author := br.author
		if author == "" {
			author = owner
		}
		msg := "Prepare " + br.name + "\n"
		h, err := b.commit(files, root, signature(author, when.Add(time.Duration(3+i)*time.Hour)), msg)
		if err != nil {
			return 0, err
		}
		if err := b.setBranch(br.name, h); err != nil {
			return 0, err
		}
	}
	return 1 + len(spec.branches), nil
}

func copyFiles(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// configYAML crawls the demo: relative paths are relative to the file.
const configYAML = `# The demo organisation written by trawl demo init: six repositories of
# acme, every branch. Relative paths are relative to this file's folder.
sources:
  - dir: ./repos                       # bare repositories, named acme/<repo>

files:
  exclude: ['**/node_modules/**']
  max_size: 1MiB                       # public/vendor.bundle.js is larger: trawl skipped lists it

index:
  backend: bleve
  path: ./trawl-data

indicators:                            # trawl indicators, GET /api/indicators
  pom.xml:
    - name: springBootVersion
      type: findDependencyVersionInXml
      params: {artifactId: spring-boot-starter-parent}
  Dockerfile:
    - name: baseImage
      type: findFirstValueWithRegexpCapture
      params: {pattern: 'FROM\s+(\S+)'}

server:
  listen: 127.0.0.1:8080

rules:                                 # trawl check, GET /api/compliance, the Compliance page
  - id: log4shell
    title: No log4j-core before 2.17.1 (CVE-2021-44228)
    severity: error
    forbid_dependency: {name: org.apache.logging.log4j:log4j-core, version: '<2.17.1'}
  - id: codeowners
    title: Every repository names its owners
    severity: warning
    branches: default
    require_file: [CODEOWNERS, .github/CODEOWNERS, docs/CODEOWNERS]
  - id: no-plain-passwords
    title: No plain-text passwords in configuration
    severity: warning
    forbid_match: '/password\s*[:=]\s*\S+/ file:\.(properties|ya?ml)$'
`
