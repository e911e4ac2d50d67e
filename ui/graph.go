package ui

import (
	"cmp"
	"math"
	"slices"
)

// The chain graph is drawn by ECharts (assets/console.js hands it these nodes and
// links as a "graph" series with layout "none"): members stand in tier columns —
// upstream suppliers to the left, the leader in the middle, customers to the right —
// ranked top-down within their tier. Colour is the grade (an ECharts category per
// grade), size the member's contribution to the leader's chain risk.

// gradeNames are the graph's categories, in order.
var gradeNames = []string{"A", "B", "C", "D", "unknown"}

// gradeColors colour the grades (categories) the same as the tables do (app.css).
var gradeColors = map[string]string{"A": "#2e7d32", "B": "#1565c0", "C": "#ef6c00", "D": "#c62828", "unknown": "#757575"}

const (
	columnGap = 260.0 // x between tiers, at least
	rowGap    = 34.0  // y between members of a tier
)

type graphNode struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	X          float64 `json:"x"`
	Y          float64 `json:"y"`
	SymbolSize float64 `json:"symbolSize"`
	Category   int     `json:"category"`
	// Value is the contribution (0 when the API does not list the member among the
	// top contributors); Tier, Grade and D feed the tooltip.
	Value float64 `json:"value"`
	Tier  int     `json:"tier"`
	Grade string  `json:"grade"`
	D     float64 `json:"d"`
	// Label names the leader and the top contributors on the graph itself.
	Label *nodeLabel `json:"label,omitempty"`
}

type nodeLabel struct {
	Show bool `json:"show"`
}

type lineStyle struct {
	Color string  `json:"color"`
	Width float64 `json:"width"`
	Type  string  `json:"type"`
}

type graphLink struct {
	Source       string    `json:"source"`
	Target       string    `json:"target"`
	SingleSource bool      `json:"singleSource"`
	Share        float64   `json:"share"`
	LineStyle    lineStyle `json:"lineStyle"`
}

type graphCategory struct {
	Name      string            `json:"name"`
	ItemStyle map[string]string `json:"itemStyle"`
}

// chartGraph is the chain graph's data for the page.
type chartGraph struct {
	Nodes      []graphNode     `json:"nodes"`
	Links      []graphLink     `json:"links"`
	Categories []graphCategory `json:"categories"`
	// Shown and Total count the members drawn and in the chain.
	Shown int `json:"shown"`
	Total int `json:"total"`
	// SingleLabel names a single-source link in the tooltip.
	SingleLabel string `json:"singleLabel"`
}

// buildGraph lays out the chain's members, at most limit of them: the leader, then
// the members by contribution (as the API ranks its top contributors), then by
// distress d, then USCC.
func buildGraph(ch *chainJSON, members []memberJSON, g *graphJSON, limit int, singleLabel, unknownLabel string) chartGraph {
	contrib := map[string]float64{}
	maxC := 0.0
	for _, tc := range ch.TopContributors {
		contrib[tc.USCC] = tc.Contribution
		maxC = max(maxC, tc.Contribution)
	}
	members = slices.Clone(members)
	slices.SortStableFunc(members, func(a, b memberJSON) int {
		if (a.USCC == ch.Leader) != (b.USCC == ch.Leader) {
			if a.USCC == ch.Leader {
				return -1
			}
			return 1
		}
		return cmp.Or(-cmp.Compare(contrib[a.USCC], contrib[b.USCC]), -cmp.Compare(a.D, b.D), cmp.Compare(a.USCC, b.USCC))
	})
	out := chartGraph{Total: max(ch.MemberCount, len(members)), SingleLabel: singleLabel}
	members = members[:min(len(members), limit)]
	out.Shown = len(members)
	shown := map[string]bool{}
	rows := map[int]int{} // members placed per tier so far
	perTier := map[int]int{}
	maxRows := 0
	for _, m := range members {
		perTier[m.Tier]++
		maxRows = max(maxRows, perTier[m.Tier])
	}
	// Columns spread so that the drawing is about twice as wide as tall, as the
	// chart's box is: ECharts keeps the aspect when it fits the layout in.
	gap := max(columnGap, 2*float64(maxRows-1)*rowGap/float64(max(len(perTier)-1, 1)))
	for _, m := range members {
		shown[m.USCC] = true
		cat := slices.Index(gradeNames, m.Grade)
		if cat < 0 {
			cat = len(gradeNames) - 1
		}
		size := 8 + 6*m.D // members outside the top contributors stay small
		if c, ok := contrib[m.USCC]; ok && maxC > 0 {
			size = 16 + 34*math.Sqrt(c/maxC)
		}
		if m.USCC == ch.Leader {
			size = 40
		}
		var label *nodeLabel
		if _, ok := contrib[m.USCC]; ok || m.USCC == ch.Leader {
			label = &nodeLabel{Show: true}
		}
		row := rows[m.Tier]
		rows[m.Tier]++
		out.Nodes = append(out.Nodes, graphNode{ID: m.USCC, Name: m.Name, X: -float64(m.Tier) * gap,
			Y: (float64(row) - float64(perTier[m.Tier]-1)/2) * rowGap, SymbolSize: math.Round(size*10) / 10,
			Category: cat, Value: contrib[m.USCC], Tier: m.Tier, Grade: m.Grade, D: m.D, Label: label})
	}
	single := map[[2]string]bool{}
	for _, cn := range ch.Concentration {
		for _, ss := range cn.SingleSource {
			single[[2]string{ss.Supplier, cn.USCC}] = true
		}
	}
	for _, e := range g.Edges {
		if !shown[e.Supplier] || !shown[e.Customer] {
			continue
		}
		l := graphLink{Source: e.Supplier, Target: e.Customer, Share: e.PurchaseShare,
			LineStyle: lineStyle{Color: "#9e9e9e", Width: 1, Type: "solid"}}
		if single[[2]string{e.Supplier, e.Customer}] {
			l.SingleSource, l.LineStyle = true, lineStyle{Color: "#c62828", Width: 4, Type: "solid"}
		}
		out.Links = append(out.Links, l)
	}
	for _, gn := range gradeNames {
		name := gn
		if gn == "unknown" {
			name = unknownLabel
		}
		out.Categories = append(out.Categories, graphCategory{Name: name, ItemStyle: map[string]string{"color": gradeColors[gn]}})
	}
	return out
}
