package parser

import "testing"

func TestSelectSpans(t *testing.T) {
	doc := []byte("<project>\n  <a x=\"1\"/>\n  <b><c>v</c></b>\n  <a>t</a>\n</project>\n")
	for _, tc := range []struct {
		xpath string
		want  []string
	}{
		{"/project/a", []string{`<a x="1"/>`, "<a>t</a>"}},
		{"//a[@x]", []string{`<a x="1"/>`}},
		{"//a/@x", []string{`<a x="1"/>`}},
		{"//b[c='v']", []string{"<b><c>v</c></b>"}},
		{"//missing", nil},
	} {
		x, err := ParseXPath(tc.xpath)
		if err != nil {
			t.Fatal(err)
		}
		spans, err := x.Select(doc)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range spans {
			got = append(got, string(doc[s.Start:s.End]))
			if s.SelfClosing != (s.InnerEnd == s.End) {
				t.Errorf("%s: inner end %d, end %d, self-closing %v", tc.xpath, s.InnerEnd, s.End, s.SelfClosing)
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: %q, want %q", tc.xpath, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %q, want %q", tc.xpath, got, tc.want)
			}
		}
		// Count and Select agree on what the expression selects.
		if n := x.Count(mustParse(t, doc)); tc.xpath != "//a/@x" && n != len(spans) {
			t.Errorf("%s: Count %d, Select %d", tc.xpath, n, len(spans))
		}
	}
	x, _ := ParseXPath("/project/b")
	spans, _ := x.Select(doc)
	if len(spans) != 1 || string(doc[spans[0].InnerEnd:spans[0].End]) != "</b>" || len(spans[0].ChildIndents) != 1 {
		t.Errorf("inner end of <b>: %+v", spans)
	}
}

func mustParse(t *testing.T, doc []byte) *node {
	n, err := parseXML(doc)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
