package crawler

import (
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
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

// maxOptOut bounds the opt-out files read: they hold one key.
const maxOptOut = 64 << 10

// optedOut reports which opt-out file on the default branch (commit)
// excludes the repository, or "".
func optedOut(r *git.Repository, commit string) (string, error) {
	c, err := r.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return "", fmt.Errorf("read commit %s: %w", commit, err)
	}
	t := newTrees(r.Storer)
	for _, f := range optOutFiles {
		h, err := t.lookup(c.TreeHash, f.path)
		if err == errNoFile {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f.path, err)
		}
		size, err := blobSize(r, h)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f.path, err)
		}
		answer := optOutMalformed // an opt-out file is one key, not a large file
		if size <= maxOptOut {
			data, err := readBlob(r, h)
			if err != nil {
				return "", fmt.Errorf("read %s: %w", f.path, err)
			}
			answer = optOut(data, f.key)
		}
		switch answer {
		case optOutMalformed:
			// A malformed (or oversized) opt-out file must not index a
			// repository that meant to leave: say so, and keep it out.
			return f.path + " (unreadable: treated as an opt-out)", nil
		case optOutYes:
			return f.path, nil
		}
	}
	return "", nil
}

type optOutAnswer int

const (
	optOutNo optOutAnswer = iota
	optOutYes
	optOutMalformed
)

// optOut reads an opt-out file: "key: true" opts out; a file that is not a
// YAML mapping is malformed.
func optOut(data []byte, key string) optOutAnswer {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return optOutMalformed
	}
	if v, ok := doc[key].(bool); ok && v {
		return optOutYes
	}
	return optOutNo
}
