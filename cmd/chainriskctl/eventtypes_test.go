package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestEventTypesCommand: the catalogue as a table with Chinese or English labels and
// each type's repair rule in a few words; -o json is the API's list; bad flags are
// usage errors.
func TestEventTypesCommand(t *testing.T) {
	startDemo(t)
	code, out, errOut := runCmd(run, "event-types", "--lang", "zh")
	if code != exitOK {
		t.Fatalf("event-types: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 21 || !strings.HasPrefix(lines[0], "TYPE") || !strings.HasPrefix(lines[1], "bankruptcy ") {
		t.Fatalf("want a header and 20 types, bankruptcy first:\n%s", out)
	}
	row := func(out, name string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, name+" ") {
				return l
			}
		}
		return ""
	}
	for name, want := range map[string][]string{
		"dishonest_judgment_debtor": {"失信被执行人", "critical", "-350", "2y", "serious, at once, max 5y, 人民法院"},
		"penalty_general":           {"行政处罚(一般)", "medium", "-80", "1y", "general, after 3mo, max 1y, 作出行政处罚决定的行政机关"},
		"bankruptcy":                {"破产申请/破产清算", "-500", "5y", "not repairable (人民法院)"},
		"honor":                     {"荣誉/表彰", "info", "30", "3y", " -"},
	} {
		r := row(out, name)
		for _, w := range want {
			if !strings.Contains(r, w) {
				t.Errorf("%s row %q lacks %q", name, r, w)
			}
		}
	}
	code, out, _ = runCmd(run, "event-types", "--lang", "en")
	if r := row(out, "dishonest_judgment_debtor"); code != exitOK || !strings.Contains(r, "Dishonest judgment debtor") || strings.Contains(r, "失信被执行人") {
		t.Errorf("--lang en: exit %d, row %q", code, r)
	}
	code, out, _ = runCmd(run, "event-types", "-o", "json")
	var list []struct {
		Name    string
		LabelEn string `json:"label_en"`
		Points  float64
	}
	if code != exitOK || json.Unmarshal([]byte(out), &list) != nil || len(list) != 20 || list[0].Name != "bankruptcy" || list[0].Points != -500 {
		t.Errorf("-o json: exit %d: %.300s", code, out)
	}
	for _, args := range [][]string{{"event-types", "--lang", "fr"}, {"event-types", "-o", "csv"}, {"event-types", "extra"}} {
		if code, _, _ := runCmd(run, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
