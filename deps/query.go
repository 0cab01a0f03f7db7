package deps

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/trawl-dev/trawl/indexer"
)

// Filter selects dependency records for trawl deps and GET /api/deps.
type Filter struct {
	Names     []string       // exact names; empty: every dependency
	Ecosystem string         // purl type; empty: any
	Range     *Range         // only records whose version the range decides as inside
	Undecided bool           // with Range: also records whose version cannot be decided (^4.17 without a lockfile)
	Repo      *regexp.Regexp // repository full name
	Branch    *regexp.Regexp // branch name
}

// ParseTarget reads what a user names: a purl (pkg:maven/g/a@v, whose
// version becomes an exact range unless rangeText is given) or a bare name
// in its ecosystem's habit (groupId:artifactId, @scope/name, module path).
func ParseTarget(target, rangeText string) (Filter, error) {
	var f Filter
	version := ""
	if strings.HasPrefix(target, "pkg:") {
		eco, name, v, err := parsePURL(target)
		if err != nil {
			return f, err
		}
		f.Ecosystem, version = eco, v
		f.Names = []string{name}
	} else if target != "" {
		f.Names = []string{target}
	}
	if rangeText == "" && version != "" {
		rangeText = "=" + version
	}
	if rangeText != "" {
		eco := f.Ecosystem
		if eco == "" {
			eco = guessEcosystem(target, rangeText)
		}
		r, err := ParseRange(eco, rangeText)
		if err != nil {
			return f, fmt.Errorf("version range %q: %w", rangeText, err)
		}
		f.Range = &r
	}
	return f, nil
}

// guessEcosystem picks the version ordering for a bare name: a vers: range
// names its own; groupId:artifactId is Maven; a path with a dot in its
// first element is Go; @scope/ is npm. Otherwise the range is read with
// the Maven rules, which order the common dotted versions sensibly.
func guessEcosystem(name, rangeText string) string {
	if strings.HasPrefix(rangeText, "vers:") {
		if i := strings.Index(rangeText[5:], "/"); i > 0 {
			return rangeText[5 : 5+i]
		}
	}
	switch {
	case strings.HasPrefix(name, "@"):
		return "npm"
	case strings.Contains(name, ":"):
		return "maven"
	case strings.Contains(strings.Split(name, "/")[0], "."):
		return "golang"
	}
	return "maven"
}

// parsePURL splits pkg:type/namespace/name@version into trawl's
// (ecosystem, name, version), names following each ecosystem's habit.
func parsePURL(p string) (eco, name, version string, err error) {
	rest := strings.TrimPrefix(p, "pkg:")
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, "@"); i > 0 && i > strings.LastIndex(rest, "/") {
		version, rest = rest[i+1:], rest[:i]
		if version, err = url.PathUnescape(version); err != nil {
			return "", "", "", fmt.Errorf("purl %q: %w", p, err)
		}
	}
	eco, path, ok := strings.Cut(rest, "/")
	if !ok || eco == "" || path == "" {
		return "", "", "", fmt.Errorf("purl %q: want pkg:type/name[@version]", p)
	}
	eco = strings.ToLower(eco)
	if path, err = url.PathUnescape(path); err != nil {
		return "", "", "", fmt.Errorf("purl %q: %w", p, err)
	}
	switch eco {
	case "maven", "gradle":
		if i := strings.LastIndex(path, "/"); i > 0 {
			path = path[:i] + ":" + path[i+1:]
		}
	case "pypi":
		path = normalizePyPI(path)
	}
	return eco, path, version, nil
}

// Find streams the records f selects from idx.
func Find(ctx context.Context, idx indexer.Index, f Filter, fn func(indexer.Dependency) error) error {
	q := indexer.DepQuery{Names: f.Names, Ecosystem: f.Ecosystem}
	if f.Repo != nil || f.Branch != nil {
		branches, err := idx.Branches(ctx)
		if err != nil {
			return fmt.Errorf("read branch states: %w", err)
		}
		q.Branches = []indexer.BranchKey{}
		for _, b := range branches {
			if (f.Repo == nil || f.Repo.MatchString(b.Repo)) && (f.Branch == nil || f.Branch.MatchString(b.Name)) {
				q.Branches = append(q.Branches, b.Key())
			}
		}
		if len(q.Branches) == 0 {
			return nil
		}
	}
	return idx.Deps(ctx, q, func(d indexer.Dependency) error {
		if f.Range != nil {
			in, known := f.Range.Match(d)
			if !in && !(f.Undecided && !known) {
				return nil
			}
		}
		return fn(d)
	})
}

// VersionCount is one version in use and how widely.
type VersionCount struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version"` // resolved where known, else as declared
	Repos     int    `json:"repos"`
	Branches  int    `json:"branches"`
	Files     int    `json:"files"`
}

// Summarize counts, per (name, version), the repositories, branches and
// files using it; most used first.
func Summarize(records []indexer.Dependency) []VersionCount {
	type key struct{ eco, name, version string }
	type sets struct{ repos, branches, files map[string]bool }
	m := map[key]*sets{}
	for _, d := range records {
		v := d.ResolvedVersion
		if v == "" {
			v = d.Version
		}
		k := key{d.Ecosystem, d.Name, v}
		s := m[k]
		if s == nil {
			s = &sets{map[string]bool{}, map[string]bool{}, map[string]bool{}}
			m[k] = s
		}
		s.repos[d.Repo] = true
		s.branches[d.Repo+"\x00"+d.Branch] = true
		s.files[d.Repo+"\x00"+d.Branch+"\x00"+d.Path] = true
	}
	out := make([]VersionCount, 0, len(m))
	for k, s := range m {
		out = append(out, VersionCount{Ecosystem: k.eco, Name: k.name, Version: k.version,
			Repos: len(s.repos), Branches: len(s.branches), Files: len(s.files)})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Branches != b.Branches {
			return a.Branches > b.Branches
		}
		return a.Version < b.Version
	})
	return slices.Clip(out)
}
