package search

import (
	"bytes"
	"testing"
)

// TestLowerASCII: the eight-bytes-at-a-time lowering equals the byte loop
// on every byte value at every offset, and leaves non-ASCII bytes alone.
func TestLowerASCII(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	text := append(bytes.Repeat(all, 3), "Straße ÄÖÜ KELVIN \u212a @[`{ AZaz"...)
	for off := range 9 {
		in := text[off:]
		want := make([]byte, len(in))
		for i, c := range in {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			want[i] = c
		}
		if got := lowerASCII(nil, in); !bytes.Equal(got, want) {
			t.Fatalf("offset %d: lowerASCII differs from the byte loop", off)
		}
	}
	buf := make([]byte, 0, 4)
	if got := lowerASCII(buf, []byte("ABCDEFGHIJ")); string(got) != "abcdefghij" {
		t.Errorf("grown buffer: %q", got)
	}
}

func FuzzLowerASCII(f *testing.F) {
	f.Add([]byte("Hello, WORLD ÿ"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got := lowerASCII(nil, in)
		for i, c := range in {
			w := c
			if 'A' <= c && c <= 'Z' {
				w += 'a' - 'A'
			}
			if got[i] != w {
				t.Fatalf("byte %d: %q -> %q, want %q", i, c, got[i], w)
			}
		}
	})
}
