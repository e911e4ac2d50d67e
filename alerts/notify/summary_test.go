package notify

import (
	"strings"
	"testing"
	"time"
)

func TestSummaryNamesWhatMatters(t *testing.T) {
	for lang, want := range map[string][]string{
		"en": {"[WARNING]", "tier-2 supplier of 浙江远航汽车集团有限公司 (91330000MA27U8T41B)", "B → C",
			"宁波精工铸件有限公司 (91330206MA2AHK5R3T) —35%→ 杭州恒力变速箱有限公司 (91330100MA28XY7L29) —60%→ 浙江远航汽车集团有限公司",
			"- dishonest_judgment_debtor −350 (2026-11-20)", "Score: 540 (was 700, −160)"},
		"zh": {"【警告】", "浙江远航汽车集团有限公司（91330000MA27U8T41B）的二级供应商", "B → C",
			"宁波精工铸件有限公司（91330206MA2AHK5R3T） —35%→ 杭州恒力变速箱有限公司（91330100MA28XY7L29）",
			"- dishonest_judgment_debtor −350 (2026-11-20)", "信用分：540（原 700，−160）"},
	} {
		s, err := Summary(firingDowngrade(lang))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Errorf("%s summary lacks %q:\n%s", lang, w, s)
			}
		}
		if strings.Contains(s, "\n\n") || strings.HasSuffix(s, "\n") {
			t.Errorf("%s summary has empty lines:\n%q", lang, s)
		}
	}
}

func TestSummaryEdges(t *testing.T) {
	n := firingDowngrade("fr")
	if _, err := Summary(n); err == nil || !strings.Contains(err.Error(), `"fr"`) {
		t.Errorf("unknown language: %v", err)
	}
	// Empty language means zh; a bare notification still renders, and without a
	// title it names its rule.
	s, err := Summary(&Notification{Rule: "grade_downgrade", Title: "信用等级下调", Status: StatusFiring, Severity: "critical", Subject: Firm{USCC: castings.USCC}})
	if err != nil || s != "【严重】信用等级下调：91330206MA2AHK5R3T ? → ?" {
		t.Errorf("bare notification: %q, %v", s, err)
	}
	s, err = Summary(&Notification{Rule: "grade_downgrade", Status: StatusFiring, Severity: "critical", Subject: Firm{USCC: castings.USCC}})
	if err != nil || s != "【严重】grade_downgrade：91330206MA2AHK5R3T ? → ?" {
		t.Errorf("untitled notification: %q, %v", s, err)
	}
	// Mismatched path slices do not break the template.
	n = firingDowngrade("en")
	n.PathNames, n.PathShares = n.PathNames[:1], nil
	if s, err := Summary(n); err != nil || !strings.Contains(s, "宁波精工铸件有限公司 (91330206MA2AHK5R3T) → 91330100MA28XY7L29 → 91330000MA27U8T41B") {
		t.Errorf("short path names: %q, %v", s, err)
	}
}

func TestFormatting(t *testing.T) {
	for in, want := range map[float64]string{540: "540", 0.4: "0.4", 0.31249: "0.312", 123.6: "124", -0.5: "-0.5", 0: "0"} {
		if got := FormatNumber(in); got != want {
			t.Errorf("FormatNumber(%v) = %q, want %q", in, got, want)
		}
	}
	if got := FormatSigned(-160); got != "−160" {
		t.Errorf("FormatSigned(-160) = %q", got)
	}
	for in, want := range map[time.Duration]string{
		20 * time.Second: "<1m", 45 * time.Minute: "45m", 200 * time.Minute: "3h20m", 50 * time.Hour: "2d2h",
	} {
		if got := formatLasted(in); got != want {
			t.Errorf("formatLasted(%s) = %q, want %q", in, got, want)
		}
	}
}
