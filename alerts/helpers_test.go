package alerts

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/visibility"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The fixtures' "now" and firms.
var (
	t0        = notifytest.T0
	castings  = notify.FirmRef(notifytest.Castings)
	gearbox   = notify.FirmRef(notifytest.Gearbox)
	leaderRef = notify.FirmRef(notifytest.Leader)
)

// firingDowngrade is a firing grade_downgrade of a tier-2 supplier, with a path: what
// the outbox tests enqueue.
func firingDowngrade(lang string) *notify.Notification {
	return &notify.Notification{
		ID:           "ntf-0001",
		Fingerprint:  "grade_downgrade:91330206MA2AHK5R3T:91330000MA27U8T41B",
		Rule:         "grade_downgrade",
		Title:        ruleTitle("grade_downgrade", lang),
		Severity:     "warning",
		Status:       notify.StatusFiring,
		Subject:      notify.Firm{USCC: castings.USCC, Name: castings.Name, Grade: "C", PreviousGrade: "B"},
		Leader:       &leaderRef,
		Tier:         2,
		Path:         []string{castings.USCC, gearbox.USCC, leaderRef.USCC},
		PathNames:    []string{castings.Name, gearbox.Name, leaderRef.Name},
		PathShares:   []float64{0.35, 0.6},
		Reasons:      []string{"dishonest_judgment_debtor −350 (2026-11-20)", "tax_arrears −120 (2026-10-08)"},
		Values:       map[string]float64{"score": 540, "previous_score": 700},
		StartedAt:    t0.Add(-5 * time.Minute),
		Subscription: "yuanhang-chain",
		Language:     lang,
		URL:          "https://chainrisk.example.com/api/v1/enterprises/91330206MA2AHK5R3T",
	}
}

// webhookToken rides in the test webhooks' URLs: no error or log may show it.
const webhookToken = "wh-url-token-SECRET-8c2f"

// wecomKey is the test robots' key, in their URLs.
const wecomKey = "wk-3f9a1c2e-7b44-4d0e-SECRET-0001"

// wecomChannel is a WeCom robot at base, a test server's URL.
func wecomChannel(base string) config.Channel {
	return config.Channel{Type: notify.TypeWeCom, URL: config.Secret(base + "/cgi-bin/webhook/send?key=" + wecomKey)}
}

// newReceiver is the shared test receiver.
var newReceiver = notifytest.NewReceiver

func newFakeClock() *notifytest.Clock { return notifytest.NewClock(t0) }

// tenantView is a tenant's view of a state under the config's chain depths.
func tenantView(cfg *config.Config, s *monitor.State, uscc string) *visibility.View {
	return new(visibility.Views).Of(s, visibility.Tenant(uscc), cfg.Chain.DepthUp, cfg.Chain.DepthDown)
}
