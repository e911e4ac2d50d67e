package noise

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
)

// world is what the simulation starts from: CSV files of every kind (the formats of
// the README's Data formats), who subscribes, and how the data is loaded.
type world struct {
	name  string
	files fs.FS // credit kinds' files, named by demo.FileName
	// start is the simulated moment of the initial load.
	start time.Time
	// demo loads the data as chainriskd -demo does: one batch into the empty store,
	// then the first scan, which announces what it finds. Otherwise the daemon starts
	// on an empty store and the kinds follow as separate batches, each scanned.
	demo bool
	// describe says what the world is, for the report.
	describe string
}

// inventory is what the daily batches draw on: the world's firms, the relations
// without an end that may end, and the events that may be repaired.
type inventory struct {
	firms     []string
	leaders   []string
	relHeader []string
	relations [][]string // rows of relations.csv with an empty valid_to
	repairs   []repairable
	repaired  map[string]bool
}

// repairable is an event of a type that gets repaired.
type repairable struct {
	id, kind string
	at       time.Time
}

// readCSV calls row for every record of a world's file of kind k after its header.
func readCSV(files fs.FS, k credit.Kind, row func(header map[string]int, rec []string) error) ([]string, error) {
	f, err := files.Open(demo.FileName(k))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", demo.FileName(k), err)
	}
	head = append([]string(nil), head...)
	cols := map[string]int{}
	for i, h := range head {
		cols[h] = i
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return head, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", demo.FileName(k), err)
		}
		if err := row(cols, rec); err != nil {
			return nil, fmt.Errorf("%s: %w", demo.FileName(k), err)
		}
	}
}

// takeInventory reads a world's files.
func takeInventory(files fs.FS) (*inventory, error) {
	inv := &inventory{repaired: map[string]bool{}}
	_, err := readCSV(files, credit.KindEnterprises, func(c map[string]int, rec []string) error {
		inv.firms = append(inv.firms, rec[c["uscc"]])
		if strings.Contains(";"+rec[c["tags"]]+";", ";"+credit.TagLeading+";") {
			inv.leaders = append(inv.leaders, rec[c["uscc"]])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	inv.relHeader, err = readCSV(files, credit.KindRelations, func(c map[string]int, rec []string) error {
		if rec[c["valid_to"]] == "" {
			inv.relations = append(inv.relations, append([]string(nil), rec...))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	repairedBy := repairers()
	_, err = readCSV(files, credit.KindEvents, func(c map[string]int, rec []string) error {
		if _, ok := repairedBy[rec[c["type"]]]; ok {
			at, err := time.ParseInLocation(time.DateOnly, rec[c["occurred_at"]], cst)
			if err != nil {
				return err
			}
			inv.repairs = append(inv.repairs, repairable{id: rec[c["event_id"]], kind: rec[c["type"]], at: at})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	_, err = readCSV(files, credit.KindRepairs, func(c map[string]int, rec []string) error {
		inv.repaired[rec[c["event_id"]]] = true
		return nil
	})
	return inv, err
}

// cst is the zone of dates without one (Asia/Shanghai, without its history).
var cst = time.FixedZone("CST", 8*3600)

// repairers maps the event types the province repairs to who decides the repairs.
func repairers() map[string]string {
	out := map[string]string{}
	for _, t := range demo.ProvinceEventMix() {
		if t.Repaired > 0 {
			out[t.Type] = t.RepairedBy
		}
	}
	return out
}
