package trigram

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// naive is the definition Extract must agree with.
func naive(text []byte) []string {
	runes := []rune(string(text))
	set := map[string]bool{}
	for i := 0; i+3 <= len(runes); i++ {
		set[FoldString(string(runes[i:i+3]))] = true
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

func TestExtractMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("aAbBkK\u212aßsſΣσς \n\r\t{}()0123456789é名")
	for n := range 400 {
		var b strings.Builder
		for range r.IntN(n*8 + 1) {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		text := []byte(b.String())
		got, want := Extract(text), naive(text)
		if !slices.Equal(got, want) {
			t.Fatalf("Extract(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestFoldOrbits(t *testing.T) {
	for _, group := range []string{"kK\u212a", "sSſ", "σςΣ", "ǆǅǄ"} {
		runes := []rune(group)
		for _, r := range runes[1:] {
			if Fold(r) != Fold(runes[0]) {
				t.Errorf("Fold(%q) = %q, Fold(%q) = %q: same orbit, different folds", r, Fold(r), runes[0], Fold(runes[0]))
			}
		}
	}
	if Fold('a') == Fold('b') {
		t.Error("a and b fold together")
	}
}

func TestQuerySimplifies(t *testing.T) {
	a, b := Tri("abc"), Tri("bcd")
	cases := []struct{ got, want string }{
		{And(All(), a).String(), `"abc"`},
		{And(None(), a).String(), "none"},
		{Or(All(), a).String(), "all"},
		{Or(None(), a).String(), `"abc"`},
		{And(a, And(b, a)).String(), `(and "abc" "bcd")`},
		{Or(b, Or(a, b)).String(), `(or "abc" "bcd")`},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
	has := func(s string) bool { return s == "abc" }
	if !Or(a, b).Eval(has) || And(a, b).Eval(has) {
		t.Error("Eval disagrees with And/Or")
	}
}

// BenchmarkExtract runs over Go's own sources, a realistic code corpus.
func BenchmarkExtract(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "net", "http", "*.go"))
	var texts [][]byte
	size := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err == nil && utf8.Valid(data) {
			texts = append(texts, data)
			size += len(data)
		}
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, t := range texts {
			Extract(t)
		}
	}
}

// TestSortPacked: the radix sort agrees with a comparison sort, on values
// that differ in every byte and on values that share most bytes (the
// passes it skips), below and above the size where it takes over.
func TestSortPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := &triSet{}
	for _, n := range []int{0, 1, 255, 256, 257, 1000, 5000} {
		for _, mask := range []uint64{1<<63 - 1, 0x7f_0000_7f00, 0xff00_0000_00ff} {
			v := make([]uint64, n)
			for i := range v {
				v[i] = r.Uint64()&mask | 0x10_0000_0000
			}
			want := slices.Clone(v)
			slices.Sort(want)
			sortPacked(v, s)
			if !slices.Equal(v, want) {
				t.Fatalf("n=%d mask=%x: not sorted", n, mask)
			}
		}
	}
}
