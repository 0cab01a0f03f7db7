package csvsafe

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"strings"
	"testing"
)

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"main":                    "main",
		"=HYPERLINK(\"x\",\"y\")": "'=HYPERLINK(\"x\",\"y\")",
		"+1":                      "'+1",
		"-2+3":                    "'-2+3",
		"@SUM(A1)":                "'@SUM(A1)",
		"\t=1":                    "'\t=1",
		"\r=1":                    "'\r=1",
		"2.14.1":                  "2.14.1",
		"a=b":                     "a=b",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	w.Write([]string{"repo", "branch"})
	w.Write([]string{"acme/api", "=cmd|' /C calc'!A0"})
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"repo", "branch"}, {"acme/api", "'=cmd|' /C calc'!A0"}}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records %q, want %q", recs, want)
	}
}

// FuzzCell: no cell comes out starting a formula, and the text is kept.
func FuzzCell(f *testing.F) {
	for _, s := range []string{"", "=1+1", "-", "@x", "\tx", "plain", "'=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Cell(s)
		if got != "" && strings.ContainsRune("=+-@\t\r", rune(got[0])) {
			t.Errorf("Cell(%q) = %q starts a formula", s, got)
		}
		if got != s && got != "'"+s {
			t.Errorf("Cell(%q) = %q changes the text", s, got)
		}
	})
}
