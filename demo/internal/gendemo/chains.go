package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo/internal/heilongjiang"
)

// firm is an enterprise of the demo while it is being built.
type firm struct {
	idx      int
	uscc     string
	name     string
	region   string
	role     *role
	industry string
	tags     []string
	status   credit.Status
	rev      float64 // yearly revenue, CNY; amounts derive from it even when not published
	cost     float64 // share of revenue spent on purchases
	inside   float64 // largest share of its sales that may go to firms of the data set
	showRev  bool
	fixedRev bool
	tier     int  // hops to the nearest leader: 0 leader, 1..3 upstream, -1 downstream
	expanded bool // its own suppliers have been drawn
	planted  bool // its events are written by hand in stories.go
	storied  bool // named in stories.go
	target   byte // grade its generic events aim at

	// Written by owners (ownership.go), from its own random source.
	rep         *person // legal representative; nil when not given
	capital     float64 // registered capital, CNY; 0 when not given
	established string  // YYYY-MM-DD; "" when not given
}

func (f *firm) hasTag(t string) bool {
	for _, x := range f.tags {
		if x == t {
			return true
		}
	}
	return false
}

// edge is a supply relation supplier → customer.
type edge struct {
	s, c       *firm
	ps, ss     float64
	subst      float64
	amount     float64
	showAmount bool
	product    string
	from, to   string
	fixedPS    bool // purchase share planted by a story
	fixedSubst bool
}

type builder struct {
	rng    *rand.Rand
	firms  []*firm
	edges  []*edge
	linked map[[2]*firm]*edge
	usccs  map[string]bool
	names  map[string]bool
	byRole map[string][]*firm
}

func newBuilder(seed uint64) *builder {
	return &builder{
		rng:    rand.New(rand.NewPCG(seed, seed^0x5eed_c4a1_2026)),
		linked: make(map[[2]*firm]*edge),
		usccs:  make(map[string]bool),
		names:  make(map[string]bool),
		byRole: make(map[string][]*firm),
	}
}

func (b *builder) pick(xs []string) string { return xs[b.rng.IntN(len(xs))] }

func (b *builder) uniform(lo, hi float64) float64 { return lo + (hi-lo)*b.rng.Float64() }

func (b *builder) logUniform(r [2]float64) float64 {
	return math.Exp(b.uniform(math.Log(r[0]), math.Log(r[1])))
}

// orgBody draws an organisation code body: mostly in the "MA" style issued since 2015,
// otherwise eight digits as in the older codes.
func (b *builder) orgBody() *[8]byte {
	var body [8]byte
	if b.rng.Float64() < 0.6 {
		heilongjiang.IndexBody(&body, b.rng.Uint64N(heilongjiang.IndexSpace))
		body[2] = "12"[b.rng.IntN(2)]
		return &body
	}
	for i := range body {
		body[i] = byte('0' + b.rng.IntN(10))
	}
	return &body
}

// firmSpec overrides what a new firm would otherwise draw from its role.
type firmSpec struct {
	region string
	name   string
	tags   []string
	rev    float64 // fixed revenue
	inside float64
}

func (b *builder) newFirm(r *role, tier int, spec firmSpec) *firm {
	f := &firm{idx: len(b.firms), role: r, industry: r.industry, status: credit.StatusActive, tier: tier}
	f.region = spec.region
	if f.region == "" {
		f.region = b.pick(r.regions)
	}
	f.name, f.storied = spec.name, spec.name != ""
	for f.name == "" || b.names[f.name] {
		if spec.name != "" {
			panic("duplicate planted name " + spec.name)
		}
		f.name = heilongjiang.City(f.region) + b.pick(heilongjiang.BrandsFor(f.region)) + b.pick(heilongjiang.Marks) + b.pick(r.tails)
	}
	b.names[f.name] = true
	prefix := heilongjiang.PrefixEnterprise
	if strings.Contains(f.name, "合作社") {
		prefix = heilongjiang.PrefixCooperative
	}
	for f.uscc == "" || b.usccs[f.uscc] {
		code, err := heilongjiang.USCC(prefix, f.region, b.orgBody())
		if err != nil {
			panic(err)
		}
		f.uscc = code
	}
	b.usccs[f.uscc] = true

	f.tags = append(f.tags, spec.tags...)
	if spec.tags == nil && b.rng.Float64() < r.special {
		f.tags = append(f.tags, credit.TagSpecialized)
		if b.rng.Float64() < r.giant {
			f.tags = append(f.tags, credit.TagLittleGiant)
		}
	}
	f.cost = b.uniform(0.55, 0.8)
	f.inside = spec.inside
	if f.inside == 0 {
		f.inside = b.uniform(0.4, 0.95)
	}
	if spec.rev > 0 {
		f.rev, f.fixedRev = spec.rev, true
	} else {
		f.rev = b.logUniform(r.rev)
	}
	f.showRev = spec.rev > 0 || spec.name != "" || b.rng.Float64() < 0.88
	b.firms = append(b.firms, f)
	b.byRole[r.id] = append(b.byRole[r.id], f)
	return f
}

// named creates a planted firm.
func (b *builder) named(roleID string, tier int, region, name string, tags ...string) *firm {
	if tags == nil {
		tags = []string{}
	}
	return b.newFirm(roleByID(roleID), tier, firmSpec{region: region, name: name, tags: tags})
}

// linkSpec plants a relation's values; zero fields are drawn later.
type linkSpec struct {
	ps, subst float64
	product   string
	from      string
}

func (b *builder) link(s, c *firm, spec linkSpec) *edge {
	if s == c {
		panic("self-loop " + s.name)
	}
	if e := b.linked[[2]*firm{s, c}]; e != nil {
		return e
	}
	e := &edge{s: s, c: c, ps: spec.ps, subst: spec.subst, product: spec.product, from: spec.from}
	e.fixedPS, e.fixedSubst = spec.ps > 0, spec.subst > 0
	if e.product == "" {
		e.product = productFor[[2]string{s.role.id, c.role.id}]
	}
	if e.product == "" {
		e.product = b.pick(s.role.products)
	}
	b.edges = append(b.edges, e)
	b.linked[[2]*firm{s, c}] = e
	return e
}

func (b *builder) suppliers(c *firm) int {
	n := 0
	for _, e := range b.edges {
		if e.c == c {
			n++
		}
	}
	return n
}

// supplier finds a supplier of role roleID for c at the given tier: with probability
// reuse an existing firm of that role (which makes chains share firms and close
// cycles), otherwise a new one.
func (b *builder) supplier(roleID string, c *firm, tier int, reuse float64) *firm {
	if roleID == "refinery" {
		reuse = 0.85 // a handful of refineries serve the whole province
	}
	if b.rng.Float64() < reuse {
		var cands []*firm
		for _, f := range b.byRole[roleID] {
			if f != c && b.linked[[2]*firm{f, c}] == nil {
				cands = append(cands, f)
			}
		}
		if len(cands) > 0 {
			f := cands[b.rng.IntN(len(cands))]
			if f.tier > tier {
				f.tier = tier
			}
			return f
		}
	}
	return b.newFirm(roleByID(roleID), tier, firmSpec{})
}

// expand gives c between lo and hi suppliers in all (counting those it already has),
// drawn from its role's upstream, and recurses until tier 3.
func (b *builder) expand(c *firm, lo, hi int) {
	if c.expanded || c.tier >= 3 || c.tier < 0 {
		return
	}
	c.expanded = true
	slots := append([]string(nil), c.role.upstream...)
	b.rng.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })
	want := lo + b.rng.IntN(hi-lo+1) - b.suppliers(c)
	tier := c.tier + 1
	reuse := 0.15
	if tier == 3 {
		reuse = 0.2
	}
	var fresh []*firm
	for _, id := range slots {
		if want <= 0 {
			break
		}
		s := b.supplier(id, c, tier, reuse)
		if b.linked[[2]*firm{s, c}] != nil || s == c {
			continue
		}
		b.link(s, c, linkSpec{})
		want--
		if !s.expanded {
			fresh = append(fresh, s)
		}
	}
	for _, s := range fresh {
		if s.tier == 2 {
			b.expand(s, 1, 3)
		}
	}
}

// chainTiers sets every firm's tier to its distance from the nearest leader as
// chainrisk computes it (docs/models.md: upstream up to 3 hops, downstream 1 hop), now that
// reuse has tied the chains together.
func (b *builder) chainTiers(leaders ...*firm) {
	in := make(map[*firm][]*firm)
	for _, e := range b.edges {
		in[e.c] = append(in[e.c], e.s)
	}
	best := make(map[*firm]int)
	for _, l := range leaders {
		best[l] = 0
		frontier, seen := []*firm{l}, map[*firm]bool{l: true}
		for hop := 1; hop <= 3; hop++ {
			var next []*firm
			for _, c := range frontier {
				for _, s := range in[c] {
					if !seen[s] {
						seen[s] = true
						next = append(next, s)
						if t, ok := best[s]; !ok || (t != 0 && hop < abs(t)) {
							best[s] = hop
						}
					}
				}
			}
			frontier = next
		}
		for _, e := range b.edges {
			if e.s == l {
				if _, ok := best[e.c]; !ok {
					best[e.c] = -1
				}
			}
		}
	}
	for _, f := range b.firms {
		t, ok := best[f]
		if !ok {
			panic(f.name + " belongs to no chain")
		}
		f.tier = t
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// assignShares draws purchase shares and substitutabilities. A customer buys a share
// T < 1 of its purchases inside the data set; the planted shares take their part and
// the rest is split among the other suppliers in proportion to role weight times an
// exponential draw (a Dirichlet split).
func (b *builder) assignShares() {
	in := make(map[*firm][]*edge)
	for _, e := range b.edges {
		in[e.c] = append(in[e.c], e)
	}
	for _, c := range b.firms {
		es := in[c]
		if len(es) == 0 {
			continue
		}
		// Leaders report most of their suppliers; further up the chains the data set
		// holds only the larger suppliers of each firm.
		var total float64
		switch {
		case c.tier == 0:
			total = b.uniform(0.82, 0.9)
		case c.tier == 1:
			total = b.uniform(0.35, 0.7)
		default:
			total = b.uniform(0.2, 0.55)
		}
		fixed, free := 0.0, 0
		for _, e := range es {
			if e.fixedPS {
				fixed += e.ps
			} else {
				free++
			}
		}
		rest := total - fixed
		if min := 0.03 * float64(free); rest < min {
			rest = min
		}
		if fixed+rest > 0.97 {
			panic(fmt.Sprintf("planted shares of %s leave no room", c.name))
		}
		weights := make([]float64, len(es))
		sum := 0.0
		for i, e := range es {
			if !e.fixedPS {
				weights[i] = e.s.role.weight * -math.Log(1-b.rng.Float64())
				sum += weights[i]
			}
		}
		for i, e := range es {
			if !e.fixedPS {
				milli := int(rest * weights[i] / sum * 1000)
				if milli < 5 {
					milli = 5
				}
				e.ps = float64(milli) / 1000
			}
		}
	}
	for _, e := range b.edges {
		if !e.fixedSubst {
			r := e.s.role.subst
			e.subst = float64(int(b.uniform(r[0], r[1])*100+0.5)) / 100
			// Single-source dependencies are the stories of README.md; keep them few.
			if e.ps >= 0.5 && e.subst <= 0.2 {
				e.subst = 0.25
			}
		}
	}
}

// assignRevenues makes revenues, amounts and sales shares agree: a relation's amount is
// the customer's purchases times the purchase share, and a supplier's revenue is raised
// until its sales inside the data set fit into its share `inside` of it.
func (b *builder) assignRevenues() {
	for iter := 0; ; iter++ {
		if iter > 500 {
			panic("revenues do not converge")
		}
		out := make(map[*firm]float64)
		for _, e := range b.edges {
			e.amount = e.ps * e.c.cost * e.c.rev
			out[e.s] += e.amount
		}
		changed := false
		for _, f := range b.firms {
			if need := out[f] / f.inside; need > f.rev*(1+1e-9) {
				if f.fixedRev {
					panic(fmt.Sprintf("planted revenue of %s too small for its sales", f.name))
				}
				f.rev, changed = need, true
			}
		}
		if !changed {
			break
		}
	}
	for _, f := range b.firms {
		f.rev = roundSignificant(f.rev, 3)
		// A few of the larger firms are listed companies.
		if !f.storied && len(f.tags) == 0 && f.rev >= 2e9 && strings.HasSuffix(f.name, "有限公司") && b.rng.IntN(3) == 0 {
			f.tags = append(f.tags, credit.TagListed)
			f.name = strings.TrimSuffix(f.name, "有限公司") + "股份有限公司" // a listed company is joint-stock
		}
	}
	for _, e := range b.edges {
		e.amount = math.Round(e.ps*e.c.cost*e.c.rev/1e4) * 1e4 // 万元
		milli := int(e.amount / e.s.rev * 1000)
		if milli < 1 {
			milli = 1
		}
		e.ss = float64(milli) / 1000
		e.showAmount = e.fixedPS || b.rng.Float64() < 0.9
	}
}

func roundSignificant(x float64, digits int) float64 {
	if x <= 0 {
		return x
	}
	p := math.Pow(10, float64(digits)-math.Ceil(math.Log10(x)))
	return math.Round(x*p) / p
}

// assignDates sets contract periods: most open-ended, some ending in the coming years.
func (b *builder) assignDates() {
	ends := []string{"2026-12-31", "2027-06-30", "2027-12-31", "2028-12-31"}
	for _, e := range b.edges {
		if e.from == "" {
			e.from = fmt.Sprintf("%d-%02d-01", 2018+b.rng.IntN(8), 1+b.rng.IntN(12))
		}
		if b.rng.Float64() < 0.25 {
			e.to = b.pick(ends)
		}
	}
}
