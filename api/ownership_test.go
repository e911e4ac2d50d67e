package api

import (
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// The demo's carton maker (checkSupplier) is held by checkMiddle (0.6) and two
// persons (0.25, 0.15); checkMiddle by the holding company (0.65) and 萧喜
// (0.35); the holding company by three persons: 胡娜 0.4, 萧喜 0.35, 曹庆 0.25.
// Nothing is held by the carton maker.
const (
	personXue  = "216948222b9619c8fa27" // 薛玉
	personYang = "be5a410fab0ac3ab6be5" // 杨梅
	personXiao = "606879aba27508f57b57" // 萧喜
	personHu   = "25c226149d7f3f39979f" // 胡娜
	personCao  = "4f221ad96f06bdbc82cc" // 曹庆
)

type ownershipAnswer struct {
	USCC  string
	Depth int
	Nodes []struct {
		HolderKind string `json:"holder_kind"`
		USCC       string
		PersonID   string `json:"person_id"`
		Name       string
		Up, Down   *int
		Grade      string
		Relation   []string
	}
	Links []ownershipLinkJSON
}

// key names a node as "kind:key up down relation".
func (a *ownershipAnswer) keys() []string {
	var out []string
	for _, n := range a.Nodes {
		k := n.USCC + n.PersonID
		d := func(p *int) string {
			if p == nil {
				return "-"
			}
			return string(rune('0' + *p))
		}
		out = append(out, n.HolderKind+":"+k+" "+d(n.Up)+d(n.Down)+" "+strings.Join(n.Relation, ","))
	}
	return out
}

func TestOwnershipExport(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		path := "/api/v1/enterprises/" + checkSupplier + "/ownership"
		var a ownershipAnswer
		w := h.call(req{method: "GET", path: path, token: "admin"}, http.StatusOK, &a)
		h.conforms("GET /api/v1/enterprises/{uscc}/ownership", 200, w.Body.Bytes())
		// By distance up, then key; the controller two holdings up, the middle
		// company a majority holder.
		want := []string{"firm:" + checkSupplier + " 00 ",
			"person:" + personXue + " 1- ", "firm:" + checkMiddle + " 1- majority_holder", "person:" + personYang + " 1- ",
			"person:" + personXiao + " 2- ", "firm:" + checkHolding + " 2- actual_controller",
			"person:" + personHu + " 3- ", "person:" + personCao + " 3- "}
		if got := a.keys(); !reflect.DeepEqual(got, want) {
			t.Errorf("nodes\n got %q\nwant %q", got, want)
		}
		links := map[string]float64{}
		for _, l := range a.Links {
			links[l.Holder+">"+l.Investee] = l.Share
		}
		wantLinks := map[string]float64{personXue + ">" + checkSupplier: 0.25, checkMiddle + ">" + checkSupplier: 0.6,
			personYang + ">" + checkSupplier: 0.15, personXiao + ">" + checkMiddle: 0.35, checkHolding + ">" + checkMiddle: 0.65,
			personHu + ">" + checkHolding: 0.4, personXiao + ">" + checkHolding: 0.35, personCao + ">" + checkHolding: 0.25}
		if !reflect.DeepEqual(links, wantLinks) {
			t.Errorf("links\n got %v\nwant %v", links, wantLinks)
		}
		if a.Nodes[5].Grade != "D" || a.Nodes[6].Name != "胡娜" {
			t.Errorf("holding company %+v, person %+v (an admin sees names in full)", a.Nodes[5], a.Nodes[6])
		}
		// Depth 1: the direct holders only.
		var one ownershipAnswer
		h.call(req{method: "GET", path: path + "?depth=1", token: "analyst"}, http.StatusOK, &one)
		if got := one.keys(); len(got) != 4 || len(one.Links) != 3 || one.Depth != 1 {
			t.Errorf("depth 1: %q %v", got, one.Links)
		}
		for _, n := range one.Nodes {
			if n.HolderKind == "person" && !allMasked([]string{n.Name}) {
				t.Errorf("an analyst sees %q", n.Name)
			}
		}
		// DOT: holders drawn above, shares in per cent, the controller bold.
		w = h.call(req{method: "GET", path: path + "?format=dot", token: "admin"}, http.StatusOK, nil)
		dot := w.Body.String()
		for _, s := range []string{"digraph ownership {", `"firm:` + checkHolding + `" -> "firm:` + checkMiddle + `" [label="65%"];`,
			`"person:` + personHu + `" -> "firm:` + checkHolding + `" [label="40%"];`, `penwidth=3, tooltip="actual_controller"`,
			`label="胡娜\n` + personHu + `", shape=ellipse`} {
			if !strings.Contains(dot, s) {
				t.Errorf("DOT lacks %s:\n%s", s, dot)
			}
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, mediaDOT) {
			t.Errorf("DOT content type %q", ct)
		}
		for _, q := range []string{"?depth=0", "?depth=11", "?depth=x", "?format=png"} {
			h.wantError(req{method: "GET", path: path + q, token: "analyst"}, http.StatusBadRequest, codeBadRequest)
		}
		// A tenant of the soybean chain sees the carton maker and its related
		// parties, not the persons or other holders.
		var ta ownershipAnswer
		h.call(req{method: "GET", path: path, token: "tenantA"}, http.StatusOK, &ta)
		wantA := []string{"firm:" + checkSupplier + " 00 ", "firm:" + checkMiddle + " 1- majority_holder",
			"firm:" + checkHolding + " 2- actual_controller"}
		if got := ta.keys(); !reflect.DeepEqual(got, wantA) || len(ta.Links) != 2 {
			t.Errorf("tenant A sees\n %q %v\nwant %q", got, ta.Links, wantA)
		}
		// The dairy chain overlaps the soybean one: when it holds the carton maker
		// too, tenant B sees what tenant A does; else nothing.
		if h.scopeB[checkSupplier] {
			var tb ownershipAnswer
			h.call(req{method: "GET", path: path, token: "tenantB"}, http.StatusOK, &tb)
			if !reflect.DeepEqual(tb, ta) {
				t.Errorf("tenant B sees %q, tenant A %q", tb.keys(), ta.keys())
			}
		} else {
			h.wantError(req{method: "GET", path: path, token: "tenantB"}, http.StatusNotFound, codeNotFound)
		}
	})
}

// The enterprise answer's related parties: the holding company controls the
// carton maker with a penetrated share of 0.65 · 0.6 = 0.39, the middle
// company holds 0.6 of it directly.
func TestEnterpriseRelated(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		for _, token := range []string{"admin", "tenantA"} {
			var e struct {
				Related         []relatedJSON
				RelatedComplete bool `json:"related_complete"`
			}
			w := h.call(req{method: "GET", path: "/api/v1/enterprises/" + checkSupplier, token: token}, http.StatusOK, &e)
			h.conforms("GET /api/v1/enterprises/{uscc}", 200, w.Body.Bytes())
			if len(e.Related) != 2 || !e.RelatedComplete {
				t.Fatalf("%s: related %+v", token, e.Related)
			}
			c, m := e.Related[0], e.Related[1]
			if c.USCC != checkHolding || !reflect.DeepEqual(c.Relation, []string{"actual_controller"}) || !c.Distressed ||
				c.Grade != "D" || math.Abs(c.PenetratedShare-0.39) > 1e-12 ||
				!reflect.DeepEqual(c.Path, []string{checkHolding, checkMiddle, checkSupplier}) || len(c.SevereEvents) == 0 {
				t.Errorf("%s: controller %+v", token, c)
			}
			if m.USCC != checkMiddle || !reflect.DeepEqual(m.Relation, []string{"majority_holder"}) || m.Share != 0.6 ||
				m.PenetratedShare != 0.6 {
				t.Errorf("%s: majority holder %+v", token, m)
			}
		}
		// A firm without holders has none.
		var e struct{ Related []relatedJSON }
		h.call(req{method: "GET", path: "/api/v1/enterprises/" + h.leaderA, token: "admin"}, http.StatusOK, &e)
		if e.Related == nil || len(e.Related) != 0 {
			t.Errorf("the soybean leader's related parties %+v", e.Related)
		}
	})
}
