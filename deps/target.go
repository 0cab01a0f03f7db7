package deps

import (
	"fmt"
	"net/url"
	"strings"
)

// Target is what a user names as a dependency: names in one ecosystem and,
// optionally, a version range. Rules, bulk changes and the query side
// (package depquery) all start from one.
type Target struct {
	Names     []string // exact names; empty: every dependency
	Ecosystem string   // purl type; empty: any
	Range     *Range   // only records whose version the range decides as inside
}

// ParseTarget reads what a user names: a purl (pkg:maven/g/a@v, whose
// version becomes an exact range unless rangeText is given) or a bare name
// in its ecosystem's habit (groupId:artifactId, @scope/name, module path).
func ParseTarget(target, rangeText string) (Target, error) {
	var f Target
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
