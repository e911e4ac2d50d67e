package main

// message is one label of the CLI in Chinese and in English.
type message struct{ zh, en string }

// messages is the CLI's one table of labels (--lang zh|en): column headings, section
// titles and the legends that explain the symbols of chain, stress and esri.
var messages = map[string]message{
	// Columns.
	"col.uscc":         {"代码", "USCC"},
	"col.name":         {"名称", "NAME"},
	"col.tier":         {"层级", "TIER"},
	"col.grade":        {"评级", "GRADE"},
	"col.contribution": {"贡献", "CONTRIBUTION"},
	"col.path":         {"传导路径", "PATH"},
	"col.rank":         {"排名", "RANK"},
	"col.chain_risk":   {"链风险", "CHAIN RISK"},
	"col.supply":       {"供应风险", "SUPPLY AT RISK"},
	"col.demand":       {"需求风险", "DEMAND AT RISK"},
	"col.members":      {"成员数", "MEMBERS"},
	"col.single":       {"单一来源", "SINGLE SOURCES"},
	"col.id":           {"编号", "ID"},
	"col.verdict":      {"结论", "VERDICT"},
	"col.scan":         {"扫描", "SCAN"},
	"col.checked_at":   {"检查时间", "CHECKED AT"},
	"col.firm":         {"企业", "FIRM"},
	"col.esri":         {"ESRI", "ESRI"},
	"col.esri_d":       {"下游 ESRI", "ESRI DOWN"},
	"col.esri_u":       {"上游 ESRI", "ESRI UP"},
	"col.converged":    {"收敛", "CONVERGED"},
	"col.subscription": {"订阅", "SUBSCRIPTION"},
	"col.subscriber":   {"订阅方", "SUBSCRIBER"},
	"col.scope":        {"范围", "SCOPE"},
	"col.severity":     {"最低级别", "MIN SEVERITY"},
	"col.channels":     {"渠道", "CHANNELS"},
	"col.digest":       {"汇总", "DIGEST"},
	"col.source":       {"来源", "SOURCE"},
	"col.state":        {"状态", "STATE"},
	"col.rule":         {"规则", "RULE"},
	"col.status":       {"告警状态", "STATUS"},
	"col.attempts":     {"尝试次数", "ATTEMPTS"},
	"col.created":      {"创建时间", "CREATED"},
	"col.error":        {"最近错误", "LAST ERROR"},
	"col.channel":      {"渠道", "CHANNEL"},
	"col.h":            {"H", "H"},
	"col.value":        {"价值", "VALUE"},

	// chain.
	"chain.leader":   {"龙头 %s %s  评级 %s", "leader %s %s  grade %s"},
	"chain.figures":  {"链风险 %s  供应风险 %s  需求风险 %s", "chain_risk %s  supply_at_risk %s  demand_at_risk %s"},
	"chain.supplied": {"按龙头自报的供应商名单（%v 条关系）而非登记数据计算（chain %v -o dot 以虚线画出）", "taken on the leader's own supplier list (%v relations) over the registry's (chain %v -o dot draws them dashed)"},
	"chain.top":      {"主要风险来源", "TOP CONTRIBUTORS"},
	"chain.members":  {"链上成员", "MEMBERS"},
	"chain.legend": {
		"说明：P = 单体违约概率（只看企业自身的信用事件）；D = 网络困境度（含上下游的风险传染）；" +
			"层级 0 为龙头，1、2… 为第几级上游供应商，−1、−2… 为下游客户；贡献 = P × 该企业到龙头各条传导路径的权重；" +
			"链风险 = 龙头的 D；供应风险 = 各供应商 D 按龙头采购占比加权之和；需求风险 = 各客户 D 按龙头销售占比加权之和。",
		"Legend: P = standalone default probability (the firm's own events only); D = network distress, contagion " +
			"from suppliers and customers included; tier 0 = the leader, 1, 2… = supplier tiers upstream, −1, −2… = " +
			"customers downstream; CONTRIBUTION = P × the weight of its walks to the leader; chain_risk = the leader's D; " +
			"supply_at_risk = its suppliers' D weighted by its purchase shares; demand_at_risk = its customers' D " +
			"weighted by its sales shares."},

	// stress.
	"stress.summary": {"R %s  违约企业 %s  迭代 %s", "R %s  defaults %s  iterations %s"},
	"stress.r":       {"R", "R"},
	"stress.def":     {"违约企业", "defaults"},
	"stress.iter":    {"迭代", "iterations"},
	"stress.nodes":   {"节点", "nodes"},
	"stress.shocked": {"受冲击", "shocked"},
	"stress.node":    {"节点", "NODE"},
	"stress.legend": {
		"说明：H = 企业的困境度（0 未受影响，1 违约）；R = 冲击在系统中造成的损失，即按企业价值加权的 H 增量之和" +
			"（不含初始冲击本身）；违约企业 = H 达到 1 的企业数；迭代 = 传染的轮数。",
		"Legend: H = a firm's distress (0 unharmed, 1 defaulted); R = the loss the shock caused in the system: the " +
			"value-weighted rise of H, the initial shock itself excluded; defaults = firms whose H reached 1; " +
			"iterations = steps of the cascade."},

	// esri.
	"esri.header": {"龙头 %s %s  ESRI（%s，扫描 %s，计算于 %s）", "leader %s %s  ESRI (%s, scan %s, computed %s)"},
	"esri.legend": {
		"说明：ESRI = 该企业停产时子图（链成员及与其交易的企业）产出损失的比例；下游/上游 = 其客户侧/供应商侧部分；" +
			"未收敛的企业其数值为下限。",
		"Legend: ESRI = the share of the subgraph's output (chain members and the firms trading with them) lost when " +
			"the firm fails; ESRI DOWN / ESRI UP = the parts through its customers / its suppliers; a firm not " +
			"converged has lower bounds."},

	// enterprise.
	"ent.uscc":          {"统一社会信用代码", "uscc"},
	"ent.name":          {"名称", "name"},
	"ent.status":        {"状态", "status"},
	"ent.region":        {"地区", "region"},
	"ent.industry":      {"行业", "industry"},
	"ent.score":         {"信用分", "score"},
	"ent.grade":         {"评级", "grade"},
	"ent.p":             {"P（单体违约概率）", "p (standalone default probability)"},
	"ent.d":             {"D（网络困境度）", "d (network distress)"},
	"ent.model_version": {"模型版本", "model_version"},
	"ent.scan_id":       {"扫描", "scan_id"},
	"ent.scored_at":     {"评分时间", "scored_at"},
	"ent.why":           {"评分依据（影响最大的在前）：", "why (worst first):"},
	"ent.rule":          {"规则", "rule"},
	"ent.points":        {"%s 分 × 衰减 %s = %s", "%s points × %s = %s"},
	"ent.history":       {"评分历史（最新的在前）：", "history (newest first):"},
	"ent.more":          {"  … 另有 %d 条（-o json 全部列出）", "  … %d more (--output json lists them)"},

	// leaders, checks.
	"leaders.total":     {"共 %s 家龙头企业，扫描 %s", "%s leaders, scan %s"},
	"checks.none":       {"没有检查记录", "no checks"},
	"check.header":      {"检查 %d：%s %s：%s", "check %d of %s %s: %s"},
	"check.not_found":   {"（库中没有该企业）", "(not in the store)"},
	"check.summary":     {"评级 %s，状态 %s；已知出资比例 %s；扫描 %d", "grade %s, status %s; known share of its capital %s; scan %d"},
	"check.reasons":     {"理由：", "reasons:"},
	"check.controller":  {"实际控制人：%s %s 评级 %s，经 %s%s", "actual controller: %s %s grade %s, via %s%s"},
	"check.cyclic":      {"（多数持股形成环：环外没有控制人）", " (a cycle of majority stakes: no controller outside it)"},
	"check.owner":       {"受益所有人", "beneficial owner"},
	"check.owner_fb":    {"受益所有人（兜底：法定代表人）", "beneficial owner (fallback: the legal representative)"},
	"check.holders":     {"股东（按穿透持股比例）", "shareholders (by penetrated share)"},
	"check.investees":   {"对外投资", "investees"},
	"check.parties":     {"  代码\t名称\t类型\t评级\t直接\t穿透", "  KEY\tNAME\tKIND\tGRADE\tDIRECT\tPENETRATED"},
	"check.checked_at":  {"检查于 %s", "checked at %s"},
	"subs.none":         {"没有订阅", "no subscriptions"},
	"subs.deleted":      {"订阅 %s 已删除", "subscription %s deleted"},
	"subs.created":      {"订阅 %s 已创建", "subscription %s created"},
	"deliveries.none":   {"没有通知", "no deliveries"},
	"deliveries.legend": {"状态：pending 待发送，delivered 已送达，dead 多次失败后放弃", "state: pending (to send), delivered, dead (given up after alerts.max_attempts)"},
}
