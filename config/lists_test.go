package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/lists"
	"github.com/chainrisk/chainrisk/risk"
)

// The built-in lists.* are package lists' defaults.
func TestListsDefaults(t *testing.T) {
	got, err := lists.NewSet(Default().GradedLists())
	if err != nil {
		t.Fatal(err)
	}
	if want := lists.MustSet(lists.Defaults()); !got.Equal(want) {
		t.Errorf("GradedLists = %+v, want %+v", got.Lists(), want.Lists())
	}
}

// A file's list replaces the fields it writes of the built-in one, adds new ones,
// and turns lists off.
func TestListsFromFile(t *testing.T) {
	setTestEnv(t)
	c, err := Load("testdata/lists.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	def := lists.Defaults()
	want := []lists.List{
		def[2], // discipline, untouched; focus is off
		{Name: lists.Incentive, TitleZh: "守信激励对象", TitleEn: "Trustworthy firms", AllOf: []lists.Condition{
			{Kind: lists.KindGrade, Grades: []risk.Grade{risk.GradeA, risk.GradeB}},
			{Kind: lists.KindNoEventSeverity, Severities: []credit.Severity{credit.SeverityCritical}, Within: credit.Period{Years: 1, Months: 6}},
		}},
		{Name: "watch", TitleZh: "观察名单", TitleEn: "Watch list",
			AllOf: []lists.Condition{{Kind: lists.KindStatus, Statuses: []credit.Status{credit.StatusActive, credit.StatusAbnormal}}},
			AnyOf: []lists.Condition{
				{Kind: lists.KindActiveEventSeverity, Severities: []credit.Severity{credit.SeverityMedium, credit.SeverityHigh}},
				{Kind: lists.KindGrade, Grades: []risk.Grade{risk.GradeC}},
			}},
	}
	if got := c.GradedLists(); !reflect.DeepEqual(got, want) {
		t.Errorf("GradedLists =\n%+v\nwant\n%+v", got, want)
	}
	if _, err := lists.NewSet(c.GradedLists()); err != nil {
		t.Errorf("a valid config makes invalid lists: %v", err)
	}
	if w := c.Lists["incentive"].AllOf[1].NoEventSeverity.Within; w.String() != "1y6mo" {
		t.Errorf("window %s", w)
	}
}

// Every problem is named with its key path, line and column (the file is not a
// *.bad.yaml of TestBadFiles, which wants one entry per file in its table).
func TestListsBad(t *testing.T) {
	setTestEnv(t)
	_, err := Load("testdata/lists.invalid.yaml")
	want := []string{
		`:3:5: unknown key "titel_zh" in lists.incentive; did you mean "title_zh"?`,
		`:4:3: lists.Bad-Name: list name "Bad-Name" must be 1 to 64 lower-case letters, digits or '_', starting with a letter`,
		`:9:3: lists.empty: list empty has no condition: give all_of, any_of or both`,
		`:11:5: lists.empty.title_en: required`,
		`:16:20: lists.broken.all_of[0].grade[1]: "E" is not one of A, B, C, D`,
		`:17:18: lists.broken.all_of[1].status[0]: "closed" is not one of active, abnormal, revoked, deregistered, bankrupt`,
		`:18:9: lists.broken.all_of[2].no_active_negative_event: write true, or leave the condition out`,
		`:19:58: lists.broken.all_of[3].no_event_severity.within: invalid window "3 years" (use 3y, 18mo, 90d or 1y6mo)`,
		`:20:9: lists.broken.all_of[4]: a condition is one of grade, status, no_active_negative_event, no_event_severity or active_event_severity (got 2 of them)`,
		`:22:9: lists.broken.all_of[5]: a condition is one of grade, status, no_active_negative_event, no_event_severity or active_event_severity (got 0 of them)`,
		`:24:9: lists.broken.any_of[0].no_event_severity.within: required: how far back from the scan's clock (e.g. 3y, 18mo, 90d)`,
	}
	got := problems(err)
	if len(got) != len(want) {
		for _, e := range got {
			t.Log(e)
		}
		t.Fatalf("%d problems, want %d", len(got), len(want))
	}
	for i, e := range got {
		if !strings.HasPrefix(e.Error(), "testdata/lists.invalid.yaml") || !strings.HasSuffix(e.Error(), want[i]) {
			t.Errorf("problem %d: %v\nwant …%s", i, e, want[i])
		}
	}
	// Severities are checked where the window decodes.
	c := Default()
	c.Lists["focus"] = ListConfig{TitleZh: "x", TitleEn: "x", AnyOf: []ListCondition{
		{NoEventSeverity: &SeverityWindow{Severities: []credit.Severity{"grave"}, Within: Window{Years: 1}}},
		{ActiveEventSeverity: []credit.Severity{"high", "fatal"}},
	}}
	msgs := problems(c.Validate())
	if len(msgs) != 2 || msgs[0].Error() != `lists.focus.any_of[0].no_event_severity.severities[0]: "grave" is not one of info, low, medium, high, critical` ||
		msgs[1].Error() != `lists.focus.any_of[1].active_event_severity[1]: "fatal" is not one of info, low, medium, high, critical` {
		t.Errorf("problems %q", msgs)
	}
}
