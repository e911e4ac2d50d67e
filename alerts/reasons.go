package alerts

import (
	"fmt"
	"strconv"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/credit"
)

// words renders an alert's reasons in a summary language (zh unless "en").
func (r *router) words(rs []reason, lang string) []string {
	if len(rs) == 0 {
		return nil
	}
	if r.cat == nil {
		cat := r.cfg.Catalogue()
		r.cat = &cat
	}
	out := make([]string, len(rs))
	for i, x := range rs {
		out[i] = x.text(lang, *r.cat)
	}
	return out
}

func day(x reason) string { return x.At.In(credit.Shanghai).Format("2006-01-02") }

func firmText(name, uscc string) string {
	if name == "" {
		return uscc
	}
	return name + " (" + uscc + ")"
}

// text words one reason: events as "type points (date)", as the other channels'
// fixtures do; Chinese uses the catalogue's meaning of the type.
func (x reason) text(lang string, cat credit.Catalogue) string {
	en := lang == "en"
	meaning := x.Type
	if t, ok := cat.Lookup(x.Type); ok && t.Meaning != "" && !en {
		meaning = t.Meaning
	}
	switch x.Kind {
	case reasonEvent:
		if en {
			return fmt.Sprintf("%s %s (%s)", x.Type, notify.FormatSigned(x.Points), day(x))
		}
		return fmt.Sprintf("%s %s（%s）", meaning, notify.FormatSigned(x.Points), day(x))
	case reasonContributor:
		if en {
			return fmt.Sprintf("%s, tier %d: contribution %s, p %s", firmText(x.Name, x.USCC), x.Tier,
				notify.FormatNumber(x.Value), notify.FormatNumber(x.P))
		}
		return fmt.Sprintf("%s，第 %s 层：风险贡献 %s，违约概率 %s", firmText(x.Name, x.USCC), strconv.Itoa(x.Tier),
			notify.FormatNumber(x.Value), notify.FormatNumber(x.P))
	case reasonSoleSource:
		if en {
			return fmt.Sprintf("sole source of %s: purchase share %s%%, substitutability %s", firmText(x.Name, x.USCC),
				notify.FormatNumber(x.Value*100), notify.FormatNumber(x.P))
		}
		return fmt.Sprintf("%s 的单一来源供应商：采购占比 %s%%，可替代性 %s", firmText(x.Name, x.USCC),
			notify.FormatNumber(x.Value*100), notify.FormatNumber(x.P))
	case reasonRepair:
		if en {
			return fmt.Sprintf("%s repaired on %s (decided by %s)", x.Type, day(x), x.By)
		}
		return fmt.Sprintf("%s 已于 %s 完成信用修复（%s）", meaning, day(x), x.By)
	case reasonEligible:
		from := x.From.In(credit.Shanghai).Format("2006-01-02")
		if en {
			return fmt.Sprintf("%s %s (%s): eligible for credit repair since %s, decided by %s", x.Type,
				notify.FormatSigned(x.Points), day(x), from, x.By)
		}
		return fmt.Sprintf("%s %s（%s）：自 %s 起可申请信用修复，由%s决定", meaning, notify.FormatSigned(x.Points), day(x), from, x.By)
	case reasonStale:
		if en {
			return "record last updated on " + day(x)
		}
		return "企业信息最后更新于 " + day(x)
	case reasonRelated:
		return x.relatedText(en, meaning)
	}
	return x.Kind
}

// relatedText words a related party in distress: "actual controller 黑龙江恒信实业集团有限公司
// (91230102MAHTL3M900), penetrated share 39%: grade D; dishonest_judgment_debtor", in
// Chinese "实际控制人 … (…)，穿透持股 39%：信用等级 D；失信被执行人". A controller beyond
// checks.depth has no share; a party without a critical event names none.
func (x reason) relatedText(en bool, meaning string) string {
	role := map[[2]bool][2]string{
		{true, true}:  {"实际控制人、控股股东", "actual controller and majority holder"},
		{true, false}: {"实际控制人", "actual controller"},
		{false, true}: {"控股股东", "majority holder"},
	}[[2]bool{x.Controller, x.Majority}]
	share := notify.FormatNumber(x.Value*100) + "%"
	if en {
		s := role[1] + " " + firmText(x.Name, x.USCC)
		if x.Value > 0 {
			s += ", penetrated share " + share
		}
		s += ": grade " + x.Grade
		if x.Type != "" {
			s += "; " + x.Type
		}
		return s
	}
	s := role[0] + " " + firmText(x.Name, x.USCC)
	if x.Value > 0 {
		s += "，穿透持股 " + share
	}
	s += "：信用等级 " + x.Grade
	if x.Type != "" {
		s += "；" + meaning
	}
	return s
}
