package demo

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

//go:generate go run ./internal/gendemo -out data

//go:embed data/*.csv
var files embed.FS

// Anchor is the date the demo data's "now" corresponds to: every event occurred on or
// before it, and the grades described in README.md are those scored at it. The newest
// events are a few days older than the anchor.
//
// Loading the data later than that leaves the events ageing: their points decay and
// publicity periods run out, so grades drift upwards. A loader that wants the demo to
// look as designed may shift every date of the data set (occurred_at, publish_until,
// repaired_at, valid_from, valid_to, since, until, established_at) by the same offset,
// today minus Anchor; dates compare and decay identically after such a shift.
const Anchor = "2026-11-20"

// AnchorTime is Anchor at midnight in Asia/Shanghai, the zone of dates without one.
func AnchorTime() time.Time {
	t, err := time.ParseInLocation("2006-01-02", Anchor, time.FixedZone("CST", 8*3600))
	if err != nil {
		panic(err) // a constant that does not parse is a programming error
	}
	return t
}

// FileName is the name of the file holding data of kind k, in FS and in the data
// directory of the repository: enterprises.csv, relations.csv, events.csv, repairs.csv,
// shareholdings.csv.
func FileName(k credit.Kind) string { return string(k) + ".csv" }

// FS returns the demo's CSV files, named by FileName, at its root.
func FS() fs.FS {
	sub, err := fs.Sub(files, "data")
	if err != nil {
		panic(err) // "data" is a valid path of the embedded tree
	}
	return sub
}

// Open opens the demo's CSV file of kind k (README.md format, with a header row).
// Load the kinds in the order of credit.Kinds.
func Open(k credit.Kind) (io.ReadCloser, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("demo: unknown data kind %q", k)
	}
	return FS().Open(FileName(k))
}
