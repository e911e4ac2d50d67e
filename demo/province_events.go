package demo

import (
	"math"
	"strconv"

	"github.com/chainrisk/chainrisk/credit"
)

// provinceEvent is one event type of the synthetic data set with its relative
// frequency: mostly medium, low and info, few critical.
type provinceEvent struct {
	name        string
	weight      int
	source      string
	description string
	amount      [2]float64 // CNY, log-uniform; zero: none
	repair      float64    // share of events repaired
	repairedBy  string
}

var provinceEvents = []provinceEvent{
	{"serious_dishonesty_list", 2, "信用黑龙江", "拒不履行法定义务且情节严重，被列入严重失信主体名单", [2]float64{}, 0, ""},
	{"dishonest_judgment_debtor", 5, "中国执行信息公开网", "有履行能力而拒不履行生效法律文书确定的义务，被纳入失信被执行人名单", [2]float64{5e5, 5e7}, 0.05, "人民法院"},
	{"major_tax_violation", 1, "国家税务总局黑龙江省税务局", "虚开增值税专用发票，被认定为重大税收违法失信主体", [2]float64{1e6, 5e7}, 0, ""},
	{"bankruptcy", 1, "全国企业破产重整案件信息网", "人民法院裁定受理破产清算申请", [2]float64{1e7, 1e9}, 0, ""},
	{"license_revoked", 3, "国家企业信用信息公示系统", "无正当理由超过六个月未开业，被吊销营业执照", [2]float64{}, 0, ""},
	{"consumption_restriction", 10, "中国执行信息公开网", "未按执行通知履行给付义务，被采取限制消费措施", [2]float64{5e5, 5e7}, 0, ""},
	{"penalty_serious", 8, "信用黑龙江", "超标排放污染物且拒不改正，被处以罚款并责令停产整治", [2]float64{1e5, 2e6}, 0, ""},
	{"tax_arrears", 25, "国家税务总局黑龙江省税务局", "欠缴增值税及附加税费，被列入欠税公告", [2]float64{1e5, 1e7}, 0.1, "国家税务总局黑龙江省税务局"},
	{"equity_freeze", 12, "国家企业信用信息公示系统", "股东所持公司股权被人民法院冻结", [2]float64{1e6, 5e7}, 0, ""},
	{"abnormal_operation", 90, "国家企业信用信息公示系统", "未按规定期限公示年度报告，被列入经营异常名录", [2]float64{}, 0.3, "黑龙江省市场监督管理局"},
	{"judgment_debtor", 60, "中国执行信息公开网", "因买卖合同纠纷被人民法院立案执行", [2]float64{1e5, 2e7}, 0.05, "人民法院"},
	{"penalty_general", 80, "信用黑龙江", "未按规定对特种设备进行定期检验，被处以罚款", [2]float64{1e4, 3e5}, 0.1, "黑龙江省发展和改革委员会"},
	{"social_insurance_arrears", 40, "黑龙江省人力资源和社会保障厅", "欠缴职工社会保险费，经催缴逾期仍未缴纳", [2]float64{5e4, 2e6}, 0.1, "黑龙江省人力资源和社会保障厅"},
	{"overdue_payment", 50, "信用黑龙江", "拖欠中小企业货款逾期未付，经投诉核实", [2]float64{1e5, 1e7}, 0.1, "黑龙江省发展和改革委员会"},
	{"utility_arrears", 60, "信用黑龙江", "拖欠电费逾期三个月以上未缴", [2]float64{1e4, 5e5}, 0.1, "黑龙江省发展和改革委员会"},
	{"penalty_minor", 200, "信用黑龙江", "未按规定公示营业执照，被责令改正并予以警告", [2]float64{}, 0, ""},
	{"honor", 60, "信用黑龙江", "获评诚信示范企业", [2]float64{}, 0, ""},
	{"a_level_taxpayer", 180, "国家税务总局黑龙江省税务局", "被评为纳税信用A级纳税人", [2]float64{}, 0, ""},
	{"contract_abiding", 60, "黑龙江省市场监督管理局", "被认定为“守合同重信用”企业", [2]float64{}, 0, ""},
	{"commitment_kept", 53, "信用黑龙江", "按期履行信用承诺，承诺事项经核查办结", [2]float64{}, 0, ""},
}

// writeEvents streams events (and the repairs of some of them) of random firms,
// dated over the three years before the anchor.
func (g *province) writeEvents(w, rw *countingWriter) (events, repairs int) {
	w.write([]byte(csvHeader[credit.KindEvents]))
	rw.write([]byte(csvHeader[credit.KindRepairs]))
	cat := credit.NewCatalogue()
	cum := make([]int, len(provinceEvents))
	publicity := make([][]int, len(provinceEvents)) // [type][age] → days from occurrence to end of publicity, −1: none
	total := 0
	for t, pe := range provinceEvents {
		total += pe.weight
		cum[t] = total
		et, ok := cat.Lookup(pe.name)
		if !ok {
			panic("province event type not in the catalogue: " + pe.name)
		}
		publicity[t] = make([]int, provinceHistoryDays+1)
		for age := range publicity[t] {
			at := g.opts.Anchor.AddDate(0, 0, -age)
			if end := et.Publicity.After(at); end.IsZero() {
				publicity[t][age] = -1
			} else {
				publicity[t][age] = int(math.Round(end.Sub(at).Hours() / 24))
			}
		}
	}
	count := int(math.Round(g.opts.EventsPerFirm * float64(g.n)))
	var id [14]byte // SYN-0000000001
	copy(id[:], "SYN-")
	for k := 0; k < count; k++ {
		v := k + 1
		for i := len(id) - 1; i >= 4; i-- {
			id[i] = byte('0' + v%10)
			v /= 10
		}
		t := pickCumulative(g.rng, cum)
		pe := &provinceEvents[t]
		firm := g.rng.IntN(g.n)
		age := g.rng.IntN(provinceHistoryDays + 1)
		b := append(g.buf[:0], id[:]...)
		b = append(b, ',')
		b = append(b, g.usccOf(firm)...)
		b = append(b, ',')
		b = append(b, pe.name...)
		b = append(b, ',')
		b = append(b, g.date(-age)...)
		b = append(b, ',')
		if p := publicity[t][age]; p >= 0 {
			b = append(b, g.date(-age+p)...)
		}
		b = append(b, ',')
		b = append(b, pe.source...)
		b = append(b, ',')
		if pe.amount[0] > 0 {
			lo, hi := math.Log(pe.amount[0]), math.Log(pe.amount[1])
			b = strconv.AppendInt(b, int64(math.Round(math.Exp(lo+(hi-lo)*g.rng.Float64())/1e3))*1e3, 10)
		}
		b = append(b, ',')
		b = append(b, pe.description...)
		b = append(b, '\n')
		w.write(b)
		g.buf = b
		events++

		if pe.repair > 0 && age >= 100 && g.rng.Float64() < pe.repair {
			delay := 10 + g.rng.IntN(age-10)
			if pe.name == "penalty_general" {
				delay = 92 + g.rng.IntN(age-92) // public for at least three months first
			}
			b = append(g.buf[:0], id[:]...)
			b = append(b, ',')
			b = append(b, g.date(-age+delay)...)
			b = append(b, ',')
			b = append(b, pe.repairedBy...)
			b = append(b, ",已履行相关义务并完成整改，经核查符合信用修复条件\n"...)
			rw.write(b)
			g.buf = b
			repairs++
		}
	}
	return events, repairs
}
