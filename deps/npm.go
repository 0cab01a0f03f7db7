package deps

import (
	"path"
	"strings"
)

// NPMPackage is the identity of a package.json and its workspaces.
type NPMPackage struct {
	Name       string   `json:"name,omitempty"`
	Version    string   `json:"version,omitempty"`
	Workspaces []string `json:"workspaces,omitempty"`
}

var npmScopes = []struct{ field, scope string }{
	{"dependencies", ""},
	{"devDependencies", "dev"},
	{"peerDependencies", "peer"},
	{"optionalDependencies", "optional"},
}

var exactSemver = lazyRegexp(`^[v=]?\s*(\d+\.\d+\.\d+(?:-[0-9A-Za-z.\-]+)?(?:\+[0-9A-Za-z.\-]+)?)$`)

// exactNPM returns the version an npm spec pins exactly, or "".
func exactNPM(spec string) string {
	if sm := exactSemver().FindStringSubmatch(strings.TrimSpace(spec)); sm != nil {
		return sm[1]
	}
	return ""
}

func parsePackageJSON(b []byte) (*Manifest, error) {
	root, err := parseJSON(b)
	if err != nil {
		return nil, err
	}
	if root.Kind != 'o' {
		return nil, errorf(root.Line, "package.json is not an object")
	}
	pkg := &NPMPackage{Name: root.get("name").str(), Version: root.get("version").str()}
	ws := root.get("workspaces")
	if ws != nil && ws.Kind == 'o' {
		ws = ws.get("packages") // the yarn form {packages: [...], nohoist: [...]}
	}
	if ws != nil {
		for _, w := range ws.Arr {
			if w.Kind == 's' {
				pkg.Workspaces = append(pkg.Workspaces, w.Str)
			}
		}
	}
	m := &Manifest{Package: pkg}
	for _, s := range npmScopes {
		deps := root.get(s.field)
		if deps == nil || deps.Kind != 'o' {
			continue
		}
		for _, name := range deps.Keys {
			v := deps.Obj[name]
			if v.Kind != 's' {
				continue
			}
			d := Decl{Line: v.Line, Ecosystem: "npm", Name: name, Version: v.Str, Scope: s.scope, Source: SourceLiteral}
			d.Resolved = exactNPM(v.Str)
			m.Decls = append(m.Decls, d)
		}
	}
	return m, nil
}

func parsePackageLock(b []byte) (*Manifest, error) {
	root, err := parseJSON(b)
	if err != nil {
		return nil, err
	}
	if root.Kind != 'o' {
		return nil, errorf(root.Line, "lockfile is not an object")
	}
	m := &Manifest{}
	if pkgs := root.get("packages"); pkgs != nil && pkgs.Kind == 'o' {
		// lockfileVersion 2 and 3: a flat map from install path to package.
		for _, key := range pkgs.Keys {
			e := pkgs.Obj[key]
			if key == "" || e.Kind != 'o' {
				continue
			}
			name := e.get("name").str()
			if i := strings.LastIndex(key, "node_modules/"); i >= 0 && name == "" {
				name = key[i+len("node_modules/"):]
			}
			l := Lock{Line: e.Line, Name: name, Version: e.get("version").str(), Key: key, Scope: lockScope(e)}
			if isTrue(e.get("link")) {
				l.Link = path.Clean(e.get("resolved").str())
			}
			m.Locks = append(m.Locks, l)
		}
		return m, nil
	}
	// lockfileVersion 1: a tree of nested "dependencies".
	var walk func(n *jnode, prefix string, depth int)
	walk = func(n *jnode, prefix string, depth int) {
		if n == nil || n.Kind != 'o' || depth > maxDepth {
			return
		}
		for _, name := range n.Keys {
			e := n.Obj[name]
			if e.Kind != 'o' {
				continue
			}
			key := prefix + "node_modules/" + name
			m.Locks = append(m.Locks, Lock{Line: e.Line, Name: name, Version: e.get("version").str(), Key: key, Scope: lockScope(e)})
			walk(e.get("dependencies"), key+"/", depth+1)
		}
	}
	walk(root.get("dependencies"), "", 0)
	return m, nil
}

func lockScope(e *jnode) string {
	switch {
	case isTrue(e.get("dev")) || isTrue(e.get("devOptional")):
		return "dev"
	case isTrue(e.get("optional")):
		return "optional"
	case isTrue(e.get("peer")):
		return "peer"
	}
	return ""
}

// parseYarnLock reads yarn.lock, both the v1 format and berry's YAML.
func parseYarnLock(b []byte) (*Manifest, error) {
	m := &Manifest{}
	var cur *Lock
	flush := func() {
		if cur != nil && cur.Name != "" && len(cur.Specs) > 0 {
			m.Locks = append(m.Locks, *cur)
		}
		cur = nil
	}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if line[0] != ' ' {
			flush()
			if !strings.HasSuffix(trimmed, ":") {
				return nil, errorf(i+1, "expected an entry header ending in ':'")
			}
			cur = &Lock{Line: i + 1}
			for _, spec := range strings.Split(strings.TrimSuffix(trimmed, ":"), ",") {
				spec = strings.Trim(strings.TrimSpace(spec), `"`)
				name, rng := splitNPMSpec(spec)
				if name == "" || skipYarnSpec(rng) {
					continue
				}
				cur.Name = name
				cur.Specs = append(cur.Specs, name+"@"+strings.TrimPrefix(rng, "npm:"))
			}
			continue
		}
		if cur == nil || strings.HasPrefix(line, "   ") {
			continue
		}
		if rest, ok := strings.CutPrefix(trimmed, "version"); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, ":")) {
			cur.Version = strings.Trim(strings.TrimSpace(strings.TrimPrefix(rest, ":")), `"'`)
		}
	}
	flush()
	return m, nil
}

// skipYarnSpec reports entries that are the project's own packages or
// patched duplicates, not dependencies of their own.
func skipYarnSpec(rng string) bool {
	for _, p := range []string{"workspace:", "link:", "portal:", "file:", "patch:"} {
		if strings.HasPrefix(rng, p) {
			return true
		}
	}
	return false
}

// splitNPMSpec splits "name@range" ("@scope/name@range" too).
func splitNPMSpec(spec string) (name, rng string) {
	if len(spec) < 2 {
		return "", ""
	}
	i := strings.Index(spec[1:], "@")
	if i < 0 {
		return "", "" // not a package (berry's __metadata)
	}
	return spec[:i+1], spec[i+2:]
}

func isTrue(n *jnode) bool { return n != nil && n.Kind == 'x' && n.Str == "true" }
