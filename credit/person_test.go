package credit

import "testing"

func TestIsResidentID(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		// The public example. Digits × weights: 1·7 + 1·9 + 0·10 + 1·5 + 0·8
		// + 5·4 + 1·2 + 9·1 + 4·6 + 9·3 + 1·7 + 2·9 + 3·10 + 1·5 + 0·8 + 0·4
		// + 2·2 = 167; 167 mod 11 = 2 → "10X98765432"[2] = X.
		{"11010519491231002X", true},
		{"11010519491231002x", true},
		{"110105194912310021", false},
		// 4·7 + 4·9 + 0 + 3·5 + 0 + 5·4 + 1·2 + 9·1 + 9·6 + 0 + 0 + 1·9 + 0
		// + 1·5 + 1·8 + 2·4 + 3·2 = 200; 200 mod 11 = 2 → X.
		{"44030519900101123X", true},
		// 3·7 + 2·9 + 0 + 1·5 + 0 + 2·4 + 1·2 + 9·1 + 8·6 + 0 + 0 + 1·9 + 0
		// + 1·5 + 0 + 0 + 1·2 = 127; 127 mod 11 = 6 → "10X98765432"[6] = 6.
		{"320102198001010016", true},
		{"320102198001010017", false},
		// The same with the 17th digit 9: 125 + 9·2 = 143 = 13·11, mod 0 → 1.
		{"320102198001010091", true},
		// … and 4: 125 + 4·2 = 133 = 12·11 + 1, mod 1 → 0.
		{"320102198001010040", true},
		{"32010219800101004X", false},
		{"32010219800101004", false},   // 17 characters
		{"3201021980010100400", false}, // 19
		{"3201021980010100A0", false},  // a letter among the 17 digits
		{"", false},
		{"p-5f2c9a", false},
		{"91110000100000000X", false}, // digits of a USCC's shape, wrong check
	}
	for _, c := range cases {
		if got := IsResidentID(c.id); got != c.want {
			t.Errorf("IsResidentID(%q) = %v, want %v", c.id, got, c.want)
		}
	}
}

func TestMaskName(t *testing.T) {
	cases := map[string]string{
		"张三":    "张*",
		"王":     "王*",
		"欧阳娜娜":  "欧阳*",
		"司马光":   "司马*",
		"诸葛亮":   "诸葛*",
		"第五伦":   "第五*",
		"欧阳":    "欧*", // two characters: surname 欧, given name 阳
		"马云":    "马*",
		"东方明珠":  "东方*",
		" 李四 ":  "李*",
		"":      "",
		"John":  "J*",
		"慕容复":   "慕容*",
		"上官婉儿":  "上官*",
		"万俟卨":   "万俟*",
		"欧阳-娜娜": "欧阳*",
	}
	for in, want := range cases {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
	if n := len(compoundSurnames); n != 32 {
		t.Errorf("%d compound surnames, want the 32 listed", n)
	}
}
