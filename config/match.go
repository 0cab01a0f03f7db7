package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/bmatcuk/doublestar/v4"
)

// Compile compiles the filter's regular expressions. Parse and Load do it;
// call it on a Filter built in code to report bad patterns early.
func (f *Filter) Compile() error {
	inc, err := compileAll(f.Include)
	if err != nil {
		return err
	}
	exc, err := compileAll(f.Exclude)
	if err != nil {
		return err
	}
	f.include, f.exclude = inc, exc
	return nil
}

func compileAll(patterns []string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("compile filter %q: %w", p, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// Match reports whether name matches an include pattern (or Include is
// empty) and no exclude pattern.
func (f *Filter) Match(name string) bool {
	inc, exc := f.include, f.exclude
	if len(inc) != len(f.Include) || len(exc) != len(f.Exclude) {
		// Built in code without Compile: compile per call, and let a bad
		// pattern match nothing.
		inc, exc = compileValid(f.Include), compileValid(f.Exclude)
	}
	if len(f.Include) > 0 && !anyRegexp(inc, name) {
		return false
	}
	return !anyRegexp(exc, name)
}

func compileValid(patterns []string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, p := range patterns {
		if re, err := regexp.Compile(p); err == nil {
			out = append(out, re)
		}
	}
	return out
}

func anyRegexp(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// Match reports whether name matches an include glob (or Include is empty)
// and no exclude glob. Globs are doublestar's: '**' crosses slashes.
func (g *Globs) Match(name string) bool {
	return matchGlobs(g.Include, g.Exclude, name)
}

// Match reports whether the file at path (slash-separated, relative to the
// repository root) is selected by Include and Exclude. MaxSize is the
// crawler's to check.
func (f *Files) Match(path string) bool {
	return matchGlobs(f.Include, f.Exclude, path)
}

func matchGlobs(include, exclude []string, name string) bool {
	if len(include) > 0 && !anyGlob(include, name) {
		return false
	}
	return !anyGlob(exclude, name)
}

// anyGlob treats an invalid pattern as matching nothing; Parse rejects them.
func anyGlob(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, err := doublestar.Match(p, name); err == nil && ok {
			return true
		}
	}
	return false
}

// FileSettings returns a fingerprint (hex SHA-256) of files.include,
// files.exclude and files.max_size. The crawler stores it per branch and
// re-evaluates a branch whose fingerprint changed.
func (c *Config) FileSettings() string {
	include := c.Files.Include
	if len(include) == 0 {
		include = []string{"**"} // what an empty include means
	}
	exclude := c.Files.Exclude
	if exclude == nil {
		exclude = []string{}
	}
	b, err := json.Marshal(struct {
		Include []string `json:"include"`
		Exclude []string `json:"exclude"`
		MaxSize int64    `json:"max_size"`
	}{include, exclude, int64(c.Files.MaxSize)})
	if err != nil {
		panic("config: marshal file settings: " + err.Error()) // strings and an int always marshal
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
