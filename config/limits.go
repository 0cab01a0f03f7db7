package config

import "time"

// Limits bound what one repository may cost a crawl, so that a hostile or
// accidental giant (a tree bomb: nested trees pointing at one subtree, 200
// KB on disk and 10^8 files) is refused with its reason instead of taking
// the memory, time or index of everything else.
type Limits struct {
	// MaxFilesPerBranch is the most files (matching files.include and
	// files.exclude) a branch may hold; a branch with more is not indexed
	// and is reported. Default 1,000,000.
	MaxFilesPerBranch int `yaml:"max_files_per_branch"`
	// MaxRepoDuration is the longest one repository's crawl (fetch and
	// every branch) may take; when it runs out the branches done so far
	// stay, the rest wait for the next crawl, and the repository is
	// reported. Default 30m.
	MaxRepoDuration time.Duration `yaml:"max_repo_duration"`
}

// Default limits: generous enough for the largest monorepos seen, small
// enough that a tree bomb cannot exhaust a machine.
const (
	DefaultMaxFilesPerBranch = 1_000_000
	DefaultMaxRepoDuration   = 30 * time.Minute
)

func (c *checker) limits(l *Limits) {
	if !c.idx.has("limits.max_files_per_branch") {
		l.MaxFilesPerBranch = DefaultMaxFilesPerBranch
	} else if l.MaxFilesPerBranch < 1 {
		c.errorf("limits.max_files_per_branch", "must be at least 1 (default %d)", DefaultMaxFilesPerBranch)
	}
	if !c.idx.has("limits.max_repo_duration") {
		l.MaxRepoDuration = DefaultMaxRepoDuration
	} else if l.MaxRepoDuration <= 0 {
		c.errorf("limits.max_repo_duration", "must be greater than 0 (default %s)", DefaultMaxRepoDuration)
	}
}
