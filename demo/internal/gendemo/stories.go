package main

import "github.com/chainrisk/chainrisk/credit"

// cast holds the planted firms that README.md tells the stories of.
type cast struct {
	soy, dairy, petro *firm // the leaders

	collector  *firm // tier 1 of soy, its single-source soybean supplier
	contractor *firm // tier 2 of soy: the distressed contract-farming company
	logistics  *firm // tier 1 of both soy and dairy
	carton     *firm // tier 1 of soy, in a cycle with logistics
	paper      *firm // tier 2 of both soy and dairy
	hydraulic  *firm // specialized SME whose penalty was repaired
	ranch      *firm // tier 1 of dairy, its single-source milk supplier
	aseptic    *firm // tier 1 of dairy, single-sourced on paper
	feed       *firm // tier 2 of dairy, buys soybean meal from the soy leader
	crude      *firm // tier 1 of petro, its single-source crude supplier
	solvent    *firm // tier 1 of soy, customer of petro
}

// buildChains lays out the three leading firms and their chains. The stages run in
// this order because each draws from the builder's random source.
func (b *builder) buildChains() *cast {
	k := b.leaders()
	soy1 := b.soyChain(k)
	dairy1 := b.dairyChain(k, soy1[len(soy1)-1])
	petro1 := b.petroChain(k)
	for _, tier1 := range [][]*firm{soy1, dairy1, petro1} {
		for _, f := range tier1 {
			b.expand(f, 2, 4)
		}
	}
	for _, f := range []*firm{k.contractor, k.paper, k.hydraulic, k.feed} {
		b.expand(f, 2, 3)
	}
	b.customers(k)
	return k
}

// leaders makes the three leading firms.
func (b *builder) leaders() *cast {
	k := &cast{}
	leader := []string{credit.TagLeading, credit.TagListed}
	k.soy = b.newFirm(roleByID("soy_leader"), 0, firmSpec{region: "230109",
		name: "黑龙江松花江大豆产业集团股份有限公司", tags: leader, rev: 1.28e10, inside: 0.3})
	k.dairy = b.newFirm(roleByID("dairy_leader"), 0, firmSpec{region: "230200",
		name: "齐齐哈尔鹤乡乳业集团股份有限公司", tags: leader, rev: 8.6e9, inside: 0.3})
	k.petro = b.newFirm(roleByID("refinery"), 0, firmSpec{region: "230600",
		name: "大庆三江石油化工集团有限公司", tags: []string{credit.TagLeading}, rev: 2.35e10, inside: 0.3})
	for _, l := range []*firm{k.soy, k.dairy, k.petro} {
		l.planted, l.expanded = true, true
	}
	return k
}

// soyChain lays out the soybean leader's tier 1 and the planted firms behind it, and
// returns its tier 1 with the plastic-packaging maker last (the dairy chain shares it).
// The collector buys 70 % of its soybeans from one contract-farming company, and the
// leader half of its purchases from the collector.
func (b *builder) soyChain(k *cast) []*firm {
	k.collector = b.newFirm(roleByID("soy_collect"), 1, firmSpec{region: "231100",
		name: "黑河北疆金穗大豆收储有限公司", tags: []string{}, inside: 0.9})
	k.contractor = b.newFirm(roleByID("soy_farm"), 2, firmSpec{region: "231100",
		name: "黑河兴安丰泽农业发展有限公司", tags: []string{}, inside: 0.85})
	b.link(k.collector, k.soy, linkSpec{ps: 0.5, subst: 0.2, product: "大豆", from: "2021-09-01"})
	b.link(k.contractor, k.collector, linkSpec{ps: 0.7, subst: 0.1, product: "订单大豆", from: "2022-09-01"})
	k.logistics = b.named("logistics", 1, "230104", "哈尔滨三江通达物流股份有限公司", credit.TagListed)
	k.carton = b.named("packaging_carton", 1, "230111", "哈尔滨松花江恒信包装制品有限公司")
	b.link(k.logistics, k.soy, linkSpec{})
	b.link(k.carton, k.soy, linkSpec{})
	b.link(k.carton, k.logistics, linkSpec{product: "瓦楞纸箱"})
	b.link(k.logistics, k.carton, linkSpec{product: "道路运输服务"})
	k.paper = b.named("paper", 2, "230800", "佳木斯三江纸业有限公司")
	b.link(k.paper, k.carton, linkSpec{})
	equipment := b.newFirm(roleByID("oilmill_equipment"), 1, firmSpec{})
	b.link(equipment, k.soy, linkSpec{})
	k.hydraulic = b.named("hydraulic", 2, "230108", "哈尔滨兴安精工液压科技有限公司",
		credit.TagSpecialized, credit.TagLittleGiant)
	b.link(k.hydraulic, equipment, linkSpec{})
	k.solvent = b.newFirm(roleByID("chem_raw"), 1, firmSpec{})
	b.link(k.solvent, k.soy, linkSpec{})
	soy1 := []*firm{k.collector, k.logistics, k.carton, equipment, k.solvent}
	for _, id := range []string{"soy_collect", "soy_farm", "grain_storage", "packaging_plastic"} {
		f := b.newFirm(roleByID(id), 1, firmSpec{})
		b.link(f, k.soy, linkSpec{})
		soy1 = append(soy1, f)
	}
	return soy1
}

// dairyChain lays out the dairy leader's tier 1 and returns it: its own ranch delivers
// 52 % of its purchases; the aseptic-packaging maker depends on the paper mill that
// also serves the soybean chain's carton maker.
func (b *builder) dairyChain(k *cast, plastic *firm) []*firm {
	k.ranch = b.named("ranch", 1, "230200", "齐齐哈尔鹤乡现代牧业有限公司")
	k.ranch.inside = 0.95
	b.link(k.ranch, k.dairy, linkSpec{ps: 0.52, subst: 0.18, product: "生鲜乳", from: "2020-01-01"})
	k.aseptic = b.named("aseptic_pack", 1, "230200", "齐齐哈尔北疆包装科技有限公司",
		credit.TagSpecialized, credit.TagLittleGiant)
	b.link(k.aseptic, k.dairy, linkSpec{})
	b.link(k.paper, k.aseptic, linkSpec{ps: 0.6, subst: 0.15, product: "液体包装纸板", from: "2023-01-01"})
	b.link(k.logistics, k.dairy, linkSpec{})
	b.link(plastic, k.dairy, linkSpec{})
	k.feed = b.newFirm(roleByID("feed"), 2, firmSpec{})
	b.link(k.feed, k.ranch, linkSpec{})
	b.link(k.soy, k.feed, linkSpec{})
	dairy1 := []*firm{k.ranch, k.aseptic}
	for _, id := range []string{"ranch", "ranch", "cold_logistics", "dairy_equipment", "feed_additive"} {
		f := b.newFirm(roleByID(id), 1, firmSpec{})
		b.link(f, k.dairy, linkSpec{})
		dairy1 = append(dairy1, f)
	}
	return dairy1
}

// petroChain lays out the refinery's tier 1 and returns it: 55 % of the refinery's
// purchases are crude from one field.
func (b *builder) petroChain(k *cast) []*firm {
	k.crude = b.named("crude", 1, "230600", "大庆三江油气开发有限公司")
	b.link(k.crude, k.petro, linkSpec{ps: 0.55, subst: 0.15, product: "原油", from: "2019-01-01"})
	petro1 := []*firm{k.crude}
	for _, id := range []string{"crude", "catalyst", "pump", "valve", "compressor", "instrument",
		"hazmat_logistics", "oil_storage", "refining_equipment"} {
		f := b.newFirm(roleByID(id), 1, firmSpec{})
		b.link(f, k.petro, linkSpec{})
		petro1 = append(petro1, f)
	}
	return petro1
}

// customers adds the leaders' customers (tier −1). The supermarket chain buys from
// two leaders; the refinery sells naphtha to the soybean leader's solvent supplier.
func (b *builder) customers(k *cast) {
	market := b.newFirm(roleByID("supermarket"), -1, firmSpec{})
	for _, id := range []string{"grain_distributor", "grain_distributor", "food_processor", "exporter"} {
		b.link(k.soy, b.newFirm(roleByID(id), -1, firmSpec{}), linkSpec{})
	}
	b.link(k.soy, market, linkSpec{product: "大豆油"})
	for _, id := range []string{"dairy_distributor", "dairy_distributor", "city_delivery"} {
		b.link(k.dairy, b.newFirm(roleByID(id), -1, firmSpec{}), linkSpec{})
	}
	b.link(k.dairy, market, linkSpec{product: "液态奶"})
	for _, id := range []string{"fuel", "fuel", "resin", "rubber"} {
		b.link(k.petro, b.newFirm(roleByID(id), -1, firmSpec{}), linkSpec{})
	}
	b.link(k.petro, k.solvent, linkSpec{product: "石脑油"})
}

// plantEvents writes the events of the stories.
func (g *eventGen) plantEvents(k *cast) {
	k.soy.target, k.dairy.target, k.petro.target = 'A', 'A', 'B'
	g.add(k.soy, "honor", "2025-12-18", 0, "获评农业产业化国家重点龙头企业")
	g.add(k.soy, "a_level_taxpayer", "2026-04-12", 0, "")
	g.add(k.soy, "contract_abiding", "2026-06-20", 0, "")

	g.add(k.dairy, "penalty_minor", "2026-02-09", 5000, "部分批次产品标签标注不规范，被齐齐哈尔市市场监督管理局责令改正并处罚款0.5万元")
	g.add(k.dairy, "a_level_taxpayer", "2026-04-12", 0, "")
	g.add(k.dairy, "honor", "2026-05-26", 0, "获评黑龙江省绿色工厂")
	g.add(k.dairy, "contract_abiding", "2026-06-20", 0, "")

	g.add(k.petro, "a_level_taxpayer", "2026-04-12", 0, "")
	g.add(k.petro, "penalty_general", "2026-05-20", 450000, "催化裂化装置再生烟气颗粒物超标排放，被大庆市生态环境局处以罚款45万元")

	// The contract-farming company slides from a lawsuit to the list of dishonest
	// judgment debtors; its collector then falls behind with its own payments.
	c := k.contractor
	c.planted, c.target = true, 'D'
	g.add(c, "judgment_debtor", "2026-03-18", 12_600_000, "因种子、化肥买卖合同纠纷被黑河市中级人民法院立案执行，执行标的1260万元")
	g.add(c, "tax_arrears", "2026-06-15", 23_100_000, "欠缴增值税、企业所得税及附加税费共计2310万元，被列入欠税公告")
	g.add(c, "equity_freeze", "2026-07-22", 30_000_000, "股东所持公司3000万元股权被黑河市中级人民法院冻结，冻结期限三年")
	g.add(c, "dishonest_judgment_debtor", "2026-08-26", 86_500_000, "有履行能力而拒不履行生效法律文书确定的给付义务，被黑河市中级人民法院纳入失信被执行人名单，执行标的8650万元")
	g.add(c, "consumption_restriction", "2026-08-26", 86_500_000, "未按执行通知履行给付义务，公司及法定代表人被黑河市中级人民法院采取限制高消费措施")
	g.add(c, "overdue_payment", "2026-10-09", 43_000_000, "拖欠合作农户大豆收购款及农资货款共计4300万元逾期未付，经投诉核实")

	k.collector.planted, k.collector.target = true, 'C'
	g.add(k.collector, "a_level_taxpayer", "2026-04-12", 0, "")
	g.add(k.collector, "overdue_payment", "2026-09-28", 8_600_000, "上游订单大豆交付违约后资金周转困难，拖欠仓储及运输服务款860万元逾期未付")
	g.add(k.collector, "judgment_debtor", "2026-10-30", 11_200_000, "因仓储保管合同纠纷被黑河市中级人民法院立案执行，执行标的1120万元")

	// The hydraulics maker's environmental penalty was repaired after it fixed the cause.
	h := k.hydraulic
	h.planted, h.target = true, 'A'
	g.add(h, "honor", "2026-01-08", 0, "被认定为国家级专精特新“小巨人”企业")
	e := g.add(h, "penalty_general", "2026-03-12", 50_000, "危险废物贮存场所不符合规范要求，被哈尔滨市生态环境局处以罚款5万元")
	e.repair("2026-06-25", "黑龙江省发展和改革委员会", "已完成整改并缴清罚款，最短公示期满三个月，提交信用修复申请及信用承诺书，经核查符合修复条件，准予修复")
	g.add(h, "a_level_taxpayer", "2026-04-12", 0, "")
	g.add(h, "commitment_kept", "2026-07-15", 0, "")
}
