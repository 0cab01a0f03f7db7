package deps

import "testing"

// TestTOMLLines pins the line of each kind of value parseTOML reads, the
// reason it exists: keys after multi-line strings, array elements each on
// their line, inline-table keys, and headers of arrays of tables.
func TestTOMLLines(t *testing.T) {
	doc, err := parseTOML([]byte(`# comment
desc = """
two
lines"""
[project]
deps = [
  "a>=1", # why
  'b',
]
[[package]]
name = "x"
[[package]]
name = "y"
extras = { one = "1",
  two = "2" }
`))
	if err != nil {
		t.Fatal(err)
	}
	proj := doc.table("project")
	pkgs := doc.get("package")
	cases := []struct {
		what string
		v    *tval
		line int
	}{
		{"desc", doc.get("desc"), 2},
		{"deps", proj.get("deps"), 6},
		{"deps[0]", proj.get("deps").Arr[0], 7},
		{"deps[1]", proj.get("deps").Arr[1], 8},
		{"package[0]", pkgs.Arr[0], 10},
		{"package[1].name", pkgs.Arr[1].Tab.get("name"), 13},
		{"extras.two", pkgs.Arr[1].Tab.table("extras").get("two"), 15},
	}
	for _, c := range cases {
		if c.v == nil || c.v.Line != c.line {
			t.Errorf("%s: %+v, want line %d", c.what, c.v, c.line)
		}
	}
	if s := doc.str("desc"); s != "two\nlines" {
		t.Errorf("desc = %q", s)
	}
	if got := len(pkgs.Arr); got != 2 {
		t.Errorf("%d packages, want 2", got)
	}
}

func TestTOMLErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"a = 1\nb = +\n", "line 2: "},
		{"[t]\nx = 1\nx = 2\n", "line 3: duplicate key"},
		{"a = 1\n[a.b]\n", `line 2: "a" is not a table`},
		{"a = \"open\n", "line 1: "},
	} {
		_, err := parseTOML([]byte(c.doc))
		if err == nil || len(err.Error()) < len(c.want) || err.Error()[:len(c.want)] != c.want {
			t.Errorf("parseTOML(%q) = %v, want an error starting %q", c.doc, err, c.want)
		}
	}
}
