package ui

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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

// chainPage shows a leader's chain (GET /api/v1/chains/{leader} and its /graph).
func (s *Server) chainPage(c *call) error {
	// The API checks the code (400 invalid_uscc) and who may see the chain (404).
	leader := url.PathEscape(c.r.PathValue("leader"))
	var ch chainJSON
	if err := c.get("/chains/"+leader, nil, &ch); err != nil {
		return err
	}
	var g graphJSON
	if err := c.get("/chains/"+leader+"/graph", nil, &g); err != nil {
		return err
	}
	v := chainView{Chain: &ch, Names: map[string]string{}, Grades: gradeNames}
	v.Graph = buildGraph(&ch, &g, s.opts.GraphCap, c.t("chain.single"), c.t("grade.unknown"))
	v.Capped = v.Graph.Shown < v.Graph.Total
	for _, m := range ch.Members {
		v.Names[m.USCC] = m.Name
		if !slices.Contains(v.Tiers, m.Tier) {
			v.Tiers = append(v.Tiers, m.Tier)
		}
	}
	q := c.r.URL.Query()
	v.Tier, v.Grade = q.Get("tier"), q.Get("grade")
	members := slices.Clone(ch.Members)
	members = slices.DeleteFunc(members, func(m memberJSON) bool {
		if v.Tier != "" && strconv.Itoa(m.Tier) != v.Tier {
			return true
		}
		return v.Grade != "" && m.Grade != v.Grade && !(v.Grade == "unknown" && m.Grade == "")
	})
	// Upstream tiers first, then customers; within a tier the most distressed first.
	slices.SortStableFunc(members, func(a, b memberJSON) int {
		return cmp.Or(cmp.Compare(tierOrder(a.Tier), tierOrder(b.Tier)), -cmp.Compare(a.D, b.D), cmp.Compare(a.USCC, b.USCC))
	})
	lo, hi, pg := paginate(pathWithout(c.r, "lang"), q.Get("page"), len(members), membersPerPage)
	v.Members, v.Pager = members[lo:hi], pg
	for _, cn := range ch.Concentration {
		row := concentrationRow{concentrationJSON: cn, Name: v.Names[cn.USCC]}
		for _, ss := range cn.SingleSource {
			row.Single = append(row.Single, singleRow{singleSourceJSON: ss, Name: v.Names[ss.Supplier]})
		}
		v.Conc = append(v.Conc, row)
	}
	return c.render(http.StatusOK, "chain", ch.Name+" · "+c.t("chain.title"), v)
}

// tierOrder sorts the leader (0) first, then suppliers 1, 2, …, then customers −1, −2, ….
func tierOrder(t int) int {
	if t < 0 {
		return 1000 - t
	}
	return t
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
