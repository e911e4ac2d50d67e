package onboarding

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

func str(s string) *string { return &s }

// TestPlan: every outcome from a fake matcher, choices applied, repeats left over,
// and the import batch naming the list's lines.
func TestPlan(t *testing.T) {
	list := "name,uscc,purchase_share,product\n" +
		"甲,,0.1,a\n" + // 2 exact A
		"乙,,0.1,b\n" + // 3 unique B
		"丙,,0.1,c\n" + // 4 ambiguous C|D, chosen D
		"丁,,0.1,d\n" + // 5 none
		",E,0.1,e\n" + // 6 given
		",,0.1,f\n" + // 7 neither
		"戊,,0.1,g\n" // 8 exact A again: a repeat
	rows, err := ReadList(strings.NewReader(list))
	if err != nil || len(rows) != 7 {
		t.Fatalf("ReadList: %d rows, %v", len(rows), err)
	}
	answers := map[string]Result{
		"甲": {Status: str("exact"), USCC: str("A")},
		"乙": {Status: str("unique"), USCC: str("B")},
		"丙": {Status: str("ambiguous"), Candidates: []Candidate{{USCC: "C"}, {USCC: "D"}}},
		"丁": {Status: str("none")},
		"戊": {Status: str("exact"), USCC: str("A")},
	}
	post := func(_ context.Context, body []byte) (*Answer, error) {
		var a Answer
		for _, l := range strings.Split(strings.TrimSpace(string(body)), "\n")[1:] {
			a.Results = append(a.Results, answers[strings.Split(l, ",")[0]])
		}
		return &a, nil
	}
	choose := func(r *Row) (string, bool) { return "D", r.Line == 4 }
	ds, err := Plan(context.Background(), post, rows, Options{Choose: choose, Hints: Hints{None: " (hint)"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2 exact A", "3 confirm ", "4 confirmed D", "5 none ", "6 given E", "7 error ", "8 error A"}
	for i, d := range ds {
		if got := strings.TrimSpace(strings.Join([]string{strconv.Itoa(d.Line), d.Outcome, d.USCC}, " ")); got != strings.TrimSpace(want[i]) {
			t.Errorf("row %d: %q, want %q", i, got, want[i])
		}
	}
	if ds[3].Reason != "no firm of that name: give its uscc (hint)" || !strings.Contains(ds[6].Reason, "also line 2's") {
		t.Errorf("reasons: %q, %q", ds[3].Reason, ds[6].Reason)
	}
	n := Count(ds)
	if n["imported"] != 3 || n["left_over"] != 4 {
		t.Errorf("counts %v", n)
	}
	body, lines := ImportBody(ds)
	if string(body) != "supplier,purchase_share,sales_share,substitutability,amount,product,valid_from,valid_to\n"+
		"A,0.1,,,,a,,\nD,0.1,,,,c,,\nE,0.1,,,,e,,\n" || len(lines) != 3 || lines[1] != 4 {
		t.Errorf("import body %q lines %v", body, lines)
	}
	errs := []string{"3: supplier: unknown firm D", "header: bad"}
	ListLines(errs, lines)
	if errs[0] != "4: supplier: unknown firm D" || errs[1] != "header: bad" {
		t.Errorf("ListLines: %q", errs)
	}
}
