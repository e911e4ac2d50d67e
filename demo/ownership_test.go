package demo

import (
	"strconv"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
)

// holdings reads shareholdings.csv, checking every row as ingest would and the rules
// the store enforces: known firms, one row per key, Σ current share ≤ 1 per investee.
func (w *world) holdings(t *testing.T) []credit.Shareholding {
	t.Helper()
	v := credit.Validator{Catalogue: credit.NewCatalogue(), Now: AnchorTime}
	var out []credit.Shareholding
	seen, sum := map[[3]string]bool{}, map[string]float64{}
	for _, r := range readKind(t, credit.KindShareholdings) {
		where := "shareholdings.csv:" + strconv.Itoa(r.line)
		h := credit.Shareholding{Holder: r.f["holder"], HolderKind: credit.HolderKind(r.f["holder_kind"]),
			HolderName: r.f["holder_name"], Investee: r.f["investee"], Share: number(t, where, r.f["share"]),
			SubscribedCapital: optNumber(t, where, r.f["subscribed_capital"]),
			Since:             date(t, where, r.f["since"]), Until: date(t, where, r.f["until"])}
		for _, e := range v.Shareholding(&h).Errors {
			t.Errorf("%s: %v", where, e)
		}
		if w.firms[h.Investee] == nil || h.HolderKind == credit.HolderFirm && w.firms[h.Holder] == nil {
			t.Errorf("%s: unknown firm", where)
		}
		key := [3]string{string(h.HolderKind), h.Holder, h.Investee}
		if seen[key] {
			t.Errorf("%s: duplicate holding", where)
		}
		seen[key] = true
		if h.CurrentAt(AnchorTime()) {
			sum[h.Investee] += h.Share
		}
		out = append(out, h)
	}
	for u, s := range sum {
		if s > 1+credit.ShareSumTolerance {
			t.Errorf("the current shares of %s sum to %v", w.firms[u].Name, s)
		}
	}
	return out
}

// TestOwnership: most firms name their legal representative, registered capital and
// date of establishment; persons are opaque ids with one name each; firms hold firms,
// some of them in a cycle; some stakes have ended; a person represents several firms.
func TestOwnership(t *testing.T) {
	w := score(t)
	hs := w.holdings(t)
	names := map[string]string{}
	name := func(id, n, where string) {
		if old, ok := names[id]; ok && old != n || n == "" || credit.IsResidentID(id) {
			t.Errorf("%s: person %s named %q and %q", where, id, old, n)
		}
		names[id] = n
	}
	reps, withCapital, withDate := map[string]int{}, 0, 0
	for _, u := range w.order {
		e := w.firms[u]
		if e.LegalRepID != "" {
			name(e.LegalRepID, e.LegalRepName, e.Name)
			reps[e.LegalRepID]++
		}
		if e.RegisteredCapital != nil {
			withCapital++
		}
		if !e.EstablishedAt.IsZero() {
			withDate++
		}
	}
	n := len(w.order)
	if len(reps) == 0 || withCapital < n*8/10 || withDate < n*8/10 {
		t.Errorf("of %d firms %d name a legal representative, %d their capital, %d their date", n, len(reps), withCapital, withDate)
	}
	represented, serial := 0, 0
	for _, k := range reps {
		represented += k
		if k > 1 {
			serial++
		}
	}
	if represented < n*85/100 || serial == 0 {
		t.Errorf("%d firms of %d have a legal representative, %d persons represent several", represented, n, serial)
	}
	held := map[string][]string{} // investee → firm holders
	ended, firmHolders := 0, 0
	for _, h := range hs {
		switch h.HolderKind {
		case credit.HolderPerson:
			name(h.Holder, h.HolderName, "holder of "+w.firms[h.Investee].Name)
		case credit.HolderFirm:
			firmHolders++
			held[h.Investee] = append(held[h.Investee], h.Holder)
		}
		if !h.CurrentAt(AnchorTime()) {
			ended++
		}
	}
	cycle := false
	for investee, holders := range held {
		for _, h := range holders {
			for _, back := range held[h] {
				cycle = cycle || back == investee
			}
		}
	}
	if firmHolders < 6 || !cycle || ended == 0 {
		t.Errorf("%d firm holders (want several), a cross-holding: %v, %d ended stakes (want some)", firmHolders, cycle, ended)
	}
}

// TestDistressedController checks the ownership story: a tier-1 supplier of a leader
// whose actual controller (the top of its chain of majority stakes) is a firm two
// levels up, in grade D with an active critical event.
func TestDistressedController(t *testing.T) {
	w := score(t)
	majority := map[string]credit.Shareholding{} // investee → its majority holder
	for _, h := range w.holdings(t) {
		if h.CurrentAt(AnchorTime()) && h.Share > 0.5 {
			majority[h.Investee] = h
		}
	}
	critical := map[string]bool{}
	for _, e := range w.events {
		if scoring[e.Type].severity == "critical" && e.State != credit.EventRepaired &&
			(e.PublishUntil.IsZero() || AnchorTime().Before(e.PublishUntil)) {
			critical[e.USCC] = true
		}
	}
	found := 0
	for _, l := range w.leaders {
		for _, r := range w.in[l] {
			top, levels := r.Supplier, 0
			for h, ok := majority[top]; ok && levels < 10; h, ok = majority[top] {
				top, levels = h.Holder, levels+1
			}
			c := w.firms[top]
			if levels != 2 || c == nil || w.grade[top] != "D" || !critical[top] {
				continue
			}
			found++
			t.Logf("%s (tier 1 of %s): actual controller %s %s, two levels up, grade D",
				w.firms[r.Supplier].Name, w.firms[l].Name, c.Name, c.USCC)
			if len(w.in[top]) > 0 || len(w.out[top]) > 0 {
				t.Errorf("the holding company %s trades with the chains", c.Name)
			}
		}
	}
	if found != 1 {
		t.Errorf("%d tier-1 suppliers with a grade-D actual controller two levels up, want 1", found)
	}
}
