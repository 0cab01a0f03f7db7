package change

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestActionFlagsSpec(t *testing.T) {
	read := func(name string) ([]byte, error) {
		if name == "owners.tmpl" {
			return []byte("* @{{.Owner}}\n"), nil
		}
		return nil, os.ErrNotExist
	}
	base := Spec{ID: "c1", Query: "file:pom.xml"}
	for _, tc := range []struct {
		name  string
		base  Spec
		flags ActionFlags
		want  Action
		err   string // substring of the error; "" for none
	}{
		{"replace", base, ActionFlags{Replace: "Old", With: "New", WithSet: true}, Action{Kind: KindReplace, Old: "Old", New: "New"}, ""},
		{"replace with empty text", base, ActionFlags{Replace: "Old", WithSet: true}, Action{Kind: KindReplace, Old: "Old"}, ""},
		{"regex", base, ActionFlags{Regex: "v(\\d+)", With: "w$1", WithSet: true}, Action{Kind: KindRegex, Old: "v(\\d+)", New: "w$1"}, ""},
		{"set-dependency", base, ActionFlags{SetDependency: "lodash=4.17.21"}, Action{Kind: KindSetDependency, Dependency: "lodash", Version: "4.17.21"}, ""},
		{"write template", base, ActionFlags{Write: "CODEOWNERS", From: "owners.tmpl", Template: true}, Action{Kind: KindWrite, Path: "CODEOWNERS", Content: "* @{{.Owner}}\n", Template: true}, ""},
		{"xml-add", base, ActionFlags{XMLAdd: "//dependencies", From: "owners.tmpl"}, Action{Kind: KindXMLAdd, XPath: "//dependencies", Content: "* @{{.Owner}}\n"}, ""},
		{"xml-remove", base, ActionFlags{XMLRemove: "//dependency"}, Action{Kind: KindXMLRemove, XPath: "//dependency"}, ""},
		{"delete", base, ActionFlags{Delete: true}, Action{Kind: KindDelete}, ""},

		{"no id", Spec{Query: "x"}, ActionFlags{Delete: true}, Action{}, "--id is required"},
		{"no action", base, ActionFlags{}, Action{}, "give exactly one action"},
		{"two actions", base, ActionFlags{Delete: true, XMLRemove: "//a"}, Action{}, "give exactly one action"},
		{"replace without --with", base, ActionFlags{Replace: "Old"}, Action{}, "need --with"},
		{"set-dependency without version", base, ActionFlags{SetDependency: "lodash"}, Action{}, `--set-dependency "lodash": give NAME=VERSION`},
		{"write without --from", base, ActionFlags{Write: "x"}, Action{}, "need --from FILE"},
		{"unreadable --from", base, ActionFlags{Write: "x", From: "missing"}, Action{}, "--from: file does not exist"},
		{"delete without query", Spec{ID: "c1", DepName: "lodash"}, ActionFlags{Delete: true}, Action{}, "--delete needs --query"},
		{"bad id", Spec{ID: "Bad/ID", Query: "x"}, ActionFlags{Delete: true}, Action{}, "--id: "},
		{"bad regex", base, ActionFlags{Regex: "(", WithSet: true}, Action{}, "--regex: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.flags.Spec(tc.base, read)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Action, tc.want) {
				t.Errorf("action = %+v, want %+v", got.Action, tc.want)
			}
			if got.ID != tc.base.ID || got.Query != tc.base.Query {
				t.Errorf("spec lost its selector: %+v", got)
			}
		})
	}
}

// TestActionFlagsReadOnlyWhenNeeded: standard input (--from -) is read
// only by the actions that take a content, so that a mistaken flag
// never waits for input.
func TestActionFlagsReadOnlyWhenNeeded(t *testing.T) {
	read := func(string) ([]byte, error) { return nil, errors.New("read called") }
	if _, err := (ActionFlags{Delete: true, From: "-"}).Spec(Spec{ID: "c", Query: "q"}, read); err != nil {
		t.Fatal(err)
	}
	if _, err := (ActionFlags{Write: "x", Delete: true, From: "-"}).Spec(Spec{ID: "c", Query: "q"}, read); err == nil || strings.Contains(err.Error(), "read called") {
		t.Fatalf("two actions: err = %v, want the usage error before any read", err)
	}
}

func TestPlanTallyAndJSON(t *testing.T) {
	p := &Plan{ID: "c", Changes: []*Change{
		{Repo: "a", Branch: "main", BaseCommit: "1111", State: StatePlanned, Files: []*FileChange{{Path: "x.xml", Diff: "-<a>\n+<b>\n", Content: "<b>"}}},
		{Repo: "a", Branch: "dev", State: StatePlanned},
		{Repo: "b", Branch: "main", State: StateNoChange},
		{Repo: "c", Branch: "main", State: Failed("no mirror")},
		{Repo: "d", Branch: "main", State: StatePushed},
	}}
	if got, want := p.Tally(), (Tally{Planned: 2, NoChange: 1, Failed: 1}); got != want {
		t.Errorf("tally = %+v, want %+v", got, want)
	}
	var b strings.Builder
	if err := WritePlanJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `\u003c`) {
		t.Errorf("diffs are HTML-escaped: %s", b.String())
	}
	var got struct {
		ID      string           `json:"id"`
		Changes []map[string]any `json:"changes"`
	}
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "c" || len(got.Changes) != 5 {
		t.Fatalf("got %s", b.String())
	}
	first := got.Changes[0]
	files, _ := first["files"].([]any)
	if first["base_commit"] != "1111" || first["state"] != StatePlanned || len(files) != 1 {
		t.Errorf("first change = %v", first)
	}
	if f, _ := files[0].(map[string]any); f["path"] != "x.xml" || f["diff"] != "-<a>\n+<b>\n" || f["content"] != nil {
		t.Errorf("file = %v, want path and diff only", files[0])
	}
	if fs, _ := got.Changes[1]["files"].([]any); fs == nil {
		t.Errorf("a change without files has files %v, want []", got.Changes[1]["files"])
	}
}
