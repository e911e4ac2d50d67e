// Package heilongjiang holds the vocabulary both demo generators draw from: the
// province's division codes, fictional brand words for firm names, and organisation
// codes (GB 11714) that complete a USCC.
package heilongjiang

import (
	"fmt"

	"github.com/chainrisk/chainrisk/credit"
)

// Region is a division code of Heilongjiang with the city name firms there carry.
type Region struct {
	Code string
	City string
}

// Regions lists the division codes the demo data uses: Harbin (city and districts) and
// the other prefecture-level divisions.
var Regions = []Region{
	{"230100", "哈尔滨"},
	{"230102", "哈尔滨"}, // 道里区
	{"230103", "哈尔滨"}, // 南岗区
	{"230104", "哈尔滨"}, // 道外区
	{"230108", "哈尔滨"}, // 平房区
	{"230109", "哈尔滨"}, // 松北区
	{"230110", "哈尔滨"}, // 香坊区
	{"230111", "哈尔滨"}, // 呼兰区
	{"230112", "哈尔滨"}, // 阿城区
	{"230113", "哈尔滨"}, // 双城区
	{"230200", "齐齐哈尔"},
	{"230300", "鸡西"},
	{"230400", "鹤岗"},
	{"230500", "双鸭山"},
	{"230600", "大庆"},
	{"230700", "伊春"},
	{"230800", "佳木斯"},
	{"230900", "七台河"},
	{"231000", "牡丹江"},
	{"231100", "黑河"},
	{"231200", "绥化"},
	{"232700", "大兴安岭"},
}

// City returns the city name of a division code, or "" when the code is not listed.
func City(code string) string {
	for _, r := range Regions {
		if r.Code == code {
			return r.City
		}
	}
	return ""
}

// Court names the intermediate people's court of a division.
func Court(code string) string {
	c := City(code)
	if c == "大兴安岭" {
		return "大兴安岭地区中级人民法院"
	}
	return c + "市中级人民法院"
}

// Authority prefixes a municipal body with the division's city, e.g. 齐齐哈尔市 + 市场监督管理局.
func Authority(code, body string) string {
	c := City(code)
	if c == "大兴安岭" {
		return "大兴安岭地区" + body
	}
	return c + "市" + body
}

// Brands and Marks combine into the brand part of a firm name (松花江 + 恒信). The
// words are deliberately generic; every firm built from them is fictional. A city adds
// its own nicknames and landmarks (LocalBrands).
var (
	Brands = []string{
		"龙江", "松花江", "三江", "兴安", "北疆", "黑土", "寒地", "雪原", "嫩江", "界江",
		"北极", "黑水", "白山", "北大仓", "沃土",
	}
	LocalBrands = map[string][]string{
		"哈尔滨":  {"冰城", "太阳岛"},
		"齐齐哈尔": {"鹤乡", "鹤城"},
		"大庆":   {"油城", "百湖"},
		"伊春":   {"林都", "红松"},
		"牡丹江":  {"镜泊", "雪乡"},
		"鸡西":   {"兴凯湖"},
		"双鸭山":  {"乌苏里"},
		"佳木斯":  {"东极"},
		"黑河":   {"瑷珲"},
		"大兴安岭": {"北极村", "林海"},
	}
	Marks = []string{
		"恒信", "金禾", "丰泽", "瑞达", "鑫源", "华盛", "宏达", "益农", "振兴", "盛通",
		"通达", "远航", "佳禾", "润泽", "德隆", "永泰", "金穗", "沃野", "天润", "嘉和",
		"正阳", "长青", "博远", "隆盛", "北辰", "嘉禾", "众诚", "万通", "宏图", "福瑞",
	}
)

// BrandsFor lists the brand words a firm in division code may carry.
func BrandsFor(code string) []string {
	local := LocalBrands[City(code)]
	return append(append(make([]string, 0, len(Brands)+len(local)), Brands...), local...)
}

// Registration-type prefixes of a USCC: registered by the market regulator (9), as an
// enterprise (1) or a farmers' cooperative (3).
const (
	PrefixEnterprise  = "91"
	PrefixCooperative = "93"
)

// OrgAlphabet is the part of the GB 11714 alphabet that is also USCC charset, so that
// every generated code passes both checks.
const OrgAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// AppendOrgCode appends the 8 symbols of body (from OrgAlphabet) and their GB 11714
// check character: a 9-character organisation code, positions 9–17 of a USCC.
func AppendOrgCode(dst []byte, body *[8]byte) []byte {
	sum := 0
	for i, c := range body {
		v := int(c - '0')
		if c >= 'A' {
			v = int(c-'A') + 10
		}
		sum += v * orgWeights[i]
	}
	dst = append(dst, body[:]...)
	switch c := 11 - sum%11; c {
	case 10:
		return append(dst, 'X')
	case 11:
		return append(dst, '0')
	default:
		return append(dst, byte('0'+c))
	}
}

// IndexSpace is how many distinct bodies IndexBody numbers: 31^6.
const IndexSpace = 31 * 31 * 31 * 31 * 31 * 31

// IndexBody writes the body "MA" + six symbols numbering x (0 ≤ x < IndexSpace), in the
// style of codes issued since 2015. Distinct x give distinct bodies.
func IndexBody(body *[8]byte, x uint64) {
	body[0], body[1] = 'M', 'A'
	for i := 7; i >= 2; i-- {
		body[i] = OrgAlphabet[x%31]
		x /= 31
	}
}

// USCC builds the code of a firm from its registration prefix (PrefixEnterprise or
// PrefixCooperative), division code and organisation code body.
func USCC(prefix, region string, body *[8]byte) (string, error) {
	if len(prefix) != 2 || len(region) != 6 {
		return "", fmt.Errorf("bad USCC parts %q %q", prefix, region)
	}
	b := make([]byte, 0, 18)
	b = append(b, prefix...)
	b = append(b, region...)
	b = AppendOrgCode(b, body)
	return credit.MakeUSCC(string(b))
}
