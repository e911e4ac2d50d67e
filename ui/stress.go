package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/tokens"
)

// The stress test (POST /api/v1/stress, DebtRank): the caller picks firms to fail —
// a chain's members by checkbox, firms found by name, or USCCs typed in — and a shock
// size, and sees the systemic loss R, the defaults and the firms hit hardest; run from
// a chain, its graph is drawn with the firms coloured by their distress h. The page is
// a GET form: a run is a link, and changes nothing.

const (
	stressTop      = 20   // rows of the impact table
	stressGraphTop = 1000 // impacts asked for to colour a chain's graph (the API's most)
	maxStressFirms = 500  // firms one page run may fail
)

// Colours of the stress graph's categories: shocked, h ≥ 0.5, h ≥ 0.1, h > 0, not hit.
var stressColors = []string{"#6a1b9a", "#c62828", "#ef6c00", "#f9a825", "#bdbdbd"}

type stressRequestJSON struct {
	Shocks []shockJSON `json:"shocks"`
	Top    int         `json:"top"`
}

type shockJSON struct {
	USCC string  `json:"uscc"`
	Psi  float64 `json:"psi"`
}

type impactJSON struct {
	USCC    string  `json:"uscc"`
	Name    string  `json:"name"`
	Grade   string  `json:"grade"`
	H       float64 `json:"h"`
	Value   float64 `json:"value"`
	Shocked bool    `json:"shocked"`
}

type stressJSON struct {
	Scope      string       `json:"scope"`
	Firms      int          `json:"firms"`
	R          float64      `json:"R"`
	Defaults   int          `json:"defaults"`
	Iterations int          `json:"iterations"`
	Top        []impactJSON `json:"top"`
}

// stressNode is a chain graph's node with the firm's distress after the shock.
type stressNode struct {
	graphNode
	H       float64 `json:"h"`
	Shocked bool    `json:"shocked"`
}

type stressGraph struct {
	Nodes       []stressNode    `json:"nodes"`
	Links       []graphLink     `json:"links"`
	Categories  []graphCategory `json:"categories"`
	Shown       int             `json:"shown"`
	Total       int             `json:"total"`
	SingleLabel string          `json:"singleLabel"`
}

type stressView struct {
	Leader string
	Chain  *chainJSON
	// Fail are the firms picked; Firms the text field; Psi the shock size; Q the name
	// searched for and Found its firms.
	Fail  map[string]bool
	Firms string
	Psi   string
	Q     string
	Found []firmHit
	// Result is the run's answer (nil before a run), Top its first rows, Graph the
	// chain's graph coloured by h.
	Result *stressJSON
	Top    []impactJSON
	Graph  *stressGraph
}

type firmHit struct {
	USCC  string `json:"uscc"`
	Name  string `json:"name"`
	Grade string `json:"grade"`
}

// stressPage shows the stress test's form and, when firms are picked, its run.
func (s *Server) stressPage(c *call) error {
	q := c.r.URL.Query()
	v := stressView{Leader: strings.TrimSpace(q.Get("leader")), Fail: map[string]bool{}, Firms: q.Get("firms"),
		Psi: strings.TrimSpace(q.Get("psi")), Q: strings.TrimSpace(q.Get("q"))}
	if v.Leader == "" && c.sess.who.Role == tokens.RoleTenant {
		v.Leader = c.sess.who.Leader
	}
	var g graphJSON
	if v.Leader != "" {
		// The summary, and the members the graph draws as the chain page reads them:
		// never the whole chain, whatever its size.
		v.Chain = &chainJSON{}
		leader := url.PathEscape(v.Leader)
		if err := c.get("/chains/"+leader, nil, v.Chain); err != nil {
			return err
		}
		members, gp, err := s.graphMembers(c, leader, v.Chain)
		if err != nil {
			return err
		}
		v.Chain.Members, g = members, *gp
	}
	if v.Q != "" {
		var found struct {
			Firms []firmHit `json:"firms"`
		}
		if err := c.get("/enterprises", url.Values{"q": {v.Q}, "limit": {"20"}}, &found); err != nil {
			return err
		}
		v.Found = found.Firms
	}
	fail := pickedFirms(q["fail"], v.Firms)
	for _, u := range fail {
		v.Fail[u] = true
	}
	if len(fail) > 0 {
		if err := c.runStress(&v, fail, &g); err != nil {
			return err
		}
	}
	return c.render(http.StatusOK, "stress", c.t("stress.title"), v)
}

// pickedFirms are the checked firms and those of the text field (separated by
// spaces, commas or semicolons), upper-cased, each once, in order.
func pickedFirms(checked []string, typed string) []string {
	var out []string
	fields := strings.FieldsFunc(typed, func(r rune) bool {
		return r == ',' || r == ';' || r == '，' || r == '；' || r == ' ' || r == '\n' || r == '\r' || r == '\t' || r == '　'
	})
	for _, u := range append(slices.Clone(checked), fields...) {
		u = strings.ToUpper(strings.TrimSpace(u))
		if u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// runStress posts the shocks and fills the answer into v; the API checks the codes,
// the shock size and what the caller may fail (a tenant: firms of its chain).
func (c *call) runStress(v *stressView, fail []string, g *graphJSON) error {
	if len(fail) > maxStressFirms {
		return badRequest("at most " + strconv.Itoa(maxStressFirms) + " firms to fail on this page")
	}
	psi := 1.0
	if v.Psi != "" {
		p, err := strconv.ParseFloat(v.Psi, 64)
		if err != nil {
			return badRequest("psi: " + strconv.Quote(v.Psi) + " is not a number from 0 to 1")
		}
		psi = p
	}
	req := stressRequestJSON{Top: stressTop}
	if v.Chain != nil {
		req.Top = stressGraphTop
	}
	for _, u := range fail {
		req.Shocks = append(req.Shocks, shockJSON{USCC: u, Psi: psi})
	}
	var res stressJSON
	if err := c.sendJSON("POST", "/stress", req, &res); err != nil {
		return err
	}
	v.Result, v.Top = &res, res.Top[:min(len(res.Top), stressTop)]
	if v.Chain != nil {
		v.Graph = c.stressGraph(v.Chain, g, &res)
	}
	return nil
}

// stressGraph draws the chain's graph as the chain page does, coloured by each
// member's distress h after the shock.
func (c *call) stressGraph(ch *chainJSON, g *graphJSON, res *stressJSON) *stressGraph {
	base := buildGraph(ch, ch.Members, g, c.s.opts.GraphCap, c.t("chain.single"), c.t("grade.unknown"))
	hit := map[string]impactJSON{}
	for _, im := range res.Top {
		hit[im.USCC] = im
	}
	out := &stressGraph{Links: base.Links, Shown: base.Shown, Total: base.Total, SingleLabel: base.SingleLabel}
	names := []string{c.t("stress.shocked"), c.t("stress.high"), c.t("stress.mid"), c.t("stress.low"), c.t("stress.nothit")}
	for i, name := range names {
		out.Categories = append(out.Categories, graphCategory{Name: name, ItemStyle: map[string]string{"color": stressColors[i]}})
	}
	for _, n := range base.Nodes {
		im, ok := hit[n.ID]
		sn := stressNode{graphNode: n, H: im.H, Shocked: im.Shocked}
		switch {
		case ok && im.Shocked:
			sn.Category = 0
		case ok && im.H >= 0.5:
			sn.Category = 1
		case ok && im.H >= 0.1:
			sn.Category = 2
		case ok && im.H > 0:
			sn.Category = 3
		default:
			sn.Category = 4
		}
		out.Nodes = append(out.Nodes, sn)
	}
	return out
}
