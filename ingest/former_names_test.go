package ingest

import (
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
)

// TestFormerNames: former_names is optional and ';'-separated (or an array in NDJSON);
// each name is trimmed and duplicates dropped; an empty part or a name longer than
// 100 characters refuses the row, naming the field.
func TestFormerNames(t *testing.T) {
	long := strings.Repeat("龙", credit.MaxFormerName+1)
	d := decode(t, credit.KindEnterprises, CSV, "uscc,name,former_names\n"+ // 1
		firmA+",甲公司, 哈尔滨甲商贸有限公司 ;甲厂;哈尔滨甲商贸有限公司\n"+ // 2 good, trimmed, one duplicate
		firmB+",乙公司,\n"+ // 3 good, none
		firmC+",丙公司,丙厂;;丙商行\n"+ // 4 empty part
		firmD+",丁公司,"+long+"\n") // 5 too long
	if !slices.Equal(d.rows.Lines, []int{2, 3}) {
		t.Fatalf("good lines %v, want [2 3]; problems %v", d.rows.Lines, d.problems)
	}
	if got := d.rows.Enterprises[0].FormerNames; !slices.Equal(got, []string{"哈尔滨甲商贸有限公司", "甲厂"}) {
		t.Errorf("former names %q, want the two distinct names trimmed", got)
	}
	if got := d.rows.Enterprises[1].FormerNames; got != nil {
		t.Errorf("an empty former_names reads %q, want none", got)
	}
	if len(d.problems) != 2 || !strings.Contains(d.problems[0], "in:4") || !strings.Contains(d.problems[0], "former_names") ||
		!strings.Contains(d.problems[0], "former name 2 of 3 is empty") ||
		!strings.Contains(d.problems[1], "in:5") || !strings.Contains(d.problems[1], "longer than 100 characters") {
		t.Errorf("problems %q, want line 4's empty part and line 5's long name, each naming former_names", d.problems)
	}

	n := decode(t, credit.KindEnterprises, NDJSON,
		`{"uscc":"`+firmA+`","name":"甲公司","former_names":["甲厂","甲商行"]}`+"\n"+
			`{"uscc":"`+firmB+`","name":"乙公司","former_names":"乙厂;乙商行"}`+"\n")
	if len(n.problems) != 0 || !slices.Equal(n.rows.Enterprises[0].FormerNames, []string{"甲厂", "甲商行"}) ||
		!slices.Equal(n.rows.Enterprises[1].FormerNames, []string{"乙厂", "乙商行"}) {
		t.Errorf("NDJSON former names: %+v, problems %v", n.rows.Enterprises, n.problems)
	}
}
