package api

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/repair"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/version"
	"github.com/chainrisk/chainrisk/visibility"
)

// mediaHTML is the evaluation report's media type.
const mediaHTML = "text/html"

//go:embed report/report.html.tmpl
var reportFS embed.FS

var reportTemplate = template.Must(template.ParseFS(reportFS, "report/report.html.tmpl"))

// reportPage is what the evaluation report's template shows: the enterprise
// answer, worded in Chinese.
type reportPage struct {
	USCC, Name, Region, Industry, Status string
	Tags                                 []string
	LegalRep, Capital, Established       string
	Revenue                              string
	Grade, GradeMeaning                  string
	Score, P, D, ModelVersion            string
	BandA, BandB, BandC                  string
	ScanID                               int64
	ScoredAt, Generated, Version         string
	Base, Negative, Positive             string
	PositiveCapped                       string
	Capped                               bool
	Contributions                        []reportContribution
	Rules                                []string
	Chart                                template.HTML
	Events                               []reportEvent
	RepairGuidance                       bool
	Related                              []reportRelated
	Chains                               []membership
	ChainsNote                           string
}

type reportContribution struct {
	EventID, Date, Meaning, Severity string
	Points, Decay, Effective         string
}

// repairText words an event's repair guidance (docs/models.md "Credit repair").
func repairText(x *repairJSON, day func(time.Time) string) string {
	category := cmpOr(categoryZH[x.Category], string(x.Category))
	if !x.Repairable {
		return category + "失信信息，不可修复。"
	}
	when := "现可申请修复"
	if !x.EligibleNow && x.EligibleFrom != nil {
		when = day(*x.EligibleFrom) + " 起可申请修复"
	}
	req := x.Requirements
	if req != "" && !strings.HasSuffix(req, "。") {
		req += "。"
	}
	out := fmt.Sprintf("%s失信信息，%s（由%s决定）。%s", category, when, x.Authority, req)
	if x.MaxUntil != nil {
		out += fmt.Sprintf("最长公示至 %s。", day(*x.MaxUntil))
	}
	return out
}

type reportEvent struct {
	Date, Meaning, Severity, Points, Until, Source, Description, Repair string
}

type reportRelated struct {
	Relation, Name, Key, Grade, Share, Path string
	Distressed                              bool
}

var (
	severityZH = map[credit.Severity]string{credit.SeverityCritical: "严重", credit.SeverityHigh: "较重",
		credit.SeverityMedium: "一般", credit.SeverityLow: "轻微", credit.SeverityInfo: "提示"}
	statusZH = map[credit.Status]string{credit.StatusActive: "存续", credit.StatusAbnormal: "经营异常",
		credit.StatusRevoked: "吊销", credit.StatusDeregistered: "注销", credit.StatusBankrupt: "破产"}
	gradeZH = map[string]string{"A": "信用优良", "B": "信用良好", "C": "信用一般，需关注", "D": "信用较差，风险较高"}
	tagZH   = map[string]string{credit.TagLeading: "龙头企业", credit.TagSpecialized: "专精特新"}
	ruleZH  = map[string]string{risk.RuleCriticalEvent: "存在有效的严重失信事件，等级不高于 D",
		risk.RuleDefunct:     "企业已吊销、注销或破产，等级为 D，违约概率为 1",
		risk.RulePositiveCap: "正面事件加分已封顶", risk.RuleClamped: "评分限定在 0–1000 之间"}
	categoryZH = map[repair.Category]string{repair.Minor: "轻微", repair.General: "一般", repair.Serious: "严重"}
	relationZH = map[string]string{"actual_controller": "实际控制人", "majority_holder": "控股股东（穿透持股超过 50%）"}
)

// getReport serves GET /api/v1/enterprises/{uscc}/report: the evaluation report
// (信用评价报告), a printable Chinese HTML page of the enterprise answer.
func (s *Server) getReport(rq *request) error {
	e, firm, st, err := s.enterpriseAnswer(rq)
	if err != nil {
		return err
	}
	m := st.Params.Model
	day := func(t time.Time) string { return t.In(credit.Shanghai).Format("2006-01-02") }
	num := func(x float64, prec int) string { return strconv.FormatFloat(x, 'f', prec, 64) }
	page := &reportPage{USCC: e.USCC, Name: e.Name, Region: e.Region, Industry: e.Industry,
		Status: cmpOr(statusZH[e.Status], string(e.Status)), ModelVersion: e.ModelVersion, ScanID: e.ScanID,
		BandA: num(m.GradeA, 0), BandB: num(m.GradeB, 0), BandC: num(m.GradeC, 0),
		Generated: rq.s.now().In(credit.Shanghai).Format("2006-01-02 15:04"), Version: version.Version,
		LegalRep: personName(rq, firm.LegalRepName)}
	for _, t := range e.Tags {
		page.Tags = append(page.Tags, cmpOr(tagZH[t], t))
	}
	if c := firm.RegisteredCapital; c != nil {
		page.Capital = num(*c/1e4, 0) + " 万元"
	}
	if !firm.EstablishedAt.IsZero() {
		page.Established = day(firm.EstablishedAt)
	}
	if e.Revenue != nil {
		page.Revenue = num(*e.Revenue/1e4, 0) + " 万元"
	}
	if e.Grade != nil {
		page.Grade, page.GradeMeaning = *e.Grade, gradeZH[*e.Grade]
		page.Score, page.P, page.D = num(*e.Score, 1), num(*e.P, 4), num(*e.D, 4)
	}
	if e.ScoredAt != nil {
		page.ScoredAt = e.ScoredAt.In(credit.Shanghai).Format("2006-01-02 15:04")
	}
	b := e.ScoreBreakdown
	page.Base, page.Negative, page.Positive = num(b.Base, 1), num(b.Negative, 1), num(b.Positive, 1)
	page.Capped, page.PositiveCapped = b.PositiveCapped != b.Positive, num(b.PositiveCapped, 1)
	page.reportContributions(e, m, day, num)
	page.reportEvents(e, day, num)
	page.reportRelated(e, num)
	page.Chains = e.Chains
	if e.Chains == nil {
		page.ChainsNote = "该企业交易对象过多，未列出其所在的全部供应链。"
	} else {
		page.ChainsNote = "未处于您可查看的龙头企业供应链中。"
	}
	page.Chart = scoreChart(e.History, m)
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, page); err != nil {
		return err
	}
	rq.w.Header().Set("Content-Type", mediaHTML+"; charset=utf-8")
	rq.w.WriteHeader(http.StatusOK)
	_, _ = rq.w.Write(buf.Bytes())
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// personName is a natural person's name as the caller may read it.
func personName(rq *request, name string) string {
	if name == "" {
		return ""
	}
	return visibility.PersonName(rq.who.Role, name)
}

func (page *reportPage) reportContributions(e *enterpriseJSON, m *risk.Model, day func(time.Time) string,
	num func(float64, int) string) {
	at := map[string]time.Time{}
	for _, ev := range e.Events {
		at[ev.EventID] = ev.OccurredAt
	}
	for _, x := range e.Explanation {
		switch c := x.(type) {
		case eventContribution:
			meaning := c.Type
			if t, ok := m.Catalogue.Lookup(c.Type); ok && t.Meaning != "" {
				meaning = t.Meaning
			}
			page.Contributions = append(page.Contributions, reportContribution{EventID: c.EventID, Date: day(at[c.EventID]),
				Meaning: meaning, Severity: severityZH[c.Severity], Points: num(c.Points, 0), Decay: num(c.Decay, 3),
				Effective: num(c.Effective, 1)})
		case ruleContribution:
			page.Rules = append(page.Rules, cmpOr(ruleZH[c.Rule], c.Effect))
		}
	}
}

func (page *reportPage) reportEvents(e *enterpriseJSON, day func(time.Time) string, num func(float64, int) string) {
	for _, ev := range e.Events {
		r := reportEvent{Date: day(ev.OccurredAt), Meaning: cmpOr(ev.Meaning, ev.Type), Severity: severityZH[ev.Severity],
			Points: num(ev.Points, 0), Until: "修复前持续公示", Source: ev.Source, Description: ev.Description}
		if ev.PublishUntil != nil {
			r.Until = day(*ev.PublishUntil)
		}
		if x := ev.Repair; x != nil {
			page.RepairGuidance = true
			r.Repair = repairText(x, day)
		}
		page.Events = append(page.Events, r)
	}
}

func (page *reportPage) reportRelated(e *enterpriseJSON, num func(float64, int) string) {
	for _, p := range e.Related {
		r := reportRelated{Name: p.Name, Key: p.PersonID, Share: num(p.PenetratedShare*100, 2) + "%",
			Path: strings.Join(p.Path, " → "), Distressed: p.Distressed}
		if p.FirmReport != nil {
			r.Key, r.Grade = p.USCC, p.Grade
		}
		var rel []string
		for _, x := range p.Relation {
			rel = append(rel, cmpOr(relationZH[x], x))
		}
		r.Relation = strings.Join(rel, "、")
		page.Related = append(page.Related, r)
	}
}

// scoreChart draws the score history (newest first in the answer) as an inline
// SVG line over the grade bands, oldest on the left; nil without history.
func scoreChart(hist []historyJSON, m *risk.Model) template.HTML {
	if len(hist) == 0 {
		return ""
	}
	pts := slices.Clone(hist)
	slices.Reverse(pts)
	const w, h, left, top, plotW, plotH = 640.0, 220.0, 48.0, 10.0, 580.0, 180.0
	y := func(score float64) float64 { return top + plotH*(1-math.Max(0, math.Min(1000, score))/1000) }
	t0, t1 := pts[0].At, pts[len(pts)-1].At
	x := func(t time.Time) float64 {
		if !t1.After(t0) {
			return left + plotW/2
		}
		return left + plotW*t.Sub(t0).Seconds()/t1.Sub(t0).Seconds()
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="评分历史" width="%g" height="%g" viewBox="0 0 %g %g">`, w, h, w, h)
	for _, band := range []struct {
		lo    float64
		label string
	}{{m.GradeA, "A"}, {m.GradeB, "B"}, {m.GradeC, "C"}, {0, "D"}} {
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#ccc" stroke-dasharray="4 3"/>`, left, left+plotW, y(band.lo), y(band.lo))
		fmt.Fprintf(&b, `<text x="4" y="%.1f" font-size="11" fill="#666">%s ≥ %g</text>`, y(band.lo)-2, band.label, band.lo)
	}
	var line []string
	for _, p := range pts {
		line = append(line, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.Score)))
	}
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#1a4d8f" stroke-width="2" points="%s"/>`, strings.Join(line, " "))
	for _, p := range pts {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#1a4d8f"><title>%s %s %.1f</title></circle>`,
			x(p.At), y(p.Score), p.At.In(credit.Shanghai).Format("2006-01-02"), p.Grade, p.Score)
	}
	day := func(t time.Time) string { return t.In(credit.Shanghai).Format("2006-01-02") }
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11" fill="#666">%s</text>`, left, h-4, day(t0))
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11" fill="#666" text-anchor="end">%s</text></svg>`, left+plotW, h-4, day(t1))
	return template.HTML(b.String())
}
