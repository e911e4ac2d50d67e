package heilongjiang

import (
	"testing"

	"github.com/chainrisk/chainrisk/credit"
)

// gb11714OK checks an organisation code the way a reader of GB 11714 would: the
// weighted sum of the eight body symbols plus the check value is divisible by 11.
func gb11714OK(code string) bool {
	weights := []int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 8; i++ {
		c := code[i]
		if c >= 'A' && c <= 'Z' {
			sum += (int(c-'A') + 10) * weights[i]
		} else {
			sum += int(c-'0') * weights[i]
		}
	}
	check := int(code[8] - '0')
	if code[8] == 'X' {
		check = 10
	}
	return (sum+check)%11 == 0
}

func TestUSCC(t *testing.T) {
	seen := map[string]bool{}
	var body [8]byte
	for i := uint64(0); i < 20000; i++ {
		x := i * 104729 % IndexSpace
		IndexBody(&body, x)
		region := Regions[int(i)%len(Regions)].Code
		prefix := PrefixEnterprise
		if i%7 == 0 {
			prefix = PrefixCooperative
		}
		code, err := USCC(prefix, region, &body)
		if err != nil {
			t.Fatal(err)
		}
		if err := credit.CheckUSCC(code); err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		if credit.USCCRegion(code) != region || code[:2] != prefix || code[8:10] != "MA" {
			t.Fatalf("%s: parts misplaced", code)
		}
		if !gb11714OK(code[8:17]) {
			t.Fatalf("%s: organisation code %s fails GB 11714", code, code[8:17])
		}
		if seen[code[8:17]] {
			t.Fatalf("organisation code %s repeated", code[8:17])
		}
		seen[code[8:17]] = true
	}
	digits := [8]byte{'1', '2', '3', '4', '5', '6', '7', '8'}
	if got := string(AppendOrgCode(nil, &digits)); !gb11714OK(got) {
		t.Errorf("AppendOrgCode(12345678) = %s", got)
	}
	if _, err := USCC("9", "230100", &digits); err == nil {
		t.Error("a one-character prefix was accepted")
	}
}

func TestRegions(t *testing.T) {
	for _, r := range Regions {
		if len(r.Code) != 6 || r.Code[:2] != "23" || City(r.Code) != r.City {
			t.Errorf("region %+v", r)
		}
		if Court(r.Code) == "" || len(BrandsFor(r.Code)) < len(Brands) {
			t.Errorf("region %s: court or brands missing", r.Code)
		}
	}
	if City("110000") != "" {
		t.Error("Beijing is not in Heilongjiang")
	}
}
