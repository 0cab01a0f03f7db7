package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder fills Go values from a yaml.Node tree and records every problem
// as an *Error at the node it comes from. yaml.v3's own typed decode only
// reports problems as text; decoding here keeps the node, so the key path
// and line are known without reading that text back.
type decoder struct {
	file string
	idx  *nodeIndex
	errs []*Error

	// budget is the number of nodes left to decode, of limit: aliases
	// can make a small file expand into a huge tree ("billion laughs").
	limit, budget int

	fields map[reflect.Type]map[string]field // fieldsOf, once per type
}

// maxDecodeNodes bounds the nodes one file may expand to through aliases;
// a real trawl.yaml has a few hundred, a large one a few thousand.
const maxDecodeNodes = 1 << 17

// nodeDecoder is a type that decodes and checks itself, reporting each
// problem with d.at or d.unknownKey.
type nodeDecoder interface {
	decodeNode(d *decoder, path string, n *yaml.Node)
}

var (
	durationType    = reflect.TypeOf(time.Duration(0))
	nodeDecoderType = reflect.TypeOf((*nodeDecoder)(nil)).Elem()
)

func newDecoder(file string, idx *nodeIndex) *decoder {
	return &decoder{file: file, idx: idx, limit: maxDecodeNodes, budget: maxDecodeNodes, fields: map[reflect.Type]map[string]field{}}
}

// at records a problem with the value n; its key path is n's place in the
// file.
func (d *decoder) at(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, d.idx.errorAt(d.file, n, scopeValue, fmt.Sprintf(format, args...)))
}

// unknownKey records a key that the mapping holding it does not know.
func (d *decoder) unknownKey(k *yaml.Node) {
	path := d.idx.parentOfKey(k)
	d.errs = append(d.errs, &Error{File: d.file, Line: k.Line, Path: path, Msg: "unknown key " + show(k.Value), scope: scopeKey})
}

func (d *decoder) errorf(path string, line int, s scope, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...), scope: s})
}

// decodeRoot decodes the whole file into cfg.
func (d *decoder) decodeRoot(doc *yaml.Node, cfg *Config) {
	root := doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return
		}
		root = doc.Content[0]
	}
	if root.Kind == 0 || isNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		d.errorf("", root.Line, scopeMapping, "the file must be a mapping of keys such as sources, index and server")
		return
	}
	d.decode("", root, reflect.ValueOf(cfg).Elem())
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// decode fills v (addressable) from n, found at path.
func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	if !d.spend(path, n) {
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if isNull(n) {
		// As yaml.v3 does: null empties lists, mappings and pointers and
		// leaves every other value (and so its default) alone.
		switch v.Kind() {
		case reflect.Ptr, reflect.Map, reflect.Slice, reflect.Interface:
			v.Set(reflect.Zero(v.Type()))
		}
		return
	}
	for v.Kind() == reflect.Ptr {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if v.Addr().Type().Implements(nodeDecoderType) {
		v.Addr().Interface().(nodeDecoder).decodeNode(d, path, n)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(path, n, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.mismatch(path, n, v.Type())
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(path+"["+strconv.Itoa(i)+"]", item, s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.mismatch(path, n, v.Type())
			return
		}
		if !d.uniqueKeys(path, n) {
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := reflect.New(v.Type().Key()).Elem()
			kp := joinKey(path, n.Content[i].Value)
			d.decode(kp, n.Content[i], k)
			e := reflect.New(v.Type().Elem()).Elem()
			d.decode(kp, n.Content[i+1], e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	default:
		if n.Kind != yaml.ScalarNode {
			d.mismatch(path, n, v.Type())
			return
		}
		// yaml.v3 resolves the scalar (tags, booleans, numbers, durations)
		// exactly as its own decode would.
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.mismatch(path, n, v.Type())
		}
	}
}

// spend takes one node off the budget, and reports whether any was left.
func (d *decoder) spend(path string, n *yaml.Node) bool {
	d.budget--
	if d.budget == 0 {
		d.errorf(path, n.Line, scopeMapping, "the file expands to more than %d values through aliases", d.limit)
	}
	return d.budget > 0
}

// field is one key of a struct, possibly of an inlined struct.
type field struct {
	index []int
}

// fieldsOf maps the yaml keys of struct type t to their fields, following
// ",inline" as yaml.v3 does.
func fieldsOf(t reflect.Type) map[string]field {
	out := map[string]field{}
	var add func(t reflect.Type, prefix []int)
	add = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("yaml")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			index := append(append([]int(nil), prefix...), i)
			if strings.Contains(","+opts+",", ",inline,") {
				add(f.Type, index)
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			out[name] = field{index: index}
		}
	}
	add(t, nil)
	return out
}

func (d *decoder) decodeStruct(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.mismatch(path, n, v.Type())
		return
	}
	if !d.uniqueKeys(path, n) {
		return
	}
	fields, ok := d.fields[v.Type()]
	if !ok {
		fields = fieldsOf(v.Type())
		d.fields[v.Type()] = fields
	}
	// Merge keys (<<: *defaults) give values that the mapping's own keys
	// override, as in yaml.v3.
	own := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		own[n.Content[i].Value] = true
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			d.merge(path, val, v, fields, own)
			continue
		}
		f, ok := fields[k.Value]
		if !ok {
			d.errorf(path, k.Line, scopeKey, "unknown key %s", show(k.Value))
			continue
		}
		d.decode(joinKey(path, k.Value), val, v.FieldByIndex(f.index))
	}
}

// merge decodes the keys of a merged mapping (or list of mappings) that
// the mapping itself does not set.
func (d *decoder) merge(path string, m *yaml.Node, v reflect.Value, fields map[string]field, own map[string]bool) {
	// A merge may name a list that holds itself: the budget ends it.
	if !d.spend(path, m) {
		return
	}
	if m.Kind == yaml.AliasNode && m.Alias != nil {
		m = m.Alias
	}
	switch m.Kind {
	case yaml.SequenceNode:
		for _, e := range m.Content {
			d.merge(path, e, v, fields, own)
		}
		return
	case yaml.MappingNode:
	default:
		d.errorf(path, m.Line, scopeMapping, "a merge (<<) must name a mapping or a list of mappings, not %s", kindName(m))
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, val := m.Content[i], m.Content[i+1]
		if own[k.Value] {
			continue
		}
		own[k.Value] = true // earlier merged mappings win, as in yaml.v3
		f, ok := fields[k.Value]
		if !ok {
			d.errorf(path, k.Line, scopeKey, "unknown key %s", show(k.Value))
			continue
		}
		d.decode(joinKey(path, k.Value), val, v.FieldByIndex(f.index))
	}
}

// uniqueKeys reports a key given twice in mapping n; yaml.v3 then leaves
// the mapping undecoded, and so does the decoder.
func (d *decoder) uniqueKeys(path string, n *yaml.Node) bool {
	ok := true
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			continue
		}
		if line, dup := first[k.Value]; dup {
			d.errorf(path, k.Line, scopeMapping, "key %s is already defined at line %d", show(k.Value), line)
			ok = false
			continue
		}
		first[k.Value] = k.Line
	}
	return ok
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mismatch records a value that does not fit the Go type t.
func (d *decoder) mismatch(path string, n *yaml.Node, t reflect.Type) {
	d.errorf(path, d.idx.line(path), scopeValue, "%s", mismatch(n, t))
}

// mismatch explains a value that does not fit the Go type t.
func mismatch(v *yaml.Node, t reflect.Type) string {
	var want string
	switch {
	case t == durationType:
		want = "a duration (examples: 30s, 15m, 1h30m)"
	default:
		switch t.Kind() {
		case reflect.String:
			want = "a string"
		case reflect.Bool:
			want = "true or false"
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			want = "an integer"
		case reflect.Float32, reflect.Float64:
			want = "a number"
		case reflect.Slice, reflect.Array:
			want = "a list"
		case reflect.Struct, reflect.Map:
			want = "a mapping"
		default:
			want = "a value of type " + t.String()
		}
	}
	if v.Kind == yaml.ScalarNode && want != "a list" && want != "a mapping" {
		return fmt.Sprintf("%s is not %s", show(v.Value), want)
	}
	return fmt.Sprintf("must be %s, not %s", want, kindName(v))
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "true or false"
	}
	return "a string"
}
