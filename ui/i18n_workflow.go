package ui

import (
	"strings"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/internal/onboarding"
)

// The labels of the alerts, stress-test and onboarding pages, added to messages.
// Keys under enumPrefixes are looked up by value (alerts.status.<status>, …):
// TestEnumMessages checks that every value has one.
func init() {
	for k, m := range workflowMessages {
		messages[k] = m
	}
}

// enumPrefixes start the message keys that templates build from a value.
var enumPrefixes = []string{"alerts.state.", "alerts.status.", "alerts.verdict.", "onboard.outcome."}

// enumKey reports whether key is looked up by value.
func enumKey(key string) bool {
	for _, p := range enumPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// enumValues are the values of each enum prefix, which must all have a message.
var enumValues = map[string][]string{
	"alerts.state.":    {"firing", "resolved"},
	"alerts.status.":   alerts.WorkflowStatuses,
	"alerts.verdict.":  alerts.Verdicts,
	"onboard.outcome.": {onboarding.Given, onboarding.Exact, onboarding.Unique, onboarding.Confirmed, onboarding.Confirm, onboarding.None, onboarding.Error},
}

var workflowMessages = map[string][2]string{
	"nav.alerts":     {"预警", "Alerts"},
	"nav.stress":     {"压力测试", "Stress test"},
	"nav.onboarding": {"供应商导入", "Supplier onboarding"},
	"error.conflict": {"操作未执行", "Not done"},
	"error.toolarge": {"表单过大（上传文件不超过 2 MiB）。", "The form is too large (an uploaded file may have up to 2 MiB)."},

	"alerts.title":                {"预警", "Alerts"},
	"alerts.alert":                {"预警", "Alert"},
	"alerts.state":                {"状态", "State"},
	"alerts.state.firing":         {"触发中", "firing"},
	"alerts.state.resolved":       {"已解除", "resolved"},
	"alerts.severity":             {"级别", "Severity"},
	"alerts.rule":                 {"规则", "Rule"},
	"alerts.leader":               {"龙头企业", "Leader"},
	"alerts.subject":              {"企业", "Firm"},
	"alerts.reasons":              {"原因", "Reasons"},
	"alerts.status":               {"处置状态", "Workflow status"},
	"alerts.status.open":          {"待处理", "open"},
	"alerts.status.investigating": {"调查中", "investigating"},
	"alerts.status.no_impact":     {"无影响", "no impact"},
	"alerts.status.confirmed":     {"已确认", "confirmed"},
	"alerts.status.closed":        {"已关闭", "closed"},
	"alerts.assignee":             {"负责人", "Assignee"},
	"alerts.updated":              {"更新时间", "Updated"},
	"alerts.started":              {"开始时间", "Started"},
	"alerts.actions":              {"操作", "Actions"},
	"alerts.ack":                  {"确认收到", "Acknowledge"},
	"alerts.acked":                {"已确认收到", "Acknowledged"},
	"alerts.notacked":             {"未确认", "Not acknowledged"},
	"alerts.ackstate":             {"确认", "Acknowledgement"},
	"alerts.comment":              {"备注", "Comment"},
	"alerts.manage":               {"处置与反馈", "Workflow and feedback"},
	"alerts.silenced":             {"已静默", "silenced"},
	"alerts.none":                 {"没有符合条件的预警。", "No alert matches."},
	"alerts.workflow":             {"处置流程", "Incident workflow"},
	"alerts.note":                 {"处置记录", "Note"},
	"alerts.notes":                {"处置记录", "Notes"},
	"alerts.save":                 {"保存", "Save"},
	"alerts.feedback":             {"反馈", "Feedback"},
	"alerts.verdict":              {"评价", "Verdict"},
	"alerts.verdict.useful":       {"有用", "useful"},
	"alerts.verdict.irrelevant":   {"无关", "irrelevant"},
	"alerts.verdict.wrong_entity": {"企业识别错误", "wrong entity"},
	"alerts.send":                 {"提交反馈", "Send feedback"},
	"alerts.when":                 {"时间", "When"},
	"alerts.by":                   {"记录人", "By"},
	"alerts.back":                 {"返回预警列表", "Back to the alerts"},

	"stress.title": {"压力测试", "Stress test"},
	"stress.help": {"选择假定违约的企业与冲击强度，按 DebtRank 计算风险在供应链网络中的传导：系统损失 R、违约企业数和受冲击最重的企业。",
		"Pick firms to fail and a shock size: DebtRank spreads the distress through the supply network and gives the systemic loss R, the defaults and the firms hit hardest."},
	"stress.members":    {"链上成员（勾选假定违约的企业）", "The chain's members (check the firms to fail)"},
	"stress.search":     {"按名称查找企业", "Find firms by name"},
	"stress.found":      {"查找结果（勾选假定违约的企业）", "Firms found (check the firms to fail)"},
	"stress.nofound":    {"未找到企业。", "No firm found."},
	"stress.firms":      {"统一社会信用代码", "USCCs"},
	"stress.firms.help": {"可直接输入多个代码，以空格、逗号或换行分隔。", "Type one or more codes, separated by spaces, commas or new lines."},
	"stress.psi":        {"冲击强度 ψ（0–1）", "Shock size ψ (0–1)"},
	"stress.psi.help":   {"留空为 1，即企业完全违约。", "Empty means 1: the firms fail outright."},
	"stress.pick":       {"选择假定违约的企业", "Firms to fail"},
	"stress.run":        {"运行压力测试", "Run the stress test"},
	"stress.result":     {"结果", "Result"},
	"stress.r":          {"系统损失 R", "Systemic loss R"},
	"stress.defaults":   {"违约企业数", "Defaults"},
	"stress.scope":      {"计算范围（企业数）", "Firms in scope"},
	"stress.top":        {"受冲击最重的企业", "Firms hit hardest"},
	"stress.h":          {"冲击后风险 h", "Distress h"},
	"stress.value":      {"经济权重", "Economic value"},
	"stress.shocked":    {"假定违约", "Failed"},
	"stress.high":       {"h ≥ 50%", "h ≥ 50%"},
	"stress.mid":        {"h 10%–50%", "h 10%–50%"},
	"stress.low":        {"h < 10%", "h < 10%"},
	"stress.nothit":     {"未受冲击", "Not hit"},
	"stress.graph.help": {"颜色为冲击后的风险 h（紫色为假定违约的企业），大小为风险贡献度。", "Colour is the distress h after the shock (purple: the firms failed), size the contribution."},

	"onboard.title": {"供应商导入", "Supplier onboarding"},
	"onboard.staff": {"此页面供龙头企业的租户令牌使用：上传企业自己的供应商清单，匹配企业名称后导入为该龙头企业自有的供应关系。管理员与分析师令牌请使用 chainriskctl import 导入登记数据。",
		"This page is for a leader's tenant token: it uploads the leader's own supplier list, matches the names and imports them as the leader's own relations. Admin and analyst tokens import registry data with chainriskctl import."},
	"onboard.help": {"上传 ERP 导出的供应商清单（CSV）。系统先匹配企业名称，您确认有歧义的行后一次性导入（全部成功或全部不导入）。",
		"Upload the supplier list your ERP exports (CSV). The names are matched first; you confirm the doubtful rows, then the list is imported as one batch (all or nothing)."},
	"onboard.file": {"供应商清单（CSV）", "Supplier list (CSV)"},
	"onboard.columns": {"列：name 和/或 uscc、purchase_share（必填）、sales_share、substitutability、amount、product、valid_from、valid_to、region。",
		"Columns: name and/or uscc, purchase_share (required), sales_share, substitutability, amount, product, valid_from, valid_to, region."},
	"onboard.encoding":    {"文件编码", "Encoding"},
	"onboard.match":       {"上传并匹配", "Upload and match"},
	"onboard.own":         {"本企业自有的供应关系", "Your leader's own relations"},
	"onboard.noown":       {"尚无自有供应关系。", "No relations of your own yet."},
	"onboard.truncated":   {"仅显示前 10000 条。", "Showing the first 10,000."},
	"onboard.sales_share": {"销售占比", "Sales share"},
	"onboard.product":     {"产品", "Product"},
	"onboard.estimated":   {"估算", "estimated"},
	"onboard.withdraw":    {"撤回", "Withdraw"},
	"onboard.withdrawn":   {"已撤回供应商 %s 的供应关系，随后将进行增量扫描。", "Withdrew the relation of supplier %s; an incremental scan follows."},
	"onboard.review":      {"匹配结果", "Matches"},
	"onboard.counts": {"共 %d 家供应商：按代码 %d、精确 %d、唯一 %d、已选择 %d；未导入 %d（待确认 %d、未匹配 %d、有误 %d）。",
		"%d suppliers: %d by USCC, %d exact, %d unique, %d chosen; left over %d (%d to confirm, %d unmatched, %d refused)."},
	"onboard.line":              {"行号", "Line"},
	"onboard.outcome":           {"结果", "Outcome"},
	"onboard.choose":            {"选择企业", "Choose the firm"},
	"onboard.skip":              {"跳过（不导入）", "Skip (leave over)"},
	"onboard.strict":            {"导入为一个批次：任何一行被拒绝则全部不导入，错误会标明清单中的行号。", "The import is one batch: if a row is refused nothing is imported, and the error names the list's line."},
	"onboard.import":            {"确认并导入", "Confirm and import"},
	"onboard.again":             {"重新上传", "Upload another list"},
	"onboard.done":              {"导入结果", "Import"},
	"onboard.imported":          {"已导入 %d 条自有供应关系（变更 %d 条），随后将进行增量扫描。", "Imported %d relations as your own (%d changed); an incremental scan follows."},
	"onboard.refused":           {"未导入：%d 行被拒绝（批次全部或全不导入）。", "Nothing imported: %d rows refused (the batch is all or nothing)."},
	"onboard.nothing":           {"没有可导入的行。", "Nothing to import."},
	"onboard.reason":            {"说明", "Note"},
	"onboard.back":              {"返回供应商导入", "Back to supplier onboarding"},
	"onboard.nofile":            {"请选择要上传的 CSV 文件。", "Choose a CSV file to upload."},
	"onboard.badstate":          {"清单数据已损坏，请重新上传。", "The list's data is damaged; upload it again."},
	"onboard.outcome.given":     {"按代码", "by USCC"},
	"onboard.outcome.exact":     {"精确匹配", "exact"},
	"onboard.outcome.unique":    {"唯一匹配", "unique"},
	"onboard.outcome.confirmed": {"已选择", "chosen"},
	"onboard.outcome.confirm":   {"待确认", "to confirm"},
	"onboard.outcome.none":      {"未匹配", "no match"},
	"onboard.outcome.error":     {"有误", "refused"},
}
