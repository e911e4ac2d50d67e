package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// The workload: a fixed universe of firms (one leader, a watch-list of SMEs), fed to
// the daemon as small NDJSON batches of every kind. The ledger remembers every batch
// sent and what the daemon answered, so that the checks know which rows were
// acknowledged (they must be in the store) and which batches got no answer (they
// are committed whole or not at all).

const (
	universe  = 80 // firms
	watchSize = 10 // firms 1..watchSize are the watch-list; firm 0 leads
	// specialized firms (the first of the watch-list) make repair_done fire.
	specializedSize = 5
	// mildCap bounds a firm's medium-severity events, so that only critical and high
	// events bring a score near 0 (severe_event compares scores after a restart).
	mildCap     = 2
	maxFirmDays = 300 // events of a firm lie on distinct days, at most this far back
)

// Event types by severity (docs/models.md catalogue).
var eventTypes = map[credit.Severity][]string{
	credit.SeverityCritical: {"serious_dishonesty_list", "dishonest_judgment_debtor", "major_tax_violation", "bankruptcy", "license_revoked"},
	credit.SeverityHigh:     {"consumption_restriction", "penalty_serious", "tax_arrears", "equity_freeze"},
	credit.SeverityMedium:   {"judgment_debtor", "penalty_general", "overdue_payment"},
	credit.SeverityInfo:     {"honor", "a_level_taxpayer", "contract_abiding"},
}

var catalogue = credit.NewCatalogue()

// severe says whether severe_event (critical and high, the default) counts a type.
func severe(typ string) bool {
	ty, _ := catalogue.Lookup(typ)
	return ty.Severity == credit.SeverityCritical || ty.Severity == credit.SeverityHigh
}

type firm struct {
	idx    int
	uscc   string
	tags   []string
	owner  int       // the ingest worker that sends its enterprise rows
	names  []version // enterprise rows sent, in sending order
	days   int       // events sent (each on a day of its own)
	mild   int       // medium-severity events sent
	ackedC int       // cycle of the first acknowledged enterprise row; -1 none
}

type version struct {
	name  string
	batch *batch
}

func (f *firm) acked() bool { return f.ackedC >= 0 }

func (f *firm) watched() bool { return f.idx >= 1 && f.idx <= watchSize }

type event struct {
	id     string
	firm   *firm
	typ    string
	at     time.Time
	batch  *batch
	repair *batch // the batch that repaired it, nil when none was sent
	fixed  time.Time
}

type relation struct {
	sup, cus     *firm
	ps, ss, subs float64
	batch        *batch
}

// batch is one ingest request.
type batch struct {
	id    int
	cycle int
	kind  credit.Kind
	body  []byte
	rows  int
	bad   int // line of the deliberately bad row; 0 when none

	// filled in when sent and from the answer
	sent     bool
	sentAt   time.Time
	status   int // 0: no answer (the daemon died first, or the client gave up)
	accepted int
	errs     []string

	firms   []*firm // enterprises: the firm of each good row (its last version is the row's)
	events  []*event
	rels    []*relation
	repairs []*event
}

func (b *batch) acked() bool {
	return b.status == http.StatusOK || b.status == http.StatusUnprocessableEntity
}

// rescan is one POST /api/v1/rescans.
type rescan struct {
	scope  string
	status int
	id     int64
}

type ledger struct {
	mu      sync.Mutex
	today   time.Time // midnight, Asia/Shanghai, when the run began
	firms   []*firm
	events  []*event
	rels    map[[2]int]*relation
	inShare map[int]float64 // Σ purchase_share sent per customer
	batches []*batch
	rescans []*rescan
	cycle   int
}

func newLedger(workers int) *ledger {
	now := time.Now().In(credit.Shanghai)
	l := &ledger{today: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, credit.Shanghai),
		rels: map[[2]int]*relation{}, inShare: map[int]float64{}}
	for i := range universe {
		uscc, err := credit.MakeUSCC(fmt.Sprintf("91230100CR%07d", i))
		if err != nil {
			panic(err)
		}
		f := &firm{idx: i, uscc: uscc, owner: i % workers, ackedC: -1}
		switch {
		case i == 0:
			f.tags = []string{credit.TagLeading}
		case i <= specializedSize:
			f.tags = []string{credit.TagSpecialized}
		}
		l.firms = append(l.firms, f)
	}
	return l
}

func (l *ledger) leader() *firm { return l.firms[0] }

func (l *ledger) watchList() []string {
	var out []string
	for _, f := range l.firms[1 : watchSize+1] {
		out = append(out, f.uscc)
	}
	return out
}

// ackedFirms are the firms an acknowledged enterprise row created; before is
// exclusive: only those acknowledged in earlier cycles (the daemon's state holds
// them for sure) when before >= 0.
func (l *ledger) ackedFirms(before int) []*firm {
	var out []*firm
	for _, f := range l.firms {
		if f.acked() && (before < 0 || f.ackedC < before) {
			out = append(out, f)
		}
	}
	return out
}

// next makes worker w's next batch.
func (l *ledger) next(w int, rng *rand.Rand) *batch {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := &batch{id: len(l.batches) + 1, cycle: l.cycle}
	acked := l.ackedFirms(-1)
	var lines []string
	bad := rng.IntN(6) == 0 // one batch in six carries a row the daemon must refuse
	switch p := rng.IntN(100); {
	case len(acked) == 0 || len(acked) < 8 && p < 50 || p < 15:
		lines = l.enterprises(w, b, rng)
	case p < 35:
		lines = l.relations(b, acked, rng)
	case p < 80:
		lines = l.eventRows(b, acked, rng)
	default:
		lines = l.repairs(b, rng)
	}
	if len(lines) == 0 { // nothing of that kind to send: send events
		lines = l.eventRows(b, acked, rng)
	}
	if len(lines) == 0 {
		lines = l.enterprises(w, b, rng)
	}
	if bad {
		at := rng.IntN(len(lines) + 1)
		lines = append(lines[:at], append([]string{l.badRow(b)}, lines[at:]...)...)
		b.bad = at + 1
	}
	b.rows = len(lines)
	b.body = []byte(strings.Join(lines, "\n") + "\n")
	l.batches = append(l.batches, b)
	return b
}

func ndjson(v map[string]any) string {
	out, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(out)
}

func (l *ledger) enterprises(w int, b *batch, rng *rand.Rand) []string {
	b.kind = credit.KindEnterprises
	var mine, fresh []*firm
	for _, f := range l.firms {
		if f.owner != w {
			continue
		}
		mine = append(mine, f)
		if len(f.names) == 0 {
			fresh = append(fresh, f)
		}
	}
	n := 1 + rng.IntN(6)
	picked := map[int]bool{}
	var lines []string
	for range n {
		pool := mine
		if len(fresh) > 0 && rng.IntN(10) < 7 {
			pool = fresh
		}
		f := pool[rng.IntN(len(pool))]
		if picked[f.idx] {
			continue
		}
		picked[f.idx] = true
		name := fmt.Sprintf("Crash Harness Firm %03d v%d", f.idx, len(f.names)+1)
		f.names = append(f.names, version{name: name, batch: b})
		b.firms = append(b.firms, f)
		row := map[string]any{"uscc": f.uscc, "name": name, "industry": "C1331", "status": "active",
			"revenue": float64(1+rng.IntN(500)) * 1e6}
		if len(f.tags) > 0 {
			row["tags"] = f.tags
		}
		lines = append(lines, ndjson(row))
	}
	return lines
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func (l *ledger) relations(b *batch, acked []*firm, rng *rand.Rand) []string {
	b.kind = credit.KindRelations
	var lines []string
	for range 1 + rng.IntN(5) {
		cus := acked[rng.IntN(len(acked))]
		if l.leader().acked() && rng.IntN(10) < 4 {
			cus = l.leader()
		}
		sup := acked[rng.IntN(len(acked))]
		ps := round(0.02+0.08*rng.Float64(), 2)
		if sup == cus || l.rels[[2]int{sup.idx, cus.idx}] != nil || l.inShare[cus.idx]+ps > 0.9 {
			continue
		}
		r := &relation{sup: sup, cus: cus, ps: ps, ss: round(0.05+0.5*rng.Float64(), 2),
			subs: round(0.1+0.8*rng.Float64(), 1), batch: b}
		l.rels[[2]int{sup.idx, cus.idx}] = r
		l.inShare[cus.idx] += ps
		b.rels = append(b.rels, r)
		lines = append(lines, ndjson(map[string]any{"supplier": sup.uscc, "customer": cus.uscc,
			"purchase_share": r.ps, "sales_share": r.ss, "substitutability": r.subs, "product": "soybean meal"}))
	}
	return lines
}

func (l *ledger) eventRows(b *batch, acked []*firm, rng *rand.Rand) []string {
	b.kind = credit.KindEvents
	var watched []*firm
	for _, f := range acked {
		if f.watched() {
			watched = append(watched, f)
		}
	}
	var lines []string
	for range 1 + rng.IntN(6) {
		f := acked[rng.IntN(len(acked))]
		if len(watched) > 0 && rng.IntN(2) == 0 {
			f = watched[rng.IntN(len(watched))]
		}
		if f.days >= maxFirmDays {
			continue
		}
		var sev credit.Severity
		switch p := rng.IntN(100); {
		case p < 25:
			sev = credit.SeverityCritical
		case p < 50:
			sev = credit.SeverityHigh
		case p < 70 && f.mild < mildCap:
			sev = credit.SeverityMedium
			f.mild++
		default:
			sev = credit.SeverityInfo
		}
		types := eventTypes[sev]
		f.days++
		e := &event{id: fmt.Sprintf("CRASH-%05d", len(l.events)+1), firm: f, typ: types[rng.IntN(len(types))],
			at: l.today.AddDate(0, 0, -f.days).Add(time.Duration(8+rng.IntN(10)) * time.Hour), batch: b}
		l.events = append(l.events, e)
		b.events = append(b.events, e)
		lines = append(lines, ndjson(map[string]any{"event_id": e.id, "uscc": f.uscc, "type": e.typ,
			"occurred_at": e.at.Format(time.RFC3339), "source": "crash harness", "description": "batch " + fmt.Sprint(b.id)}))
	}
	return lines
}

func (l *ledger) repairs(b *batch, rng *rand.Rand) []string {
	b.kind = credit.KindRepairs
	var heavy, other []*event
	for _, e := range l.events {
		if e.repair != nil || !e.batch.acked() {
			continue
		}
		if severe(e.typ) {
			heavy = append(heavy, e)
		} else {
			other = append(other, e)
		}
	}
	var lines []string
	fixed := time.Now().Add(-time.Hour).Truncate(time.Second)
	for range 1 + rng.IntN(3) {
		pool := other
		if len(heavy) > 0 && (len(other) == 0 || rng.IntN(10) < 7) {
			pool = heavy
		}
		if len(pool) == 0 {
			break
		}
		e := pool[rng.IntN(len(pool))]
		if e.repair != nil {
			continue
		}
		e.repair, e.fixed = b, fixed
		b.repairs = append(b.repairs, e)
		// decided_by names the batch, so two repairs never read the same in a summary.
		lines = append(lines, ndjson(map[string]any{"event_id": e.id, "repaired_at": fixed.Format(time.RFC3339),
			"decided_by": fmt.Sprintf("credit office, batch %d", b.id), "reason": "obligations fulfilled"}))
	}
	return lines
}

// badRow is a row of the batch's kind that the daemon must refuse.
func (l *ledger) badRow(b *batch) string {
	f := l.firms[1]
	switch b.kind {
	case credit.KindEnterprises:
		// A wrong check character.
		code := l.firms[universe-1].uscc
		last := "0"
		if code[17] == '0' {
			last = "1"
		}
		return ndjson(map[string]any{"uscc": code[:17] + last, "name": "Crash Harness Bad Code"})
	case credit.KindRelations:
		return ndjson(map[string]any{"supplier": f.uscc, "customer": f.uscc, "purchase_share": 0.01, "sales_share": 0.01})
	case credit.KindRepairs:
		return ndjson(map[string]any{"event_id": fmt.Sprintf("CRASH-NONE-%d", b.id), "repaired_at": l.today.Format(time.RFC3339)})
	}
	return ndjson(map[string]any{"event_id": fmt.Sprintf("CRASH-BAD-%d", b.id), "uscc": f.uscc,
		"type": "no_such_event_type", "occurred_at": l.today.AddDate(0, 0, -1).Format(time.RFC3339)})
}

// ingestAnswer is the summary POST /api/v1/{kind} answers (api/openapi.json).
type ingestAnswer struct {
	Accepted  int      `json:"accepted"`
	Rejected  int      `json:"rejected"`
	Errors    []string `json:"errors"`
	Committed bool     `json:"committed"`
}

// post sends a batch and records the answer. It returns a description of an answer
// that breaks the API's contract, "" otherwise.
func (l *ledger) post(ctx context.Context, c *apiClient, b *batch) string {
	l.mu.Lock()
	b.sent, b.sentAt = true, time.Now()
	l.mu.Unlock()
	status, body, err := c.do(ctx, http.MethodPost, "/api/v1/"+string(b.kind), "application/x-ndjson", b.body)
	if err != nil {
		return "" // no answer: the daemon was killed
	}
	var ans ingestAnswer
	decodeErr := json.Unmarshal(body, &ans)
	l.mu.Lock()
	defer l.mu.Unlock()
	b.status, b.accepted, b.errs = status, ans.Accepted, ans.Errors
	if status == http.StatusOK || status == http.StatusUnprocessableEntity {
		for _, f := range b.firms {
			if !f.acked() {
				f.ackedC = b.cycle
			}
		}
	}
	wantStatus, wantAccepted := http.StatusOK, b.rows
	if b.bad > 0 {
		wantStatus, wantAccepted = http.StatusUnprocessableEntity, b.rows-1
	}
	switch {
	case decodeErr != nil:
		return fmt.Sprintf("batch %d (%s): answer %d is not a summary: %v: %.300s", b.id, b.kind, status, decodeErr, body)
	case status != wantStatus || ans.Accepted != wantAccepted || ans.Rejected != b.rows-wantAccepted || !ans.Committed:
		return fmt.Sprintf("batch %d (%s, %d rows, bad line %d): answer %d %.500s; want %d with %d accepted",
			b.id, b.kind, b.rows, b.bad, status, body, wantStatus, wantAccepted)
	case b.bad > 0 && (len(ans.Errors) != 1 || !strings.HasPrefix(ans.Errors[0], fmt.Sprintf("%d: ", b.bad))):
		return fmt.Sprintf("batch %d (%s): errors %q do not name line %d alone", b.id, b.kind, ans.Errors, b.bad)
	}
	return ""
}

// nextRescan picks a rescan scope: everything, the leader's chain, or one firm the
// daemon has held since an earlier cycle.
func (l *ledger) nextRescan(rng *rand.Rand) *rescan {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.ackedFirms(l.cycle)
	r := &rescan{scope: "all"}
	switch p := rng.IntN(10); {
	case p < 3 && l.leader().acked() && l.leader().ackedC < l.cycle:
		r.scope = "chain:" + l.leader().uscc
	case p < 7 && len(old) > 0:
		r.scope = "enterprise:" + old[rng.IntN(len(old))].uscc
	}
	l.rescans = append(l.rescans, r)
	return r
}

func (l *ledger) postRescan(ctx context.Context, c *apiClient, r *rescan) string {
	status, body, err := c.do(ctx, http.MethodPost, "/api/v1/rescans", "application/json",
		[]byte(fmt.Sprintf(`{"scope":%q}`, r.scope)))
	if err != nil {
		return ""
	}
	var ans struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	decodeErr := json.Unmarshal(body, &ans)
	l.mu.Lock()
	r.status, r.id = status, ans.ID
	l.mu.Unlock()
	if status != http.StatusAccepted || decodeErr != nil || ans.ID <= 0 {
		return fmt.Sprintf("rescan %s: answer %d %.300s; want 202 with a scan id", r.scope, status, body)
	}
	return ""
}
