package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// membersPerPage is the members table's page size.
const membersPerPage = 50

// concentrationRow is one firm of the concentration table, with names.
type concentrationRow struct {
	concentrationJSON
	Name   string
	Single []singleRow
}

type singleRow struct {
	singleSourceJSON
	Name string
}

type chainView struct {
	Chain   *chainJSON
	Graph   chartGraph
	Capped  bool
	Members []memberJSON
	Pager   pager
	// Tier and Grade are the members table's filters ("" for all); Tiers lists the
	// tiers present.
	Tier, Grade string
	Tiers       []int
	Grades      []string
	Conc        []concentrationRow
	Names       map[string]string
}

// chainPage shows a leader's chain: its summary (GET /api/v1/chains/{leader}), the
// members the graph draws and the members table's page (GET …/members, a page at a
// time, filtered by the API), and the links of a small chain (…/graph).
func (s *Server) chainPage(c *call) error {
	// The API checks the code (400 invalid_uscc) and who may see the chain (404).
	leader := url.PathEscape(c.r.PathValue("leader"))
	var ch chainJSON
	if err := c.get("/chains/"+leader, nil, &ch); err != nil {
		return err
	}
	v := chainView{Chain: &ch, Names: map[string]string{}, Grades: gradeNames}
	members, g, err := s.graphMembers(c, leader, &ch)
	if err != nil {
		return err
	}
	v.Graph = buildGraph(&ch, members, g, s.graphCap(), c.t("chain.single"), c.t("grade.unknown"))
	v.Capped = v.Graph.Shown < v.Graph.Total
	for _, m := range members {
		v.Names[m.USCC] = m.Name
	}
	for _, tc := range ch.TopContributors {
		v.Names[tc.USCC] = tc.Name
	}
	for _, t := range ch.Tiers {
		v.Tiers = append(v.Tiers, t.Tier)
	}
	q := c.r.URL.Query()
	v.Tier, v.Grade = q.Get("tier"), q.Get("grade")
	if err := c.membersPage(leader, &v, q); err != nil {
		return err
	}
	for _, m := range v.Members {
		v.Names[m.USCC] = m.Name
	}
	for _, cn := range ch.Concentration {
		row := concentrationRow{concentrationJSON: cn, Name: nameOr(v.Names, cn.USCC)}
		for _, ss := range cn.SingleSource {
			row.Single = append(row.Single, singleRow{singleSourceJSON: ss, Name: nameOr(v.Names, ss.Supplier)})
		}
		v.Conc = append(v.Conc, row)
	}
	return c.render(http.StatusOK, "chain", ch.Name+" · "+c.t("chain.title"), v)
}

// nameOr is a firm's name when the page has it, else its USCC.
func nameOr(names map[string]string, uscc string) string {
	if n, ok := names[uscc]; ok {
		return n
	}
	return uscc
}

func (s *Server) graphCap() int {
	if s.opts.GraphCap > 0 {
		return s.opts.GraphCap
	}
	return DefaultGraphCap
}

// graphMembers reads what the graph draws: a chain within the cap whole, with its
// relations; a larger one's first members in the API's order (the leader, tier 1,
// 2, …) and its top contributors, linked along the members' shortest paths to the
// leader — never the whole chain.
func (s *Server) graphMembers(c *call, leader string, ch *chainJSON) ([]memberJSON, *graphJSON, error) {
	limit := s.graphCap()
	var page membersPageJSON
	if err := c.get("/chains/"+leader+"/members", url.Values{"limit": {strconv.Itoa(min(limit, 1000))}}, &page); err != nil {
		return nil, nil, err
	}
	members := page.Members
	var g graphJSON
	if ch.MemberCount <= limit {
		if err := c.get("/chains/"+leader+"/graph", nil, &g); err != nil {
			return nil, nil, err
		}
		return members, &g, nil
	}
	have := map[string]bool{}
	for _, m := range members {
		have[m.USCC] = true
	}
	for _, tc := range ch.TopContributors {
		if !have[tc.USCC] {
			members = append(members, memberJSON{USCC: tc.USCC, Name: tc.Name, Tier: tc.Tier, Grade: tc.Grade, P: tc.P,
				Paths: [][]string{tc.Path}})
			have[tc.USCC] = true
		}
	}
	seen := map[[2]string]bool{}
	for _, m := range members {
		for _, p := range m.Paths {
			for i := 0; i+1 < len(p); i++ {
				e := [2]string{p[i], p[i+1]} // supplier → customer for suppliers
				if m.Tier < 0 {
					e = [2]string{p[i+1], p[i]} // customer ← supplier for customers
				}
				if !seen[e] {
					seen[e] = true
					g.Edges = append(g.Edges, edgeJSON{Supplier: e[0], Customer: e[1]})
				}
			}
		}
	}
	return members, &g, nil
}

// membersPage reads the members table's page from the API, filtered there: the page
// number counts from the summary's tiers, the cursor comes from the API.
func (c *call) membersPage(leader string, v *chainView, q url.Values) error {
	params := url.Values{"limit": {strconv.Itoa(membersPerPage)}}
	if v.Tier != "" {
		params.Set("tier", v.Tier)
	}
	if v.Grade != "" {
		params.Set("grade", v.Grade)
	}
	if cur := q.Get("cursor"); cur != "" {
		params.Set("cursor", cur)
	}
	var page membersPageJSON
	if err := c.get("/chains/"+leader+"/members", params, &page); err != nil {
		return err
	}
	v.Members = page.Members
	n := 0
	for _, t := range v.Chain.Tiers {
		if v.Tier == "" || strconv.Itoa(t.Tier) == v.Tier {
			n += gradeCount(t, v.Grade)
		}
	}
	path := pathWithout(c.r, "lang")
	v.Pager.Pages = max(1, (n+membersPerPage-1)/membersPerPage)
	v.Pager.Page, _ = strconv.Atoi(q.Get("page"))
	v.Pager.Page = min(max(v.Pager.Page, 1), v.Pager.Pages)
	if q.Get("cursor") != "" {
		v.Pager.First = with(path, "cursor", "", "page", "")
	}
	if page.NextCursor != nil {
		v.Pager.Next = with(path, "cursor", *page.NextCursor, "page", strconv.Itoa(v.Pager.Page+1))
	}
	return nil
}

// gradeCount is how many of a tier's members have the grade ("" for all).
func gradeCount(t tierJSON, grade string) int {
	switch grade {
	case "":
		return t.Members
	case "A":
		return t.A
	case "B":
		return t.B
	case "C":
		return t.C
	case "D":
		return t.D
	}
	return t.Unknown
}

// chainDownload serves the chain graph as DOT or JSON, as the API does, for saving.
func (s *Server) chainDownload(c *call) error {
	// The API checks the code (400 invalid_uscc) and who may see the chain (404).
	leader := url.PathEscape(c.r.PathValue("leader"))
	var accept, ext string
	switch c.r.PathValue("file") {
	case "graph.dot":
		accept, ext = "text/vnd.graphviz", "dot"
	case "graph.json":
		accept, ext = "application/json", "json"
	default:
		return errNotFound
	}
	b, err := c.fetch("/chains/"+leader+"/graph", map[string][]string{"format": {ext}}, accept)
	if err != nil {
		return err
	}
	c.w.Header().Set("Content-Type", b.header.Get("Content-Type"))
	c.w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="chain-%s.%s"`, leader, ext))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(b.body.Bytes())
	return nil
}
