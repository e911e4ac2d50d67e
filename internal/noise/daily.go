package noise

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/chainrisk/chainrisk/demo"
)

// Daily rates of the simulated month, per firm of the world (docs/alerts.md, Noise).
// A generated province holds three events per firm over three years, so one event
// per firm per year keeps that pace: 274 a day for 100,000 firms. The province's
// types repair about 6 % of their events; relations change far more rarely.
const (
	eventsPerFirmDay    = 1.0 / 365
	repairsPerEvent     = 0.06
	relationsPerFirmDay = 2e-4 // half end, half are new
	// repairMinAge is how long an event stays public before it is repaired;
	// penalty_general at least three months, as the generator has it.
	repairMinAge        = 30 * 24 * time.Hour
	repairMinAgeGeneral = 92 * 24 * time.Hour
)

// dayBatch is one simulated day's ingest: three CSV files, each one batch.
type dayBatch struct {
	events, repairs, relations []byte
	counts                     [3]int // rows of events, repairs, relations
}

// daily draws the days' batches of a world.
type daily struct {
	inv   *inventory
	rng   *rand.Rand
	mix   []demo.ProvinceEventType
	cum   []int
	byWho map[string]string
	seq   int
}

func newDaily(inv *inventory, seed uint64) *daily {
	d := &daily{inv: inv, rng: rand.New(rand.NewPCG(seed, seed^0x5bd1e995)), mix: demo.ProvinceEventMix(),
		byWho: repairers()}
	total := 0
	for _, t := range d.mix {
		total += t.Weight
		d.cum = append(d.cum, total)
	}
	return d
}

// count rounds an expected count stochastically, so that small worlds see a few rows
// over a month rather than none.
func (d *daily) count(expected float64) int {
	n := math.Floor(expected)
	if d.rng.Float64() < expected-n {
		n++
	}
	return int(n)
}

// day draws the batches of the day starting at midnight day.
func (d *daily) day(day time.Time) (*dayBatch, error) {
	n := float64(len(d.inv.firms))
	b := &dayBatch{}
	var err error
	if b.events, b.counts[0], err = d.newEvents(day, d.count(n*eventsPerFirmDay)); err != nil {
		return nil, err
	}
	if b.repairs, b.counts[1], err = d.newRepairs(day, d.count(n*eventsPerFirmDay*repairsPerEvent)); err != nil {
		return nil, err
	}
	if b.relations, b.counts[2], err = d.relationChanges(day, d.count(n*relationsPerFirmDay)); err != nil {
		return nil, err
	}
	return b, nil
}

func writeCSV(header []string, rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(header); err != nil {
		return nil, err
	}
	if err := w.WriteAll(rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newEvents draws k events of the province's mix on random firms, occurring on the
// day or up to three days before (reports arrive late).
func (d *daily) newEvents(day time.Time, k int) ([]byte, int, error) {
	rows := make([][]string, 0, k)
	for range k {
		t := d.mix[pick(d.rng, d.cum)]
		d.seq++
		id := fmt.Sprintf("SIM-%s-%05d", day.Format("20060102"), d.seq)
		at := day.AddDate(0, 0, -d.rng.IntN(4))
		amount := ""
		if t.Amount[0] > 0 {
			lo, hi := math.Log(t.Amount[0]), math.Log(t.Amount[1])
			amount = strconv.FormatInt(int64(math.Round(math.Exp(lo+(hi-lo)*d.rng.Float64())/1e3))*1e3, 10)
		}
		firm := d.inv.firms[d.rng.IntN(len(d.inv.firms))]
		rows = append(rows, []string{id, firm, t.Type, at.Format(time.DateOnly), "", t.Source, amount, t.Description})
		if t.Repaired > 0 {
			d.inv.repairs = append(d.inv.repairs, repairable{id: id, kind: t.Type, at: at})
		}
	}
	b, err := writeCSV([]string{"event_id", "uscc", "type", "occurred_at", "publish_until", "source", "amount",
		"description"}, rows)
	return b, len(rows), err
}

// newRepairs repairs up to k events that have been public long enough and are not
// repaired yet, dated on the day.
func (d *daily) newRepairs(day time.Time, k int) ([]byte, int, error) {
	var rows [][]string
	for tries := 0; len(rows) < k && tries < 50*k && len(d.inv.repairs) > 0; tries++ {
		e := d.inv.repairs[d.rng.IntN(len(d.inv.repairs))]
		age := day.Sub(e.at)
		if d.inv.repaired[e.id] || age < repairMinAge || (e.kind == "penalty_general" && age < repairMinAgeGeneral) {
			continue
		}
		d.inv.repaired[e.id] = true
		rows = append(rows, []string{e.id, day.Format(time.DateOnly), d.byWho[e.kind], "已履行相关义务并完成整改，经核查符合信用修复条件"})
	}
	b, err := writeCSV([]string{"event_id", "repaired_at", "decided_by", "reason"}, rows)
	return b, len(rows), err
}

// relationChanges ends about half of k current relations on the day and starts the
// others between random firms, with small shares.
func (d *daily) relationChanges(day time.Time, k int) ([]byte, int, error) {
	cols := map[string]int{}
	for i, h := range d.inv.relHeader {
		cols[h] = i
	}
	var rows [][]string
	for i := range k {
		if i%2 == 0 && len(d.inv.relations) > 0 {
			j := d.rng.IntN(len(d.inv.relations))
			rec := d.inv.relations[j]
			d.inv.relations[j] = d.inv.relations[len(d.inv.relations)-1]
			d.inv.relations = d.inv.relations[:len(d.inv.relations)-1]
			rec[cols["valid_to"]] = day.Format(time.DateOnly)
			rows = append(rows, rec)
			continue
		}
		sup, cust := d.inv.firms[d.rng.IntN(len(d.inv.firms))], d.inv.firms[d.rng.IntN(len(d.inv.firms))]
		if sup == cust {
			continue
		}
		rec := make([]string, len(d.inv.relHeader))
		for name, v := range map[string]string{"supplier": sup, "customer": cust, "purchase_share": "0.02",
			"sales_share": "0.01", "substitutability": "0.6", "product": "原材料", "valid_from": day.Format(time.DateOnly)} {
			if c, ok := cols[name]; ok {
				rec[c] = v
			}
		}
		rows = append(rows, rec)
	}
	b, err := writeCSV(d.inv.relHeader, rows)
	return b, len(rows), err
}

// pick draws an index by cumulative weights.
func pick(rng *rand.Rand, cum []int) int {
	x := rng.IntN(cum[len(cum)-1])
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	return len(cum) - 1
}
