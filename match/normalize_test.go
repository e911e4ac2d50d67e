package match

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"哈尔滨东北轻合金有限责任公司", "东北轻合金"},
		{"黑龙江省哈尔滨市南岗区东北轻合金有限公司", "东北轻合金"},
		{"黑龙江东北轻合金股份有限公司", "东北轻合金"},
		{"东北轻合金集团股份有限公司", "东北轻合金"},
		{"东北轻合金（集团）有限公司", "东北轻合金"},
		{"东北轻合金 (集团) 有限公司", "东北轻合金"},
		{"东北轻合金集团股份", "东北轻合金"},
		{"ＡＢＣ科技（哈尔滨）有限公司", "abc科技哈尔滨"},
		{"Abc·科技、哈尔滨.有限公司", "abc科技哈尔滨"},
		{"【龙江】１２３科技有限公司", "龙江123科技"},
		{"〔龙江〕１２３科技有限公司", "龙江123科技"},
		{"ﾃｽﾄ商事　有限公司", "テスト商事"}, // half-width katakana widened, the ideographic space dropped
		{"《龙江》「豆业」﹝集团﹞有限公司", "龙江豆业"},
		{"广西壮族自治区柳州钢铁集团有限公司", "柳州钢铁"},
		{"上海市宝钢包装股份有限公司", "宝钢包装"},
		{"双城区兴旺米业有限公司", "兴旺米业"},
		{"哈尔滨市双城区兴旺米业有限公司", "兴旺米业"},
		{"齐齐哈尔第一机床厂", "第一机床"},
		{"哈药集团制药总厂", "哈药集团制药"},
		{"哈尔滨创新投资合伙企业（有限合伙）", "创新投资"},
		{"绥化三江大豆种植专业合作社", "三江大豆种植"},
		{"中国石油天然气股份有限公司大庆石化分公司", "中国石油天然气大庆石化分公司"},
		{"中国石油天然气有限公司大庆石化分公司", "中国石油天然气大庆石化分公司"},
		{"中国石油天然气大庆石化分公司", "中国石油天然气大庆石化分公司"},
		// a strip that would leave fewer than two runes is not made
		{"黑龙江省有限公司", "黑龙江省"},
		{"黑龙江省", "黑龙江省"},
		{"广西壮族自治区", "广西壮族自治区"},
		{"有限公司", "有限公司"},
		{"大庆华科股份有限公司", "华科"},
		{"哈尔滨华有限公司", "哈尔滨华"},
		{"分公司", "分公司"},
	} {
		got, err := Normalize(c.in)
		if err != nil || got != c.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestNormalizeErrors(t *testing.T) {
	for _, c := range []struct {
		in   string
		want error
	}{
		{"", ErrEmpty},
		{"   　", ErrEmpty},
		{"（）【】·、", ErrEmpty},
		{"厂", ErrTooShort},
		{"Ａ", ErrTooShort},
		{"（龙）", ErrTooShort},
		{strings.Repeat("龙", 500), ErrTooLong},
		{strings.Repeat("龙", MaxRunes+1), ErrTooLong},
		{"龙江\xff有限公司", ErrInvalidUTF8},
	} {
		got, err := Normalize(c.in)
		if !errors.Is(err, c.want) {
			t.Errorf("Normalize(%.30q) = %q, %v; want %v", c.in, got, err, c.want)
			continue
		}
		var ie *InputError
		if !errors.As(err, &ie) || ie.Reason != c.want || utf8.RuneCountInString(ie.Name) > 41 {
			t.Errorf("Normalize(%.30q): error %#v is not an *InputError with reason %v and a cut name", c.in, err, c.want)
		}
	}
	if _, err := Normalize(strings.Repeat("龙", MaxRunes)); err != nil {
		t.Errorf("a name of MaxRunes runes: %v", err)
	}
}

// randomName builds a name from the pieces supplier lists combine: administrative
// names, a body with brackets, spaces, punctuation and full-width forms, a legal form,
// sometimes a branch.
func randomName(rng *rand.Rand) string {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	var b strings.Builder
	for range rng.IntN(3) {
		b.WriteString(pick([]string{"黑龙江省", "黑龙江", "哈尔滨市", "哈尔滨", "南岗区", "广西壮族自治区", "上海", "大庆"}))
	}
	pieces := []string{"龙", "江", "华", "科", "技", "Ａ", "b", "１", "2", " ", "（", "）", "(", ")", "【", "】", "·", "、", ".", "省", "市", "区",
		"有限", "公司", "集团", "股份", "厂", "分公司", "黑龙江", "哈尔滨", "合伙"}
	for range rng.IntN(8) {
		b.WriteString(pick(pieces))
	}
	for range rng.IntN(3) {
		b.WriteString(pick([]string{"有限公司", "股份有限公司", "集团有限公司", "（有限合伙）", "厂", "公司", "集团", "哈尔滨分公司"}))
	}
	return b.String()
}

// TestNormalizeProperties checks on random names that Normalize is idempotent, that
// its core is never shorter than MinRunes, and that it refuses a name only for a
// reason that holds.
func TestNormalizeProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	refused := 0
	for range 20_000 {
		name := randomName(rng)
		core, err := Normalize(name)
		if err != nil {
			refused++
			if n := utf8.RuneCountInString(fold(name)); n >= MinRunes {
				t.Fatalf("Normalize(%q) refused a name with %d letters: %v", name, n, err)
			}
			continue
		}
		if utf8.RuneCountInString(core) < MinRunes {
			t.Fatalf("Normalize(%q) = %q, shorter than %d runes", name, core, MinRunes)
		}
		again, err := Normalize(core)
		if err != nil || again != core {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", name, core, core, again, err)
		}
	}
	if refused == 20_000 {
		t.Fatal("every random name was refused")
	}
}

// FuzzNormalize: no panic, and a core normalizes to itself.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"黑龙江省有限公司", "中国石油天然气股份有限公司大庆石化分公司", "ＡＢＣ（集团）", "厂", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		core, err := Normalize(name)
		if err != nil {
			return
		}
		if again, err := Normalize(core); err != nil || again != core {
			t.Fatalf("Normalize(%q) = %q, Normalize of that = %q, %v", name, core, again, err)
		}
	})
}
