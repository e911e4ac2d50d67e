package reliability

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/store/sqlite"
)

// firstScanTrials is how many fresh stores TestKillBeforeFirstScan tries per kind.
const firstScanTrials = 5

// TestKillBeforeFirstScan aims at the narrowest window of TestCrashSafety: a daemon
// that started on an empty store acknowledges a firm and a critical event on it and
// is killed before any scan has recorded a result. The next start must announce the
// event like the incremental scan would have: it is not the baseline of a store seen
// for the first time. Whether a kill lands before the first results depends on
// timing, so each store kind gets several fresh stores, and the hits are counted.
func TestKillBeforeFirstScan(t *testing.T) {
	if testing.Short() {
		t.Skip("builds chainriskd and kills it")
	}
	daemonBin, ctlBin := binaries(t)
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			hits := 0
			for trial := range firstScanTrials {
				s := crashSetup{daemon: daemonBin, ctl: ctlBin, dir: t.TempDir(), seed: uint64(trial)}
				if kind == "sqlite" {
					s.dataDir = filepath.Join(s.dir, "data")
					s.dsn = filepath.Join(s.dataDir, sqlite.FileName)
				} else {
					s.databaseURL = pgtest.URL(t)
					s.dsn = s.databaseURL
				}
				if killBeforeFirstScan(t, s) {
					hits++
				}
				if t.Failed() {
					return
				}
			}
			t.Logf("%d of %d kills came before the first scan recorded results", hits, firstScanTrials)
		})
	}
}

// killBeforeFirstScan runs one trial and reports whether the kill came before any
// scan recorded results.
func killBeforeFirstScan(t *testing.T, s crashSetup) (hit bool) {
	t.Helper()
	l := newLedger(1)
	secrets := map[string]string{"/hook/watch": fmt.Sprintf("whsec-first-%d", s.seed), "/hook/chain": "whsec-first-chain"}
	rv := newReceiver(t, secrets)
	token := createToken(t, s.ctl, s.dsn)
	d := newDaemonProc(t, s.daemon, writeConfig(t, s, rv.srv.URL, l, secrets), filepath.Join(s.dir, "chainriskd.log"))
	d.startReady(60 * time.Second)
	c := newAPIClient(d.base(), token)
	defer c.close()
	f := l.firms[1] // on the watch-list
	for _, post := range []struct{ kind, row string }{
		{"enterprises", ndjson(map[string]any{"uscc": f.uscc, "name": "Crash Harness First Firm", "tags": f.tags})},
		{"events", ndjson(map[string]any{"event_id": "FIRST-1", "uscc": f.uscc, "type": "dishonest_judgment_debtor",
			"occurred_at": l.today.AddDate(0, 0, -1).Format(time.RFC3339)})},
	} {
		status, body, err := c.do(context.Background(), http.MethodPost, "/api/v1/"+post.kind, "application/x-ndjson", []byte(post.row+"\n"))
		if err != nil || status != http.StatusOK {
			t.Fatalf("POST %s: %d %s %v\n%s", post.kind, status, body, err, d.logTail(40))
		}
	}
	d.kill()

	d.startReady(60 * time.Second)
	// The startup scan has decided by now; its notifications go out at once.
	announced := false
	for deadline := time.Now().Add(20 * time.Second); !announced && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		rv.mu.Lock()
		for key, b := range rv.bodies {
			announced = announced || b.has(alerts.RuleSevereEvent, f.uscc, notify.StatusFiring) && rv.paths[key] == "/hook/watch"
		}
		rv.mu.Unlock()
	}
	var scans struct {
		Scans []struct {
			ID      int64  `json:"id"`
			Trigger string `json:"trigger"`
		} `json:"scans"`
	}
	var ent struct {
		History []struct {
			ScanID int64 `json:"scan_id"`
		} `json:"history"`
	}
	var list struct {
		Alerts []struct {
			State    string `json:"state"`
			Baseline bool   `json:"baseline"`
			Severity string `json:"severity"`
		} `json:"alerts"`
	}
	if status, err := c.getJSON("/api/v1/scans?limit=50", &scans); err != nil || status != http.StatusOK {
		t.Fatalf("GET scans: %d %v", status, err)
	}
	if status, err := c.getJSON("/api/v1/enterprises/"+f.uscc, &ent); err != nil || status != http.StatusOK {
		t.Fatalf("GET enterprise: %d %v", status, err)
	}
	if status, err := c.getJSON("/api/v1/alerts?rule=severe_event&uscc="+f.uscc, &list); err != nil || status != http.StatusOK {
		t.Fatalf("GET alerts: %d %v", status, err)
	}
	// Scans come newest first: the first startup scan listed is the restart's. The
	// kill came first when every result of the firm is the restart's.
	for _, sc := range scans.Scans {
		if sc.Trigger == "startup" {
			hit = len(ent.History) > 0
			for _, h := range ent.History {
				hit = hit && h.ScanID >= sc.ID
			}
			break
		}
	}
	if len(list.Alerts) != 1 || list.Alerts[0].State != "firing" || list.Alerts[0].Baseline ||
		list.Alerts[0].Severity != config.AlertCritical {
		t.Errorf("after a kill with the event acknowledged (results recorded by the restart: %v), the severe_event alert of %s is %+v; want one critical alert firing, not a baseline",
			hit, f.uscc, list.Alerts)
	}
	if !announced {
		t.Errorf("the critical event on watched firm %s was never announced to the watch-list (results recorded by the restart: %v)", f.uscc, hit)
	}
	if code, err := d.terminate(60 * time.Second); err != nil || code != 0 {
		t.Errorf("SIGTERM: exit code %d (%v), want 0", code, err)
	}
	if t.Failed() {
		t.Log(d.logTail(60))

	}
	return hit
}
