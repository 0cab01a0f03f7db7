package crawler

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/trawl-dev/trawl/deps"
	"github.com/trawl-dev/trawl/indexer"
)

// depsVersion joins the file settings in each branch state: when the
// extractors change, bumping it makes the next crawl extract every branch
// again.
const depsVersion = "deps1"

// maxManifest bounds the manifests read; lockfiles of large monorepos
// reach tens of MiB, anything larger is not a manifest worth parsing.
const maxManifest = 64 << 20

// manifestCache holds parsed manifests by blob id and kind, in memory for
// this process and on disk across crawls, so an unchanged manifest on a
// hundred branches is parsed once.
type manifestCache struct {
	dir string
	mu  sync.Mutex
	mem map[string]*deps.Manifest
}

func newManifestCache(dir string) *manifestCache {
	return &manifestCache{dir: dir, mem: map[string]*deps.Manifest{}}
}

func (c *manifestCache) file(key string) string {
	return filepath.Join(c.dir, key[:2], key+".json")
}

func (c *manifestCache) get(key string) *deps.Manifest {
	c.mu.Lock()
	m, ok := c.mem[key]
	c.mu.Unlock()
	if ok {
		return m
	}
	data, err := os.ReadFile(c.file(key))
	if err != nil {
		return nil
	}
	m = &deps.Manifest{}
	if json.Unmarshal(data, m) != nil {
		return nil // a damaged cache entry is parsed again
	}
	c.mu.Lock()
	c.mem[key] = m
	c.mu.Unlock()
	return m
}

// put remembers m; the disk copy is written whole or not at all.
func (c *manifestCache) put(key string, m *deps.Manifest) {
	c.mu.Lock()
	c.mem[key] = m
	c.mu.Unlock()
	data, err := json.Marshal(m)
	if err != nil {
		return
	}
	path := c.file(key)
	if os.MkdirAll(filepath.Dir(path), 0o755) != nil {
		return
	}
	tmp := path + ".tmp"
	if os.WriteFile(tmp, data, 0o644) == nil {
		os.Rename(tmp, path)
	}
}

// ManifestError is a manifest that did not parse.
type ManifestError struct {
	Repo   string `json:"repo"`
	Branch string `json:"branch"`
	Path   string `json:"path"`
	Error  string `json:"error"`
}

// dependencies resolves the manifests among files (path -> blob) of the
// branch into its dependency records.
func (b *branchCrawl) dependencies(ctx context.Context, repo *git.Repository, files map[string]plumbing.Hash) ([]indexer.Dependency, []ManifestError) {
	manifests := map[string]*deps.Manifest{}
	var problems []ManifestError
	for path, hash := range files {
		if ctx.Err() != nil {
			return nil, nil
		}
		kind := deps.Kind(path)
		key := hash.String() + "." + kind
		m := b.c.manifests.get(key)
		if m == nil {
			var err error
			b.sum.ManifestsParsed++
			m, err = parseManifest(repo, path, hash)
			if err != nil {
				problems = append(problems, ManifestError{Repo: b.state.Repo, Branch: b.state.Name, Path: path, Error: err.Error()})
				b.c.log.Warn("manifest not parsed", "repo", b.state.Repo, "branch", b.state.Name, "path", path, "err", err)
				continue
			}
			b.c.manifests.put(key, m)
		}
		manifests[path] = m
	}
	records := deps.Resolve(manifests)
	for i := range records {
		records[i].Repo = b.state.Repo
		records[i].Branch = b.state.Name
		records[i].Commit = b.state.Commit
	}
	return records, problems
}

func parseManifest(repo *git.Repository, path string, hash plumbing.Hash) (*deps.Manifest, error) {
	size, err := blobSize(repo, hash)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if size > maxManifest {
		return nil, fmt.Errorf("%s: %d bytes is too large a manifest", path, size)
	}
	text, err := readBlob(repo, hash)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	m, err := deps.Parse(path, text)
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = &deps.Manifest{Kind: deps.Kind(path)}
	}
	return m, nil
}
