package deps

import (
	"strings"
)

var dockerVar = lazyRegexp(`\$(?:\{([A-Za-z_]\w*)(?::?([-+])([^}]*))?\}|([A-Za-z_]\w*))`)

// expandArgs substitutes $VAR, ${VAR}, ${VAR:-default} and ${VAR:+alt}. A
// variable with no known value is left as written, so that the result shows
// it is unresolved rather than silently empty.
func expandArgs(s string, args map[string]string) string {
	return dockerVar().ReplaceAllStringFunc(s, func(ref string) string {
		sm := dockerVar().FindStringSubmatch(ref)
		name := sm[1] + sm[4]
		val, ok := args[name]
		switch sm[2] {
		case "-":
			if !ok || val == "" {
				return sm[3]
			}
		case "+":
			if ok && val != "" {
				return sm[3]
			}
			return ""
		}
		if !ok {
			return ref
		}
		return val
	})
}

// parseDockerfile reads FROM lines (and COPY --from=image) with the global
// ARG defaults applied. A FROM naming an earlier stage is no dependency.
func parseDockerfile(b []byte) (*Manifest, error) {
	m := &Manifest{}
	args := map[string]string{}
	stages := map[string]bool{}
	escape := `\`
	lines := strings.Split(string(b), "\n")
	seenFrom := false
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimRight(lines[i], "\r")
		trimmed := strings.TrimSpace(line)
		if i == 0 || (!seenFrom && strings.HasPrefix(trimmed, "#")) {
			if d, ok := strings.CutPrefix(strings.ReplaceAll(trimmed, " ", ""), "#escape="); ok && d != "" {
				escape = d[:1]
			}
		}
		if strings.HasPrefix(trimmed, "#") || trimmed == "" {
			continue
		}
		for strings.HasSuffix(strings.TrimSpace(line), escape) && i+1 < len(lines) {
			i++
			next := strings.TrimRight(lines[i], "\r")
			if strings.HasPrefix(strings.TrimSpace(next), "#") {
				continue // comments inside continuations are dropped
			}
			line = strings.TrimSuffix(strings.TrimSpace(line), escape) + " " + next
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "ARG":
			if seenFrom {
				continue // stage ARGs do not reach FROM lines
			}
			for _, a := range fields[1:] {
				// An ARG without a default is set at build time only.
				if name, val, ok := strings.Cut(a, "="); ok {
					args[name] = strings.Trim(val, `"'`)
				}
			}
		case "FROM":
			seenFrom = true
			rest := fields[1:]
			for len(rest) > 0 && strings.HasPrefix(rest[0], "--") {
				rest = rest[1:]
			}
			if len(rest) == 0 {
				return nil, errorf(start, "FROM without an image")
			}
			raw := rest[0]
			image := expandArgs(raw, args)
			if !stages[strings.ToLower(image)] {
				if d, ok := dockerRef(start, raw, image, ""); ok {
					m.Decls = append(m.Decls, d)
				}
			}
			if len(rest) >= 3 && strings.EqualFold(rest[1], "AS") {
				stages[strings.ToLower(rest[2])] = true
			}
		case "COPY", "ADD":
			for _, f := range fields[1:] {
				from, ok := strings.CutPrefix(f, "--from=")
				if !ok {
					continue
				}
				image := expandArgs(from, args)
				// A stage name or index, not an image.
				if stages[strings.ToLower(image)] || strings.Trim(image, "0123456789") == "" {
					continue
				}
				if d, ok := dockerRef(start, from, image, "copy"); ok {
					m.Decls = append(m.Decls, d)
				}
			}
		}
	}
	return m, nil
}

// dockerRef makes the declaration of an image written as raw and expanded
// to image; an expanded ARG makes the version source "property".
func dockerRef(line int, raw, image, scope string) (Decl, bool) {
	d, ok := imageDecl(line, image, scope)
	if !ok {
		return d, false
	}
	if raw != image {
		d.Source = SourceProperty
		if _, tag, _ := splitImage(raw); strings.Contains(tag, "$") {
			d.Version = tag
		}
	}
	return d, true
}
