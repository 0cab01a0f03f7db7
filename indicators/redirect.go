package indicators

import (
	"context"
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trawl-dev/trawl/indexer"
)

// repoConfigFiles are github-crawler's repository-side configuration
// files, read on the default branch: .githubCrawler, and .gitlabCrawler
// for repositories crawled from GitLab. The first present wins.
var repoConfigFiles = []string{".githubCrawler", ".gitlabCrawler"}

// maxRepoConfig bounds the repository-side file read: real ones are a few
// lines.
const maxRepoConfig = 64 << 10

// redirects maps, per repository, a configured file name to the path its
// repository-side file redirects it to (filesToParse[].redirectTo).
type redirects map[string]map[string]string

// readRedirects reads the repository-side files on each repository's
// default branch (defaults: full name -> default branch).
func readRedirects(ctx context.Context, idx indexer.Index, defaults map[string]string) (redirects, error) {
	var keys []indexer.BranchKey
	for repo, b := range defaults {
		if b != "" {
			keys = append(keys, indexer.BranchKey{Repo: repo, Name: b})
		}
	}
	out := redirects{}
	if len(keys) == 0 {
		return out, nil
	}
	found := map[string]indexer.Location{}
	q := indexer.LocationQuery{Paths: repoConfigFiles, Branches: keys}
	if err := idx.Locations(ctx, q, func(l indexer.Location) error {
		if l.Skip == "" && defaults[l.Repo] == l.Branch {
			if prev, ok := found[l.Repo]; !ok || rank(l.Path) < rank(prev.Path) {
				found[l.Repo] = l
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list repository-side configuration files: %w", err)
	}
	for repo, l := range found {
		if l.Size > maxRepoConfig {
			continue
		}
		text, err := idx.BlobText(ctx, l.Blob)
		if err != nil {
			return nil, fmt.Errorf("read %s of %s: %w", l.Path, repo, err)
		}
		if m := parseRedirects(text); len(m) > 0 {
			out[repo] = m
		}
	}
	return out, nil
}

func rank(p string) int {
	for i, f := range repoConfigFiles {
		if f == p {
			return i
		}
	}
	return len(repoConfigFiles)
}

// parseRedirects reads filesToParse: [{name, redirectTo}] from a
// repository-side file. Entries that are not clean relative paths are
// left out: a repository must not point trawl outside itself.
func parseRedirects(text []byte) map[string]string {
	var doc struct {
		FilesToParse []struct {
			Name       string `yaml:"name"`
			RedirectTo string `yaml:"redirectTo"`
		} `yaml:"filesToParse"`
	}
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil
	}
	m := map[string]string{}
	for _, f := range doc.FilesToParse {
		name := strings.TrimSuffix(strings.TrimPrefix(f.Name, "["), "]")
		if name == "" || !cleanPath(f.RedirectTo) {
			continue
		}
		m[name] = f.RedirectTo
	}
	return m
}

func cleanPath(p string) bool {
	return p != "" && !strings.HasPrefix(p, "/") && path.Clean(p) == p && p != "." && !strings.HasPrefix(p, "../") && p != ".."
}
