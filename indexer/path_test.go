package indexer

import (
	"testing"
	"unicode/utf8"
)

func TestEscapePath(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"src/main.go", "src/main.go"},
		{"docs/Straße ΣΊΣΥΦΟΣ.md", "docs/Straße ΣΊΣΥΦΟΣ.md"},
		{"caf\xe9.txt", `caf\xe9.txt`},
		{"a\nb", `a\x0ab`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b", `c1\xc2\x9b`},
		{`win\path`, `win\\path`},
		{`\x41`, `\\x41`},
		{"\xff\xfe", `\xff\xfe`},
	} {
		if got := EscapePath(c.raw); got != c.want {
			t.Errorf("EscapePath(%q) = %q, want %q", c.raw, got, c.want)
		}
		if back, err := UnescapePath(c.want); err != nil || back != c.raw {
			t.Errorf("UnescapePath(%q) = %q, %v, want %q", c.want, back, err, c.raw)
		}
	}
	for _, bad := range []string{`a\`, `\q`, `\x4`, `\xZZ`, `\xAB`} {
		if _, err := UnescapePath(bad); err == nil {
			t.Errorf("UnescapePath(%q) accepted text EscapePath cannot make", bad)
		}
	}
}

// FuzzEscapePath checks that the escaped form is valid UTF-8 without
// control characters, that it round-trips, and that it is injective.
func FuzzEscapePath(f *testing.F) {
	for _, s := range []string{"a/b.go", "caf\xe9", "a\nb", `x\y`, `\x41`, "\u009b"} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ea := EscapePath(a)
		if !utf8.ValidString(ea) {
			t.Fatalf("EscapePath(%q) = %q is not UTF-8", a, ea)
		}
		for _, r := range ea {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("EscapePath(%q) = %q holds a control character", a, ea)
			}
		}
		back, err := UnescapePath(ea)
		if err != nil || back != a {
			t.Fatalf("UnescapePath(EscapePath(%q)) = %q, %v", a, back, err)
		}
		if a != b && ea == EscapePath(b) {
			t.Fatalf("%q and %q escape alike: %q", a, b, ea)
		}
	})
}

// TestPermalinkUnescapes: a permalink names git's bytes, not the stored
// escaped form.
func TestPermalinkUnescapes(t *testing.T) {
	r := Repo{URL: "https://github.com/acme/api"}
	if got, want := r.Permalink("abc", `docs/caf\xe9.txt`, 2), "https://github.com/acme/api/blob/abc/docs/caf%E9.txt#L2"; got != want {
		t.Errorf("permalink %s, want %s", got, want)
	}
}

// TestPermalinkTemplates: a source's Link and LineLink are filled in with
// the commit, the escaped path (path or query form) and the line; the
// line part is left out for a whole file.
func TestPermalinkTemplates(t *testing.T) {
	azure := Repo{URL: "https://dev.azure.com/acme/web/_git/api",
		Link:     "https://dev.azure.com/acme/web/_git/api?path=/{qpath}&version=GC{commit}",
		LineLink: "&line={line}"}
	bitbucket := Repo{Link: "https://bb.example.com/projects/ACME/repos/api/browse/{path}?at={commit}", LineLink: "#{line}"}
	for _, c := range []struct {
		r          Repo
		path       string
		line       int
		want       string
		commitless bool
	}{
		{azure, "src/a b&c.go", 7, "https://dev.azure.com/acme/web/_git/api?path=/src/a+b%26c.go&version=GCabc&line=7", false},
		{azure, "src/a.go", 0, "https://dev.azure.com/acme/web/_git/api?path=/src/a.go&version=GCabc", false},
		{bitbucket, "docs/x#y{line}.md", 3, "https://bb.example.com/projects/ACME/repos/api/browse/docs/x%23y%7Bline%7D.md?at=abc#3", false},
		{Repo{URL: "https://gitlab.com/a/b", Link: "https://gitlab.com/a/b/-/blob/{commit}/{path}", LineLink: "#L{line}"}, "go.mod", 1, "https://gitlab.com/a/b/-/blob/abc/go.mod#L1", false},
		{Repo{}, "go.mod", 1, "", false},
		{bitbucket, "go.mod", 1, "", true},
	} {
		commit := "abc"
		if c.commitless {
			commit = ""
		}
		if got := c.r.Permalink(commit, c.path, c.line); got != c.want {
			t.Errorf("Permalink(%q, %d) = %s, want %s", c.path, c.line, got, c.want)
		}
	}
}

// TestLinePermalink leaves the line to the client, in every forge's shape.
func TestLinePermalink(t *testing.T) {
	gh := Repo{URL: "https://github.com/acme/api"}
	bb := Repo{Link: "https://bb.example.com/projects/ACME/repos/api/browse/{path}?at={commit}", LineLink: "#{line}"}
	if got, want := gh.LinePermalink("abc", "a b.go"), "https://github.com/acme/api/blob/abc/a%20b.go#L{line}"; got != want {
		t.Errorf("GitHub: %s, want %s", got, want)
	}
	if got, want := bb.LinePermalink("abc", "go.mod"), "https://bb.example.com/projects/ACME/repos/api/browse/go.mod?at=abc#{line}"; got != want {
		t.Errorf("Bitbucket: %s, want %s", got, want)
	}
	if got := (Repo{}).LinePermalink("abc", "go.mod"); got != "" {
		t.Errorf("no web address: %q", got)
	}
}
