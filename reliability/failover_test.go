package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/backend"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
)

// leaderCheck is the replicas' store.leader_check_interval in TestFailover, as an
// operator tried it.
const leaderCheck = time.Second

// TestFailover: three replicas share one PostgreSQL database. Again and again the
// leader is killed (SIGKILL) or frozen (SIGSTOP, kept stopped until a successor has
// done its work) right after it acknowledged two bankruptcies — at once, or up to
// 1.5 s later — while a steady stream of minor events flows through the followers,
// so that they rebuild their views from events the leader has not scanned yet. After
// each failure:
//   - exactly one other replica leads, within the documented bound (a dead leader's
//     session ends with it; a frozen one is replaced once its lease lapses);
//   - each acknowledged bankruptcy has its grade_downgrade alert firing, delivered
//     to the webhook, and a history entry at grade D;
//   - the stored score of each such firm is what every replica's API serves;
//   - a frozen leader woken up steps down, and no two replicas ever claim to lead.
func TestFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("builds chainriskd and runs three replicas")
	}
	dsn := pgtest.URL(t)
	daemonBin, ctlBin := binaries(t)
	dir := t.TempDir()
	const secret = "whsec-failover"
	rv := newReceiver(t, map[string]string{"/hook/all": secret})
	cfg := writeFailoverConfig(t, dir, dsn, rv.srv.URL+"/hook/all", secret)
	token := createToken(t, ctlBin, dsn)

	reps := make([]*daemonProc, 3)
	for i := range reps {
		reps[i] = newDaemonProc(t, daemonBin, cfg, filepath.Join(dir, fmt.Sprintf("replica-%d.log", i)))
	}
	reps[0].args = []string{"-demo"} // loads the demo into the empty database
	reps[0].startReady(120 * time.Second)
	for _, r := range reps[1:] {
		r.startReady(120 * time.Second)
	}
	f := &failover{t: t, reps: reps, token: token, dsn: dsn}
	f.stopped.Store(-1)
	defer f.close()
	firms := f.soundFirms()

	stream := f.startStream(firms[len(firms)/2:])
	rounds := []struct {
		mode  string // kill or stop
		via   string // who acknowledges the bankruptcies: the leader, or a follower
		delay time.Duration
	}{
		{"kill", "follower", 1200 * time.Millisecond}, {"stop", "follower", 1200 * time.Millisecond},
		{"kill", "leader", 0}, {"stop", "leader", 0},
		{"kill", "follower", 1200 * time.Millisecond}, {"stop", "leader", 800 * time.Millisecond},
		{"kill", "leader", 1500 * time.Millisecond}, {"stop", "follower", 1200 * time.Millisecond},
	}
	var shocked []string
	var takeovers []string
	for round, rd := range rounds {
		mode := rd.mode
		leader := f.waitLeader(60*time.Second, -1)
		via := leader
		if rd.via == "follower" {
			// The stream's ingests go to the followers, whose scans the leader finds in
			// the store every 2 s; each follower rebuilds its view at its next check
			// after such a scan. Acknowledged right after one, the bankruptcies are in
			// the followers' views a second later, and not yet scanned by the leader.
			via = (leader + 1 + round%2) % len(reps)
			f.waitNewScan(leader, 10*time.Second)
		}
		fs := firms[2*round : 2*round+2]
		for _, uscc := range fs {
			body := fmt.Sprintf("event_id,uscc,type,occurred_at\nFAILOVER-%d-%s,%s,bankruptcy,%s\n", round, uscc, uscc,
				time.Now().Format("2006-01-02"))
			if code, b := f.post(via, "/api/v1/events", "text/csv", body); code != http.StatusOK {
				t.Fatalf("round %d: replica %d did not acknowledge the bankruptcy of %s: %d %s", round, via, uscc, code, b)
			}
		}
		shocked = append(shocked, fs...)
		time.Sleep(rd.delay)
		cut := time.Now()
		switch mode {
		case "kill":
			reps[leader].kill()
		case "stop":
			if err := reps[leader].cmd.Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			f.stopped.Store(int64(leader))
		}
		next := f.waitLeader(60*time.Second, leader)
		took := time.Since(cut)
		takeovers = append(takeovers, fmt.Sprintf("%s %v after acknowledged by the %s: %v", mode, rd.delay, rd.via,
			took.Round(10*time.Millisecond)))
		// A dead leader's lock goes with its session; a frozen one's lease lasts three
		// check intervals: the new leader is in place within that plus two checks and
		// its takeover scan.
		bound := 2*leaderCheck + 10*time.Second
		if mode == "stop" {
			bound += 3 * leaderCheck
		}
		if took > bound {
			t.Errorf("round %d (%s): the new leader took over after %v, more than %v", round, mode, took, bound)
		}
		for _, uscc := range fs {
			f.checkAnnounced(next, uscc, rv, round)
		}
		f.checkStoredEqualsServed(shocked, round)
		if mode == "stop" {
			if err := reps[leader].cmd.Process.Signal(syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			f.stopped.Store(-1)
			f.waitStepDown(leader, 30*time.Second)
		} else {
			reps[leader].startReady(120 * time.Second)
		}
		if t.Failed() {
			for i, r := range reps {
				t.Logf("replica %d:\n%s", i, r.logTail(60))
			}
			t.FailNow()
		}
	}
	acked := stream.stop()
	f.checkStoredEqualsServed(shocked, len(rounds))

	// Every event the stream got acknowledged is in the store.
	st, err := backend.Open(context.Background(), dsn, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	held := map[string]bool{}
	if err := st.Events(context.Background(), store.EventFilter{}, func(e *credit.Event) error {
		held[e.ID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range acked {
		if !held[id] {
			t.Errorf("acknowledged event %s is not in the store", id)
		}
	}
	t.Logf("takeovers: %s", strings.Join(takeovers, "; "))
	t.Logf("%d bankruptcies announced across %d failovers; %d stream events acknowledged; most replicas claiming to lead at once: %d",
		len(shocked), len(rounds), len(acked), f.maxLeaders.Load())
}

func writeFailoverConfig(t *testing.T, dir, dsn, hook, secret string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("shutdown_timeout: 10s\nlog:\n  level: info\n")
	fmt.Fprintf(&b, "store:\n  database_url: %q\n  max_conns: 4\n  leader_check_interval: %s\n", dsn, leaderCheck)
	b.WriteString("schedule:\n  full_scan: \"\"\n  esri: \"\"\n")
	b.WriteString("alerts:\n  language: en\n  max_attempts: 1000\n  backoff:\n    initial: 50ms\n    max: 500ms\n  subscriptions:\n")
	b.WriteString("    - name: all\n      subscriber: credit-desk\n      scope: {kind: all}\n      min_severity: info\n")
	fmt.Fprintf(&b, "      channels:\n        - {type: webhook, url: %q, secret: %q}\n", hook, secret)
	path := filepath.Join(dir, "chainriskd.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(path); err != nil {
		t.Fatalf("the test wrote an invalid config: %v\n%s", err, b.String())
	}
	return path
}

// failover drives the replicas of TestFailover.
type failover struct {
	t       *testing.T
	reps    []*daemonProc
	token   string
	dsn     string
	stopped atomic.Int64 // the replica frozen now, -1 for none
	clients sync.Map
	// maxLeaders is the most replicas seen claiming the leadership in one look.
	maxLeaders atomic.Int64
	// leader is the replica last seen leading alone.
	leader atomic.Int64
}

func (f *failover) client(i int) *apiClient {
	base := f.reps[i].base()
	if c, ok := f.clients.Load(base); ok {
		return c.(*apiClient)
	}
	c := newAPIClient(base, f.token)
	c.hc.Timeout = 5 * time.Second
	f.clients.Store(base, c)
	return c
}

func (f *failover) close() {
	f.clients.Range(func(_, v any) bool { v.(*apiClient).close(); return true })
}

// live lists the replicas running and not frozen.
func (f *failover) live() []int {
	var out []int
	for i, r := range f.reps {
		if r.running() && int64(i) != f.stopped.Load() {
			out = append(out, i)
		}
	}
	return out
}

func (f *failover) post(i int, path, ctype, body string) (int, string) {
	code, b, err := f.client(i).do(context.Background(), http.MethodPost, path, ctype, []byte(body))
	if err != nil {
		return 0, err.Error()
	}
	return code, string(b)
}

func (f *failover) getJSON(i int, path string, v any) int {
	code, err := f.client(i).getJSON(path, v)
	if err != nil {
		return 0
	}
	return code
}

// waitLeader waits until exactly one live replica other than not leads, and
// returns it; it records how many claimed to lead at each look.
func (f *failover) waitLeader(within time.Duration, not int) int {
	f.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var leaders []int
		for _, i := range f.live() {
			if v, err := f.client(i).metric("chainrisk_leader"); err == nil && v == 1 {
				leaders = append(leaders, i)
			}
		}
		if n := int64(len(leaders)); n > f.maxLeaders.Load() {
			f.maxLeaders.Store(n)
		}
		if len(leaders) > 1 {
			f.t.Errorf("replicas %v all claim to lead", leaders)
		}
		if len(leaders) == 1 && leaders[0] != not {
			f.leader.Store(int64(leaders[0]))
			return leaders[0]
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("no single leader within %v (claiming: %v)", within, leaders)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitNewScan waits until the leader finishes a scan it had not finished when called.
func (f *failover) waitNewScan(leader int, within time.Duration) {
	f.t.Helper()
	latest := func() int64 {
		var l struct {
			Scans []struct {
				ID     int64
				Status string
			}
		}
		f.getJSON(leader, "/api/v1/scans?limit=20", &l)
		for _, sc := range l.Scans {
			if sc.Status == "succeeded" {
				return sc.ID
			}
		}
		return 0
	}
	first := latest()
	deadline := time.Now().Add(within)
	for latest() == first {
		if time.Now().After(deadline) {
			f.t.Fatalf("the leader finished no scan within %v", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// soundFirms lists chain members of grade A or B (not leaders), by USCC.
func (f *failover) soundFirms() []string {
	f.t.Helper()
	var ls struct{ Leaders []struct{ USCC string } }
	if f.getJSON(0, "/api/v1/leaders", &ls) != http.StatusOK || len(ls.Leaders) == 0 {
		f.t.Fatal("no leaders listed")
	}
	seen := map[string]bool{}
	var out []string
	for _, l := range ls.Leaders {
		seen[l.USCC] = true
	}
	for _, l := range ls.Leaders {
		var ch struct {
			Members []struct {
				USCC  string
				Grade string
				Tier  int
			}
		}
		if f.getJSON(0, "/api/v1/chains/"+l.USCC+"?members=all", &ch) != http.StatusOK {
			f.t.Fatalf("chain of %s", l.USCC)
		}
		for _, m := range ch.Members {
			if (m.Grade == "A" || m.Grade == "B") && !seen[m.USCC] {
				seen[m.USCC] = true
				out = append(out, m.USCC)
			}
		}
	}
	slices.Sort(out)
	if len(out) < 24 {
		f.t.Fatalf("only %d sound chain members", len(out))
	}
	return out
}

// stream posts a minor event every 100 ms to a live follower, round robin: the
// leader finds their scans in the store.
type stream struct {
	stopc chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	acked []string
}

func (f *failover) startStream(firms []string) *stream {
	s := &stream{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for n := 0; ; n++ {
			select {
			case <-s.stopc:
				return
			case <-time.After(100 * time.Millisecond):
			}
			live := slices.DeleteFunc(f.live(), func(i int) bool { return i == int(f.leader.Load()) })
			if len(live) == 0 {
				continue
			}
			i := live[n%len(live)]
			id := fmt.Sprintf("STREAM-%d", n)
			body := fmt.Sprintf("event_id,uscc,type,occurred_at\n%s,%s,penalty_minor,%s\n", id, firms[n%len(firms)],
				time.Now().Format("2006-01-02"))
			if code, _ := f.post(i, "/api/v1/events", "text/csv", body); code == http.StatusOK {
				s.mu.Lock()
				s.acked = append(s.acked, id)
				s.mu.Unlock()
			}
		}
	}()
	return s
}

func (s *stream) stop() []string {
	close(s.stopc)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.acked)
}

// checkAnnounced waits until the bankruptcy of uscc is announced: its grade_downgrade
// alert firing on the leader, delivered to the webhook, and a history entry at D.
func (f *failover) checkAnnounced(leader int, uscc string, rv *receiver, round int) {
	f.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var alert, delivered, history bool
	for time.Now().Before(deadline) {
		var al struct{ Alerts []json.RawMessage }
		alert = f.getJSON(leader, "/api/v1/alerts?state=firing&rule=grade_downgrade&uscc="+uscc, &al) == http.StatusOK &&
			len(al.Alerts) > 0
		rv.mu.Lock()
		delivered = false
		for _, b := range rv.bodies {
			delivered = delivered || b.has(alerts.RuleGradeDowngrade, uscc, notify.StatusFiring)
		}
		rv.mu.Unlock()
		var e struct{ History []struct{ Grade string } }
		history = f.getJSON(leader, "/api/v1/enterprises/"+uscc, &e) == http.StatusOK && len(e.History) > 0 &&
			e.History[0].Grade == "D"
		if alert && delivered && history {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	f.t.Errorf("round %d: the bankruptcy of %s was not announced: alert firing %v, delivered %v, history at D %v",
		round, uscc, alert, delivered, history)
}

// checkStoredEqualsServed waits until every live replica serves, for each firm, the
// score and grade the store holds — and that the store holds grade D.
func (f *failover) checkStoredEqualsServed(firms []string, round int) {
	f.t.Helper()
	ctx := context.Background()
	st, err := backend.Open(ctx, f.dsn, backend.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(30 * time.Second)
	var problems []string
	for time.Now().Before(deadline) {
		problems = problems[:0]
		for _, uscc := range firms {
			res, err := st.FirmResult(ctx, uscc)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: stored result: %v", uscc, err))
				continue
			}
			if res.Grade != "D" {
				problems = append(problems, fmt.Sprintf("%s: stored grade %s %.1f, want D", uscc, res.Grade, res.Score))
			}
			for _, i := range f.live() {
				var e struct {
					Grade string
					Score float64
				}
				if f.getJSON(i, "/api/v1/enterprises/"+uscc, &e) != http.StatusOK {
					problems = append(problems, fmt.Sprintf("%s: replica %d does not answer", uscc, i))
				} else if e.Grade != res.Grade || math.Abs(e.Score-res.Score) > 0.01 {
					problems = append(problems, fmt.Sprintf("%s: replica %d serves %s %.2f, the store holds %s %.2f",
						uscc, i, e.Grade, e.Score, res.Grade, res.Score))
				}
			}
		}
		if len(problems) == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	f.t.Errorf("round %d: %s", round, strings.Join(problems, "; "))
}

// waitStepDown waits until a woken leader says it does not lead.
func (f *failover) waitStepDown(i int, within time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if v, err := f.client(i).metric("chainrisk_leader"); err == nil && v == 0 {
			f.waitLeader(within, -1) // and one other leads, alone
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	f.t.Errorf("replica %d, woken up, still claims to lead\n%s", i, f.reps[i].logTail(40))
}
