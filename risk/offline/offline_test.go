package offline_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/risk/offline"
)

// write puts each name → content into a temporary directory and returns the paths.
func write(t *testing.T, files map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := make(map[string]string, len(files))
	for name, content := range files {
		paths[name] = filepath.Join(dir, name)
		if err := os.WriteFile(paths[name], []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

func TestReadStress(t *testing.T) {
	p := write(t, map[string]string{
		"net.csv":    "impact,to,from\n0.5,B,A\n2,C,B\n",
		"values.csv": "node,value\nZ,4\nA,1\nB,2\nC,3\n",
	})
	in, err := offline.ReadStress(p["net.csv"], p["values.csv"])
	if err != nil {
		t.Fatal(err)
	}
	// Nodes of the values file come first, in its order; Z has no edge.
	var ids []string
	for i := range in.Net.Len() {
		ids = append(ids, in.Net.ID(i))
	}
	if !slices.Equal(ids, []string{"Z", "A", "B", "C"}) || !slices.Equal(in.Values, []float64{4, 1, 2, 3}) {
		t.Errorf("nodes %v, values %v", ids, in.Values)
	}
	b, _ := in.Net.Index("B")
	if dst, w := in.Net.Out(b); len(dst) != 1 || in.Net.ID(int(dst[0])) != "C" || w[0] != 2 {
		t.Errorf("B's edges: %v %v, want C with impact 2 (as given; DebtRank caps it)", dst, w)
	}
	if in, err := offline.ReadStress(p["net.csv"], ""); err != nil || in.Values != nil {
		t.Errorf("without values: %v, values %v", err, in.Values)
	}
}

func TestReadStressErrors(t *testing.T) {
	p := write(t, map[string]string{
		"bad.csv":     "from,to,impact\nA,B,-1\nA,A,1\nA,C,1\nA,C,2\n",
		"net.csv":     "from,to,impact\nA,B,1\n",
		"partial.csv": "node,value\nA,1\n",
	})
	_, err := offline.ReadStress(p["bad.csv"], "")
	var ps offline.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v, want Problems", err)
	}
	want := offline.Problems{
		{File: p["bad.csv"], Line: 2, Field: "impact", Reason: "-1 is negative"},
		{File: p["bad.csv"], Line: 3, Field: "to", Reason: `self-loop on "A"`},
		{File: p["bad.csv"], Line: 5, Field: "to", Reason: "duplicate edge A→C (first at line 4)"},
	}
	if !slices.Equal(ps, want) {
		t.Errorf("problems:\n%v\nwant\n%v", ps, want)
	}
	_, err = offline.ReadStress(p["net.csv"], p["partial.csv"])
	var mv *offline.MissingValues
	if !errors.As(err, &mv) || !slices.Equal(mv.Nodes, []string{"B"}) {
		t.Errorf("err = %v, want B's value missing", err)
	}
	if _, err := offline.ReadStress(filepath.Join(t.TempDir(), "none.csv"), ""); err == nil || errors.As(err, &ps) {
		t.Errorf("missing file: err = %v, want a plain error", err)
	}
}

// A supplies B 10 and C 30, one sector, every input linear. Only A sells, so w_A = 1
// and a firm's ESRI is what A loses: its own failure 1; C's failure 30/40 of A's
// sales (h^u_A = 1 − 30/40), B's 10/40.
func TestESRI(t *testing.T) {
	p := write(t, map[string]string{
		"edges.csv":   "supplier,customer,amount\nA,B,10\nA,C,30\n",
		"sectors.csv": "firm,sector\nB,s\nA,s\nC,s\n",
	})
	res, err := offline.ESRI(context.Background(), offline.ESRIFiles{Edges: p["edges.csv"], Sectors: p["sectors.csv"]},
		risk.DefaultESRIParams())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		firm string
		esri float64
	}{{"A", 1}, {"C", 0.75}, {"B", 0.25}}
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d", len(res), len(want))
	}
	for i, w := range want {
		if res[i].Firm != w.firm || math.Abs(res[i].ESRI-w.esri) > 1e-12 || !res[i].Converged {
			t.Errorf("result %d = %+v, want %s %v", i, res[i], w.firm, w.esri)
		}
	}
}

// The model's refusals of firm data point at the rows that gave them.
func TestESRIProblemsAtRows(t *testing.T) {
	p := write(t, map[string]string{
		"edges.csv":   "supplier,customer,amount\nA,B,10\nA,X,1\n",
		"sectors.csv": "firm,sector\nA,s\nB,s\n",
		"revenue.csv": "firm,value\nB,0\nA,5\n",
	})
	files := offline.ESRIFiles{Edges: p["edges.csv"], Sectors: p["sectors.csv"]}
	_, err := offline.ESRI(context.Background(), files, risk.DefaultESRIParams())
	var ps offline.Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].File != p["edges.csv"] || ps[0].Line != 3 || ps[0].Field != "customer" {
		t.Errorf("unknown firm: err = %v", err)
	}
	files.Edges = write(t, map[string]string{"e.csv": "supplier,customer,amount\nA,B,10\n"})["e.csv"]
	files.Revenue = p["revenue.csv"]
	_, err = offline.ESRI(context.Background(), files, risk.DefaultESRIParams())
	want := offline.Problem{File: p["revenue.csv"], Line: 3, Field: "value",
		Reason: `revenue of "A": 5 is below the firm's amount in the network (10)`}
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0] != want {
		t.Errorf("revenue below sales: err = %v, want %v", err, want)
	}
}
