package deps

import (
	"strings"
)

// pep508 matches a PEP 508 requirement: name, extras, then either a version
// specifier (optionally in parentheses) or "@ url", then markers.
var pep508 = lazyRegexp(`^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(?:@\s*(\S+)|\(?\s*((?:[<>=!~]=?|===)[^;()]*?)\s*\)?)?\s*(?:;.*)?$`)

var exactPyPI = lazyRegexp(`^===?\s*([^\s,*;]+)$`)

// pypiDecl makes a declaration from a PEP 508 requirement string. A single
// "==" pin is stored without its operator (as the version it is); any other
// specifier is kept as written.
func pypiDecl(line int, req, scope string) (Decl, bool) {
	sm := pep508().FindStringSubmatch(strings.TrimSpace(req))
	if sm == nil {
		return Decl{}, false
	}
	d := Decl{Line: line, Ecosystem: "pypi", Name: normalizePyPI(sm[1]), Scope: scope, Source: SourceLiteral}
	spec := strings.Join(strings.Fields(sm[3]), "")
	if sm[2] != "" {
		spec = sm[2] // a direct URL reference
	}
	d.Version = spec
	if pin := exactPyPI().FindStringSubmatch(spec); pin != nil {
		d.Version, d.Resolved = pin[1], pin[1]
	}
	if d.Version == "" {
		d.Source = ""
	}
	return d, true
}

var reqOption = lazyRegexp(`\s--?[A-Za-z][\w-]*(?:[= ]\S+)?`)

func parseRequirements(b []byte) (*Manifest, error) {
	m := &Manifest{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimRight(lines[i], "\r")
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimRight(lines[i], "\r")
		}
		if j := strings.Index(line, " #"); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		// Options (-r, -c, -e, --index-url...), paths and bare URLs name no
		// package on their own.
		if line == "" || line[0] == '#' || line[0] == '-' || line[0] == '.' || line[0] == '/' || strings.Contains(strings.SplitN(line, " ", 2)[0], "://") {
			continue
		}
		line = reqOption().ReplaceAllString(" "+line, "")
		d, ok := pypiDecl(start, line, "")
		if !ok {
			return nil, errorf(start, "not a requirement: %q", line)
		}
		m.Decls = append(m.Decls, d)
	}
	return m, nil
}

func parsePyProject(b []byte) (*Manifest, error) {
	doc, err := parseTOML(b)
	if err != nil {
		return nil, err
	}
	m := &Manifest{}
	addList := func(v *tval, scope string) error {
		if v == nil {
			return nil
		}
		for _, e := range v.Arr {
			if !e.IsStr {
				continue // PEP 735 {include-group = "..."}
			}
			d, ok := pypiDecl(e.Line, e.Str, scope)
			if !ok {
				return errorf(e.Line, "not a requirement: %q", e.Str)
			}
			m.Decls = append(m.Decls, d)
		}
		return nil
	}
	if p := doc.table("project"); p != nil {
		if err := addList(p.get("dependencies"), ""); err != nil {
			return nil, err
		}
		if opt := p.table("optional-dependencies"); opt != nil {
			for _, k := range opt.Keys {
				if err := addList(opt.Vals[k], "optional"); err != nil {
					return nil, err
				}
			}
		}
	}
	if groups := doc.table("dependency-groups"); groups != nil {
		for _, k := range groups.Keys {
			if err := addList(groups.Vals[k], k); err != nil {
				return nil, err
			}
		}
	}
	if poetry := doc.table("tool", "poetry"); poetry != nil {
		addPoetry(m, poetry.table("dependencies"), "")
		addPoetry(m, poetry.table("dev-dependencies"), "dev")
		if groups := poetry.table("group"); groups != nil {
			for _, g := range groups.Keys {
				addPoetry(m, groups.table(g, "dependencies"), g)
			}
		}
	}
	return m, nil
}

// addPoetry adds a Poetry dependency table: name = "^1.2" or
// name = {version = "^1.2", extras = [...]} (or a list of those).
func addPoetry(m *Manifest, t *ttable, scope string) {
	if t == nil {
		return
	}
	for _, name := range t.Keys {
		if strings.EqualFold(name, "python") {
			continue
		}
		v := t.Vals[name]
		if v.IsArr && len(v.Arr) > 0 {
			v = v.Arr[0]
		}
		spec := v.Str
		if v.Tab != nil {
			spec = v.Tab.str("version")
		}
		d := Decl{Line: v.Line, Ecosystem: "pypi", Name: normalizePyPI(name), Version: spec, Scope: scope}
		if spec != "" {
			d.Source = SourceLiteral
			// In Poetry a bare version means exactly that version.
			if pin := exactPyPI().FindStringSubmatch(spec); pin != nil {
				d.Version, d.Resolved = pin[1], pin[1]
			} else if exactPEP440(spec) {
				d.Resolved = spec
			}
		}
		m.Decls = append(m.Decls, d)
	}
}

var plainPEP440 = lazyRegexp(`^v?\d+(?:\.\d+)*(?:[-_.]?(?:a|b|rc|post|dev)\.?\d*)*(?:\+[\w.]+)?$`)

func exactPEP440(s string) bool { return plainPEP440().MatchString(s) }

func parsePoetryLock(b []byte) (*Manifest, error) {
	doc, err := parseTOML(b)
	if err != nil {
		return nil, err
	}
	m := &Manifest{}
	pkgs := doc.get("package")
	if pkgs == nil {
		return m, nil
	}
	for _, p := range pkgs.Arr {
		if p.Tab == nil {
			continue
		}
		name := p.Tab.get("name")
		if name == nil {
			return nil, errorf(p.Line, "[[package]] without a name")
		}
		scope := p.Tab.str("category") // Poetry < 1.2
		if scope == "main" {
			scope = ""
		}
		m.Locks = append(m.Locks, Lock{Line: name.Line, Name: normalizePyPI(name.Str), Version: p.Tab.str("version"), Scope: scope})
	}
	return m, nil
}
