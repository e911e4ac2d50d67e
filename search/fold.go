package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold maps a name or a query to the form the index compares: Latin letters in lower
// case, full-width ASCII forms (ＡＢＣ１２３) as ASCII, the ideographic space as a space.
// Chinese characters are unchanged, and a string without anything to fold is
// returned as it is, without a copy.
func Fold(s string) string {
	for i, r := range s {
		if foldRune(r) != r {
			var b strings.Builder
			b.Grow(len(s))
			b.WriteString(s[:i])
			for _, r := range s[i:] {
				b.WriteRune(foldRune(r))
			}
			return b.String()
		}
	}
	return s
}

// foldRune folds one rune (Fold).
func foldRune(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	case r == 0x3000: // ideographic space
		return ' '
	case 0x3000 < r && r < 0xA640: // CJK symbols, kana, ideographs, Yi: no case
		return r
	case 0xFF01 <= r && r <= 0xFF5E: // full-width ASCII
		return foldRune(r - 0xFEE0)
	}
	return unicode.ToLower(r)
}

// usccQuery returns text in upper case when it may begin a USCC (1 to 18 ASCII
// letters and digits), else "".
func usccQuery(text string) string {
	if len(text) == 0 || len(text) > 18 {
		return ""
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return ""
		}
	}
	return strings.ToUpper(text)
}
