package alerts

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/visibility"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)

// Firms of the fixtures (valid USCCs).
var (
	castings  = FirmRef{"91330206MA2AHK5R3T", "宁波精工铸件有限公司"}
	gearbox   = FirmRef{"91330100MA28XY7L29", "杭州恒力变速箱有限公司"}
	leaderRef = FirmRef{"91330000MA27U8T41B", "浙江远航汽车集团有限公司"}
	bearings  = FirmRef{"91330281MA2GQW8N6C", "余姚华瑞轴承有限公司"}
	sensors   = FirmRef{"91320500MA1NPL2E7X", "苏州微感传感器有限公司"}
)

// firingDowngrade is a firing grade_downgrade of a tier-2 supplier, with a path.
func firingDowngrade(lang string) *Notification {
	return &Notification{
		ID:           "ntf-0001",
		Fingerprint:  "grade_downgrade:91330206MA2AHK5R3T:91330000MA27U8T41B",
		Rule:         "grade_downgrade",
		Severity:     "warning",
		Status:       StatusFiring,
		Subject:      Firm{USCC: castings.USCC, Name: castings.Name, Grade: "C", PreviousGrade: "B"},
		Leader:       &leaderRef,
		Tier:         2,
		Path:         []string{castings.USCC, gearbox.USCC, leaderRef.USCC},
		PathNames:    []string{castings.Name, gearbox.Name, leaderRef.Name},
		PathShares:   []float64{0.35, 0.6},
		Reasons:      []string{"dishonest_judgment_debtor −350 (2026-11-20)", "tax_arrears −120 (2026-10-08)", "administrative_penalty −40 (2026-09-15)"},
		Values:       map[string]float64{"score": 540, "previous_score": 700},
		StartedAt:    t0.Add(-5 * time.Minute),
		Subscription: "yuanhang-chain",
		Language:     lang,
		URL:          "https://chainrisk.example.com/api/v1/enterprises/91330206MA2AHK5R3T",
	}
}

// resolvedChainRisk is a resolved chain_risk of a leader.
func resolvedChainRisk(lang string) *Notification {
	return &Notification{
		ID:           "ntf-0002",
		Fingerprint:  "chain_risk:91330000MA27U8T41B:91330000MA27U8T41B",
		Rule:         "chain_risk",
		Severity:     "critical",
		Status:       StatusResolved,
		Subject:      Firm{USCC: leaderRef.USCC, Name: leaderRef.Name, Grade: "A"},
		Leader:       &leaderRef,
		Tier:         0,
		Path:         []string{leaderRef.USCC},
		PathNames:    []string{leaderRef.Name},
		Values:       map[string]float64{"chain_risk": 0.312, "threshold": 0.4, "supply_at_risk": 0.12},
		StartedAt:    t0.Add(-200 * time.Minute),
		EndedAt:      t0.Add(-time.Minute),
		Subscription: "yuanhang-chain",
		Language:     lang,
		URL:          "https://chainrisk.example.com/api/v1/chains/91330000MA27U8T41B",
	}
}

// batch3 is three notifications for one robot: the downgrade, a severe event of a
// tier-1 supplier, and a score drop on a watch-list (no leader).
func batch3(lang string) []*Notification {
	severe := &Notification{
		ID:           "ntf-0003",
		Fingerprint:  "severe_event:91330281MA2GQW8N6C:91330000MA27U8T41B",
		Rule:         "severe_event",
		Severity:     "critical",
		Status:       StatusFiring,
		Subject:      Firm{USCC: bearings.USCC, Name: bearings.Name, Grade: "D", PreviousGrade: "C"},
		Leader:       &leaderRef,
		Tier:         1,
		Path:         []string{bearings.USCC, leaderRef.USCC},
		PathNames:    []string{bearings.Name, leaderRef.Name},
		PathShares:   []float64{0.8},
		Reasons:      []string{"bankruptcy_filing −500 (2026-11-21)"},
		StartedAt:    t0.Add(-2 * time.Minute),
		Subscription: "yuanhang-chain",
		Language:     lang,
	}
	drop := &Notification{
		ID:           "ntf-0004",
		Fingerprint:  "score_drop:91320500MA1NPL2E7X:",
		Rule:         "score_drop",
		Severity:     "warning",
		Status:       StatusFiring,
		Subject:      Firm{USCC: sensors.USCC, Name: sensors.Name, Grade: "B", PreviousGrade: "B"},
		Reasons:      []string{"court_enforcement −90 (2026-11-02)", "late_payment −30 (2026-10-30)"},
		Values:       map[string]float64{"score": 610, "previous_score": 735},
		StartedAt:    t0.Add(-time.Minute),
		Subscription: "sme-watch",
		Language:     lang,
	}
	return []*Notification{firingDowngrade(lang), severe, drop}
}

// fakeClock stands still until advanced; Sleep advances it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// capture is a request a test server received.
type capture struct {
	method   string
	path     string
	rawQuery string
	header   http.Header
	body     []byte
	at       time.Time // by the test's clock
}

// receiver is a test server that records requests and answers with handle.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []capture
}

func newReceiver(t *testing.T, clock Clock, handle func(w http.ResponseWriter, r *http.Request, body []byte)) *receiver {
	t.Helper()
	rv := &receiver{}
	rv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c := capture{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body, time.Time{}}
		if clock != nil {
			c.at = clock.Now()
		}
		rv.mu.Lock()
		rv.reqs = append(rv.reqs, c)
		rv.mu.Unlock()
		handle(w, r, body)
	}))
	t.Cleanup(rv.Close)
	return rv
}

func (rv *receiver) requests() []capture {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]capture(nil), rv.reqs...)
}

// answer writes a fixed answer.
func answer(status int, body string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// testOptions gives a notifier its own transport (closed at the end), a short timeout,
// the clock and a logger writing into logs at debug level.
func testOptions(t *testing.T, clock Clock, logs *bytes.Buffer) Options {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	if logs == nil {
		logs = &bytes.Buffer{}
	}
	return Options{
		HTTPClient: &http.Client{Transport: tr},
		Timeout:    2 * time.Second,
		Logger:     slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:      clock,
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func mustNotifier(t *testing.T, ch config.Channel, opts Options) Notifier {
	t.Helper()
	n, err := NewNotifier(ch, opts)
	if err != nil {
		t.Fatalf("NewNotifier(%s): %v", ch.Type, err)
	}
	return n
}

// Secrets of the test channels: no log line, error or result may contain any of them.
const (
	webhookSecret  = "whsec_test_0123456789"
	webhookToken   = "wh-url-token-SECRET-8c2f"
	wecomKey       = "wk-3f9a1c2e-7b44-4d0e-SECRET-0001"
	dingtalkToken  = "dtok0123456789abcdef-SECRET-0002"
	dingtalkSecret = "SECdingtalk-signing-SECRET-0003"
	feishuToken    = "fs-hook-7d1e6c1f-SECRET-0004"
	feishuSecret   = "feishu-signing-SECRET-0005"
	amPassword     = "am-password-SECRET-0006"
)

var testSecrets = []string{webhookSecret, webhookToken, wecomKey, dingtalkToken, dingtalkSecret, feishuToken, feishuSecret, amPassword}

// testChannel is the config of channel kind (webhook, alertmanager, wecom, dingtalk,
// feishu) pointing at base, a test server's URL.
func testChannel(kind, base string) config.Channel {
	switch kind {
	case config.ChannelWebhook:
		return config.Channel{Type: kind, URL: config.Secret(base + "/hooks/chainrisk?token=" + webhookToken), Secret: webhookSecret}
	case config.ChannelAlertmanager:
		// Behind a proxy that takes a key in the path (user info is refused).
		return config.Channel{Type: kind, URLs: []config.Secret{config.Secret(base + "/" + amPassword)}}
	case config.ChannelWeCom:
		return config.Channel{Type: kind, URL: config.Secret(base + "/cgi-bin/webhook/send?key=" + wecomKey)}
	case config.ChannelDingTalk:
		return config.Channel{Type: kind, URL: config.Secret(base + "/robot/send?access_token=" + dingtalkToken), Secret: dingtalkSecret}
	case config.ChannelFeishu:
		return config.Channel{Type: kind, URL: config.Secret(base + "/open-apis/bot/v2/hook/" + feishuToken), Secret: feishuSecret}
	}
	panic("unknown channel kind " + kind)
}

// okAnswer is a vendor's "delivered".
func okAnswer(kind string) func(http.ResponseWriter, *http.Request, []byte) {
	switch kind {
	case config.ChannelWeCom, config.ChannelDingTalk:
		return answer(200, `{"errcode":0,"errmsg":"ok"}`)
	case config.ChannelFeishu:
		return answer(200, `{"code":0,"msg":"success","data":{}}`)
	}
	return answer(200, ``)
}

// tenantView is a tenant's view of a state under the config's chain depths.
func tenantView(cfg *config.Config, s *monitor.State, uscc string) *visibility.View {
	return new(visibility.Views).Of(s, visibility.Tenant(uscc), cfg.Chain.DepthUp, cfg.Chain.DepthDown)
}
