package change

import (
	"errors"
	"fmt"
	"strings"
)

// ActionFlags are the action flags of trawl change plan as the user gave
// them. They live here, not in the command, because which combinations
// make a campaign is the campaign's rule, and a test can check it without
// the binary.
type ActionFlags struct {
	Replace, Regex string
	With           string
	WithSet        bool // --with was given, even empty: a replacement may delete the text
	SetDependency  string
	Write, From    string
	Template       bool
	Delete         bool
	XMLAdd         string
	XMLRemove      string
}

// Spec completes base (ID, selector and message from their flags) with the
// action the flags name and checks the whole: the campaign ID, exactly one
// action, and what that action needs. read returns the content of --from's
// file, and is called only when the action takes one. Errors name the
// flag at fault.
func (f ActionFlags) Spec(base Spec, read func(name string) ([]byte, error)) (Spec, error) {
	if base.ID == "" {
		return base, errors.New("--id is required")
	}
	actions := 0
	for _, set := range []bool{f.Replace != "", f.Regex != "", f.SetDependency != "", f.Write != "", f.Delete, f.XMLAdd != "", f.XMLRemove != ""} {
		if set {
			actions++
		}
	}
	if actions != 1 {
		return base, errors.New("give exactly one action: --replace, --regex, --set-dependency, --write, --delete, --xml-add or --xml-remove")
	}
	a, err := f.action(base.Query, read)
	if err != nil {
		return base, err
	}
	base.Action = a
	if err := CheckID(base.ID); err != nil {
		return base, fmt.Errorf("--id: %w", err)
	}
	if err := a.Check(); err != nil {
		return base, err
	}
	return base, nil
}

// action builds the one action set.
func (f ActionFlags) action(query string, read func(string) ([]byte, error)) (Action, error) {
	switch {
	case f.Replace != "" || f.Regex != "":
		if !f.WithSet {
			return Action{}, errors.New("--replace and --regex need --with")
		}
		if f.Regex != "" {
			return Action{Kind: KindRegex, Old: f.Regex, New: f.With}, nil
		}
		return Action{Kind: KindReplace, Old: f.Replace, New: f.With}, nil
	case f.SetDependency != "":
		name, version, ok := strings.Cut(f.SetDependency, "=")
		if !ok || name == "" || version == "" {
			return Action{}, fmt.Errorf("--set-dependency %q: give NAME=VERSION", f.SetDependency)
		}
		return Action{Kind: KindSetDependency, Dependency: name, Version: version}, nil
	case f.Write != "" || f.XMLAdd != "":
		if f.From == "" {
			return Action{}, errors.New("--write and --xml-add need --from FILE")
		}
		content, err := read(f.From)
		if err != nil {
			return Action{}, fmt.Errorf("--from: %w", err)
		}
		if f.XMLAdd != "" {
			return Action{Kind: KindXMLAdd, XPath: f.XMLAdd, Content: string(content)}, nil
		}
		return Action{Kind: KindWrite, Path: f.Write, Content: string(content), Template: f.Template}, nil
	case f.XMLRemove != "":
		return Action{Kind: KindXMLRemove, XPath: f.XMLRemove}, nil
	}
	if query == "" {
		return Action{}, errors.New("--delete needs --query to say which files")
	}
	return Action{Kind: KindDelete}, nil
}
