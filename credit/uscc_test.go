package credit

import (
	"errors"
	"strings"
	"testing"
)

// The GB 32100-2015 example code 91350100M000100Y43, worked by hand:
// values 9 1 3 5 0 1 0 0 M=21 0 0 0 1 0 0 Y=30 4
// weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
// Σ = 9+3+27+135+0+26+0+0+420+0+0+0+8+0+0+900+112 = 1640; 1640 mod 31 = 28;
// (31 − 28) mod 31 = 3 → check character '3'.
func TestUSCCCheckCharHandWorked(t *testing.T) {
	c, err := USCCCheckChar("91350100M000100Y4")
	if err != nil || c != '3' {
		t.Fatalf("check char = %q, %v; want '3'", c, err)
	}
	// All zeros: Σ = 0 → (31 − 0) mod 31 = 0 → '0'.
	if c, _ := USCCCheckChar("00000000000000000"); c != '0' {
		t.Errorf("all-zero check char = %q, want '0'", c)
	}
	// 1 in position 1 only: Σ = 1 → 30 → charset[30] = 'Y'.
	if c, _ := USCCCheckChar("10000000000000000"); c != 'Y' {
		t.Errorf("check char = %q, want 'Y'", c)
	}
}

func TestCheckUSCC(t *testing.T) {
	tests := []struct {
		code, want string
		badCheck   bool
	}{
		{"91350100M000100Y43", "", false},
		{"91110108551385082Q", "", false},
		{"91350100M000100Y44", `bad check character '4' (expected '3')`, true},
		{"91350100M000100Y4", "must be 18 characters, got 17", false},
		{"91350100I000100Y43", `character 9 'I' is not in the USCC charset`, false},
		{"91350100m000100Y43", `character 9 'm' is not in the USCC charset`, false},
		{"91350100M000100Y4O", `character 18 'O' is not in the USCC charset`, false},
		{"", "must be 18 characters, got 0", false},
		{"统一社会信用代码统一社会信用代码", "must be 18 characters, got 16", false},
	}
	for _, tc := range tests {
		err := CheckUSCC(tc.code)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: unexpected error %v", tc.code, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("%q: error %v, want %q", tc.code, err, tc.want)
		case errors.Is(err, ErrBadCheckChar) != tc.badCheck:
			t.Errorf("%q: errors.Is(ErrBadCheckChar) = %v", tc.code, !tc.badCheck)
		}
	}
}

func TestMakeUSCCRoundTrip(t *testing.T) {
	for _, p := range []string{"91230100MA1B2C3D4", "92230600000000001", "12230000000000000"} {
		code, err := MakeUSCC(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckUSCC(code); err != nil || !strings.HasPrefix(code, p) {
			t.Errorf("MakeUSCC(%s) = %s: %v", p, code, err)
		}
	}
	if USCCRegion("91230100MA1B2C3D4X") != "230100" {
		t.Error("region is positions 3-8")
	}
}

func FuzzCheckUSCC(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "91350100M000100Y44", "", "ZZZZZZZZZZZZZZZZZZ", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckUSCC(s)
		if err == nil {
			// A valid code re-derives its own check character.
			c, err := USCCCheckChar(s[:17])
			if err != nil || c != s[17] {
				t.Fatalf("%q accepted but check char = %q, %v", s, c, err)
			}
		}
	})
}
