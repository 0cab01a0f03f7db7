package deps

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// parseHelmChart reads Chart.yaml's dependencies; appVersion is kept for
// the images of values.yaml that name no tag (charts default to it).
func parseHelmChart(b []byte) (*Manifest, error) {
	root, err := parseYAML(b)
	if err != nil {
		return nil, err
	}
	m := &Manifest{}
	if v := yscalar(yget(root, "appVersion")); v != "" {
		m.Props = map[string]string{"appVersion": v}
	}
	deps := yget(root, "dependencies")
	if deps == nil {
		return m, nil
	}
	for _, d := range deps.Content {
		name := yscalar(yget(d, "name"))
		if name == "" {
			continue
		}
		ver := yscalar(yget(d, "version"))
		decl := Decl{Line: d.Line, Ecosystem: "helm", Name: name, Version: ver, Resolved: exactNPM(ver), Source: SourceLiteral}
		if repo := yscalar(yget(d, "repository")); !strings.HasPrefix(repo, "file://") {
			decl.Repository = strings.TrimSuffix(repo, "/")
		}
		m.Decls = append(m.Decls, decl)
	}
	return m, nil
}

// parseHelmValues finds image references anywhere in values.yaml: an
// "image" key holding "repo:tag" or {registry, repository, tag, digest}.
func parseHelmValues(b []byte) (*Manifest, error) {
	root, err := parseYAML(b)
	if err != nil {
		return nil, err
	}
	m := &Manifest{}
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > maxDepth {
			return
		}
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				walk(c, depth+1)
			}
			return
		}
		ypairs(n, func(k, v *yaml.Node) {
			if k.Value != "image" {
				walk(v, depth+1)
				return
			}
			if s := yscalar(v); s != "" {
				if d, ok := imageDecl(k.Line, s, ""); ok {
					m.Decls = append(m.Decls, d)
				}
				return
			}
			repo := yscalar(yget(v, "repository"))
			if repo == "" {
				walk(v, depth+1)
				return
			}
			if reg := yscalar(yget(v, "registry")); reg != "" {
				repo = reg + "/" + repo
			}
			ref := repo
			if tag := yscalar(yget(v, "tag")); tag != "" {
				ref += ":" + tag
			}
			if dg := yscalar(yget(v, "digest")); dg != "" {
				ref += "@" + dg
			}
			if d, ok := imageDecl(k.Line, ref, ""); ok {
				if d.Version == "" {
					d.Ref = "appVersion"
				}
				m.Decls = append(m.Decls, d)
			}
		})
	}
	walk(root, 0)
	return m, nil
}
