package deps

import (
	"strings"

	"gopkg.in/yaml.v3"
)

var composeVar = lazyRegexp(`\$\{([A-Za-z_]\w*)(?::?-([^}]*))?\}`)

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
		image := composeVar().ReplaceAllStringFunc(raw, func(ref string) string {
			if sm := composeVar().FindStringSubmatch(ref); strings.Contains(ref, "-") {
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
