package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/tokens"
)

// TestTenancyCrawler is the check of the one visibility rule across every outward
// path: four tenants of the demo — the three leaders, whose chains share 47 firms
// (the soybean leader is itself a member of the dairy chain), and a specialized SME of
// the dairy chain — each subscribe with every channel (webhook, WeCom, DingTalk,
// Feishu, Alertmanager) to loopback receivers. Bankruptcies of shared and unshared
// firms make alerts fire for every chain, chain-level ones included. Then, for each
// tenant, nothing it received — on any channel, or from any API route it may call,
// with every firm, alert, subscription and scan as parameter — names a firm outside
// its chain, computed here independently from the store's relations; every delivery
// it is shown is of an alert it may read; and its acknowledgement, status, assignee,
// notes and verdict are its own.
func TestTenancyCrawler(t *testing.T) {
	rv := newRecorder()
	defer rv.srv.Close()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Alerts.AllowPrivateTargets = []string{"127.0.0.1"} // the receivers live on loopback
	// Tenants may mail tenant.example only (crawlTenantMail).
	cfg.Alerts.SMTP.Host, cfg.Alerts.SMTP.From = "smtp.tenant.example", "alerts@tenant.example"
	cfg.Alerts.SMTP.TenantDomains = []string{"tenant.example"}
	d, stop := start(t, cfg, true)
	defer stop()
	ctx := context.Background()
	c := &crawlClient{t: t, base: "http://" + d.Addr() + "/api/v1", tokens: map[string]string{}}
	plain, _, err := tokens.Create(ctx, d.Store(), "crawler-admin", tokens.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	c.tokens["admin"] = plain

	st := d.State()
	byName := func(name string) string {
		for v, f := range st.Firms {
			if f.Name == name {
				return st.Snap.IDs[v]
			}
		}
		t.Fatalf("the demo has no firm %s", name)
		return ""
	}
	soy, dairy, petro := byName("黑龙江松花江大豆产业集团股份有限公司"), byName("齐齐哈尔鹤乡乳业集团股份有限公司"),
		byName("大庆三江石油化工集团有限公司")
	sme := byName("齐齐哈尔北疆包装科技有限公司")
	tenants := []string{soy, dairy, petro, sme}
	chains := chainsFromStore(t, d.Store(), cfg.Chain.DepthUp, cfg.Chain.DepthDown, tenants)
	related := relatedFromStore(t, d.Store(), cfg.Checks.Depth, chains)
	names := map[string]string{}
	for v, f := range st.Firms {
		names[st.Snap.IDs[v]] = f.Name
	}
	if !chains[dairy][soy] {
		t.Fatal("the soybean leader is not in the dairy chain: the demo lost the overlap this test relies on")
	}

	channels := []string{notify.TypeWebhook, notify.TypeWeCom, notify.TypeDingTalk, notify.TypeFeishu,
		notify.TypeAlertmanager}
	own := map[string]string{} // each tenant's subscription
	for i, u := range tenants {
		name := fmt.Sprintf("tenant-%d", i)
		plain, _, err := tokens.Create(ctx, d.Store(), name, tokens.RoleTenant, u)
		if err != nil {
			t.Fatal(err)
		}
		c.tokens[u] = plain
		var chs []map[string]any
		for _, ch := range channels {
			hook := rv.srv.URL + "/" + u + "/" + ch
			switch ch {
			case notify.TypeAlertmanager:
				chs = append(chs, map[string]any{"type": ch, "urls": []string{hook}})
			case notify.TypeWeCom:
				chs = append(chs, map[string]any{"type": ch, "url": hook})
			default:
				chs = append(chs, map[string]any{"type": ch, "url": hook, "secret": "crawler-secret-" + ch})
			}
		}
		own[u] = name + "-chain"
		body, _ := json.Marshal(map[string]any{"name": name + "-chain", "subscriber": u, "min_severity": "info",
			"scope": map[string]any{"kind": "chain", "leader": u}, "channels": chs})
		if code, b := c.do("POST", "/subscriptions", u, string(body)); code != http.StatusCreated {
			t.Fatalf("subscription of %s: %d %s", u, code, b)
		}
	}

	// Bankruptcies: the soybean collector (tier 1 of soybeans only), the freight firm
	// and the paper mill (shared by the soybean and dairy chains; the paper mill is the
	// SME's single source), and the petrochemical leader's single-source oil producer.
	var events strings.Builder
	events.WriteString("event_id,uscc,type,occurred_at\n")
	for i, n := range []string{"黑河北疆金穗大豆收储有限公司", "哈尔滨三江通达物流股份有限公司", "佳木斯三江纸业有限公司",
		"大庆三江油气开发有限公司"} {
		fmt.Fprintf(&events, "CRAWL-%d,%s,bankruptcy,%s\n", i, byName(n), time.Now().Format("2006-01-02"))
	}
	if code, b := c.doCSV("/events", events.String()); code != http.StatusOK {
		t.Fatalf("ingest: %d %s", code, b)
	}
	c.rescanAll()
	c.waitDelivered(60 * time.Second)

	// The leak this test exists for must be possible: some alert raised for one
	// leader's chain is about a firm of another tenant's chain.
	var all struct {
		Alerts []struct {
			ID      string
			Rule    string
			Subject struct{ USCC string }
			Leader  *struct{ USCC string }
		}
	}
	c.get("/alerts?limit=1000", "admin", &all)
	shared := 0
	for _, a := range all.Alerts {
		for _, u := range tenants {
			if a.Leader != nil && a.Leader.USCC != u && chains[u][a.Subject.USCC] {
				shared++
			}
		}
	}
	if shared == 0 {
		t.Fatal("no chain-level alert is about a firm of another tenant's chain: the crawl would prove nothing")
	}
	t.Logf("%d alerts; %d (alert, tenant) pairs where another chain's alert is about the tenant's firm", len(all.Alerts), shared)

	// What every tenant received, on every channel: its subscription's snapshot, then its
	// alerts.
	checkReceived := func() {
		t.Helper()
		for _, u := range tenants {
			checkReceivedBy(t, rv, u, names[u], channels, chains[u], related, names)
		}
	}
	checkReceived()

	// Acknowledgements are the acknowledging tenant's own: the dairy tenant acks the
	// freight firm's alert, which the soybean tenant and staff see unacknowledged.
	freight := byName("哈尔滨三江通达物流股份有限公司")
	id := alerts0(t, c, "/alerts?rule=grade_downgrade&uscc="+freight, "admin")
	if code, b := c.do("POST", "/alerts/"+id+"/ack", dairy, ""); code != http.StatusOK {
		t.Fatalf("dairy's ack: %d %s", code, b)
	}
	for _, who := range []string{dairy, soy, "admin"} {
		var a struct {
			AckedBy string `json:"acked_by"`
		}
		c.get("/alerts/"+id, who, &a)
		if want := map[bool]string{true: "tenant-1", false: ""}[who == dairy]; a.AckedBy != want {
			t.Errorf("%s sees the alert acknowledged by %q, want %q", who, a.AckedBy, want)
		}
	}

	// What a principal records about an alert is its own too (tenancy_workflow_test.go).
	dairyWrote := writeOwnRecords(t, c, id, dairy, soy)

	// Every API route a tenant may call, with every value of its parameters.
	routes := c.routes()
	var alertIDs, subNames []string
	for _, a := range all.Alerts {
		alertIDs = append(alertIDs, a.ID)
	}
	var scans struct{ Scans []struct{ ID int64 } }
	c.get("/scans?limit=20", "admin", &scans)
	var scanIDs []string
	for _, sc := range scans.Scans {
		scanIDs = append(scanIDs, fmt.Sprint(sc.ID))
	}
	var subList struct{ Subscriptions []struct{ Name string } }
	c.get("/subscriptions", "admin", &subList)
	for _, s := range subList.Subscriptions {
		subNames = append(subNames, s.Name)
	}
	firms := slices.Sorted(maps.Keys(names))
	values := map[string][]string{"uscc": firms, "leader": firms, "id": append(alertIDs, scanIDs...), "name": subNames}
	called := map[string]bool{}
	for _, u := range tenants {
		seen := 0
		for _, rt := range routes {
			if rt.method != "GET" {
				continue
			}
			for _, path := range expand(t, rt, values) {
				code, b := c.do("GET", path, u, "")
				called[rt.method+" "+rt.path] = true
				for _, w := range dairyWrote {
					if u != dairy && strings.Contains(b, w) {
						t.Errorf("GET %s as %s shows %q, which the dairy tenant wrote", path, names[u], w)
					}
				}
				if code == http.StatusOK {
					seen++
					// An answer about a firm of the chain may name that firm's related
					// parties: its enterprise answer's related, its ownership graph, its report.
					about := ""
					if rest, ok := strings.CutPrefix(path, "/enterprises/"); ok {
						about, _, _ = strings.Cut(rest, "/")
						about, _, _ = strings.Cut(about, "?")
					}
					checkSeesAbout(t, "GET "+path+" as "+names[u], b, chains[u], related, names, about)
				}
			}
		}
		// A firm's page lists its place in the tenant's own chain only: a rival leader's
		// chain holding the firm is that leader's business.
		memberOfOwn := 0
		for f := range chains[u] {
			var e struct{ Chains []struct{ Leader string } }
			c.get("/enterprises/"+f, u, &e)
			for _, m := range e.Chains {
				if m.Leader != u {
					t.Errorf("%s is told that %s belongs to the chain of %s", names[u], names[f], names[m.Leader])
				} else {
					memberOfOwn++
				}
			}
		}
		// (Memberships are of leaders' chains: the SME's own holds none.)
		if u != sme && memberOfOwn < len(chains[u])-1 {
			t.Errorf("%s is told the membership of %d of its %d firms", names[u], memberOfOwn, len(chains[u]))
		}
		// The deliveries shown are of alerts the tenant may read.
		var ds struct {
			Deliveries []struct {
				Kind         string
				AlertID      string `json:"alert_id"`
				Subscription string
			}
		}
		c.get("/deliveries?limit=1000", u, &ds)
		if len(ds.Deliveries) == 0 {
			t.Errorf("%s is shown no delivery", names[u])
		}
		snapshots := 0
		for _, dl := range ds.Deliveries {
			if dl.Kind == notify.KindSnapshot {
				snapshots++
				if dl.Subscription != own[u] || dl.AlertID != "" {
					t.Errorf("%s is shown the snapshot delivery %+v", names[u], dl)
				}
				continue
			}
			if code, _ := c.do("GET", "/alerts/"+dl.AlertID, u, ""); code != http.StatusOK {
				t.Errorf("%s is shown a delivery of alert %s, which answers it %d", names[u], dl.AlertID, code)
			}
		}
		// Its subscription's snapshot went to each channel but Alertmanager.
		if snapshots != len(channels)-1 {
			t.Errorf("%s is shown %d snapshot deliveries, want %d", names[u], snapshots, len(channels)-1)
		}
		// Stress tests run on the whole graph but answer with the tenant's chain.
		for _, f := range slices.Sorted(maps.Keys(chains[u]))[:3] {
			code, b := c.do("POST", "/stress", u, `{"shocks":[{"uscc":"`+f+`","psi":1}],"top":1000}`)
			if code != http.StatusOK {
				t.Errorf("stress of %s as %s: %d %s", f, names[u], code, b)
			}
			checkSees(t, "POST /stress as "+names[u], b, chains[u], related, names)
		}
		t.Logf("%s: %d answers of 200 crawled, chain of %d firms", names[u], seen, len(chains[u]))
	}
	// Snapshots on demand, of every subscription by every tenant, and e-mail
	// channels beyond the tenants' domains (tenancy_snapshot_test.go); then what
	// everyone received again, the snapshots asked for included.
	crawlSnapshots(t, c, tenants, own, subNames)
	crawlTenantMail(t, c, tenants, own)
	checkReceived()
	// The tenants' own relations (tenancy_supply_test.go): the soybean tenant writes,
	// the dairy tenant, whose chain holds the soybean leader, looks on.
	crawlSupply(t, c, d.Store(), soy, "tenant-0", dairy)
	for _, rt := range routes {
		if rt.method == "GET" && !called[rt.method+" "+rt.path] {
			t.Errorf("the crawl never called %s %s", rt.method, rt.path)
		}
	}
}

// checkReceivedBy checks what tenant u (called name) received on every channel: something
// on each, nothing naming a firm outside its chain, no webhook naming another leader.
func checkReceivedBy(t *testing.T, rv *recorder, u, name string, channels []string, chain map[string]bool,
	related relatedFirms, names map[string]string) {
	t.Helper()
	got := rv.bodies(u)
	for _, ch := range channels {
		if len(got[ch]) == 0 {
			t.Errorf("tenant %s received nothing on %s", name, ch)
		}
		for _, b := range got[ch] {
			checkSees(t, fmt.Sprintf("%s to %s", ch, name), b, chain, related, names)
			if ch == notify.TypeWebhook {
				var n struct {
					Rule   string
					Leader *struct{ USCC string }
				}
				_ = json.Unmarshal([]byte(b), &n)
				if n.Leader != nil && n.Leader.USCC != u {
					t.Errorf("webhook to %s names leader %s: %s", name, n.Leader.USCC, b)
				}
			}
		}
	}
}

// wordRE splits any text (JSON, markdown, labels, DOT) into words: a USCC is a word of
// 18 characters, never part of a longer word or of a decimal fraction.
var wordRE = regexp.MustCompile(`[0-9A-Za-z.]+`)

// checkSees fails when text names a firm outside chain, by USCC or by name, other
// than the related parties of a chain firm it shows a related_party_distress alert
// about (relatedFirms.shownRelated).
func checkSees(t *testing.T, what, text string, chain map[string]bool, related relatedFirms, names map[string]string) {
	t.Helper()
	checkSeesAbout(t, what, text, chain, related, names, "")
}

// checkSeesAbout is checkSees for an answer about the firm about ("" for none): when
// that firm is in the chain, the answer may name its related parties too.
func checkSeesAbout(t *testing.T, what, text string, chain map[string]bool, related relatedFirms, names map[string]string,
	about string) {
	t.Helper()
	parties := related.shownRelated(text, chain)
	if chain[about] {
		if parties == nil {
			parties = map[string]bool{}
		}
		for x := range related[about] {
			parties[x] = true
		}
	}
	for _, u := range wordRE.FindAllString(text, -1) {
		if len(u) == 18 && credit.CheckUSCC(u) == nil && !chain[u] && !parties[u] {
			t.Errorf("%s names %s (%s), outside the chain", what, u, names[u])
		}
	}
	for u, n := range names {
		if chain[u] || parties[u] || !strings.Contains(text, n) {
			continue
		}
		inside := false // a name contained in the name of a firm of the chain
		for w := range chain {
			inside = inside || strings.Contains(names[w], n)
		}
		if !inside {
			t.Errorf("%s names %s (%s), outside the chain", what, n, u)
		}
	}
}

// chainsFromStore computes each root's chain from the relations the store holds: the
// firms within depthUp hops upstream (suppliers) and depthDown hops downstream.
func chainsFromStore(t *testing.T, st store.Store, depthUp, depthDown int, roots []string) map[string]map[string]bool {
	t.Helper()
	up, down := map[string][]string{}, map[string][]string{}
	now := time.Now()
	err := st.Relations(context.Background(), func(r *credit.Relation) error {
		if (r.ValidFrom.IsZero() || !now.Before(r.ValidFrom)) && (r.ValidTo.IsZero() || now.Before(r.ValidTo)) {
			up[r.Customer] = append(up[r.Customer], r.Supplier)
			down[r.Supplier] = append(down[r.Supplier], r.Customer)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	for _, root := range roots {
		chain := map[string]bool{root: true}
		for _, dir := range []struct {
			next  map[string][]string
			depth int
		}{{up, depthUp}, {down, depthDown}} {
			frontier := []string{root}
			seen := map[string]bool{root: true}
			for range dir.depth {
				var nxt []string
				for _, x := range frontier {
					for _, y := range dir.next[x] {
						if !seen[y] {
							seen[y], chain[y] = true, true
							nxt = append(nxt, y)
						}
					}
				}
				frontier = nxt
			}
		}
		out[root] = chain
	}
	return out
}

// recorder is a loopback receiver for every channel: it keeps each request's body
// by its path (/<tenant>/<channel>) and answers as the vendors do when all is well.
type recorder struct {
	srv *httptest.Server
	mu  sync.Mutex
	got map[string]map[string][]string
}

func newRecorder() *recorder {
	rv := &recorder{got: map[string]map[string][]string{}}
	rv.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		if len(parts) >= 2 {
			rv.mu.Lock()
			if rv.got[parts[0]] == nil {
				rv.got[parts[0]] = map[string][]string{}
			}
			rv.got[parts[0]][parts[1]] = append(rv.got[parts[0]][parts[1]], string(b))
			rv.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","code":0,"msg":"success"}`)
	}))
	return rv
}

func (rv *recorder) bodies(tenant string) map[string][]string {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	out := map[string][]string{}
	for ch, bs := range rv.got[tenant] {
		out[ch] = slices.Clone(bs)
	}
	return out
}

// crawlClient calls the API with the token of a principal (a tenant's USCC or "admin").
type crawlClient struct {
	t      *testing.T
	base   string
	tokens map[string]string
}

// do calls the API as who, with a JSON body when one is given.
func (c *crawlClient) do(method, path, who, body string) (int, string) {
	c.t.Helper()
	return c.send(method, path, who, "application/json", body)
}

// doCSV ingests a CSV body, strictly, as the admin.
func (c *crawlClient) doCSV(path, body string) (int, string) {
	c.t.Helper()
	return c.send("POST", path+"?strict=true", "admin", "text/csv", body)
}

func (c *crawlClient) send(method, path, who, ctype, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.tokens[who])
	if body != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *crawlClient) get(path, who string, v any) {
	c.t.Helper()
	code, b := c.do("GET", path, who, "")
	if code != http.StatusOK {
		c.t.Fatalf("GET %s as %s: %d %s", path, who, code, b)
	}
	if err := json.Unmarshal([]byte(b), v); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
}

// rescanAll runs a full scan and waits for it: every queued scan before it has run.
func (c *crawlClient) rescanAll() {
	c.t.Helper()
	code, b := c.do("POST", "/rescans", "admin", `{"scope":"all"}`)
	if code != http.StatusAccepted {
		c.t.Fatalf("rescan: %d %s", code, b)
	}
	var sc struct{ ID int64 }
	_ = json.Unmarshal([]byte(b), &sc)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var s struct{ Status string }
		c.get(fmt.Sprintf("/rescans/%d", sc.ID), "admin", &s)
		switch s.Status {
		case "succeeded":
			return
		case "failed":
			c.t.Fatalf("rescan %d failed", sc.ID)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("rescan %d did not finish", sc.ID)
}

// waitDelivered waits until the outbox holds nothing pending.
func (c *crawlClient) waitDelivered(within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var ds struct{ Deliveries []json.RawMessage }
		c.get("/deliveries?state=pending&limit=1", "admin", &ds)
		if len(ds.Deliveries) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatal("notifications still pending")
}

// alerts0 is the id of the first alert a query lists.
func alerts0(t *testing.T, c *crawlClient, path, who string) string {
	t.Helper()
	var l struct{ Alerts []struct{ ID string } }
	c.get(path, who, &l)
	if len(l.Alerts) == 0 {
		t.Fatalf("GET %s lists no alert", path)
	}
	return l.Alerts[0].ID
}
