package trigram

import "unicode/utf8"

// MaskBytes is the size of a Mask: 4,096 bits. A 16 KiB piece of code
// holds some 2,000 to 5,000 distinct trigrams, which set about half of
// them, so a literal of ten trigrams passes a piece that lacks it about
// once in a thousand.
const MaskBytes = 512

// Mask is a one-hash Bloom filter of the trigrams of a piece of text: every
// trigram the text holds has its bit set, and a trigram it lacks may have
// too. Evaluating a Query on Mask.Has tells which pieces of a large text
// cannot hold a match and need not be read.
type Mask []byte

// NewMask returns the mask of text's trigrams, folded as Extract folds them.
func NewMask(text []byte) Mask {
	m := make(Mask, MaskBytes)
	for _, p := range extractPacked(text) {
		i := maskBit(p)
		m[i/8] |= 1 << (i % 8)
	}
	return m
}

// Has reports whether the trigram tri (folded, as Extract and Of return
// them) may be in the text; false is certain. A mask of the wrong size
// admits everything.
func (m Mask) Has(tri string) bool {
	if len(m) != MaskBytes {
		return true
	}
	var p uint64
	n := 0
	for _, r := range tri {
		p = p<<21 | uint64(r)
		n++
	}
	if n != 3 || !utf8.ValidString(tri) {
		return true
	}
	i := maskBit(p)
	return m[i/8]&(1<<(i%8)) != 0
}

// maskBit is packed trigram p's bit: the top 12 bits of a Fibonacci hash.
// It is part of the stored format of masks, so it never changes.
func maskBit(p uint64) uint64 { return (p * 0x9E3779B97F4A7C15) >> (64 - 12) }
