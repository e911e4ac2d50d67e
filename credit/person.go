package credit

import (
	"strings"
	"unicode/utf8"
)

var residentIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// IsResidentID reports whether s is shaped like an 18-character resident
// identity number of GB 11643-1999: 17 digits and the check character
// "10X98765432"[Σ digit·weight mod 11] (x accepted for X). The Validator
// rejects such a value as a person_id, so raw identity numbers are never
// stored; the birth date and region are not checked, which errs towards
// rejecting.
func IsResidentID(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i, w := range residentIDWeights {
		d := s[i]
		if d < '0' || d > '9' {
			return false
		}
		sum += int(d-'0') * w
	}
	c := s[17]
	if c == 'x' {
		c = 'X'
	}
	return c == "10X98765432"[sum%11]
}

// compoundSurnames are the common two-character surnames MaskName keeps whole.
var compoundSurnames = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Fields(`欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒
		夏侯 轩辕 令狐 钟离 端木 独孤 南宫 万俟 闻人 澹台 公冶 太史 申屠 赫连 呼延 拓跋 百里 东郭 西门 第五`) {
		m[s] = true
	}
	return m
}()

// MaskName shows a natural person's surname only: the first character and
// "*" (张三 → 张*), or the first two when they are a common compound surname
// and a given name follows (欧阳娜娜 → 欧阳*). Counted in characters, not
// bytes; "" stays "".
func MaskName(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return ""
	}
	_, n1 := utf8.DecodeRuneInString(name)
	if _, n2 := utf8.DecodeRuneInString(name[n1:]); n2 > 0 && utf8.RuneCountInString(name) > 2 && compoundSurnames[name[:n1+n2]] {
		return name[:n1+n2] + "*"
	}
	return name[:n1] + "*"
}
