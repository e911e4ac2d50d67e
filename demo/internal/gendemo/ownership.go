package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo/internal/heilongjiang"
)

// person is a natural person of the demo: a legal representative or a shareholder,
// known by an opaque person_id.
type person struct{ id, name string }

// stake is a shareholding: a firm or a person holds share of investee since a date,
// until a date when it was sold.
type stake struct {
	investee     *firm
	firm         *firm   // the holder when it is a firm
	person       *person // otherwise
	share        float64
	since, until string
}

// outside is the tier of the firms that belong to no chain: the holding companies.
const outside = -2

// holdingRole is the role of the holding companies, which sell nothing to the chains.
var holdingRole = &role{id: "holding"}

// owners lays out who represents and owns the demo's firms: legal representatives,
// registered capital and dates of establishment on most firms, shareholdings of natural
// persons, the leaders' groups, a cross-holding, and the holding company of the
// stories with its events. It draws from its own random source, so the firms,
// relations and events drawn before it come out the same.
type owners struct {
	rng     *rand.Rand
	b       *builder
	persons []*person
	names   map[string]bool
	stakes  []*stake
	held    map[*firm]float64 // current share given out, per investee
	closed  map[*firm]bool    // holders complete, or left unknown on purpose
}

func newOwners(seed uint64, b *builder) *owners {
	return &owners{rng: rand.New(rand.NewPCG(seed, seed^0x0a7e_5a1d_e1d)), b: b,
		names: make(map[string]bool), held: make(map[*firm]float64), closed: make(map[*firm]bool)}
}

// build runs the stages in the order they draw from the random source.
func (o *owners) build(k *cast, g *eventGen) {
	o.holdingStory(k, g)
	o.registry()
	o.groups(k)
	o.people()
	slices.SortStableFunc(o.stakes, func(a, b *stake) int { return a.investee.idx - b.investee.idx })
}

func (o *owners) newPerson() *person {
	for {
		name := heilongjiang.Surnames[o.rng.IntN(len(heilongjiang.Surnames))]
		for range 1 + o.rng.IntN(2) {
			name += string(heilongjiang.GivenChars[o.rng.IntN(len(heilongjiang.GivenChars))])
		}
		if !o.names[name] {
			o.names[name] = true
			p := &person{id: heilongjiang.PersonID("chainrisk-demo", len(o.persons)), name: name}
			o.persons = append(o.persons, p)
			return p
		}
	}
}

// newFirm adds a holding company, outside the supply chains.
func (o *owners) newFirm(region, name, industry string, capital float64, established string, rep *person) *firm {
	b := o.b
	if b.names[name] {
		panic("duplicate planted name " + name)
	}
	f := &firm{idx: len(b.firms), role: holdingRole, region: region, name: name, industry: industry,
		tags: []string{}, status: credit.StatusActive, tier: outside, planted: true, storied: true,
		rep: rep, capital: capital, established: established}
	for f.uscc == "" || b.usccs[f.uscc] {
		var body [8]byte
		heilongjiang.IndexBody(&body, o.rng.Uint64N(heilongjiang.IndexSpace))
		code, err := heilongjiang.USCC(heilongjiang.PrefixEnterprise, region, &body)
		if err != nil {
			panic(err)
		}
		f.uscc = code
	}
	b.usccs[f.uscc], b.names[name] = true, true
	b.firms = append(b.firms, f)
	return f
}

// hold records a current stake of a person or a firm in investee.
func (o *owners) hold(investee *firm, p *person, holder *firm, share float64, since string) {
	if o.held[investee]+share > 1+1e-9 {
		panic(fmt.Sprintf("shares of %s pass 1", investee.name))
	}
	o.held[investee] += share
	o.stakes = append(o.stakes, &stake{investee: investee, person: p, firm: holder, share: share, since: since})
}

// holdingStory adds the holding company behind the soybean leader's carton maker:
// 黑龙江恒信实业集团有限公司, held by three persons of whom none holds a majority, holds
// 65 % of 哈尔滨恒信企业管理有限公司, which holds 60 % of the carton maker. The holding
// company is the carton maker's actual controller, two levels up, and it is a dishonest
// judgment debtor whose stake in the middle company is frozen: grade D.
func (o *owners) holdingStory(k *cast, g *eventGen) {
	founder, partner, third := o.newPerson(), o.newPerson(), o.newPerson()
	h := o.newFirm("230102", "黑龙江恒信实业集团有限公司", "L7212", 5e8, "2006-08-15", founder)
	m := o.newFirm("230103", "哈尔滨恒信企业管理有限公司", "L7211", 1e8, "2012-03-09", founder)
	h.target, m.target = 'D', 'B'
	o.hold(h, founder, nil, 0.4, "2006-08-15")
	o.hold(h, partner, nil, 0.35, "2006-08-15")
	o.hold(h, third, nil, 0.25, "2009-05-20")
	o.hold(m, nil, h, 0.65, "2012-03-09")
	o.hold(m, partner, nil, 0.35, "2012-03-09")
	c := k.carton
	c.rep, c.capital, c.established = o.newPerson(), 8e7, "2008-04-16"
	o.hold(c, nil, m, 0.6, "2015-11-02")
	o.hold(c, c.rep, nil, 0.25, "2008-04-16")
	o.hold(c, o.newPerson(), nil, 0.15, "2008-04-16")
	for _, f := range []*firm{h, m, c} {
		o.closed[f] = true
	}

	court := heilongjiang.Court(h.region)
	o.number(g,
		g.make(h, "judgment_debtor", mustDay("2026-04-20"), 3.2e8, "因借款合同纠纷被"+court+"立案执行，执行标的32000万元"),
		g.make(h, "dishonest_judgment_debtor", mustDay("2026-07-16"), 3.2e8,
			"有履行能力而拒不履行生效法律文书确定的给付义务，被"+court+"纳入失信被执行人名单，执行标的32000万元"),
		g.make(h, "consumption_restriction", mustDay("2026-07-16"), 3.2e8,
			"未按执行通知履行给付义务，公司及法定代表人被"+court+"采取限制高消费措施"),
		g.make(h, "equity_freeze", mustDay("2026-08-05"), 6.5e7,
			"所持哈尔滨恒信企业管理有限公司65%股权被"+court+"冻结，冻结期限三年"))
}

// number gives events made after the others were numbered their ids, continuing each
// year's sequence, and records them.
func (o *owners) number(g *eventGen, es ...*event) {
	last := map[int]int{}
	for _, e := range g.events {
		var y, n int
		if _, err := fmt.Sscanf(e.id, "HLJ-%d-%d", &y, &n); err != nil {
			panic(err)
		}
		last[y] = max(last[y], n)
	}
	slices.SortStableFunc(es, func(a, b *event) int { return a.at.Compare(b.at) })
	for _, e := range es {
		y := e.at.Year()
		last[y] += 1 + o.rng.IntN(37)
		e.id = fmt.Sprintf("HLJ-%d-%06d", y, last[y])
	}
	g.commit(es...)
}

// registry gives most firms a legal representative (a few persons represent several
// firms), a registered capital and a date of establishment.
func (o *owners) registry() {
	for _, f := range o.b.firms {
		if f.rep == nil && o.rng.Float64() < 0.92 {
			if len(o.persons) > 10 && o.rng.Float64() < 0.06 {
				f.rep = o.persons[o.rng.IntN(len(o.persons))]
			} else {
				f.rep = o.newPerson()
			}
		}
		if f.capital == 0 && o.rng.Float64() < 0.9 {
			lo, hi := 0.03, 0.15
			if strings.Contains(f.name, "合作社") {
				lo, hi = 0.005, 0.03
			}
			f.capital = math.Max(5e5, math.Round(f.rev*(lo+(hi-lo)*o.rng.Float64())/1e5)*1e5)
		}
		if f.established == "" && o.rng.Float64() < 0.93 {
			year := 1996 + o.rng.IntN(27)
			if f.tier == 0 {
				year = 1996 + o.rng.IntN(8)
			}
			f.established = fmt.Sprintf("%d-%02d-%02d", year, 1+o.rng.IntN(12), 1+o.rng.IntN(28))
		}
	}
}

// after draws a date from investee f's establishment (or 2010) to the end of 2024.
func (o *owners) after(f *firm) string {
	if f.established != "" {
		return o.from(f.established)
	}
	return o.from("2010-01-01")
}

// from draws a date from date to the end of 2024.
func (o *owners) from(date string) string {
	t := mustDay(date)
	days := int(mustDay("2024-12-31").Sub(t).Hours() / 24)
	return day(t.AddDate(0, 0, o.rng.IntN(max(days, 1))))
}

// groups makes the leaders parents of some of their own suppliers and a customer (the
// soybean leader's grain depot holds a majority of one of its farms in turn), and
// closes a cross-holding: the refinery holds 51 % of its crude supplier, which holds
// 5 % of the refinery.
func (o *owners) groups(k *cast) {
	storage := o.partner("grain_storage", k.soy, true)
	o.hold(storage, nil, k.soy, 1, o.after(storage))
	farm := o.partner("soy_farm", k.soy, true)
	o.hold(farm, nil, storage, 0.55, o.after(farm))
	exporter := o.partner("exporter", k.soy, false)
	o.hold(exporter, nil, k.soy, 0.4, o.after(exporter))
	o.hold(k.ranch, nil, k.dairy, 0.7, o.after(k.ranch))
	cold := o.partner("cold_logistics", k.dairy, true)
	o.hold(cold, nil, k.dairy, 1, o.after(cold))
	o.hold(k.crude, nil, k.petro, 0.51, o.after(k.crude))
	o.hold(k.petro, nil, k.crude, 0.05, o.after(k.petro))
}

// partner returns the first firm of a role that supplies leader (or buys from it).
func (o *owners) partner(roleID string, leader *firm, supplier bool) *firm {
	for _, f := range o.b.byRole[roleID] {
		if supplier && o.b.linked[[2]*firm{f, leader}] != nil || !supplier && o.b.linked[[2]*firm{leader, f}] != nil {
			return f
		}
	}
	panic("no " + roleID + " next to " + leader.name)
}

// people gives the firms not yet complete their personal holders: the legal
// representative usually holds a majority, a partner often the rest; a listed firm's
// founders hold a part and the public the rest (unknown); for about one firm in six
// the holders are not known at all. A few stakes changed hands: the seller's ended
// stake stays in the register.
func (o *owners) people() {
	for _, f := range o.b.firms {
		left := 1 - o.held[f]
		if o.closed[f] || left < 0.01 {
			continue
		}
		holder := f.rep
		if holder == nil || o.rng.Float64() < 0.15 {
			holder = o.newPerson()
		}
		since := o.after(f)
		switch {
		case f.hasTag(credit.TagListed):
			o.hold(f, holder, nil, round2(left*(0.3+0.15*o.rng.Float64())), since)
			for range 2 {
				o.hold(f, o.newPerson(), nil, round2(0.03+0.07*o.rng.Float64()), o.after(f))
			}
			continue
		case left == 1 && o.rng.Float64() < 0.17:
			continue
		}
		share := left
		if o.rng.Float64() < 0.6 {
			share = round2(left * (0.51 + 0.39*o.rng.Float64()))
		}
		o.hold(f, holder, nil, share, since)
		if rest := round2(1 - o.held[f]); rest >= 0.05 && o.rng.Float64() < 0.7 {
			partner, bought := o.newPerson(), o.from(since)
			if o.rng.Float64() < 0.15 {
				seller := o.newPerson()
				o.stakes = append(o.stakes, &stake{investee: f, person: seller, share: rest, since: since, until: bought})
			}
			o.hold(f, partner, nil, rest, bought)
		}
	}
}

func round2(x float64) float64 { return math.Floor(x*100) / 100 }

// rows writes the shareholdings file.
func (o *owners) rows() [][]string {
	out := [][]string{{"holder", "holder_kind", "holder_name", "investee", "share", "subscribed_capital", "since", "until"}}
	for _, s := range o.stakes {
		holder, kind, name := "", string(credit.HolderFirm), ""
		if s.firm != nil {
			holder = s.firm.uscc
		} else {
			holder, kind, name = s.person.id, string(credit.HolderPerson), s.person.name
		}
		subscribed := ""
		if s.investee.capital > 0 {
			subscribed = money(math.Round(s.share*s.investee.capital/1e4) * 1e4)
		}
		out = append(out, []string{holder, kind, name, s.investee.uscc, share(s.share), subscribed, s.since, s.until})
	}
	return out
}
