package demo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo/internal/heilongjiang"
)

// ProvinceOptions sizes a synthetic province (`chainriskctl gen` in README.md; figures in docs/performance.md).
type ProvinceOptions struct {
	Firms         int     // number of enterprises, at least 2
	EdgesPerFirm  float64 // mean number of suppliers per firm
	EventsPerFirm float64 // mean number of credit events per firm
	Leaders       int     // leading firms: the first Leaders rows of enterprises.csv
	Seed          uint64  // same options, same seed: byte-identical files
	// Anchor is the data's "now": events occur in the three years before it. Zero means
	// AnchorTime(), so that the output depends on the options only.
	Anchor time.Time
}

// ProvinceStats describes what GenerateProvince wrote.
type ProvinceStats struct {
	Firms, Leaders, Relations, Events, Repairs, Shareholdings int
	MaxInDegree, MaxOutDegree                                 int     // suppliers of one customer, customers of one supplier
	MeanLeaderInDegree                                        float64 // suppliers per leading firm
	Bytes                                                     map[credit.Kind]int64
}

// DefaultProvinceLeaders is the number of leading firms of a province of firms firms
// when none is asked for: one per thousand firms, at least one.
func DefaultProvinceLeaders(firms int) int { return max(1, firms/1000) }

// Limits of GenerateProvince's options.
const (
	MaxProvinceFirms = 100_000_000
	// MaxProvinceEdgesPerFirm keeps drawing distinct suppliers cheap.
	MaxProvinceEdgesPerFirm = 1000
)

const (
	provinceHistoryDays  = 3 * 365 // events occur up to three years before the anchor
	provinceContractDays = 3000    // relations started up to this many days before it
	provinceFutureDays   = 5 * 366 // and may end this many days after it
	micro                = 1_000_000
)

// GenerateProvince writes a synthetic province in the CSV formats of README.md to the
// writers of w (kinds without a writer are generated and discarded): heavy-tailed
// supply relations around opts.Leaders hubs, credit events over three years, a few
// repairs, and shareholdings (docs/models.md). Shares respect Σ purchase_share ≤ 1 per
// customer, Σ sales_share ≤ 1 per supplier and Σ share ≤ 1 per investee; every USCC is
// valid. Memory stays near 100 bytes per firm and 8 per relation while the supply
// data are written, about 200 more per firm for the shareholdings; rows are streamed.
func GenerateProvince(opts ProvinceOptions, w map[credit.Kind]io.Writer) (ProvinceStats, error) {
	if err := opts.Validate(); err != nil {
		return ProvinceStats{}, err
	}
	if opts.Anchor.IsZero() {
		opts.Anchor = AnchorTime()
	}
	out := make(map[credit.Kind]*countingWriter, len(credit.Kinds))
	for _, k := range credit.Kinds {
		dst := w[k]
		if dst == nil {
			dst = io.Discard
		}
		out[k] = &countingWriter{w: bufio.NewWriterSize(dst, 1<<20)}
	}
	g := newProvince(opts)
	g.firms()
	g.relations()
	stats := ProvinceStats{Firms: g.n, Leaders: g.leaders, Relations: len(g.sup), Bytes: map[credit.Kind]int64{}}
	for j := 0; j < g.n; j++ {
		d := int(g.off[j+1] - g.off[j])
		stats.MaxInDegree = max(stats.MaxInDegree, d)
		stats.MaxOutDegree = max(stats.MaxOutDegree, int(g.outDeg[j]))
		if j < g.leaders {
			stats.MeanLeaderInDegree += float64(d) / float64(g.leaders)
		}
	}
	g.writeEnterprises(out[credit.KindEnterprises])
	g.writeRelations(out[credit.KindRelations])
	stats.Events, stats.Repairs = g.writeEvents(out[credit.KindEvents], out[credit.KindRepairs])
	var errs []error
	var err error
	if stats.Shareholdings, err = g.writeShareholdings(out[credit.KindShareholdings]); err != nil {
		errs = append(errs, fmt.Errorf("generating %s: %w", FileName(credit.KindShareholdings), err))
	}
	for _, k := range credit.Kinds {
		cw := out[k]
		if err := cw.w.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", FileName(k), err))
		}
		stats.Bytes[k] = cw.n
	}
	return stats, errors.Join(errs...)
}

// WriteProvince generates a province into dir (created when missing) as the CSV files
// named by FileName, one per kind. It writes temporary files next to the final ones and renames
// them only when everything was written, so that dir never holds a truncated data set.
func WriteProvince(dir string, opts ProvinceOptions) (stats ProvinceStats, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return stats, err
	}
	files := make(map[credit.Kind]*os.File, len(credit.Kinds))
	defer func() {
		for _, f := range files {
			f.Close()
			if err != nil {
				os.Remove(f.Name())
			}
		}
	}()
	w := make(map[credit.Kind]io.Writer, len(credit.Kinds))
	for _, k := range credit.Kinds {
		f, err := os.CreateTemp(dir, "."+FileName(k)+".*")
		if err != nil {
			return stats, err
		}
		files[k], w[k] = f, f
	}
	if stats, err = GenerateProvince(opts, w); err != nil {
		return stats, err
	}
	for _, k := range credit.Kinds {
		f := files[k]
		if err = f.Chmod(0o644); err == nil {
			err = f.Close()
		}
		if err == nil {
			err = os.Rename(f.Name(), filepath.Join(dir, FileName(k)))
		}
		if err != nil {
			return stats, err
		}
		delete(files, k)
	}
	return stats, nil
}

// Validate reports every option out of range; GenerateProvince refuses such options.
func (o ProvinceOptions) Validate() error {
	var errs []error
	if o.Firms < 2 || o.Firms > MaxProvinceFirms {
		errs = append(errs, fmt.Errorf("firms must be between 2 and %d, got %d", MaxProvinceFirms, o.Firms))
	}
	if o.Leaders < 0 || o.Leaders > o.Firms/2 {
		errs = append(errs, fmt.Errorf("leaders must be between 0 and half the firms, got %d", o.Leaders))
	}
	if !(o.EdgesPerFirm >= 0) || o.EdgesPerFirm > MaxProvinceEdgesPerFirm || o.EdgesPerFirm > float64(o.Firms)/10 {
		errs = append(errs, fmt.Errorf("edges per firm must be between 0 and min(%d, firms/10), got %v",
			MaxProvinceEdgesPerFirm, o.EdgesPerFirm))
	}
	if !(o.EventsPerFirm >= 0) || o.EventsPerFirm > 1000 {
		errs = append(errs, fmt.Errorf("events per firm must be between 0 and 1000, got %v", o.EventsPerFirm))
	}
	return errors.Join(errs...)
}

// countingWriter counts what goes through a bufio.Writer; write errors stick in the
// bufio.Writer and surface at Flush.
type countingWriter struct {
	w *bufio.Writer
	n int64
}

func (c *countingWriter) write(b []byte) {
	n, _ := c.w.Write(b)
	c.n += int64(n)
}

// province is the generator's state; every slice is indexed by firm or by relation.
type province struct {
	opts    ProvinceOptions
	rng     *rand.Rand
	n       int
	leaders int

	uscc     []byte    // 18 bytes per firm
	region   []uint8   // index into heilongjiang.Regions
	industry []uint8   // index into provinceIndustries
	coop     []bool    // registered as a farmers' cooperative
	baseRev  []float32 // revenue before sales are accounted for
	rev      []float64 // yearly revenue, CNY
	outDeg   []int32
	off      []int   // suppliers of customer j: sup[off[j]:off[j+1]]
	sup      []int32 // supplier of each relation
	psMicro  []int32 // purchase share of each relation, in millionths

	regionPick, industryPick []int // cumulative weights
	brands                   [][]string
	dates                    [][]byte // dates[d] is the anchor + d − dateZero, formatted
	dateZero                 int
	buf                      []byte
}

func newProvince(opts ProvinceOptions) *province {
	g := &province{
		opts: opts, n: opts.Firms, leaders: opts.Leaders,
		rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		buf: make([]byte, 0, 1024),
	}
	total := 0
	for _, r := range heilongjiang.Regions {
		total += provinceRegionWeights[r.Code]
		g.regionPick = append(g.regionPick, total)
		g.brands = append(g.brands, heilongjiang.BrandsFor(r.Code))
	}
	total = 0
	for _, ind := range provinceIndustries {
		total += ind.weight
		g.industryPick = append(g.industryPick, total)
	}
	g.dateZero = provinceHistoryDays + provinceContractDays
	for d := -g.dateZero; d <= provinceFutureDays; d++ {
		g.dates = append(g.dates, []byte(opts.Anchor.AddDate(0, 0, d).Format(time.DateOnly)))
	}
	return g
}

// date returns the formatted date d days after the anchor.
func (g *province) date(d int) []byte { return g.dates[d+g.dateZero] }

func pickCumulative(rng *rand.Rand, cum []int) int {
	x := rng.IntN(cum[len(cum)-1])
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// pareto draws from a Pareto law with minimum 1 and tail index alpha.
func (g *province) pareto(alpha float64) float64 {
	return math.Pow(1-g.rng.Float64(), -1/alpha)
}

var (
	statusNames = []string{"active", "abnormal", "revoked", "deregistered", "bankrupt"}
	csvHeader   = map[credit.Kind]string{
		credit.KindEnterprises:   "uscc,name,region,industry,tags,status,revenue\n",
		credit.KindRelations:     "supplier,customer,purchase_share,sales_share,substitutability,amount,product,valid_from,valid_to\n",
		credit.KindEvents:        "event_id,uscc,type,occurred_at,publish_until,source,amount,description\n",
		credit.KindRepairs:       "event_id,repaired_at,decided_by,reason\n",
		credit.KindShareholdings: "holder,holder_kind,holder_name,investee,share,subscribed_capital,since,until\n",
	}
)
