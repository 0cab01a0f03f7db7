package trigram

import (
	"fmt"
	"strings"
	"testing"
)

// TestMask checks that a mask holds every trigram of its text, case folded
// as the planner folds queries, and rejects most of those it lacks.
func TestMask(t *testing.T) {
	var b strings.Builder
	for i := range 400 {
		fmt.Fprintf(&b, "func handler%d(w http.ResponseWriter, r *http.Request) { // Straße %d\n", i, i*7)
	}
	text := []byte(b.String())
	m := NewMask(text)
	for _, tri := range Extract(text) {
		if !m.Has(tri) {
			t.Fatalf("mask lacks %q, a trigram of its text", tri)
		}
	}
	for _, tri := range Of(FoldString("RESPONSEWRITER STRASSE straße")) {
		if tri != FoldString(tri) {
			t.Fatalf("Of gave unfolded %q", tri)
		}
	}
	if !(&Query{Op: OpTri, Tri: FoldString("str")}).Eval(m.Has) || !Tri(FoldString("aße")).Eval(m.Has) {
		t.Error("a folded trigram of the text is rejected")
	}
	absent, passed := 0, 0
	for _, tri := range Of(FoldString("zqxjvkwq09876!@#$%^&*~`ZQXJ|}{yyyppp")) {
		if strings.Contains(strings.ToUpper(string(text)), tri) {
			continue
		}
		absent++
		if m.Has(tri) {
			passed++
		}
	}
	if absent < 20 || passed*2 > absent {
		t.Errorf("%d of %d absent trigrams pass the mask", passed, absent)
	}
	if !Mask(nil).Has("abc") || !m.Has("ab") {
		t.Error("a mask of the wrong size, or a string that is no trigram, must admit")
	}
}
