package change

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/trawl-dev/trawl/indicators/parser"
)

// Action kinds.
const (
	KindReplace       = "replace"        // literal Old -> New in every selected file
	KindRegex         = "regex"          // regular expression Old -> template New ($1, ${name})
	KindSetDependency = "set-dependency" // Dependency's version -> Version in its manifests
	KindWrite         = "write"          // Path gets Content (a text/template when Template)
	KindDelete        = "delete"         // every selected file is deleted
	KindXMLAdd        = "xml-add"        // Content (an XML fragment) becomes the last child of each element XPath selects
	KindXMLRemove     = "xml-remove"     // every element XPath selects is removed
)

// Action is what a campaign does to each selected (repo, branch).
type Action struct {
	Kind       string `json:"kind"`
	Old        string `json:"old,omitempty"`
	New        string `json:"new,omitempty"`
	Dependency string `json:"dependency_name,omitempty"`
	Version    string `json:"version,omitempty"`
	Path       string `json:"path,omitempty"`
	Content    string `json:"content,omitempty"`
	Template   bool   `json:"template,omitempty"`
	XPath      string `json:"xpath,omitempty"`
}

// Check reports a malformed action before any target is read, naming the
// flag at fault: every resource would fail the same way.
func (a Action) Check() error {
	switch a.Kind {
	case KindReplace:
		if a.Old == "" {
			return errors.New("--replace: the text to replace is empty")
		}
	case KindRegex:
		if a.Old == "" {
			return errors.New("--regex: the expression is empty")
		}
		re, err := regexp.Compile(a.Old)
		if err != nil {
			return fmt.Errorf("--regex: %w", err)
		}
		if err := checkExpansion(re, a.New); err != nil {
			return fmt.Errorf("--with: %w", err)
		}
	case KindSetDependency:
		if a.Dependency == "" || a.Version == "" {
			return errors.New("--set-dependency: give NAME=VERSION")
		}
		if strings.ContainsAny(a.Version, "\n\r\"'<>&") {
			return fmt.Errorf("--set-dependency: version %q holds characters no manifest takes", a.Version)
		}
	case KindWrite:
		if err := checkPath(a.Path); err != nil {
			return fmt.Errorf("--write: %w", err)
		}
		if a.Template {
			if _, err := parseTemplate(a.Content); err != nil {
				return fmt.Errorf("--template: %w", err)
			}
		}
	case KindDelete:
	case KindXMLAdd, KindXMLRemove:
		if _, err := parser.ParseXPath(a.XPath); err != nil {
			return fmt.Errorf("--%s: %w", a.Kind, err)
		}
		if a.Kind == KindXMLAdd {
			if err := checkFragment(a.Content); err != nil {
				return fmt.Errorf("--xml-add: %w", err)
			}
		}
	default:
		return fmt.Errorf("unknown action %q", a.Kind)
	}
	return nil
}

// groupRefRE finds $1, ${1}, $name and ${name} in a replacement, as
// regexp.Expand reads them ($$ is a literal $).
var groupRefRE = lazyRegexp(`\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))`)

// checkExpansion refuses a replacement naming a group the expression does
// not have: regexp.Expand would put nothing there, silently.
func checkExpansion(re *regexp.Regexp, tmpl string) error {
	for _, m := range groupRefRE().FindAllStringSubmatch(tmpl, -1) {
		name := m[2] + m[3]
		if m[1] == "$" {
			continue
		}
		if n, err := strconv.Atoi(name); err == nil {
			if n > re.NumSubexp() {
				return fmt.Errorf("$%s names no group of --regex (it has %d)", name, re.NumSubexp())
			}
			continue
		}
		if re.SubexpIndex(name) < 0 {
			return fmt.Errorf("$%s names no group of --regex (write ${1}x, not $1x, to follow a group with letters)", name)
		}
	}
	return nil
}

func checkPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "\\") {
		return fmt.Errorf("path %q: give a relative path with / separators", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || seg == ".git" {
			return fmt.Errorf("path %q: segment %q is not allowed", p, seg)
		}
	}
	return nil
}

// Describe is a one-line summary of the action for commit messages.
func (a Action) Describe() string {
	switch a.Kind {
	case KindReplace:
		return fmt.Sprintf("replace %q with %q", a.Old, a.New)
	case KindRegex:
		return fmt.Sprintf("replace /%s/ with %q", a.Old, a.New)
	case KindSetDependency:
		return fmt.Sprintf("set %s to %s", a.Dependency, a.Version)
	case KindWrite:
		return "write " + a.Path
	case KindDelete:
		return "delete the selected files"
	case KindXMLAdd:
		return "add XML under " + a.XPath
	case KindXMLRemove:
		return "remove XML elements " + a.XPath
	}
	return a.Kind
}

// edit computes the new content of one selected file; ok false means the
// action leaves it as it is.
func (a Action) edit(old []byte) (new []byte, err error) {
	switch a.Kind {
	case KindReplace:
		return bytes.ReplaceAll(old, []byte(a.Old), []byte(a.New)), nil
	case KindRegex:
		re, err := regexp.Compile(a.Old)
		if err != nil {
			return nil, err
		}
		return re.ReplaceAll(old, []byte(a.New)), nil
	case KindXMLAdd:
		return xmlAdd(old, a.XPath, a.Content)
	case KindXMLRemove:
		return xmlRemove(old, a.XPath)
	}
	return nil, fmt.Errorf("action %s does not edit files", a.Kind)
}

// TemplateData is what a --write template sees: {{.Repo}}, {{.Branch}},
// {{.Path}}, {{.Commit}}, {{.Campaign}}, and {{file "PATH"}} for the
// content of another file of the branch.
type TemplateData struct {
	Repo, Branch, Path, Commit, Campaign string
	// Owner and Name split Repo at its last slash.
	Owner, Name string
}

func parseTemplate(text string) (*template.Template, error) {
	return template.New("write").Option("missingkey=error").Funcs(template.FuncMap{
		"file":  func(string) (string, error) { return "", nil },
		"trim":  strings.TrimSpace,
		"lower": strings.ToLower,
		"upper": strings.ToUpper,
	}).Parse(text)
}

// render runs a --write template for one branch; file reads the branch's
// files, so a template may fail on one repository and not another.
func render(text string, data TemplateData, file func(path string) (string, error)) ([]byte, error) {
	t, err := parseTemplate(text)
	if err != nil {
		return nil, err
	}
	t.Funcs(template.FuncMap{"file": file})
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
