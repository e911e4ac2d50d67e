package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/internal/testlog"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The fixtures' "now" and firms.
var (
	t0        = notifytest.T0
	castings  = FirmRef(notifytest.Castings)
	gearbox   = FirmRef(notifytest.Gearbox)
	leaderRef = FirmRef(notifytest.Leader)
	bearings  = FirmRef(notifytest.Bearings)
	sensors   = FirmRef(notifytest.Sensors)
)

// ruleTitles are the titles package alerts gives its rules, in zh and en.
var ruleTitles = map[string][2]string{
	"grade_downgrade":        {"信用等级下调", "Credit grade downgraded"},
	"severe_event":           {"严重信用事件", "Severe credit event"},
	"related_party_distress": {"关联方信用风险", "Related party in distress"},
	"chain_risk":             {"供应链风险超限", "Supply chain risk high"},
	"score_drop":             {"信用分下降", "Credit score dropped"},
	"single_source":          {"单一来源供应商风险", "Single-source supplier at risk"},
	"repair_done":            {"信用修复已通过", "Credit repair approved"},
	"stale_data":             {"信用数据过期", "Credit data stale"},
}

// titled sets n's title from its rule and language, as package alerts does.
func titled(n *Notification) *Notification {
	t, ok := ruleTitles[n.Rule]
	switch {
	case !ok:
		n.Title = ""
	case n.Language == "en":
		n.Title = t[1]
	default:
		n.Title = t[0]
	}
	return n
}

// firingDowngrade is a firing grade_downgrade of a tier-2 supplier, with a path.
func firingDowngrade(lang string) *Notification {
	return titled(&Notification{
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
	})
}

// resolvedChainRisk is a resolved chain_risk of a leader.
func resolvedChainRisk(lang string) *Notification {
	return titled(&Notification{
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
		// 0.312 < 0.9 × 0.4 = 0.36, the critical level's hysteresis threshold
		ResolveReason: ResolveRiskFell,
	})
}

// batch3 is three notifications for one robot: the downgrade, a severe event of a
// tier-1 supplier, and a score drop on a watch-list (no leader).
func batch3(lang string) []*Notification {
	severe := titled(&Notification{
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
	})
	drop := titled(&Notification{
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
	})
	return []*Notification{firingDowngrade(lang), severe, drop}
}

// The shared test helpers under the names these tests use.
type Handler = notifytest.Handler

var (
	newReceiver = notifytest.NewReceiver
	answer      = notifytest.Answer
)

func newFakeClock() *notifytest.Clock { return notifytest.NewClock(t0) }

// testOptions gives a notifier its own transport (closed at the end), a short timeout,
// the clock and a logger writing into logs at debug level.
func testOptions(t *testing.T, clock Clock, logs *testlog.Buffer) Options {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	if logs == nil {
		logs = &testlog.Buffer{}
	}
	return Options{
		HTTPClient: &http.Client{Transport: tr},
		Timeout:    2 * time.Second,
		Logger:     slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:      clock,
	}
}

func mustNotifier(t *testing.T, ch Channel, opts Options) Notifier {
	t.Helper()
	n, err := New(ch, opts)
	if err != nil {
		t.Fatalf("New(%s): %v", ch.Type, err)
	}
	return n
}

func send1(t *testing.T, nt Notifier) Result {
	t.Helper()
	r := nt.Send(context.Background(), []*Notification{firingDowngrade("en")})
	if len(r) != 1 {
		t.Fatalf("%d results for 1 notification", len(r))
	}
	return r[0]
}

// hmacSHA256 is the MAC the signatures use, written out again here rather than taken
// from the package's helpers: the receivers check each request as the vendor would.
func hmacSHA256(key, msg string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// secret is a test channel's secret. Like config.Secret it prints redacted.
type secret string

func (s secret) Reveal() string { return string(s) }
func (s secret) String() string { return Redacted }

// secrets turns strings into Secrets.
func secrets(ss ...string) []Secret {
	out := make([]Secret, len(ss))
	for i, s := range ss {
		out[i] = secret(s)
	}
	return out
}

// testKind is what the tests common to every HTTP channel (payload goldens, secrets,
// redirects, fuzzed answers) need of one channel type. The channel's own test file
// registers it in testKinds; TestEveryChannelTested fails for a type without one.
type testKind struct {
	// channel is a channel of the type posting to base, a test server's URL, that
	// carries secrets.
	channel func(base string) Channel
	secrets []string
	// ok answers "delivered" as the vendor does; refuse refuses for good with msg (a
	// JSON string) in the vendor's words.
	ok     notifytest.Handler
	refuse func(msg string) notifytest.Handler
	// code reads the vendor's code from an answer: robots answer 200 with a code, nil
	// for plain HTTP channels.
	code func(body []byte) (int, bool)
	// goldens name its payload goldens with the options each needs; nil means one,
	// named after the type.
	goldens map[string]func(*Options)
}

var testKinds = map[string]testKind{}

// httpKinds are the channel types the common tests drive, sorted: those that post
// HTTP requests (e-mail has tests of its own, email_test.go).
func httpKinds() []string {
	var out []string
	for _, typ := range Types() {
		if k, _ := Lookup(typ); !k.Local && !k.Mail {
			out = append(out, typ)
		}
	}
	return out
}

func testChannel(kind, base string) Channel { return testKinds[kind].channel(base) }

func okAnswer(kind string) notifytest.Handler { return testKinds[kind].ok }

// testSecrets are every test channel's secrets: no log line, error or result may
// contain any of them.
func testSecrets() []string {
	var out []string
	for _, k := range testKinds {
		out = append(out, k.secrets...)
	}
	slices.Sort(out)
	return out
}
