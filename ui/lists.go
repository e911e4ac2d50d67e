package ui

import (
	"net/http"
	"net/url"
	"strings"
)

// listPageSize is how many members a page of a graded list shows unless ?limit= says.
const listPageSize = "50"

// listRow is a graded list with its title in the reader's language and its criteria
// worded.
type listRow struct {
	listJSON
	Title string
	AllOf []string
	AnyOf []string
}

type listsView struct {
	Lists []listRow
	listsJSON
}

// listsPage shows the graded lists of the latest scan (GET /api/v1/lists): title,
// criteria and size, each a link to its members.
func (s *Server) listsPage(c *call) error {
	var ls listsJSON
	if err := c.get("/lists", nil, &ls); err != nil {
		return err
	}
	v := listsView{listsJSON: ls}
	for _, l := range ls.Lists {
		row := listRow{listJSON: l, Title: c.pick(l.TitleZh, l.TitleEn)}
		for _, cond := range l.Criteria.AllOf {
			row.AllOf = append(row.AllOf, c.condition(cond))
		}
		for _, cond := range l.Criteria.AnyOf {
			row.AnyOf = append(row.AnyOf, c.condition(cond))
		}
		v.Lists = append(v.Lists, row)
	}
	return c.render(http.StatusOK, "lists", c.t("list.title"), v)
}

// pick returns the text of the reader's language.
func (c *call) pick(zh, en string) string {
	if c.lang == "en" && en != "" {
		return en
	}
	return zh
}

// condition words one condition of a list's criteria.
func (c *call) condition(x conditionJSON) string {
	switch {
	case len(x.Grade) > 0:
		return c.t("list.cond.grade") + " " + strings.Join(x.Grade, ", ")
	case len(x.Status) > 0:
		return c.t("list.cond.status") + " " + strings.Join(x.Status, ", ")
	case x.NoActiveNegativeEvent != nil:
		return c.t("list.cond.no_active_negative_event")
	case x.NoEventSeverity != nil:
		return c.t("list.cond.no_event_severity") + " " + strings.Join(x.NoEventSeverity.Severities, ", ") +
			" (" + c.t("list.cond.within") + " " + x.NoEventSeverity.Within + ")"
	case len(x.ActiveEventSeverity) > 0:
		return c.t("list.cond.active_event_severity") + " " + strings.Join(x.ActiveEventSeverity, ", ")
	}
	return "—"
}

type listView struct {
	listPageJSON
	Title string
	// Region, Industry and Tag are the filters; CSV is the download with them.
	Region, Industry, Tag, Limit string
	CSV                          string
	First, Next                  string // "" when on the first page / on the last
	Tags                         []string
}

// listPage shows a page of a graded list's members (GET /api/v1/lists/{name}),
// filtered by region, industry and tag, paged by the API's cursor, with the
// conditions that put each member on the list.
func (s *Server) listPage(c *call) error {
	name := c.r.PathValue("name")
	in := c.r.URL.Query()
	q := url.Values{"limit": {listPageSize}}
	for _, k := range []string{"region", "industry", "tag", "limit", "cursor"} {
		if x := strings.TrimSpace(in.Get(k)); x != "" {
			q.Set(k, x)
		}
	}
	var l listPageJSON
	if err := c.get("/lists/"+url.PathEscape(name), q, &l); err != nil {
		return err
	}
	v := listView{listPageJSON: l, Title: c.pick(l.TitleZh, l.TitleEn), Region: q.Get("region"),
		Industry: q.Get("industry"), Tag: q.Get("tag"), Tags: []string{"leading", "specialized", "little_giant", "listed"}}
	if in.Get("limit") != "" {
		v.Limit = q.Get("limit")
	}
	base := pathWithout(c.r, "lang")
	if q.Get("cursor") != "" {
		v.First = with(base, "cursor", "")
	}
	if l.NextCursor != nil {
		v.Next = with(base, "cursor", *l.NextCursor)
	}
	dl := url.Values{}
	for _, k := range []string{"region", "industry", "tag"} {
		if x := q.Get(k); x != "" {
			dl.Set(k, x)
		}
	}
	v.CSV = Prefix + "lists/" + url.PathEscape(name) + "/members.csv"
	if len(dl) > 0 {
		v.CSV += "?" + dl.Encode()
	}
	return c.render(http.StatusOK, "list", v.Title+" · "+c.t("list.title"), v)
}

// listCSV streams every member of a graded list that passes the filters, as the
// API's CSV (GET /api/v1/lists/{name}?format=csv).
func (s *Server) listCSV(c *call) error {
	name := c.r.PathValue("name")
	in := c.r.URL.Query()
	q := url.Values{"format": {"csv"}}
	for _, k := range []string{"region", "industry", "tag"} {
		if x := strings.TrimSpace(in.Get(k)); x != "" {
			q.Set(k, x)
		}
	}
	file := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, strings.ToLower(name))
	return c.stream("/lists/"+url.PathEscape(name), q, "text/csv", file+".csv")
}
