// Command gendemo writes the demo dataset of package demo: three leading firms of
// Heilongjiang with their supply chains, a year of credit events and some repairs, and
// who represents and owns the firms.
// It is deterministic: the same seed writes the same files. Run it through
// `go generate ./demo/`.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/credit"
)

// anchor is the demo's "now"; it must equal demo.Anchor (checked by demo's tests).
const anchor = "2026-11-20"

// defaultSeed is the seed the committed data was generated with.
const defaultSeed = 20261120

func main() {
	out := flag.String("out", "data", "directory to write the CSV files into")
	seed := flag.Uint64("seed", defaultSeed, "random seed")
	flag.Parse()
	if err := run(*out, *seed, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gendemo:", err)
		os.Exit(1)
	}
}

func run(dir string, seed uint64, log io.Writer) error {
	b := newBuilder(seed)
	k := b.buildChains()
	b.chainTiers(k.soy, k.dairy, k.petro)
	b.assignShares()
	b.assignRevenues()
	b.assignDates()

	g := newEventGen(seed, mustDay(anchor))
	g.plantEvents(k)
	g.targets(b.firms)
	g.plantStatuses(b.firms)
	g.generic(b.firms)
	g.assignIDs()
	o := newOwners(seed, b)
	o.build(k, g)

	counts, tiers := map[byte]int{}, map[int]int{}
	for _, f := range b.firms {
		tiers[f.tier]++
		_, got := g.grade(f, g.byFirm[f])
		if f.target != 0 && got != f.target {
			return fmt.Errorf("%s: grade %c, planned %c", f.name, got, f.target)
		}
		counts[got]++
	}
	repairs := 0
	for _, e := range g.events {
		if !e.repairedAt.IsZero() {
			repairs++
		}
	}
	fmt.Fprintf(log, "gendemo: %d firms (tiers 0: %d, 1: %d, 2: %d, 3: %d, -1: %d, outside the chains: %d), %d relations, %d events, %d repairs, %d shareholdings; grades A %d, B %d, C %d, D %d\n",
		len(b.firms), tiers[0], tiers[1], tiers[2], tiers[3], tiers[-1], tiers[outside], len(b.edges), len(g.events), repairs,
		len(o.stakes), counts['A'], counts['B'], counts['C'], counts['D'])

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, kind := range credit.Kinds {
		if err := writeFile(filepath.Join(dir, string(kind)+".csv"), rows(kind, b, g, o)); err != nil {
			return err
		}
	}
	return nil
}

func money(x float64) string { return strconv.FormatFloat(x, 'f', 0, 64) }

func share(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func rows(kind credit.Kind, b *builder, g *eventGen, o *owners) [][]string {
	var out [][]string
	switch kind {
	case credit.KindEnterprises:
		out = append(out, []string{"uscc", "name", "region", "industry", "tags", "status", "revenue",
			"legal_rep_id", "legal_rep_name", "registered_capital", "established_at", "former_names"})
		for _, f := range b.firms {
			rev, repID, repName, capital := "", "", "", ""
			if f.showRev {
				rev = money(f.rev)
			}
			if f.rep != nil {
				repID, repName = f.rep.id, f.rep.name
			}
			if f.capital > 0 {
				capital = money(f.capital)
			}
			out = append(out, []string{f.uscc, f.name, f.region, f.industry, strings.Join(f.tags, ";"), string(f.status), rev,
				repID, repName, capital, f.established, formerNamesOf(f.name)})
		}
	case credit.KindRelations:
		out = append(out, []string{"supplier", "customer", "purchase_share", "sales_share", "substitutability",
			"amount", "product", "valid_from", "valid_to"})
		for _, e := range b.edges {
			amount := ""
			if e.showAmount {
				amount = money(e.amount)
			}
			out = append(out, []string{e.s.uscc, e.c.uscc, share(e.ps), share(e.ss), share(e.subst),
				amount, e.product, e.from, e.to})
		}
	case credit.KindEvents:
		out = append(out, []string{"event_id", "uscc", "type", "occurred_at", "publish_until", "source", "amount", "description"})
		for _, e := range g.events {
			pu, amount := "", ""
			if t := e.publishUntil(); !t.IsZero() {
				pu = day(t)
			}
			if e.amount > 0 {
				amount = money(e.amount)
			}
			out = append(out, []string{e.id, e.f.uscc, e.typ.Name, day(e.at), pu, e.source, amount, e.desc})
		}
	case credit.KindRepairs:
		out = append(out, []string{"event_id", "repaired_at", "decided_by", "reason"})
		for _, e := range g.events {
			if !e.repairedAt.IsZero() {
				out = append(out, []string{e.id, day(e.repairedAt), e.repairBy, e.repairReason})
			}
		}
	case credit.KindShareholdings:
		out = o.rows()
	}
	return out
}

func writeFile(path string, records [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(records); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
