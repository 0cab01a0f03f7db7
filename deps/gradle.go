package deps

import (
	"bufio"
	"bytes"
	"strings"
)

// Catalog is a Gradle version catalog (gradle/libs.versions.toml).
type Catalog struct {
	Versions  map[string]string       `json:"versions,omitempty"`
	Libraries map[string]CatalogEntry `json:"libraries,omitempty"` // by normalised alias
	Plugins   map[string]CatalogEntry `json:"plugins,omitempty"`
	Bundles   map[string][]string     `json:"bundles,omitempty"`
}

// CatalogEntry is a library (Module is group:artifact) or plugin (Module is
// the plugin id) of a catalog; Version is literal, VersionRef names an entry
// of [versions].
type CatalogEntry struct {
	Line       int    `json:"line"`
	Module     string `json:"module"`
	Version    string `json:"version,omitempty"`
	VersionRef string `json:"version_ref,omitempty"`
}

// catalogAlias normalises an alias the way Gradle's accessors see it:
// "log4j-core", "log4j_core" and "log4j.core" are all libs.log4j.core.
func catalogAlias(s string) string {
	return strings.NewReplacer("-", ".", "_", ".").Replace(s)
}

// version returns the entry's version with [versions] applied.
func (c *Catalog) version(e CatalogEntry) (declared, resolved, source string) {
	if e.VersionRef != "" {
		v := c.Versions[e.VersionRef]
		return v, exactGradle(v), SourceCatalog
	}
	return e.Version, exactGradle(e.Version), SourceLiteral
}

func parseGradleCatalog(b []byte) (*Manifest, error) {
	doc, err := parseTOML(b)
	if err != nil {
		return nil, err
	}
	c := &Catalog{Versions: map[string]string{}, Libraries: map[string]CatalogEntry{}, Plugins: map[string]CatalogEntry{}, Bundles: map[string][]string{}}
	if t := doc.table("versions"); t != nil {
		for _, k := range t.Keys {
			c.Versions[k] = richVersion(t.Vals[k])
		}
	}
	entry := func(v *tval, idKey string) CatalogEntry {
		e := CatalogEntry{Line: v.Line}
		if v.Tab == nil {
			// "group:artifact:version" or "plugin.id:version"
			parts := strings.Split(v.Str, ":")
			if idKey == "id" {
				e.Module = parts[0]
				if len(parts) > 1 {
					e.Version = parts[1]
				}
			} else {
				e.Module = strings.Join(parts[:min(2, len(parts))], ":")
				if len(parts) > 2 {
					e.Version = parts[2]
				}
			}
			return e
		}
		t := v.Tab
		e.Module = t.str(idKey)
		if e.Module == "" && t.str("group") != "" {
			e.Module = t.str("group") + ":" + t.str("name")
		}
		if ver := t.get("version"); ver != nil {
			if ver.Tab != nil && ver.Tab.str("ref") != "" {
				e.VersionRef = ver.Tab.str("ref")
			} else {
				e.Version = richVersion(ver)
			}
		}
		return e
	}
	if t := doc.table("libraries"); t != nil {
		for _, k := range t.Keys {
			c.Libraries[catalogAlias(k)] = entry(t.Vals[k], "module")
		}
	}
	if t := doc.table("plugins"); t != nil {
		for _, k := range t.Keys {
			c.Plugins[catalogAlias(k)] = entry(t.Vals[k], "id")
		}
	}
	if t := doc.table("bundles"); t != nil {
		for _, k := range t.Keys {
			var aliases []string
			for _, a := range t.Vals[k].Arr {
				aliases = append(aliases, catalogAlias(a.Str))
			}
			c.Bundles[catalogAlias(k)] = aliases
		}
	}
	return &Manifest{Catalog: c}, nil
}

// richVersion reads a version that may be a rich one ({strictly, require,
// prefer}); the strongest constraint wins.
func richVersion(v *tval) string {
	if v == nil {
		return ""
	}
	if v.Tab == nil {
		return v.Str
	}
	for _, k := range []string{"strictly", "require", "prefer"} {
		if s := v.Tab.str(k); s != "" {
			return s
		}
	}
	return ""
}

// exactGradle returns v when it names one version (not a dynamic 1.+,
// latest.release, a range or an unexpanded variable).
func exactGradle(v string) string {
	v = strings.TrimSuffix(v, "!!")
	if strings.ContainsAny(v, "+$") || strings.HasPrefix(v, "latest.") {
		return ""
	}
	return exactMaven(v)
}

func parseGradleLock(b []byte) (*Manifest, error) {
	m := &Manifest{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		coord, confs, ok := strings.Cut(line, "=")
		if !ok {
			return nil, errorf(i+1, "expected group:artifact:version=configurations")
		}
		if coord == "empty" {
			continue
		}
		parts := strings.Split(coord, ":")
		if len(parts) < 3 {
			return nil, errorf(i+1, "expected group:artifact:version, found %q", coord)
		}
		m.Locks = append(m.Locks, Lock{Line: i + 1, Name: parts[0] + ":" + parts[1], Version: parts[2], Scope: confs})
	}
	return m, nil
}

func parseGradleProps(b []byte) (*Manifest, error) {
	props := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			i = strings.IndexAny(line, " \t")
		}
		if i < 0 {
			props[line] = ""
			continue
		}
		props[strings.TrimSpace(line[:i])] = strings.TrimSpace(line[i+1:])
	}
	return &Manifest{Props: props}, nil
}

var (
	gradleVar = lazyRegexp(`^\s*(?:def\s+|val\s+|var\s+|ext\.|extra\[["'])?([A-Za-z_][\w.]*)(?:["']\])?\s*=\s*["']([^"'$]*)["']\s*$`)
	// configuration 'g:a:v' / configuration("g:a:v") / platform("g:a:v")
	gradleString = lazyRegexp(`^\s*([A-Za-z]\w*)\s*\(?\s*(?:(?:platform|enforcedPlatform|testFixtures)\s*\(\s*)?["']([\w.\-]+):([\w.\-]+)(?::([^"':@]*))?(?::[^"'@]*)?(?:@\w+)?["']`)
	// configuration group: 'g', name: 'a', version: 'v'  (Groovy or Kotlin named arguments)
	gradleMap = lazyRegexp(`^\s*([A-Za-z]\w*)\s*\(?\s*group\s*[:=]\s*["']([^"']+)["']\s*,\s*name\s*[:=]\s*["']([^"']+)["'](?:\s*,\s*version\s*[:=]\s*["']([^"']+)["'])?`)
	// configuration libs.x.y / configuration(platform(libs.x))
	gradleCatalogRef = lazyRegexp(`^\s*([A-Za-z]\w*)(?:\s+|\s*\(\s*)(?:(?:platform|enforcedPlatform)\s*\(\s*)?([A-Za-z]\w*\.[\w.]+)\s*\)?`)
	gradlePlugin     = lazyRegexp(`^\s*id\s*\(?\s*["']([\w.\-]+)["']\s*\)?(?:\s+version\s*\(?\s*["']([^"']+)["'])?`)
	gradleKotlin     = lazyRegexp(`^\s*kotlin\s*\(\s*["']([\w.\-]+)["']\s*\)(?:\s+version\s*\(?\s*["']([^"']+)["'])?`)
	gradleAlias      = lazyRegexp(`^\s*alias\s*\(\s*([A-Za-z]\w*\.plugins\.[\w.]+)\s*\)`)
	gradleRef        = lazyRegexp(`\$\{?([A-Za-z_][\w.]*)\}?`)
)

// gradleNotConfig are method calls whose arguments look like coordinates
// but are not dependencies.
var gradleNotConfig = map[string]bool{
	"id": true, "url": true, "uri": true, "from": true, "into": true, "include": true,
	"exclude": true, "println": true, "maven": true, "apply": true, "project": true,
	"alias": true, "set": true, "property": true, "version": true, "group": true,
}

func parseGradle(b []byte) (*Manifest, error) {
	text := stripBlockComments(string(b))
	m := &Manifest{Props: map[string]string{}}
	lines := strings.Split(text, "\n")
	for _, line := range lines {
		if sm := gradleVar().FindStringSubmatch(line); sm != nil {
			m.Props[strings.TrimPrefix(sm[1], "ext.")] = sm[2]
		}
	}
	for i, line := range lines {
		n := i + 1
		if j := strings.Index(line, "//"); j >= 0 && !strings.Contains(line[:j], ":") {
			line = line[:j]
		}
		switch {
		case gradlePlugin().MatchString(line):
			sm := gradlePlugin().FindStringSubmatch(line)
			if sm[2] != "" || strings.Contains(sm[1], ".") {
				m.Decls = append(m.Decls, gradleDecl(n, "gradle", sm[1], sm[2], "plugin", m.Props))
			}
		case gradleKotlin().MatchString(line):
			sm := gradleKotlin().FindStringSubmatch(line)
			m.Decls = append(m.Decls, gradleDecl(n, "gradle", "org.jetbrains.kotlin."+sm[1], sm[2], "plugin", m.Props))
		case gradleAlias().MatchString(line):
			sm := gradleAlias().FindStringSubmatch(line)
			m.Decls = append(m.Decls, Decl{Line: n, Ecosystem: "gradle", Scope: "plugin", Ref: sm[1]})
		case gradleMap().MatchString(line):
			sm := gradleMap().FindStringSubmatch(line)
			if !gradleNotConfig[sm[1]] {
				m.Decls = append(m.Decls, gradleDecl(n, "maven", sm[2]+":"+sm[3], sm[4], sm[1], m.Props))
			}
		case gradleString().MatchString(line):
			sm := gradleString().FindStringSubmatch(line)
			if !gradleNotConfig[sm[1]] {
				m.Decls = append(m.Decls, gradleDecl(n, "maven", sm[2]+":"+sm[3], sm[4], sm[1], m.Props))
			}
		case gradleCatalogRef().MatchString(line):
			sm := gradleCatalogRef().FindStringSubmatch(line)
			ref := sm[2]
			parts := strings.Split(ref, ".")
			if gradleNotConfig[sm[1]] || len(parts) < 2 || parts[1] == "versions" || parts[1] == "plugins" ||
				parts[0] == "project" || parts[0] == "rootProject" {
				continue
			}
			m.Decls = append(m.Decls, Decl{Line: n, Ecosystem: "maven", Scope: sm[1], Ref: ref})
		}
	}
	if len(m.Props) == 0 {
		m.Props = nil
	}
	return m, nil
}

// gradleDecl makes a declaration, expanding the file's own variables; a
// variable the file does not define is left in Ref for gradle.properties.
func gradleDecl(line int, eco, name, version, scope string, props map[string]string) Decl {
	d := Decl{Line: line, Ecosystem: eco, Name: name, Version: version, Scope: scope}
	if version == "" {
		return d
	}
	d.Source = SourceLiteral
	if gradleRef().MatchString(version) {
		d.Source = SourceProperty
		expanded, missing := expandGradle(version, props)
		if missing != "" {
			d.Ref = missing
			return d
		}
		d.Resolved = exactGradle(expanded)
		return d
	}
	d.Resolved = exactGradle(version)
	return d
}

// expandGradle expands $var and ${var}; it returns the first name it could
// not expand.
func expandGradle(s string, props map[string]string) (string, string) {
	var missing string
	out := gradleRef().ReplaceAllStringFunc(s, func(ref string) string {
		name := gradleRef().FindStringSubmatch(ref)[1]
		for _, k := range []string{name, strings.TrimPrefix(name, "project."), strings.TrimPrefix(name, "rootProject.")} {
			if v, ok := props[k]; ok {
				return v
			}
		}
		// ${versions.log4j}: a map entry in ext; look for its last part.
		if i := strings.LastIndex(name, "."); i >= 0 {
			if v, ok := props[name[i+1:]]; ok {
				return v
			}
		}
		if missing == "" {
			missing = name
		}
		return ref
	})
	return out, missing
}

// stripBlockComments blanks /* ... */ comments, keeping newlines so that
// line numbers stay true.
func stripBlockComments(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		end := strings.Index(s[i+2:], "*/")
		comment, rest := s[i:], ""
		if end >= 0 {
			comment, rest = s[i:i+2+end+2], s[i+2+end+2:]
		}
		s = rest
		b.WriteString(strings.Repeat("\n", strings.Count(comment, "\n")))
	}
}
