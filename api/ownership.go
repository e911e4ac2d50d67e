package api

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/visibility"
)

// maxOwnershipNodes bounds the ownership graph one export answers (nodes, and
// links): room for a firm with 10,000 holders and their own, a few MB of JSON.
var maxOwnershipNodes = 20000

// relatedJSON is a related party of a firm in the enterprise answer: its actual
// controller, a majority holder (penetrated share above 1/2), or both.
type relatedJSON struct {
	partyJSON
	// Relation lists actual_controller and/or majority_holder.
	Relation   []string `json:"relation"`
	Distressed bool     `json:"distressed"`
}

// related reports the related parties of a firm the caller sees, persons'
// names masked for its role, and whether the holder search was complete.
func (rq *request) related(st *monitor.State, uscc string) ([]relatedJSON, bool, error) {
	out := []relatedJSON{}
	if !rq.who.View().SeesRelatedOf(uscc) {
		return out, true, nil
	}
	parties, complete, err := st.RelatedParties(rq.r.Context(), rq.s.b.Store(), uscc, rq.cfg.Checks.OwnershipParams())
	if err != nil {
		return nil, false, storeError(err)
	}
	for i := range parties {
		p := &parties[i]
		x := relatedJSON{partyJSON: partyOf(st, &p.CheckParty), Relation: []string{}, Distressed: p.Distressed}
		if p.Kind == ownership.Person {
			x.Name = visibility.PersonName(rq.who.Role, x.Name)
		}
		if p.Controller {
			x.Relation = append(x.Relation, "actual_controller")
		}
		if p.Majority {
			x.Relation = append(x.Relation, "majority_holder")
		}
		out = append(out, x)
	}
	return out, complete, nil
}

// ownershipJSON answers GET /api/v1/enterprises/{uscc}/ownership.
type ownershipJSON struct {
	USCC   string              `json:"uscc"`
	Depth  int                 `json:"depth"`
	Nodes  []ownershipNodeJSON `json:"nodes"`
	Links  []ownershipLinkJSON `json:"links"`
	ScanID int64               `json:"scan_id"`
}

// ownershipNodeJSON is a firm or person of the ownership graph.
type ownershipNodeJSON struct {
	HolderKind string `json:"holder_kind"`
	USCC       string `json:"uscc,omitempty"`
	PersonID   string `json:"person_id,omitempty"`
	Name       string `json:"name"`
	// Up and Down are its distance above and below the firm (null when not
	// reached that way).
	Up   *int `json:"up"`
	Down *int `json:"down"`
	// Grade and Status are a firm's, when the state holds it.
	Grade  string `json:"grade,omitempty"`
	Status string `json:"status,omitempty"`
	// Relation lists actual_controller and/or majority_holder for the firm's
	// related parties.
	Relation []string `json:"relation,omitempty"`
}

type ownershipLinkJSON struct {
	Holder     string  `json:"holder"`
	HolderKind string  `json:"holder_kind"`
	Investee   string  `json:"investee"`
	Share      float64 `json:"share"`
}

func (s *Server) getOwnership(rq *request) error {
	uscc, err := rq.pathUSCC("uscc")
	if err != nil {
		return err
	}
	format, err := enumParam(rq.r, "format", "json", "json", "dot")
	if err != nil {
		return err
	}
	p := rq.cfg.Checks.OwnershipParams()
	depth, err := intParam(rq.r, "depth", p.Depth, 1, ownership.MaxDepth)
	if err != nil {
		return err
	}
	st, e, err := rq.enterprise(uscc)
	if err != nil {
		return err
	}
	doc, err := rq.ownership(st, uscc, depth, p)
	if err != nil {
		return err
	}
	if len(doc.Nodes) == 0 { // a firm the registry does not hold: itself alone
		doc.Nodes = []ownershipNodeJSON{{HolderKind: "firm", USCC: uscc, Name: e.Name, Up: ptr(0), Down: ptr(0)}}
	}
	if format == "json" {
		return rq.json(http.StatusOK, doc)
	}
	rq.w.Header().Set("Content-Type", mediaDOT+"; charset=utf-8")
	rq.w.WriteHeader(http.StatusOK)
	_, _ = rq.w.Write(doc.dot())
	return nil
}

// ownership builds the export: the registry's neighbourhood of the firm, each
// node as the caller may see it (visibility.View.SeesOwnershipNode).
func (rq *request) ownership(st *monitor.State, uscc string, depth int, p ownership.Params) (*ownershipJSON, error) {
	doc := &ownershipJSON{USCC: uscc, Depth: depth, Nodes: []ownershipNodeJSON{}, Links: []ownershipLinkJSON{}, ScanID: st.ScanID}
	reg := st.Owners
	if reg == nil {
		return doc, nil
	}
	n, err := reg.Around(uscc, depth, maxOwnershipNodes)
	if errors.Is(err, ownership.ErrTooLarge) {
		return nil, errorf(http.StatusUnprocessableEntity, codeOwnershipTooLarge,
			"the ownership graph within %d holdings of %s has more than %d nodes or links: lower depth", depth, uscc, maxOwnershipNodes)
	}
	if err != nil || n == nil {
		return doc, err
	}
	relation := map[int32][]string{}
	if rel, err := st.Related(uscc, p); err == nil {
		if c := rel.Controller.Node; c >= 0 {
			relation[c] = append(relation[c], "actual_controller")
		}
		for _, m := range rel.Majority {
			relation[m.Node] = append(relation[m.Node], "majority_holder")
		}
	}
	view := rq.who.View()
	kept := make([]bool, len(n.Nodes))
	for i, x := range n.Nodes {
		_, related := relation[x.Node]
		if i > 0 && !view.SeesOwnershipNode(uscc, x.Key, x.Kind == ownership.Firm, related) {
			continue
		}
		kept[i] = true
		doc.Nodes = append(doc.Nodes, rq.ownershipNode(st, x, relation[x.Node]))
	}
	for _, l := range n.Links {
		if kept[l.Holder] && kept[l.Investee] {
			h := n.Nodes[l.Holder]
			doc.Links = append(doc.Links, ownershipLinkJSON{Holder: h.Key, HolderKind: h.Kind.String(),
				Investee: n.Nodes[l.Investee].Key, Share: l.Share})
		}
	}
	return doc, nil
}

func (rq *request) ownershipNode(st *monitor.State, x ownership.Near, relation []string) ownershipNodeJSON {
	out := ownershipNodeJSON{HolderKind: x.Kind.String(), Relation: relation}
	if x.Up >= 0 {
		out.Up = ptr(x.Up)
	}
	if x.Down >= 0 {
		out.Down = ptr(x.Down)
	}
	if x.Kind == ownership.Person {
		out.PersonID, out.Name = x.Key, visibility.PersonName(rq.who.Role, st.People[x.Key])
		return out
	}
	out.USCC = x.Key
	if v, ok := st.Index(x.Key); ok {
		out.Name, out.Grade, out.Status = st.Firms[v].Name, st.Grade[v].String(), string(st.Firms[v].Status)
	}
	return out
}

// dot renders the export in Graphviz DOT: holders above the firms they hold,
// firms as boxes filled by grade, persons as ellipses, links labelled with the
// share in per cent.
func (doc *ownershipJSON) dot() []byte {
	var b bytes.Buffer
	q := func(s string) string { return strconv.Quote(s) }
	fmt.Fprintf(&b, "digraph ownership {\n\tlabel=%s;\n\trankdir=TB;\n\tnode [style=filled];\n",
		q(fmt.Sprintf("ownership of %s (depth %d)", doc.USCC, doc.Depth)))
	for _, x := range doc.Nodes {
		key, shape, fill := x.USCC, "box", graph.GradeColor(x.Grade)
		if x.HolderKind == "person" {
			key, shape, fill = x.PersonID, "ellipse", "#ffffff"
		}
		label := key
		if x.Name != "" {
			label = x.Name + "\n" + key
		}
		if x.Grade != "" {
			label += "\n" + x.Grade
		}
		attrs := fmt.Sprintf("label=%s, shape=%s, fillcolor=%s", q(label), shape, q(fill))
		if len(x.Relation) > 0 {
			attrs += ", penwidth=3, tooltip=" + q(strings.Join(x.Relation, ", "))
		}
		fmt.Fprintf(&b, "\t%s [%s];\n", q(x.HolderKind+":"+key), attrs)
	}
	for _, l := range doc.Links {
		fmt.Fprintf(&b, "\t%s -> %s [label=%s];\n", q(l.HolderKind+":"+l.Holder), q("firm:"+l.Investee),
			q(strconv.FormatFloat(math.Round(l.Share*1e4)/100, 'f', -1, 64)+"%"))
	}
	b.WriteString("}\n")
	return b.Bytes()
}
