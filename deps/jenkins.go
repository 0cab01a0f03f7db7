package deps

import (
	"strings"
)

var (
	jenkinsLibrary   = lazyRegexp(`@Library\s*\(\s*\[?([^)\]]*)\]?\s*\)`)
	jenkinsLibCall   = lazyRegexp(`(?:^|[^\w.@])library\s*\(?\s*(?:identifier\s*:\s*)?['"]([^'"]+)['"]`)
	jenkinsImage     = lazyRegexp(`(?:docker\.image\s*\(\s*|\bimage\s+|\bdocker\s+)['"]([^'"]+)['"]`)
	jenkinsQuoted    = lazyRegexp(`['"]([^'"]+)['"]`)
	jenkinsGroovyVar = lazyRegexp(`\$\{?\w`)
)

// parseJenkinsfile finds shared libraries (@Library('name@version'),
// library 'name@version') and Docker images (docker.image('x:y'),
// agent { docker { image 'x:y' } }).
func parseJenkinsfile(b []byte) (*Manifest, error) {
	m := &Manifest{}
	text := stripBlockComments(string(b))
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		if j := strings.Index(line, "//"); j >= 0 && !strings.Contains(line[:j], ":") {
			line = line[:j]
		}
		var libs []string
		for _, sm := range jenkinsLibrary().FindAllStringSubmatch(line, -1) {
			for _, q := range jenkinsQuoted().FindAllStringSubmatch(sm[1], -1) {
				libs = append(libs, q[1])
			}
		}
		for _, sm := range jenkinsLibCall().FindAllStringSubmatch(line, -1) {
			libs = append(libs, sm[1])
		}
		for _, lib := range libs {
			name, ver, _ := strings.Cut(lib, "@")
			d := Decl{Line: n, Ecosystem: "jenkins", Name: name, Version: ver, Resolved: ver, Scope: "library"}
			if ver != "" {
				d.Source = SourceLiteral
			}
			m.Decls = append(m.Decls, d)
		}
		for _, sm := range jenkinsImage().FindAllStringSubmatch(line, -1) {
			if jenkinsGroovyVar().MatchString(sm[1]) {
				continue // built at run time from Groovy variables
			}
			if d, ok := imageDecl(n, sm[1], ""); ok {
				m.Decls = append(m.Decls, d)
			}
		}
	}
	return m, nil
}
