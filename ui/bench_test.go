package ui_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/daemon"
)

// genChain writes a chain of 1 + 20 + 200 + 1,780 = 2,001 members: a leader, 20
// tier-1 suppliers of 10 tier-2 suppliers each, and 9 tier-3 suppliers below each
// tier-2 one until there are 1,780. It returns the leader and the CSV bodies.
func genChain(t testing.TB) (leader, firms, relations string) {
	var f, r strings.Builder
	f.WriteString("uscc,name,region,industry,tags,status,revenue\n")
	r.WriteString("supplier,customer,purchase_share,sales_share,substitutability,amount\n")
	n := 0
	next := func(tag string) string {
		n++
		u, err := credit.MakeUSCC(fmt.Sprintf("91230100%09d", 100000+n))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&f, "%s,基准链企业%04d有限公司,230100,C1331,%s,active,%d\n", u, n, tag, 1_000_000*n)
		return u
	}
	leader = next("leading")
	t3s := 0
	for i := 0; i < 20; i++ {
		t1 := next("")
		fmt.Fprintf(&r, "%s,%s,0.04,0.5,0.5,1000\n", t1, leader)
		for j := 0; j < 10; j++ {
			t2 := next("")
			fmt.Fprintf(&r, "%s,%s,0.08,0.5,0.3,1000\n", t2, t1)
			for k := 0; k < 9 && t3s < 1780; k++ {
				t3 := next("")
				t3s++
				fmt.Fprintf(&r, "%s,%s,0.1,0.5,0.2,1000\n", t3, t2)
			}
		}
	}
	return leader, f.String(), r.String()
}

// BenchmarkChainPage2000 opens the chain page of a 2,001-member chain in headless
// Chromium and reports, from the browser's Performance API, when the page had arrived
// (responseEnd), first contentful paint and the time until every chart has rendered
// (the page is interactive), in ms from the start of the navigation.
func BenchmarkChainPage2000(b *testing.B) {
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	dm := startDaemon(b, daemon.Options{Config: cfg})
	leader, firms, relations := genChain(b)
	ingest(b, dm, "enterprises", firms)
	ingest(b, dm, "relations", relations)
	members := waitMembers(b, dm, leader)
	tab := newTab(b, dm.base, 1280, 800)
	if code := tab.signIn(dm.tokens["admin"]); code != http.StatusOK {
		tab.fatalf("sign-in = %d", code)
	}
	var served, paint, charts, ready float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := tab.navigate("/ui/chains/" + leader); code != http.StatusOK {
			tab.fatalf("chain page = %d", code)
		}
		tab.ready()
		var m struct {
			Served float64 `json:"served"`
			FCP    float64 `json:"fcp"`
			Ready  float64 `json:"ready"`
		}
		tab.eval(`({served: performance.getEntriesByType("navigation")[0].responseEnd,
			fcp: (performance.getEntriesByName("first-contentful-paint")[0] || {startTime: -1}).startTime,
			ready: window.consoleReady})`, &m)
		served += m.Served
		paint += m.FCP
		// Charts draw before the first frame is painted; the page is interactive
		// when both happened.
		charts += m.Ready
		ready += max(m.Ready, m.FCP)
	}
	b.StopTimer()
	if note := tab.text("#graph-capped"); !strings.Contains(note, fmt.Sprintf("共 %d 家", members)) {
		tab.fatalf("a %d-member chain's graph is not capped with a note: %q", members, note)
	}
	b.ReportMetric(served/float64(b.N), "ms-served")
	b.ReportMetric(paint/float64(b.N), "ms-first-paint")
	b.ReportMetric(charts/float64(b.N), "ms-charts-drawn")
	b.ReportMetric(ready/float64(b.N), "ms-interactive")
	b.ReportMetric(float64(members), "members")
}

// waitMembers waits until the leader's chain is scored and returns its members.
func waitMembers(t testing.TB, dm *demo, leader string) int {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, _ := http.NewRequest("GET", dm.base+"/api/v1/chains/"+leader, nil)
		req.Header.Set("Authorization", "Bearer "+dm.tokens["admin"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ch struct {
			MemberCount int `json:"member_count"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&ch)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && ch.MemberCount > 1 {
			return ch.MemberCount
		}
		if time.Now().After(deadline) {
			t.Fatalf("the generated chain was never scored (last status %d)", resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
