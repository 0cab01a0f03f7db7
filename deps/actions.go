package deps

import (
	"strings"

	"gopkg.in/yaml.v3"
)

var hexSHA = lazyRegexp(`^[0-9a-f]{40}$`)

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
