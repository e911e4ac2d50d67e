package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// esriRows parses the CSV output into firm → fields, checking the header and
// returning the firms in output order.
func esriRows(t *testing.T, out string) ([]string, map[string][]string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("bad CSV %q: %v", out, err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != "firm,esri,esri_d,esri_u,iterations" {
		t.Fatalf("bad header in %q", out)
	}
	var order []string
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		order = append(order, r[0])
		rows[r[0]] = r[1:]
	}
	return order, rows
}

func checkESRIRow(t *testing.T, firm string, got []string, esri, d, u float64, iterations int) {
	t.Helper()
	if len(got) != 4 {
		t.Fatalf("%s: row %v", firm, got)
	}
	for k, want := range []float64{esri, d, u} {
		x, err := strconv.ParseFloat(got[k], 64)
		if err != nil || math.Abs(x-want) > near {
			t.Errorf("%s: column %d = %q, want %v", firm, k+1, got[k], want)
		}
	}
	if got[3] != strconv.Itoa(iterations) {
		t.Errorf("%s: iterations = %s, want %d", firm, got[3], iterations)
	}
}

// The four-firm network A→C 10, B→C 30, C→D 40 in sectors a, b, c, d:
// out-strengths 10, 30, 40, 0, so w = (0.125, 0.375, 0.5, 0); Λu = 1 on
// every link (each supplier has one customer).
const fourEdges = "supplier,customer,amount\nA,C,10\nB,C,30\nC,D,40\n"
const fourSectors = "firm,sector\nA,a\nB,b\nC,c\nD,d\n"

func TestESRICSV(t *testing.T) {
	f := files(t, map[string]string{
		"edges.csv":   fourEdges,
		"sectors.csv": fourSectors,
		"ess.csv":     "supplier_sector,customer_sector,level\na,c,2\n",
	})
	code, stdout, stderr := runCmd(runESRI, "--edges", f("edges.csv"), "--sectors", f("sectors.csv"), "--ess", f("ess.csv"))
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	// A fails, a essential to c: Λd_AC = 10/B_{C,a} = 1 → h^d_C = 0 at
	//   step 1, h^d_D = 0 at step 2, still at step 3. ESRI = w_A + w_C + w_D
	//   = 0.625 = ESRI_d; ESRI_u = w_A = 0.125.
	// B fails, b linear: Λd_BC = 30/40 → h^d_C = 0.25, then h^d_D = 0.25,
	//   still at step 3. ESRI = 0.375 + 0.5·0.75 = 0.75 = ESRI_d; ESRI_u 0.375.
	// C fails: h^d_D = 0 and h^u_A = h^u_B = 0 at step 1, still at step 2.
	//   ESRI = 1, ESRI_d = w_C + w_D = 0.5, ESRI_u = 1.
	// D fails: h^u_C = 0 (step 1), h^u_A = h^u_B = 0 (step 2), still at
	//   step 3. ESRI = 1, ESRI_d = 0 (D weighs 0), ESRI_u = 1.
	// Order: C and D tie at 1 (by id), then B, then A.
	want := "firm,esri,esri_d,esri_u,iterations\n" +
		"C,1,0.5,1,2\n" +
		"D,1,0,1,3\n" +
		"B,0.75,0.75,0.375,3\n" +
		"A,0.625,0.625,0.125,3\n"
	if stdout != want {
		t.Errorf("output:\n%s\nwant:\n%s", stdout, want)
	}
}

func TestESRIOptions(t *testing.T) {
	f := files(t, map[string]string{
		"edges.csv":   fourEdges,
		"sectors.csv": fourSectors,
		// A and B in one sector a, essential to c, and in one market.
		"sectors_ab.csv": "firm,sector\nA,a\nB,a\nC,c\nD,d\n",
		"ess.csv":        "supplier_sector,customer_sector,level\na,c,2\n",
		"market.csv":     "\ufefffirm,market\nA,m\nB,m\n",
		// S→F 10, F→G 20: w = (1/3, 2/3, 0).
		"line.csv":    "supplier,customer,amount\nS,F,10\nF,G,20\n",
		"line_s.csv":  "firm,sector\nS,s\nF,f\nG,g\n",
		"revenue.csv": "firm,value\nS,40\n",
		"costs.csv":   "value,firm\n40,F\n",
	})
	type row struct {
		esri, d, u float64
		iterations int
	}
	for _, c := range []struct {
		name  string
		args  []string
		order []string
		want  map[string]row
	}{
		{
			// B_{C,a} = 40: Λd_AC = 0.25, Λd_BC = 0.75. A and B in market m.
			// A fails: A_m = 0·10 + 1·30 = 30, σ_A = 1/3, so h^d_C = 1 −
			// 0.25/3 = 11/12 (step 1), h^d_D = 11/12 (step 2), still at 3.
			// ESRI_A = 0.125 + 0.5/12 = 1/6.
			// B fails: A_m = 10, σ_B = min(1, 30/10) = 1: h^d_C = 0.25,
			// h^d_D = 0.25: ESRI_B = 0.375 + 0.5·0.75 = 0.75.
			// C, D: as without replaceability (their suppliers are intact).
			name:  "replaceability",
			args:  []string{"--edges", f("edges.csv"), "--sectors", f("sectors_ab.csv"), "--ess", f("ess.csv"), "--market", f("market.csv")},
			order: []string{"C", "D", "B", "A"},
			want: map[string]row{
				"A": {1.0 / 6, 1.0 / 6, 0.125, 3},
				"B": {0.75, 0.75, 0.375, 3},
				"C": {1, 0.5, 1, 2},
				"D": {1, 0, 1, 3},
			},
		},
		{
			// Every pair irrelevant: no downstream loss at all, upstream
			// unchanged. A, B: only their own weight, 1 step.
			name:  "ess default 0",
			args:  []string{"--edges", f("edges.csv"), "--sectors", f("sectors.csv"), "--ess-default", "0"},
			order: []string{"C", "D", "B", "A"},
			want: map[string]row{
				"A": {0.125, 0.125, 0.125, 1},
				"B": {0.375, 0.375, 0.375, 1},
				"C": {1, 0.5, 1, 2},
				"D": {1, 0, 1, 3},
			},
		},
		{
			// revenue_S = 40 → Λu_SF = 0.25; costs_F = 40, s_F^in = 10 →
			// Λd_SF = 10/10 · 10/40 = 0.25; Λd_FG = Λu_FG = 1.
			// S fails: h^d_F = 0.75, then h^d_G = 0.75, still at step 3:
			//   ESRI = 1/3 + (2/3)·0.25 = 0.5; ESRI_u = 1/3.
			// F fails: h^d_G = 0, h^u_S = 0.75 at step 1, still at step 2:
			//   ESRI = (1/3)·0.25 + 2/3 = 0.75, ESRI_d = 2/3, ESRI_u = 0.75.
			// G fails: h^u_F = 0 (step 1), h^u_S = 0.75 (step 2), still at
			//   step 3: ESRI = 0.75, ESRI_d = 0, ESRI_u = 0.75.
			// F and G tie exactly (same terms in the same order): by id.
			name:  "revenue and costs",
			args:  []string{"--edges", f("line.csv"), "--sectors", f("line_s.csv"), "--revenue", f("revenue.csv"), "--costs", f("costs.csv"), "--output", "json"},
			order: []string{"F", "G", "S"},
			want: map[string]row{
				"S": {0.5, 0.5, 1.0 / 3, 3},
				"F": {0.75, 2.0 / 3, 0.75, 2},
				"G": {0.75, 0, 0.75, 3},
			},
		},
		{
			// ε = 0.999: a step converges unless some h drops by a full 1.
			name:  "eps flag",
			args:  []string{"--edges", f("edges.csv"), "--sectors", f("sectors.csv"), "--eps", "0.999"},
			order: []string{"C", "D", "B", "A"},
			want: map[string]row{
				// A: step 1 h^d_C drops 0.25 ≤ 0.999: stop at 1 step, D not
				// reached: ESRI = 0.125 + 0.5·0.25 = 0.25.
				"A": {0.25, 0.25, 0.125, 1},
				// B: h^d_C drops 0.75: stop; ESRI = 0.375 + 0.5·0.75 = 0.75.
				"B": {0.75, 0.75, 0.375, 1},
				"C": {1, 0.5, 1, 2},
				// D: step 1 h^u_C drops 1 > 0.999; step 2 h^u_A, h^u_B drop
				// 1; step 3 nothing: 3 steps.
				"D": {1, 0, 1, 3},
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(runESRI, c.args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			var order []string
			rows := map[string][]string{}
			if strings.HasPrefix(stdout, "[") {
				var got []struct {
					Firm       string  `json:"firm"`
					ESRI       float64 `json:"esri"`
					ESRId      float64 `json:"esri_d"`
					ESRIu      float64 `json:"esri_u"`
					Iterations int     `json:"iterations"`
				}
				if err := json.Unmarshal([]byte(stdout), &got); err != nil {
					t.Fatalf("bad JSON %q: %v", stdout, err)
				}
				for _, g := range got {
					order = append(order, g.Firm)
					rows[g.Firm] = []string{strconv.FormatFloat(g.ESRI, 'g', -1, 64), strconv.FormatFloat(g.ESRId, 'g', -1, 64),
						strconv.FormatFloat(g.ESRIu, 'g', -1, 64), strconv.Itoa(g.Iterations)}
				}
			} else {
				order, rows = esriRows(t, stdout)
			}
			if strings.Join(order, " ") != strings.Join(c.order, " ") {
				t.Errorf("order = %v, want %v", order, c.order)
			}
			for firm, w := range c.want {
				checkESRIRow(t, firm, rows[firm], w.esri, w.d, w.u, w.iterations)
			}
		})
	}
}

func TestESRIUsage(t *testing.T) {
	f := files(t, map[string]string{"e.csv": fourEdges, "s.csv": fourSectors})
	e, s := f("e.csv"), f("s.csv")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no edges", []string{"--sectors", s}, "--edges is required"},
		{"no sectors", []string{"--edges", e}, "--sectors is required"},
		{"ess default 3", []string{"--edges", e, "--sectors", s, "--ess-default", "3"}, "--ess-default 3"},
		{"eps 0", []string{"--edges", e, "--sectors", s, "--eps", "0"}, "--eps 0"},
		{"eps 1", []string{"--edges", e, "--sectors", s, "--eps", "1"}, "--eps 1"},
		{"eps NaN", []string{"--edges", e, "--sectors", s, "--eps", "NaN"}, "--eps NaN"},
		{"negative max steps", []string{"--edges", e, "--sectors", s, "--max-steps", "-1"}, "--max-steps -1"},
		{"bad output", []string{"--edges", e, "--sectors", s, "--output", "table"}, `--output "table"`},
		{"bad flag value", []string{"--edges", e, "--sectors", s, "--eps", "x"}, "invalid value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(runESRI, c.args...)
			if code != 2 || stdout != "" || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 and %q", code, stdout, stderr, c.want)
			}
		})
	}
}

func TestESRIBadData(t *testing.T) {
	f := files(t, map[string]string{
		"edges.csv":   fourEdges,
		"sectors.csv": fourSectors,
		"bad_edges.csv": "supplier,customer,amount\n" +
			"A,C,10\n" + // 2
			"A,X,5\n" + // 3: X has no sector
			"A,C,3\n" + // 4: duplicate
			"B,B,1\n" + // 5: self-loop
			"B,C,-3\n" + // 6
			"B,D,1e400\n", // 7: overflows to +Inf
		"bad_sectors.csv": "firm,sector\nA,a\nA,b\nB,\n",
		"bad_ess.csv":     "supplier_sector,customer_sector,level\na,c,3\na,c,2\na,c,1\nb,c,1.0\n",
		"revenue_low.csv": "firm,value\nA,1\nB,30\n",
		"costs_low.csv":   "firm,value\nC,39.5\n",
		"revenue_bad.csv": "firm,value\nZ,10\nA,10\nA,20\n",
		"market_bad.csv":  "firm,market\nA,\nY,m\n",
		"zero_edges.csv":  "supplier,customer,amount\nA,B,0\n",
		"header_only.csv": "supplier,customer,amount\n",
	})
	base := []string{"--edges", f("edges.csv"), "--sectors", f("sectors.csv")}
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"bad edges", []string{"--edges", f("bad_edges.csv"), "--sectors", f("sectors.csv")}, []string{
			`bad_edges.csv:3: customer: firm "X" has no sector in`,
			"bad_edges.csv:4: customer: duplicate edge A→C (first at line 2)",
			`bad_edges.csv:5: customer: self-loop on "B"`,
			"bad_edges.csv:6: amount: -3 is negative",
			`bad_edges.csv:7: amount: "1e400" is not a finite number`,
		}},
		{"bad sectors", []string{"--edges", f("edges.csv"), "--sectors", f("bad_sectors.csv")}, []string{
			`bad_sectors.csv:3: firm: duplicate firm "A" (first at line 2)`,
			"bad_sectors.csv:4: sector: empty",
			// C and D are missing from the sectors file.
			`edges.csv:2: customer: firm "C" has no sector`,
		}},
		{"bad ess", append(base, "--ess", f("bad_ess.csv")), []string{
			`bad_ess.csv:2: level: "3" is not 0, 1 or 2`,
			"bad_ess.csv:4: customer_sector: duplicate pair a→c (first at line 3)",
			`bad_ess.csv:5: level: "1.0" is not 0, 1 or 2`,
		}},
		{"revenue below sales", append(base, "--revenue", f("revenue_low.csv")), []string{
			`revenue_low.csv:2: value: revenue of "A": 1 is below the firm's amount in the network (10)`,
		}},
		{"costs below purchases", append(base, "--costs", f("costs_low.csv")), []string{
			`costs_low.csv:2: value: costs of "C": 39.5 is below the firm's amount in the network (40)`,
		}},
		{"bad revenue rows", append(base, "--revenue", f("revenue_bad.csv")), []string{
			`revenue_bad.csv:2: firm: firm "Z" has no sector`,
			`revenue_bad.csv:4: firm: duplicate firm "A" (first at line 3)`,
		}},
		{"bad market rows", append(base, "--market", f("market_bad.csv")), []string{
			"market_bad.csv:2: market: empty",
			`market_bad.csv:3: firm: firm "Y" has no sector`,
		}},
		{"zero amounts", []string{"--edges", f("zero_edges.csv"), "--sectors", f("sectors.csv")}, []string{"total amount in the network is 0"}},
		{"no edges", []string{"--edges", f("header_only.csv"), "--sectors", f("sectors.csv")}, []string{"total amount in the network is 0"}},
		{"missing file", append(base, "--costs", f("nope.csv")), []string{"nope.csv"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(runESRI, c.args...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr, "esri: esri:") {
				t.Errorf("doubled prefix:\n%s", stderr)
			}
		})
	}
}

// scaleFreeFirms writes a dense scale-free production network of n firms: a clique
// of m+1 firms, then each new firm trades with m firms drawn in proportion to their
// degree (preferential attachment), each link in a random direction with a
// log-normal amount, and every firm in one of four sectors. Seeded, so every run
// writes the same files; it returns the edges and sectors CSV texts.
func scaleFreeFirms(n, m int, seed uint64) (edges, sectors string) {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	var urn []int // each firm once per link end: a degree-proportional draw
	seen := map[[2]int]bool{}
	var eb strings.Builder
	eb.WriteString("supplier,customer,amount\n")
	link := func(a, b int) {
		if r.IntN(2) == 0 {
			a, b = b, a
		}
		if a == b || seen[[2]int{a, b}] {
			return
		}
		seen[[2]int{a, b}] = true
		fmt.Fprintf(&eb, "%d,%d,%s\n", a+1, b+1, strconv.FormatFloat(math.Exp(4+1.5*r.NormFloat64()), 'g', -1, 64))
		urn = append(urn, a, b)
	}
	for i := 0; i <= m; i++ {
		for j := range i {
			link(i, j)
		}
	}
	for i := m + 1; i < n; i++ {
		for range m {
			link(i, urn[r.IntN(len(urn))])
		}
	}
	var sb strings.Builder
	sb.WriteString("firm,sector\n")
	for i := range n {
		fmt.Fprintf(&sb, "%d,%d\n", i+1, 1+r.IntN(4))
	}
	return eb.String(), sb.String()
}

// referenceCascade is the GL cascade of one failing firm written the way the
// reference implementation (GLcascade's R code) writes it, for all-linear
// essentiality: each step takes the sector sums Π_jk = 1 − Σ_{i∈k} Λd_ij (1 − h^d_i),
// then h^d_j = max(0, min(1 − Σ_k (1 − Π_jk), ψ_j)) and h^u_i = max(0, min(ψ_i,
// 1 − Σ_j Λu_ij (1 − h^u_j))), until max(h(t) − h(t+1)) ≤ eps. w lists each
// firm's sales (customer, amount). It shares no code with risk.ESRI.
func referenceCascade(w [][]sale, sector []int, sectors, f int, eps float64) (esri float64, steps int) {
	n := len(w)
	in, out := make([]float64, n), make([]float64, n)
	var total float64
	for i := range n {
		for _, e := range w[i] {
			out[i] += e.amount
			in[e.to] += e.amount
		}
		total += out[i]
	}
	hd, hu, psi := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		hd[i], hu[i], psi[i] = 1, 1, 1
	}
	hd[f], hu[f], psi[f] = 0, 0, 0
	pi := make([][]float64, n)
	for j := range pi {
		pi[j] = make([]float64, sectors)
	}
	for {
		steps++
		for j := range n {
			for k := range sectors {
				pi[j][k] = 1
			}
		}
		nu := make([]float64, n)
		for i := range n {
			loss := 0.0
			for _, e := range w[i] {
				pi[e.to][sector[i]] -= e.amount / in[e.to] * (1 - hd[i])
				loss += e.amount / out[i] * (1 - hu[e.to])
			}
			nu[i] = max(0, min(psi[i], 1-loss))
		}
		nd := make([]float64, n)
		crit := 0.0
		for j := range n {
			lin := 1.0
			for _, p := range pi[j] {
				lin -= 1 - p
			}
			nd[j] = max(0, min(lin, psi[j]))
			crit = max(crit, hd[j]-nd[j], hu[j]-nu[j])
		}
		hd, hu = nd, nu
		if crit <= eps {
			break
		}
	}
	for i := range n {
		esri += out[i] / total * (1 - min(hd[i], hu[i]))
	}
	return esri, steps
}

type sale struct {
	to     int
	amount float64
}

type esriJSONRow struct {
	Firm       string  `json:"firm"`
	ESRI       float64 `json:"esri"`
	ESRId      float64 `json:"esri_d"`
	ESRIu      float64 `json:"esri_u"`
	Iterations int     `json:"iterations"`
	Converged  *bool   `json:"converged"`
}

// TestESRIDenseScaleFreeTinyEps: on a dense 101-firm scale-free network at
// --eps 1e-12, some firms' cascades need more than 10,000 steps. The reference
// (GLcascade) iterates until convergence, without a step bound, so every firm
// must come out converged — not one error that loses all 101.
//
// Every firm buys and sells and the network is strongly connected, so a failure
// ends, at convergence, in total collapse: h → 0 everywhere and every index → 1.
func TestESRIDenseScaleFreeTinyEps(t *testing.T) {
	const n = 101
	edges, sectors := scaleFreeFirms(n, 30, 3)
	f := files(t, map[string]string{"edges.csv": edges, "sectors.csv": sectors})

	// The network as matrices, and the premise of total collapse.
	w := make([][]sale, n)
	recs, _ := csv.NewReader(strings.NewReader(edges)).ReadAll()
	for _, rec := range recs[1:] {
		a, _ := strconv.Atoi(rec[0])
		b, _ := strconv.Atoi(rec[1])
		x, _ := strconv.ParseFloat(rec[2], 64)
		w[a-1] = append(w[a-1], sale{b - 1, x})
	}
	sector := make([]int, n)
	recs, _ = csv.NewReader(strings.NewReader(sectors)).ReadAll()
	for i, rec := range recs[1:] {
		sector[i], _ = strconv.Atoi(rec[1])
		sector[i]--
	}
	next := [2][][]int{make([][]int, n), make([][]int, n)} // customers, suppliers
	for i, sales := range w {
		for _, e := range sales {
			next[0][i] = append(next[0][i], e.to)
			next[1][e.to] = append(next[1][e.to], i)
		}
	}
	reach := func(dir int) int {
		seen := make([]bool, n)
		seen[0] = true
		queue, count := []int{0}, 1
		for len(queue) > 0 {
			i := queue[0]
			queue = queue[1:]
			for _, j := range next[dir][i] {
				if !seen[j] {
					seen[j] = true
					count++
					queue = append(queue, j)
				}
			}
		}
		return count
	}
	relations := strings.Count(edges, "\n") - 1
	if down, up := reach(0), reach(1); down != n || up != n || relations < 15*n {
		t.Fatalf("the generated network is not dense and strongly connected: %d relations, %d and %d of %d firms reached",
			relations, down, up, n)
	}

	code, stdout, stderr := runCmd(runESRI, "--edges", f("edges.csv"), "--sectors", f("sectors.csv"), "--eps", "1e-12", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var rows []esriJSONRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("bad JSON: %v", err)
	}
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	slowest, over := rows[0], 0
	for _, r := range rows {
		if r.Converged == nil || !*r.Converged {
			t.Errorf("%s: converged %v after %d steps, want true", r.Firm, r.Converged, r.Iterations)
		}
		for _, x := range []float64{r.ESRI, r.ESRId, r.ESRIu} {
			if math.Abs(x-1) > 1e-6 {
				t.Errorf("%s: ESRI %v, %v, %v; want 1 (total collapse) within 1e-6", r.Firm, r.ESRI, r.ESRId, r.ESRIu)
				break
			}
		}
		if r.Iterations > slowest.Iterations {
			slowest = r
		}
		if r.Iterations > 10000 {
			over++
		}
	}
	t.Logf("slowest firm %s: %d steps; %d firms need more than 10,000", slowest.Firm, slowest.Iterations, over)
	if slowest.Iterations <= 10000 {
		t.Fatalf("no firm needs more than 10,000 steps (slowest %s: %d): the network does not reproduce the problem",
			slowest.Firm, slowest.Iterations)
	}

	// With a step bound, firms that need more steps are flagged and keep their rows;
	// the others are exactly as without the bound.
	t.Run("max steps", func(t *testing.T) {
		const bound = 1300 // the fastest firms need a little more than 1,000 steps
		args := []string{"--edges", f("edges.csv"), "--sectors", f("sectors.csv"), "--eps", "1e-12"}
		code, stdout, stderr := runCmd(runESRI, append(args, "--max-steps", strconv.Itoa(bound), "--output", "json")...)
		if code != 0 {
			t.Fatalf("exit %d, stderr:\n%s", code, stderr)
		}
		var bounded []esriJSONRow
		if err := json.Unmarshal([]byte(stdout), &bounded); err != nil || len(bounded) != n {
			t.Fatalf("%d rows, %v", len(bounded), err)
		}
		full := map[string]esriJSONRow{}
		for _, r := range rows {
			full[r.Firm] = r
		}
		stopped := 0
		for _, b := range bounded {
			u := full[b.Firm]
			switch {
			case b.Converged == nil:
				t.Fatalf("%s: no converged field", b.Firm)
			case u.Iterations <= bound:
				if !*b.Converged || b != (esriJSONRow{u.Firm, u.ESRI, u.ESRId, u.ESRIu, u.Iterations, b.Converged}) {
					t.Errorf("%s: %+v with the bound, %+v without", b.Firm, b, u)
				}
			default:
				stopped++
				// h only falls during a cascade: a stopped one is a lower bound.
				if *b.Converged || b.Iterations != bound || b.ESRI > u.ESRI || b.ESRId > u.ESRId || b.ESRIu > u.ESRIu ||
					!strings.Contains(stderr, " "+b.Firm+" (last drop ") && !strings.Contains(stderr, ": "+b.Firm+" (last drop ") {
					t.Errorf("%s: %+v with the bound, %+v without; stderr:\n%s", b.Firm, b, u, stderr)
				}
			}
		}
		want := fmt.Sprintf("esri: warning: %d firm(s) not converged within --max-steps %d", stopped, bound)
		if stopped == 0 || stopped == n || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%d firms stopped; stderr:\n%s\nwant one line starting %q (and some firms converged)", stopped, stderr, want)
		}
		t.Logf("%d of %d firms stopped at %d steps", stopped, n, bound)

		// CSV keeps exactly the documented columns, with every firm, stopped or not.
		code, stdout, stderr = runCmd(runESRI, append(args, "--max-steps", "1")...)
		order, csvRows := esriRows(t, stdout)
		if code != 0 || len(order) != n || len(csvRows) != n || !strings.Contains(stderr, fmt.Sprintf("%d firm(s) not converged", n)) {
			t.Errorf("CSV: exit %d, %d rows, stderr:\n%s", code, len(order), stderr)
		}
	})

	// The slowest firm and the most systemic one against the reference's
	// formulation. The two sum in different orders, so a drop within rounding of ε
	// may end one step apart.
	for _, r := range []esriJSONRow{slowest, rows[0]} {
		id, _ := strconv.Atoi(r.Firm)
		esri, steps := referenceCascade(w, sector, 4, id-1, 1e-12)
		if d := r.Iterations - steps; d < -1 || d > 1 || math.Abs(r.ESRI-esri) > 1e-9 {
			t.Errorf("%s: %d steps, ESRI %v; the reference formulation: %d steps, ESRI %v", r.Firm, r.Iterations, r.ESRI, steps, esri)
		}
	}
}
