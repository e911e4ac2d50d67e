package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
)

type historyPoint struct {
	ScanID       int64     `json:"scan_id"`
	At           time.Time `json:"at"`
	Trigger      string    `json:"trigger"`
	Score        float64   `json:"score"`
	Grade        string    `json:"grade"`
	P            float64   `json:"p"`
	D            float64   `json:"d"`
	ModelVersion string    `json:"model_version"`
}

type historyAnswer struct {
	USCC      string         `json:"uscc"`
	History   []historyPoint `json:"history"`
	Truncated bool           `json:"truncated"`
}

type chainHistoryAnswer struct {
	Leader  string `json:"leader"`
	History []struct {
		ScanID       int64     `json:"scan_id"`
		At           time.Time `json:"at"`
		Trigger      string    `json:"trigger"`
		ChainRisk    float64   `json:"chain_risk"`
		SupplyAtRisk float64   `json:"supply_at_risk"`
		DemandAtRisk float64   `json:"demand_at_risk"`
		Members      int       `json:"members"`
	} `json:"history"`
	Truncated bool `json:"truncated"`
}

func scanIDs[T any](entries []T, id func(T) int64) string {
	var parts []string
	for _, e := range entries {
		parts = append(parts, fmt.Sprint(id(e)))
	}
	return strings.Join(parts, " ")
}

// A tier-1 supplier of the soybean leader, outside the dairy chain, is downgraded by
// two ingests an hour apart, each followed by an incremental scan: its history and
// its leader's chain history list the startup scan and both ingests' scans with their
// own times; from and to select spans; tenants read their own chain's only.
func TestHistoryEndpoints(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		st := h.b.State()
		la, _ := st.Index(h.leaderA)
		csr := st.Snap.CSR()
		firm := ""
		for q := csr.InStart[la]; q < csr.InStart[la+1]; q++ {
			v := csr.InFrom[q]
			if u := st.Snap.IDs[v]; !h.scopeB[u] && !st.Firms[v].Leading && st.Grade[v] <= risk.GradeB {
				firm = u
				break
			}
		}
		if firm == "" {
			t.Fatal("the soybean leader has no tier-1 supplier of grade A or B outside the dairy chain")
		}
		t0 := h.b.clock
		type scan struct {
			id                   int64
			at                   time.Time
			trigger              string
			risk, supply, demand float64
		}
		record := func(trigger string) scan {
			st := h.b.State()
			x, _ := st.Chain(h.leaderA)
			return scan{st.ScanID, h.b.clock, trigger, x.ChainRisk, x.SupplyAtRisk, x.DemandAtRisk}
		}
		scans := []scan{record("startup")}
		for i, typ := range []string{"penalty_serious", "dishonest_judgment_debtor"} {
			h.b.clock = t0.Add(time.Duration(i+1) * time.Hour)
			body := fmt.Sprintf("event_id,uscc,type,occurred_at\nHIST-%d,%s,%s,%s\n", i, firm, typ,
				t0.AddDate(0, 0, -1).Format("2006-01-02"))
			h.call(req{method: "POST", path: "/api/v1/events", token: "admin", ctype: "text/csv", body: body}, 200, nil)
			scans = append(scans, record("api:admin"))
		}
		if scans[1].id == scans[0].id || scans[2].id == scans[1].id {
			t.Fatalf("the ingests ran no scans: %+v", scans)
		}
		st = h.b.State()
		v, _ := st.Index(firm)
		if st.Grade[v] != risk.GradeD {
			t.Fatalf("the critical event left the firm at grade %s", st.Grade[v])
		}

		// The firm: one entry per scan, newest first, each with its scan's own time.
		var all historyAnswer
		w := h.call(req{method: "GET", path: "/api/v1/enterprises/" + firm + "/history", token: "analyst"}, 200, &all)
		h.conforms("GET /api/v1/enterprises/{uscc}/history", 200, w.Body.Bytes())
		if all.USCC != firm || all.Truncated || len(all.History) != 3 {
			t.Fatalf("history %+v, want 3 entries", all)
		}
		for i, e := range all.History {
			want := scans[2-i]
			if e.ScanID != want.id || !e.At.Equal(want.at) || e.Trigger != want.trigger || e.ModelVersion != st.Params.Model.Version {
				t.Errorf("entry %d: scan %d at %s by %s; want scan %d at %s by %s", i, e.ScanID, e.At, e.Trigger, want.id,
					want.at, want.trigger)
			}
		}
		if e := all.History[0]; e.Grade != "D" || e.Score != st.Score[v] || e.P != st.P[v] {
			t.Errorf("newest entry %+v; the firm is %s %v p %v", e, st.Grade[v], st.Score[v], st.P[v])
		}
		if all.History[1].Score-all.History[0].Score < 349 || all.History[2].Score-all.History[1].Score < 199 {
			t.Errorf("scores %v, %v, %v: want drops of 200 and 350 points (less decay)", all.History[2].Score,
				all.History[1].Score, all.History[0].Score)
		}

		// The enterprise answer carries the same entries, and the stamp of the scan
		// that last wrote the firm's result.
		var ent struct {
			ScanID   int64          `json:"scan_id"`
			ScoredAt time.Time      `json:"scored_at"`
			History  []historyPoint `json:"history"`
		}
		var raw json.RawMessage
		h.call(req{method: "GET", path: "/api/v1/enterprises/" + firm, token: "analyst"}, 200, &raw)
		h.conforms("GET /api/v1/enterprises/{uscc}", 200, raw)
		_ = json.Unmarshal(raw, &ent)
		if fmt.Sprint(ent.History) != fmt.Sprint(all.History) {
			t.Errorf("the enterprise answer's history\n%+v\ndiffers from the history endpoint's\n%+v", ent.History, all.History)
		}
		if ent.ScanID != scans[2].id || !ent.ScoredAt.Equal(scans[2].at) {
			t.Errorf("enterprise answer: scan %d scored at %s; want scan %d at %s", ent.ScanID, ent.ScoredAt, scans[2].id, scans[2].at)
		}

		// Spans: RFC 3339 with or without a zone (Shanghai's), or dates; both ends
		// included, a date as "to" to the end of its day.
		sh := func(t time.Time) string { return t.In(credit.Shanghai).Format("2006-01-02T15:04:05") }
		day := t0.In(credit.Shanghai).Format("2006-01-02")
		for _, tc := range []struct{ query, want string }{
			{"from=" + url.QueryEscape(t0.Add(30*time.Minute).Format(time.RFC3339)), fmt.Sprint(scans[2].id, " ", scans[1].id)},
			{"to=" + sh(t0.Add(time.Hour)), fmt.Sprint(scans[1].id, " ", scans[0].id)},
			{"from=" + t0.Add(90*time.Minute).UTC().Format(time.RFC3339), fmt.Sprint(scans[2].id)},
			{"from=" + day + "&to=" + day, fmt.Sprint(scans[2].id, " ", scans[1].id, " ", scans[0].id)},
			{"to=" + t0.AddDate(0, 0, -1).In(credit.Shanghai).Format("2006-01-02"), ""},
			{"from=" + sh(t0) + "&to=" + sh(t0), fmt.Sprint(scans[0].id)},
		} {
			var got historyAnswer
			h.call(req{method: "GET", path: "/api/v1/enterprises/" + firm + "/history?" + tc.query, token: "admin"}, 200, &got)
			if ids := scanIDs(got.History, func(e historyPoint) int64 { return e.ScanID }); ids != tc.want || got.Truncated {
				t.Errorf("?%s: scans %q (truncated %v), want %q", tc.query, ids, got.Truncated, tc.want)
			}
		}
		var one historyAnswer
		h.call(req{method: "GET", path: "/api/v1/enterprises/" + firm + "/history?limit=1", token: "admin"}, 200, &one)
		if len(one.History) != 1 || one.History[0].ScanID != scans[2].id || !one.Truncated {
			t.Errorf("limit=1: %+v, want the newest entry, truncated", one)
		}
		for _, bad := range []struct{ query, code string }{
			{"from=2026-13-01", codeBadRequest},
			{"to=yesterday", codeBadRequest},
			{"from=2026-11-20T25:00:00", codeBadRequest},
			{"from=" + day + "&to=" + t0.AddDate(0, 0, -2).In(credit.Shanghai).Format("2006-01-02"), codeBadRequest},
			{"limit=0", codeBadRequest},
			{"limit=1001", codeBadRequest},
			{"since=2026-01-01", codeUnknownParameter},
		} {
			for _, path := range []string{"/api/v1/enterprises/" + firm + "/history?", "/api/v1/chains/" + h.leaderA + "/history?"} {
				e := h.wantError(req{method: "GET", path: path + bad.query, token: "admin"}, http.StatusBadRequest, bad.code)
				if param, _, _ := strings.Cut(bad.query, "="); !strings.Contains(e.Message, param) {
					t.Errorf("?%s: the error %q does not name %s", bad.query, e.Message, param)
				}
			}
		}

		// The chain: an entry for each scan that moved its figures, with that scan's
		// figures; the newest is what the chain endpoint serves.
		var chain chainHistoryAnswer
		w = h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/history", token: "analyst"}, 200, &chain)
		h.conforms("GET /api/v1/chains/{leader}/history", 200, w.Body.Bytes())
		if chain.Leader != h.leaderA || len(chain.History) != 3 || chain.Truncated {
			t.Fatalf("chain history %+v, want 3 entries", chain)
		}
		for i, e := range chain.History {
			want := scans[2-i]
			if e.ScanID != want.id || !e.At.Equal(want.at) || e.Trigger != want.trigger || e.ChainRisk != want.risk ||
				e.SupplyAtRisk != want.supply || e.DemandAtRisk != want.demand || e.Members < 2 {
				t.Errorf("chain entry %d: %+v, want %+v", i, e, want)
			}
		}
		if chain.History[0].SupplyAtRisk <= chain.History[2].SupplyAtRisk {
			t.Errorf("supply_at_risk %v after the downgrades, %v before: want a rise", chain.History[0].SupplyAtRisk,
				chain.History[2].SupplyAtRisk)
		}
		var now struct {
			ChainRisk float64 `json:"chain_risk"`
		}
		h.get("/api/v1/chains/"+h.leaderA, &now)
		if now.ChainRisk != chain.History[0].ChainRisk {
			t.Errorf("chain_risk %v now, %v in the newest entry", now.ChainRisk, chain.History[0].ChainRisk)
		}
		var span chainHistoryAnswer
		h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/history?from=" + sh(t0.Add(time.Hour)) +
			"&to=" + sh(t0.Add(time.Hour)), token: "admin"}, 200, &span)
		if len(span.History) != 1 || span.History[0].ScanID != scans[1].id {
			t.Errorf("chain history at the first ingest's scan: %+v", span)
		}

		// Tenants: their own chain's firms and their own leader's chain only; other
		// callers' token names are not theirs to read.
		var mine historyAnswer
		h.call(req{method: "GET", path: "/api/v1/enterprises/" + firm + "/history", token: "tenantA"}, 200, &mine)
		if len(mine.History) != 3 || mine.History[0].Trigger != "api" || mine.History[2].Trigger != "startup" {
			t.Errorf("tenant A's view: %+v", mine.History)
		}
		missing := h.do(req{method: "GET", path: "/api/v1/enterprises/" + validUnknown() + "/history", token: "tenantB"})
		for _, tc := range []struct {
			token, path string
			want        int
		}{
			{"tenantA", "/api/v1/chains/" + h.leaderA + "/history", 200},
			{"tenantB", "/api/v1/enterprises/" + firm + "/history", 404},
			{"tenantB", "/api/v1/chains/" + h.leaderA + "/history", 404},
			{"tenantA", "/api/v1/chains/" + h.leaderB + "/history", 404},
			{"tenantA", "/api/v1/chains/" + firm + "/history", 404},
			{"ingest", "/api/v1/enterprises/" + firm + "/history", 403},
		} {
			w := h.do(req{method: "GET", path: tc.path, token: tc.token})
			if w.Code != tc.want {
				t.Errorf("%s as %s: %d, want %d: %s", tc.path, tc.token, w.Code, tc.want, w.Body)
			}
			if tc.want == 404 && !bytes.Equal(w.Body.Bytes(), missing.Body.Bytes()) {
				t.Errorf("%s as %s answers %s, a missing firm %s", tc.path, tc.token, w.Body, missing.Body)
			}
		}
	})
}
