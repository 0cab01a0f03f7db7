package deps

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"slices"
	"sort"
	"strings"
)

// Pom is what one pom.xml says, uninterpolated: properties and versions are
// resolved by Resolve, in the context of the inheriting module as Maven does.
type Pom struct {
	GroupID    string            `json:"group_id,omitempty"`
	ArtifactID string            `json:"artifact_id,omitempty"`
	Version    string            `json:"version,omitempty"`
	Packaging  string            `json:"packaging,omitempty"`
	Parent     *MavenDep         `json:"parent,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
	Deps       []MavenDep        `json:"deps,omitempty"`
}

// MavenDep is a dependency, managed dependency, plugin or parent reference.
type MavenDep struct {
	Line       int    `json:"line"`
	Role       string `json:"role"` // dependency, managed, plugin, managed-plugin, parent
	GroupID    string `json:"group_id,omitempty"`
	ArtifactID string `json:"artifact_id,omitempty"`
	Version    string `json:"version,omitempty"`
	Scope      string `json:"scope,omitempty"`
	Type       string `json:"type,omitempty"`
	// RelativePath is the parent's <relativePath>; NoRelativePath records
	// an explicit empty one, which turns the lookup in the tree off.
	RelativePath   string `json:"relative_path,omitempty"`
	NoRelativePath bool   `json:"no_relative_path,omitempty"`
}

func (d MavenDep) key() string { return d.GroupID + ":" + d.ArtifactID }

func parseMaven(b []byte) (*Manifest, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Entity = xml.HTMLEntity
	r := &pomReader{pom: &Pom{Properties: map[string]string{}}}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				line = se.Line
			}
			return nil, errorf(line, "%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := dec.InputPos()
			if err := r.start(t.Name.Local, line); err != nil {
				return nil, err
			}
		case xml.CharData:
			r.text.Write(t)
		case xml.EndElement:
			r.end()
		}
	}
	if !r.seen {
		return nil, errorf(1, "no <project> element")
	}
	if len(r.stack) > 0 {
		line, _ := dec.InputPos()
		return nil, errorf(line, "unclosed <%s>", r.stack[len(r.stack)-1])
	}
	return &Manifest{Pom: r.pom}, nil
}

// pomReader builds a Pom from a pom.xml's elements, in document order.
type pomReader struct {
	pom   *Pom
	stack []string    // open element names
	open  []*MavenDep // open dependency, plugin and parent elements
	text  strings.Builder
	seen  bool // a <project> root was found
}

func (r *pomReader) under(name string) bool { return slices.Contains(r.stack, name) }

// start opens element name at line.
func (r *pomReader) start(name string, line int) error {
	if len(r.stack) == 0 {
		if name != "project" {
			return errorf(line, "root element is <%s>, not <project>", name)
		}
		r.seen = true
	}
	r.stack = append(r.stack, name)
	r.text.Reset()
	if role := r.role(name); role != "" {
		r.open = append(r.open, &MavenDep{Line: line, Role: role})
	}
	return nil
}

// role is what a just opened element declares: a parent, a dependency
// (managed, or of a plugin) or a plugin (managed or not); "" for others.
func (r *pomReader) role(name string) string {
	switch {
	case name == "parent" && len(r.stack) == 2:
		return "parent"
	case name == "dependency" && r.under("dependencyManagement"):
		return "managed"
	case name == "dependency" && r.under("plugin"):
		return "plugin-dependency"
	case name == "dependency":
		return "dependency"
	case name == "plugin" && r.under("pluginManagement"):
		return "managed-plugin"
	case name == "plugin":
		return "plugin"
	}
	return ""
}

// end closes the innermost element, storing its text where it belongs.
func (r *pomReader) end() {
	if len(r.stack) == 0 {
		return
	}
	name := r.stack[len(r.stack)-1]
	val := strings.TrimSpace(r.text.String())
	r.text.Reset()
	r.stack = r.stack[:len(r.stack)-1]
	parent := ""
	if len(r.stack) > 0 {
		parent = r.stack[len(r.stack)-1]
	}
	switch {
	case len(r.open) > 0 && (name == "dependency" || name == "plugin" || name == "parent" && len(r.stack) == 1):
		r.closeDep()
	case len(r.open) > 0 && (parent == "dependency" || parent == "plugin" || parent == "parent" && len(r.stack) == 2):
		setDepField(r.open[len(r.open)-1], name, val)
	case len(r.stack) == 1:
		switch name {
		case "groupId":
			r.pom.GroupID = val
		case "artifactId":
			r.pom.ArtifactID = val
		case "version":
			r.pom.Version = val
		case "packaging":
			r.pom.Packaging = val
		}
	case len(r.stack) == 2 && parent == "properties":
		r.pom.Properties[name] = val
	}
}

// closeDep ends the innermost dependency, plugin or parent element.
func (r *pomReader) closeDep() {
	d := r.open[len(r.open)-1]
	r.open = r.open[:len(r.open)-1]
	if d.Role == "parent" {
		r.pom.Parent = d
		return
	}
	if (d.Role == "plugin" || d.Role == "managed-plugin") && d.GroupID == "" {
		d.GroupID = "org.apache.maven.plugins"
	}
	if d.ArtifactID != "" {
		r.pom.Deps = append(r.pom.Deps, *d)
	}
}

// setDepField stores a child element of a dependency, plugin or parent.
func setDepField(d *MavenDep, name, val string) {
	switch name {
	case "groupId":
		d.GroupID = val
	case "artifactId":
		d.ArtifactID = val
	case "version":
		d.Version = val
	case "scope":
		d.Scope = val
	case "type":
		d.Type = val
	case "relativePath":
		d.RelativePath = val
		d.NoRelativePath = val == ""
	}
}

// mavenModel is a POM seen with its parents in the same tree.
type mavenModel struct {
	path    string
	pom     *Pom
	parent  *mavenModel
	props   map[string]string // raw, the module's own winning over its parents'
	managed map[string]managedVersion
	plugins map[string]managedVersion
}

// managedVersion is a dependencyManagement entry. Inherited entries are
// interpolated in the inheriting module (so a child overriding a version
// property wins, as in Maven); imported BOM entries were interpolated in the
// BOM, which is how Maven imports them.
type managedVersion struct {
	raw      string
	imported bool
	resolved string // imported entries only
	source   string
}

type mavenResolver struct {
	poms   map[string]*Pom
	models map[string]*mavenModel
	busy   map[string]bool
}

func newMavenResolver(manifests map[string]*Manifest) *mavenResolver {
	r := &mavenResolver{poms: map[string]*Pom{}, models: map[string]*mavenModel{}, busy: map[string]bool{}}
	for p, m := range manifests {
		if m != nil && m.Pom != nil {
			r.poms[p] = m.Pom
		}
	}
	return r
}

// findParent locates a parent POM in the tree: at relativePath first (as
// Maven does), else any POM with the parent's coordinates, which is where a
// reactor build would find it.
func (r *mavenResolver) findParent(p string, ref *MavenDep) string {
	if !ref.NoRelativePath {
		rel := ref.RelativePath
		if rel == "" {
			rel = "../pom.xml"
		}
		cand := path.Join(path.Dir(p), rel)
		if !strings.HasSuffix(cand, ".xml") {
			cand = path.Join(cand, "pom.xml")
		}
		if pom, ok := r.poms[cand]; ok && cand != p && r.coordinatesMatch(cand, pom, ref) {
			return cand
		}
	}
	var found []string
	for cand, pom := range r.poms {
		if cand != p && r.coordinatesMatch(cand, pom, ref) {
			found = append(found, cand)
		}
	}
	if len(found) == 0 {
		return ""
	}
	sort.Strings(found)
	return found[0]
}

func (r *mavenResolver) coordinatesMatch(p string, pom *Pom, ref *MavenDep) bool {
	g := pom.GroupID
	if g == "" && pom.Parent != nil {
		g = pom.Parent.GroupID
	}
	v := pom.Version
	if v == "" && pom.Parent != nil {
		v = pom.Parent.Version
	}
	return pom.ArtifactID == ref.ArtifactID && g == ref.GroupID && (ref.Version == "" || v == ref.Version || strings.Contains(v+ref.Version, "${"))
}

func (r *mavenResolver) model(p string) *mavenModel {
	if m, ok := r.models[p]; ok {
		return m
	}
	if r.busy[p] { // a parent cycle: treat the parent as outside the tree
		return nil
	}
	r.busy[p] = true
	defer delete(r.busy, p)
	pom := r.poms[p]
	m := &mavenModel{path: p, pom: pom, props: map[string]string{}, managed: map[string]managedVersion{}, plugins: map[string]managedVersion{}}
	if pom.Parent != nil {
		if pp := r.findParent(p, pom.Parent); pp != "" {
			m.parent = r.model(pp)
		}
	}
	if m.parent != nil {
		for k, v := range m.parent.props {
			m.props[k] = v
		}
	}
	for k, v := range pom.Properties {
		m.props[k] = v
	}
	g, v := pom.GroupID, pom.Version
	if pom.Parent != nil {
		if g == "" {
			g = pom.Parent.GroupID
		}
		if v == "" {
			v = pom.Parent.Version
		}
		for _, pre := range []string{"project.parent.", "parent."} {
			m.props[pre+"groupId"] = pom.Parent.GroupID
			m.props[pre+"artifactId"] = pom.Parent.ArtifactID
			m.props[pre+"version"] = pom.Parent.Version
		}
	}
	for _, pre := range []string{"project.", "pom."} {
		m.props[pre+"groupId"] = g
		m.props[pre+"artifactId"] = pom.ArtifactID
		m.props[pre+"version"] = v
	}
	if _, ok := m.props["version"]; !ok {
		m.props["version"] = v
	}
	// Management: the module's own entries win, then the parent's, then
	// imported BOMs, which only add what is still missing (Maven's order).
	var imports []MavenDep
	for _, d := range pom.Deps {
		entry := managedVersion{raw: d.Version, source: SourceBOM}
		key := m.key(d)
		switch d.Role {
		case "managed":
			if d.Scope == "import" {
				imports = append(imports, d)
				continue
			}
			if _, ok := m.managed[key]; !ok {
				m.managed[key] = entry
			}
		case "managed-plugin":
			if _, ok := m.plugins[key]; !ok {
				m.plugins[key] = entry
			}
		}
	}
	if m.parent != nil {
		inherit(m.managed, m.parent.managed)
		inherit(m.plugins, m.parent.plugins)
	}
	for _, imp := range imports {
		ref := imp
		ref.Version, _ = m.interpolate(imp.Version)
		bp := r.findParent("", &ref)
		if bp == "" || bp == p {
			continue
		}
		bom := r.model(bp)
		if bom == nil {
			continue
		}
		for k, e := range bom.managed {
			if _, ok := m.managed[k]; !ok {
				if !e.imported {
					ver, _ := bom.interpolate(e.raw)
					e.resolved = exactMaven(ver)
				}
				e.imported, e.source = true, SourceBOM
				m.managed[k] = e
			}
		}
	}
	r.models[p] = m
	return m
}

// inherit adds the parent's management entries the module lacks, marking
// them as coming from the parent unless a BOM fixed them.
func inherit(dst, src map[string]managedVersion) {
	for k, e := range src {
		if _, ok := dst[k]; !ok {
			if !e.imported {
				e.source = SourceParent
			}
			dst[k] = e
		}
	}
}

// key is a dependency's groupId:artifactId in the module's context.
func (m *mavenModel) key(d MavenDep) string {
	g, _ := m.interpolate(d.GroupID)
	a, _ := m.interpolate(d.ArtifactID)
	return g + ":" + a
}

var mavenProp = lazyRegexp(`\$\{([^${}]+)\}`)

// interpolate expands ${...} references with the module's properties. It
// reports SourceProperty when something was expanded.
func (m *mavenModel) interpolate(s string) (string, string) {
	src := SourceLiteral
	for range 10 {
		if !strings.Contains(s, "${") {
			break
		}
		changed := false
		s = mavenProp().ReplaceAllStringFunc(s, func(ref string) string {
			if v, ok := m.props[ref[2:len(ref)-1]]; ok {
				changed = true
				return v
			}
			return ref
		})
		if !changed {
			break
		}
		src = SourceProperty
	}
	return s, src
}

// exactMaven returns v when it is one exact version: not a range, not
// LATEST/RELEASE, not holding an unresolved property.
func exactMaven(v string) string {
	if v == "" || strings.ContainsAny(v, "[]()${},") || v == "LATEST" || v == "RELEASE" {
		return ""
	}
	return v
}

func (r *mavenResolver) resolve(p string) []Dependency {
	m := r.model(p)
	if m == nil {
		return nil
	}
	pom := m.pom
	var out []Dependency
	add := func(line int, name, declared, resolved, source, scope string) {
		out = append(out, Dependency{
			Path: p, Line: line, Ecosystem: "maven", Name: name,
			PURL:    purl("maven", name, resolved, ""),
			Version: declared, ResolvedVersion: resolved, VersionSource: source,
			Scope: scope, Direct: true,
		})
	}
	if pr := pom.Parent; pr != nil && pr.ArtifactID != "" {
		ver, src := m.interpolate(pr.Version)
		add(pr.Line, pr.key(), pr.Version, exactMaven(ver), src, "parent")
	}
	for _, d := range pom.Deps {
		name := m.key(d)
		ver, src := m.interpolate(d.Version)
		resolved := exactMaven(ver)
		if d.Version == "" {
			table := m.managed
			if d.Role == "plugin" || d.Role == "managed-plugin" {
				table = m.plugins
			}
			src = ""
			if e, ok := table[name]; ok {
				resolved, src = e.resolved, e.source
				if !e.imported {
					ver, _ := m.interpolate(e.raw)
					resolved = exactMaven(ver)
				}
			} else if pom.Parent != nil {
				// The version comes from a parent outside the tree.
				src = SourceParent
			}
		}
		scope := d.Scope
		switch d.Role {
		case "managed":
			if scope != "import" {
				scope = "managed"
			}
		case "plugin", "managed-plugin", "plugin-dependency":
			scope = "plugin"
		}
		add(d.Line, name, d.Version, resolved, src, scope)
	}
	return out
}
