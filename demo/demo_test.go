package demo

import (
	"encoding/csv"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// row is one CSV record keyed by column name, with its line number.
type row struct {
	line int
	f    map[string]string
}

var headers = map[credit.Kind][]string{
	credit.KindEnterprises: {"uscc", "name", "region", "industry", "tags", "status", "revenue",
		"legal_rep_id", "legal_rep_name", "registered_capital", "established_at", "former_names"},
	credit.KindRelations: {"supplier", "customer", "purchase_share", "sales_share", "substitutability",
		"amount", "product", "valid_from", "valid_to"},
	credit.KindEvents:  {"event_id", "uscc", "type", "occurred_at", "publish_until", "source", "amount", "description"},
	credit.KindRepairs: {"event_id", "repaired_at", "decided_by", "reason"},
	credit.KindShareholdings: {"holder", "holder_kind", "holder_name", "investee", "share", "subscribed_capital",
		"since", "until"},
}

func readKind(t *testing.T, k credit.Kind) []row {
	t.Helper()
	rc, err := Open(k)
	if err != nil {
		t.Fatalf("Open(%s): %v", k, err)
	}
	defer rc.Close()
	r := csv.NewReader(rc)
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", FileName(k), err)
	}
	if len(records) < 2 {
		t.Fatalf("%s: no data rows", FileName(k))
	}
	if !slices.Equal(records[0], headers[k]) {
		t.Fatalf("%s: header %v, want %v", FileName(k), records[0], headers[k])
	}
	rows := make([]row, 0, len(records)-1)
	for i, rec := range records[1:] {
		m := make(map[string]string, len(rec))
		for j, v := range rec {
			m[records[0][j]] = v
		}
		rows = append(rows, row{line: i + 2, f: m})
	}
	return rows
}

var cst = time.FixedZone("CST", 8*3600)

func date(t *testing.T, where, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	d, err := time.ParseInLocation("2006-01-02", s, cst)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return d
}

func number(t *testing.T, where, s string) float64 {
	t.Helper()
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return x
}

func optNumber(t *testing.T, where, s string) *float64 {
	t.Helper()
	if s == "" {
		return nil
	}
	x := number(t, where, s)
	return &x
}

// dataset is the demo parsed into the domain types.
type dataset struct {
	firms     map[string]*credit.Enterprise
	order     []string // USCCs in file order
	relations []credit.Relation
	events    map[string]*credit.Event
	repairs   []credit.Repair
}

func load(t *testing.T) *dataset {
	t.Helper()
	v := credit.Validator{Catalogue: credit.NewCatalogue(), Now: AnchorTime}
	check := func(file string, line int, p credit.Problems) {
		t.Helper()
		for _, e := range p.Errors {
			t.Errorf("%s:%d: %v", file, line, e)
		}
		for _, w := range p.Warnings {
			t.Errorf("%s:%d: warning %v", file, line, w)
		}
	}
	d := &dataset{firms: map[string]*credit.Enterprise{}, events: map[string]*credit.Event{}}

	for _, r := range readKind(t, credit.KindEnterprises) {
		where := "enterprises.csv:" + strconv.Itoa(r.line)
		e := &credit.Enterprise{USCC: r.f["uscc"], Name: r.f["name"], Region: r.f["region"],
			Industry: r.f["industry"], Status: credit.Status(r.f["status"]),
			Revenue: optNumber(t, where, r.f["revenue"]), LegalRepID: r.f["legal_rep_id"],
			LegalRepName: r.f["legal_rep_name"], RegisteredCapital: optNumber(t, where, r.f["registered_capital"]),
			EstablishedAt: date(t, where, r.f["established_at"])}
		if r.f["tags"] != "" {
			e.Tags = strings.Split(r.f["tags"], ";")
		}
		if r.f["former_names"] != "" {
			e.FormerNames = strings.Split(r.f["former_names"], ";")
		}
		if err := credit.CheckUSCC(e.USCC); err != nil {
			t.Errorf("%s: USCC %s: %v", where, e.USCC, err)
		}
		if credit.USCCRegion(e.USCC) != e.Region {
			t.Errorf("%s: region %s differs from the USCC's %s", where, e.Region, credit.USCCRegion(e.USCC))
		}
		check("enterprises.csv", r.line, v.Enterprise(e))
		if d.firms[e.USCC] != nil {
			t.Errorf("%s: duplicate USCC %s", where, e.USCC)
		}
		d.firms[e.USCC] = e
		d.order = append(d.order, e.USCC)
	}

	seen := map[[2]string]bool{}
	for _, r := range readKind(t, credit.KindRelations) {
		where := "relations.csv:" + strconv.Itoa(r.line)
		rel := credit.Relation{Supplier: r.f["supplier"], Customer: r.f["customer"],
			PurchaseShare:    number(t, where, r.f["purchase_share"]),
			SalesShare:       number(t, where, r.f["sales_share"]),
			Substitutability: number(t, where, r.f["substitutability"]),
			Amount:           optNumber(t, where, r.f["amount"]), Product: r.f["product"],
			ValidFrom: date(t, where, r.f["valid_from"]), ValidTo: date(t, where, r.f["valid_to"])}
		check("relations.csv", r.line, v.Relation(&rel))
		if rel.PurchaseShare <= 0 || rel.SalesShare <= 0 {
			t.Errorf("%s: shares must be given and positive", where)
		}
		if rel.Substitutability < 0.1 || rel.Substitutability > 0.9 {
			t.Errorf("%s: substitutability %v outside [0.1, 0.9]", where, rel.Substitutability)
		}
		if rel.Supplier == rel.Customer {
			t.Errorf("%s: self-loop", where)
		}
		for _, u := range []string{rel.Supplier, rel.Customer} {
			if d.firms[u] == nil {
				t.Errorf("%s: unknown firm %s", where, u)
			}
		}
		key := [2]string{rel.Supplier, rel.Customer}
		if seen[key] {
			t.Errorf("%s: duplicate relation", where)
		}
		seen[key] = true
		d.relations = append(d.relations, rel)
	}

	idRE := regexp.MustCompile(`^HLJ-20(25|26)-[0-9]{6}$`)
	for _, r := range readKind(t, credit.KindEvents) {
		where := "events.csv:" + strconv.Itoa(r.line)
		e := &credit.Event{ID: r.f["event_id"], USCC: r.f["uscc"], Type: r.f["type"],
			OccurredAt: date(t, where, r.f["occurred_at"]), PublishUntil: date(t, where, r.f["publish_until"]),
			Source: r.f["source"], Amount: optNumber(t, where, r.f["amount"]), Description: r.f["description"]}
		check("events.csv", r.line, v.Event(e))
		if !idRE.MatchString(e.ID) || !strings.HasPrefix(e.ID, "HLJ-"+strconv.Itoa(e.OccurredAt.Year())) {
			t.Errorf("%s: event id %q is not HLJ-<year occurred>-<6 digits>", where, e.ID)
		}
		if d.events[e.ID] != nil {
			t.Errorf("%s: duplicate event id %s", where, e.ID)
		}
		if d.firms[e.USCC] == nil {
			t.Errorf("%s: unknown firm %s", where, e.USCC)
		}
		if e.Source == "" || e.Description == "" {
			t.Errorf("%s: source and description are expected", where)
		}
		if age := AnchorTime().Sub(e.OccurredAt); age < 0 || age > 366*24*time.Hour {
			t.Errorf("%s: occurred %s, not within the year before the anchor", where, r.f["occurred_at"])
		}
		d.events[e.ID] = e
	}

	for _, r := range readKind(t, credit.KindRepairs) {
		where := "repairs.csv:" + strconv.Itoa(r.line)
		rp := credit.Repair{EventID: r.f["event_id"], RepairedAt: date(t, where, r.f["repaired_at"]),
			DecidedBy: r.f["decided_by"], Reason: r.f["reason"]}
		check("repairs.csv", r.line, v.Repair(&rp))
		e := d.events[rp.EventID]
		switch {
		case e == nil:
			t.Errorf("%s: unknown event %s", where, rp.EventID)
		case e.State == credit.EventRepaired:
			t.Errorf("%s: event %s repaired twice", where, rp.EventID)
		case rp.RepairedAt.Before(e.OccurredAt) || rp.RepairedAt.After(AnchorTime()):
			t.Errorf("%s: repaired %s, outside [occurred %s, anchor]", where, r.f["repaired_at"], e.OccurredAt.Format(time.DateOnly))
		default:
			e.State, e.RepairedAt = credit.EventRepaired, rp.RepairedAt
		}
		d.repairs = append(d.repairs, rp)
	}
	return d
}

// scoring is docs/models.md with its defaults, written out independently of the rest of the
// code base: points and severities of the catalogue table (docs/models.md), half-lives per severity.
var scoring = map[string]struct {
	points   float64
	severity string
}{
	"serious_dishonesty_list": {-400, "critical"}, "dishonest_judgment_debtor": {-350, "critical"},
	"major_tax_violation": {-400, "critical"}, "bankruptcy": {-500, "critical"}, "license_revoked": {-450, "critical"},
	"consumption_restriction": {-200, "high"}, "penalty_serious": {-200, "high"}, "tax_arrears": {-150, "high"},
	"equity_freeze": {-120, "high"}, "abnormal_operation": {-120, "medium"}, "judgment_debtor": {-100, "medium"},
	"penalty_general": {-80, "medium"}, "social_insurance_arrears": {-80, "medium"}, "overdue_payment": {-60, "medium"},
	"utility_arrears": {-50, "low"}, "penalty_minor": {-20, "low"}, "honor": {30, "info"},
	"a_level_taxpayer": {50, "info"}, "contract_abiding": {40, "info"}, "commitment_kept": {20, "info"},
}

var halfLifeDays = map[string]float64{"critical": 0, "high": 730, "medium": 365, "low": 180, "info": 365}

// grade returns a firm's score, grade and probability of distress at time now.
func grade(e *credit.Enterprise, events []*credit.Event, now time.Time) (score float64, g string, p float64) {
	neg, pos, critical := 0.0, 0.0, false
	for _, ev := range events {
		if ev.State == credit.EventRepaired || (!ev.PublishUntil.IsZero() && !now.Before(ev.PublishUntil)) {
			continue
		}
		m := scoring[ev.Type]
		pts := m.points
		if hl := halfLifeDays[m.severity]; hl > 0 {
			pts *= math.Pow(0.5, now.Sub(ev.OccurredAt).Hours()/24/hl)
		}
		if pts > 0 {
			pos += pts
		} else {
			neg += pts
		}
		if m.severity == "critical" {
			critical = true
		}
	}
	score = math.Max(0, math.Min(1000, 800+neg+math.Min(pos, 150)))
	p = 1 / (1 + math.Exp((score-500)/80))
	switch {
	case e.Status == credit.StatusRevoked || e.Status == credit.StatusDeregistered || e.Status == credit.StatusBankrupt:
		return score, "D", 1
	case critical || score < 500:
		g = "D"
	case score < 700:
		g = "C"
	case score < 850:
		g = "B"
	default:
		g = "A"
	}
	return score, g, p
}

func TestScoringTableMatchesCatalogue(t *testing.T) {
	for _, et := range credit.DefaultEventTypes() {
		m, ok := scoring[et.Name]
		if !ok || m.points != et.Points || m.severity != string(et.Severity) {
			t.Errorf("%s: catalogue says %v %s, this test %v %s", et.Name, et.Points, et.Severity, m.points, m.severity)
		}
	}
}

// world is the demo with every firm scored at the anchor.
type world struct {
	*dataset
	grade   map[string]string
	p       map[string]float64
	leaders []string
	in, out map[string][]credit.Relation // by customer, by supplier
}

func score(t *testing.T) *world {
	d := load(t)
	w := &world{dataset: d, grade: map[string]string{}, p: map[string]float64{},
		in: map[string][]credit.Relation{}, out: map[string][]credit.Relation{}}
	byFirm := map[string][]*credit.Event{}
	for _, e := range d.events {
		byFirm[e.USCC] = append(byFirm[e.USCC], e)
	}
	for _, u := range d.order {
		_, w.grade[u], w.p[u] = grade(d.firms[u], byFirm[u], AnchorTime())
		if d.firms[u].HasTag(credit.TagLeading) {
			w.leaders = append(w.leaders, u)
		}
	}
	for _, r := range d.relations {
		w.in[r.Customer] = append(w.in[r.Customer], r)
		w.out[r.Supplier] = append(w.out[r.Supplier], r)
	}
	return w
}

// upstream returns the firms within depth hops upstream of l, with their tier.
func (w *world) upstream(l string, depth int) map[string]int {
	tier := map[string]int{l: 0}
	frontier := []string{l}
	for h := 1; h <= depth; h++ {
		var next []string
		for _, c := range frontier {
			for _, r := range w.in[c] {
				if _, ok := tier[r.Supplier]; !ok {
					tier[r.Supplier] = h
					next = append(next, r.Supplier)
				}
			}
		}
		frontier = next
	}
	delete(tier, l)
	return tier
}

func TestDataset(t *testing.T) {
	w := score(t)
	if n := len(w.firms); n < 180 || n > 230 {
		t.Errorf("%d firms, want about 200", n)
	}
	if len(w.leaders) != 3 {
		t.Errorf("%d leading firms, want 3", len(w.leaders))
	}
	statuses, tags := map[credit.Status]int{}, map[string]int{}
	for _, e := range w.firms {
		statuses[e.Status]++
		for _, tag := range e.Tags {
			tags[tag]++
		}
		if e.HasTag(credit.TagLeading) && e.Status != credit.StatusActive {
			t.Errorf("leader %s is %s", e.Name, e.Status)
		}
	}
	if statuses[credit.StatusRevoked] < 1 || statuses[credit.StatusBankrupt] < 1 || statuses[credit.StatusAbnormal] < 2 {
		t.Errorf("statuses %v: want some abnormal, a revoked and a bankrupt firm", statuses)
	}
	if tags[credit.TagSpecialized] < 15 || tags[credit.TagLittleGiant] < 3 || tags[credit.TagListed] < 3 {
		t.Errorf("tags %v: want many specialized SMEs, some little giants, a few listed firms", tags)
	}

	purchase, sales := map[string]float64{}, map[string]float64{}
	for _, r := range w.relations {
		purchase[r.Customer] += r.PurchaseShare
		sales[r.Supplier] += r.SalesShare
	}
	for u, s := range purchase {
		if s > 1+credit.ShareSumTolerance {
			t.Errorf("%s buys %v > 1 of its purchases from firms of the data set", w.firms[u].Name, s)
		}
	}
	for u, s := range sales {
		if s > 1+credit.ShareSumTolerance {
			t.Errorf("%s sells %v > 1 of its sales to firms of the data set", w.firms[u].Name, s)
		}
	}

	types := map[string]bool{}
	for _, e := range w.events {
		types[e.Type] = true
	}
	if len(w.events) < 250 || len(types) < 18 {
		t.Errorf("%d events of %d types, want about 300 across the catalogue", len(w.events), len(types))
	}
	specialRepair := false
	for _, rp := range w.repairs {
		specialRepair = specialRepair || w.firms[w.events[rp.EventID].USCC].HasTag(credit.TagSpecialized)
	}
	if len(w.repairs) < 5 || !specialRepair {
		t.Errorf("%d repairs (specialized SME among them: %v), want several including one", len(w.repairs), specialRepair)
	}

	counts := map[string]int{}
	for _, g := range w.grade {
		counts[g]++
	}
	t.Logf("grades at %s: A %d, B %d, C %d, D %d", Anchor, counts["A"], counts["B"], counts["C"], counts["D"])
	if counts["A"] < 30 || counts["B"] < 30 || counts["C"] < 10 || counts["D"] < 3 || counts["D"] > 30 {
		t.Errorf("grades %v: want many A and B, some C, a few D", counts)
	}
	for _, l := range w.leaders {
		if g := w.grade[l]; g != "A" && g != "B" {
			t.Errorf("leader %s has grade %s", w.firms[l].Name, g)
		}
	}
}

func TestChains(t *testing.T) {
	w := score(t)
	memberOf, nearest := map[string]int{}, map[string]int{}
	for _, l := range w.leaders {
		up := w.upstream(l, 3)
		perTier := map[int]int{}
		for _, tier := range up {
			perTier[tier]++
		}
		for _, r := range w.out[l] {
			if _, ok := up[r.Customer]; !ok {
				up[r.Customer] = -1
			}
		}
		for u, tier := range up {
			memberOf[u]++
			if t, ok := nearest[u]; !ok || abs(tier) < abs(t) {
				nearest[u] = tier
			}
		}
		t.Logf("%s: tiers 1-3: %d, %d, %d; customers %d", w.firms[l].Name, perTier[1], perTier[2], perTier[3], len(w.out[l]))
		if perTier[1] < 6 || perTier[1] > 10 || perTier[2] < 2*perTier[1] || perTier[3] < perTier[2] || len(w.out[l]) < 3 {
			t.Errorf("%s: tiers %v and %d customers, want 6-10 tier-1 suppliers, 2-4 per tier-1, 1-3 per tier-2, a few customers",
				w.firms[l].Name, perTier, len(w.out[l]))
		}
		// Exactly one single-source dependency per leader (the stories of README.md).
		single := 0
		for _, r := range w.in[l] {
			if r.PurchaseShare >= 0.5 && r.Substitutability <= 0.2 {
				single++
			}
		}
		if single != 1 {
			t.Errorf("%s: %d single-source suppliers, want 1", w.firms[l].Name, single)
		}
	}
	shared := 0
	for _, n := range memberOf {
		if n > 1 {
			shared++
		}
	}
	t.Logf("%d firms belong to more than one chain", shared)
	if shared < 3 {
		t.Errorf("%d firms belong to more than one chain, want several", shared)
	}
	// Distress near the leaders is the one story of TestDistressedSupplier; the other
	// D firms sit at tier 3 or downstream.
	near := 0
	for u, tier := range nearest {
		if w.grade[u] == "D" && tier > 0 && tier < 3 && !w.firms[u].HasTag(credit.TagLeading) {
			near++
		}
	}
	if near != 1 {
		t.Errorf("%d firms in grade D within two tiers of a leader, want 1", near)
	}

	// A supply cycle of two firms: the carton maker and the logistics firm.
	cycle := false
	for _, r := range w.relations {
		for _, back := range w.out[r.Customer] {
			cycle = cycle || back.Customer == r.Supplier
		}
	}
	if !cycle {
		t.Error("no two-firm supply cycle")
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// distress is the network distress of docs/models.md (noisy-OR, Jacobi, defaults).
func (w *world) distress(p map[string]float64) map[string]float64 {
	d := make(map[string]float64, len(p))
	for u, x := range p {
		d[u] = x
	}
	for iter := 0; iter < 200; iter++ {
		next, delta := make(map[string]float64, len(d)), 0.0
		for _, j := range w.order {
			keep := 1 - p[j]
			for _, r := range w.in[j] {
				keep *= 1 - 0.6*r.PurchaseShare*(1-r.Substitutability)*d[r.Supplier]
			}
			for _, r := range w.out[j] {
				keep *= 1 - 0.3*r.SalesShare*d[r.Customer]
			}
			next[j] = 1 - keep
			delta = math.Max(delta, math.Abs(next[j]-d[j]))
		}
		d = next
		if delta <= 1e-9 {
			break
		}
	}
	return d
}

// TestDistressedSupplier checks the main story: a tier-2 supplier of a leader in grade
// D, sitting on a path of strong dependencies, visibly raises the leader's chain risk
// and pushes its supply at risk over the default warning threshold (0.2).
func TestDistressedSupplier(t *testing.T) {
	w := score(t)
	d := w.distress(w.p)
	found := false
	for _, l := range w.leaders {
		for _, r1 := range w.in[l] {
			for _, r2 := range w.in[r1.Supplier] {
				s := r2.Supplier
				strength := r2.PurchaseShare * (1 - r2.Substitutability) * r1.PurchaseShare * (1 - r1.Substitutability)
				if w.grade[s] != "D" || strength < 0.2 {
					continue
				}
				found = true
				healthy := make(map[string]float64, len(w.p))
				for u, x := range w.p {
					healthy[u] = x
				}
				healthy[s] = w.p[l] // as sound as the leader itself
				d0 := w.distress(healthy)
				supplyAtRisk := 0.0
				for _, r := range w.in[l] {
					supplyAtRisk += r.PurchaseShare * d[r.Supplier]
				}
				t.Logf("%s → %s → %s: p %.3f, path strength %.3f; leader d %.3f (%.3f without the distress), supply at risk %.3f",
					w.firms[s].Name, w.firms[r1.Supplier].Name, w.firms[l].Name, w.p[s], strength, d[l], d0[l], supplyAtRisk)
				if d[l]-d0[l] < 0.05 || supplyAtRisk < 0.2 {
					t.Errorf("the distressed supplier raises %s's distress by only %.3f (supply at risk %.3f)",
						w.firms[l].Name, d[l]-d0[l], supplyAtRisk)
				}
			}
		}
	}
	if !found {
		t.Error("no tier-2 supplier in grade D on a strong dependency path to a leader")
	}
}

func TestOpenAndFS(t *testing.T) {
	for _, k := range credit.Kinds {
		b, err := fs.ReadFile(FS(), FileName(k))
		if err != nil || len(b) == 0 {
			t.Errorf("FS: %s: %v", FileName(k), err)
		}
		if !strings.HasPrefix(string(b), strings.Join(headers[k], ",")+"\n") {
			t.Errorf("%s does not start with its header", FileName(k))
		}
	}
	if _, err := Open("shareholders"); err == nil {
		t.Error("Open of an unknown kind succeeded")
	}
	rc, err := Open(credit.KindRepairs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, rc); err != nil {
		t.Error(err)
	}
	rc.Close()
}

// TestAnchorMatchesGenerator keeps demo.Anchor and the generator's anchor equal.
func TestAnchorMatchesGenerator(t *testing.T) {
	src, err := os.ReadFile("internal/gendemo/main.go")
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("generator source not available")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), `const anchor = "`+Anchor+`"`) {
		t.Errorf("internal/gendemo/main.go does not declare anchor %q", Anchor)
	}
	if AnchorTime().Format(time.DateOnly) != Anchor {
		t.Errorf("AnchorTime %v does not match Anchor %s", AnchorTime(), Anchor)
	}
}
