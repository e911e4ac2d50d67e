package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type esriAnswer struct {
	Leader  string `json:"leader"`
	Source  string `json:"source"`
	Members []struct {
		USCC       string  `json:"uscc"`
		Tier       int     `json:"tier"`
		ESRI       float64 `json:"esri"`
		ESRID      float64 `json:"esri_d"`
		ESRIU      float64 `json:"esri_u"`
		Iterations int     `json:"iterations"`
		Converged  bool    `json:"converged"`
	} `json:"members"`
	MaxSteps     int       `json:"max_steps"`
	NotConverged int       `json:"not_converged"`
	ScanID       int64     `json:"scan_id"`
	ComputedAt   time.Time `json:"computed_at"`
}

type chainESRIAnswer struct {
	Members []struct {
		USCC          string   `json:"uscc"`
		ESRI          *float64 `json:"esri"`
		ESRIConverged *bool    `json:"esri_converged"`
	} `json:"members"`
	ESRIComputedAt *time.Time `json:"esri_computed_at"`
	ESRIScanID     *int64     `json:"esri_scan_id"`
}

// TestESRIScheduledResults: once the esri job has run, GET /api/v1/esri serves its
// stored result (source scheduled, with the time it was computed) and every chain
// member in GET /api/v1/chains/{leader} carries its esri; before, /esri computes on
// demand and the chain's esri fields are null.
func TestESRIScheduledResults(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		ctx := context.Background()
		get := func(path, token string, out any) {
			t.Helper()
			w := h.call(req{method: "GET", path: path, token: token}, 200, out)
			pattern := "GET /api/v1/esri"
			if strings.HasPrefix(path, "/api/v1/chains/") {
				pattern = "GET /api/v1/chains/{leader}"
			}
			h.conforms(pattern, 200, w.Body.Bytes())
		}
		var onDemand esriAnswer
		get("/api/v1/esri?leader="+h.leaderA, "analyst", &onDemand)
		var chain chainESRIAnswer
		get("/api/v1/chains/"+h.leaderA+"?members=all", "analyst", &chain)
		if onDemand.Source != "on_demand" || onDemand.ScanID != h.b.State().ScanID || len(onDemand.Members) != len(chain.Members) {
			t.Fatalf("before the job: source %q, scan %d, %d members (chain %d)", onDemand.Source, onDemand.ScanID,
				len(onDemand.Members), len(chain.Members))
		}
		if chain.ESRIComputedAt != nil || chain.ESRIScanID != nil || chain.Members[0].ESRI != nil || chain.Members[0].ESRIConverged != nil {
			t.Errorf("before the job the chain has ESRI: %v %v %v", chain.ESRIComputedAt, chain.ESRIScanID, chain.Members[0].ESRI)
		}

		h.b.clock = h.b.clock.Add(90 * time.Minute) // the job runs later than the scan
		if _, err := h.b.eng.RunESRI(ctx, h.b.cfg.ESRI.Params()); err != nil {
			t.Fatal(err)
		}
		var sched esriAnswer
		get("/api/v1/esri?leader="+h.leaderA, "analyst", &sched)
		if sched.Source != "scheduled" || !sched.ComputedAt.Equal(h.b.clock) || sched.ScanID != onDemand.ScanID ||
			sched.NotConverged != 0 || len(sched.Members) != len(onDemand.Members) {
			t.Fatalf("after the job: %+v", sched)
		}
		// The same state and config: the stored result is the on-demand one.
		for i, m := range sched.Members {
			if m != onDemand.Members[i] || !m.Converged {
				t.Errorf("member %d: stored %+v, on demand %+v", i, m, onDemand.Members[i])
			}
		}
		byFirm := map[string]float64{}
		for _, m := range sched.Members {
			byFirm[m.USCC] = m.ESRI
		}
		for _, token := range []string{"analyst", "tenantA"} {
			get("/api/v1/chains/"+h.leaderA+"?members=all", token, &chain)
			if chain.ESRIComputedAt == nil || !chain.ESRIComputedAt.Equal(h.b.clock) || chain.ESRIScanID == nil ||
				*chain.ESRIScanID != sched.ScanID {
				t.Errorf("%s: chain esri_computed_at %v, esri_scan_id %v", token, chain.ESRIComputedAt, chain.ESRIScanID)
			}
			for _, m := range chain.Members {
				want, ok := byFirm[m.USCC]
				if !ok || m.ESRI == nil || *m.ESRI != want || m.ESRIConverged == nil || !*m.ESRIConverged {
					t.Errorf("%s: chain member %s: esri %v (converged %v), want %v", token, m.USCC, m.ESRI, m.ESRIConverged, want)
				}
			}
		}
		// The summary (kept JSON) carries the same ESRI header, twice in a row.
		for range 2 {
			var sum chainESRIAnswer
			get("/api/v1/chains/"+h.leaderA, "tenantA", &sum)
			if sum.ESRIComputedAt == nil || !sum.ESRIComputedAt.Equal(*chain.ESRIComputedAt) || sum.ESRIScanID == nil ||
				*sum.ESRIScanID != *chain.ESRIScanID || len(sum.Members) != 0 {
				t.Errorf("summary: esri_computed_at %v, esri_scan_id %v, %d members", sum.ESRIComputedAt, sum.ESRIScanID, len(sum.Members))
			}
		}
		// The export (kept lines, the ESRI added) and the pages say the same, by
		// member, in the same order, for all members and for one grade.
		for _, q := range []string{"", "&grade=D"} {
			var full chainSummaryAnswer
			get("/api/v1/chains/"+h.leaderA+"?members=all", "analyst", &full)
			w := h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members?format=ndjson" + q, token: "tenantA"}, 200, nil)
			var lines []string
			for _, m := range full.Members {
				if q == "" || m.Grade == "D" {
					b, _ := json.Marshal(m)
					lines = append(lines, string(b))
				}
			}
			if got, want := w.Body.String(), strings.Join(lines, "\n")+"\n"; got != want || !strings.Contains(got, `"esri_converged":true`) {
				t.Errorf("export%s with ESRI:\n%.500s\nwant\n%.500s", q, got, want)
			}
		}
		// Another leader's stored result is not the tenant's to see.
		h.call(req{method: "GET", path: "/api/v1/esri?leader=" + h.leaderB, token: "tenantA"}, 404, nil)

		// With a step bound of one step, every cascade that needs more is flagged,
		// in both answers.
		h.b.cfg.ESRI.MaxSteps = 1
		if _, err := h.b.eng.RunESRI(ctx, h.b.cfg.ESRI.Params()); err != nil {
			t.Fatal(err)
		}
		var bounded esriAnswer
		get("/api/v1/esri?leader="+h.leaderA, "analyst", &bounded)
		flagged := map[string]bool{}
		for _, m := range bounded.Members {
			if !m.Converged {
				flagged[m.USCC] = true
				if m.Iterations != 1 {
					t.Errorf("%s stopped after %d steps, want 1", m.USCC, m.Iterations)
				}
			}
		}
		if bounded.MaxSteps != 1 || bounded.NotConverged != len(flagged) || len(flagged) == 0 {
			t.Errorf("bounded: max_steps %d, not_converged %d, %d flagged", bounded.MaxSteps, bounded.NotConverged, len(flagged))
		}
		get("/api/v1/chains/"+h.leaderA+"?members=all", "analyst", &chain)
		for _, m := range chain.Members {
			if m.ESRIConverged == nil || *m.ESRIConverged == flagged[m.USCC] {
				t.Errorf("chain member %s: esri_converged %v, flagged %v", m.USCC, m.ESRIConverged, flagged[m.USCC])
			}
		}

		// Without its store the API still serves the chain from memory, without
		// ESRI; /esri, which reads the store, answers 503. (The analyst's token is
		// in the cache since the calls above.)
		if err := h.b.st.Close(); err != nil {
			t.Fatal(err)
		}
		var bare chainESRIAnswer
		get("/api/v1/chains/"+h.leaderA+"?members=all", "analyst", &bare)
		if bare.ESRIComputedAt != nil || len(bare.Members) != len(chain.Members) || bare.Members[0].ESRI != nil {
			t.Errorf("chain without a store: esri_computed_at %v, %d members, first esri %v", bare.ESRIComputedAt,
				len(bare.Members), bare.Members[0].ESRI)
		}
		h.call(req{method: "GET", path: "/api/v1/esri?leader=" + h.leaderA, token: "analyst"}, 503, nil)
	})
}
