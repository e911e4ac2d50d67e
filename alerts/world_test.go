package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/store/sqlite"
)

// eachStore runs fn against a fresh SQLite store and a fresh PostgreSQL schema.
func eachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, openPostgres(t)) })
}

func openSQLite(t *testing.T) store.Store { return openSQLiteTB(t) }

func openSQLiteTB(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlite.OpenDir(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func openPostgres(t *testing.T) store.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.URL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// code makes the n-th valid test USCC.
func code(n int) string {
	c, err := credit.MakeUSCC(fmt.Sprintf("91230100%09d", n))
	if err != nil {
		panic(err)
	}
	return c
}

// tfirm is a firm of a hand-built state.
type tfirm struct {
	name        string
	grade       risk.Grade
	score       float64
	leading     bool
	specialized bool
	updated     time.Time
	events      []risk.EventRef
}

// trel is a supply relation supplier → customer of a hand-built state.
type trel struct {
	s, c          int
	purchase, sal float64
	sub           float64
}

// world builds monitor.States by hand: firm i has USCC code(i). Tests change its
// firms and chains between scans.
type world struct {
	cfg    *config.Config
	model  *risk.Model
	at     time.Time
	firms  map[int]*tfirm
	rels   []trel
	chains map[int]*risk.Exposure
	scan   int64
	// owners is the ownership registry the states carry (nil: none); a test that
	// changes the holdings builds a new one, as the engine does.
	owners *ownership.Registry
}

func newWorld(cfg *config.Config, at time.Time) *world {
	return &world{cfg: cfg, model: risk.NewModel(cfg.ScoreParams(), cfg.Catalogue()), at: at, firms: map[int]*tfirm{}, chains: map[int]*risk.Exposure{}}
}

// firm adds firm i, grade B and score 750 unless changed.
func (w *world) firm(i int, f tfirm) *tfirm {
	if f.name == "" {
		f.name = fmt.Sprintf("测试企业%d有限公司", i)
	}
	if f.grade == 0 {
		f.grade = risk.GradeB
	}
	if f.score == 0 {
		f.score = 750
	}
	if f.updated.IsZero() {
		f.updated = w.at.Add(-24 * time.Hour)
	}
	w.firms[i] = &f
	return &f
}

// event is an event of the given type at a date.
func (w *world) event(typ string, at time.Time) risk.EventRef {
	return risk.EventRef{Type: w.model.TypeIndex(typ), At: at.Unix()}
}

// state builds the state of the world as it is now.
func (w *world) state() *monitor.State {
	w.scan++
	ids := slices.Sorted(func(yield func(int) bool) {
		for i := range w.firms {
			if !yield(i) {
				return
			}
		}
	})
	b := graph.NewBuilder(len(ids), len(w.rels))
	for _, i := range ids {
		b.AddNode(code(i))
	}
	for _, r := range w.rels {
		b.AddEdge(code(r.s), code(r.c), graph.EdgeAttrs{PurchaseShare: r.purchase, SalesShare: r.sal, Substitutability: r.sub})
	}
	snap, err := b.Build()
	if err != nil {
		panic(err)
	}
	s := &monitor.State{ScanID: w.scan, At: w.at, Params: monitor.Params{Model: w.model}, Snap: snap,
		Chains: map[int32]*risk.Exposure{}, Owners: w.owners}
	n := snap.Len()
	s.Firms, s.Score, s.P, s.D, s.Grade = make([]monitor.Firm, n), make([]float64, n), make([]float64, n),
		make([]float64, n), make([]risk.Grade, n)
	s.EventStart = make([]int32, n+1)
	for v, id := range snap.IDs {
		f := w.firms[ids[v]] // nodes were added in ids' order
		_ = id
		s.Firms[v] = monitor.Firm{Name: f.name, Status: credit.StatusActive, Leading: f.leading, Specialized: f.specialized,
			UpdatedAt: f.updated}
		s.Score[v], s.Grade[v], s.P[v], s.D[v] = f.score, f.grade, 0.05, 0.05
		s.Events = append(s.Events, f.events...)
		s.EventStart[v+1] = int32(len(s.Events))
		if f.leading {
			s.Leaders = append(s.Leaders, int32(v))
		}
	}
	for i, x := range w.chains {
		v, _ := snap.Index(code(i))
		cp := *x
		cp.Leader = code(i)
		s.Chains[v] = &cp
	}
	return s
}

// observe evaluates a new state of the world with m and returns it.
func (w *world) observe(t *testing.T, m *Manager, prev *monitor.State, kind string) *monitor.State {
	t.Helper()
	next := w.state()
	if prev == nil {
		// The first scan of a process: the engine hands over what the store held.
		next.Held = map[string]store.FirmResult{}
		if err := m.db.FirmResults(context.Background(), func(f *store.FirmResult) error {
			next.Held[f.USCC] = *f
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Observe(context.Background(), prev, next, &store.Scan{ID: next.ScanID, Kind: kind}); err != nil {
		t.Fatalf("Observe: %v", err)
	}
	return next
}

// persist writes a state's results as the engine would (results and history).
func persist(t *testing.T, st store.Store, s *monitor.State) {
	t.Helper()
	res := &store.Results{ScanID: s.ScanID, ModelVersion: "test", At: s.At}
	for v, id := range s.Snap.IDs {
		f := store.FirmResult{USCC: id, Score: s.Score[v], Grade: s.Grade[v].String(), P: s.P[v], D: s.D[v]}
		res.Firms, res.History = append(res.Firms, f), append(res.History, f)
	}
	if err := st.SaveResults(context.Background(), res); err != nil {
		t.Fatal(err)
	}
}

// testConfig is the default config with the given subscriptions, normalized.
func testConfig(t testing.TB, subs ...config.Subscription) *config.Config {
	t.Helper()
	cfg := config.Default()
	for i := range subs {
		if err := cfg.NormalizeSubscription(&subs[i]); err != nil {
			t.Fatalf("subscription %s: %v", subs[i].Name, err)
		}
	}
	cfg.Alerts.Subscriptions = subs
	cfg.Alerts.ExternalURL = "https://chainrisk.example.com"
	return cfg
}

func logChannel() []config.Channel { return []config.Channel{{Type: notify.TypeLog}} }

func subAll(name string) config.Subscription {
	return config.Subscription{Name: name, Subscriber: "analysts", Scope: config.Scope{Kind: config.ScopeAll}, Channels: logChannel()}
}

func subChain(name string, leader int, up, down int) config.Subscription {
	return config.Subscription{Name: name, Subscriber: code(leader), Channels: logChannel(),
		Scope: config.Scope{Kind: config.ScopeChain, Leader: code(leader), DepthUp: &up, DepthDown: &down}}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newTestManager(t testing.TB, st store.Store, cfg *config.Config, clock notify.Clock) *Manager {
	t.Helper()
	return NewManager(ManagerOptions{Store: st, Config: func() *config.Config { return cfg }, Clock: clock,
		Logger: discardLogger()})
}

// outbox returns every notification in the outbox, oldest first, decoded.
func outbox(t *testing.T, st store.Store) []*notify.Notification {
	t.Helper()
	rows, err := st.Deliveries(context.Background(), store.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*notify.Notification
	for i := len(rows) - 1; i >= 0; i-- {
		n, err := decodeNotification(rows[i].Payload)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// brief is "rule status severity uscc subscription" of each message, then
// " + rule status severity" for each other alert of its group.
func brief(ns []*notify.Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strings.Join([]string{n.Rule, n.Status, n.Severity, n.Subject.USCC, n.Subscription}, " ")
		for _, g := range n.Group {
			if g.Subject.USCC != n.Subject.USCC && (g.Leader == nil || n.Leader == nil || g.Leader.USCC != n.Leader.USCC) {
				out[i] += " + (another firm!)"
			}
			out[i] += " + " + strings.Join([]string{g.Rule, g.Status, g.Severity}, " ")
		}
	}
	return out
}

func firingAlerts(t *testing.T, st store.Store) map[string]store.Alert {
	t.Helper()
	list, err := st.Alerts(context.Background(), store.AlertFilter{State: store.AlertFiring})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]store.Alert)
	for _, a := range list {
		out[a.Fingerprint] = a
	}
	return out
}
