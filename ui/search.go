package ui

import (
	"net/http"
	"net/url"
	"strings"
)

// searchPageSize is how many firms a page of search results shows unless ?limit= says.
const searchPageSize = "50"

// searchParams are the query parameters the search page passes to the API.
var searchParams = []string{"q", "region", "industry", "tag", "grade", "status", "sort", "limit", "cursor"}

type searchView struct {
	searchJSON
	// Q and the filters are as asked, for the form.
	Q, Region, Industry, Tag, Grade, Status, Sort string
	First, Next                                   string
	Grades, Statuses                              []string
}

// searchPage finds firms (GET /api/v1/enterprises) by name or USCC and filters,
// paged by the API's cursor; a tenant finds the firms of its chain, as the API
// answers it.
func (s *Server) searchPage(c *call) error {
	in := c.r.URL.Query()
	q := url.Values{"limit": {searchPageSize}}
	for _, k := range searchParams {
		if x := strings.TrimSpace(in.Get(k)); x != "" {
			q.Set(k, x)
		}
	}
	var r searchJSON
	if err := c.get("/enterprises", q, &r); err != nil {
		return err
	}
	v := searchView{searchJSON: r, Q: q.Get("q"), Region: q.Get("region"), Industry: q.Get("industry"),
		Tag: q.Get("tag"), Grade: q.Get("grade"), Status: q.Get("status"), Sort: q.Get("sort"),
		Grades:   []string{"A", "B", "C", "D"},
		Statuses: []string{"active", "abnormal", "revoked", "deregistered", "bankrupt"}}
	base := pathWithout(c.r, "lang")
	if q.Get("cursor") != "" {
		v.First = with(base, "cursor", "")
	}
	if r.NextCursor != nil {
		v.Next = with(base, "cursor", *r.NextCursor)
	}
	return c.render(http.StatusOK, "search", c.t("search.title"), v)
}
