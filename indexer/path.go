package indexer

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Paths in git are byte strings; JSON, Elasticsearch and most displays need
// valid UTF-8 and choke on control characters. Every path the crawler stores
// is therefore in the escaped form EscapePath makes, and UnescapePath gives
// back the exact bytes git holds (for a permalink or a lookup in git).
//
// The escaped form is the path itself for ordinary paths: valid UTF-8 with
// no control character and no backslash. Otherwise:
//   - each byte that is not part of valid UTF-8, and each byte of a control
//     character (C0, DEL, C1), is written \xNN (two lower-case hex digits);
//   - a backslash is written \\.
//
// The form is injective (UnescapePath inverts it), so two different git
// paths never share an escaped path.

// EscapePath returns the stored form of the git path raw.
func EscapePath(raw string) string {
	if !needsEscape(raw) {
		return raw
	}
	var b strings.Builder
	b.Grow(len(raw) + 8)
	for i := 0; i < len(raw); {
		r, n := utf8.DecodeRuneInString(raw[i:])
		switch {
		case r == utf8.RuneError && n <= 1, unicode.IsControl(r):
			for _, c := range []byte(raw[i : i+n]) {
				b.WriteString(`\x`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&15])
			}
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(raw[i : i+n])
		}
		i += n
	}
	return b.String()
}

const hexDigits = "0123456789abcdef"

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '\\' || c >= 0x80 {
			if c < 0x80 {
				return true
			}
			// Non-ASCII: only invalid UTF-8 and C1 controls need escaping.
			for _, r := range s[i:] {
				if r == utf8.RuneError || unicode.IsControl(r) || r == '\\' {
					return true
				}
			}
			return false
		}
	}
	return false
}

// ErrBadEscape is returned by UnescapePath for text EscapePath cannot have
// made.
var ErrBadEscape = errors.New("not an escaped path")

// UnescapePath returns the git path whose stored form is p. A p that
// EscapePath cannot have produced (a lone backslash, \x without two hex
// digits) is an error wrapping ErrBadEscape.
func UnescapePath(p string) (string, error) {
	if !strings.Contains(p, `\`) {
		return p, nil
	}
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		switch {
		case i+1 < len(p) && p[i+1] == '\\':
			b.WriteByte('\\')
			i++
		case i+3 < len(p) && p[i+1] == 'x' && isHex(p[i+2]) && isHex(p[i+3]):
			b.WriteByte(unhex(p[i+2])<<4 | unhex(p[i+3]))
			i += 3
		default:
			return "", ErrBadEscape
		}
	}
	return b.String(), nil
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}
