package ui

import "net/http"

// The console speaks Chinese by default and English on request (?lang=en, remembered
// in a cookie). Every label of every page comes from messages; TestMessages checks
// that each key a template or handler uses exists in both languages.

// Languages the console speaks; the first is the default.
var languages = []string{"zh", "en"}

const langCookie = "chainrisk_lang"

// messages maps a key to its Chinese and English text.
var messages = map[string][2]string{
	"app.name":       {"供应链信用风险监测", "Supply-chain credit risk monitor"},
	"nav.leaders":    {"龙头企业", "Leaders"},
	"nav.skip":       {"跳到正文", "Skip to content"},
	"nav.lang":       {"English", "中文"},
	"nav.lang.label": {"切换语言", "Switch language"},
	"nav.signedin":   {"已登录：", "Signed in as "},
	"signin.title":   {"登录", "Sign in"},
	"signin.token":   {"API 令牌", "API token"},
	"signin.help":    {"输入管理员发放的 API 令牌（crk_ 开头）。", "Enter the API token your administrator gave you (starts with crk_)."},
	"signin.submit":  {"登录", "Sign in"},
	"signin.bad":     {"令牌错误、已吊销或格式不对。", "Wrong, revoked or malformed token."},
	"signin.expired": {"会话已过期，请重新登录。", "Your session expired; please sign in again."},
	"signin.invalid": {"会话无效或已失效，请重新登录。", "Your session is invalid or no longer valid; please sign in again."},
	"signin.out":     {"您已退出登录。", "You have signed out."},
	"signout":        {"退出", "Sign out"},
	"error.notfound": {"未找到", "Not found"},
	"error.notfound.body": {"您要找的页面或企业不存在，或不在您可查看的范围内。",
		"The page or firm you asked for does not exist or is not within what you may see."},
	"error.bad":              {"请求有误", "Bad request"},
	"error.forbidden":        {"无权访问", "Forbidden"},
	"error.forbidden.body":   {"您的令牌无权查看此页面。", "Your token may not see this page."},
	"error.csrf":             {"表单已失效（CSRF 校验失败），请返回并重试。", "The form expired (CSRF check failed); go back and try again."},
	"error.unavailable":      {"暂时不可用", "Temporarily unavailable"},
	"error.unavailable.body": {"数据尚未就绪或存储不可用，请稍后重试。", "The data is not ready yet or the store is unavailable; retry shortly."},
	"error.internal":         {"内部错误", "Internal error"},
	"error.home":             {"返回首页", "Back to the start page"},
	"leaders.title":          {"龙头企业链风险排名", "Leaders ranked by chain risk"},
	"leaders.trend":          {"链风险趋势（前 10 家）", "Chain risk trend (top 10)"},
	"leaders.change":         {"较上次", "Change"},
	"leaders.none":           {"暂无龙头企业。", "No leaders yet."},
	"col.rank":               {"排名", "Rank"},
	"col.name":               {"企业", "Firm"},
	"col.uscc":               {"统一社会信用代码", "USCC"},
	"col.grade":              {"等级", "Grade"},
	"col.score":              {"信用分", "Score"},
	"col.chain_risk":         {"链风险", "Chain risk"},
	"col.supply_at_risk":     {"供应风险", "Supply at risk"},
	"col.demand_at_risk":     {"需求风险", "Demand at risk"},
	"col.members":            {"成员数", "Members"},
	"col.single_sources":     {"单一来源", "Single sources"},
	"col.tier":               {"层级", "Tier"},
	"col.p":                  {"违约概率 p", "Default probability p"},
	"col.d":                  {"传导后风险 d", "Distress d"},
	"col.contribution":       {"贡献度", "Contribution"},
	"col.path":               {"路径", "Path"},
	"col.suppliers":          {"供应商数", "Suppliers"},
	"col.hhi":                {"集中度 HHI", "HHI"},
	"col.purchase_share":     {"采购占比", "Purchase share"},
	"col.substitutability":   {"可替代性", "Substitutability"},
	"col.customer":           {"客户", "Customer"},
	"chain.title":            {"供应链", "Supply chain"},
	"chain.graph":            {"供应链图谱", "Chain graph"},
	"chain.graph.help": {"列为层级（左为上游供应商，右为下游客户），颜色为信用等级，大小为风险贡献度，红色粗线为单一来源。点击企业查看详情。",
		"Columns are tiers (upstream suppliers left, customers right), colour is the grade, size the contribution, thick red links are single sources. Click a firm to open it."},
	"chain.capped":        {"图谱仅显示贡献度最高的 %d 家（共 %d 家）；完整名单见下方成员表。", "Showing the %d highest contributors of %d members; the members table below lists them all."},
	"chain.download":      {"下载", "Download"},
	"chain.dot":           {"DOT 图", "DOT graph"},
	"chain.json":          {"JSON 图", "JSON graph"},
	"chain.top":           {"主要风险贡献者", "Top contributors"},
	"chain.concentration": {"采购集中度与单一来源", "Concentration and single sources"},
	"chain.members":       {"链上成员", "Members"},
	"chain.filter":        {"筛选", "Filter"},
	"chain.all":           {"全部", "All"},
	"chain.apply":         {"应用", "Apply"},
	"chain.none":          {"没有符合条件的成员。", "No member matches."},
	"chain.single":        {"单一来源", "single source"},
	"page.prev":           {"上一页", "Previous"},
	"page.next":           {"下一页", "Next"},
	"page.of":             {"第 %d / %d 页", "Page %d of %d"},
	"page.nav":            {"分页", "Pagination"},
	"firm.title":          {"企业", "Firm"},
	"firm.explanation":    {"信用分构成", "Score explanation"},
	"firm.base":           {"基础分", "Base"},
	"firm.negative":       {"扣分", "Deductions"},
	"firm.positive":       {"加分", "Additions"},
	"firm.history":        {"信用分历史", "Score history"},
	"firm.events":         {"有效风险事件与信用修复", "Active events and repair guidance"},
	"firm.noevents":       {"无有效风险事件。", "No active events."},
	"firm.related":        {"关联方", "Related parties"},
	"firm.norelated":      {"无关联方记录。", "No related parties on record."},
	"firm.chains":         {"所在供应链", "Chains"},
	"firm.nochains":       {"不在任何龙头企业的供应链上。", "Not in any leader's chain."},
	"firm.status":         {"状态", "Status"},
	"firm.region":         {"地区", "Region"},
	"firm.industry":       {"行业", "Industry"},
	"col.kind":            {"类别", "Kind"},
	"col.event":           {"事件", "Event"},
	"col.severity":        {"严重程度", "Severity"},
	"col.points":          {"分值", "Points"},
	"col.decay":           {"衰减", "Decay"},
	"col.effective":       {"实际影响", "Effective"},
	"col.occurred":        {"发生日期", "Occurred"},
	"col.description":     {"说明", "Description"},
	"col.repair":          {"修复指引", "Repair guidance"},
	"col.authority":       {"受理机关", "Authority"},
	"col.eligible":        {"可申请修复", "Eligible from"},
	"repair.no":           {"不可修复", "Not repairable"},
	"repair.now":          {"现在即可申请", "eligible now"},
	"grade.unknown":       {"未评级", "unrated"},
}

// text returns the message of key in lang, or the key itself when it has none (which
// TestMessages rules out).
func text(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}

// language picks the request's language: ?lang= first, then the cookie, then Chinese.
func language(r *http.Request) string {
	for _, l := range languages {
		if r.URL.Query().Get("lang") == l {
			return l
		}
	}
	if c, err := r.Cookie(langCookie); err == nil {
		for _, l := range languages {
			if c.Value == l {
				return l
			}
		}
	}
	return languages[0]
}
