package match

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// The administrative names stripped from the start of a name. They are lists, not a
// gazetteer: a name written with a division that is missing here keeps that prefix,
// which costs a fuzzy match its exactness but never makes a wrong one. To extend them,
// add the division to the list of its level — the full form (with 省, 市, 自治区, 区
// or 县), and for provinces and prefecture-level cities also the short form, which is
// derived here — and add a case to the table test.

// provinces lists the province-level divisions in full form; the short form (黑龙江,
// 广西, 上海) is stripped as well.
var provinces = []struct{ full, short string }{
	{"北京市", "北京"}, {"天津市", "天津"}, {"上海市", "上海"}, {"重庆市", "重庆"},
	{"河北省", "河北"}, {"山西省", "山西"}, {"辽宁省", "辽宁"}, {"吉林省", "吉林"},
	{"黑龙江省", "黑龙江"}, {"江苏省", "江苏"}, {"浙江省", "浙江"}, {"安徽省", "安徽"},
	{"福建省", "福建"}, {"江西省", "江西"}, {"山东省", "山东"}, {"河南省", "河南"},
	{"湖北省", "湖北"}, {"湖南省", "湖南"}, {"广东省", "广东"}, {"海南省", "海南"},
	{"四川省", "四川"}, {"贵州省", "贵州"}, {"云南省", "云南"}, {"陕西省", "陕西"},
	{"甘肃省", "甘肃"}, {"青海省", "青海"}, {"台湾省", "台湾"},
	{"内蒙古自治区", "内蒙古"}, {"广西壮族自治区", "广西"}, {"西藏自治区", "西藏"},
	{"宁夏回族自治区", "宁夏"}, {"新疆维吾尔自治区", "新疆"},
	{"香港特别行政区", "香港"}, {"澳门特别行政区", "澳门"},
}

// cities lists prefecture-level cities by their short name: every one of
// Heilongjiang, the provincial capitals and other large cities. Both the short form and
// the form with 市 are stripped. Names that are also common words (中山, 东方) are
// not listed here, so that a brand starting with them is kept.
var cities = []string{
	// Heilongjiang
	"哈尔滨", "齐齐哈尔", "鸡西", "鹤岗", "双鸭山", "大庆", "伊春", "佳木斯", "七台河",
	"牡丹江", "黑河", "绥化",
	// capitals and other large cities
	"石家庄", "唐山", "太原", "呼和浩特", "包头", "沈阳", "大连", "长春", "南京", "苏州",
	"无锡", "杭州", "宁波", "温州", "合肥", "福州", "厦门", "南昌", "济南", "青岛", "烟台",
	"郑州", "洛阳", "武汉", "长沙", "广州", "深圳", "东莞", "佛山", "南宁", "海口", "成都",
	"贵阳", "昆明", "拉萨", "西安", "兰州", "西宁", "银川", "乌鲁木齐",
}

// counties lists county-level divisions in full form only (南岗区, 五常市, 宾县): their
// short forms are too often ordinary words. Given: Harbin's districts and counties,
// Daqing's districts, and the prefecture 大兴安岭地区.
var counties = []string{
	"道里区", "南岗区", "道外区", "平房区", "松北区", "香坊区", "呼兰区", "阿城区", "双城区",
	"五常市", "尚志市", "宾县", "依兰县", "方正县", "巴彦县", "木兰县", "通河县", "延寿县",
	"萨尔图区", "龙凤区", "让胡路区", "红岗区", "大同区", "肇州县", "肇源县", "林甸县",
	"杜尔伯特蒙古族自治县", "大兴安岭地区", "大兴安岭",
}

// adminByFirst lists every form to strip by its first rune, longest first.
var adminByFirst = func() map[rune][]string {
	var all []string
	for _, p := range provinces {
		all = append(all, p.full, p.short)
	}
	for _, c := range cities {
		all = append(all, c, c+"市")
	}
	all = append(all, counties...)
	by := make(map[rune][]string)
	for _, s := range all {
		r, _ := utf8.DecodeRuneInString(s)
		if !slices.Contains(by[r], s) {
			by[r] = append(by[r], s)
		}
	}
	for r, l := range by {
		by[r] = sortedLongestFirst(l)
	}
	return by
}()

// adminPrefix returns the byte length of the longest administrative name that starts
// s, or 0 when none does or when the longest would leave fewer than MinRunes runes (a
// firm called 黑龙江省有限公司 keeps 黑龙江省 as its core, and 广西壮族自治区 is not read
// as 广西 followed by a name).
func adminPrefix(s string) int {
	r, _ := utf8.DecodeRuneInString(s)
	for _, name := range adminByFirst[r] {
		if strings.HasPrefix(s, name) {
			if utf8.RuneCountInString(s[len(name):]) < MinRunes {
				return 0
			}
			return len(name)
		}
	}
	return 0
}
