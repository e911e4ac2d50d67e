package api

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/monitor"
)

// searchPage is an answer of GET /api/v1/enterprises.
type searchPage struct {
	Firms []struct {
		USCC, Name, Region, Industry, Status, Grade string
		Tags                                        []string
		Score, P                                    float64
	}
	Total      int
	NextCursor *string `json:"next_cursor"`
}

// search lists every page of a search as token, checking each against the OpenAPI
// document and the total against every page's; it returns the USCCs in order.
func (h *harness) search(token, query string) []string {
	h.t.Helper()
	var out []string
	total, cursor := -1, ""
	for pages := 0; ; pages++ {
		path := "/api/v1/enterprises?" + query
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		w := h.call(req{method: "GET", path: path, token: token}, http.StatusOK, nil)
		h.conforms("GET /api/v1/enterprises", 200, w.Body.Bytes())
		var p searchPage
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			h.t.Fatal(err)
		}
		if total >= 0 && p.Total != total {
			h.t.Fatalf("%s: page %d says total %d, the first %d", query, pages, p.Total, total)
		}
		total = p.Total
		for _, f := range p.Firms {
			out = append(out, f.USCC)
		}
		if p.NextCursor == nil {
			if len(out) != total {
				h.t.Fatalf("%s: %d firms on %d pages, total %d", query, len(out), pages+1, total)
			}
			return out
		}
		if len(p.Firms) == 0 || pages > 1000 {
			h.t.Fatalf("%s: page %d is empty or the walk does not end", query, pages)
		}
		cursor = *p.NextCursor
	}
}

// expect lists, in the order sort asks, the USCCs of the firms of st that keep
// selects — computed from the state's arrays, without the index.
func expect(st *monitor.State, sort string, keep func(v int) bool) []string {
	var vs []int
	for v := range st.Firms {
		if keep(v) {
			vs = append(vs, v)
		}
	}
	slices.SortFunc(vs, func(a, b int) int {
		byName := cmp.Or(strings.Compare(st.Firms[a].Name, st.Firms[b].Name), strings.Compare(st.Snap.IDs[a], st.Snap.IDs[b]))
		switch sort {
		case "score":
			return cmp.Or(cmp.Compare(st.Score[a], st.Score[b]), byName)
		case "-score":
			return cmp.Or(cmp.Compare(st.Score[b], st.Score[a]), byName)
		}
		return byName
	})
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = st.Snap.IDs[v]
	}
	return out
}

func TestSearchEndpoint(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		st := h.b.State()
		name := func(q string) func(v int) bool {
			return func(v int) bool { return strings.Contains(st.Firms[v].Name, q) }
		}
		soy := expect(st, "name", name("大豆"))
		if len(soy) != 4 { // the soybean leader, a collector and two farms of its chain
			t.Errorf("the demo has %d firms named 大豆, want 4", len(soy))
		}
		leaderA, _ := st.Index(h.leaderA)
		region := st.Firms[leaderA].Region[:4] // the soybean leader's city
		d := func(v int) bool { return st.Grade[v].String() == "D" }
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"q=" + url.QueryEscape("大豆") + "&limit=1", soy},
			{"q=" + url.QueryEscape("  大豆 "), soy},
			{"q=" + url.QueryEscape("豆"), expect(st, "name", name("豆"))}, // one character
			{"q=" + url.QueryEscape("有限公司") + "&limit=7", expect(st, "name", name("有限公司"))},
			{"limit=50", expect(st, "name", func(int) bool { return true })},
			// A USCC prefix, in either case.
			{"q=" + strings.ToLower(h.leaderA[:10]), expect(st, "name", func(v int) bool { return strings.HasPrefix(st.Snap.IDs[v], h.leaderA[:10]) })},
			{"q=" + h.leaderA, []string{h.leaderA}},
			// Filters, with and without q.
			{"region=" + region, expect(st, "name", func(v int) bool { return strings.HasPrefix(st.Firms[v].Region, region) })},
			{"region=" + region + "00", expect(st, "name", func(v int) bool { return strings.HasPrefix(st.Firms[v].Region, region) })},
			{"region=23&limit=500", expect(st, "name", func(int) bool { return true })},
			{"region=" + st.Firms[leaderA].Region, expect(st, "name", func(v int) bool { return st.Firms[v].Region == st.Firms[leaderA].Region })},
			{"industry=C13", expect(st, "name", func(v int) bool { return strings.HasPrefix(st.Firms[v].Industry, "C13") })},
			{"industry=C", expect(st, "name", func(v int) bool { return strings.HasPrefix(st.Firms[v].Industry, "C") })},
			{"tag=LEADING", expect(st, "name", func(v int) bool { return st.Firms[v].Leading })},
			{"tag=specialized&grade=A", expect(st, "name", func(v int) bool { return st.Firms[v].Specialized && st.Grade[v].String() == "A" })},
			{"grade=D", expect(st, "name", d)},
			{"grade=D&q=" + url.QueryEscape("有限"), expect(st, "name", func(v int) bool { return d(v) && name("有限")(v) })},
			{"status=abnormal", expect(st, "name", func(v int) bool { return st.Firms[v].Status == "abnormal" })},
			{"tag=no-such-tag", nil},
			{"q=" + url.QueryEscape("不存在的企业"), nil},
			// Sorts: score is riskiest first, -score best first, both then by name.
			{"sort=score&limit=9", expect(st, "score", func(int) bool { return true })},
			{"sort=-score&limit=11&q=" + url.QueryEscape("有限"), expect(st, "-score", name("有限"))},
			{"sort=score&grade=D&limit=2", expect(st, "score", d)},
		} {
			if got := h.search("analyst", tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %d firms %v\nwant %d %v", tc.query, len(got), got, len(tc.want), tc.want)
			}
		}
		// What a firm of the answer says is the state's.
		var p searchPage
		h.get("/api/v1/enterprises?q="+h.leaderA, &p)
		if f := p.Firms[0]; len(p.Firms) != 1 || f.Name != soybeanLeader || f.Score != st.Score[leaderA] ||
			f.Grade != st.Grade[leaderA].String() || f.P != st.P[leaderA] || f.Region != st.Firms[leaderA].Region ||
			!slices.Equal(f.Tags, []string{"leading", "listed"}) || f.Status != "active" {
			t.Errorf("the soybean leader: %+v", p.Firms)
		}
		if len(expect(st, "score", d)) < 2 || len(expect(st, "name", func(v int) bool { return st.Firms[v].Status == "abnormal" })) == 0 {
			t.Error("the demo changed: the grade and status filters are not exercised")
		}
	})
}

// A tenant finds the firms of its chain and nothing else: a firm outside answers as
// a firm that does not exist.
func TestSearchTenantScope(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		st := h.b.State()
		inScope := func(scope map[string]bool, q string) []string {
			return expect(st, "name", func(v int) bool {
				return scope[st.Snap.IDs[v]] && strings.Contains(st.Firms[v].Name, q)
			})
		}
		for _, tn := range []struct {
			token string
			scope map[string]bool
		}{{"tenantA", h.scopeA}, {"tenantB", h.scopeB}} {
			for _, q := range []string{"", "有限", "大豆", "乳业"} {
				if got, want := h.search(tn.token, "limit=20&q="+url.QueryEscape(q)), inScope(tn.scope, q); !slices.Equal(got, want) {
					t.Errorf("%s, %q: %v, want %v", tn.token, q, got, want)
				}
			}
		}
		var outside string
		for v, f := range st.Firms {
			if !h.scopeA[st.Snap.IDs[v]] {
				outside = f.Name
				break
			}
		}
		other := h.do(req{method: "GET", path: "/api/v1/enterprises?q=" + url.QueryEscape(outside), token: "tenantA"})
		missing := h.do(req{method: "GET", path: "/api/v1/enterprises?q=" + url.QueryEscape("不存在的企业"), token: "tenantA"})
		if other.Code != 200 || other.Body.String() != missing.Body.String() || strings.Contains(other.Body.String(), outside) {
			t.Errorf("a firm outside the chain: %d %s; a missing one: %s", other.Code, other.Body, missing.Body)
		}
	})
}

func TestSearchBadInput(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	var first searchPage
	h.get("/api/v1/enterprises?limit=2", &first)
	if first.NextCursor == nil {
		t.Fatal("no next_cursor")
	}
	cursor := url.QueryEscape(*first.NextCursor)
	for _, tc := range []struct {
		query, field string
	}{
		{"grade=X", "grade"}, {"grade=a", "grade"}, {"status=foo", "status"}, {"sort=bar", "sort"}, {"sort=name&sort=score", "sort"},
		{"limit=0", "limit"}, {"limit=501", "limit"}, {"limit=ten", "limit"},
		{"region=231", "region"}, {"region=23010203", "region"}, {"region=abcd", "region"},
		{"industry=X1", "industry"}, {"industry=C1", "industry"}, {"industry=c13", "industry"},
		{"tag=a,b", "tag"}, {"tag=" + strings.Repeat("t", 65), "tag"},
		{"q=" + url.QueryEscape(strings.Repeat("豆", 10000)), "q"}, // 30,000 bytes
		{"q=%FF%FE", "q"},
		{"cursor=not-a-cursor", "cursor"}, {"cursor=" + strings.Repeat("A", 40), "cursor"},
		// A cursor is for the query that gave it.
		{"sort=score&cursor=" + cursor, "cursor"}, {"q=x&cursor=" + cursor, "cursor"},
		{"name=大豆", "name"},
	} {
		w := h.do(req{method: "GET", path: "/api/v1/enterprises?" + tc.query, token: "analyst"})
		if w.Code != http.StatusBadRequest {
			t.Errorf("%.60s: %d, want 400: %.200s", tc.query, w.Code, w.Body)
			continue
		}
		if e := errorOf(t, w.Body.Bytes()); !strings.Contains(e.Message, tc.field) {
			t.Errorf("%.60s: %q does not name %s", tc.query, e.Message, tc.field)
		}
	}
	// The same cursor with another page size goes on.
	var next searchPage
	h.get("/api/v1/enterprises?limit=5&cursor="+cursor, &next)
	if len(next.Firms) != 5 || next.Firms[0].USCC == first.Firms[1].USCC {
		t.Errorf("the second page: %+v", next.Firms)
	}
	// A query of 4096 bytes, the longest a name may be, is answered.
	long := strings.Repeat("a", 4096)
	h.call(req{method: "GET", path: "/api/v1/enterprises?q=" + long, token: "analyst"}, http.StatusOK, nil)
	for _, m := range []string{"POST", "DELETE"} {
		w := h.do(req{method: m, path: "/api/v1/enterprises?q=x", token: "analyst"})
		if w.Code != http.StatusForbidden && w.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d", m, w.Code)
		}
	}
}

// A firm ingested or renamed is found, by its new name only, once the scan that
// takes it in has run.
func TestSearchFollowsIngest(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		farm := h.firm(farmCompany)
		fresh := validUnknown()
		csv := fmt.Sprintf("uscc,name,region\n%s,黑河兴安新设大豆示范种植专业合作社,231100\n%s,黑河兴安丰泽大豆农业发展有限公司,231100\n", fresh, farm)
		h.call(req{method: "POST", path: "/api/v1/enterprises", token: "ingest", ctype: "text/csv", body: csv}, http.StatusOK, nil)
		st := h.b.State()
		for _, q := range []string{"示范种植", "丰泽大豆", farmCompany, fresh[:12], "大豆"} {
			want := expect(st, "name", func(v int) bool {
				return strings.Contains(st.Firms[v].Name, q) || strings.HasPrefix(st.Snap.IDs[v], q)
			})
			got := h.search("analyst", "q="+url.QueryEscape(q))
			if !slices.Equal(got, want) {
				t.Errorf("%q after the ingest: %v, want %v", q, got, want)
			}
			// The new firm under its name, the renamed one under its new name only.
			if slices.Contains(got, fresh) != (q != farmCompany && q != "丰泽大豆") ||
				slices.Contains(got, farm) != (q == "丰泽大豆" || q == "大豆") {
				t.Errorf("%q after the ingest finds %v (new firm %s, renamed %s)", q, got, fresh, farm)
			}
		}
	})
}
