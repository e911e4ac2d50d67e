package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// matchBody is the CSV of rows name,region,uscc.
func matchBody(rows ...[3]string) string {
	var b strings.Builder
	b.WriteString("name,region,uscc\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s,%s\n", r[0], r[1], r[2])
	}
	return b.String()
}

func TestMatches(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		long := strings.Repeat("松", 101)
		body := matchBody(
			[3]string{soybeanLeader, "", ""},              // 2 exact
			[3]string{"黑龙江省松花江粮油有限公司", "", ""},            // 3 exact, by a former name
			[3]string{"齐齐哈尔鹤乡乳品厂", "", ""},                // 4 exact, by a former name
			[3]string{"完全不存在的某某企业有限公司", "", ""},           // 5 none
			[3]string{"", "", ""},                         // 6 empty
			[3]string{"甲", "", ""},                        // 7 one character
			[3]string{soybeanLeader, "23", ""},            // 8 bad region
			[3]string{soybeanLeader, "", "123"},           // 9 bad hint
			[3]string{soybeanLeader, "", h.leaderB},       // 10 conflict
			[3]string{long, "", ""},                       // 11 too long
			[3]string{soybeanLeader, "230100", h.leaderA}, // 12 exact, hint agrees
			[3]string{"\xff\xfe公司", "", ""},               // 13 not UTF-8
		)
		var m matchesJSON
		w := h.call(req{method: "POST", path: "/api/v1/matches", token: "analyst", ctype: "text/csv", body: body}, 200, &m)
		h.conforms("POST /api/v1/matches", 200, w.Body.Bytes())
		if len(m.Results) != 12 {
			t.Fatalf("%d results for 12 rows", len(m.Results))
		}
		for i, r := range m.Results {
			if r.Line != i+2 {
				t.Errorf("result %d: line %d, want %d", i, r.Line, i+2)
			}
		}
		chosen := func(i int, uscc string, via string) {
			t.Helper()
			r := m.Results[i-2]
			if r.Error != nil || r.Status == nil || *r.Status != "exact" || r.USCC == nil || *r.USCC != uscc || r.Confidence != 1 ||
				len(r.Candidates) == 0 || r.Candidates[0].USCC != uscc || r.Candidates[0].Score != 1 {
				t.Errorf("line %d: %+v, want exact %s", i, r, uscc)
				return
			}
			if got := r.Candidates[0].FormerName; (via == "") != (got == nil) || got != nil && *got != via {
				t.Errorf("line %d: matched via %v, want %q", i, got, via)
			}
		}
		chosen(2, h.leaderA, "")
		chosen(3, h.leaderA, "黑龙江省松花江粮油有限公司")
		chosen(4, h.leaderB, "齐齐哈尔鹤乡乳品厂")
		chosen(12, h.leaderA, "")
		if r := m.Results[3]; r.Status == nil || *r.Status != "none" || r.USCC != nil || r.Confidence != 0 || len(r.Candidates) != 0 {
			t.Errorf("line 5: %+v, want none", r)
		}
		for line, want := range map[int]string{
			6: "line 6: name: name is empty", 7: "line 7: name: name is too short", 8: `line 8: region: "23" is not a 6-digit`,
			9: "line 9: uscc: invalid USCC", 11: "line 11: name: name is too long: more than 100 characters",
			13: "line 13: name: not valid UTF-8",
		} {
			r := m.Results[line-2]
			if r.Error == nil || !strings.HasPrefix(*r.Error, want) || r.Status != nil || r.USCC != nil || len(r.Candidates) != 0 {
				t.Errorf("line %d: %+v (error %v), want the error %q", line, r, deref(r.Error), want)
			}
		}
		if r := m.Results[8]; r.Conflict == nil || r.Conflict.USCC != h.leaderB || r.Conflict.Name != dairyLeader ||
			r.Conflict.NameUSCC == nil || *r.Conflict.NameUSCC != h.leaderA || r.USCC != nil || r.Confidence != 0 {
			t.Errorf("line 10: %+v, want a conflict between the hint %s and the name's %s", r, h.leaderB, h.leaderA)
		}
		want := matchSummaryJSON{Exact: 5, None: 1, Errors: 6}
		if m.Summary != want {
			t.Errorf("summary %+v, want %+v", m.Summary, want)
		}

		// NDJSON: a line that is no row object is that line's error; blank lines count.
		nd := `{"name":"佳木斯三江造纸厂","region":"230800"}` + "\n\n" + `{"nom":"x"}` + "\n" + `{"region":"230800"}` + "\n"
		w = h.call(req{method: "POST", path: "/api/v1/matches", token: "admin", ctype: "application/x-ndjson", body: nd}, 200, &m)
		h.conforms("POST /api/v1/matches", 200, w.Body.Bytes())
		if len(m.Results) != 3 || m.Results[0].Line != 1 || m.Results[0].Status == nil || *m.Results[0].Status != "exact" ||
			m.Results[0].USCC == nil || *m.Results[0].USCC != h.firm("佳木斯三江纸业有限公司") ||
			m.Results[1].Line != 3 || !strings.HasPrefix(deref(m.Results[1].Error), "line 3: row: not a JSON object") ||
			deref(m.Results[2].Error) != "line 4: name: required" || m.Summary != (matchSummaryJSON{Exact: 1, Errors: 2}) {
			t.Errorf("NDJSON: %+v", m)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// The request as a whole is refused when it cannot be read: a wrong media type, a
// header without name, no rows, more than 10,000 rows; an ingest token may not call it.
func TestMatchesRefused(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	for _, tc := range []struct {
		token, ctype, body string
		status             int
		msg                string
	}{
		{"analyst", "application/json", `{"name":"x"}`, 415, "text/csv"},
		{"analyst", "text/csv", "firm\n大豆公司\n", 400, `is unknown or repeated`},
		{"analyst", "text/csv", "region\n230100\n", 400, "no name column"},
		{"analyst", "text/csv", "name\n", 400, "no rows"},
		{"analyst", "text/csv", "name\n" + strings.Repeat("某某公司\n", maxMatchRows+1), 413, "split the list"},
		{"ingest", "text/csv", "name\n某某公司\n", 403, ""},
	} {
		w := h.call(req{method: "POST", path: "/api/v1/matches", token: tc.token, ctype: tc.ctype, body: tc.body}, tc.status, nil)
		if !strings.Contains(w.Body.String(), tc.msg) {
			t.Errorf("%s %q: %s, want %q", tc.ctype, tc.body[:min(len(tc.body), 20)], w.Body, tc.msg)
		}
	}
	// 10,000 rows are one request.
	h.call(req{method: "POST", path: "/api/v1/matches", token: "analyst", ctype: "text/csv",
		body: "name\n" + strings.Repeat("某某公司\n", maxMatchRows)}, 200, nil)
}

// A tenant matches names against every firm: the identity of a firm outside its chain
// is answered (public registry data), and nothing of its credit data — no grade,
// score, p or d — while the firm's own record stays hidden.
func TestMatchesTenantSeesIdentityOnly(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	st := h.b.State()
	var outside string
	for _, u := range h.all {
		if !h.scopeA[u] && h.scopeB[u] && u != h.leaderB {
			outside = u
			break
		}
	}
	v, _ := st.Index(outside)
	name := st.Firms[v].Name
	w := h.call(req{method: "POST", path: "/api/v1/matches", token: "tenantA", ctype: "text/csv", body: "name\n" + name + "\n"}, 200, nil)
	h.conforms("POST /api/v1/matches", 200, w.Body.Bytes())
	var m matchesJSON
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if r := m.Results[0]; r.USCC == nil || *r.USCC != outside || r.Candidates[0].Name != name || r.Candidates[0].Region != st.Firms[v].Region {
		t.Fatalf("tenant A matching %s: %+v, want its identity %s", name, r, outside)
	}
	// Every key of the answer is an identity or match field.
	var raw map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &raw)
	keys := map[string]bool{}
	var walk func(x any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, y := range x {
				keys[k] = true
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(raw)
	allowed := []string{"results", "summary", "line", "name", "status", "uscc", "confidence", "region_tie_break", "conflict",
		"candidates", "error", "region", "score", "former_name", "exact", "unique", "ambiguous", "none", "errors"}
	for k := range keys {
		if !slices.Contains(allowed, k) {
			t.Errorf("the answer has the key %q", k)
		}
	}
	for _, k := range []string{"grade", "p", "d"} {
		if keys[k] {
			t.Errorf("the answer has the credit key %q: %s", k, w.Body)
		}
	}
	// The match score is no credit score: the firm's credit score appears nowhere.
	if credit := fmt.Sprint(st.Score[v]); strings.Contains(w.Body.String(), credit) {
		t.Errorf("the answer holds the firm's credit score %s: %s", credit, w.Body)
	}
	if sc := m.Results[0].Candidates[0].Score; sc != 1 {
		t.Errorf("candidate score %v, want the match score 1", sc)
	}
	h.call(req{method: "GET", path: "/api/v1/enterprises/" + outside, token: "tenantA"}, 404, nil)
}

// GET /api/v1/enterprises/{uscc} shows the former names next to the name; [] when none.
func TestEnterpriseFormerNames(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	var e enterpriseJSON
	w := h.call(req{method: "GET", path: "/api/v1/enterprises/" + h.leaderA, token: "tenantA"}, 200, &e)
	h.conforms("GET /api/v1/enterprises/{uscc}", 200, w.Body.Bytes())
	if !slices.Equal(e.FormerNames, []string{"黑龙江松花江大豆产业集团有限公司", "黑龙江省松花江粮油有限公司"}) {
		t.Errorf("former names %q", e.FormerNames)
	}
	w = h.call(req{method: "GET", path: "/api/v1/enterprises/" + h.firm("大庆三江石油化工集团有限公司"), token: "analyst"}, 200, nil)
	if !strings.Contains(w.Body.String(), `"former_names":[]`) {
		t.Errorf("a firm without former names: %.300s", w.Body)
	}
}
