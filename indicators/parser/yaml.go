package parser

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlProperty finds a dotted property in the first YAML document that
// holds it. Each dotted prefix is tried as a key, so that Spring's nested
// (spring: {application: {name: x}}), flat (spring.application.name: x)
// and mixed forms are all found. A list gives its items joined with ", ".
func yamlProperty(text []byte, name string) string {
	d := yaml.NewDecoder(bytes.NewReader(text))
	for {
		var doc yaml.Node
		err := d.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return NotFound
		}
		if err != nil {
			return ParseIssuePrefix + strings.TrimPrefix(err.Error(), "yaml: ")
		}
		if len(doc.Content) == 0 {
			continue
		}
		if v, ok := lookup(doc.Content[0], strings.Split(name, "."), 0); ok {
			return v
		}
	}
}

func lookup(n *yaml.Node, parts []string, depth int) (string, bool) {
	if depth > maxDepth {
		return "", false
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return "", false
	}
	for k := 1; k <= len(parts); k++ {
		key := strings.Join(parts[:k], ".")
		v := mappingValue(n, key)
		if v == nil {
			continue
		}
		if k == len(parts) {
			if s, ok := render(v); ok {
				return s, true
			}
			continue
		}
		if s, ok := lookup(v, parts[k:], depth+1); ok {
			return s, true
		}
	}
	return "", false
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			if v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			return v
		}
	}
	return nil
}

// render writes a scalar as written and a list of scalars joined with
// ", "; null and mappings are no value.
func render(v *yaml.Node) (string, bool) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.ShortTag() == "!!null" {
			return "", false
		}
		return v.Value, true
	case yaml.SequenceNode:
		items := make([]string, 0, len(v.Content))
		for _, c := range v.Content {
			if c.Kind == yaml.AliasNode {
				c = c.Alias
			}
			if c.Kind != yaml.ScalarNode {
				return "", false
			}
			items = append(items, c.Value)
		}
		return strings.Join(items, ", "), true
	}
	return "", false
}
