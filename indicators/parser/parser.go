// Package parser reads one indicator value out of one file's content, with
// the parser types and sentinel values of Société Générale's github-crawler
// (findDependencyVersionInXml, findFirstValueWithRegexpCapture, ...), so
// that dashboards built on that crawler's documents keep working.
//
// A value is always a string. Where github-crawler would have crashed on a
// file it could not read, Eval returns one of its error sentinels instead,
// so that one broken file does not hide the indicators of every other.
package parser

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/dlclark/regexp2"
)

// Parser types, as github-crawler's configuration names them.
const (
	TypeDependencyVersionInXML = "findDependencyVersionInXml"      // params: artifactId
	TypeRegexpCapture          = "findFirstValueWithRegexpCapture" // params: pattern
	TypeYAMLProperty           = "findPropertyValueInYamlFile"     // params: propertyName
	TypeJSONPath               = "findValueForJsonPath"            // params: jsonPath
	TypeCountXMLElements       = "countMatchingXmlElements"        // params: xpathToMatch
	TypeFilePath               = "findFilePath"                    // no params
)

// Sentinel values. A missing file gives no value at all (the indicator is
// absent from the document); NotFound means the file exists but does not
// hold the value.
const (
	NotFound           = "not found"
	VersionNotFound    = "artifact found, but not the version"
	RegexpConfigIssue  = "issue in config, check logs" // the pattern has not exactly one capture group
	XMLErrorPrefix     = "error while processing "     // then what the XML parser said
	ParseIssuePrefix   = "issue while parsing "        // YAML or JSON that does not parse
	PropertyNotFoundIn = " not found in properties section"
)

// params each type requires.
var required = map[string][]string{
	TypeDependencyVersionInXML: {"artifactId"},
	TypeRegexpCapture:          {"pattern"},
	TypeYAMLProperty:           {"propertyName"},
	TypeJSONPath:               {"jsonPath"},
	TypeCountXMLElements:       {"xpathToMatch"},
	TypeFilePath:               nil,
}

// Types lists the known parser types, sorted.
func Types() []string {
	var out []string
	for t := range required {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// ParamError is a problem with one parameter of a definition; Param is
// empty when the type itself is wrong.
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	return "params." + e.Param + ": " + e.Msg
}

// Parser computes one indicator.
type Parser struct {
	typ    string
	param  string // the type's one parameter, as given
	re     *regexp.Regexp
	xpath  *XPath
	json   *JSONPath
	groups int // capture groups of re or java
	mode   Mode
	java   *regexp2.Regexp // the pattern in GitHubCrawler mode
}

// Compile checks a definition and prepares its parser, in Strict mode.
// Errors are *ParamError.
func Compile(typ string, params map[string]string) (*Parser, error) {
	return CompileMode(typ, params, Strict)
}

// CompileMode is Compile in the given mode.
func CompileMode(typ string, params map[string]string, mode Mode) (*Parser, error) {
	names, ok := required[typ]
	if !ok {
		return nil, &ParamError{Msg: fmt.Sprintf("unknown type %q (use one of %s)", typ, strings.Join(Types(), ", "))}
	}
	p := &Parser{typ: typ, mode: mode}
	for _, name := range names {
		v, ok := params[name]
		if !ok || strings.TrimSpace(v) == "" {
			return nil, &ParamError{Param: name, Msg: "is required for type " + typ}
		}
		p.param = v
	}
	var err error
	switch typ {
	case TypeRegexpCapture:
		if mode == GitHubCrawler {
			// Java's syntax, lookarounds included; search stays RE2.
			if p.java, p.groups, err = compileJava(p.param); err != nil {
				return nil, &ParamError{Param: "pattern", Msg: "invalid regular expression (Java syntax): " + err.Error()}
			}
			break
		}
		if p.re, err = regexp.Compile(p.param); err != nil {
			return nil, &ParamError{Param: "pattern", Msg: "invalid regular expression (RE2 syntax): " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
		}
		p.groups = p.re.NumSubexp()
	case TypeCountXMLElements:
		if p.xpath, err = ParseXPath(p.param); err != nil {
			return nil, &ParamError{Param: "xpathToMatch", Msg: err.Error()}
		}
	case TypeJSONPath:
		if p.json, err = ParseJSONPath(p.param); err != nil {
			return nil, &ParamError{Param: "jsonPath", Msg: err.Error()}
		}
	}
	return p, nil
}

// CheckPattern reports what github-crawler would reject in a
// findFirstValueWithRegexpCapture pattern that compiles: it needs exactly
// one capture group. Configuration checks call it; Eval answers
// RegexpConfigIssue instead.
func (p *Parser) CheckPattern() error {
	if p.mode == Strict && p.re != nil && p.groups != 1 {
		return &ParamError{Param: "pattern", Msg: fmt.Sprintf("must have exactly one capture group, has %d", p.groups)}
	}
	return nil
}

// Type returns the parser type.
func (p *Parser) Type() string { return p.typ }

// Mode returns the mode the parser was compiled in.
func (p *Parser) Mode() Mode { return p.mode }

// Eval returns the indicator's value for the file at path holding text.
func (p *Parser) Eval(path string, text []byte) string {
	switch p.typ {
	case TypeFilePath:
		return path
	case TypeRegexpCapture:
		if p.java != nil {
			return evalJava(p.java, p.groups, text)
		}
		if p.groups != 1 {
			return RegexpConfigIssue
		}
		m := p.re.FindSubmatch(text)
		if m == nil {
			return NotFound
		}
		return string(m[1])
	case TypeDependencyVersionInXML:
		if p.mode == GitHubCrawler {
			return saxVersion(text, p.param)
		}
		return dependencyVersion(text, p.param)
	case TypeCountXMLElements:
		if p.mode == GitHubCrawler {
			return countCompat(text, p.xpath)
		}
		root, err := parseXML(text)
		if err != nil {
			return XMLErrorPrefix + err.Error()
		}
		return fmt.Sprint(p.xpath.Count(root))
	case TypeYAMLProperty:
		return yamlProperty(text, p.param)
	case TypeJSONPath:
		if p.mode == GitHubCrawler {
			return jsonCompat(text, p.json)
		}
		return jsonValue(text, p.json)
	}
	return NotFound
}
