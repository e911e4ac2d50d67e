package match

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// legalSuffixes are the legal-form endings stripped from a name, longest first so that
// the longest one that ends a name is the one removed. Brackets are gone by the time
// they are compared (合伙企业（有限合伙） reads 合伙企业有限合伙). The short forms an ERP
// list uses for a long name (XX集团, XX股份, XX有限) are here too; since stripping repeats,
// XX集团股份 loses both.
var legalSuffixes = sortedLongestFirst([]string{
	"集团股份有限公司", "集团有限责任公司", "股份有限公司", "有限责任公司", "集团有限公司",
	"有限公司", "股份公司", "集团公司", "总公司", "公司", "总厂", "厂",
	"合伙企业有限合伙", "合伙企业普通合伙", "有限合伙", "普通合伙", "合伙企业",
	"个人独资企业", "农民专业合作社", "专业合作社", "合作社",
	"集团", "股份", "有限",
})

// branchMarkers end the name of a branch. They are kept, so that a branch never
// matches its head office: XX有限公司哈尔滨分公司 normalizes to XX哈尔滨分公司, while the
// head office is XX.
var branchMarkers = []string{"分公司", "分厂", "分店", "办事处"}

// sortedLongestFirst orders strings by decreasing length in bytes (which, for these
// lists of Chinese characters, is decreasing length in runes).
func sortedLongestFirst(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ { // insertion sort: the lists are short
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Normalize returns the core of a company name that the index compares:
//
//   - full- and half-width forms folded (golang.org/x/text/width), Latin letters in
//     lower case;
//   - brackets of every width and kind removed with their content kept, and spaces,
//     punctuation (·、. and the like) and symbols removed;
//   - the legal-form ending stripped (有限公司, 股份有限公司, 集团有限公司, 厂, 合伙企业
//     （有限合伙）…), except that a branch keeps its 分公司 (see branchMarkers);
//   - leading administrative names stripped (黑龙江省, 哈尔滨市, 南岗区; see admin.go).
//
// Stripping repeats until nothing changes, so Normalize is idempotent, and a strip
// that would leave fewer than MinRunes runes is not made, so the core is never empty.
// A name is refused with an *InputError when it is not UTF-8, longer than MaxRunes, or
// has fewer than MinRunes letters and digits.
func Normalize(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", inputError(strings.ToValidUTF8(name, "\uFFFD"), ErrInvalidUTF8)
	}
	if utf8.RuneCountInString(name) > MaxRunes {
		return "", inputError(name, ErrTooLong)
	}
	s := fold(name)
	switch utf8.RuneCountInString(s) {
	case 0:
		return "", inputError(name, ErrEmpty)
	case 1:
		return "", inputError(name, ErrTooShort)
	}
	for {
		t := stripOnce(s)
		if t == s {
			return s, nil
		}
		s = t
	}
}

// fold keeps the letters and digits of s, width-folded and in lower case. A name of
// common Chinese characters, lower-case letters and digits only is returned as it is.
func fold(s string) string {
	plain := true
	for _, r := range s {
		if !('\u4e00' <= r && r <= '\u9fff' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	s = width.Fold.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// stripOnce makes one round of stripping: the legal-form ending (or, for a branch, the
// head office's legal form before the branch's name), then one leading administrative
// name. Each strip keeps at least MinRunes runes.
func stripOnce(s string) string {
	if head, marker, ok := cutBranch(s); ok {
		s = stripInnerLegal(head) + marker
	} else if n := legalSuffix(s); n > 0 {
		s = s[:len(s)-n]
	}
	if n := adminPrefix(s); n > 0 {
		s = s[n:]
	}
	return s
}

// legalSuffix returns the byte length of the longest legal-form ending of s, or 0 when
// there is none or when removing it would leave fewer than MinRunes runes.
func legalSuffix(s string) int {
	for _, suf := range legalSuffixes {
		if strings.HasSuffix(s, suf) {
			if utf8.RuneCountInString(s[:len(s)-len(suf)]) < MinRunes {
				return 0
			}
			return len(suf)
		}
	}
	return 0
}

// cutBranch splits a branch's name before its marker (分公司…) when something is left
// before it.
func cutBranch(s string) (head, marker string, ok bool) {
	for _, m := range branchMarkers {
		if h, found := strings.CutSuffix(s, m); found && h != "" {
			return h, m, true
		}
	}
	return s, "", false
}

// stripInnerLegal removes the head office's legal form from the part of a branch's
// name before its marker: in XX股份有限公司哈尔滨 the last 公司 ends the longest legal
// form 股份有限公司, which goes, giving XX哈尔滨.
func stripInnerLegal(head string) string {
	i := strings.LastIndex(head, "公司")
	if i < 0 {
		return head
	}
	end := i + len("公司")
	if n := legalSuffix(head[:end]); n > 0 {
		return head[:end-n] + head[end:]
	}
	return head
}
