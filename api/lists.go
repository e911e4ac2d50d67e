package api

import (
	"encoding/base64"
	"encoding/csv"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/lists"
	"github.com/chainrisk/chainrisk/monitor"
)

// Bounds of a page of list members.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// listsJSON answers GET /api/v1/lists: the lists of the latest scan.
type listsJSON struct {
	Lists      []listJSON `json:"lists"`
	ScanID     int64      `json:"scan_id"`
	ComputedAt time.Time  `json:"computed_at"`
}

// listJSON is one list: its titles, its criteria as configured, and its size.
type listJSON struct {
	Name     string       `json:"name"`
	TitleZh  string       `json:"title_zh"`
	TitleEn  string       `json:"title_en"`
	Criteria criteriaJSON `json:"criteria"`
	Count    int          `json:"count"`
}

type criteriaJSON struct {
	AllOf []conditionJSON `json:"all_of"`
	AnyOf []conditionJSON `json:"any_of"`
}

// conditionJSON is a condition as the config writes it: one field set.
type conditionJSON struct {
	Grade                 []string            `json:"grade,omitempty"`
	Status                []credit.Status     `json:"status,omitempty"`
	NoActiveNegativeEvent *bool               `json:"no_active_negative_event,omitempty"`
	NoEventSeverity       *severityWindowJSON `json:"no_event_severity,omitempty"`
	ActiveEventSeverity   []credit.Severity   `json:"active_event_severity,omitempty"`
}

type severityWindowJSON struct {
	Severities []credit.Severity `json:"severities"`
	Within     string            `json:"within"`
}

// listPageJSON answers GET /api/v1/lists/{name}: a page of members in USCC order.
type listPageJSON struct {
	Name    string `json:"name"`
	TitleZh string `json:"title_zh"`
	TitleEn string `json:"title_en"`
	// Total counts the members that pass the filters, on every page.
	Total      int              `json:"total"`
	Members    []listMemberJSON `json:"members"`
	NextCursor *string          `json:"next_cursor"`
	ScanID     int64            `json:"scan_id"`
	ComputedAt time.Time        `json:"computed_at"`
}

type listMemberJSON struct {
	USCC     string           `json:"uscc"`
	Name     string           `json:"name"`
	Region   string           `json:"region"`
	Industry string           `json:"industry"`
	Grade    string           `json:"grade"`
	Score    float64          `json:"score"`
	Reasons  []listReasonJSON `json:"reasons"`
}

// listReasonJSON is a condition that put the firm on the list and what it found.
type listReasonJSON struct {
	Condition string `json:"condition"`
	Detail    string `json:"detail"`
}

// getLists serves GET /api/v1/lists (docs/models.md, "Graded lists").
func (s *Server) getLists(rq *request) error {
	st, err := rq.ready()
	if err != nil {
		return err
	}
	out := listsJSON{Lists: []listJSON{}, ScanID: st.ScanID, ComputedAt: st.At}
	if st.Lists == nil {
		return rq.json(http.StatusOK, out)
	}
	set := st.Lists.Set()
	for i, l := range set.Lists() {
		out.Lists = append(out.Lists, listJSON{Name: l.Name, TitleZh: l.TitleZh, TitleEn: l.TitleEn,
			Criteria: criteriaJSON{AllOf: conditionsJSON(l.AllOf), AnyOf: conditionsJSON(l.AnyOf)}, Count: st.Lists.Count(i)})
	}
	return rq.json(http.StatusOK, out)
}

func conditionsJSON(cs []lists.Condition) []conditionJSON {
	out := make([]conditionJSON, len(cs))
	for i, c := range cs {
		switch c.Kind {
		case lists.KindGrade:
			for _, g := range c.Grades {
				out[i].Grade = append(out[i].Grade, g.String())
			}
		case lists.KindStatus:
			out[i].Status = c.Statuses
		case lists.KindNoActiveNegativeEvent:
			yes := true
			out[i].NoActiveNegativeEvent = &yes
		case lists.KindNoEventSeverity:
			out[i].NoEventSeverity = &severityWindowJSON{Severities: c.Severities, Within: config.Window(c.Within).String()}
		case lists.KindActiveEventSeverity:
			out[i].ActiveEventSeverity = c.Severities
		}
	}
	return out
}

// listQuery is what GET /api/v1/lists/{name} was asked.
type listQuery struct {
	list   int
	region string
	indus  string
	tag    string
	limit  int
	after  string // the USCC the cursor points after; "" for the first page
	csv    bool
}

var (
	regionPrefixRE   = regexp.MustCompile(`^[0-9]{2}([0-9]{2}([0-9]{2})?)?$`)
	industryPrefixRE = regexp.MustCompile(`^[A-T][0-9]{0,4}$`)
	listTags         = []string{credit.TagLeading, credit.TagSpecialized, credit.TagLittleGiant, credit.TagListed}
)

// cursorPrefix starts every cursor, so that a value this endpoint did not give is
// refused rather than read as a position.
const cursorPrefix = "after:"

func listCursor(uscc string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + uscc))
}

// parseListQuery reads the list's name and the query; 404 for an unknown list, 400
// naming the parameter for a bad value.
func (rq *request) parseListQuery(st *monitor.State) (listQuery, error) {
	var q listQuery
	name := rq.r.PathValue("name")
	var set *lists.Set
	if st.Lists != nil {
		set = st.Lists.Set()
	}
	l, ok := set.Index(name)
	if !ok {
		var names []string
		for _, x := range set.Lists() {
			names = append(names, x.Name)
		}
		return q, errorf(http.StatusNotFound, codeNotFound, "no list %q (lists: %s)", name, strings.Join(names, ", "))
	}
	q.list = l
	get := rq.r.URL.Query().Get
	q.region, q.indus, q.tag = get("region"), get("industry"), get("tag")
	if q.region != "" && !regionPrefixRE.MatchString(q.region) {
		return q, errorf(http.StatusBadRequest, codeBadRequest,
			"region must be a division code of 2, 4 or 6 digits (province, prefecture, county), got %q", q.region)
	}
	if q.indus != "" && !industryPrefixRE.MatchString(q.indus) {
		return q, errorf(http.StatusBadRequest, codeBadRequest,
			"industry must be a GB/T 4754 code or its start (a letter A-T, then up to 4 digits), got %q", q.indus)
	}
	for _, f := range []struct {
		name, value string
		of          func(*monitor.Firm) string
	}{{"region", q.region, func(f *monitor.Firm) string { return f.Region }},
		{"industry", q.indus, func(f *monitor.Firm) string { return f.Industry }}} {
		if f.value != "" && !anyFirm(st, func(x *monitor.Firm) bool { return strings.HasPrefix(f.of(x), f.value) }) {
			return q, errorf(http.StatusBadRequest, codeBadRequest, "%s %q is unknown: no firm of the data has it", f.name, f.value)
		}
	}
	if q.tag != "" && !slices.Contains(listTags, q.tag) {
		return q, errorf(http.StatusBadRequest, codeBadRequest, "tag must be one of %s, got %q", strings.Join(listTags, ", "), q.tag)
	}
	format, err := enumParam(rq.r, "format", "json", "json", "csv")
	if err != nil {
		return q, err
	}
	q.csv = format == "csv"
	if q.csv && (get("limit") != "" || get("cursor") != "") {
		return q, errorf(http.StatusBadRequest, codeBadRequest, "format=csv streams every member: it takes no limit or cursor")
	}
	if q.limit, err = intParam(rq.r, "limit", defaultListLimit, 1, maxListLimit); err != nil {
		return q, err
	}
	if c := get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		after, ok := strings.CutPrefix(string(b), cursorPrefix)
		if err != nil || !ok || rq.checkUSCC("cursor", after) != nil {
			return q, errorf(http.StatusBadRequest, codeBadRequest, "cursor %q is not one this endpoint gave (pass next_cursor as it came)", c)
		}
		q.after = after
	}
	return q, nil
}

// anyFirm reports whether a firm of the state meets ok.
func anyFirm(st *monitor.State, ok func(*monitor.Firm) bool) bool {
	for v := range st.Firms {
		if ok(&st.Firms[v]) {
			return true
		}
	}
	return false
}

// keeps reports whether node v passes the query's filters.
func (q *listQuery) keeps(st *monitor.State, v int32) bool {
	f := &st.Firms[v]
	if !strings.HasPrefix(f.Region, q.region) || !strings.HasPrefix(f.Industry, q.indus) {
		return false
	}
	switch q.tag {
	case credit.TagLeading:
		return f.Leading
	case credit.TagSpecialized:
		return f.Specialized
	case credit.TagLittleGiant:
		return f.LittleGiant
	case credit.TagListed:
		return f.Listed
	}
	return true
}

// getList serves GET /api/v1/lists/{name}: the members in USCC order, filtered, a
// page at a time (JSON) or all at once (CSV).
func (s *Server) getList(rq *request) error {
	st, err := rq.ready()
	if err != nil {
		return err
	}
	q, err := rq.parseListQuery(st)
	if err != nil {
		return err
	}
	l := st.Lists.Set().List(q.list)
	nodes := st.Lists.Sorted(q.list)
	ex := st.Lists.Explainer(st.ListInput())
	if q.csv {
		return rq.listCSV(st, &q, l.Name, nodes, ex)
	}
	start := sort.Search(len(nodes), func(i int) bool { return st.Snap.IDs[nodes[i]] > q.after })
	out := listPageJSON{Name: l.Name, TitleZh: l.TitleZh, TitleEn: l.TitleEn, Members: []listMemberJSON{},
		ScanID: st.ScanID, ComputedAt: st.At}
	more := false
	for i, v := range nodes {
		if !q.keeps(st, v) {
			continue
		}
		out.Total++
		switch {
		case i < start:
		case len(out.Members) < q.limit:
			out.Members = append(out.Members, listMember(st, ex, q.list, v))
		default:
			more = true
		}
	}
	if more {
		c := listCursor(out.Members[len(out.Members)-1].USCC)
		out.NextCursor = &c
	}
	return rq.json(http.StatusOK, out)
}

func listMember(st *monitor.State, ex *lists.Explainer, l int, v int32) listMemberJSON {
	f := &st.Firms[v]
	m := listMemberJSON{USCC: st.Snap.IDs[v], Name: f.Name, Region: f.Region, Industry: f.Industry,
		Grade: st.Grade[v].String(), Score: st.Score[v], Reasons: []listReasonJSON{}}
	for _, r := range ex.Reasons(l, v) {
		m.Reasons = append(m.Reasons, listReasonJSON{Condition: string(r.Condition), Detail: r.Detail})
	}
	return m
}

// listCSV streams every member that passes the filters as CSV, in USCC order: the
// reasons' details joined by "; ".
func (rq *request) listCSV(st *monitor.State, q *listQuery, name string, nodes []int32, ex *lists.Explainer) error {
	h := rq.w.Header()
	h.Set("Content-Type", mediaCSV+"; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	h.Set("X-Content-Type-Options", "nosniff")
	rq.w.WriteHeader(http.StatusOK)
	w := csv.NewWriter(rq.w)
	_ = w.Write([]string{"uscc", "name", "region", "industry", "grade", "score", "reasons"})
	ctx := rq.r.Context()
	for i, v := range nodes {
		if i%1024 == 0 && ctx.Err() != nil {
			break // the client left, or the request timed out: the answer ends short
		}
		if !q.keeps(st, v) {
			continue
		}
		m := listMember(st, ex, q.list, v)
		details := make([]string, len(m.Reasons))
		for j, r := range m.Reasons {
			details[j] = r.Detail
		}
		if err := w.Write([]string{m.USCC, m.Name, m.Region, m.Industry, m.Grade, strconv.FormatFloat(m.Score, 'f', 2, 64),
			strings.Join(details, "; ")}); err != nil {
			break
		}
	}
	w.Flush()
	return nil
}
