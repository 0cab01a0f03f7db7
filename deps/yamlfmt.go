package deps

import (
	"errors"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// parseYAML reads a YAML document; an empty file is an empty mapping.
func parseYAML(b []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, err
		}
		return nil, yamlError(err)
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	}
	return doc.Content[0], nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// yamlError keeps yaml.v3's message, which already names the line.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if sm := yamlLine.FindStringSubmatch(msg); sm != nil {
		return errors.New("line " + sm[1] + ": " + strings.Replace(msg, sm[0]+": ", "", 1))
	}
	return errors.New(msg)
}

// ymap returns the value of key in a mapping node, and its key node (for
// its line).
func ymap(n *yaml.Node, key string) (val, keyNode *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1], n.Content[i]
		}
	}
	return nil, nil
}

func yget(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		n, _ = ymap(n, k)
	}
	return n
}

func yscalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// ypairs calls f for each key/value of a mapping node in order.
func ypairs(n *yaml.Node, f func(k, v *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		f(n.Content[i], n.Content[i+1])
	}
}

var composeVar = regexp.MustCompile(`\$\{([A-Za-z_]\w*)(?::?-([^}]*))?\}`)

// parseCompose reads services.*.image; ${VAR:-default} takes its default.
func parseCompose(b []byte) (*Manifest, error) {
	root, err := parseYAML(b)
	if err != nil {
		return nil, err
	}
	m := &Manifest{}
	ypairs(yget(root, "services"), func(_, svc *yaml.Node) {
		img, key := ymap(svc, "image")
		raw := yscalar(img)
		if raw == "" {
			return
		}
		image := composeVar.ReplaceAllStringFunc(raw, func(ref string) string {
			if sm := composeVar.FindStringSubmatch(ref); strings.Contains(ref, "-") {
				return sm[2]
			}
			return ref
		})
		if d, ok := dockerRef(key.Line, raw, image, ""); ok {
			m.Decls = append(m.Decls, d)
		}
	})
	return m, nil
}

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

var hexSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// parseActions reads uses: of workflow jobs and steps and of composite
// actions, and the container and service images of jobs. Local actions
// (./path) are part of the repository and are skipped; docker:// actions are
// Docker images.
func parseActions(b []byte) (*Manifest, error) {
	root, err := parseYAML(b)
	if err != nil {
		return nil, err
	}
	m := &Manifest{}
	uses := func(n *yaml.Node, scope string) {
		ref := yscalar(n)
		switch {
		case ref == "" || strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "../"):
		case strings.HasPrefix(ref, "docker://"):
			if d, ok := imageDecl(n.Line, strings.TrimPrefix(ref, "docker://"), "action"); ok {
				m.Decls = append(m.Decls, d)
			}
		default:
			target, ver, _ := strings.Cut(ref, "@")
			parts := strings.SplitN(target, "/", 3)
			if len(parts) < 2 {
				return
			}
			d := Decl{Line: n.Line, Ecosystem: "github", Name: parts[0] + "/" + parts[1], Version: ver, Resolved: ver, Source: SourceLiteral, Scope: scope}
			if len(parts) == 3 {
				d.Subpath = parts[2]
			}
			m.Decls = append(m.Decls, d)
		}
	}
	steps := func(list *yaml.Node) {
		if list == nil {
			return
		}
		for _, s := range list.Content {
			u, _ := ymap(s, "uses")
			uses(u, "")
		}
	}
	image := func(n *yaml.Node, scope string) {
		if n == nil {
			return
		}
		if n.Kind == yaml.MappingNode {
			n, _ = ymap(n, "image")
		}
		if s := yscalar(n); s != "" {
			if d, ok := imageDecl(n.Line, s, scope); ok {
				m.Decls = append(m.Decls, d)
			}
		}
	}
	ypairs(yget(root, "jobs"), func(_, job *yaml.Node) {
		u, _ := ymap(job, "uses")
		uses(u, "workflow")
		steps(yget(job, "steps"))
		c, _ := ymap(job, "container")
		image(c, "container")
		ypairs(yget(job, "services"), func(_, svc *yaml.Node) { image(svc, "service") })
	})
	steps(yget(root, "runs", "steps"))
	if yscalar(yget(root, "runs", "using")) == "docker" {
		if img := yget(root, "runs", "image"); strings.HasPrefix(yscalar(img), "docker://") {
			uses(img, "action")
		}
	}
	return m, nil
}

var (
	jenkinsLibrary   = regexp.MustCompile(`@Library\s*\(\s*\[?([^)\]]*)\]?\s*\)`)
	jenkinsLibCall   = regexp.MustCompile(`(?:^|[^\w.@])library\s*\(?\s*(?:identifier\s*:\s*)?['"]([^'"]+)['"]`)
	jenkinsImage     = regexp.MustCompile(`(?:docker\.image\s*\(\s*|\bimage\s+|\bdocker\s+)['"]([^'"]+)['"]`)
	jenkinsQuoted    = regexp.MustCompile(`['"]([^'"]+)['"]`)
	jenkinsGroovyVar = regexp.MustCompile(`\$\{?\w`)
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
		for _, sm := range jenkinsLibrary.FindAllStringSubmatch(line, -1) {
			for _, q := range jenkinsQuoted.FindAllStringSubmatch(sm[1], -1) {
				libs = append(libs, q[1])
			}
		}
		for _, sm := range jenkinsLibCall.FindAllStringSubmatch(line, -1) {
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
		for _, sm := range jenkinsImage.FindAllStringSubmatch(line, -1) {
			if jenkinsGroovyVar.MatchString(sm[1]) {
				continue // built at run time from Groovy variables
			}
			if d, ok := imageDecl(n, sm[1], ""); ok {
				m.Decls = append(m.Decls, d)
			}
		}
	}
	return m, nil
}
