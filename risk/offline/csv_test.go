package offline

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// csvColumns are the column sets readCSV is asked for, one per input file of a stress
// test (network, values) and of ESRI (edges, sectors, ess; revenue and costs share
// firm,value; market).
var csvColumns = [][]string{
	{"from", "to", "impact"}, {"node", "value"},
	{"supplier", "customer", "amount"}, {"firm", "sector"}, {"supplier_sector", "customer_sector", "level"},
	{"firm", "value"}, {"firm", "market"},
}

// csvSeeds are valid and invalid files of the shapes the commands read.
var csvSeeds = []string{
	"from,to,impact\nA,B,0.5\nB,C,0.5\n",
	"\ufeffimpact,to,from\n3,C,A\n0.8, C ,B\n0.5,D,C\n",
	"from,to,impact\nA,B,NaN\nA,C,-1\nA,D,abc\n,E,1\nF,F,1\nA,G,0.5\nA,G,0.2\nA,H,Inf\nA,H\nA,I,\n",
	"from,to,impact,weight\nA,B,1,1\n", "from,impact\nA,1\n", "from,to,to,impact\nA,B,B,1\n", "",
	"node,value\nA,1\nB,-2\nB,1\nC,x\n", "value,node\n1,A\n1,B\n2,C\n0,D\n",
	"supplier,customer,amount\nA,C,10\nB,C,30\nC,D,40\n", "firm,sector\nA,a\nB,b\nC,c\nD,d\n",
	"supplier_sector,customer_sector,level\na,c,2\nb,c,3\n", "\ufefffirm,market\nA,m\nB,m\n", "value,firm\n40,F\n",
	"from,to,impact\n\"A\nB\",C,1\n\"unterminated,D,1\n", "from,to,impact\r\nA,B,1\r\n\r\nB,C,1e308\r\n", "a\"b,c\n",
}

// FuzzReadCSV: whatever the file, readCSV returns no error for a readable file, hands
// over only records of the header's width at increasing lines within the file, and
// reports each problem at a line within the file, with a field and a one-line reason.
func FuzzReadCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "in.csv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, cols := range csvColumns {
			var p Problems
			prev, rows := 0, 0
			err := readCSV(path, cols, &p, func(r row) {
				rows++
				if len(r.rec) != len(cols) || r.line <= prev || r.line < 2 || r.line > lines {
					t.Fatalf("%v: record %q at line %d after line %d (the file has %d lines)", cols, r.rec, r.line, prev, lines)
				}
				prev = r.line
				for _, c := range cols {
					_ = r.field(c)
				}
			})
			if err != nil {
				t.Fatalf("%v: %v", cols, err)
			}
			header := false
			for _, pr := range p {
				if pr.File != path || pr.Line < 1 || pr.Line > lines || pr.Field == "" || pr.Reason == "" ||
					strings.ContainsAny(pr.Reason, "\r\n") {
					t.Fatalf("%v: problem %+v is not at a line of %s (%d lines) with a field and a one-line reason", cols, pr, path, lines)
				}
				header = header || pr.Field == "header"
			}
			if header && rows > 0 {
				t.Fatalf("%v: %d records handed over despite a bad header: %q", cols, rows, p)
			}
		}
	})
}
