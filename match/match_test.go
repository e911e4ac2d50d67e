package match

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
)

// testFirms are the firms the table test matches against; the comment gives each
// one's core.
var testFirms = []Firm{
	{USCC: "F01", Name: "哈尔滨东北轻合金有限责任公司", Region: "230100"}, // 东北轻合金
	{USCC: "F02", Name: "黑龙江飞鹤乳业有限公司", Region: "230200"},    // 飞鹤乳业
	{USCC: "F03", Name: "大庆华科股份有限公司", Region: "230600"},     // 华科
	{USCC: "F04", Name: "哈尔滨电机厂有限责任公司", Region: "230100"},   // 电机
	{USCC: "F05", Name: "北大荒农垦集团有限公司", Region: "230100"},    // 北大荒农垦
	{USCC: "F06", Name: "黑龙江北大荒农业股份有限公司", Region: "230100"}, // 北大荒农业
	{USCC: "F07", Name: "华润雪花啤酒（黑龙江）有限公司", Region: "230100", // 华润雪花啤酒黑龙江
		FormerNames: []string{"哈尔滨啤酒有限公司"}}, // 啤酒
	{USCC: "F08", Name: "中国石油天然气股份有限公司大庆石化分公司", Region: "230600"}, // 中国石油天然气大庆石化分公司
	{USCC: "F09", Name: "中国石油天然气股份有限公司", Region: "110000"},        // 中国石油天然气
	{USCC: "F10", Name: "哈尔滨松雷商业有限公司", Region: "230100"},          // 松雷商业
	{USCC: "F11", Name: "牡丹江松雷商业有限公司", Region: "231000"},          // 松雷商业
	{USCC: "F12", Name: "ABC科技（哈尔滨）有限公司", Region: "230100"},       // abc科技哈尔滨
	{USCC: "F13", Name: "哈药集团制药总厂", Region: "230100"},             // 哈药集团制药
	{USCC: "F14", Name: "黑龙江省有限公司", Region: "230100"},             // 黑龙江省
	{USCC: "F15", Name: "齐齐哈尔第一机床厂", Region: "230200"},            // 第一机床
	{USCC: "F16", Name: "哈尔滨秋林集团股份有限公司", Region: "230100"},        // 秋林
	{USCC: "F17", Name: "黑龙江龙煤矿业控股集团有限责任公司", Region: "230100"},    // 龙煤矿业控股
	{USCC: "F18", Name: "哈尔滨哈工大机器人集团股份有限公司", Region: "230100"},    // 哈工大机器人
	{USCC: "F20", Name: "绥化象屿金谷生化科技有限公司", Region: "231200"},       // 象屿金谷生化科技
	{USCC: "F21", Name: "哈尔滨创新投资合伙企业（有限合伙）", Region: "230100"},    // 创新投资
	{USCC: "F22", Name: "上海宝钢包装股份有限公司", Region: "310000"},         // 宝钢包装
	{USCC: "F23", Name: "广西壮族自治区柳州钢铁集团有限公司", Region: "450200"},    // 柳州钢铁
	{USCC: "F24", Name: "中粮生化能源（龙江）有限公司", Region: "230200"},       // 中粮生化能源龙江
	{USCC: "F25", Name: "黑龙江建三江七星现代农业综合开发有限公司", Region: "230800"}, // 建三江七星现代农业综合开发
}

// TestMatch works through the shapes supplier lists write names in. Scores are bigram
// Dice 2s/(q+c) over the cores' distinct bigrams (s shared, q and c in all), plus 0.05
// in the hinted region.
func TestMatch(t *testing.T) {
	ix := NewIndex(testFirms)
	if ix.Len() != len(testFirms) || len(ix.Skipped()) != 0 {
		t.Fatalf("indexed %d firms, skipped %v", ix.Len(), ix.Skipped())
	}
	for _, c := range []struct {
		name, region, uscc string
		status             Status
		want               string  // the chosen USCC
		conf               float64 // its confidence
		cands              string  // the candidates' USCCs, best first, when checked
	}{
		// exact: the same core, written in other ways
		{"哈尔滨东北轻合金有限责任公司", "", "", StatusExact, "F01", 1, ""},
		{"东北轻合金有限责任公司", "", "", StatusExact, "F01", 1, ""},
		{"黑龙江省哈尔滨市东北轻合金有限公司", "", "", StatusExact, "F01", 1, ""},
		{"东北轻合金", "", "", StatusExact, "F01", 1, ""},
		{"东北轻合金股份有限公司", "", "", StatusExact, "F01", 1, ""},
		{"黑龙江飞鹤乳业有限公司", "", "", StatusExact, "F02", 1, ""},
		{"飞鹤乳业（集团）有限公司", "", "", StatusExact, "F02", 1, ""},
		{"黑龙江 飞鹤 乳业 有限公司", "", "", StatusExact, "F02", 1, ""},
		{"大庆华科股份有限公司", "", "", StatusExact, "F03", 1, ""},
		{"华科有限公司", "", "", StatusExact, "F03", 1, ""},
		{"哈尔滨电机厂", "", "", StatusExact, "F04", 1, ""},
		{"北大荒农垦集团有限公司", "", "", StatusExact, "F05", 1, ""},
		{"北大荒农垦集团", "", "", StatusExact, "F05", 1, ""},
		{"北大荒农业股份有限公司", "", "", StatusExact, "F06", 1, ""},
		{"华润雪花啤酒(黑龙江)有限公司", "", "", StatusExact, "F07", 1, ""},
		{"华润雪花啤酒【黑龙江】有限公司", "", "", StatusExact, "F07", 1, ""},
		{"ＡＢＣ科技（哈尔滨）有限公司", "", "", StatusExact, "F12", 1, ""},
		{"abc科技(哈尔滨)有限公司", "", "", StatusExact, "F12", 1, ""},
		{"A B C 科技 哈尔滨 有限公司", "", "", StatusExact, "F12", 1, ""},
		{"哈药集团制药总厂", "", "", StatusExact, "F13", 1, ""},
		{"黑龙江省有限公司", "", "", StatusExact, "F14", 1, ""},
		{"齐齐哈尔第一机床厂", "", "", StatusExact, "F15", 1, ""},
		{"第一机床有限公司", "", "", StatusExact, "F15", 1, ""},
		{"秋林集团", "", "", StatusExact, "F16", 1, ""},
		{"秋林股份", "", "", StatusExact, "F16", 1, ""},
		{"黑龙江龙煤矿业控股有限公司", "", "", StatusExact, "F17", 1, ""},
		{"哈工大机器人集团", "", "", StatusExact, "F18", 1, ""},
		{"哈尔滨创新投资合伙企业(有限合伙)", "", "", StatusExact, "F21", 1, ""},
		{"创新投资有限合伙", "", "", StatusExact, "F21", 1, ""},
		{"上海宝钢包装股份有限公司", "", "", StatusExact, "F22", 1, ""},
		{"宝钢包装有限公司", "", "", StatusExact, "F22", 1, ""},
		{"广西柳州钢铁集团有限公司", "", "", StatusExact, "F23", 1, ""},
		{"中粮生化能源(龙江)有限公司", "", "", StatusExact, "F24", 1, ""},
		// 曾用名: the former name's core 啤酒
		{"哈尔滨啤酒有限公司", "", "", StatusExact, "F07", 1, "F07"},
		// a branch and its head office are told apart
		{"中国石油天然气股份有限公司大庆石化分公司", "", "", StatusExact, "F08", 1, ""},
		{"中国石油天然气有限公司大庆石化分公司", "", "", StatusExact, "F08", 1, ""},
		{"中国石油天然气股份有限公司", "", "", StatusExact, "F09", 1, ""},
		// another branch: 中国石油天然气哈尔滨分公司, 12 bigrams; F09 shares 6 of its 6:
		// 12/18 = 0.667; F08 shares 8 of 13: 16/25 = 0.64
		{"中国石油天然气股份有限公司哈尔滨分公司", "", "", StatusAmbiguous, "", 0, "F09 F08"},
		// 石化分公司 (大庆 stripped): F08 shares 4 of 13, 8/17 = 0.47 < 0.5
		{"大庆石化分公司", "", "", StatusNone, "", 0, ""},
		// the same core in two cities: the region hint may break the tie
		{"松雷商业有限公司", "", "", StatusAmbiguous, "", 0, "F10 F11"},
		{"哈尔滨松雷商业有限公司", "", "", StatusAmbiguous, "", 0, "F10 F11"},
		{"松雷商业有限公司", "231000", "", StatusExact, "F11", tieBreakConfidence, "F11 F10"},
		{"松雷商业有限公司", "230103", "", StatusExact, "F10", tieBreakConfidence, "F10 F11"},
		{"松雷商业有限公司", "230000", "", StatusAmbiguous, "", 0, "F10 F11"},
		// a USCC hint confirms, resolves a tie, or is ignored when unknown
		{"东北轻合金有限公司", "", "F01", StatusExact, "F01", 1, ""},
		{"松雷商业有限公司", "", "F11", StatusExact, "F11", 1, ""},
		{"东北轻合金有限公司", "", "91230100XXXXXXXXXX", StatusExact, "F01", 1, ""},
		// typos. 北大荒农牧: 3 of 4 bigrams shared with F05 and F06, 6/8 = 0.75 each
		{"北大荒农牧有限公司", "", "", StatusAmbiguous, "", 0, "F05 F06"},
		// 哈工大机器: 4 of F18's 5, 8/9 = 0.889 < 0.9
		{"哈工大机器有限公司", "", "", StatusAmbiguous, "", 0, "F18"},
		// the last of 13 characters mistyped: 11 of 12 bigrams, 22/24 = 0.917
		{"建三江七星现代农业综合开友有限公司", "", "", StatusUnique, "F25", 22.0 / 24, "F25"},
		// one in the middle: 10 of 12, 20/24 = 0.833; 0.883 in the region
		{"建三江七星现代衣业综合开发有限公司", "", "", StatusAmbiguous, "", 0, "F25"},
		{"建三江七星现代衣业综合开发有限公司", "230800", "", StatusAmbiguous, "", 0, "F25"},
		// 6 of 7, 12/14 = 0.857; in the region 0.907
		{"象屿金谷生化科枝有限公司", "", "", StatusAmbiguous, "", 0, "F20"},
		{"象屿金谷生化科枝有限公司", "231200", "", StatusUnique, "F20", 12.0/14 + RegionBonus, "F20"},
		// nothing alike
		{"完全不相关的名字有限公司", "", "", StatusNone, "", 0, ""},
	} {
		res, err := ix.Match(c.name, c.region, c.uscc)
		if err != nil {
			t.Errorf("Match(%q): %v", c.name, err)
			continue
		}
		if res.Status != c.status || res.USCC != c.want || math.Abs(res.Confidence-c.conf) > 1e-9 {
			t.Errorf("Match(%q, %q, %q) = %s %q %.3f; want %s %q %.3f (core %q, candidates %+v)",
				c.name, c.region, c.uscc, res.Status, res.USCC, res.Confidence, c.status, c.want, c.conf, res.Normalized, res.Candidates)
		}
		if c.cands != "" {
			var got []string
			for _, cd := range res.Candidates {
				got = append(got, cd.USCC)
			}
			if strings.Join(got, " ") != c.cands {
				t.Errorf("Match(%q, %q): candidates %v, want %s", c.name, c.region, got, c.cands)
			}
		}
		if res.Conflict != nil {
			t.Errorf("Match(%q): unexpected conflict %+v", c.name, res.Conflict)
		}
	}
}

// TestMatchDetails checks the fields the table does not: scores, the former name a
// match came through, region tie-breaks.
func TestMatchDetails(t *testing.T) {
	ix := NewIndex(testFirms)
	res, _ := ix.Match("哈尔滨啤酒有限公司", "", "")
	if len(res.Candidates) == 0 || res.Candidates[0].Via != "哈尔滨啤酒有限公司" || res.Candidates[0].Name != testFirms[6].Name || res.Candidates[0].Score != 1 {
		t.Errorf("former name: %+v", res)
	}
	res, _ = ix.Match("松雷商业", "231000", "")
	if !res.RegionTieBreak || res.Candidates[0].Region != "231000" || res.Candidates[0].Score != 1 || res.Candidates[1].Score != 1 {
		t.Errorf("tie broken by region: %+v", res)
	}
	res, _ = ix.Match("松雷商业", "231000", "F10")
	if res.RegionTieBreak || res.USCC != "F10" {
		t.Errorf("a USCC hint outranks the region: %+v", res)
	}
	// 北大荒农牧: F05 and F06 score 0.75; in F06's region... both are in 230100, so the
	// bonus lifts both to 0.8 and the firm given first leads.
	res, _ = ix.Match("北大荒农牧", "230100", "")
	if len(res.Candidates) != 2 || math.Abs(res.Candidates[0].Score-0.8) > 1e-9 || res.Candidates[0].USCC != "F05" {
		t.Errorf("region bonus: %+v", res.Candidates)
	}
}

// TestMatchHintConflict: a USCC hint naming a firm of another name chooses nothing and
// says why.
func TestMatchHintConflict(t *testing.T) {
	ix := NewIndex(testFirms)
	res, err := ix.Match("东北轻合金有限公司", "", "F02")
	if err != nil {
		t.Fatal(err)
	}
	want := HintConflict{USCC: "F02", Name: "黑龙江飞鹤乳业有限公司", NameUSCC: "F01"}
	if res.Conflict == nil || *res.Conflict != want || res.USCC != "" || res.Confidence != 0 || res.Status != StatusExact {
		t.Errorf("conflict: %+v %+v", res, res.Conflict)
	}
	res, _ = ix.Match("完全不相关的名字", "", "F02")
	if res.Conflict == nil || res.Conflict.NameUSCC != "" || res.Status != StatusNone {
		t.Errorf("conflict with no match by name: %+v", res)
	}
}

func TestMatchErrors(t *testing.T) {
	ix := NewIndex(testFirms)
	for _, c := range []struct {
		name string
		want error
	}{
		{"", ErrEmpty},
		{" ", ErrEmpty},
		{"厂", ErrTooShort},
		{strings.Repeat("龙江", 250), ErrTooLong},
		{"\xc3", ErrInvalidUTF8},
	} {
		res, err := ix.Match(c.name, "230100", "F01")
		var ie *InputError
		if !errors.Is(err, c.want) || !errors.As(err, &ie) || res.Status != "" || res.USCC != "" {
			t.Errorf("Match(%.20q) = %+v, %v; want %v", c.name, res, err, c.want)
		}
	}
}

// TestNewIndexSkips: bad names and USCCs are left out and listed, and the rest is
// indexed.
func TestNewIndexSkips(t *testing.T) {
	ix := NewIndex([]Firm{
		{USCC: "A", Name: "龙江豆业有限公司", FormerNames: []string{"厂", "龙江豆业", "龙江粮油有限公司"}},
		{USCC: "", Name: "无码粮油有限公司"},
		{USCC: "A", Name: "重复粮油有限公司"},
		{USCC: "B", Name: "（）"},
		{USCC: "C", Name: strings.Repeat("龙", 101)},
	})
	if ix.Len() != 1 {
		t.Fatalf("Len = %d, want 1", ix.Len())
	}
	sk := ix.Skipped()
	if len(sk) != 5 || sk[0].Former != 0 || !errors.Is(sk[0].Err, ErrTooShort) || sk[1].Former != -1 ||
		!strings.Contains(sk[2].Err.Error(), "repeated") || !errors.Is(sk[3].Err, ErrEmpty) || !errors.Is(sk[4].Err, ErrTooLong) {
		t.Fatalf("Skipped = %+v", sk)
	}
	// 龙江豆业 has the same core as the current name: one entry; 龙江粮油 another
	if len(ix.entFirm) != 2 {
		t.Errorf("%d entries, want 2", len(ix.entFirm))
	}
	res, _ := ix.Match("龙江粮油", "", "")
	if res.Status != StatusExact || res.USCC != "A" || res.Candidates[0].Via != "龙江粮油有限公司" {
		t.Errorf("former name: %+v", res)
	}
	if res, _ := ix.Match("重复粮油有限公司", "", ""); res.Status != StatusNone {
		t.Errorf("a repeated USCC's name was indexed: %+v", res)
	}
}

// TestMatchConcurrent: queries share the index and its pool of working memory (run
// with -race); each answers as it does alone.
func TestMatchConcurrent(t *testing.T) {
	ix := NewIndex(testFirms)
	names := []string{"东北轻合金", "松雷商业", "北大荒农牧", "建三江七星现代农业综合开友", "完全不相关的名字"}
	want := make([]Result, len(names))
	for i, n := range names {
		want[i], _ = ix.Match(n, "", "")
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for k := range 200 {
				i := (w + k) % len(names)
				got, err := ix.Match(names[i], "", "")
				if err != nil || got.Status != want[i].Status || got.USCC != want[i].USCC || len(got.Candidates) != len(want[i].Candidates) {
					t.Errorf("Match(%q) = %+v, %v; alone %+v", names[i], got, err, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}
