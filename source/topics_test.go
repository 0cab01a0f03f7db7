package source

import "testing"

func TestTopics(t *testing.T) {
	none, err := CompileTopics(nil, nil)
	if err != nil || !none.None() || !none.Keep(nil) || !none.Keep([]string{"x"}) {
		t.Fatalf("no patterns: %v, None %v", err, none.None())
	}
	f, err := CompileTopics([]string{"^go$", "^pay"}, []string{"^deprecated$"})
	if err != nil || f.None() {
		t.Fatal(err)
	}
	for _, c := range []struct {
		topics []string
		want   bool
	}{
		{[]string{"go"}, true},
		{[]string{"rust", "payments"}, true},
		{[]string{"golang"}, false},
		{nil, false},
		{[]string{"go", "deprecated"}, false},
	} {
		if got := f.Keep(c.topics); got != c.want {
			t.Errorf("Keep(%q) = %v, want %v", c.topics, got, c.want)
		}
	}
	only, _ := CompileTopics(nil, []string{"^archive"})
	if !only.Keep(nil) || only.Keep([]string{"archived"}) {
		t.Error("an exclude-only filter must keep the rest and drop what it matches")
	}
	if _, err := CompileTopics([]string{"ok"}, []string{"("}); err == nil {
		t.Error("a bad exclude pattern compiled")
	}
}
