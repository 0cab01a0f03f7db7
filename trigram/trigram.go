// Package trigram owns the case-folded trigram sets that both index backends
// store and that the search planner queries: how text is folded, how its
// trigrams are extracted, and the AND/OR query tree over them.
package trigram

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Fold maps r to one fixed representative of its unicode.SimpleFold orbit
// (the smallest rune in it), so that every case variant Go's (?i) accepts
// folds to the same rune. ToLower is not enough: 'K', 'k' and the Kelvin
// sign U+212A all match (?i)k.
func Fold(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return min
}

// FoldString folds every rune of s.
func FoldString(s string) string {
	return strings.Map(Fold, s)
}

// Extract returns the sorted set of trigrams (three consecutive runes of the
// case-folded text, encoded as UTF-8) that occur in text. Invalid UTF-8 bytes
// decode as U+FFFD; callers index valid UTF-8 only.
func Extract(text []byte) []string {
	packed := extractPacked(text)
	// One string holds every trigram and the results are slices of it:
	// one allocation per text instead of one per trigram (a 100 KiB file
	// has about 10,000).
	size := 0
	for _, p := range packed {
		size += packedLen(p)
	}
	var b strings.Builder
	b.Grow(size)
	for _, p := range packed {
		appendPacked(&b, p)
	}
	all := b.String()
	out := make([]string, len(packed))
	off := 0
	for i, p := range packed {
		n := packedLen(p)
		out[i] = all[off : off+n]
		off += n
	}
	return out
}

// extractPacked works on runes packed 21 bits each into a uint64. Code
// repeats its trigrams a lot (a 100 KiB file holds about 100,000
// occurrences of 10,000 distinct ones), so occurrences go through an
// open-addressing set first and only the distinct ones are sorted.
func extractPacked(text []byte) []uint64 {
	set := setPool.Get().(*triSet)
	defer setPool.Put(set)
	set.reset(len(text))
	var (
		a, b rune
		n    int
	)
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(text[i:])
		}
		i += size
		r = Fold(r)
		if n >= 2 {
			set.add(uint64(a)<<42 | uint64(b)<<21 | uint64(r))
		}
		a, b = b, r
		n++
	}
	out := make([]uint64, 0, set.n)
	for _, v := range set.slots {
		if v != 0 {
			out = append(out, v-1)
		}
	}
	sortPacked(out, set)
	return out
}

// sortPacked sorts v. Above a few hundred values it is a least
// significant digit radix sort, one pass per byte, that skips the bytes
// all values share: most code is ASCII, so of a packed trigram's eight
// bytes only about four differ, and the sort is linear where a comparison
// sort took a fifth of the extraction.
func sortPacked(v []uint64, s *triSet) {
	if len(v) < 256 {
		slices.Sort(v)
		return
	}
	var differ uint64 // bits that are not the same in every value
	for _, x := range v {
		differ |= x ^ v[0]
	}
	if cap(s.scratch) < len(v) || cap(s.scratch) > 4*len(v) && cap(s.scratch) > 1<<16 {
		s.scratch = make([]uint64, len(v)) // kept by the pool: not much larger than needed
	}
	src, dst := v, s.scratch[:len(v)]
	for shift := uint(0); shift < 64; shift += 8 {
		if differ>>shift&0xff == 0 {
			continue
		}
		var count [256]int
		for _, x := range src {
			count[x>>shift&0xff]++
		}
		pos := 0
		for i, c := range count {
			count[i] = pos
			pos += c
		}
		for _, x := range src {
			d := x >> shift & 0xff
			dst[count[d]] = x
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &v[0] {
		copy(v, src)
	}
}

// triSet is an open-addressing set of packed trigrams stored plus one, so
// that zero marks an empty slot.
type triSet struct {
	slots   []uint64
	n       int
	scratch []uint64 // sortPacked's second buffer
}

var setPool = sync.Pool{New: func() any { return &triSet{} }}

// reset empties the set, sized for a text of textLen bytes: distinct
// trigrams are at most the bytes, and seldom more than a fraction.
func (s *triSet) reset(textLen int) {
	want := 1024
	for want < textLen/2 {
		want *= 2
	}
	if cap(s.slots) >= want && cap(s.slots) <= 4*want {
		s.slots = s.slots[:want]
		clear(s.slots)
	} else {
		s.slots = make([]uint64, want)
	}
	s.n = 0
}

func (s *triSet) add(v uint64) {
	v++
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := (v * 0x9E3779B97F4A7C15) >> 20 & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case v:
			return
		case 0:
			s.slots[i] = v
			s.n++
			return
		}
	}
}

func (s *triSet) grow() {
	old := s.slots
	s.slots = make([]uint64, 2*len(old))
	s.n = 0
	for _, v := range old {
		if v != 0 {
			s.add(v - 1)
		}
	}
}

const runeMask = 1<<21 - 1

// packedLen is the length in bytes of the UTF-8 form of packed trigram p.
func packedLen(p uint64) int {
	return runeLen(rune(p>>42&runeMask)) + runeLen(rune(p>>21&runeMask)) + runeLen(rune(p&runeMask))
}

// runeLen is what strings.Builder.WriteRune writes for r: an invalid rune
// becomes U+FFFD (decoding never yields one, but the lengths must agree).
func runeLen(r rune) int {
	if n := utf8.RuneLen(r); n > 0 {
		return n
	}
	return utf8.RuneLen(utf8.RuneError)
}

// appendPacked writes the UTF-8 form of packed trigram p.
func appendPacked(b *strings.Builder, p uint64) {
	b.WriteRune(rune(p >> 42 & runeMask))
	b.WriteRune(rune(p >> 21 & runeMask))
	b.WriteRune(rune(p & runeMask))
}

// Of returns the trigrams of an already folded string, in order of
// appearance and without duplicates. A string of fewer than three runes has
// none.
func Of(folded string) []string {
	runes := []rune(folded)
	var out []string
	seen := map[string]bool{}
	for i := 0; i+3 <= len(runes); i++ {
		t := string(runes[i : i+3])
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
