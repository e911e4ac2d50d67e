package reliability

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/internal/testoutbox"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/backend"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/store/sqlite"
)

// Kills per store: CHAINRISK_CRASH_KILLS=N sets the number, CHAINRISK_SOAK=1 raises the
// default to soakKills. CHAINRISK_CRASH_SEED=N replays a run's random choices (the
// timing of a run cannot be replayed).
const (
	defaultKills = 20
	soakKills    = 100
)

const interruptedReason = monitor.ReasonInterrupted

func crashKills(t *testing.T) int {
	if v := os.Getenv("CHAINRISK_CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CHAINRISK_CRASH_KILLS=%q: want a positive integer", v)
		}
		return n
	}
	if os.Getenv("CHAINRISK_SOAK") == "1" {
		return soakKills
	}
	return defaultKills
}

func crashSeed(t *testing.T) uint64 {
	if v := os.Getenv("CHAINRISK_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("CHAINRISK_CRASH_SEED=%q: want an unsigned integer", v)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// TestCrashSafety is docs/reliability.md's crash-safety promise, tested on the real binaries
// with both stores: chainriskd is killed with SIGKILL at random moments — during
// startup, during ingest requests, right after a rescan was queued, during webhook
// deliveries, or just at a random time — and restarted, again and again, while
// batches and rescans keep coming. Then a clean start must show every acknowledged
// row in the store, every scan finished, the outbox drained into the receiver with
// no notification lost, invented, or duplicated under a second key, each listing the
// alerts of its message as stored, no alert change told twice, and severe events on
// watched firms announced; and SIGTERM must end it with exit code 0.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds chainriskd and kills it many times")
	}
	kills, seed := crashKills(t), crashSeed(t)
	t.Logf("%d kills per store, CHAINRISK_CRASH_SEED=%d", kills, seed)
	daemonBin, ctlBin := binaries(t)
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		data := filepath.Join(dir, "data")
		runCrash(t, crashSetup{daemon: daemonBin, ctl: ctlBin, dir: dir, dataDir: data,
			dsn: filepath.Join(data, sqlite.FileName), kills: kills, seed: seed})
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		runCrash(t, crashSetup{daemon: daemonBin, ctl: ctlBin, dir: t.TempDir(), databaseURL: url, dsn: url,
			kills: kills, seed: seed + 1})
	})
}

type crashSetup struct {
	daemon, ctl string
	dir         string
	dataDir     string // SQLite
	databaseURL string // PostgreSQL
	dsn         string // what chainriskctl and the checks open
	kills       int
	seed        uint64
}

// How a cycle ends.
const (
	killAtStartup  = "during startup"
	killAtRandom   = "at a random time"
	killMidIngest  = "mid-ingest"
	killPostRescan = "after a rescan was queued"
	killMidHook    = "mid-delivery"
	killPostEvents = "after acknowledged events"
)

// crashStats are the figures a run reports.
type crashStats struct {
	byMode         map[string]int
	ingestInFlight int // kills that found an ingest request in flight
	hookInFlight   int // kills that found the receiver serving a delivery
	problems       []string
}

func (s *crashStats) problem(format string, args ...any) {
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

func writeConfig(t *testing.T, s crashSetup, hookBase string, l *ledger, secrets map[string]string) string {
	t.Helper()
	var b strings.Builder
	if s.dataDir != "" {
		fmt.Fprintf(&b, "data_dir: %q\n", s.dataDir)
	}
	b.WriteString("shutdown_timeout: 30s\nlog:\n  level: info\n")
	fmt.Fprintf(&b, "store:\n  database_url: %q\n  max_conns: 4\n  leader_check_interval: 250ms\n", s.databaseURL)
	// Scans come from ingests and rescans only; the clock must not add any.
	b.WriteString("schedule:\n  full_scan: \"\"\n  esri: \"\"\n")
	b.WriteString("alerts:\n  language: en\n  max_attempts: 1000\n  backoff:\n    initial: 50ms\n    max: 500ms\n  subscriptions:\n")
	fmt.Fprintf(&b, "    - name: watch\n      subscriber: credit-desk\n      scope: {kind: watchlist, usccs: [%s]}\n",
		strings.Join(l.watchList(), ", "))
	fmt.Fprintf(&b, "      min_severity: info\n      channels:\n        - {type: webhook, url: %q, secret: %q}\n",
		hookBase+"/hook/watch", secrets["/hook/watch"])
	fmt.Fprintf(&b, "    - name: chain\n      subscriber: %s\n      scope: {kind: chain, leader: %s, depth_up: 3, depth_down: 1}\n",
		l.leader().uscc, l.leader().uscc)
	fmt.Fprintf(&b, "      min_severity: warning\n      channels:\n        - {type: webhook, url: %q, secret: %q}\n",
		hookBase+"/hook/chain", secrets["/hook/chain"])
	path := filepath.Join(s.dir, "chainriskd.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(path); err != nil {
		t.Fatalf("the harness wrote an invalid config: %v\n%s", err, b.String())
	}
	return path
}

func runCrash(t *testing.T, s crashSetup) {
	began := time.Now()
	l := newLedger(2)
	secrets := map[string]string{"/hook/watch": fmt.Sprintf("whsec-watch-%d", s.seed), "/hook/chain": fmt.Sprintf("whsec-chain-%d", s.seed)}
	rv := newReceiver(t, secrets)
	cfg := writeConfig(t, s, rv.srv.URL, l, secrets)
	token := createToken(t, s.ctl, s.dsn)
	d := newDaemonProc(t, s.daemon, cfg, filepath.Join(s.dir, "chainriskd.log"))
	rng := rand.New(rand.NewPCG(s.seed, s.seed^0x9e3779b97f4a7c15))
	st := &crashStats{byMode: map[string]int{}}
	for cycle := 1; cycle <= s.kills; cycle++ {
		l.mu.Lock()
		l.cycle = cycle
		l.mu.Unlock()
		crashCycle(t, d, l, rv, token, rng, st)
		if t.Failed() {
			t.Fatalf("cycle %d:\n%s", cycle, d.logTail(80))
		}
	}
	killed := time.Since(began)

	// A clean start after the last kill: everything must settle.
	d.startReady(60 * time.Second)
	c := newAPIClient(d.base(), token)
	defer c.close()
	settleStart := time.Now()
	settle(t, c, 90*time.Second)
	settled := time.Since(settleStart)
	final := readBack(t, c, l)
	for _, name := range []string{"chainrisk_outbox_pending", "chainrisk_outbox_dead"} {
		if v, err := c.metric(name); err != nil || v != 0 {
			t.Errorf("%s = %v (%v), want 0 once settled", name, v, err)
		}
	}
	code, err := d.terminate(60 * time.Second)
	if err != nil || code != 0 {
		t.Errorf("SIGTERM: exit code %d (%v), want 0", code, err)
	}
	held := readStore(t, s.dsn)

	checkRows(t, l, final, held)
	reRun := checkScans(t, l, held)
	checkOutbox(t, rv, held)
	rv.mu.Lock()
	if rv.cut > s.kills {
		t.Errorf("the receiver got %d bodies cut short, more than the %d kills could cut", rv.cut, s.kills)
	}
	rv.mu.Unlock()
	direct, covered := checkSevereEvents(t, l, final, held)

	for _, p := range st.problems {
		t.Error(p)
	}
	if t.Failed() {
		t.Log(d.logTail(120))
	}
	report(t, l, rv, st, held, reRun, direct, covered, killed, settled, time.Since(began))
}

// crashCycle starts the daemon, loads it with ingests and rescans, and kills it.
func crashCycle(t *testing.T, d *daemonProc, l *ledger, rv *receiver, token string, rng *rand.Rand, st *crashStats) {
	modes := []string{killAtStartup, killAtRandom, killAtRandom, killAtRandom, killMidIngest, killMidIngest,
		killPostRescan, killMidHook, killMidHook, killPostEvents}
	mode := modes[rng.IntN(len(modes))]
	if l.cycle == 1 {
		// The first acknowledged events, before any scan has recorded results.
		mode = killPostEvents
	}
	st.byMode[mode]++
	if mode == killAtStartup {
		// Anywhere in the start: migrations, the interrupted scans, the startup scan.
		d.start()
		time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
		d.kill()
		return
	}
	d.startReady(60 * time.Second)
	c := newAPIClient(d.base(), token)
	defer c.close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		stop       atomic.Bool
		inFlight   atomic.Int32
		wg         sync.WaitGroup
		mu         sync.Mutex
		ingestSent = make(chan struct{}, 1)
		rescanOK   = make(chan struct{}, 1)
		eventsOK   = make(chan struct{}, 1)
	)
	tick := func(ch chan struct{}) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	problem := func(msg string) {
		if msg != "" {
			mu.Lock()
			st.problem("%s", msg)
			mu.Unlock()
		}
	}
	pause := func(r *rand.Rand, maxMS int) {
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(r.IntN(maxMS+1)) * time.Millisecond):
		}
	}
	for w := range 2 {
		wr := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
		wg.Go(func() {
			for !stop.Load() {
				b := l.next(w, wr)
				if stop.Load() {
					return
				}
				inFlight.Add(1)
				tick(ingestSent)
				problem(l.post(ctx, c, b))
				inFlight.Add(-1)
				if b.kind == credit.KindEvents && b.acked() {
					tick(eventsOK)
				}
				pause(wr, 20)
			}
		})
	}
	rr := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	wg.Go(func() {
		for {
			pause(rr, 250)
			if stop.Load() {
				return
			}
			r := l.nextRescan(rr)
			problem(l.postRescan(ctx, c, r))
			if r.status == http.StatusAccepted {
				tick(rescanOK)
			}
		}
	})

	// Aim, then kill.
	wait := func(ch chan struct{}) {
		select {
		case <-ch:
		default:
		}
		select {
		case <-ch:
		case <-time.After(1500 * time.Millisecond):
		}
	}
	switch mode {
	case killAtRandom:
		time.Sleep(time.Duration(rng.IntN(800)) * time.Millisecond)
	case killMidIngest:
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		wait(ingestSent)
		time.Sleep(time.Duration(rng.IntN(15)) * time.Millisecond)
	case killPostRescan:
		wait(rescanOK)
		time.Sleep(time.Duration(rng.IntN(10)) * time.Millisecond)
	case killPostEvents:
		wait(eventsOK)
	case killMidHook:
		rv.drainArrivals()
		wait(rv.arrivals)
		time.Sleep(time.Duration(rng.IntN(5)) * time.Millisecond)
	}
	if inFlight.Load() > 0 {
		st.ingestInFlight++
	}
	if rv.busy() {
		st.hookInFlight++
	}
	d.kill()
	stop.Store(true)
	cancel()
	wg.Wait()
}

// settle waits until no scan is queued or running and the outbox holds nothing
// pending.
func settle(t *testing.T, c *apiClient, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		var scans struct {
			Scans []struct {
				ID      int64  `json:"id"`
				Scope   string `json:"scope"`
				Trigger string `json:"trigger"`
				Status  string `json:"status"`
			} `json:"scans"`
		}
		var pending struct {
			Deliveries []alerts.Delivery `json:"deliveries"`
		}
		var busy []string
		status, err := c.getJSON("/api/v1/scans?limit=500", &scans)
		if err == nil && status == http.StatusOK {
			for _, sc := range scans.Scans {
				if sc.Status == store.ScanQueued || sc.Status == store.ScanRunning {
					busy = append(busy, fmt.Sprintf("scan %d (%s, %s) %s", sc.ID, sc.Scope, sc.Trigger, sc.Status))
				}
			}
			status, err = c.getJSON("/api/v1/deliveries?state=pending&limit=20", &pending)
		}
		if err == nil && status == http.StatusOK && len(busy) == 0 && len(pending.Deliveries) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range pending.Deliveries {
				busy = append(busy, fmt.Sprintf("notification %s (%s, %s) pending after %d attempts: %s",
					p.ID, p.Fingerprint, p.Subscription, p.Attempts, p.LastError))
			}
			t.Fatalf("not settled within %s (last answer %d, %v):\n%s", bound, status, err, strings.Join(busy, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// finalView is what the API shows after the last start.
type finalView struct {
	names  map[string]string // uscc → name
	events map[string]apiEvent
}

type apiEvent struct {
	uscc       string
	Type       string     `json:"type"`
	ID         string     `json:"event_id"`
	OccurredAt time.Time  `json:"occurred_at"`
	State      string     `json:"state"`
	RepairedAt *time.Time `json:"repaired_at"`
}

// readBack reads every firm the harness ever sent, and its events, through the API.
func readBack(t *testing.T, c *apiClient, l *ledger) finalView {
	t.Helper()
	v := finalView{names: map[string]string{}, events: map[string]apiEvent{}}
	for _, f := range l.firms {
		if len(f.names) == 0 {
			continue
		}
		var ent struct {
			USCC string `json:"uscc"`
			Name string `json:"name"`
		}
		status, err := c.getJSON("/api/v1/enterprises/"+f.uscc, &ent)
		switch {
		case err != nil:
			t.Fatalf("GET enterprise %s: %v", f.uscc, err)
		case status == http.StatusNotFound:
			continue
		case status != http.StatusOK || ent.USCC != f.uscc:
			t.Fatalf("GET enterprise %s: %d %+v", f.uscc, status, ent)
		}
		v.names[f.uscc] = ent.Name
		var evs struct {
			Events []apiEvent `json:"events"`
		}
		if status, err := c.getJSON("/api/v1/enterprises/"+f.uscc+"/events", &evs); err != nil || status != http.StatusOK {
			t.Fatalf("GET events of %s: %d %v", f.uscc, status, err)
		}
		for _, e := range evs.Events {
			if _, dup := v.events[e.ID]; dup {
				t.Errorf("event %s listed twice", e.ID)
			}
			e.uscc = f.uscc
			v.events[e.ID] = e
		}
	}
	return v
}

// heldView is what the store holds once the daemon has stopped.
type heldView struct {
	rels   map[[2]string]credit.Relation
	scans  []store.Scan
	outbox []testoutbox.Message   // each row with the alerts of its message
	alerts map[string]store.Alert // by fingerprint
}

func readStore(t *testing.T, dsn string) heldView {
	t.Helper()
	ctx := context.Background()
	st, err := backend.Open(ctx, dsn, backend.Options{})
	if err != nil {
		t.Fatalf("open the store after shutdown: %v", err)
	}
	defer st.Close()
	v := heldView{rels: map[[2]string]credit.Relation{}, alerts: map[string]store.Alert{}}
	if err := st.Relations(ctx, func(r *credit.Relation) error {
		v.rels[[2]string{r.Supplier, r.Customer}] = *r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if v.scans, err = st.Scans(ctx, math.MaxInt32); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Deliveries(ctx, store.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if v.outbox, err = testoutbox.DecodeAll(rows); err != nil {
		t.Fatal(err)
	}
	list, err := st.Alerts(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		v.alerts[a.Fingerprint] = a
	}
	return v
}

// checkRows: every acknowledged row is in the store as sent; a batch that got no
// answer is there whole or not at all; refused rows are nowhere.
func checkRows(t *testing.T, l *ledger, final finalView, held heldView) {
	t.Helper()
	for _, f := range l.firms {
		last := -1
		for i, v := range f.names {
			if v.batch.acked() {
				last = i
			}
		}
		name, present := final.names[f.uscc]
		if !present {
			if last >= 0 {
				t.Errorf("firm %s: its acknowledged row (batch %d, %q) is missing", f.uscc, f.names[last].batch.id, f.names[last].name)
			}
			continue
		}
		// The name is the last acknowledged one, or one sent after it.
		var allowed []string
		for _, v := range f.names[max(last, 0):] {
			if v.batch.sent {
				allowed = append(allowed, v.name)
			}
		}
		if !slices.Contains(allowed, name) {
			t.Errorf("firm %s is named %q; want the last acknowledged name or a later one: %q", f.uscc, name, allowed)
		}
	}
	for id := range final.events {
		if strings.HasPrefix(id, "CRASH-BAD-") {
			t.Errorf("refused event %s is in the store", id)
		}
	}
	for _, e := range l.events {
		got, present := final.events[e.id]
		if e.batch.acked() && !present {
			t.Errorf("event %s of acknowledged batch %d is missing", e.id, e.batch.id)
		}
		if !present {
			continue
		}
		if got.uscc != e.firm.uscc || got.Type != e.typ || !got.OccurredAt.Equal(e.at) {
			t.Errorf("event %s reads %s %s %s; sent %s %s %s", e.id, got.uscc, got.Type, got.OccurredAt, e.firm.uscc, e.typ, e.at)
		}
		switch {
		case e.repair != nil && e.repair.acked():
			if got.State != string(credit.EventRepaired) || got.RepairedAt == nil || !got.RepairedAt.Equal(e.fixed) {
				t.Errorf("event %s: acknowledged repair (batch %d) reads state %s, repaired_at %v; want repaired at %s",
					e.id, e.repair.id, got.State, got.RepairedAt, e.fixed)
			}
		case e.repair == nil || !e.repair.sent:
			if got.State != string(credit.EventActive) {
				t.Errorf("event %s: state %s although no repair was sent", e.id, got.State)
			}
		}
	}
	for k := range held.rels {
		if k[0] == k[1] {
			t.Errorf("refused self-loop relation %s is in the store", k[0])
		}
	}
	for _, r := range l.rels {
		got, present := held.rels[[2]string{r.sup.uscc, r.cus.uscc}]
		if r.batch.acked() && !present {
			t.Errorf("relation %s → %s of acknowledged batch %d is missing", r.sup.uscc, r.cus.uscc, r.batch.id)
		}
		if present && (math.Abs(got.PurchaseShare-r.ps) > 1e-9 || math.Abs(got.SalesShare-r.ss) > 1e-9 ||
			math.Abs(got.Substitutability-r.subs) > 1e-9) {
			t.Errorf("relation %s → %s reads %v/%v/%v; sent %v/%v/%v", r.sup.uscc, r.cus.uscc,
				got.PurchaseShare, got.SalesShare, got.Substitutability, r.ps, r.ss, r.subs)
		}
	}
	// A batch without an answer is all there or not at all (README.md: atomic).
	for _, b := range l.batches {
		if !b.sent || b.acked() {
			continue
		}
		var in, of int
		for _, e := range b.events {
			of++
			if _, ok := final.events[e.id]; ok {
				in++
			}
		}
		for _, r := range b.rels {
			of++
			if _, ok := held.rels[[2]string{r.sup.uscc, r.cus.uscc}]; ok {
				in++
			}
		}
		for _, e := range b.repairs {
			of++
			if final.events[e.id].State == string(credit.EventRepaired) {
				in++
			}
		}
		if in != 0 && in != of {
			t.Errorf("batch %d (%s) without an answer is half applied: %d of %d rows in the store", b.id, b.kind, in, of)
		}
	}
}

// checkScans: no scan is left queued or running; the only failures are the scans a
// kill interrupted, which the next start re-ran; every acknowledged rescan exists.
func checkScans(t *testing.T, l *ledger, held heldView) (reRun int) {
	t.Helper()
	byID := map[int64]store.Scan{}
	for _, sc := range held.scans {
		byID[sc.ID] = sc
		switch {
		case sc.Status == store.ScanQueued || sc.Status == store.ScanRunning:
			t.Errorf("scan %d (%s, %s) is left %s", sc.ID, sc.Scope, sc.Trigger, sc.Status)
		case sc.Status == store.ScanFailed && sc.Error == interruptedReason:
			reRun++
		case sc.Status == store.ScanFailed:
			t.Errorf("scan %d (%s, %s) failed: %s", sc.ID, sc.Scope, sc.Trigger, sc.Error)
		}
	}
	for _, r := range l.rescans {
		if r.status != http.StatusAccepted {
			continue
		}
		if sc, ok := byID[r.id]; !ok || sc.Scope != r.scope {
			t.Errorf("acknowledged rescan %d (%s) is not in the store as such: %+v", r.id, r.scope, sc)
		}
	}
	return reRun
}

// checkOutbox: every notification of the outbox was delivered and reached the
// receiver, signed, under its own key, listing the alerts of its message as the
// outbox holds them; the receiver accepted no other key; every message gathers
// alerts about one firm or chain, most severe first; and no alert change was written
// twice under two keys (for one destination, two notifications in a row of the same
// alert, episode, status and severity — and, for the rules that announce news
// within an episode, the same news).
func checkOutbox(t *testing.T, rv *receiver, held heldView) {
	t.Helper()
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if rv.badSigs > 0 {
		t.Errorf("%d deliveries carried a bad signature", rv.badSigs)
	}
	for _, p := range rv.problems {
		t.Errorf("receiver: %s", p)
	}
	inOutbox := map[string]bool{}
	paths := map[string]string{"watch": "/hook/watch", "chain": "/hook/chain"}
	for _, o := range held.outbox {
		inOutbox[o.ID] = true
		b, seen := rv.bodies[o.ID]
		switch {
		case o.State != store.DeliveryDelivered:
			t.Errorf("notification %s (%s, %s) is %s after %d attempts: %s", o.ID, o.Fingerprint, o.Subscription, o.State,
				o.Attempts, o.LastError)
		case !seen:
			t.Errorf("notification %s (%s %s to %s) is marked delivered but never reached the receiver", o.ID,
				o.Fingerprint, o.Status, o.Subscription)
		// A snapshot's row sums up what it lists (its severity the gravest); its body
		// has no alert of its own.
		case b.Fingerprint != o.Fingerprint || !o.IsListing() && (b.Status != o.Status || b.Severity != o.Severity) ||
			b.Kind != cmp.Or(o.Kind, "alert") || b.Subscription != o.Subscription || rv.paths[o.ID] != paths[o.Subscription]:
			t.Errorf("notification %s: the receiver got %+v at %s; the outbox holds %s %s %s for %s", o.ID, b, rv.paths[o.ID],
				o.Fingerprint, o.Status, o.Severity, o.Subscription)
		case !sameAlerts(b.Alerts, o.Alerts):
			t.Errorf("notification %s: the receiver got the alerts %+v; the outbox holds %+v", o.ID, b.Alerts, o.Alerts)
		}
		if err := o.Check(); err != nil {
			t.Error(err)
		}
	}
	for key := range rv.accepted {
		if !inOutbox[key] {
			t.Errorf("the receiver accepted key %s, which no outbox notification has", key)
		}
	}
	type dest struct {
		fp, sub string
		ch      int
	}
	byDest := map[dest][]notice{}
	for _, n := range notices(held.outbox) {
		k := dest{n.Fingerprint, n.row.Subscription, n.row.ChannelIndex}
		byDest[k] = append(byDest[k], n)
	}
	for k, list := range byDest {
		for i := 1; i < len(list); i++ {
			a, b := list[i-1], list[i]
			if a.Status != b.Status || a.Severity != b.Severity || !sameEpisode(a.StartedAt, b.StartedAt) {
				continue
			}
			same := true
			switch a.Rule {
			case alerts.RuleSevereEvent: // the news comes first
				same = len(a.Reasons) > 0 && len(b.Reasons) > 0 && a.Reasons[0] == b.Reasons[0]
			case alerts.RuleRepairDone:
				same = slices.Equal(a.Reasons, b.Reasons)
			}
			if same {
				t.Errorf("%s to %s: one change notified twice, as %s and %s (%s %s since %s, reasons %q / %q)", k.fp, k.sub,
					a.row.ID, b.row.ID, a.Status, a.Severity, a.StartedAt, a.Reasons, b.Reasons)
			}
		}
	}
}

// notice is one alert of an outbox message: the alert as the outbox holds it, and
// the row that carried it.
type notice struct {
	testoutbox.Alert
	row store.OutboxEntry
}

// notices lists the alerts every alert message announced, in the order the rows
// were written. Snapshots list what is open, announced or not: they announce nothing.
func notices(outbox []testoutbox.Message) []notice {
	var out []notice
	for _, m := range outbox {
		if m.IsListing() {
			continue
		}
		for _, a := range m.Alerts {
			out = append(out, notice{Alert: a, row: m.OutboxEntry})
		}
	}
	slices.SortStableFunc(out, func(a, b notice) int { return cmp.Compare(a.row.Seq, b.row.Seq) })
	return out
}

// sameAlerts compares the alerts a webhook body lists with those its outbox row
// holds, in order.
func sameAlerts(got []hookAlert, held []testoutbox.Alert) bool {
	return slices.EqualFunc(got, held, func(g hookAlert, h testoutbox.Alert) bool {
		var w hookAlert
		w.Fingerprint, w.Rule, w.Severity, w.Status, w.Reasons, w.StartedAt = h.Fingerprint, h.Rule, h.Severity, h.Status,
			h.Reasons, h.StartedAt
		w.Subject.USCC = h.Subject.USCC
		return g.equal(w)
	})
}

// sameEpisode compares the started_at of two notifications, or of a notification
// and an alert: the store keeps milliseconds, and the first notification of an
// episode carries the clock's full precision.
func sameEpisode(a, b time.Time) bool { return a.UnixMilli() == b.UnixMilli() }

// checkSevereEvents checks what severe_event promises a watched firm, whatever the
// kills did: while it has an active critical or high event its alert fires, not as a
// quiet baseline, with severity critical when one of them is critical, and that
// episode was announced to the watch-list's webhook with that severity; once it has
// none, an announced episode was announced resolved. And each acknowledged severe
// event on a watched firm was announced after it was sent (direct), or came while
// the firm's alert fired already (covered: a process that saw it come re-announces
// the alert, but after a restart the rule cannot tell it from the events that made
// the alert fire), or was repaired.
func checkSevereEvents(t *testing.T, l *ledger, final finalView, held heldView) (direct, covered int) {
	t.Helper()
	notes := map[string][]notice{} // fingerprint → the alert in watch messages, by seq
	for _, n := range notices(held.outbox) {
		if n.row.Subscription == "watch" && n.Rule == alerts.RuleSevereEvent {
			notes[n.Fingerprint] = append(notes[n.Fingerprint], n)
		}
	}
	for _, f := range l.firms {
		if !f.watched() {
			continue
		}
		var severeNow []string
		critical := false
		for _, e := range final.events {
			if e.uscc == f.uscc && e.State == string(credit.EventActive) && severe(e.Type) {
				severeNow = append(severeNow, e.ID)
				ty, _ := catalogue.Lookup(e.Type)
				critical = critical || ty.Severity == credit.SeverityCritical
			}
		}
		fp := alerts.Fingerprint(alerts.RuleSevereEvent, f.uscc, "")
		a, has := held.alerts[fp]
		var episode []notice // notifications of the alert's last episode
		for _, n := range notes[fp] {
			if has && sameEpisode(n.StartedAt, a.StartedAt) {
				episode = append(episode, n)
			}
		}
		if len(severeNow) > 0 {
			want := config.AlertWarning
			if critical {
				want = config.AlertCritical
			}
			var lastFiring *notice
			for i := range episode {
				if episode[i].Status == notify.StatusFiring {
					lastFiring = &episode[i]
				}
			}
			switch {
			case !has || a.State != store.AlertFiring:
				t.Errorf("firm %s has active severe events %v, but its severe_event alert is not firing (%+v)", f.uscc, severeNow, a)
			case a.Severity != want:
				t.Errorf("firm %s: severe_event fires as %s; its active severe events %v make it %s", f.uscc, a.Severity, severeNow, want)
			case a.Quiet:
				t.Errorf("firm %s: severe_event fires quietly, as a baseline, although its events %v came through the API", f.uscc, severeNow)
			case lastFiring == nil:
				t.Errorf("firm %s: the severe_event episode since %s (events %v) was never announced to the watch-list", f.uscc,
					a.StartedAt, severeNow)
			case lastFiring.Severity != a.Severity:
				t.Errorf("firm %s: severe_event fires as %s but was last announced as %s", f.uscc, a.Severity, lastFiring.Severity)
			}
		} else if has && a.State == store.AlertFiring {
			t.Errorf("firm %s: severe_event fires without an active critical or high event", f.uscc)
		} else if len(episode) > 0 && episode[len(episode)-1].Status != notify.StatusResolved {
			t.Errorf("firm %s: severe_event resolved, but its announced episode since %s was not announced resolved", f.uscc, a.StartedAt)
		}
	}
	// An acknowledged severe event is announced by the first evaluation that sees it,
	// unless the alert fires already (then only the process that saw it come tells),
	// or unless it was repaired before anyone looked.
	for _, e := range l.events {
		if !e.firm.watched() || !e.batch.acked() || !severe(e.typ) {
			continue
		}
		firingBefore, after := false, false
		for _, n := range notes[alerts.Fingerprint(alerts.RuleSevereEvent, e.firm.uscc, "")] {
			if n.row.CreatedAt.Before(e.batch.sentAt) {
				firingBefore = n.Status == notify.StatusFiring
			} else if n.Status == notify.StatusFiring {
				after = true
				break
			}
		}
		switch {
		case after:
			direct++
		case firingBefore:
			covered++
		case e.repair == nil || !e.repair.sent:
			t.Errorf("acknowledged %s event %s (batch %d) on watched firm %s was never announced, and no alert was firing when it came",
				e.typ, e.id, e.batch.id, e.firm.uscc)
		}
	}
	return direct, covered
}

func report(t *testing.T, l *ledger, rv *receiver, st *crashStats, held heldView, reRun, direct, covered int,
	killed, settled, total time.Duration) {
	t.Helper()
	var acked, unanswered, refused, ackedRows, batches int
	for _, b := range l.batches {
		if !b.sent {
			continue
		}
		batches++
		switch {
		case b.acked():
			acked++
			ackedRows += b.accepted
			if b.bad > 0 {
				refused++
			}
		default:
			unanswered++
		}
	}
	var rescans int
	for _, r := range l.rescans {
		if r.status == http.StatusAccepted {
			rescans++
		}
	}
	kills := 0
	var modes []string
	for m, n := range st.byMode {
		kills += n
		modes = append(modes, fmt.Sprintf("%s %d", m, n))
	}
	slices.Sort(modes)
	rv.mu.Lock()
	raw, unique, dups := 0, len(rv.accepted), 0
	for _, n := range rv.raw {
		raw += n
	}
	for _, n := range rv.accepted {
		if n > 1 {
			dups += n - 1
		}
	}
	refusedHooks, cut := rv.refused, rv.cut
	rv.mu.Unlock()
	t.Logf("kills: %d (%s); ingest in flight at %d, delivery in flight at %d", kills, strings.Join(modes, ", "),
		st.ingestInFlight, st.hookInFlight)
	t.Logf("batches: %d sent, %d acknowledged (%d rows; %d with a refused row), %d without an answer; rescans acknowledged: %d",
		batches, acked, ackedRows, refused, unanswered, rescans)
	t.Logf("scans: %d, re-run after a kill: %d", len(held.scans), reRun)
	t.Logf("notifications: %d in the outbox, announcing %d alert changes; receiver: %d requests (%d answered 503, %d cut short by a kill), %d unique keys accepted, %d duplicate acceptances",
		len(held.outbox), len(notices(held.outbox)), raw, refusedHooks, cut, unique, dups)
	t.Logf("severe events on watched firms: %d announced after they were sent, %d came while the alert fired already", direct, covered)
	t.Logf("time: %s killing, %s to settle, %s in all", killed.Round(time.Millisecond), settled.Round(time.Millisecond),
		total.Round(time.Millisecond))
}
