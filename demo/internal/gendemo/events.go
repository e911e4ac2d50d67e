package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo/internal/heilongjiang"
)

// event is a credit event of the demo while it is being built.
type event struct {
	f            *firm
	typ          credit.EventType
	at           time.Time
	amount       float64 // 0: none
	desc, source string
	repairedAt   time.Time
	repairBy     string
	repairReason string
	id           string
}

func (e *event) repair(date, by, reason string) {
	e.repairedAt, e.repairBy, e.repairReason = mustDay(date), by, reason
}

// publishUntil is the end of the default publicity period; zero for until repaired.
func (e *event) publishUntil() time.Time { return e.typ.Publicity.After(e.at) }

func (e *event) activeAt(t time.Time) bool {
	if !e.repairedAt.IsZero() {
		return false
	}
	pu := e.publishUntil()
	return pu.IsZero() || t.Before(pu)
}

var shanghai = time.FixedZone("CST", 8*3600)

func mustDay(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func day(t time.Time) string { return t.Format("2006-01-02") }

type eventGen struct {
	rng    *rand.Rand
	anchor time.Time
	cat    credit.Catalogue
	events []*event
	byFirm map[*firm][]*event
}

func newEventGen(seed uint64, anchor time.Time) *eventGen {
	return &eventGen{
		rng:    rand.New(rand.NewPCG(seed, seed^0xe7e7_2026)),
		anchor: anchor,
		cat:    credit.NewCatalogue(),
		byFirm: make(map[*firm][]*event),
	}
}

func (g *eventGen) uniform(lo, hi float64) float64 { return lo + (hi-lo)*g.rng.Float64() }

func (g *eventGen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

// make builds an event of firm f without recording it. An empty description is
// written from the type's templates.
func (g *eventGen) make(f *firm, typ string, at time.Time, amount float64, desc string) *event {
	t, ok := g.cat.Lookup(typ)
	if !ok {
		panic("unknown event type " + typ)
	}
	if at.After(g.anchor) {
		panic(fmt.Sprintf("%s event of %s after the anchor", typ, f.name))
	}
	e := &event{f: f, typ: t, at: at, amount: amount, desc: desc, source: source(typ, f)}
	if e.desc == "" {
		e.desc = g.describe(e)
	}
	return e
}

// add records a planted event on a given date.
func (g *eventGen) add(f *firm, typ, date string, amount float64, desc string) *event {
	e := g.make(f, typ, mustDay(date), amount, desc)
	g.commit(e)
	return e
}

func (g *eventGen) commit(es ...*event) {
	for _, e := range es {
		g.events = append(g.events, e)
		g.byFirm[e.f] = append(g.byFirm[e.f], e)
	}
}

// halfLife is the default decay of docs/models.md per severity, in days; 0 means no decay.
var halfLife = map[credit.Severity]float64{
	credit.SeverityCritical: 0,
	credit.SeverityHigh:     730,
	credit.SeverityMedium:   365,
	credit.SeverityLow:      180,
	credit.SeverityInfo:     365,
}

// grade scores a firm with the default model of docs/models.md at the anchor.
func (g *eventGen) grade(f *firm, es []*event) (float64, byte) {
	neg, pos, critical := 0.0, 0.0, false
	for _, e := range es {
		if !e.activeAt(g.anchor) {
			continue
		}
		pts := e.typ.Points
		if hl := halfLife[e.typ.Severity]; hl > 0 {
			age := g.anchor.Sub(e.at).Hours() / 24
			pts *= math.Pow(0.5, age/hl)
		}
		if pts > 0 {
			pos += pts
		} else {
			neg += pts
		}
		critical = critical || e.typ.Severity == credit.SeverityCritical
	}
	score := 800 + neg + math.Min(pos, 150)
	score = math.Max(0, math.Min(1000, score))
	switch {
	case f.status.Defunct() || critical || score < 500:
		return score, 'D'
	case score < 700:
		return score, 'C'
	case score < 850:
		return score, 'B'
	}
	return score, 'A'
}

// at returns a date age days before the anchor.
func (g *eventGen) ago(age int) time.Time { return g.anchor.AddDate(0, 0, -age) }

func (g *eventGen) agoIn(lo, hi int) time.Time { return g.ago(lo + g.rng.IntN(hi-lo+1)) }

// amountFor draws an amount in CNY for the event types that carry one.
func (g *eventGen) amountFor(typ string, f *firm) float64 {
	logU := func(lo, hi float64) float64 {
		if hi < lo*1.5 {
			hi = lo * 1.5
		}
		x := math.Exp(g.uniform(math.Log(lo), math.Log(hi)))
		return math.Round(x/1e4) * 1e4
	}
	switch typ {
	case "judgment_debtor", "dishonest_judgment_debtor", "consumption_restriction":
		return logU(5e5, math.Min(f.rev*0.1, 5e7))
	case "tax_arrears":
		return logU(1e5, math.Min(f.rev*0.02, 3e7))
	case "major_tax_violation":
		return logU(1e6, math.Min(f.rev*0.05, 5e7))
	case "penalty_serious":
		return logU(1e5, 2e6)
	case "penalty_general":
		return logU(1e4, 3e5)
	case "penalty_minor":
		if g.rng.IntN(2) == 0 {
			return 0
		}
		return float64(1+g.rng.IntN(9)) * 1e3
	case "social_insurance_arrears":
		return logU(5e4, 2e6)
	case "overdue_payment":
		return logU(2e5, math.Min(f.rev*0.02, 2e7))
	case "utility_arrears":
		return logU(1e4, 5e5)
	case "equity_freeze":
		return logU(5e6, 5e7)
	case "bankruptcy":
		return logU(f.rev*0.5, f.rev*1.5)
	}
	return 0
}

// random builds an event of type typ dated between lo and hi days before the anchor.
func (g *eventGen) random(f *firm, typ string, lo, hi int) *event {
	at := g.agoIn(lo, hi)
	switch typ {
	case "a_level_taxpayer": // the province publishes its A-level list in April
		at = mustDay("2026-04-12")
	case "contract_abiding": // and its 守合同重信用 list in June
		at = mustDay("2026-06-20")
	}
	return g.make(f, typ, at, g.amountFor(typ, f), "")
}

// recipe draws a candidate set of events meant to land firm f on grade target.
func (g *eventGen) recipe(f *firm, target byte) []*event {
	var es []*event
	add := func(typ string, lo, hi int) { es = append(es, g.random(f, typ, lo, hi)) }
	chance := func(p float64) bool { return g.rng.Float64() < p }
	negatives := []string{"tax_arrears", "judgment_debtor", "penalty_serious", "equity_freeze", "overdue_payment",
		"social_insurance_arrears", "penalty_general", "consumption_restriction", "utility_arrears", "abnormal_operation"}
	switch target {
	case 'A':
		// Two or three distinctions; the caller redraws when they are too old to
		// lift the score to 850.
		positives := []string{"a_level_taxpayer", "a_level_taxpayer", "contract_abiding", "honor", "commitment_kept"}
		n := 2
		if chance(0.2) {
			n++
		}
		seen := map[string]bool{}
		for len(es) < n {
			if typ := g.pick(positives); !seen[typ] {
				seen[typ] = true
				add(typ, 20, 340)
			}
		}
		if chance(0.1) {
			add("penalty_minor", 120, 360) // long expired
		}
	case 'B':
		switch x := g.rng.Float64(); {
		case x < 0.5:
		case x < 0.6:
			add("commitment_kept", 10, 360)
		case x < 0.6:
			add("a_level_taxpayer", 0, 0)
		case x < 0.7:
			add("penalty_minor", 5, 80)
		case x < 0.8:
			add("overdue_payment", 60, 360)
		case x < 0.87:
			add("utility_arrears", 10, 300)
		case x < 0.95:
			add("a_level_taxpayer", 0, 0)
			add("penalty_general", 30, 300)
		default:
			add("penalty_minor", 150, 360)
			add("contract_abiding", 0, 0)
		}
	case 'C':
		n := 2
		if chance(0.4) {
			n++
		}
		if f.status == credit.StatusAbnormal {
			add("abnormal_operation", 30, 300)
			n--
		}
		for i := 0; i < n; i++ {
			typ := g.pick(negatives)
			if typ == "abnormal_operation" && f.status != credit.StatusAbnormal {
				typ = "penalty_general"
			}
			add(typ, 10, 340)
		}
		if chance(0.3) {
			add("commitment_kept", 10, 300)
		}
	case 'D':
		if chance(0.75) {
			add("judgment_debtor", 120, 360)
			add(g.pick([]string{"dishonest_judgment_debtor", "dishonest_judgment_debtor", "serious_dishonesty_list", "major_tax_violation"}), 10, 110)
			if chance(0.6) {
				add(g.pick([]string{"consumption_restriction", "tax_arrears", "equity_freeze"}), 10, 200)
			}
		} else {
			add("judgment_debtor", 200, 360)
			add("consumption_restriction", 100, 200)
			add("penalty_serious", 30, 300)
			add("tax_arrears", 10, 200)
		}
	}
	return es
}

// targets draws the grade each generic firm aims at, by tier: distress is rare near
// the leaders and D only appears at the edges of the chains.
func (g *eventGen) targets(firms []*firm) {
	dist := map[int][4]float64{ // cumulative A, B, C, D
		1:  {0.38, 0.85, 1, 1},
		2:  {0.30, 0.74, 1, 1},
		3:  {0.25, 0.68, 0.88, 1},
		-1: {0.35, 0.80, 0.96, 1},
	}
	for _, f := range firms {
		if f.planted {
			continue
		}
		x, d := g.rng.Float64(), dist[f.tier]
		switch {
		case x < d[0]:
			f.target = 'A'
		case x < d[1]:
			f.target = 'B'
		case x < d[2]:
			f.target = 'C'
		default:
			f.target = 'D'
		}
	}
}

// plantStatuses gives a few firms at the edge of the chains an abnormal, revoked or
// bankrupt status, and one a critical event that was repaired, with matching events.
func (g *eventGen) plantStatuses(firms []*firm) {
	var edge []*firm
	for _, f := range firms {
		if !f.planted && f.tier >= 2 && len(f.tags) == 0 {
			edge = append(edge, f)
		}
	}
	taken := make(map[*firm]bool)
	take := func(tier int, roles ...string) *firm {
		for _, preferred := range []bool{true, false} {
			var cands []*firm
			for _, f := range edge {
				if taken[f] || f.tier != tier {
					continue
				}
				match := false
				for _, r := range roles {
					match = match || f.role.id == r
				}
				if match == preferred {
					cands = append(cands, f)
				}
			}
			if len(cands) > 0 {
				f := cands[g.rng.IntN(len(cands))]
				taken[f], f.planted = true, true
				return f
			}
		}
		panic("no firm left for a planted status")
	}

	bankrupt := take(3, "casting", "wood_chips", "packaging_bag")
	bankrupt.status, bankrupt.target = credit.StatusBankrupt, 'D'
	g.commit(g.make(bankrupt, "judgment_debtor", mustDay("2026-01-14"), g.amountFor("judgment_debtor", bankrupt), ""),
		g.make(bankrupt, "social_insurance_arrears", mustDay("2026-03-02"), g.amountFor("social_insurance_arrears", bankrupt), ""),
		g.make(bankrupt, "bankruptcy", mustDay("2026-07-08"), g.amountFor("bankruptcy", bankrupt), ""))

	revoked := take(3, "logistics", "pallet", "pigment")
	revoked.status, revoked.target = credit.StatusRevoked, 'D'
	g.commit(g.make(revoked, "abnormal_operation", mustDay("2025-12-03"), 0, ""),
		g.make(revoked, "license_revoked", mustDay("2026-05-19"), 0, ""))

	for i := 0; i < 2; i++ {
		f := take(2+i, "packaging_bag", "forage", "grain_storage", "wood_chips", "seed")
		f.status, f.planted = credit.StatusAbnormal, false // its events follow the generic C recipe
		f.target = 'C'
	}

	cleared := take(3, "casting", "coal", "plywood", "seed")
	cleared.target = 'B'
	court := heilongjiang.Court(cleared.region)
	jd := g.make(cleared, "judgment_debtor", mustDay("2025-11-28"), 0, "")
	jd.amount = g.amountFor("judgment_debtor", cleared)
	jd.desc = g.describe(jd)
	dj := g.make(cleared, "dishonest_judgment_debtor", mustDay("2025-12-22"), jd.amount, "")
	dj.desc = g.describe(dj)
	reason := "已全部履行生效法律文书确定的给付义务，依法删除失信信息并解除相关措施"
	jd.repair("2026-03-05", court, reason)
	dj.repair("2026-03-05", court, reason)
	g.commit(jd, dj, g.make(cleared, "commitment_kept", mustDay("2026-06-30"), 0, ""))
}

// generic writes the events of every firm without a story, redrawing until the firm
// lands on its target grade.
func (g *eventGen) generic(firms []*firm) {
	for _, f := range firms {
		if f.planted {
			continue
		}
		for try := 0; ; try++ {
			if try == 200 {
				panic(fmt.Sprintf("no events give %s grade %c", f.name, f.target))
			}
			es := g.recipe(f, f.target)
			if _, got := g.grade(f, es); got == f.target {
				g.commit(es...)
				break
			}
		}
		// Some firms had a problem they have since repaired; the event stays in the
		// history but no longer counts.
		if f.status == credit.StatusActive && g.rng.Float64() < 0.07 {
			g.commit(g.repaired(f))
		}
	}
}

// repaired builds a negative event that was repaired before the anchor.
func (g *eventGen) repaired(f *firm) *event {
	typ := g.pick([]string{"abnormal_operation", "abnormal_operation", "penalty_general", "tax_arrears",
		"overdue_payment", "social_insurance_arrears", "utility_arrears"})
	minDelay := 10
	if typ == "penalty_general" {
		minDelay = 92 // a general penalty is public for at least three months
	}
	age := minDelay + 20 + g.rng.IntN(300-minDelay)
	e := g.random(f, typ, age, age)
	delay := minDelay + g.rng.IntN(age-minDelay-4)
	e.repairedAt = e.at.AddDate(0, 0, delay)
	city := heilongjiang.City(f.region)
	switch typ {
	case "abnormal_operation":
		e.repairBy = heilongjiang.Authority(f.region, "市场监督管理局")
		e.repairReason = "已补报年度报告并公示，申请移出经营异常名录，经审核准予移出"
	case "tax_arrears":
		e.repairBy = "国家税务总局" + heilongjiang.Authority(f.region, "税务局")
		e.repairReason = "已足额缴纳欠缴税款及滞纳金，纳税信用修复"
	case "social_insurance_arrears":
		e.repairBy = heilongjiang.Authority(f.region, "人力资源和社会保障局")
		e.repairReason = "已补缴全部欠缴社会保险费及滞纳金"
	default:
		e.repairBy = "黑龙江省发展和改革委员会"
		if g.rng.IntN(2) == 0 && city != "" {
			e.repairBy = heilongjiang.Authority(f.region, "发展和改革委员会")
		}
		e.repairReason = "已履行相关义务并完成整改，提交信用修复申请及信用承诺书，经核查符合修复条件，准予修复"
	}
	return e
}

// assignIDs numbers the events by date in the style of the provincial platform.
func (g *eventGen) assignIDs() {
	sort.SliceStable(g.events, func(i, j int) bool {
		a, b := g.events[i], g.events[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		if a.f.idx != b.f.idx {
			return a.f.idx < b.f.idx
		}
		return a.typ.Name < b.typ.Name
	})
	seq := map[int]int{}
	for _, e := range g.events {
		y := e.at.Year()
		if seq[y] == 0 {
			seq[y] = 100 + g.rng.IntN(400)
		}
		seq[y] += 1 + g.rng.IntN(37)
		e.id = fmt.Sprintf("HLJ-%d-%06d", y, seq[y])
	}
}

func source(typ string, f *firm) string {
	switch typ {
	case "dishonest_judgment_debtor", "judgment_debtor", "consumption_restriction":
		return "中国执行信息公开网"
	case "major_tax_violation", "tax_arrears", "a_level_taxpayer":
		return "国家税务总局" + heilongjiang.Authority(f.region, "税务局")
	case "bankruptcy":
		return "全国企业破产重整案件信息网"
	case "license_revoked", "abnormal_operation", "equity_freeze":
		return "国家企业信用信息公示系统"
	case "social_insurance_arrears":
		return heilongjiang.Authority(f.region, "人力资源和社会保障局")
	case "contract_abiding":
		return "黑龙江省市场监督管理局"
	case "honor":
		if f.hasTag(credit.TagSpecialized) {
			return "黑龙江省工业和信息化厅"
		}
	}
	return "信用黑龙江"
}

// wan formats an amount in 万元 (10,000 CNY).
func wan(x float64) string {
	return strconv.FormatFloat(math.Round(x/1e3)/10, 'f', -1, 64)
}

func (g *eventGen) describe(e *event) string {
	f := e.f
	city := func(body string) string { return heilongjiang.Authority(f.region, body) }
	court := heilongjiang.Court(f.region)
	w := wan(e.amount)
	switch e.typ.Name {
	case "serious_dishonesty_list":
		return g.pick([]string{"拒不履行行政处罚决定且情节严重，被列入严重失信主体名单",
			"因恶意拖欠农民工工资被列入严重失信主体名单"})
	case "dishonest_judgment_debtor":
		return "有履行能力而拒不履行生效法律文书确定的义务，被" + court + "纳入失信被执行人名单，执行标的" + w + "万元"
	case "major_tax_violation":
		return "虚开增值税专用发票，被认定为重大税收违法失信主体，涉及税款" + w + "万元"
	case "bankruptcy":
		return "经" + court + "裁定受理破产清算申请，申报债权总额" + w + "万元"
	case "license_revoked":
		return "成立后无正当理由超过六个月未开业，被" + city("市场监督管理局") + "吊销营业执照"
	case "consumption_restriction":
		return "未按执行通知履行给付义务，公司及法定代表人被" + court + "采取限制消费措施，执行标的" + w + "万元"
	case "penalty_serious":
		return g.pick([]string{
			"发生一起生产安全责任事故，被" + city("应急管理局") + "处以罚款" + w + "万元",
			"超标排放水污染物且拒不改正，被" + city("生态环境局") + "按日连续处罚，罚款" + w + "万元",
			"未依法取得许可擅自扩大生产规模，被" + city("市场监督管理局") + "处以罚款" + w + "万元并责令停产整改",
		})
	case "tax_arrears":
		return "欠缴增值税及附加税费共计" + w + "万元，被列入欠税公告"
	case "equity_freeze":
		return "股东所持公司" + w + "万元股权被" + court + "冻结"
	case "abnormal_operation":
		return g.pick([]string{
			"未依照《企业信息公示暂行条例》规定的期限公示年度报告，被列入经营异常名录",
			"通过登记的住所或者经营场所无法联系，被列入经营异常名录",
		})
	case "judgment_debtor":
		return "因" + g.pick([]string{"买卖合同", "借款合同", "建设工程施工合同", "运输合同", "租赁合同"}) +
			"纠纷被" + court + "立案执行，执行标的" + w + "万元"
	case "penalty_general":
		if strings.HasPrefix(f.industry, "G") {
			return "货运车辆超限超载运输，被" + city("交通运输综合行政执法支队") + "处以罚款" + w + "万元"
		}
		return g.pick([]string{
			"危险废物贮存场所不符合规范要求，被" + city("生态环境局") + "处以罚款" + w + "万元",
			"未按规定对特种设备进行定期检验，被" + city("市场监督管理局") + "处以罚款" + w + "万元",
			"抽检产品质量不合格，被" + city("市场监督管理局") + "没收违法所得并处罚款" + w + "万元",
		})
	case "social_insurance_arrears":
		return "欠缴职工社会保险费" + w + "万元，经催缴逾期仍未缴纳"
	case "overdue_payment":
		return "拖欠中小企业货款" + w + "万元逾期未付，经投诉核实"
	case "utility_arrears":
		return g.pick([]string{"拖欠电费", "拖欠供暖费", "拖欠水费"}) + w + "万元，逾期三个月以上未缴"
	case "penalty_minor":
		if e.amount == 0 {
			return "未按规定在经营场所显著位置公示营业执照，被" + city("市场监督管理局") + "责令改正并予以警告"
		}
		return "消防设施未保持完好有效，被" + city("消防救援支队") + "处以罚款" + w + "万元"
	case "honor":
		if f.hasTag(credit.TagSpecialized) {
			return "被认定为黑龙江省专精特新中小企业"
		}
		return g.pick([]string{"获评" + city("诚信示范企业"), "获评黑龙江省安全生产标准化二级企业",
			"获评黑龙江省企业技术中心", "获评黑龙江省绿色工厂"})
	case "a_level_taxpayer":
		return "被评为2025年度纳税信用A级纳税人"
	case "contract_abiding":
		return "被认定为黑龙江省“守合同重信用”企业"
	case "commitment_kept":
		return "按期履行信用承诺，承诺事项经核查办结"
	}
	panic("no description for " + e.typ.Name)
}
