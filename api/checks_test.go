package api

import (
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The demo's carton maker of the soybean leader is 60 % held by 91230103MA0LW33J30,
// itself 65 % held by the grade-D holding company 91230102MAHTL3M900.
const (
	checkSupplier = "912301113528741157"
	checkMiddle   = "91230103MA0LW33J30"
	checkHolding  = "91230102MAHTL3M900"
)

func TestCheckFromOwnership(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		post := func(token, body string, status int) *checkJSON {
			t.Helper()
			var c checkJSON
			w := h.call(req{method: "POST", path: "/api/v1/checks", token: token, ctype: "application/json", body: body}, status, &c)
			if status == http.StatusCreated {
				h.conforms("POST /api/v1/checks", 201, w.Body.Bytes())
			}
			return &c
		}
		c := post("analyst", `{"uscc":"`+checkSupplier+`"}`, http.StatusCreated)
		if c.Verdict != VerdictReject || !slices.ContainsFunc(c.Reasons, func(r reasonJSON) bool {
			return r.Code == "controller_grade_d" && r.Subject == checkHolding && r.Severity == "reject" && r.ZH != "" && r.EN != ""
		}) {
			t.Fatalf("check of %s: %s %+v", checkSupplier, c.Verdict, c.Reasons)
		}
		a := c.ActualController
		if a == nil || a.USCC != checkHolding || a.Cyclic || !slices.Equal(a.Path, []string{checkHolding, checkMiddle, checkSupplier}) {
			t.Fatalf("actual controller %+v", a)
		}
		holding := slices.IndexFunc(c.Shareholders, func(p partyJSON) bool { return p.FirmReport != nil && p.USCC == checkHolding })
		if holding < 0 || math.Abs(c.Shareholders[holding].PenetratedShare-0.6*0.65) > 1e-12 || c.Shareholders[holding].Share != 0 ||
			c.Shareholders[holding].Grade != "D" {
			t.Fatalf("holding company among the shareholders: %+v", c.Shareholders)
		}
		// The demo's holders of the carton maker: 0.6 + 0.25 + 0.15.
		if math.Abs(c.Completeness.KnownShare-1) > 1e-12 || c.ID < 1 || c.ScanID == 0 {
			t.Errorf("known share %v, id %d, scan %d", c.Completeness.KnownShare, c.ID, c.ScanID)
		}
		// Persons: masked for the analyst, in full for an admin, on every read.
		var persons []string
		for _, p := range c.Shareholders {
			if p.HolderKind == "person" {
				persons = append(persons, p.Name)
			}
		}
		if len(persons) == 0 || !allMasked(persons) {
			t.Errorf("analyst sees persons %q", persons)
		}
		var byID checkJSON
		w := h.call(req{method: "GET", path: fmt.Sprintf("/api/v1/checks/%d", c.ID), token: "analyst"}, 200, &byID)
		h.conforms("GET /api/v1/checks/{id}", 200, w.Body.Bytes())
		if !reflect.DeepEqual(&byID, c) {
			t.Errorf("GET by id differs from the answer:\n %+v\n %+v", byID, *c)
		}
		var full checkJSON
		h.call(req{method: "GET", path: fmt.Sprintf("/api/v1/checks/%d", c.ID), token: "admin"}, 200, &full)
		for _, p := range full.Shareholders {
			if p.HolderKind == "person" && strings.Contains(p.Name, "*") {
				t.Errorf("admin sees a masked name %q", p.Name)
			}
		}
		if lr := full.LegalRepresentative; lr != nil && strings.Contains(lr.Name, "*") {
			t.Errorf("admin sees the legal representative as %q", lr.Name)
		}
		if lr := byID.LegalRepresentative; lr != nil && lr.Name != "" && !allMasked([]string{lr.Name}) {
			t.Errorf("analyst sees the legal representative as %q", lr.Name)
		}
		var page checksJSON
		w = h.call(req{method: "GET", path: "/api/v1/checks?uscc=" + checkSupplier, token: "analyst"}, 200, &page)
		list := page.Checks
		h.conforms("GET /api/v1/checks", 200, w.Body.Bytes())
		if len(list) != 1 || list[0].ID != c.ID || list[0].Verdict != VerdictReject || list[0].USCC != checkSupplier {
			t.Errorf("list: %+v", list)
		}
		h.call(req{method: "GET", path: "/api/v1/checks/999999", token: "analyst"}, 404, nil)
		// Depth 1 sees only the direct holders: no holding company, but still the controller.
		c1 := post("admin", `{"uscc":"`+checkSupplier+`","depth":1,"min_share":0.5}`, http.StatusCreated)
		if slices.ContainsFunc(c1.Shareholders, func(p partyJSON) bool { return p.FirmReport != nil && p.USCC == checkHolding }) {
			t.Errorf("depth 1 reaches the holding company: %+v", c1.Shareholders)
		}
		for _, b := range []struct{ body, field string }{
			{`{"uscc":"` + checkSupplier + `","depth":0}`, "depth"},
			{`{"uscc":"` + checkSupplier + `","depth":11}`, "depth"},
			{`{"uscc":"` + checkSupplier + `","min_share":1.5}`, "min_share"},
			{`{"uscc":"` + checkSupplier + `","min_share":-0.1}`, "min_share"},
		} {
			var e struct{ Error struct{ Message string } }
			h.call(req{method: "POST", path: "/api/v1/checks", token: "analyst", ctype: "application/json", body: b.body}, 400, &e)
			if !strings.Contains(e.Error.Message, b.field) {
				t.Errorf("%s: message %q does not name %s", b.body, e.Error.Message, b.field)
			}
		}
		// A check past checks.max_steps is refused, saying what to lower.
		cfg := *h.b.cfg
		cfg.Checks.MaxSteps = 2
		h.b.cfg = &cfg
		var e struct {
			Error struct{ Code, Message string }
		}
		w = h.call(req{method: "POST", path: "/api/v1/checks", token: "analyst", ctype: "application/json",
			body: `{"uscc":"` + checkSupplier + `"}`}, 422, &e)
		h.conforms("POST /api/v1/checks", 422, w.Body.Bytes())
		if e.Error.Code != codeCheckTooLarge || !strings.Contains(e.Error.Message, "max_steps") || !strings.Contains(e.Error.Message, "depth") {
			t.Errorf("too large: %+v", e.Error)
		}
	})
}

// allMasked reports whether every name is a surname and "*".
func allMasked(names []string) bool {
	for _, n := range names {
		if !strings.HasSuffix(n, "*") || strings.Count(n, "*") != 1 {
			return false
		}
	}
	return true
}
