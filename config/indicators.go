package config

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trawl-dev/trawl/indicators/parser"
)

// Indicators is the indicators section: per file path, the values to read
// from that file, in the format of github-crawler's indicatorsToFetchByFile
// so that its configurations can be pasted in:
//
//	indicators:
//	  "[pom.xml]":                       # github-crawler's escape; pom.xml works too
//	    - name: spring_boot_starter_parent_version
//	      type: findDependencyVersionInXml   # method: is accepted too
//	      params: {artifactId: spring-boot-starter-parent}
//
// Files keep the order of the configuration: when two files give an
// indicator of the same name, the later file present wins, as in
// github-crawler.
type Indicators []IndicatorFile

// IndicatorFile is one file path and what to read from it.
type IndicatorFile struct {
	Path       string // in the repository, without github-crawler's [ ] escape
	Indicators []Indicator
}

// Indicator is one value to read from a file.
type Indicator struct {
	Name   string            `yaml:"name"`
	Type   string            `yaml:"type"`   // parser type (parser.Types)
	Params map[string]string `yaml:"params"` // the type's parameters

	// compiled is the parser, built once when the file is read, in the
	// mode its compatibility key chooses; nil for an Indicator made in code.
	compiled *parser.Parser
	src      *indicatorNodes // while the file is checked; nil after
}

// indicatorNodes are the nodes an Indicator was read from, to report a
// parser's problems at the type or parameter at fault.
type indicatorNodes struct{ item, typeNode, params *yaml.Node }

// Parser returns the indicator's parser as compiled when the file was
// read, or nil for an Indicator not read from a file.
func (ind Indicator) Parser() *parser.Parser { return ind.compiled }

// Paths returns the configured file paths.
func (in Indicators) Paths() []string {
	out := make([]string, len(in))
	for i, f := range in {
		out[i] = f.Path
	}
	return out
}

// decodeNode decodes and checks the section, reporting each problem at
// its node.
func (in *Indicators) decodeNode(d *decoder, _ string, n *yaml.Node) {
	at, unknown := d.at, d.unknownKey
	if n.Kind != yaml.MappingNode {
		at(n, "must be a mapping of file paths to lists of indicators, not %s", kindName(n))
		return
	}
	*in = nil
	seenPath := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := k.Value
		if strings.HasPrefix(path, "[") && strings.HasSuffix(path, "]") {
			path = path[1 : len(path)-1]
		}
		if msg := checkRepoPath(path); msg != "" {
			at(v, "file path %s %s", show(k.Value), msg)
			continue
		}
		if seenPath[path] {
			at(v, "file path %s is given twice", show(path))
			continue
		}
		seenPath[path] = true
		f := IndicatorFile{Path: path}
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			at(v, "must be a list of indicators (name, type, params)")
			continue
		}
		names := map[string]bool{}
		for _, item := range v.Content {
			ind, ok := decodeIndicator(item, at, unknown)
			if !ok {
				continue
			}
			if names[ind.Name] {
				at(item, "indicator %s is given twice for this file", show(ind.Name))
				continue
			}
			names[ind.Name] = true
			f.Indicators = append(f.Indicators, ind)
		}
		*in = append(*in, f)
	}
}

func decodeIndicator(item *yaml.Node, at func(*yaml.Node, string, ...any), unknown func(key *yaml.Node)) (Indicator, bool) {
	src := &indicatorNodes{item: item}
	ind := Indicator{src: src}
	if item.Kind != yaml.MappingNode {
		at(item, "must be a mapping with name, type and params, not %s", kindName(item))
		return ind, false
	}
	ok := true
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i], item.Content[i+1]
		switch k.Value {
		case "name", "type", "method":
			if v.Kind != yaml.ScalarNode {
				at(v, "must be a string, not %s", kindName(v))
				ok = false
				continue
			}
			if k.Value == "name" {
				ind.Name = v.Value
			} else if ind.Type != "" {
				at(v, "set type or method (github-crawler's older name), not both")
				ok = false
			} else {
				ind.Type, src.typeNode = v.Value, v
			}
		case "params":
			src.params = v
			if v.Kind != yaml.MappingNode {
				at(v, "must be a mapping of parameter names to values, not %s", kindName(v))
				ok = false
				continue
			}
			ind.Params = map[string]string{}
			for j := 0; j+1 < len(v.Content); j += 2 {
				pk, pv := v.Content[j], v.Content[j+1]
				if pv.Kind != yaml.ScalarNode {
					at(pv, "must be a string, not %s", kindName(pv))
					ok = false
					continue
				}
				ind.Params[pk.Value] = pv.Value
			}
		default:
			unknown(k)
			ok = false
		}
	}
	if strings.TrimSpace(ind.Name) == "" {
		at(item, "name is required")
		ok = false
	}
	if !ok {
		return ind, false
	}
	if ind.Type == "" {
		at(item, "type is required (one of %s)", strings.Join(parser.Types(), ", "))
		return ind, false
	}
	return ind, true
}

// compileIndicators builds each indicator's parser once, in the mode the
// compatibility key chooses, and reports what it rejects at the type or
// parameter at fault.
func (c *checker) compileIndicators(cfg *Config) {
	mode := parser.Strict
	if cfg.GitHubCrawler() {
		mode = parser.GitHubCrawler
	}
	for fi := range cfg.Indicators {
		for ii := range cfg.Indicators[fi].Indicators {
			ind := &cfg.Indicators[fi].Indicators[ii]
			p, err := parser.CompileMode(ind.Type, ind.Params, mode)
			if err == nil {
				err = p.CheckPattern()
			}
			if err == nil {
				ind.compiled = p
			} else {
				c.indicatorError(ind, mode, err)
			}
			ind.src = nil
		}
	}
}

func (c *checker) indicatorError(ind *Indicator, mode parser.Mode, err error) {
	at := func(n *yaml.Node, format string, args ...any) {
		c.errs = append(c.errs, c.idx.errorAt(c.file, n, scopeNone, fmt.Sprintf(format, args...)))
	}
	var pe *parser.ParamError
	if !errors.As(err, &pe) {
		at(ind.src.item, "%v", err)
		return
	}
	msg := pe.Msg
	if mode == parser.Strict && pe.Param == "pattern" {
		// Java syntax, or no single capture group: github-crawler's
		// reading takes it.
		if _, jerr := parser.CompileMode(ind.Type, ind.Params, parser.GitHubCrawler); jerr == nil {
			msg += " (compatibility: github-crawler accepts it, as github-crawler does)"
		}
	}
	switch {
	case pe.Param == "":
		at(ind.src.typeNode, "%s", msg)
	case ind.src.params == nil:
		at(ind.src.item, "params.%s %s", pe.Param, msg)
	default:
		if v := paramValue(ind.src.params, pe.Param); v != nil {
			at(v, "%s", msg)
		} else {
			at(ind.src.params, "%s %s", pe.Param, msg)
		}
	}
}

func paramValue(params *yaml.Node, name string) *yaml.Node {
	for i := 0; i+1 < len(params.Content); i += 2 {
		if params.Content[i].Value == name {
			return params.Content[i+1]
		}
	}
	return nil
}

// checkRepoPath returns what is wrong with a path inside a repository, or
// "": indicators read files at exact paths, as git names them.
func checkRepoPath(p string) string {
	switch {
	case p == "":
		return "is empty"
	case strings.HasPrefix(p, "/"):
		return "must be relative to the repository root (no leading /)"
	case strings.HasSuffix(p, "/"):
		return "must name a file, not a folder"
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." {
			return "must be a clean path (no //, . or ..)"
		}
	}
	return ""
}
