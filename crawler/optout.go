package crawler

import (
	"fmt"
	"io"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"gopkg.in/yaml.v3"
)

// optOutFiles are the files a repository uses to ask not to be indexed:
// trawl's own, and Société Générale's github-crawler's, so repositories
// that opted out of that crawler stay out of this one.
var optOutFiles = []struct {
	path string
	key  string
}{
	{".trawl.yml", "exclude"},
	{".trawl.yaml", "exclude"},
	{".githubCrawler", "excluded"},
	{".gitlabCrawler", "excluded"}, // github-crawler's name for it on GitLab
}

// optedOut reports which opt-out file on the default branch (commit)
// excludes the repository, or "".
func optedOut(r *git.Repository, commit string) (string, error) {
	c, err := r.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return "", fmt.Errorf("read commit %s: %w", commit, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return "", fmt.Errorf("read tree of %s: %w", commit, err)
	}
	for _, f := range optOutFiles {
		file, err := tree.File(f.path)
		if err == object.ErrFileNotFound {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f.path, err)
		}
		rd, err := file.Reader()
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f.path, err)
		}
		data, err := io.ReadAll(io.LimitReader(rd, 64<<10))
		rd.Close()
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f.path, err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			// A malformed opt-out file must not index a repository that
			// meant to leave: say so, and keep it out.
			return f.path + " (unreadable: treated as an opt-out)", nil
		}
		if v, ok := doc[f.key].(bool); ok && v {
			return f.path, nil
		}
	}
	return "", nil
}
