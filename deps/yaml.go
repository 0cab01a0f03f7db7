package deps

// YAML helpers shared by the compose, Helm and Actions parsers: yaml.v3
// nodes carry the line of each key, which the records need.

import (
	"errors"
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

var yamlLine = lazyRegexp(`line (\d+)`)

// yamlError keeps yaml.v3's message, which already names the line.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if sm := yamlLine().FindStringSubmatch(msg); sm != nil {
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
