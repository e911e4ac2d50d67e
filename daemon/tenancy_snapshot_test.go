package daemon_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
)

// crawlSnapshots has every tenant ask for the snapshot of every subscription
// (TestTenancyCrawler's crawl). Its own is sent: 202, one notification per channel but
// Alertmanager's, delivered to its receivers — which the crawl then reads as it reads
// every notification. Anyone else's — another tenant's, the config file's — answers
// byte for byte as a missing subscription does and enqueues nothing.
func crawlSnapshots(t *testing.T, c *crawlClient, tenants []string, own map[string]string, subNames []string) {
	t.Helper()
	newest := func() string {
		var ds struct{ Deliveries []struct{ ID string } }
		c.get("/deliveries?limit=1", "admin", &ds)
		if len(ds.Deliveries) == 0 {
			return ""
		}
		return ds.Deliveries[0].ID
	}
	before := newest()
	for _, u := range tenants {
		missCode, miss := c.do("POST", "/subscriptions/no-such-subscription/snapshot", u, "")
		if missCode != http.StatusNotFound {
			t.Fatalf("a snapshot of a missing subscription answers %s %d %s", u, missCode, miss)
		}
		for _, name := range subNames {
			if name == own[u] {
				continue
			}
			code, b := c.do("POST", "/subscriptions/"+url.PathEscape(name)+"/snapshot", u, "")
			if code != missCode || b != miss {
				t.Errorf("%s's snapshot of %s answers %d %s; a missing one %d %s", u, name, code, b, missCode, miss)
			}
		}
	}
	if after := newest(); after != before {
		t.Errorf("tenants' snapshots of others' subscriptions enqueued %s", after)
	}
	for _, u := range tenants {
		code, b := c.do("POST", "/subscriptions/"+url.PathEscape(own[u])+"/snapshot", u, "")
		var res struct {
			Subscription  string
			Alerts        int
			Notifications []string
		}
		if err := json.Unmarshal([]byte(b), &res); err != nil || code != http.StatusAccepted || res.Subscription != own[u] ||
			len(res.Notifications) != 4 {
			t.Errorf("%s's snapshot of its own subscription: %d %s; want 202 with 4 notifications", u, code, b)
		}
	}
	c.waitDelivered(60 * time.Second)
}

// crawlTenantMail: a tenant's subscription may mail the domains of
// alerts.smtp.tenant_domains only — a new one, or its own replaced, with an e-mail
// channel to another domain is refused (403), and nothing changes.
func crawlTenantMail(t *testing.T, c *crawlClient, tenants []string, own map[string]string) {
	t.Helper()
	mail := map[string]any{"type": notify.TypeEmail, "to": []string{"cfo@tenant.example", "cfo@elsewhere.example"}}
	for i, u := range tenants {
		name := fmt.Sprintf("mail-%d", i)
		body, _ := json.Marshal(map[string]any{"name": name, "subscriber": u, "scope": map[string]any{"kind": "chain", "leader": u},
			"channels": []any{mail}})
		if code, b := c.do("POST", "/subscriptions", u, string(body)); code != http.StatusForbidden {
			t.Errorf("%s's subscription mailing another domain: %d %s; want 403", u, code, b)
		}
		if code, _ := c.do("GET", "/subscriptions/"+name, "admin", ""); code != http.StatusNotFound {
			t.Errorf("the refused subscription %s exists: %d", name, code)
		}
		var sub map[string]any
		c.get("/subscriptions/"+url.PathEscape(own[u]), "admin", &sub)
		was, _ := json.Marshal(sub)
		chs, _ := sub["channels"].([]any)
		in := maps.Clone(sub)
		for _, k := range []string{"owner", "source", "created_at", "updated_at"} { // answered, not sent
			delete(in, k)
		}
		in["channels"] = append(slices.Clone(chs), mail)
		put, _ := json.Marshal(in)
		if code, b := c.do("PUT", "/subscriptions/"+url.PathEscape(own[u]), u, string(put)); code != http.StatusForbidden {
			t.Errorf("%s replacing its subscription with one mailing another domain: %d %s; want 403", u, code, b)
		}
		var now map[string]any
		c.get("/subscriptions/"+url.PathEscape(own[u]), "admin", &now)
		if is, _ := json.Marshal(now); string(is) != string(was) {
			t.Errorf("a refused replacement changed %s: %s, was %s", own[u], is, was)
		}
	}
}
