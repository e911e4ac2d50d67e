package graph

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	dgraph "github.com/dominikbraun/graph"
	"github.com/dominikbraun/graph/draw"
)

// NodeInfo is what the caller knows about a firm beyond the graph.
type NodeInfo struct {
	Name  string // shown in DOT labels and JSON; optional
	Grade string // "A", "B", "C", "D", or "" when unknown
}

// Describe returns the NodeInfo of a snapshot node; nil describes nothing.
type Describe func(node int32) NodeInfo

func (d Describe) of(v int32) NodeInfo {
	if d == nil {
		return NodeInfo{}
	}
	return d(v)
}

// GradeColor is the DOT fill colour of a grade.
func GradeColor(g string) string {
	switch g {
	case "A":
		return "#66bb6a" // green
	case "B":
		return "#64b5f6" // blue
	case "C":
		return "#ffa726" // orange
	case "D":
		return "#ef5350" // red
	}
	return "#e0e0e0" // unknown
}

// dotEscape makes s safe inside a double-quoted DOT string.
func dotEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", " ").Replace(s)
}

func shareText(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

// Graph returns the chain as a directed github.com/dominikbraun/graph graph
// keyed by firm id, edges supplier → customer. Vertex attributes: tier,
// grade, and DOT styling (label, fillcolor, shape); edge attributes: the
// shares, a label and a pen width growing with the purchase share; edge Data
// holds the EdgeAttrs. The library's map-based model suits a chain of
// hundreds or thousands of firms; never build it for the whole snapshot.
func (c *Chain) Graph(describe Describe) (dgraph.Graph[string, string], error) {
	g := dgraph.New(dgraph.StringHash, dgraph.Directed())
	for _, m := range c.Members {
		info := describe.of(m.Node)
		// Parts are escaped one by one so that the \n line breaks survive.
		label := dotEscape(m.ID)
		if info.Name != "" {
			label = dotEscape(info.Name) + `\n` + label
		}
		label += `\ntier ` + strconv.Itoa(m.Tier)
		if info.Grade != "" {
			label += " · " + dotEscape(info.Grade)
		}
		shape := "box"
		if m.Node == c.Leader {
			shape = "doubleoctagon"
		}
		attrs := map[string]string{
			"label":     label,
			"tier":      strconv.Itoa(m.Tier),
			"grade":     dotEscape(info.Grade),
			"style":     "filled",
			"fillcolor": GradeColor(info.Grade),
			"shape":     shape,
		}
		if err := g.AddVertex(m.ID, dgraph.VertexAttributes(attrs), dgraph.VertexWeight(1)); err != nil {
			return nil, fmt.Errorf("graph: chain subgraph: vertex %s: %w", m.ID, err)
		}
	}
	for _, l := range c.Links {
		a := c.snap.Attrs(l.Edge)
		attrs := map[string]string{
			"label":            "ps " + shareText(a.PurchaseShare) + " / ss " + shareText(a.SalesShare),
			"purchase_share":   strconv.FormatFloat(a.PurchaseShare, 'g', -1, 64),
			"sales_share":      strconv.FormatFloat(a.SalesShare, 'g', -1, 64),
			"substitutability": strconv.FormatFloat(a.Substitutability, 'g', -1, 64),
			"penwidth":         strconv.FormatFloat(1+3*a.PurchaseShare, 'f', 2, 64),
		}
		if src, est := c.snap.EdgeSource(l.Edge); src != SourceRegistry {
			// The leader's own list: drawn dashed, its source and any estimate named.
			attrs["source"], attrs["style"] = dotEscape(src), "dashed"
			if est {
				attrs["estimated"] = "sales_share"
				attrs["label"] += " (est.)"
			}
		}
		if err := g.AddEdge(c.snap.IDs[l.Supplier], c.snap.IDs[l.Customer],
			dgraph.EdgeAttributes(attrs), dgraph.EdgeData(a), dgraph.EdgeWeight(1)); err != nil {
			return nil, fmt.Errorf("graph: chain subgraph: edge %s → %s: %w", c.snap.IDs[l.Supplier], c.snap.IDs[l.Customer], err)
		}
	}
	return g, nil
}

// WriteDOT renders the chain in Graphviz DOT with draw.DOT, nodes filled by
// grade (A green, B blue, C orange, D red, unknown grey) and edges labelled
// with purchase/sales shares. draw.DOT walks maps, so its statement order
// varies run to run; WriteDOT sorts node statements, then edge statements,
// to give byte-stable output that diffs and golden-tests cleanly.
func (c *Chain) WriteDOT(w io.Writer, describe Describe) error {
	g, err := c.Graph(describe)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	title := fmt.Sprintf("chain of %s (up %d, down %d)", c.snap.IDs[c.Leader], c.Options.DepthUp, c.Options.DepthDown)
	if err := draw.DOT(g, &buf,
		draw.GraphAttribute("label", dotEscape(title)),
		draw.GraphAttribute("rankdir", "LR"),
	); err != nil {
		return fmt.Errorf("graph: chain DOT: %w", err)
	}
	var head, nodes, edges []string
	tail := ""
	for _, line := range strings.Split(buf.String(), "\n") {
		switch t := strings.TrimSpace(line); {
		case t == "":
		case t == "}":
			tail = t
		case strings.HasPrefix(t, `"`) && strings.Contains(t, `" -> "`):
			edges = append(edges, "\t"+t)
		case strings.HasPrefix(t, `"`):
			nodes = append(nodes, "\t"+t)
		default:
			head = append(head, line)
		}
	}
	slices.Sort(nodes)
	slices.Sort(edges)
	out := slices.Concat(head, nodes, edges, []string{tail, ""})
	if _, err := io.WriteString(w, strings.Join(out, "\n")); err != nil {
		return fmt.Errorf("graph: chain DOT: %w", err)
	}
	return nil
}

// ChainDocument is the JSON form of a chain.
type ChainDocument struct {
	Leader    string      `json:"leader"`
	DepthUp   int         `json:"depth_up"`
	DepthDown int         `json:"depth_down"`
	Nodes     []ChainNode `json:"nodes"`
	Edges     []ChainEdge `json:"edges"`
}

// ChainNode is a member in a ChainDocument.
type ChainNode struct {
	USCC  string     `json:"uscc"`
	Name  string     `json:"name,omitempty"`
	Tier  int        `json:"tier"`
	Grade string     `json:"grade,omitempty"`
	Paths [][]string `json:"paths,omitempty"`
}

// ChainEdge is a relation in a ChainDocument.
type ChainEdge struct {
	Supplier         string  `json:"supplier"`
	Customer         string  `json:"customer"`
	PurchaseShare    float64 `json:"purchase_share"`
	SalesShare       float64 `json:"sales_share"`
	Substitutability float64 `json:"substitutability"`
	Amount           float64 `json:"amount,omitempty"`
	// Source is who supplied the relation: "registry", or the leader's USCC for a
	// relation of its own supplier list; Estimated names the figures estimated
	// rather than given (["sales_share"]), empty otherwise.
	Source    string   `json:"source"`
	Estimated []string `json:"estimated"`
}

// Document returns the chain's JSON form: members in Members order with
// their paths as firm ids, relations in Links order.
func (c *Chain) Document(describe Describe) ChainDocument {
	doc := ChainDocument{
		Leader:    c.snap.IDs[c.Leader],
		DepthUp:   c.Options.DepthUp,
		DepthDown: c.Options.DepthDown,
		Nodes:     make([]ChainNode, len(c.Members)),
		Edges:     make([]ChainEdge, len(c.Links)),
	}
	for k, m := range c.Members {
		info := describe.of(m.Node)
		n := ChainNode{USCC: m.ID, Name: info.Name, Tier: m.Tier, Grade: info.Grade}
		for _, p := range m.Paths {
			n.Paths = append(n.Paths, c.PathIDs(p))
		}
		doc.Nodes[k] = n
	}
	for k, l := range c.Links {
		a := c.snap.Attrs(l.Edge)
		src, est := c.snap.EdgeSource(l.Edge)
		doc.Edges[k] = ChainEdge{
			Supplier: c.snap.IDs[l.Supplier], Customer: c.snap.IDs[l.Customer],
			PurchaseShare: a.PurchaseShare, SalesShare: a.SalesShare, Substitutability: a.Substitutability, Amount: a.Amount,
			Source: src, Estimated: []string{},
		}
		if est {
			doc.Edges[k].Estimated = []string{"sales_share"}
		}
	}
	return doc
}
