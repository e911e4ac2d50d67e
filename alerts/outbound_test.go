package alerts

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/internal/testlog"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/visibility"
)

// fakeDNS answers A queries for its names from a table and NXDOMAIN for anything
// else, over UDP on loopback: a resolver pointed at it resolves names the way an
// attacker's DNS would.
type fakeDNS struct {
	conn  net.PacketConn
	names map[string]netip.Addr // lower case, with the trailing dot
	wg    sync.WaitGroup
}

func newFakeDNS(t *testing.T, names map[string]netip.Addr) *fakeDNS {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDNS{conn: pc, names: names}
	d.wg.Go(d.serve)
	t.Cleanup(func() {
		pc.Close()
		d.wg.Wait()
	})
	return d
}

// resolver is a Go resolver that asks d whatever it asks.
func (d *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "udp", d.conn.LocalAddr().String())
	}}
}

func (d *fakeDNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if ans := d.answer(buf[:n]); ans != nil {
			d.conn.WriteTo(ans, from)
		}
	}
}

// answer builds the reply to one query (RFC 1035 §4.1): the header, the question
// echoed, and an A record when the name is known and A was asked.
func (d *fakeDNS) answer(q []byte) []byte {
	if len(q) < 12 {
		return nil
	}
	var name strings.Builder
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		name.WriteString(strings.ToLower(string(q[i+1:i+1+l])) + ".")
		i += 1 + l
	}
	end := i + 5 // the root label, QTYPE, QCLASS
	if end > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1:])
	addr, known := d.names[name.String()]
	out := append([]byte{}, q[:2]...) // the id
	flags := uint16(0x8580)           // response, authoritative, recursion desired and available
	if !known {
		flags |= 3 // NXDOMAIN
	}
	answers := uint16(0)
	if known && qtype == 1 && addr.Is4() {
		answers = 1
	}
	out = binary.BigEndian.AppendUint16(out, flags)
	out = binary.BigEndian.AppendUint16(out, 1)
	out = binary.BigEndian.AppendUint16(out, answers)
	out = append(out, 0, 0, 0, 0) // no authority, no additional records
	out = append(out, q[12:end]...)
	if answers == 1 {
		a := addr.As4()
		out = append(out, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4)
		out = append(out, a[:]...)
	}
	return out
}

// tenantOwner is the USCC that owns the tenants' notifications of these tests.
const tenantOwner = "91330000MA27U8T41B"

// TestTenantTargetsRefusedAtDial reproduces the SSRF: a tenant's webhook pointed at
// the daemon's own machine or network, in every spelling — address literals,
// IPv4-mapped IPv6, localhost, the unspecified address, a name its DNS resolves to
// 127.0.0.1, a decimal address — or at the cloud metadata service and private ranges.
// None reaches anything: the notification dies at its first attempt, refused at dial
// time, and the tenant's view says only "refused: <class> address". The same URLs in an
// admin's subscription do reach the receiver (so the refusal is the policy, not a dead
// URL), and so do the tenant's once alerts.allow_private_targets names the target.
func TestTenantTargetsRefusedAtDial(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		rv := newHookReceiver(t, hookSecret, nil)
		_, port, _ := net.SplitHostPort(rv.Listener.Addr().String())
		dns := newFakeDNS(t, map[string]netip.Addr{"rebind.attacker.test.": netip.MustParseAddr("127.0.0.1")})
		cfg := config.Default()
		cfg.Alerts.MaxAttempts = 5
		var mu sync.Mutex
		current := cfg
		w := NewWorker(WorkerOptions{Store: st, Config: func() *config.Config { mu.Lock(); defer mu.Unlock(); return current },
			Logger: discardLogger(), PollInterval: 10 * time.Millisecond, SendTimeout: 5 * time.Second,
			Timeout: 2 * time.Second, Resolver: dns.resolver(), HTTPClient: testClient(t)})
		start(t, w)
		m := newTestManager(t, st, cfg, nil)

		for i, tc := range []struct {
			url, class string // class "": any failure that reaches nothing
			admin      bool   // an admin's subscription to it is delivered
		}{
			{"http://127.0.0.1:" + port, "loopback", true},
			{"http://localhost:" + port, "loopback", true},
			{"http://LOCALHOST.:" + port, "", false}, // not in /etc/hosts so spelt: no such host
			{"http://[::ffff:127.0.0.1]:" + port, "loopback", true},
			{"http://[::ffff:7f00:1]:" + port, "loopback", true},
			{"http://0.0.0.0:" + port, "unspecified", true},
			{"http://rebind.attacker.test:" + port, "loopback", false}, // allowed below, it is delivered
			{"http://127.1.2.3:" + port, "loopback", false},
			{"http://[::1]:" + port, "loopback", false},
			{"http://2130706433:" + port, "", false},
			{"http://169.254.169.254", "link-local", false},
			{"http://10.1.2.3:5432", "private", false},
			{"http://192.168.1.1", "private", false},
			{"http://172.20.0.1", "private", false},
			{"http://100.64.0.1", "shared (carrier-grade NAT)", false},
			{"http://[fd00::1]", "private", false},
			{"http://[fe80::1%25lo]", "link-local", false},
		} {
			prefix := fmt.Sprintf("t%02d", i)
			before := len(rv.unique())
			enqueueFor(t, st, tenantOwner, hookChannel(tc.url), 1, prefix, time.Now())
			w.Wake()
			eventually(t, 10*time.Second, tc.url+" attempted", func() bool { return entry(t, st, prefix).Attempts > 0 })
			o := entry(t, st, prefix)
			if tc.class != "" && (o.State != store.DeliveryDead || o.Attempts != 1 ||
				!strings.Contains(o.LastError, ": refused: "+tc.class+" address"+notify.DetailSep)) {
				t.Errorf("%s: %+v; want dead at once, refused as %s", tc.url, o, tc.class)
			}
			if o.State == store.DeliveryDelivered {
				t.Errorf("%s: delivered for a tenant", tc.url)
			}
			if n := len(rv.unique()); n != before {
				t.Errorf("%s: the receiver got the tenant's notification", tc.url)
			}
			list, err := m.Deliveries(context.Background(), DeliveryQuery{View: ownerView(t), AlertID: "alert-" + prefix})
			if err != nil || len(list) != 1 {
				t.Fatalf("the tenant's deliveries: %v, %v", list, err)
			}
			if tc.class != "" && !strings.HasSuffix(list[0].LastError, ": refused: "+tc.class+" address") {
				t.Errorf("%s: the tenant sees %q", tc.url, list[0].LastError)
			}
			if strings.Contains(list[0].LastError, "127.0.0.1") && !strings.Contains(tc.url, "127.0.0.1") {
				t.Errorf("%s: the tenant learns the address: %q", tc.url, list[0].LastError)
			}
			if !tc.admin {
				continue
			}
			enqueue(t, st, hookChannel(tc.url), 1, prefix+"a", time.Now())
			w.Wake()
			eventually(t, 10*time.Second, tc.url+" delivered for an admin", func() bool {
				return entry(t, st, prefix+"a").State == store.DeliveryDelivered
			})
		}

		// The allow-list lets a tenant reach what it names: a range, or a host name.
		allowed := *cfg
		allowed.Alerts.AllowPrivateTargets = []string{"127.0.0.0/8", "rebind.attacker.test"}
		mu.Lock()
		current = &allowed
		mu.Unlock()
		for i, u := range []string{"http://127.0.0.1:" + port, "http://localhost:" + port, "http://rebind.attacker.test:" + port} {
			prefix := fmt.Sprintf("ok%d", i)
			enqueueFor(t, st, tenantOwner, hookChannel(u), 1, prefix, time.Now())
			w.Wake()
			eventually(t, 10*time.Second, u+" delivered once allowed", func() bool {
				return entry(t, st, prefix).State == store.DeliveryDelivered
			})
		}
	})
}

// testClient is an HTTP client with a transport of its own, closed when the test ends.
func testClient(t *testing.T) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestTenantSubscriptionTargets: a tenant's subscription naming a restricted address
// or localhost is refused when made or replaced, whoever edits it, with the field and
// the reason; names are left to the dialer; an admin's is accepted; the allow-list
// lets the tenant's through. User info is refused for everyone.
func TestTenantSubscriptionTargets(t *testing.T) {
	st := openSQLite(t)
	ctx := context.Background()
	cfg := testConfig(t)
	m := newTestManager(t, st, cfg, newFakeClock())
	mk := func(name string, urls ...string) config.Subscription {
		up, down := 2, 1
		s := config.Subscription{Name: name, Subscriber: tenantOwner,
			Scope:    config.Scope{Kind: config.ScopeChain, Leader: tenantOwner, DepthUp: &up, DepthDown: &down},
			Channels: []config.Channel{{Type: notify.TypeWebhook, URL: config.Secret(urls[0] + "/hook?key=SUBKEY-1"), Secret: "s"}}}
		if len(urls) > 1 {
			ch := config.Channel{Type: notify.TypeAlertmanager}
			for _, u := range urls[1:] {
				ch.URLs = append(ch.URLs, config.Secret(u))
			}
			s.Channels = append(s.Channels, ch)
		}
		return s
	}
	for i, tc := range []struct {
		url, why string // "" = accepted
	}{
		{"http://127.0.0.1:8480", `host "127.0.0.1" is a loopback address, which a tenant's subscription may not target`},
		{"http://[::1]", `host "::1" is a loopback address`},
		{"http://[::ffff:127.0.0.1]", `host "::ffff:127.0.0.1" is a loopback address`},
		{"http://localhost:5432", `host "localhost" is a loopback address`},
		{"http://Localhost.", `host "Localhost." is a loopback address`},
		{"http://db.localhost", `host "db.localhost" is a loopback address`},
		{"http://0.0.0.0", `host "0.0.0.0" is an unspecified address`},
		{"http://169.254.169.254", `host "169.254.169.254" is a link-local address`},
		{"http://10.0.0.5:9093", `host "10.0.0.5" is a private address`},
		{"http://[fd12::1]", `host "fd12::1" is a private address`},
		{"https://hooks.example.com", ""},
		{"https://internal.example.com", ""}, // a name: the dialer checks where it leads
	} {
		name := fmt.Sprintf("s%d", i)
		_, err := m.CreateSubscription(ctx, tenantOwner, mk(name, tc.url))
		var ce *config.Error
		switch {
		case tc.why == "" && err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case tc.why != "" && (!errors.As(err, &ce) || ce.Path != "channels[0].url" || !strings.Contains(ce.Msg, tc.why) ||
			!strings.Contains(ce.Msg, "alerts.allow_private_targets") || strings.Contains(err.Error(), "SUBKEY")):
			t.Errorf("%s: %v; want channels[0].url: …%s", tc.url, err, tc.why)
		}
		// An admin's own subscription may target it.
		if _, err := m.CreateSubscription(ctx, "", mk("admin-"+name, tc.url)); err != nil {
			t.Errorf("%s for an admin: %v", tc.url, err)
		}
	}
	// Every URL of every channel is checked; an Alertmanager's second URL named.
	_, err := m.CreateSubscription(ctx, tenantOwner, mk("am", "https://hooks.example.com", "https://am.example.com", "http://127.0.0.1:9093"))
	if err == nil || !strings.Contains(err.Error(), "channels[1].urls[1]: host \"127.0.0.1\" is a loopback address") {
		t.Errorf("an Alertmanager URL: %v", err)
	}
	// Replacing a tenant's subscription, even as an admin, is checked for the tenant.
	if _, err := m.UpdateSubscription(ctx, "", mk("s10", "http://127.0.0.1")); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("an admin's update of a tenant's subscription: %v", err)
	}
	// The allow-list: a range and a name.
	allowed := *cfg
	allowed.Alerts.AllowPrivateTargets = []string{"10.0.0.0/8", "localhost"}
	m = newTestManager(t, st, &allowed, newFakeClock())
	for i, u := range []string{"http://10.0.0.5:9093", "http://localhost:5432", "http://LOCALHOST."} {
		if _, err := m.CreateSubscription(ctx, tenantOwner, mk(fmt.Sprintf("allowed%d", i), u)); err != nil {
			t.Errorf("%s allowed: %v", u, err)
		}
	}
	if _, err := m.CreateSubscription(ctx, tenantOwner, mk("still", "http://127.0.0.1")); err == nil {
		t.Error("127.0.0.1 accepted with only localhost and 10.0.0.0/8 allowed")
	}
	// localhost is judged by name and by what it resolves to, as the dialer will.
	byRange := *cfg
	byRange.Alerts.AllowPrivateTargets = []string{"127.0.0.0/8"}
	if _, err := newTestManager(t, st, &byRange, newFakeClock()).CreateSubscription(ctx, tenantOwner, mk("lo-range", "http://localhost:9093")); err != nil {
		t.Errorf("localhost with 127.0.0.0/8 allowed: %v", err)
	}
	// User info, for an admin too.
	for _, owner := range []string{tenantOwner, ""} {
		_, err := m.CreateSubscription(ctx, owner, mk("ui"+owner, "https://chainrisk:PW-SECRET-9@hooks.example.com"))
		if err == nil || !strings.Contains(err.Error(), "channels[0].url: user info (name:password@) is not allowed") ||
			strings.Contains(err.Error(), "PW-SECRET-9") {
			t.Errorf("user info (owner %q): %v", owner, err)
		}
	}
}

// TestUserInfoNeverSent: a URL with user info already in the outbox (written before it
// was refused) is not sent — no request, no Basic auth — and dies saying why.
func TestUserInfoNeverSent(t *testing.T) {
	st := openSQLite(t)
	rv := newHookReceiver(t, hookSecret, nil)
	u := strings.Replace(rv.URL, "http://", "http://chainrisk:PW-SECRET-7@", 1)
	ids := enqueue(t, st, hookChannel(u), 1, "ui", time.Now())
	w := newTestWorker(t, st, workerSetup{})
	start(t, w)
	eventually(t, 10*time.Second, "dead", func() bool { return countState(t, st, store.DeliveryDead) == 1 })
	o := states(t, st)[ids[0]]
	if !strings.Contains(o.LastError, "user info (name:password@) is not allowed") || strings.Contains(o.LastError, "PW-SECRET-7") ||
		o.Attempts != 1 {
		t.Errorf("%+v", o)
	}
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if rv.n != 0 {
		t.Errorf("the receiver got %d requests", rv.n)
	}
}

// TestTenantDeliveriesHideAnswers reproduces the port scanner: whatever a receiver
// answers — an error page naming its internals, a banner that is not HTTP — the
// tenant's view of the delivery says only what chainrisk says (the status, "the
// answer is not HTTP", …); an admin's view keeps the scrubbed detail.
func TestTenantDeliveriesHideAnswers(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		const inside = "PostgreSQL 16.4 on x86_64 password authentication failed for user postgres"
		errorPage := newReceiver(t, nil, func(w http.ResponseWriter, r *http.Request, _ []byte) {
			http.Error(w, inside, http.StatusInternalServerError)
		})
		banner, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var bwg sync.WaitGroup
		t.Cleanup(func() {
			banner.Close()
			bwg.Wait()
		})
		bwg.Go(func() {
			for {
				c, err := banner.Accept()
				if err != nil {
					return
				}
				// It answers the request's head with its banner, as a non-HTTP service would.
				r := bufio.NewReader(c)
				for {
					l, err := r.ReadString('\n')
					if err != nil || l == "\r\n" {
						break
					}
				}
				c.Write([]byte("SSH-2.0-OpenSSH_9.6 " + inside + "\r\n"))
				c.Close()
			}
		})
		cfg := config.Default()
		cfg.Alerts.AllowPrivateTargets = []string{"127.0.0.1"}
		cfg.Alerts.MaxAttempts = 1
		m := newTestManager(t, st, cfg, nil)
		w := newTestWorker(t, st, workerSetup{cfg: cfg})
		start(t, w)
		for prefix, tc := range map[string]struct{ base, tenantSees string }{
			"page":   {errorPage.URL, "HTTP 500"},
			"banner": {"http://" + banner.Addr().String(), "the answer is not HTTP"},
		} {
			enqueueFor(t, st, tenantOwner, hookChannel(tc.base), 1, prefix, time.Now())
			w.Wake()
			eventually(t, 10*time.Second, prefix+" dead", func() bool { return entry(t, st, prefix).State == store.DeliveryDead })
			want := "webhook " + tc.base + "/" + notify.Redacted + ": " + tc.tenantSees
			tenant, err := m.Deliveries(context.Background(), DeliveryQuery{View: ownerView(t), AlertID: "alert-" + prefix})
			if err != nil || len(tenant) != 1 || tenant[0].LastError != want {
				t.Errorf("%s: the tenant sees %+v, %v; want last_error %q", prefix, tenant, err, want)
			}
			admin, err := m.Deliveries(context.Background(), DeliveryQuery{AlertID: "alert-" + prefix})
			if err != nil || len(admin) != 1 || !strings.HasPrefix(admin[0].LastError, want+notify.DetailSep) ||
				!strings.Contains(admin[0].LastError, "PostgreSQL") {
				t.Errorf("%s: the admin sees %+v, %v", prefix, admin, err)
			}
		}
	})
}

// TestTenantErrorCut: the tenant's view cuts each line (one per Alertmanager) at the
// detail, and leaves errors without detail whole.
func TestTenantErrorCut(t *testing.T) {
	for in, want := range map[string]string{
		"webhook https://h.example.com/<redacted>: HTTP 500" + notify.DetailSep + "stack trace; detail: more":                                                    "webhook https://h.example.com/<redacted>: HTTP 500",
		"alertmanager https://a/<redacted>: HTTP 503" + notify.DetailSep + "x\nalertmanager https://b/<redacted>: no answer within 10s" + notify.DetailSep + "y": "alertmanager https://a/<redacted>: HTTP 503\nalertmanager https://b/<redacted>: no answer within 10s",
		"wecom https://q/<redacted>: errcode 93000: invalid webhook URL (check the robot key)":                                                                   "wecom https://q/<redacted>: errcode 93000: invalid webhook URL (check the robot key)",
		"": "",
	} {
		if got := tenantError(in); got != want {
			t.Errorf("tenantError(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWebhookPathsScrubbed: a webhook URL whose secret is its path — short segments
// included, as in /services/T0123/B4567/… — and a receiver that quotes the path back
// in its error page. Neither the path, nor a tail of it, nor its key segments appear
// in the logs (debug level) or in last_error; the destination shows as scheme and host.
func TestWebhookPathsScrubbed(t *testing.T) {
	st := openSQLite(t)
	rv := newReceiver(t, nil, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		parts := strings.Split(r.URL.Path, "/") // "", services, T0a1, kx9Q2, zz
		http.Error(w, "Cannot POST "+r.URL.Path+" (key "+parts[2]+", route "+strings.Join(parts[3:], "/")+")", http.StatusNotFound)
	})
	const path = "/services/T0a1/kx9Q2/zz"
	log, logs := testlog.JSON(slog.LevelDebug)
	cfg := config.Default()
	w := newTestWorker(t, st, workerSetup{cfg: cfg, logger: log})
	ids := enqueue(t, st, config.Channel{Type: notify.TypeWebhook, URL: config.Secret(rv.URL + path), Secret: hookSecret},
		1, "path", time.Now())
	stop := start(t, w)
	eventually(t, 10*time.Second, "dead", func() bool { return countState(t, st, store.DeliveryDead) == 1 })
	stop() // its last lines written
	o := states(t, st)[ids[0]]
	everything := logs.String() + "\n" + o.LastError
	for _, s := range []string{path, url.PathEscape(path), "T0a1", "kx9Q2", "kx9Q2/zz", "services/"} {
		if i := strings.Index(everything, s); i >= 0 {
			t.Errorf("%q leaked: …%s…", s, everything[max(0, i-100):min(len(everything), i+50)])
		}
	}
	if !strings.HasPrefix(o.LastError, "webhook "+rv.URL+"/"+notify.Redacted+": HTTP 404"+notify.DetailSep+"Cannot POST "+notify.Redacted) ||
		!logs.Contains("notification dead-lettered") {
		t.Errorf("last_error %q; logs %s", o.LastError, logs.String())
	}
}

// ownerView is the tenant's view of a state where the castings maker supplies it.
func ownerView(t *testing.T) *visibility.View {
	t.Helper()
	b := graph.NewBuilder(2, 1)
	b.AddNode(castings.USCC)
	b.AddNode(tenantOwner)
	b.AddEdge(castings.USCC, tenantOwner, graph.EdgeAttrs{PurchaseShare: 0.2, SalesShare: 0.2, Substitutability: 0.5})
	snap, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	st := &monitor.State{Snap: snap, Firms: make([]monitor.Firm, snap.Len())}
	return new(visibility.Views).Of(st, visibility.Tenant(tenantOwner), 3, 1)
}
