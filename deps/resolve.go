package deps

import (
	"path"
	"sort"
	"strings"
)

// Resolve combines the manifests of one branch (path -> manifest) into
// dependency records: Maven properties, parents and dependencyManagement
// (BOMs included) found in the same tree; npm lockfiles and yarn.lock; Gradle
// properties, version catalogs and gradle.lockfile; poetry.lock; Helm
// appVersion. A lockfile entry that no declaration claims is listed on its
// own at the lockfile, with Direct false: it is a transitive dependency.
// Records come sorted by path, line and name.
func Resolve(manifests map[string]*Manifest) []Dependency {
	r := &resolver{manifests: manifests, used: map[string]map[int]bool{}, usedAliases: map[*Catalog]map[string]bool{}}
	paths := make([]string, 0, len(manifests))
	for p, m := range manifests {
		if m != nil {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	maven := newMavenResolver(manifests)
	var out []Dependency
	for _, p := range paths {
		m := manifests[p]
		switch m.Kind {
		case KindMaven:
			out = append(out, maven.resolve(p)...)
		case KindGradle:
			out = append(out, r.gradle(p, m)...)
		case KindNPM:
			out = append(out, r.npm(p, m)...)
		case KindPyProject:
			out = append(out, r.lockedByDir(p, m, "poetry.lock", normalizePyPI)...)
		case KindHelmValues:
			out = append(out, r.helmValues(p, m)...)
		default:
			for _, d := range m.Decls {
				out = append(out, record(p, d))
			}
		}
	}
	// Catalogs and lockfiles last, so that every claim on their entries is
	// known.
	for _, p := range paths {
		m := manifests[p]
		if m.Catalog != nil {
			out = append(out, r.unusedCatalog(p, m.Catalog)...)
		}
		for i, l := range m.Locks {
			if r.used[p][i] || l.Link != "" || l.Name == "" {
				continue
			}
			eco := map[string]string{KindNPMLock: "npm", KindYarnLock: "npm", KindGradleLock: "maven", KindPoetryLock: "pypi"}[m.Kind]
			if eco == "npm" && m.Kind == KindNPMLock && !strings.Contains(l.Key, "node_modules/") {
				continue // a workspace folder: the project's own package
			}
			out = append(out, Dependency{
				Path: p, Line: l.Line, Ecosystem: eco, Name: l.Name,
				PURL:    purl(eco, l.Name, l.Version, ""),
				Version: l.Version, ResolvedVersion: l.Version, VersionSource: SourceLockfile,
				Scope: l.Scope,
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Name < b.Name
	})
	return out
}

type resolver struct {
	manifests map[string]*Manifest
	used      map[string]map[int]bool // lockfile path -> claimed entries
	// usedAliases are the catalog entries some build file refers to
	// ("lib:alias", "plugin:alias").
	usedAliases map[*Catalog]map[string]bool
}

func (r *resolver) useAlias(c *Catalog, key string) {
	if r.usedAliases[c] == nil {
		r.usedAliases[c] = map[string]bool{}
	}
	r.usedAliases[c][key] = true
}

// unusedCatalog lists the catalog entries no build file refers to, at the
// catalog itself: they may be used by convention plugins trawl cannot read.
func (r *resolver) unusedCatalog(p string, c *Catalog) []Dependency {
	var out []Dependency
	add := func(kind, eco string, entries map[string]CatalogEntry) {
		for alias, e := range entries {
			if r.usedAliases[c][kind+":"+alias] || e.Module == "" {
				continue
			}
			declared, resolved, source := c.version(e)
			out = append(out, record(p, Decl{Line: e.Line, Ecosystem: eco, Name: e.Module, Version: declared, Resolved: resolved, Source: source}))
		}
	}
	add("lib", "maven", c.Libraries)
	add("plugin", "gradle", c.Plugins)
	return out
}

func (r *resolver) claim(lockPath string, i int) {
	if r.used[lockPath] == nil {
		r.used[lockPath] = map[int]bool{}
	}
	r.used[lockPath][i] = true
}

// record turns a declaration into a record as it stands.
func record(p string, d Decl) Dependency {
	name := d.Name
	if d.Repository != "" {
		name = d.Repository + "|" + d.Name
	}
	v := d.Resolved
	if d.PURLVersion != "" {
		v = d.PURLVersion
	}
	return Dependency{
		Path: p, Line: d.Line, Ecosystem: d.Ecosystem, Name: d.Name,
		PURL:    purl(d.Ecosystem, name, v, d.Subpath),
		Version: d.Version, ResolvedVersion: d.Resolved, VersionSource: d.Source,
		Scope: d.Scope, Direct: !d.Indirect,
	}
}

// ancestors lists dir and its parents up to the root ("").
func ancestors(dir string) []string {
	var out []string
	for {
		if dir == "." || dir == "/" {
			dir = ""
		}
		out = append(out, dir)
		if dir == "" {
			return out
		}
		dir = path.Dir(dir)
	}
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// lockedByDir resolves declarations against a lockfile of the given name in
// the manifest's own folder, matching names with norm.
func (r *resolver) lockedByDir(p string, m *Manifest, lockName string, norm func(string) string) []Dependency {
	lockPath := join(dirOf(p), lockName)
	lock := r.manifests[lockPath]
	var out []Dependency
	for _, d := range m.Decls {
		if lock != nil {
			for i, l := range lock.Locks {
				if norm(l.Name) == norm(d.Name) {
					d.Resolved, d.Source = l.Version, SourceLockfile
					r.claim(lockPath, i)
					break
				}
			}
		}
		out = append(out, record(p, d))
	}
	return out
}

func dirOf(p string) string {
	d := path.Dir(p)
	if d == "." {
		return ""
	}
	return d
}

func (r *resolver) gradle(p string, m *Manifest) []Dependency {
	dir := dirOf(p)
	props := map[string]string{}
	// gradle.properties of the module win over the root project's.
	anc := ancestors(dir)
	for i := len(anc) - 1; i >= 0; i-- {
		if gp := r.manifests[join(anc[i], "gradle.properties")]; gp != nil {
			for k, v := range gp.Props {
				props[k] = v
			}
		}
	}
	for k, v := range m.Props {
		props[k] = v
	}
	catalogs := map[string]*Catalog{}
	for _, a := range anc {
		for cp, cm := range r.manifests {
			if cm == nil || cm.Catalog == nil || dirOf(dirOf(cp)) != a {
				continue
			}
			accessor := strings.TrimSuffix(path.Base(cp), ".versions.toml")
			if _, ok := catalogs[accessor]; !ok {
				catalogs[accessor] = cm.Catalog
			}
		}
		if len(catalogs) > 0 {
			break // the nearest build root's catalogs
		}
	}
	lockPath := join(dir, "gradle.lockfile")
	lock := r.manifests[lockPath]
	var out []Dependency
	emit := func(d Decl) {
		if d.Ecosystem == "maven" && lock != nil {
			for i, l := range lock.Locks {
				if l.Name == d.Name {
					d.Resolved, d.Source = l.Version, SourceLockfile
					r.claim(lockPath, i)
					break
				}
			}
		}
		out = append(out, record(p, d))
	}
	for _, d := range m.Decls {
		switch {
		case d.Ref != "" && d.Name == "":
			r.catalogRef(d, catalogs, emit)
		case d.Ref != "":
			if expanded, missing := expandGradle(d.Version, props); missing == "" {
				d.Resolved, d.Ref = exactGradle(expanded), ""
			}
			emit(d)
		default:
			emit(d)
		}
	}
	return out
}

// catalogRef resolves libs.x.y, libs.bundles.x and libs.plugins.x.
func (r *resolver) catalogRef(d Decl, catalogs map[string]*Catalog, emit func(Decl)) {
	accessor, alias, _ := strings.Cut(d.Ref, ".")
	c := catalogs[accessor]
	if c == nil {
		return // not a catalog accessor (some other property chain)
	}
	fill := func(e CatalogEntry, eco string) {
		nd := d
		nd.Ecosystem, nd.Name, nd.Ref = eco, e.Module, ""
		_, nd.Resolved, _ = c.version(e)
		nd.Version, nd.Source = "", SourceCatalog
		emit(nd)
	}
	switch {
	case strings.HasPrefix(alias, "plugins."):
		a := catalogAlias(strings.TrimPrefix(alias, "plugins."))
		if e, ok := c.Plugins[a]; ok {
			r.useAlias(c, "plugin:"+a)
			fill(e, "gradle")
		}
	case strings.HasPrefix(alias, "bundles."):
		for _, a := range c.Bundles[catalogAlias(strings.TrimPrefix(alias, "bundles."))] {
			if e, ok := c.Libraries[a]; ok {
				r.useAlias(c, "lib:"+a)
				fill(e, "maven")
			}
		}
	default:
		a := catalogAlias(alias)
		if e, ok := c.Libraries[a]; ok {
			r.useAlias(c, "lib:"+a)
			fill(e, "maven")
		}
	}
}

func (r *resolver) helmValues(p string, m *Manifest) []Dependency {
	var out []Dependency
	chart := r.manifests[join(dirOf(p), "Chart.yaml")]
	for _, d := range m.Decls {
		if d.Ref == "appVersion" && chart != nil && chart.Props["appVersion"] != "" {
			d.Resolved, d.Source = chart.Props["appVersion"], SourceParent
		}
		out = append(out, record(p, d))
	}
	return out
}

// npm resolves package.json declarations against the nearest lockfile
// (package-lock.json, npm-shrinkwrap.json or yarn.lock) that covers the
// package: its own folder's, or a workspace root's that lists it.
func (r *resolver) npm(p string, m *Manifest) []Dependency {
	dir := dirOf(p)
	var lockPath string
	var lock *Manifest
	for _, a := range ancestors(dir) {
		for _, name := range []string{"package-lock.json", "npm-shrinkwrap.json", "yarn.lock"} {
			lp := join(a, name)
			l := r.manifests[lp]
			if l == nil {
				continue
			}
			if a == dir || l.Kind == KindYarnLock || lockHasKey(l, relTo(dir, a)) {
				lockPath, lock = lp, l
			}
			break
		}
		if lock != nil {
			break
		}
	}
	var out []Dependency
	for _, d := range m.Decls {
		if lock != nil {
			if i := findNPMLock(lock, relTo(dir, dirOf(lockPath)), d); i >= 0 {
				r.claim(lockPath, i)
				if v := lock.Locks[i].Version; v != "" {
					d.Resolved, d.Source = v, SourceLockfile
				}
			}
		}
		out = append(out, record(p, d))
	}
	return out
}

// relTo is dir relative to base (both slash paths, base an ancestor).
func relTo(dir, base string) string {
	if base == "" || dir == base {
		return strings.TrimPrefix(dir, base)
	}
	return strings.TrimPrefix(dir, base+"/")
}

func lockHasKey(lock *Manifest, key string) bool {
	for _, l := range lock.Locks {
		if l.Key == key {
			return true
		}
	}
	return false
}

// findNPMLock returns the index of the lock entry a declaration of the
// package in folder rel (relative to the lockfile) resolves to, or -1.
func findNPMLock(lock *Manifest, rel string, d Decl) int {
	if lock.Kind == KindYarnLock {
		for _, spec := range []string{d.Name + "@" + d.Version, d.Name + "@" + strings.TrimPrefix(d.Version, "npm:")} {
			for i, l := range lock.Locks {
				for _, s := range l.Specs {
					if s == spec {
						return i
					}
				}
			}
		}
		return -1
	}
	byKey := map[string]int{}
	for i, l := range lock.Locks {
		byKey[l.Key] = i
	}
	// Node's lookup: node_modules of the package's folder, then of each
	// parent folder up to the lockfile's.
	for _, a := range ancestors(rel) {
		i, ok := byKey[join(a, "node_modules/"+d.Name)]
		if !ok {
			continue
		}
		if link := lock.Locks[i].Link; link != "" {
			// A workspace package: its version is the target folder's.
			if j, ok := byKey[link]; ok {
				return j
			}
		}
		return i
	}
	return -1
}
