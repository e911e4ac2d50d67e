package api

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store/storetest"
)

// keys returns the keys of a JSON object.
func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not an object: %s", raw)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func hasKeys(t *testing.T, what string, raw json.RawMessage, want ...string) {
	t.Helper()
	got := keys(t, raw)
	for _, k := range want {
		if !slices.Contains(got, k) {
			t.Errorf("%s lacks %q (has %v)", what, k, got)
		}
	}
}

func TestEnterpriseEndpoints(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		st := h.b.State()
		farm := h.firm(farmCompany)
		var raw json.RawMessage
		h.get("/api/v1/enterprises/"+farm, &raw)
		hasKeys(t, "enterprise", raw, "uscc", "name", "status", "score", "grade", "p", "d", "explanation", "events",
			"history", "model_version", "score_breakdown", "chains", "region", "industry", "tags", "contagion")
		h.conforms("GET /api/v1/enterprises/{uscc}", 200, raw)
		var e struct {
			USCC, Name, Status, Grade string
			ModelVersion              string `json:"model_version"`
			Score, P, D               float64
			Explanation               []struct {
				Kind, Type, Rule string
				EventID          string `json:"event_id"`
				Effective        float64
			}
			ScoreBreakdown struct{ Base, Negative, PositiveCapped, Score float64 } `json:"score_breakdown"`
			Events         []struct {
				EventID               string `json:"event_id"`
				Type, Severity, State string
			}
			History []struct{ Grade string }
			Chains  []struct {
				Leader string
				Tier   int
			}
		}
		_ = json.Unmarshal(raw, &e)
		v, _ := st.Index(farm)
		if e.USCC != farm || e.Name != farmCompany || e.Grade != "D" || e.Score != st.Score[v] || e.P != st.P[v] ||
			e.D != st.D[v] || e.ModelVersion != st.Params.Model.Version {
			t.Errorf("farm company: %+v", e)
		}
		// "Why is this firm D?": the recomputed score is the scan's, the breakdown adds
		// up, and the critical-event rule is listed after the events, worst first.
		b := e.ScoreBreakdown
		if math.Abs(b.Score-e.Score) > 1e-9 || math.Abs(min(max(b.Base+b.Negative+b.PositiveCapped, 0), 1000)-e.Score) > 1e-9 {
			t.Errorf("breakdown %+v vs score %v", e.ScoreBreakdown, e.Score)
		}
		var rules []string
		prev := math.Inf(-1)
		for _, x := range e.Explanation {
			if x.Kind == "rule" {
				rules = append(rules, x.Rule)
				continue
			}
			if len(rules) > 0 || x.Effective < prev {
				t.Errorf("explanation out of order: %+v", e.Explanation)
			}
			prev = x.Effective
		}
		if !slices.Contains(rules, "critical_event_caps_grade_at_D") || !slices.Contains(rules, "score_clamped_to_0_1000") {
			t.Errorf("rules %v", rules)
		}
		if len(e.Events) < 5 || len(e.Explanation) != len(e.Events)+len(rules) || len(e.History) == 0 {
			t.Errorf("%d events, %d explanation entries, %d history", len(e.Events), len(e.Explanation), len(e.History))
		}
		for _, ev := range e.Events {
			if ev.State != "active" || ev.EventID == "" || ev.Severity == "" {
				t.Errorf("active event %+v", ev)
			}
		}
		if len(e.Chains) != 1 || e.Chains[0].Leader != h.leaderA || e.Chains[0].Tier != 2 {
			t.Errorf("chains %+v, want tier 2 of the soybean leader", e.Chains)
		}

		// All events, repaired ones included, with their state.
		foundry := h.firm("哈尔滨白山天润铸造有限公司")
		var evs struct {
			USCC   string
			Events []struct {
				State      string
				RepairedAt *string `json:"repaired_at"`
			}
		}
		w := h.call(req{method: "GET", path: "/api/v1/enterprises/" + foundry + "/events", token: "analyst"}, 200, &evs)
		h.conforms("GET /api/v1/enterprises/{uscc}/events", 200, w.Body.Bytes())
		repaired := 0
		for _, ev := range evs.Events {
			if ev.State == "repaired" && ev.RepairedAt != nil {
				repaired++
			}
		}
		if evs.USCC != foundry || repaired == 0 {
			t.Errorf("foundry events: %+v", evs)
		}
		var active json.RawMessage
		h.get("/api/v1/enterprises/"+foundry, &active)
		if strings.Contains(string(active), `"repaired"`) {
			t.Errorf("a repaired event among the active ones: %s", active)
		}

		// A valid code the store does not hold.
		w = h.call(req{method: "GET", path: "/api/v1/enterprises/" + storetest.USCC(424242), token: "admin"}, 404, nil)
		h.conforms("GET /api/v1/enterprises/{uscc}", 404, w.Body.Bytes())
	})
}

func TestChainEndpoints(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		st := h.b.State()
		var raw json.RawMessage
		h.get("/api/v1/chains/"+h.leaderA+"?members=all", &raw)
		hasKeys(t, "chain", raw, "leader", "chain_risk", "supply_at_risk", "demand_at_risk", "members",
			"top_contributors", "concentration", "tiers", "depth_up", "depth_down")
		h.conforms("GET /api/v1/chains/{leader}", 200, raw)
		var c struct {
			Leader                                string
			ChainRisk, SupplyAtRisk, DemandAtRisk float64 `json:"-"`
			Members                               []json.RawMessage
			TopContributors                       []struct {
				USCC string
				Path []string
			} `json:"top_contributors"`
			Concentration []struct {
				USCC         string
				SingleSource []struct{ Supplier string } `json:"single_source"`
			}
			OnDemand bool `json:"on_demand"`
		}
		_ = json.Unmarshal(raw, &c)
		x, _ := st.Chain(h.leaderA)
		if c.Leader != h.leaderA || len(c.Members) != x.Size || c.OnDemand || len(c.TopContributors) == 0 {
			t.Fatalf("chain: leader %s, %d members (want %d), on demand %v", c.Leader, len(c.Members), x.Size, c.OnDemand)
		}
		// README: 9 / 25 / 44 suppliers within 3 tiers, 6 customers.
		if len(c.Members) != 1+9+25+44+6 {
			t.Errorf("%d members, want 85", len(c.Members))
		}
		hasKeys(t, "member", c.Members[1], "uscc", "name", "tier", "grade", "p", "d", "paths")
		var m struct {
			Tier  int
			Paths [][]string
		}
		_ = json.Unmarshal(c.Members[1], &m)
		if m.Tier != 1 || len(m.Paths) == 0 || m.Paths[0][len(m.Paths[0])-1] != h.leaderA {
			t.Errorf("member 1: %+v", m)
		}
		var exposure struct {
			ChainRisk    float64 `json:"chain_risk"`
			SupplyAtRisk float64 `json:"supply_at_risk"`
		}
		_ = json.Unmarshal(raw, &exposure)
		if exposure.ChainRisk != x.ChainRisk || exposure.SupplyAtRisk < 0.2 {
			t.Errorf("exposure %+v (README: supply at risk ≈ 0.24)", exposure)
		}
		single := 0
		for _, con := range c.Concentration {
			single += len(con.SingleSource)
		}
		if single != 2 { // the collector for the leader, the farm company for the collector
			t.Errorf("%d single-source dependencies, want 2: %+v", single, c.Concentration)
		}

		// Other depths: computed on demand.
		var shallow struct {
			DepthUp  int  `json:"depth_up"`
			OnDemand bool `json:"on_demand"`
			Members  []struct{ Tier int }
		}
		h.get("/api/v1/chains/"+h.leaderA+"?depth_up=1&depth_down=0&members=all", &shallow)
		if !shallow.OnDemand || shallow.DepthUp != 1 || len(shallow.Members) != 10 {
			t.Errorf("depth 1/0: on demand %v, %d members", shallow.OnDemand, len(shallow.Members))
		}
		for _, m := range shallow.Members {
			if m.Tier < 0 || m.Tier > 1 {
				t.Errorf("tier %d at depth 1/0", m.Tier)
			}
		}
		// Any firm's chain can be asked for.
		var sme struct{ Leading bool }
		h.get("/api/v1/chains/"+h.firm(farmCompany), &sme)
		if sme.Leading {
			t.Error("the farm company is not a leader")
		}

		var doc struct {
			Leader string
			Nodes  []struct{ USCC, Grade string }
			Edges  []struct{ Supplier, Customer string }
		}
		w := h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/graph", token: "admin"}, 200, &doc)
		h.conforms("GET /api/v1/chains/{leader}/graph", 200, w.Body.Bytes())
		if doc.Leader != h.leaderA || len(doc.Nodes) != 85 || len(doc.Edges) == 0 {
			t.Errorf("graph json: %d nodes %d edges", len(doc.Nodes), len(doc.Edges))
		}
		w = h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/graph?format=dot", token: "admin",
			header: map[string]string{"Accept": "text/vnd.graphviz"}}, 200, nil)
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/vnd.graphviz") ||
			!strings.Contains(w.Body.String(), "digraph") || !strings.Contains(w.Body.String(), `"#ef5350"`) {
			t.Errorf("dot: %s %.200s", ct, w.Body.String())
		}

		var leaders struct {
			Total   int
			Leaders []struct {
				USCC      string
				ChainRisk float64 `json:"chain_risk"`
				Members   int
			}
		}
		w = h.call(req{method: "GET", path: "/api/v1/leaders", token: "analyst"}, 200, &leaders)
		h.conforms("GET /api/v1/leaders", 200, w.Body.Bytes())
		if leaders.Total != 3 || len(leaders.Leaders) != 3 || leaders.Leaders[0].USCC != h.leaderA ||
			leaders.Leaders[0].ChainRisk < leaders.Leaders[1].ChainRisk || leaders.Leaders[0].Members != 85 {
			t.Errorf("leaders by chain risk: %+v", leaders)
		}
		h.get("/api/v1/leaders?sort=uscc&limit=2", &leaders)
		if leaders.Total != 3 || len(leaders.Leaders) != 2 || leaders.Leaders[0].USCC > leaders.Leaders[1].USCC {
			t.Errorf("leaders by uscc: %+v", leaders)
		}
	})
}

func TestAnalysisEndpoints(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		farm := h.firm(farmCompany)
		var s struct {
			Scope      string
			R          float64
			Defaults   int
			Iterations int
			Top        []struct {
				USCC, Name, Grade string
				H                 float64
				Shocked           bool
			}
		}
		w := h.call(req{method: "POST", path: "/api/v1/stress", token: "analyst", ctype: "application/json",
			body: `{"shocks":[{"uscc":"` + farm + `"}],"top":5}`}, 200, &s)
		h.conforms("POST /api/v1/stress", 200, w.Body.Bytes())
		if s.Scope != "all" || s.R <= 0 || s.Defaults < 1 || s.Iterations < 2 || len(s.Top) != 5 || s.Top[0].USCC != farm ||
			!s.Top[0].Shocked || s.Top[0].H != 1 || s.Top[0].Name != farmCompany || s.Top[1].Shocked {
			t.Errorf("stress: %+v", s)
		}
		// The network is built once per state.
		net1, _ := h.s.stress.Get(h.b.State())
		h.call(req{method: "POST", path: "/api/v1/stress", token: "admin", ctype: "application/json",
			body: `{"shocks":[{"uscc":"` + farm + `","psi":0.5}]}`}, 200, nil)
		if net2, _ := h.s.stress.Get(h.b.State()); net1 != net2 {
			t.Error("stress network rebuilt for the same state")
		}

		var e struct {
			Leader  string
			Members []struct {
				USCC       string
				Tier       int
				ESRI       float64
				Iterations int
			}
			Subgraph struct{ Firms, Relations int }
		}
		w = h.call(req{method: "GET", path: "/api/v1/esri?leader=" + h.leaderA, token: "analyst"}, 200, &e)
		h.conforms("GET /api/v1/esri", 200, w.Body.Bytes())
		if e.Leader != h.leaderA || len(e.Members) != 85 || e.Subgraph.Firms <= 85 || e.Subgraph.Relations == 0 {
			t.Fatalf("esri: %d members, subgraph %+v", len(e.Members), e.Subgraph)
		}
		for i, m := range e.Members {
			if m.ESRI < 0 || m.ESRI > 1 || m.Iterations < 1 || (i > 0 && m.ESRI > e.Members[i-1].ESRI) {
				t.Errorf("esri member %d: %+v", i, m)
			}
		}

		check := func(body string) (string, []string, json.RawMessage) {
			t.Helper()
			var c struct {
				Verdict string
				Reasons []struct{ EN string }
			}
			w := h.call(req{method: "POST", path: "/api/v1/checks", token: "analyst", ctype: "application/json", body: body}, 201, &c)
			h.conforms("POST /api/v1/checks", 201, w.Body.Bytes())
			reasons := make([]string, len(c.Reasons))
			for i, r := range c.Reasons {
				reasons[i] = r.EN
			}
			return c.Verdict, reasons, w.Body.Bytes()
		}
		unknown := storetest.USCC(424242)
		verdict, reasons, raw := check(`{"uscc":"` + h.leaderB + `","shareholders":["` + unknown + `"]}`)
		if verdict != VerdictPass || len(reasons) != 0 {
			t.Errorf("dairy leader: %s %v", verdict, reasons)
		}
		hasKeys(t, "check", raw, "verdict", "reasons", "target", "shareholders", "investees")
		var rep struct {
			Target       json.RawMessage
			Shareholders []struct {
				USCC          string
				Found, Listed bool
			}
		}
		_ = json.Unmarshal(raw, &rep)
		hasKeys(t, "report", rep.Target, "uscc", "found", "name", "grade", "score", "p", "d", "severe_events")
		// The demo's holders of the dairy leader (persons), then the listed firm.
		if n := len(rep.Shareholders); n == 0 || rep.Shareholders[n-1].USCC != unknown || rep.Shareholders[n-1].Found ||
			!rep.Shareholders[n-1].Listed {
			t.Errorf("unknown shareholder: %+v", rep.Shareholders)
		}
		if verdict, reasons, _ := check(`{"uscc":"` + h.leaderB + `","investees":["` + farm + `"]}`); verdict != VerdictCaution ||
			len(reasons) != 1 || !strings.Contains(reasons[0], "investee "+farm) {
			t.Errorf("investee D: %s %v", verdict, reasons)
		}
		if verdict, reasons, _ := check(`{"uscc":"` + h.leaderB + `","shareholders":["` + farm + `"]}`); verdict != VerdictReject ||
			!slices.Contains(reasons, "shareholder "+farm+" is grade D") {
			t.Errorf("shareholder D: %s %v", verdict, reasons)
		}
		if verdict, _, _ := check(`{"uscc":"` + unknown + `"}`); verdict != VerdictCaution {
			t.Errorf("unknown target: %s", verdict)
		}
		// The verdict follows checks.rules.
		cfg := *h.b.cfg
		cfg.Checks.Rules.UnknownTarget = "reject"
		h.b.cfg = &cfg
		if verdict, reasons, _ := check(`{"uscc":"` + unknown + `"}`); verdict != VerdictReject ||
			!slices.Equal(reasons, []string{"target " + unknown + " is not in the store: nothing is known about it"}) {
			t.Errorf("unknown target rejected by checks.rules: %s %v", verdict, reasons)
		}
	})
}

func TestControlEndpoints(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		var r struct {
			ID      int64
			Status  string
			Trigger string
		}
		w := h.call(req{method: "POST", path: "/api/v1/rescans", token: "ingest", ctype: "application/json",
			body: `{"scope":"chain:` + h.leaderA + `"}`}, http.StatusAccepted, &r)
		h.conforms("POST /api/v1/rescans", 202, w.Body.Bytes())
		if r.ID != 2 || r.Status != "queued" || r.Trigger != "api:ingest" ||
			w.Header().Get("Location") != fmt.Sprintf("/api/v1/rescans/%d", r.ID) {
			t.Errorf("rescan: %+v, Location %q", r, w.Header().Get("Location"))
		}
		var raw json.RawMessage
		h.call(req{method: "GET", path: fmt.Sprintf("/api/v1/rescans/%d", r.ID), token: "analyst"}, 200, &raw)
		h.conforms("GET /api/v1/rescans/{id}", 200, raw)
		hasKeys(t, "rescan", raw, "id", "scope", "trigger", "status", "progress", "started_at", "finished_at", "error")
		var sc struct {
			Scope, Status, Trigger string
			Progress               struct{ Done, Total int64 }
			StartedAt              *string `json:"started_at"`
			FinishedAt             *string `json:"finished_at"`
		}
		_ = json.Unmarshal(raw, &sc)
		if sc.Scope != "chain:"+h.leaderA || sc.Status != "succeeded" || sc.Progress.Total != 206 ||
			sc.Progress.Done != 206 || sc.StartedAt == nil || sc.FinishedAt == nil {
			t.Errorf("rescan record: %s", raw)
		}
		var list struct{ Scans []struct{ ID int64 } }
		w = h.call(req{method: "GET", path: "/api/v1/scans?limit=1", token: "admin"}, 200, &list)
		h.conforms("GET /api/v1/scans", 200, w.Body.Bytes())
		if len(list.Scans) != 1 || list.Scans[0].ID != r.ID {
			t.Errorf("scans: %+v", list)
		}
		h.get("/api/v1/scans", &list)
		if len(list.Scans) != 2 {
			t.Errorf("%d scans, want 2", len(list.Scans))
		}
	})
}

// badEvents is the bad-row example: rows 2 and 6 are good, 3–5 bad (unknown type, bad
// check character, unknown firm).
func badEvents(h *harness, prefix string) string {
	wrong := h.leaderA[:17] + "0"
	if wrong == h.leaderA {
		wrong = h.leaderA[:17] + "1"
	}
	return "event_id,uscc,type,occurred_at,source,description\n" +
		prefix + "-1," + h.leaderA + ",honor,2026-11-01,测试,省级荣誉\n" +
		prefix + "-2," + h.leaderA + ",no_such_type,2026-11-01,测试,x\n" +
		prefix + "-3," + wrong + ",honor,2026-11-01,测试,x\n" +
		prefix + "-4," + storetest.USCC(424242) + ",honor,2026-11-01,测试,x\n" +
		prefix + "-5," + h.leaderB + ",penalty_minor,2026-11-02,测试,一般\n"
}

func TestIngestEndpoints(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		hasEvent := func(uscc, id string) bool {
			var evs struct {
				Events []struct {
					EventID string `json:"event_id"`
				}
			}
			h.get("/api/v1/enterprises/"+uscc+"/events", &evs)
			return slices.ContainsFunc(evs.Events, func(e struct {
				EventID string `json:"event_id"`
			}) bool {
				return e.EventID == id
			})
		}
		// One error per bad row, no file name; the good rows committed and scored.
		var sum struct {
			Accepted, Rejected int
			Errors             []string
			Committed          bool
		}
		w := h.call(req{method: "POST", path: "/api/v1/events", token: "ingest", ctype: "text/csv",
			body: badEvents(h, "API")}, http.StatusUnprocessableEntity, &sum)
		h.conforms("POST /api/v1/events", 422, w.Body.Bytes())
		if sum.Accepted != 2 || sum.Rejected != 3 || !sum.Committed || len(sum.Errors) != 3 {
			t.Fatalf("summary %+v", sum)
		}
		for i, want := range []string{"3: type: ", "4: uscc: ", "5: uscc: unknown firm"} {
			if !strings.HasPrefix(sum.Errors[i], want) {
				t.Errorf("error %d = %q, want prefix %q", i, sum.Errors[i], want)
			}
		}
		if !hasEvent(h.leaderA, "API-1") || !hasEvent(h.leaderB, "API-5") {
			t.Error("good rows not committed")
		}
		if st := h.b.State(); st.ScanID == 1 {
			t.Error("no incremental scan after the ingest")
		}
		// Strict: nothing is committed.
		h.call(req{method: "POST", path: "/api/v1/events?strict=true", token: "admin", ctype: "text/csv",
			body: badEvents(h, "STRICT")}, http.StatusUnprocessableEntity, &sum)
		if sum.Accepted != 0 || sum.Rejected != 3 || sum.Committed || hasEvent(h.leaderA, "STRICT-1") {
			t.Errorf("strict: %+v", sum)
		}
		// NDJSON, all good: 200.
		body := `{"event_id":"ND-1","uscc":"` + h.leaderB + `","type":"honor","occurred_at":"2026-11-03","source":"测试","description":"x"}` + "\n"
		w = h.call(req{method: "POST", path: "/api/v1/events", token: "ingest", ctype: "application/x-ndjson; charset=utf-8",
			body: body}, 200, &sum)
		h.conforms("POST /api/v1/events", 200, w.Body.Bytes())
		if sum.Accepted != 1 || sum.Rejected != 0 || len(sum.Errors) != 0 || !hasEvent(h.leaderB, "ND-1") {
			t.Errorf("ndjson: %+v", sum)
		}
		// A bad header stops the input.
		h.call(req{method: "POST", path: "/api/v1/enterprises", token: "ingest", ctype: "text/csv",
			body: "uscc,nmae\n" + h.leaderA + ",x\n"}, http.StatusUnprocessableEntity, &sum)
		if sum.Committed || len(sum.Errors) != 1 || !strings.HasPrefix(sum.Errors[0], "1: header") {
			t.Errorf("bad header: %+v", sum)
		}
		for _, k := range credit.Kinds {
			h.call(req{method: "POST", path: "/api/v1/" + string(k), token: "ingest", ctype: "text/csv", body: demoRow(t, k)}, 200, &sum)
			if sum.Accepted != 1 {
				t.Errorf("%s: re-sent demo row: %+v", k, sum)
			}
		}
	})
}
