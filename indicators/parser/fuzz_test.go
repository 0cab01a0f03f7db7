package parser

import "testing"

// FuzzXPath checks that any expression either fails to compile or counts
// without panicking.
func FuzzXPath(f *testing.F) {
	f.Add("//*[local-name()='project']/*", "<project><a/><b x='1'/></project>")
	f.Fuzz(func(t *testing.T, expr, doc string) {
		x, err := ParseXPath(expr)
		if err != nil {
			return
		}
		if root, err := parseXML([]byte(doc)); err == nil {
			if n := x.Count(root); n < 0 {
				t.Fatalf("negative count %d", n)
			}
		}
	})
}

// FuzzJSONPath checks that any path either fails to compile or answers a
// value or a sentinel without panicking.
func FuzzJSONPath(f *testing.F) {
	f.Add("$.a[0]", `{"a": ["x"]}`)
	f.Fuzz(func(t *testing.T, expr, doc string) {
		p, err := ParseJSONPath(expr)
		if err != nil {
			return
		}
		_ = jsonValue([]byte(doc), p)
	})
}
