package change

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/trawl-dev/trawl/deps"
)

// The editors below change a dependency's version in place, byte for
// byte: they find the span of the version text with a tokenizer and
// replace that span only, so every other byte of the file (indentation,
// comments, key order, line endings) stays as written. A library that
// decodes and re-encodes the file (modfile.Format, encoding/json, an XML
// DOM) would normalise the rest of the file, which is what a reviewer
// must not have to read past.

// span is a byte range [start, end) of a file.
type span struct{ start, end int }

// splice replaces the spans (sorted, disjoint) of b with repl.
func splice(b []byte, spans []span, repl string) []byte {
	var out bytes.Buffer
	last := 0
	for _, s := range spans {
		out.Write(b[last:s.start])
		out.WriteString(repl)
		last = s.end
	}
	out.Write(b[last:])
	return out.Bytes()
}

// setVersion returns content with name's version set to version in the
// manifest at p, and the Maven properties it refers to but does not
// define (they may live in a parent POM of the same branch).
func setVersion(p string, content []byte, name, version string) ([]byte, []string, error) {
	switch deps.Kind(p) {
	case deps.KindMaven:
		return setMaven(content, name, version)
	case deps.KindNPM:
		out, err := setNPM(content, name, version)
		return out, nil, err
	case deps.KindGoMod:
		out, err := setGoMod(content, name, version)
		return out, nil, err
	case deps.KindDockerfile:
		out, err := setDockerfile(content, name, version)
		return out, nil, err
	case deps.KindActions:
		out, err := setActions(content, name, version)
		return out, nil, err
	case deps.KindGradleCatalog:
		out, err := setCatalog(content, name, version)
		return out, nil, err
	}
	return content, nil, nil
}

// pomElement is a <dependency>, <plugin> or <parent> being read.
type pomElement struct {
	group, artifact string
	version         string
	versionSpan     span
	parent          bool
}

// xmlText finds the span of an element's text inside b[start:end],
// without the surrounding whitespace.
func trimSpan(b []byte, s span) span {
	for s.start < s.end && isSpace(b[s.start]) {
		s.start++
	}
	for s.end > s.start && isSpace(b[s.end-1]) {
		s.end--
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// setMaven edits a POM: the <version> of every <dependency>, <plugin> and
// <parent> of groupId:artifactId; where that version is ${prop}, the
// property's definition in <properties> instead.
func setMaven(b []byte, name, version string) ([]byte, []string, error) {
	props, err := pomProperties(b)
	if err != nil {
		return nil, nil, err
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Entity = xml.HTMLEntity
	var (
		stack   []string
		open    []*pomElement
		textAt  = span{-1, -1}
		spans   []span
		missing []string
	)
	for {
		before := int(dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := t.Name.Local
			stack = append(stack, n)
			textAt = span{-1, -1}
			if n == "dependency" || n == "plugin" || n == "parent" && len(stack) == 2 {
				open = append(open, &pomElement{parent: n == "parent"})
			}
		case xml.CharData:
			if textAt.start < 0 {
				textAt.start = before
			}
			textAt.end = int(dec.InputOffset())
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			parentName := ""
			if len(stack) > 0 {
				parentName = stack[len(stack)-1]
			}
			isOwner := n == "dependency" || n == "plugin" || n == "parent" && len(stack) == 1
			switch {
			case isOwner && len(open) > 0:
				e := open[len(open)-1]
				open = open[:len(open)-1]
				if e.group == "" && n == "plugin" {
					e.group = "org.apache.maven.plugins"
				}
				if e.group+":"+e.artifact != name || e.versionSpan.start < 0 || e.version == "" {
					break
				}
				if ref, ok := mavenRef(e.version); ok {
					if s, ok := props[ref]; ok {
						spans = appendSpan(spans, s)
					} else {
						missing = append(missing, ref)
					}
					break
				}
				spans = appendSpan(spans, e.versionSpan)
			case len(open) > 0 && (parentName == "dependency" || parentName == "plugin" || parentName == "parent" && len(stack) == 2):
				e := open[len(open)-1]
				val := ""
				s := span{-1, -1}
				if textAt.start >= 0 {
					s = trimSpan(b, textAt)
					val = string(b[s.start:s.end])
				}
				switch n {
				case "groupId":
					e.group = val
				case "artifactId":
					e.artifact = val
				case "version":
					e.version, e.versionSpan = val, s
				}
			}
			textAt = span{-1, -1}
		}
	}
	sortSpans(spans)
	return splice(b, spans, version), missing, nil
}

// setMavenProperty sets the property prop where b defines it.
func setMavenProperty(b []byte, prop, version string) ([]byte, bool, error) {
	props, err := pomProperties(b)
	if err != nil {
		return nil, false, err
	}
	s, ok := props[prop]
	if !ok {
		return b, false, nil
	}
	return splice(b, []span{s}, version), true, nil
}

// pomProperties finds the text span of each <project><properties> entry.
func pomProperties(b []byte) (map[string]span, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Entity = xml.HTMLEntity
	props := map[string]span{}
	var stack []string
	textAt := span{-1, -1}
	for {
		before := int(dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			return props, nil
		}
		if err != nil {
			line, _ := dec.InputPos()
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			textAt = span{-1, -1}
		case xml.CharData:
			if textAt.start < 0 {
				textAt.start = before
			}
			textAt.end = int(dec.InputOffset())
		case xml.EndElement:
			if len(stack) == 3 && stack[0] == "project" && stack[1] == "properties" && textAt.start >= 0 {
				props[stack[2]] = trimSpan(b, textAt)
			}
			stack = stack[:len(stack)-1]
			textAt = span{-1, -1}
		}
	}
}

var mavenRefRE = lazyRegexp(`^\$\{([^}]+)\}$`)

func mavenRef(v string) (string, bool) {
	m := mavenRefRE().FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	return m[1], true
}

func appendSpan(spans []span, s span) []span {
	for _, o := range spans {
		if o == s {
			return spans
		}
	}
	return append(spans, s)
}

func sortSpans(spans []span) {
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].start < spans[j-1].start; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
}

var npmFields = map[string]bool{"dependencies": true, "devDependencies": true, "peerDependencies": true, "optionalDependencies": true}

// setNPM sets name's range in every dependency object of a package.json.
func setNPM(b []byte, name, version string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var spans []span
	// path holds, per open container, whether it is an object and the
	// key being read (objects alternate key, value).
	type level struct {
		object bool
		key    string
		expect bool // the next string is a key
	}
	var stack []*level
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("package.json: %w", err)
		}
		end := int(dec.InputOffset())
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				stack = append(stack, &level{object: d == '{', expect: d == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].expect = true
				}
			}
			continue
		}
		if top != nil && top.object && top.expect {
			top.key, _ = tok.(string)
			top.expect = false
			continue
		}
		if top != nil && top.object {
			top.expect = true
			s, isString := tok.(string)
			if isString && len(stack) == 2 && npmFields[stack[0].key] && top.key == name && s != "" {
				// The raw token ends at end with a quote; versions hold no
				// quote or backslash, so its opening quote is the last one
				// before it.
				open := bytes.LastIndexByte(b[:end-1], '"')
				if open >= 0 && string(b[open+1:end-1]) == s {
					spans = append(spans, span{open + 1, end - 1})
				}
			}
		}
	}
	return splice(b, spans, version), nil
}

// setGoMod sets the version of module name in require lines.
func setGoMod(b []byte, name, version string) ([]byte, error) {
	lines := bytes.SplitAfter(b, []byte("\n"))
	block := ""
	for i, raw := range lines {
		code, _, _ := strings.Cut(string(raw), "//")
		fields := strings.Fields(code)
		if len(fields) == 0 {
			continue
		}
		verb := block
		args := fields
		if block == "" {
			verb, args = fields[0], fields[1:]
			if len(args) == 1 && args[0] == "(" {
				block = verb
				continue
			}
		} else if fields[0] == ")" {
			block = ""
			continue
		}
		if verb != "require" || len(args) != 2 || strings.Trim(args[0], `"`) != name {
			continue
		}
		// Replace the version token where it stands: after the path.
		at := strings.Index(code, args[0]) + len(args[0])
		rel := strings.Index(code[at:], args[1])
		if rel < 0 {
			continue
		}
		start := at + rel
		lines[i] = append([]byte(string(raw[:start])+version), raw[start+len(args[1]):]...)
	}
	return bytes.Join(lines, nil), nil
}

var fromRE = lazyRegexp(`(?im)^(\s*FROM\s+(?:--\S+\s+)*)((?:[^\s@:/]+:\d+/)?[^\s@:]+)(:[^\s@]+)?(@\S+)?`)

// setDockerfile sets the tag of image name in FROM lines; a digest pinned
// next to the old tag is dropped, as it names the old image.
func setDockerfile(b []byte, name, version string) ([]byte, error) {
	return fromRE().ReplaceAllFunc(b, func(m []byte) []byte {
		sub := fromRE().FindSubmatch(m)
		if dockerName(string(sub[2])) != dockerName(name) {
			return m
		}
		return []byte(string(sub[1]) + string(sub[2]) + ":" + version)
	}), nil
}

// dockerName drops Docker Hub's implied prefixes, as deps names images.
func dockerName(n string) string {
	n = strings.TrimPrefix(n, "docker.io/")
	return strings.TrimPrefix(n, "library/")
}

var usesRE = lazyRegexp(`(?m)^(\s*(?:-\s+)?uses:\s*["']?)([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)((?:/[^@\s"']*)?)@([^\s"'#]+)`)

// setActions sets the ref of action name (owner/repo) in uses: lines.
func setActions(b []byte, name, version string) ([]byte, error) {
	return usesRE().ReplaceAllFunc(b, func(m []byte) []byte {
		sub := usesRE().FindSubmatch(m)
		if !strings.EqualFold(string(sub[2]), name) {
			return m
		}
		return []byte(string(sub[1]) + string(sub[2]) + string(sub[3]) + "@" + version)
	}), nil
}

var (
	catalogModuleRE = lazyRegexp(`(?m)^\s*[A-Za-z0-9_.-]+\s*=\s*\{[^}\n]*\}`)
	catalogRefRE    = lazyRegexp(`version\.ref\s*=\s*"([^"]+)"`)
	catalogVerRE    = lazyRegexp(`(\bversion\s*=\s*")([^"]*)(")`)
	catalogStrRE    = lazyRegexp(`(?m)^(\s*[A-Za-z0-9_.-]+\s*=\s*")([^":"]+:[^":"]+):([^"]+)(")`)
)

// setCatalog sets a library's version in a Gradle version catalog
// (libs.versions.toml): an inline version, a "group:name:version" string,
// or the [versions] entry its version.ref names.
func setCatalog(b []byte, name, version string) ([]byte, error) {
	var refs []string
	out := catalogModuleRE().ReplaceAllFunc(b, func(m []byte) []byte {
		s := string(m)
		if !catalogMentions(s, name) {
			return m
		}
		if r := catalogRefRE().FindStringSubmatch(s); r != nil {
			refs = append(refs, r[1])
			return m
		}
		return []byte(catalogVerRE().ReplaceAllString(s, "${1}"+version+"${3}"))
	})
	out = catalogStrRE().ReplaceAllFunc(out, func(m []byte) []byte {
		sub := catalogStrRE().FindSubmatch(m)
		if string(sub[2]) != name {
			return m
		}
		return []byte(string(sub[1]) + string(sub[2]) + ":" + version + string(sub[4]))
	})
	for _, ref := range refs {
		re := regexp.MustCompile(`(?m)^(\s*` + regexp.QuoteMeta(ref) + `\s*=\s*")([^"]*)(")`)
		out = re.ReplaceAll(out, []byte("${1}"+version+"${3}"))
	}
	return out, nil
}

func catalogMentions(entry, name string) bool {
	g, a, ok := strings.Cut(name, ":")
	if !ok {
		return false
	}
	if strings.Contains(entry, `"`+name+`"`) {
		return true
	}
	return regexp.MustCompile(`group\s*=\s*"`+regexp.QuoteMeta(g)+`"`).MatchString(entry) &&
		regexp.MustCompile(`name\s*=\s*"`+regexp.QuoteMeta(a)+`"`).MatchString(entry)
}

// isPOM reports whether p is a Maven POM.
func isPOM(p string) bool { return deps.Kind(p) == deps.KindMaven || path.Base(p) == "pom.xml" }
