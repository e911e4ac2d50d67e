package repair

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
)

// period writes a period as docs/models.md's repair table does: "3 mo", "1 y", "0" for
// a minimum of zero, "none" for no maximum, "–" for a type that cannot be repaired.
func period(p credit.Period, repairable, max bool) string {
	switch {
	case !repairable:
		return "–"
	case p.UntilRepaired() && max:
		return "none"
	case p.UntilRepaired():
		return "0"
	case p.Years != 0 && p.Months == 0 && p.Days == 0:
		return fmt.Sprintf("%d y", p.Years)
	case p.Years == 0 && p.Days == 0:
		return fmt.Sprintf("%d mo", p.Months)
	}
	return p.String()
}

// TestRulesDocumented: docs/models.md's "Credit repair" table lists every default
// type with its category, repairability, periods and authority, as users read them
// there.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/models.md")
	if err != nil {
		t.Fatal(err)
	}
	rules := DefaultRules()
	for _, et := range credit.DefaultEventTypes() {
		r := rules[et.Name]
		yes, authority := "no", r.Authority
		if r.Repairable {
			yes = "yes"
		}
		if authority == "" {
			authority = "–"
		}
		row := fmt.Sprintf("| `%s` | %s | %s | %s | %s | %s | %s |", et.Name, et.Meaning, r.Category, yes,
			period(r.MinPublicity, r.Repairable, false), period(r.MaxPublicity, r.Repairable, true), authority)
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/models.md lacks the repair row %q", row)
		}
	}
}
