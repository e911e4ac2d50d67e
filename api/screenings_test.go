package api

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestScreening(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		targets := []string{checkSupplier, checkMiddle, checkHolding, h.leaderA, checkSupplier}
		body := "uscc\n" + strings.Join(targets, "\n") + "\n"
		var sc screeningJSON
		w := h.call(req{method: "POST", path: "/api/v1/screenings", token: "analyst", ctype: "text/csv", body: body}, 200, &sc)
		h.conforms("POST /api/v1/screenings", 200, w.Body.Bytes())
		if len(sc.Rows) != len(targets) {
			t.Fatalf("%d rows for %d targets", len(sc.Rows), len(targets))
		}
		total := 0
		for _, n := range sc.Counts {
			total += n
		}
		if total != len(targets) {
			t.Errorf("counts %v add up to %d, want %d", sc.Counts, total, len(targets))
		}
		ids := map[int64]bool{}
		for i, r := range sc.Rows {
			if r.USCC != targets[i] || r.CheckID == nil || ids[*r.CheckID] {
				t.Fatalf("row %d: %+v, want %s with a new check id", i, r, targets[i])
			}
			ids[*r.CheckID] = true
			var c checkJSON
			h.call(req{method: "GET", path: fmt.Sprintf("/api/v1/checks/%d", *r.CheckID), token: "analyst"}, 200, &c)
			if c.Verdict != r.Verdict || c.Target.USCC != r.USCC || c.Target.Name != r.Name || c.Target.Grade != r.Grade {
				t.Errorf("row %d %+v, saved check %s %s %q %s", i, r, c.Verdict, c.Target.USCC, c.Target.Name, c.Target.Grade)
			}
		}
		if r := sc.Rows[0]; r.Verdict != VerdictReject || !slices.ContainsFunc(r.Reasons, func(x reasonJSON) bool { return x.Code == "controller_grade_d" }) {
			t.Errorf("carton maker: %+v", r)
		}

		// NDJSON, answered as CSV.
		nd := fmt.Sprintf("{\"uscc\":%q}\n\n{\"uscc\":%q}\n", checkHolding, checkSupplier)
		w = h.call(req{method: "POST", path: "/api/v1/screenings?format=csv", token: "admin", ctype: "application/x-ndjson", body: nd}, 200, nil)
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("content type %q", ct)
		}
		recs, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 || strings.Join(recs[0], ",") != "uscc,name,verdict,grade,reasons,check_id" {
			t.Fatalf("csv answer %q", recs)
		}
		if r := recs[2]; r[0] != checkSupplier || r[2] != VerdictReject || !slices.Contains(strings.Split(r[4], ";"), "controller_grade_d") {
			t.Errorf("csv row %q", r)
		}
		if _, err := strconv.ParseInt(recs[1][5], 10, 64); err != nil || recs[1][0] != checkHolding {
			t.Errorf("csv row %q", recs[1])
		}

		// A bad USCC refuses the whole list, naming its line.
		var e struct {
			Error struct {
				Code    string
				Message string
				Details []string
			}
		}
		w = h.call(req{method: "POST", path: "/api/v1/screenings", token: "analyst", ctype: "text/csv",
			body: "uscc\n" + checkSupplier + "\n91230000XXXXXXXX\n"}, 400, &e)
		h.conforms("POST /api/v1/screenings", 400, w.Body.Bytes())
		if len(e.Error.Details) != 1 || !strings.HasPrefix(e.Error.Details[0], "line 3: uscc:") {
			t.Errorf("bad USCC: %+v", e.Error)
		}
		h.call(req{method: "POST", path: "/api/v1/screenings", token: "analyst", ctype: "text/csv",
			body: "uscc,name\n" + checkSupplier + ",x\n"}, 400, nil)
		h.call(req{method: "POST", path: "/api/v1/screenings", token: "analyst", ctype: "application/json",
			body: `{"uscc":"` + checkSupplier + `"}`}, 415, nil)

		// More than 10,000 rows.
		many := "uscc\n" + strings.Repeat(checkSupplier+"\n", maxScreeningRows+1)
		h.call(req{method: "POST", path: "/api/v1/screenings", token: "analyst", ctype: "text/csv", body: many}, 413, &e)
		if !strings.Contains(e.Error.Message, "10000") {
			t.Errorf("too many rows: %q", e.Error.Message)
		}

		h.call(req{method: "POST", path: "/api/v1/screenings", token: "tenantA", ctype: "text/csv", body: body}, 403, nil)

		// A check past checks.max_steps is a row of verdict error; the others are saved.
		cfg := *h.b.cfg
		cfg.Checks.MaxSteps = 2
		h.b.cfg = &cfg
		sc = screeningJSON{}
		w = h.call(req{method: "POST", path: "/api/v1/screenings", token: "analyst", ctype: "text/csv", body: body}, 200, &sc)
		h.conforms("POST /api/v1/screenings", 200, w.Body.Bytes())
		if r := sc.Rows[0]; r.Verdict != VerdictError || r.CheckID != nil || !strings.Contains(r.Error, "max_steps") || sc.Counts[VerdictError] == 0 {
			t.Errorf("too large: %+v %v", r, sc.Counts)
		}
	})
}
