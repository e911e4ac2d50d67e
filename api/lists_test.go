package api

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/lists"
	"github.com/chainrisk/chainrisk/monitor"
)

// listPage is GET /api/v1/lists/{name}'s answer as a client reads it.
type listPage struct {
	Name       string
	Total      int
	NextCursor *string `json:"next_cursor"`
	ScanID     int64   `json:"scan_id"`
	Members    []listMemberOut
}

type listMemberOut struct {
	USCC, Name, Region, Industry, Grade string
	Score                               float64
	Reasons                             []struct{ Condition, Detail string }
}

// members is what the state puts on list name, in USCC order, that keep keeps.
func (h *harness) members(name string, keep func(f *monitor.Firm) bool) []string {
	st := h.b.State()
	l, ok := st.Lists.Set().Index(name)
	if !ok {
		h.t.Fatalf("no list %s", name)
	}
	var out []string
	for v, id := range st.Snap.IDs {
		if st.Lists.Has(l, int32(v)) && keep(&st.Firms[v]) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// walk reads every page of a list query and returns the members in order.
func (h *harness) walk(path string, limit int) (members []string, pages int) {
	h.t.Helper()
	cursor := ""
	total := -1
	for {
		p := fmt.Sprintf("%s&limit=%d", path, limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		var page listPage
		w := h.call(req{method: "GET", path: p, token: "analyst"}, http.StatusOK, &page)
		h.conforms("GET /api/v1/lists/{name}", 200, w.Body.Bytes())
		pages++
		if total >= 0 && page.Total != total {
			h.t.Errorf("%s: total %d on page %d, %d before", path, page.Total, pages, total)
		}
		total = page.Total
		if len(page.Members) > limit || (page.NextCursor != nil && len(page.Members) != limit) {
			h.t.Errorf("%s: page %d holds %d members (limit %d, more: %v)", path, pages, len(page.Members), limit, page.NextCursor != nil)
		}
		for _, m := range page.Members {
			members = append(members, m.USCC)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
		if pages > 1000 {
			h.t.Fatal("no last page")
		}
	}
	if total != len(members) {
		h.t.Errorf("%s: total %d, %d members walked", path, total, len(members))
	}
	return members, pages
}

func TestListsEndpoint(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, h *harness) {
		st := h.b.State()
		var out struct {
			Lists []struct {
				Name     string
				TitleZh  string `json:"title_zh"`
				Criteria json.RawMessage
				Count    int
			}
			ScanID int64 `json:"scan_id"`
		}
		w := h.call(req{method: "GET", path: "/api/v1/lists", token: "analyst"}, http.StatusOK, &out)
		h.conforms("GET /api/v1/lists", 200, w.Body.Bytes())
		if len(out.Lists) != 3 || out.ScanID != st.ScanID {
			t.Fatalf("lists %+v", out)
		}
		for i, name := range []string{lists.Discipline, lists.Focus, lists.Incentive} {
			got := out.Lists[i]
			if got.Name != name || got.Count != len(h.members(name, func(*monitor.Firm) bool { return true })) || got.Count == 0 {
				t.Errorf("list %d: %s with %d members, want %s with %d", i, got.Name, got.Count, name, st.Lists.Count(i))
			}
		}
		if l := out.Lists[2]; l.TitleZh != "守信激励对象" || string(l.Criteria) != `{"all_of":[{"grade":["A"]},{"status":["active"]},`+
			`{"no_active_negative_event":true},{"no_event_severity":{"severities":["high","critical"],"within":"3y"}}],"any_of":[]}` {
			t.Errorf("incentive: %s %s", l.TitleZh, l.Criteria)
		}
		if l := out.Lists[1]; string(l.Criteria) != `{"all_of":[],"any_of":[{"grade":["C"]},{"active_event_severity":["high"]}]}` {
			t.Errorf("focus: %s", l.Criteria)
		}

		// The farm company of Heihe: grade D and a dishonest judgment debtor.
		farm := h.firm(farmCompany)
		var page listPage
		w = h.call(req{method: "GET", path: "/api/v1/lists/discipline?region=2311", token: "admin"}, http.StatusOK, &page)
		h.conforms("GET /api/v1/lists/{name}", 200, w.Body.Bytes())
		i := slices.IndexFunc(page.Members, func(m listMemberOut) bool {
			return m.USCC == farm
		})
		if i < 0 {
			t.Fatalf("the farm company is not on the discipline list of Heihe: %+v", page)
		}
		m := page.Members[i]
		if m.Name != farmCompany || m.Grade != "D" || m.Region != "231100" || len(m.Reasons) != 2 ||
			m.Reasons[0].Condition != "grade" || m.Reasons[0].Detail != "grade D" || m.Reasons[1].Condition != "active_event_severity" ||
			!strings.Contains(m.Reasons[1].Detail, "dishonest_judgment_debtor (critical, 2026-08-26)") {
			t.Errorf("farm company: %+v", m)
		}
	})
}

// Walking every page yields the members, in USCC order, once each, whatever the
// filters; the CSV holds the same rows.
func TestListPagination(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	all := func(*monitor.Firm) bool { return true }
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/api/v1/lists/focus?format=json", h.members(lists.Focus, all)},
		{"/api/v1/lists/incentive?region=23", h.members(lists.Incentive, all)},
		{"/api/v1/lists/incentive?tag=specialized", h.members(lists.Incentive, func(f *monitor.Firm) bool { return f.Specialized })},
		{"/api/v1/lists/incentive?tag=little_giant", h.members(lists.Incentive, func(f *monitor.Firm) bool { return f.LittleGiant })},
		{"/api/v1/lists/focus?industry=A01", h.members(lists.Focus, func(f *monitor.Firm) bool { return strings.HasPrefix(f.Industry, "A01") })},
		{"/api/v1/lists/discipline?region=2311&industry=A", h.members(lists.Discipline, func(f *monitor.Firm) bool {
			return strings.HasPrefix(f.Region, "2311") && f.Industry[0] == 'A'
		})},
		{"/api/v1/lists/incentive?region=2302&tag=leading", h.members(lists.Incentive, func(f *monitor.Firm) bool {
			return strings.HasPrefix(f.Region, "2302") && f.Leading
		})},
	} {
		for _, limit := range []int{1, 7, 1000} {
			got, pages := h.walk(tc.path, limit)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s, limit %d: walked %d members %v\nwant %d %v", tc.path, limit, len(got), got, len(tc.want), tc.want)
			}
			if want := max(1, (len(tc.want)+limit-1)/limit); pages != want {
				t.Errorf("%s, limit %d: %d pages, want %d", tc.path, limit, pages, want)
			}
		}
	}
	// The filters select: the lists and filters above are not all the same.
	if len(h.members(lists.Incentive, func(f *monitor.Firm) bool { return f.LittleGiant })) == 0 ||
		len(h.members(lists.Incentive, func(f *monitor.Firm) bool { return f.LittleGiant })) == len(h.members(lists.Incentive, all)) {
		t.Error("the little_giant filter selects nothing or everything on the demo")
	}

	// CSV: every member, in the same order as the pages, with its reasons.
	w := h.do(req{method: "GET", path: "/api/v1/lists/focus?format=csv", token: "analyst"})
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") ||
		w.Header().Get("Content-Disposition") != `attachment; filename="focus.csv"` {
		t.Fatalf("csv: %d %v", w.Code, w.Header())
	}
	rows, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], []string{"uscc", "name", "region", "industry", "grade", "score", "reasons"}) {
		t.Errorf("header %v", rows[0])
	}
	want := h.members(lists.Focus, all)
	if len(rows)-1 != len(want) {
		t.Fatalf("%d csv rows, want %d", len(rows)-1, len(want))
	}
	st := h.b.State()
	for i, r := range rows[1:] {
		v, _ := st.Index(r[0])
		if r[0] != want[i] || r[1] != st.Firms[v].Name || r[4] != st.Grade[v].String() || r[6] == "" {
			t.Errorf("csv row %d: %v", i+1, r)
		}
		if st.Grade[v].String() == "C" && !strings.HasPrefix(r[6], "grade C") {
			t.Errorf("csv row %d: grade C first among the reasons: %v", i+1, r)
		}
	}
	w = h.do(req{method: "GET", path: "/api/v1/lists/discipline?format=csv&region=2311&industry=A", token: "analyst"})
	rows, _ = csv.NewReader(w.Body).ReadAll()
	var ids []string
	for _, r := range rows[1:] {
		ids = append(ids, r[0])
	}
	if want := h.members(lists.Discipline, func(f *monitor.Firm) bool {
		return strings.HasPrefix(f.Region, "2311") && f.Industry[0] == 'A'
	}); !slices.Equal(ids, want) || len(want) == 0 {
		t.Errorf("filtered csv: %v, want %v", ids, want)
	}
}

func TestListBadInput(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	foreign := base64.RawURLEncoding.EncodeToString([]byte("offset:20"))
	for _, tc := range []struct {
		path   string
		status int
		code   string
		says   string
	}{
		{"/api/v1/lists/blacklist", 404, codeNotFound, `no list "blacklist" (lists: discipline, focus, incentive)`},
		{"/api/v1/lists/focus?cursor=zzz", 400, codeBadRequest, "cursor"},
		{"/api/v1/lists/focus?cursor=" + foreign, 400, codeBadRequest, "cursor"},
		{"/api/v1/lists/focus?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("after:9123")), 400, codeBadRequest, "cursor"},
		{"/api/v1/lists/focus?region=233", 400, codeBadRequest, "region"},
		{"/api/v1/lists/focus?region=Harbin", 400, codeBadRequest, "region"},
		{"/api/v1/lists/focus?region=65", 400, codeBadRequest, `region "65" is unknown`}, // Xinjiang: no demo firm
		{"/api/v1/lists/focus?region=230199", 400, codeBadRequest, `region "230199" is unknown`},
		{"/api/v1/lists/focus?industry=K70", 400, codeBadRequest, `industry "K70" is unknown`}, // real estate: none in the demo
		{"/api/v1/lists/focus?industry=Z13", 400, codeBadRequest, "industry"},
		{"/api/v1/lists/focus?industry=C13311", 400, codeBadRequest, "industry"},
		{"/api/v1/lists/focus?tag=state_owned", 400, codeBadRequest, "tag"},
		{"/api/v1/lists/focus?limit=0", 400, codeBadRequest, "limit"},
		{"/api/v1/lists/focus?limit=1001", 400, codeBadRequest, "limit"},
		{"/api/v1/lists/focus?format=xlsx", 400, codeBadRequest, "format"},
		{"/api/v1/lists/focus?format=csv&limit=10", 400, codeBadRequest, "limit or cursor"},
		{"/api/v1/lists/focus?page=2", 400, codeUnknownParameter, "page"},
		{"/api/v1/lists?region=23", 400, codeUnknownParameter, "region"},
	} {
		e := h.wantError(req{method: "GET", path: tc.path, token: "analyst"}, tc.status, tc.code)
		if !strings.Contains(e.Message, tc.says) {
			t.Errorf("%s: %q does not name %q", tc.path, e.Message, tc.says)
		}
	}
	// A valid cursor past the last member: an empty last page.
	last := h.members(lists.Focus, func(*monitor.Firm) bool { return true })
	var page listPage
	h.call(req{method: "GET", path: "/api/v1/lists/focus?cursor=" + listCursor(last[len(last)-1]), token: "analyst"}, 200, &page)
	if len(page.Members) != 0 || page.NextCursor != nil || page.Total != len(last) {
		t.Errorf("after the last member: %+v", page)
	}
}

// An ingest moves a firm between lists at the next (incremental) scan; the order of
// lists read before it is carried over (lists.Patch), and pages still walk right.
func TestListsFollowIngest(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	all := func(*monitor.Firm) bool { return true }
	for _, name := range []string{lists.Incentive, lists.Discipline} {
		h.walk("/api/v1/lists/"+name+"?format=json", 10)
	}
	firm := h.members(lists.Incentive, all)[0]
	csvBody := fmt.Sprintf("event_id,uscc,type,occurred_at\nLST-1,%s,bankruptcy,%s\n", firm,
		h.b.clock.AddDate(0, 0, -1).Format("2006-01-02"))
	if sum, err := h.b.Ingest(context.Background(), credit.KindEvents, ingest.CSV, strings.NewReader(csvBody), true, "test"); err != nil || !sum.OK() {
		t.Fatalf("ingest: %v %v", err, sum.Errors)
	}
	on := func(list string) bool {
		var page listPage
		h.call(req{method: "GET", path: "/api/v1/lists/" + list + "?limit=1000", token: "analyst"}, 200, &page)
		return slices.ContainsFunc(page.Members, func(m listMemberOut) bool {
			return m.USCC == firm
		})
	}
	if on(lists.Incentive) || !on(lists.Discipline) {
		t.Errorf("%s after a bankruptcy: incentive %v, discipline %v; want false, true", firm, on(lists.Incentive), on(lists.Discipline))
	}
	for _, name := range []string{lists.Incentive, lists.Discipline} {
		if got, _ := h.walk("/api/v1/lists/"+name+"?format=json", 10); !slices.Equal(got, h.members(name, all)) {
			t.Errorf("%s after the ingest: walked %v, want %v", name, got, h.members(name, all))
		}
	}
}
