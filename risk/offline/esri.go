package offline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/risk"
)

// ESRIFiles name the input files of an offline ESRI run. Edges and Sectors are
// required, the others optional ("").
type ESRIFiles struct {
	Edges   string // supplier,customer,amount
	Sectors string // firm,sector: the firms, in this order
	Ess     string // supplier_sector,customer_sector,level (0, 1 or 2)
	Revenue string // firm,value (firms not listed: their sales in the network)
	Costs   string // firm,value (firms not listed: their purchases in the network)
	Market  string // firm,market: turns replaceability on (firms not listed are in no market)
}

// ESRI reads the files and computes the ESRI of every firm (risk.ESRIAll) with p's
// eps, step bound and default essentiality; the ess file gives the pairs' levels.
// Results are by ESRI, highest first, then by firm.
//
// Bad rows are returned as Problems, as are the firm data the model refuses (revenue
// or costs below the firm's amounts in the network), pointed at their rows. Every
// other error says "esri: ".
func ESRI(ctx context.Context, f ESRIFiles, p risk.ESRIParams) ([]risk.ESRIResult, error) {
	rd := &esriReader{files: f, firmLine: map[string]int{}, firmIndex: map[string]int{}}
	in, err := rd.read()
	if err != nil {
		return nil, err
	}
	p.Ess = rd.ess
	in.Eps, in.MaxSteps, in.Ess = p.Eps, p.MaxSteps, p.Essentiality
	results, err := risk.ESRIAll(ctx, in, 0)
	if err != nil {
		var nes risk.NodeErrors
		if errors.As(err, &nes) {
			return nil, rd.nodeProblems(nes)
		}
		return nil, err // the model's errors say "esri: " already
	}
	slices.SortFunc(results, func(a, b risk.ESRIResult) int {
		return cmp.Or(cmp.Compare(b.ESRI, a.ESRI), strings.Compare(a.Firm, b.Firm))
	})
	return results, nil
}

// esriReader reads the files of ESRIFiles.
type esriReader struct {
	files          ESRIFiles
	bad            Problems
	firms, sectors []string
	firmLine       map[string]int // line of each firm in the sectors file
	firmIndex      map[string]int
	ess            map[risk.SectorPair]risk.Essentiality
	// Lines of each firm in the revenue and costs files.
	revenueLine, costsLine map[string]int
}

// read reads every file into the model's input (its parameters left for ESRI).
func (rd *esriReader) read() (risk.ESRIInput, error) {
	var in risk.ESRIInput
	fail := func(err error) (risk.ESRIInput, error) { return in, fmt.Errorf("esri: %w", err) }
	if err := rd.readSectors(); err != nil {
		return fail(err)
	}
	edges, err := readEdges(rd.files.Edges, [3]string{"supplier", "customer", "amount"}, &rd.bad,
		func(r row, sup, cus string) bool { return rd.known(r, "supplier", sup) && rd.known(r, "customer", cus) })
	if err != nil {
		return fail(err)
	}
	if err := rd.readEss(); err != nil {
		return fail(err)
	}
	if in.Revenue, rd.revenueLine, err = rd.numbers(rd.files.Revenue); err != nil {
		return fail(err)
	}
	if in.Costs, rd.costsLine, err = rd.numbers(rd.files.Costs); err != nil {
		return fail(err)
	}
	if in.Markets, err = rd.markets(); err != nil {
		return fail(err)
	}
	if len(rd.bad) > 0 {
		return in, rd.bad
	}
	if in.Network, err = graph.NewNetwork(rd.firms, edges); err != nil {
		return fail(err)
	}
	in.Sectors = rd.sectors
	return in, nil
}

// readSectors reads the firms, each once, with their sectors.
func (rd *esriReader) readSectors() error {
	return readCSV(rd.files.Sectors, []string{"firm", "sector"}, &rd.bad, func(r row) {
		firm, sector := r.id("firm"), r.id("sector")
		if firm == "" || sector == "" {
			return
		}
		if first, dup := rd.firmLine[firm]; dup {
			r.bad("firm", "duplicate firm %q (first at line %d)", firm, first)
			return
		}
		rd.firmLine[firm] = r.line
		rd.firmIndex[firm] = len(rd.firms)
		rd.firms = append(rd.firms, firm)
		rd.sectors = append(rd.sectors, sector)
	})
}

// known reports whether the sectors file lists firm, reporting it when not.
func (rd *esriReader) known(r row, field, firm string) bool {
	if _, ok := rd.firmLine[firm]; !ok {
		r.bad(field, "firm %q has no sector in %s", firm, rd.files.Sectors)
		return false
	}
	return true
}

// readEss reads the essentiality of sector pairs, each pair once.
func (rd *esriReader) readEss() error {
	rd.ess = map[risk.SectorPair]risk.Essentiality{}
	if rd.files.Ess == "" {
		return nil
	}
	essLine := map[risk.SectorPair]int{}
	return readCSV(rd.files.Ess, []string{"supplier_sector", "customer_sector", "level"}, &rd.bad, func(r row) {
		k, l := r.id("supplier_sector"), r.id("customer_sector")
		level := r.field("level")
		if k == "" || l == "" {
			return
		}
		if level != "0" && level != "1" && level != "2" {
			r.bad("level", "%q is not 0, 1 or 2", level)
			return
		}
		pair := risk.SectorPair{Supplier: k, Customer: l}
		if first, dup := essLine[pair]; dup {
			r.bad("customer_sector", "duplicate pair %s→%s (first at line %d)", k, l, first)
			return
		}
		essLine[pair] = r.line
		rd.ess[pair] = risk.Essentiality(level[0] - '0')
	})
}

// perFirm reads a file of one value per firm (columns firm and col), each firm
// known and listed once; set stores row r's value for firm i and says whether it
// was good. It returns the line of each firm whose value was.
func (rd *esriReader) perFirm(path, col string, set func(r row, i int) bool) (map[string]int, error) {
	lines := map[string]int{}
	if path == "" {
		return lines, nil
	}
	return lines, readCSV(path, []string{"firm", col}, &rd.bad, func(r row) {
		firm := r.id("firm")
		if firm == "" || !rd.known(r, "firm", firm) {
			return
		}
		if first, dup := lines[firm]; dup {
			r.bad("firm", "duplicate firm %q (first at line %d)", firm, first)
			return
		}
		if set(r, rd.firmIndex[firm]) {
			lines[firm] = r.line
		}
	})
}

// numbers reads a firm,value file (nil for none): NaN for firms not listed, which
// the model takes as their amounts in the network.
func (rd *esriReader) numbers(path string) ([]float64, map[string]int, error) {
	if path == "" {
		return nil, nil, nil
	}
	vals := make([]float64, len(rd.firms))
	for i := range vals {
		vals[i] = math.NaN()
	}
	lines, err := rd.perFirm(path, "value", func(r row, i int) bool {
		v, ok := r.nonNegative("value")
		vals[i] = v
		return ok
	})
	return vals, lines, err
}

// markets reads the firm,market file (nil for none): "" for firms in no market.
func (rd *esriReader) markets() ([]string, error) {
	if rd.files.Market == "" {
		return nil, nil
	}
	markets := make([]string, len(rd.firms))
	_, err := rd.perFirm(rd.files.Market, "market", func(r row, i int) bool {
		markets[i] = r.id("market")
		return markets[i] != ""
	})
	return markets, err
}

// nodeProblems points the model's per-firm problems at the rows that gave the
// values, or states them alone when no row did.
func (rd *esriReader) nodeProblems(nes risk.NodeErrors) Problems {
	src := map[string]struct {
		file  string
		lines map[string]int
	}{"revenue": {rd.files.Revenue, rd.revenueLine}, "costs": {rd.files.Costs, rd.costsLine}}
	var out Problems
	for _, ne := range nes {
		if s, ok := src[ne.Field]; ok && s.lines[ne.Node] > 0 {
			out.add(s.file, s.lines[ne.Node], "value", "%s of %q: %s", ne.Field, ne.Node, ne.Reason)
		} else {
			out = append(out, Problem{Reason: "esri: " + ne.Error()})
		}
	}
	return out
}
