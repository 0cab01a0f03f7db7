package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Error is one problem in a configuration file. Parse and Load return
// every problem they find, joined with errors.Join; errors.As finds each.
type Error struct {
	File string // as given to Parse or Load
	Line int    // 1-based; 0 when the YAML parser did not say
	Path string // key path such as sources[0].github.org; empty for the whole file
	Msg  string

	scope scope // which validation problems this decode error may cause
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	// One error, one line: errors.Join separates errors with newlines.
	b.WriteString(strings.ReplaceAll(e.Msg, "\n", `\n`))
	return b.String()
}

// Pos is where a value is in the file, as an Error names it: the line of
// its key and its key path. Values that config decodes but another package
// parses (a rule's query and version ranges, which compliance.Validate
// checks) carry their Pos, so that a problem found there reads as one found
// by Parse.
type Pos struct {
	File string
	Line int
	Path string
}

// Errorf returns the problem of the value at p.
func (p Pos) Errorf(format string, args ...any) *Error {
	return &Error{File: p.File, Line: p.Line, Path: p.Path, Msg: fmt.Sprintf(format, args...)}
}

// scope says which validation problems may follow from a decode error at
// Path, so that only the cause is reported.
type scope int

const (
	scopeNone    scope = iota
	scopeKey           // an unknown or repeated key: problems of Path and its missing keys
	scopeMapping       // a mapping left undecoded: Path and everything below
	scopeValue         // a value left undecoded: Path, below, and its parent
)

// causes reports whether a validation problem at path may follow from e.
// A misspelled key leaves the key meant missing: has tells which keys the
// file sets.
func (e *Error) causes(path string, has func(string) bool) bool {
	switch e.scope {
	case scopeKey:
		return path == e.Path || parentPath(path) == e.Path && !has(path)
	case scopeMapping:
		return isWithin(path, e.Path)
	case scopeValue:
		return isWithin(path, e.Path) || e.Path != "" && parentPath(e.Path) == path
	}
	return false
}

// Load reads, checks and completes the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return Parse(data, path)
}

// Parse decodes, checks and completes a configuration read from path:
// unknown keys are errors, defaults are filled in, regular expressions are
// compiled and relative paths are resolved against path's folder.
func Parse(data []byte, path string) (*Config, error) {
	file := path
	if file == "" {
		file = "(config)"
	}

	// The node tree gives every key path its line, and the decoder
	// reports each problem at its node.
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(file, err)
	}
	idx := newNodeIndex(&doc)

	cfg := defaults()
	d := newDecoder(file, idx)
	d.decodeRoot(&doc, cfg)
	decodeErrs := d.errs
	cfg.Path = path

	c := &checker{file: file, idx: idx}
	c.check(cfg)

	// A key that failed to decode also fails validation (a list given as
	// a string is then an empty list, a mapping with an unknown key misses
	// the key meant): report the cause only.
	errs := decodeErrs
	cause := newCauses(decodeErrs, idx.has)
	for _, e := range c.errs {
		if !cause.any(e.Path) {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = e
		}
		return nil, errors.Join(joined...)
	}
	if err := resolvePaths(cfg, path); err != nil {
		return nil, err
	}
	return cfg, nil
}

// defaults returns the configuration of an empty file; decoding overwrites
// only the keys the file sets.
func defaults() *Config {
	return &Config{
		Branches: Globs{Include: []string{"**"}},
		Files:    Files{Include: []string{"**"}, MaxSize: 1 << 20},
		Index: Index{
			Backend:       "bleve",
			Path:          "./trawl-data",
			Elasticsearch: Elasticsearch{IndexPrefix: "trawl"},
		},
		Schedule: Schedule{Interval: 15 * time.Minute},
		Server:   Server{Listen: "127.0.0.1:8080"},
	}
}

// yamlLine reads the line of a syntax error: yaml.v3 gives those as text
// only ("yaml: line 3: ..."), unlike problems of the decoded values.
var yamlLine = regexp.MustCompile(`(?s)^(?:yaml: )?line (\d+): (.*)$`)

// syntaxError turns "yaml: line 3: did not find expected key" into
// "trawl.yaml:3: did not find expected key".
func syntaxError(file string, err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: m[2]}
	}
	return &Error{File: file, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// causes finds the decode errors that may cause a validation problem. It
// looks only at the errors of a path's ancestors and children, so that a
// file with many problems (aliases repeat them) is not checked pair by
// pair.
type causes struct {
	byPath, byParent map[string][]*Error
	has              func(string) bool
}

func newCauses(errs []*Error, has func(string) bool) *causes {
	c := &causes{byPath: map[string][]*Error{}, byParent: map[string][]*Error{}, has: has}
	for _, e := range errs {
		c.byPath[e.Path] = append(c.byPath[e.Path], e)
		if e.Path != "" {
			p := parentPath(e.Path)
			c.byParent[p] = append(c.byParent[p], e)
		}
	}
	return c
}

// any reports whether a decode error may cause a problem at path. Every
// error whose causes can hold sits at path, an ancestor (isWithin's
// prefixes are exactly parentPath's chain) or a child of path.
func (c *causes) any(path string) bool {
	for _, e := range c.byParent[path] {
		if e.causes(path, c.has) {
			return true
		}
	}
	for a := path; ; a = parentPath(a) {
		for _, e := range c.byPath[a] {
			if e.causes(path, c.has) {
				return true
			}
		}
		if a == "" {
			return false
		}
	}
}

// isWithin reports whether path is ancestor or ancestor's descendant.
func isWithin(path, ancestor string) bool {
	if ancestor == "" || path == ancestor {
		return true
	}
	if !strings.HasPrefix(path, ancestor) {
		return false
	}
	next := path[len(ancestor)]
	return next == '.' || next == '['
}

// entry is one key (or list item) of the file with its key path.
type entry struct {
	path, parent string
	key          *yaml.Node // nil for list items
	value        *yaml.Node
}

// nodeIndex finds the line of a key path and the key path of a line.
type nodeIndex struct {
	entries  []entry
	byPath   map[string]int
	byNode   map[*yaml.Node]int // key and value nodes to their entry
	rootLine int
}

func newNodeIndex(doc *yaml.Node) *nodeIndex {
	x := &nodeIndex{byPath: map[string]int{}, byNode: map[*yaml.Node]int{}, rootLine: 1}
	root := doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if root.Line > 0 {
		x.rootLine = root.Line
	}
	x.walk("", root)
	return x
}

func (x *nodeIndex) add(e entry) {
	if _, dup := x.byPath[e.path]; !dup {
		x.byPath[e.path] = len(x.entries)
	}
	for _, n := range []*yaml.Node{e.key, e.value} {
		if _, seen := x.byNode[n]; n != nil && !seen {
			x.byNode[n] = len(x.entries)
		}
	}
	x.entries = append(x.entries, e)
}

// walk does not follow aliases: their content is indexed where the anchor
// is, and following them could blow up on "billion laughs" documents.
func (x *nodeIndex) walk(parent string, n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if parent != "" {
				p = parent + "." + k.Value
			}
			x.add(entry{path: p, parent: parent, key: k, value: v})
			x.walk(p, v)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			p := parent + "[" + strconv.Itoa(i) + "]"
			x.add(entry{path: p, parent: parent, value: v})
			x.walk(p, v)
		}
	}
}

func (x *nodeIndex) has(path string) bool {
	_, ok := x.byPath[path]
	return ok
}

// line returns the line of path's key, or of its nearest ancestor present
// in the file, so that a missing key is reported where it belongs.
func (x *nodeIndex) line(path string) int {
	for path != "" {
		if i, ok := x.byPath[path]; ok {
			e := x.entries[i]
			if e.key != nil {
				return e.key.Line
			}
			return e.value.Line
		}
		path = parentPath(path)
	}
	return x.rootLine
}

func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// pos returns where the value node n is: its key path and the line of
// its key. A node met only through an alias is at its own line, without a
// path.
func (x *nodeIndex) pos(file string, n *yaml.Node) Pos {
	i, ok := x.byNode[n]
	if !ok {
		return Pos{File: file, Line: n.Line}
	}
	path := x.entries[i].path
	return Pos{File: file, Line: x.line(path), Path: path}
}

// errorAt returns an error about the value node n, at its pos.
func (x *nodeIndex) errorAt(file string, n *yaml.Node, s scope, msg string) *Error {
	p := x.pos(file, n)
	return &Error{File: p.File, Line: p.Line, Path: p.Path, Msg: msg, scope: s}
}

// parentOfKey returns the key path of the mapping holding key node k.
func (x *nodeIndex) parentOfKey(k *yaml.Node) string {
	if i, ok := x.byNode[k]; ok {
		return x.entries[i].parent
	}
	return ""
}
