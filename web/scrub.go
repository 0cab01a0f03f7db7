package web

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The status of a crawl carries the errors of repositories, and those name
// files on the server: "open /home/ops/trawl-data/mirrors/acme+api/HEAD:
// ...". A reader of the API learns nothing from the machine's folders that
// they need, and an attacker learns its layout, so GET /api/status shows
// the data folder as <data>, other known folders by name, and any other
// absolute path by its last element.

// crawlStatus returns Options.Status() with its machine paths scrubbed, or
// nil without a Status function.
func (s *Server) crawlStatus() (any, error) {
	if s.status == nil {
		return nil, nil
	}
	return s.scrub.value(s.status())
}

// pathScrubber rewrites the absolute paths in status texts.
type pathScrubber struct {
	roots []scrubRoot // longest first, so a data folder inside home wins
}

type scrubRoot struct{ path, name string }

// absPath is an absolute path standing alone in a text: after the start,
// a space, a quote, a bracket or '=', or in a file:// URL.
var absPath = regexp.MustCompile(`(^|[\s"'(\[=]|file://)(/[^\s"'()\[\],;]*)`)

func newPathScrubber(dataDir string, private []string) *pathScrubber {
	p := &pathScrubber{}
	add := func(dir, name string) {
		if dir == "" {
			return
		}
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		dir = strings.TrimSuffix(filepath.ToSlash(dir), "/")
		if dir == "" {
			return
		}
		p.roots = append(p.roots, scrubRoot{dir, name})
	}
	add(dataDir, "<data>")
	for _, d := range private {
		add(d, "<private>")
	}
	if home, err := os.UserHomeDir(); err == nil {
		add(home, "~")
	}
	add(os.TempDir(), "<tmp>")
	slices.SortStableFunc(p.roots, func(a, b scrubRoot) int { return len(b.path) - len(a.path) })
	return p
}

// text rewrites the absolute paths in s.
func (p *pathScrubber) text(s string) string {
	for _, r := range p.roots {
		s = replacePrefixPaths(s, r)
	}
	return absPath.ReplaceAllStringFunc(s, func(m string) string {
		sub := absPath.FindStringSubmatch(m)
		lead, path := sub[1], sub[2]
		if path == "/" {
			return m
		}
		return lead + "…/" + filepath.Base(path)
	})
}

// replacePrefixPaths replaces root.path where it starts a path: followed
// by '/' or the end of the path, not by more of a longer name.
func replacePrefixPaths(s string, root scrubRoot) string {
	var b strings.Builder
	for {
		i := strings.Index(s, root.path)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(root.path)
		if end < len(s) && s[end] != '/' && !strings.ContainsRune(" \t\n\"':;,)]", rune(s[end])) {
			b.WriteString(s[:end])
			s = s[end:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteString(root.name)
		s = s[end:]
	}
}

// value returns v, a value that encodes to JSON, with every string in it
// scrubbed: errors live at several depths of the crawl status (last_error,
// repo_errors, last_summary.errors) and other fields may follow.
func (p *pathScrubber) value(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep int64 counters exact
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return p.walk(tree), nil
}

func (p *pathScrubber) walk(v any) any {
	switch x := v.(type) {
	case string:
		return p.text(x)
	case []any:
		for i := range x {
			x[i] = p.walk(x[i])
		}
	case map[string]any:
		for k, e := range x {
			x[k] = p.walk(e)
		}
	}
	return v
}
