package api

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/risk"
)

// chainSummaryAnswer is what these tests read of a chain's answer.
type chainSummaryAnswer struct {
	Leader      string          `json:"leader"`
	Members     []memberJSON    `json:"members"`
	MemberCount int             `json:"member_count"`
	MembersURL  string          `json:"members_url"`
	Tiers       json.RawMessage `json:"tiers"`
	Top         json.RawMessage `json:"top_contributors"`
	Conc        json.RawMessage `json:"concentration"`
	ChainRisk   float64         `json:"chain_risk"`
	OnDemand    bool            `json:"on_demand"`
}

// tierRank orders tiers as the chain answers do: 0, 1, 2, … then −1, −2, ….
func tierRank(t int) int {
	if t < 0 {
		return 100 - t
	}
	return t
}

func TestChainSummary(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	var raw json.RawMessage
	h.get("/api/v1/chains/"+h.leaderA, &raw)
	h.conforms("GET /api/v1/chains/{leader}", 200, raw)
	if slices.Contains(keys(t, raw), "members") {
		t.Errorf("the summary lists members: %.300s", raw)
	}
	var sum, full chainSummaryAnswer
	_ = json.Unmarshal(raw, &sum)
	h.get("/api/v1/chains/"+h.leaderA+"?members=all", &full)
	// README: 9 / 25 / 44 suppliers within 3 tiers, 6 customers.
	if sum.MemberCount != 85 || full.MemberCount != 85 || len(full.Members) != 85 {
		t.Errorf("member_count %d (full %d, %d listed), want 85", sum.MemberCount, full.MemberCount, len(full.Members))
	}
	if sum.MembersURL != "/api/v1/chains/"+h.leaderA+"/members" {
		t.Errorf("members_url %q", sum.MembersURL)
	}
	full.Members = nil
	var again json.RawMessage
	h.get("/api/v1/chains/"+h.leaderA, &again)
	if string(again) != string(raw) {
		t.Errorf("the kept summary differs:\n%s\nfirst:\n%s", again, raw)
	}
	if !reflect.DeepEqual(sum, full) {
		t.Errorf("summary %+v\nfull answer without its members %+v", sum, full)
	}
	// Members in tier order, by USCC within a tier, each firm of the chain once.
	h.get("/api/v1/chains/"+h.leaderA+"?members=all", &full)
	want := h.chainSet(h.leaderA)
	for i, m := range full.Members {
		if !want[m.USCC] {
			t.Errorf("member %s is not in the chain", m.USCC)
		}
		if i > 0 {
			p := full.Members[i-1]
			if cmp.Or(cmp.Compare(tierRank(p.Tier), tierRank(m.Tier)), strings.Compare(p.USCC, m.USCC)) >= 0 {
				t.Errorf("member %d (%d %s) after (%d %s)", i, m.Tier, m.USCC, p.Tier, p.USCC)
			}
		}
	}
	// Other depths: on demand, with the depths in members_url.
	var shallow chainSummaryAnswer
	h.get("/api/v1/chains/"+h.leaderA+"?depth_up=1&depth_down=0", &shallow)
	if !shallow.OnDemand || shallow.MemberCount != 10 ||
		shallow.MembersURL != "/api/v1/chains/"+h.leaderA+"/members?depth_up=1&depth_down=0" {
		t.Errorf("depth 1/0: %+v", shallow)
	}
	// Above http.max_chain_members the full answer is refused, pointing to the pages.
	h.b.cfg.HTTP.MaxChainMembers = 84
	w := h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "?members=all", token: "analyst"}, 422, nil)
	h.conforms("GET /api/v1/chains/{leader}", 422, w.Body.Bytes())
	if b := w.Body.String(); !strings.Contains(b, "chain_too_large") || !strings.Contains(b, "/members") ||
		!strings.Contains(b, "format=ndjson") {
		t.Errorf("over the limit: %s", b)
	}
	h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA, token: "analyst"}, 200, nil)
	h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "?members=some", token: "analyst"}, 400, nil)
}

// walkMembers pages through /members with query q, checking each page against the
// schema, and returns the members in order.
// walkMembers reads every page as walkPages does, the contributions left out (the
// full answer has none).
func walkMembers(t *testing.T, h *harness, leader, token string, q url.Values) []memberJSON {
	t.Helper()
	all := walkPages(t, h, leader, token, q)
	for i := range all {
		all[i].Contribution = nil
	}
	return all
}

// walkPages reads every page of a chain's members with the query q.
func walkPages(t *testing.T, h *harness, leader, token string, q url.Values) []memberJSON {
	t.Helper()
	var all []memberJSON
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("the pages do not end")
		}
		var page membersPageJSON
		w := h.call(req{method: "GET", path: "/api/v1/chains/" + leader + "/members?" + q.Encode(), token: token}, 200, &page)
		h.conforms("GET /api/v1/chains/{leader}/members", 200, w.Body.Bytes())
		if limit, _ := strconv.Atoi(q.Get("limit")); limit > 0 && len(page.Members) > limit {
			t.Fatalf("a page of %d members, limit %d", len(page.Members), limit)
		}
		all = append(all, page.Members...)
		if page.NextCursor == nil {
			return all
		}
		q.Set("cursor", *page.NextCursor)
	}
}

func TestChainMembersPages(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	var full chainSummaryAnswer
	h.get("/api/v1/chains/"+h.leaderA+"?members=all", &full)
	for _, limit := range []string{"1", "7", "85", "1000"} {
		got := walkMembers(t, h, h.leaderA, "analyst", url.Values{"limit": {limit}})
		if !reflect.DeepEqual(got, full.Members) {
			t.Errorf("limit %s: %d members paged, %d in the full answer", limit, len(got), len(full.Members))
		}
	}
	for _, f := range []struct{ tier, grade string }{{"2", ""}, {"", "D"}, {"3", "C"}, {"-1", ""}, {"", "unknown"}, {"9", ""}} {
		var want []memberJSON
		for _, m := range full.Members {
			if (f.tier == "" || strconv.Itoa(m.Tier) == f.tier) && (f.grade == "" || m.Grade == f.grade ||
				f.grade == "unknown" && m.Grade == "") {
				want = append(want, m)
			}
		}
		q := url.Values{"limit": {"4"}}
		if f.tier != "" {
			q.Set("tier", f.tier)
		}
		if f.grade != "" {
			q.Set("grade", f.grade)
		}
		if got := walkMembers(t, h, h.leaderA, "tenantA", q); !reflect.DeepEqual(got, want) {
			t.Errorf("tier %q grade %q: %d members, want %d", f.tier, f.grade, len(got), len(want))
		}
	}
	var page membersPageJSON
	h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members", token: "analyst"}, 200, &page)
	if len(page.Members) != 85 || page.NextCursor != nil { // the default limit is 100
		t.Errorf("default page: %d members, next %v", len(page.Members), page.NextCursor)
	}
	h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderB + "/members?limit=1", token: "analyst"}, 200, &page)
	other := *page.NextCursor
	for _, c := range []struct{ query, param string }{
		{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=x", "limit"}, {"tier=one", "tier"}, {"tier=11", "tier"},
		{"grade=E", "grade"}, {"format=xml", "format"}, {"cursor=notone", "cursor"}, {"cursor=" + other, "cursor"},
		{"format=csv&limit=5", "format=csv"}, {"format=ndjson&cursor=" + other, "format=ndjson"}, {"depth_up=11", "depth_up"},
		{"color=red", "color"},
	} {
		w := h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members?" + c.query, token: "analyst"}, 400, nil)
		h.conforms("GET /api/v1/chains/{leader}/members", 400, w.Body.Bytes())
		if !strings.Contains(w.Body.String(), c.param) {
			t.Errorf("%s: the error does not name %s: %s", c.query, c.param, w.Body.String())
		}
	}
}

func TestChainMembersExport(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	var full chainSummaryAnswer
	h.get("/api/v1/chains/"+h.leaderA+"?members=all", &full)
	for _, r := range []req{
		{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members?format=ndjson", token: "tenantA"},
		{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members", token: "analyst",
			header: map[string]string{"Accept": "application/x-ndjson"}},
	} {
		w := h.call(r, 200, nil)
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, mediaNDJSON) {
			t.Errorf("Content-Type %q", ct)
		}
		var got []memberJSON
		sc := bufio.NewScanner(w.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m memberJSON
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			got = append(got, m)
		}
		if !reflect.DeepEqual(got, full.Members) {
			t.Errorf("%s: %d members exported, %d in the full answer", r.path, len(got), len(full.Members))
		}
	}
	// An index pushed out of the most recent few loses its encoded lines: its export
	// encodes as it goes, to the same bytes.
	first := h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members?format=ndjson", token: "analyst"}, 200, nil)
	for _, d := range []string{"1", "2"} {
		h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members?format=ndjson&depth_up=" + d, token: "analyst"}, 200, nil)
	}
	st := h.b.State()
	v, _ := st.Index(h.leaderA)
	if ix, _ := h.s.chains.get(st, v, 3, 1); ix.enc[0].Load() != nil {
		t.Error("the encoded lines of an index out of the most recent two are kept")
	}
	again := h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members?format=ndjson", token: "analyst"}, 200, nil)
	if again.Body.String() != first.Body.String() {
		t.Errorf("the export without its encoded lines differs:\n%s\nwith them:\n%s", again.Body, first.Body)
	}
	w := h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members?grade=D", token: "analyst",
		header: map[string]string{"Accept": "text/csv"}}, 200, nil)
	if cd := w.Header().Get("Content-Disposition"); !strings.Contains(cd, "chain-"+h.leaderA+"-members.csv") {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var d []memberJSON
	for _, m := range full.Members {
		if m.Grade == "D" {
			d = append(d, m)
		}
	}
	if len(rows) != 1+len(d) || strings.Join(rows[0], ",") != "uscc,name,tier,grade,score,p,d,paths,esri,esri_converged" {
		t.Fatalf("%d rows for %d members of grade D; header %v", len(rows), len(d), rows[0])
	}
	for i, m := range d {
		row := rows[i+1]
		var paths []string
		for _, p := range m.Paths {
			paths = append(paths, strings.Join(p, ">"))
		}
		p, _ := strconv.ParseFloat(row[5], 64)
		if row[0] != m.USCC || row[1] != m.Name || row[2] != strconv.Itoa(m.Tier) || row[3] != "D" || p != m.P ||
			row[7] != strings.Join(paths, ";") || row[8] != "" || row[9] != "" {
			t.Errorf("row %v for %+v", row, m)
		}
	}
}

// A tenant sees its own chain's members, and of another leader's, the answer of a
// firm that does not exist.
func TestChainMembersTenancy(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	for _, q := range []string{"/members", "/members?limit=3", "/members?format=ndjson", "/members?format=csv", "?members=all"} {
		h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + q, token: "tenantA"}, 200, nil)
		missing := h.do(req{method: "GET", path: "/api/v1/chains/" + validUnknown() + q, token: "tenantA"})
		other := h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderB + q, token: "tenantA"}, 404, nil)
		if !bytes.Equal(other.Body.Bytes(), missing.Body.Bytes()) || missing.Code != http.StatusNotFound {
			t.Errorf("%s: another leader answers %s, a missing firm %d %s", q, other.Body, missing.Code, missing.Body)
		}
		h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderB + q, token: "tenantB"}, 200, nil)
	}
	// A tenant's depths are the config's at most, on the members too.
	h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members?depth_up=4", token: "tenantA"}, 403, nil)
}

// The hand-written NDJSON of the export is what encoding/json writes for memberJSON.
func TestMembersNDJSONMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "plain", `q"uote`, `back\slash`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f", "\b\f",
		"中文企业有限公司", "bad \xff\xfe utf8", "sep\u2028\u2029", "<html>&amp;", "emoji 😀", "\xe4\xb8"}
	for _, s := range strs {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		if got, want := string(appendJSONString(nil, s)), strings.TrimSuffix(buf.String(), "\n"); got != want {
			t.Errorf("%q: %s, encoding/json %s", s, got, want)
		}
	}
	floats := []float64{0, 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 1.5e-9, 123456789, 1e20, 1e21, 1.7976931348623157e308,
		5e-324, -2.5e-8, 0.30000000000000004, 57.25}
	for _, f := range floats {
		want, _ := json.Marshal(f)
		if got := appendJSONFloat(nil, f); string(got) != string(want) {
			t.Errorf("%v: %s, encoding/json %s", f, got, want)
		}
	}
	// Whole members, from the demo's chain, with and without ESRI.
	h := newHarness(t, "sqlite", Options{})
	st := h.b.State()
	v, _ := st.Index(h.leaderA)
	ix, err := h.s.chains.get(st, v, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	esri := &chainESRIMembers{byFirm: map[string]*riskMember{}}
	for i := range ix.order {
		if i%2 == 0 {
			m := &riskMember{}
			m.ESRI, m.Converged = float64(i)/7, i%4 == 0
			esri.byFirm[ix.member(i).ID] = m
		}
	}
	for _, e := range []*chainESRIMembers{nil, esri} {
		for i := range ix.order {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(ix.memberAt(i, e))
			if got := ix.appendMemberJSON(nil, i, e); string(got) != buf.String() {
				t.Fatalf("member %d:\n%s\nencoding/json:\n%s", i, got, buf.String())
			}
		}
	}
	if !slices.IsSortedFunc(ix.order, func(a, b int32) int {
		return cmp.Compare(tierRank(ix.ch.Members[a].Tier), tierRank(ix.ch.Members[b].Tier))
	}) {
		t.Error("the index is not in tier order")
	}
}

type riskMember = risk.ChainESRIMember

func TestChainMembersContribution(t *testing.T) {
	h := newHarness(t, "sqlite", Options{})
	var sum struct {
		Top []risk.Contributor `json:"top_contributors"`
	}
	h.get("/api/v1/chains/"+h.leaderA, &sum)
	all := walkPages(t, h, h.leaderA, "analyst", url.Values{"limit": {"30"}})
	by := map[string]float64{}
	for _, m := range all {
		switch {
		case m.Tier == 0 && m.Contribution != nil:
			t.Errorf("the leader has a contribution %v", *m.Contribution)
		case m.Tier != 0 && (m.Contribution == nil || *m.Contribution < 0):
			t.Errorf("member %s: contribution %v", m.USCC, m.Contribution)
		case m.Tier != 0:
			by[m.USCC] = *m.Contribution
		}
	}
	if len(sum.Top) < 5 {
		t.Fatalf("%d top contributors", len(sum.Top))
	}
	// The scan's ranking and the pages agree: each top contributor's figure, and no
	// member outside the top above the last of it.
	in := map[string]bool{}
	for _, c := range sum.Top {
		in[c.USCC] = true
		if math.Abs(by[c.USCC]-c.Contribution) > 1e-12 {
			t.Errorf("%s: page %v, top_contributors %v", c.USCC, by[c.USCC], c.Contribution)
		}
	}
	least := sum.Top[len(sum.Top)-1].Contribution
	for u, c := range by {
		if !in[u] && c > least {
			t.Errorf("%s contributes %v, above the least top contributor %v, and is not listed", u, c, least)
		}
	}
	x := sum.Top[4].Contribution
	var want []string
	for _, m := range all {
		if m.Contribution != nil && *m.Contribution >= x {
			want = append(want, m.USCC)
		}
	}
	var got []string
	for _, m := range walkPages(t, h, h.leaderA, "tenantA", url.Values{"limit": {"2"}, "min_contribution": {strconv.FormatFloat(x, 'g', -1, 64)}}) {
		got = append(got, m.USCC)
	}
	if len(want) < 5 || !slices.Equal(got, want) {
		t.Errorf("min_contribution %v: %v, want %v", x, got, want)
	}
	w := h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members?format=csv&min_contribution=" +
		strconv.FormatFloat(x, 'g', -1, 64), token: "analyst"}, 200, nil)
	rows, err := csv.NewReader(w.Body).ReadAll()
	if err != nil || len(rows) != len(want)+1 {
		t.Errorf("export with min_contribution: %d rows (%v), want %d and a header", len(rows), err, len(want))
	}
	for _, bad := range []string{"-0.1", "1.5", "x", "NaN"} {
		w := h.call(req{method: "GET", path: "/api/v1/chains/" + h.leaderA + "/members?min_contribution=" + bad, token: "analyst"}, 400, nil)
		if !strings.Contains(w.Body.String(), "min_contribution") {
			t.Errorf("min_contribution=%s: %s", bad, w.Body.String())
		}
	}
}
