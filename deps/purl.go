package deps

import (
	"strings"
)

// purl builds a package URL (github.com/package-url/purl-spec) for a
// dependency. name is the record's name in the ecosystem's habit; version may
// be empty when no exact version is known.
func purl(ecosystem, name, version, subpath string) string {
	var b strings.Builder
	b.WriteString("pkg:")
	b.WriteString(ecosystem)
	b.WriteByte('/')
	var qualifiers string
	switch ecosystem {
	case "maven":
		// groupId:artifactId becomes namespace/name.
		name = strings.Replace(name, ":", "/", 1)
	case "docker":
		// The registry is a qualifier; the name keeps only the path.
		if reg, rest, ok := strings.Cut(name, "/"); ok && isRegistry(reg) {
			name = rest
			qualifiers = "repository_url=" + escape(reg, "/")
		}
	case "helm":
		if repo, chart, ok := strings.Cut(name, "|"); ok {
			name = chart
			qualifiers = "repository_url=" + escape(repo, "/:")
		}
	}
	segs := strings.Split(name, "/")
	for i, s := range segs {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(escape(s, ""))
	}
	if version != "" {
		b.WriteByte('@')
		b.WriteString(escape(version, ":"))
	}
	if qualifiers != "" {
		b.WriteByte('?')
		b.WriteString(qualifiers)
	}
	if subpath != "" {
		b.WriteByte('#')
		b.WriteString(escape(subpath, "/"))
	}
	return b.String()
}

// escape percent-encodes s, keeping unreserved characters and those in keep.
func escape(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

var pep503 = lazyRegexp(`[-_.]+`)

// normalizePyPI is the PEP 503 normalised form of a project name.
func normalizePyPI(name string) string {
	return strings.ToLower(pep503().ReplaceAllString(strings.TrimSpace(name), "-"))
}

// isRegistry reports whether the first segment of an image reference is a
// registry host, by Docker's own rule: it has a dot or a port, or is
// localhost.
func isRegistry(seg string) bool {
	return strings.ContainsAny(seg, ".:") || seg == "localhost"
}

// splitImage splits a Docker image reference into its normalised name (no
// docker.io/library/ prefix), tag and digest.
func splitImage(ref string) (name, tag, digest string) {
	ref = strings.TrimSpace(ref)
	if i := strings.Index(ref, "@"); i >= 0 {
		ref, digest = ref[:i], ref[i+1:]
	}
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		ref, tag = ref[:i], ref[i+1:]
	}
	name = ref
	if first, rest, ok := strings.Cut(name, "/"); ok && (first == "docker.io" || first == "index.docker.io" || first == "registry-1.docker.io") {
		name = rest
	}
	name = strings.TrimPrefix(name, "library/")
	if first, _, ok := strings.Cut(name, "/"); !ok || !isRegistry(first) {
		// Docker Hub names are lower case by rule; registries' paths too.
		name = strings.ToLower(name)
	}
	return name, tag, digest
}

// imageDecl makes the declaration of a Docker image reference, or false when
// ref is no image (empty, scratch, or still holding an unexpanded variable in
// its name).
func imageDecl(line int, ref, scope string) (Decl, bool) {
	name, tag, digest := splitImage(ref)
	if name == "" || name == "scratch" || strings.ContainsAny(name, "${} ") {
		return Decl{}, false
	}
	d := Decl{Line: line, Ecosystem: "docker", Name: name, Scope: scope, Version: tag, Source: SourceLiteral}
	if d.Version == "" {
		d.Version = digest
	}
	if !strings.ContainsAny(d.Version, "${}") {
		d.Resolved = d.Version
	}
	d.PURLVersion = digest
	return d, true
}
