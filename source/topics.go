package source

import (
	"regexp"
	"slices"
)

// Topics is a forge's topic filter (a source's topics.include and
// topics.exclude, regular expressions): a repository with a topic that an
// exclude pattern matches is left out; with include patterns, only a
// repository with a topic one of them matches is kept.
type Topics struct {
	include, exclude []*regexp.Regexp
}

// CompileTopics compiles the patterns; the error is regexp's, for the
// first pattern that does not compile (include before exclude).
func CompileTopics(include, exclude []string) (Topics, error) {
	var (
		t   Topics
		err error
	)
	if t.include, err = compilePatterns(include); err != nil {
		return Topics{}, err
	}
	if t.exclude, err = compilePatterns(exclude); err != nil {
		return Topics{}, err
	}
	return t, nil
}

// None reports that the filter keeps every repository, whatever its
// topics: a forge need not look them up.
func (t Topics) None() bool { return len(t.include) == 0 && len(t.exclude) == 0 }

// Keep reports whether a repository with topics passes the filter.
func (t Topics) Keep(topics []string) bool {
	if slices.ContainsFunc(topics, func(s string) bool { return anyMatch(t.exclude, s) }) {
		return false
	}
	return len(t.include) == 0 || slices.ContainsFunc(topics, func(s string) bool { return anyMatch(t.include, s) })
}

func compilePatterns(patterns []string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, re)
	}
	return out, nil
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	return slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString(s) })
}
