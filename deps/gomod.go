package deps

import (
	"strconv"
	"strings"
)

// parseGoMod reads go.mod's require and replace directives. A replacement by
// the same module at another version fixes the resolved version. One by
// another module or by a local folder marks the required module "replaced"
// with no resolved version (it is not what gets built); another module is
// then listed too, with scope "replace".
func parseGoMod(b []byte) (*Manifest, error) {
	type replace struct {
		line                      int
		old, oldVer, newP, newVer string
	}
	var (
		m        = &Manifest{}
		replaces []replace
		block    string
	)
	for i, raw := range strings.Split(string(b), "\n") {
		n := i + 1
		line, comment, _ := strings.Cut(raw, "//")
		indirect := strings.TrimSpace(comment) == "indirect" || strings.HasPrefix(strings.TrimSpace(comment), "indirect;")
		fields, err := goModFields(line, n)
		if err != nil {
			return nil, err
		}
		if len(fields) == 0 {
			continue
		}
		verb := block
		if block == "" {
			verb, fields = fields[0], fields[1:]
			if len(fields) == 1 && fields[0] == "(" {
				block = verb
				continue
			}
		} else if fields[0] == ")" {
			block = ""
			continue
		}
		switch verb {
		case "require":
			if len(fields) != 2 {
				return nil, errorf(n, "require needs a module path and a version")
			}
			m.Decls = append(m.Decls, Decl{Line: n, Ecosystem: "golang", Name: fields[0], Version: fields[1], Resolved: fields[1], Source: SourceLiteral, Indirect: indirect})
		case "replace":
			arrow := -1
			for j, f := range fields {
				if f == "=>" {
					arrow = j
				}
			}
			if arrow < 1 || arrow > 2 || len(fields)-arrow-1 < 1 || len(fields)-arrow-1 > 2 {
				return nil, errorf(n, "replace needs old [version] => new [version]")
			}
			r := replace{line: n, old: fields[0], newP: fields[arrow+1]}
			if arrow == 2 {
				r.oldVer = fields[1]
			}
			if len(fields) == arrow+3 {
				r.newVer = fields[arrow+2]
			}
			replaces = append(replaces, r)
		case "module", "go", "toolchain", "exclude", "retract", "godebug", "tool", "ignore":
		default:
			return nil, errorf(n, "unknown directive %q", verb)
		}
	}
	if block != "" {
		return nil, errorf(strings.Count(string(b), "\n")+1, "unclosed %s block", block)
	}
	for _, r := range replaces {
		for i := range m.Decls {
			d := &m.Decls[i]
			if d.Name != r.old || (r.oldVer != "" && r.oldVer != d.Version) {
				continue
			}
			switch {
			case r.newVer != "" && r.newP == r.old:
				d.Resolved = r.newVer
			case r.newVer == "": // a local folder
				d.Resolved, d.Scope = "", "replaced"
			default:
				d.Resolved, d.Scope = "", "replaced"
				m.Decls = append(m.Decls, Decl{Line: r.line, Ecosystem: "golang", Name: r.newP, Version: r.newVer, Resolved: r.newVer, Source: SourceLiteral, Scope: "replace", Indirect: d.Indirect})
			}
		}
	}
	return m, nil
}

// goModFields splits a go.mod line into fields, unquoting quoted ones.
func goModFields(line string, n int) ([]string, error) {
	var out []string
	for {
		line = strings.TrimLeft(line, " \t\r")
		if line == "" {
			return out, nil
		}
		if line[0] == '"' || line[0] == '`' {
			end := strings.IndexByte(line[1:], line[0])
			if end < 0 {
				return nil, errorf(n, "unterminated quoted string")
			}
			s, err := strconv.Unquote(line[:end+2])
			if err != nil {
				return nil, errorf(n, "bad quoted string %s", line[:end+2])
			}
			out = append(out, s)
			line = line[end+2:]
			continue
		}
		end := strings.IndexAny(line, " \t\r")
		if end < 0 {
			end = len(line)
		}
		out = append(out, line[:end])
		line = line[end:]
	}
}
