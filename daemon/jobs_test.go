package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/tokens"
)

// TestEveryConfiguredJobIsScheduled: every job the config enables — the fixed
// ones with their default specs (esri included) and a source — is on the daemon's
// schedule, with a next run in the metrics.
func TestEveryConfiguredJobIsScheduled(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Sources = []config.Source{{Name: "drop", Kind: config.SourceDir, Data: "events", Dir: t.TempDir(), Schedule: "@daily"}}
	d, stop := start(t, cfg, false)
	defer stop()
	_, body := get(t, "http://"+d.Addr()+"/metrics")
	jobs := cfg.Jobs()
	if len(jobs) != len(config.JobNames())+1 {
		t.Fatalf("the default config enables %d jobs, want every fixed job and the source", len(jobs))
	}
	next := map[string]time.Time{}
	for _, l := range strings.Split(body, "\n") {
		rest, ok := strings.CutPrefix(l, `chainrisk_cron_job_next_run_timestamp_seconds{job="`)
		if !ok {
			continue
		}
		name, value, _ := strings.Cut(rest, `"} `)
		sec, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		next[name] = time.Unix(int64(sec), 0)
	}
	for _, j := range jobs {
		if _, ok := next[j.Name]; !ok {
			t.Errorf("job %s (spec %q) is not scheduled: it has no next run in /metrics", j.Name, j.Spec)
		}
	}
	// The esri job's next run is a coming Sunday at 03:00 in Asia/Shanghai.
	shanghai, _ := time.LoadLocation(config.DefaultTimezone)
	if at := next[config.JobESRI].In(shanghai); at.Weekday() != time.Sunday || at.Hour() != 3 || at.Minute() != 0 ||
		!at.After(time.Now()) || at.After(time.Now().AddDate(0, 0, 7)) {
		t.Errorf("esri next runs at %v, want the coming Sunday 03:00 in Shanghai", at)
	}
}

type esriAnswer struct {
	Source  string `json:"source"`
	Members []struct {
		USCC string  `json:"uscc"`
		ESRI float64 `json:"esri"`
	} `json:"members"`
	ScanID     int64     `json:"scan_id"`
	ComputedAt time.Time `json:"computed_at"`
}

// apiGet GETs an API path with a bearer token into out.
func apiGet(t *testing.T, d *daemon.Daemon, token, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+d.Addr()+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// esriMaxMetric returns chainrisk_leader_esri_max{leader} from d's /metrics.
func esriMaxMetric(t *testing.T, d *daemon.Daemon, leader string) (float64, bool) {
	t.Helper()
	_, body := get(t, "http://"+d.Addr()+"/metrics")
	v, ok := strings.CutPrefix(grepLine(body, `chainrisk_leader_esri_max{leader="`+leader+`"} `), `chainrisk_leader_esri_max{leader="`+leader+`"} `)
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseFloat(v, 64)
	return x, err == nil
}

func grepLine(body, prefix string) string {
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// checkESRIServed checks that d serves leader's stored chain ESRI, computed at at:
// in /api/v1/esri, on every chain member and as the chain's maximum in the metrics.
func checkESRIServed(t *testing.T, d *daemon.Daemon, token, leader string, at time.Time) esriAnswer {
	t.Helper()
	var e esriAnswer
	apiGet(t, d, token, "/api/v1/esri?leader="+leader, &e)
	if e.Source != "scheduled" || !e.ComputedAt.Equal(at) || len(e.Members) == 0 {
		t.Fatalf("esri of %s: source %q computed at %v with %d members; want scheduled at %v", leader, e.Source,
			e.ComputedAt, len(e.Members), at)
	}
	var chain struct {
		Members []struct {
			USCC string   `json:"uscc"`
			ESRI *float64 `json:"esri"`
		} `json:"members"`
		ESRIComputedAt *time.Time `json:"esri_computed_at"`
	}
	apiGet(t, d, token, "/api/v1/chains/"+leader+"?members=all", &chain)
	byFirm := map[string]float64{}
	for _, m := range e.Members {
		byFirm[m.USCC] = m.ESRI
	}
	if chain.ESRIComputedAt == nil || !chain.ESRIComputedAt.Equal(at) || len(chain.Members) != len(e.Members) {
		t.Errorf("chain of %s: esri_computed_at %v, %d members (esri: %d)", leader, chain.ESRIComputedAt, len(chain.Members), len(e.Members))
	}
	for _, m := range chain.Members {
		if m.ESRI == nil || *m.ESRI != byFirm[m.USCC] {
			t.Errorf("chain member %s: esri %v, want %v", m.USCC, m.ESRI, byFirm[m.USCC])
		}
	}
	if v, ok := esriMaxMetric(t, d, leader); !ok || v != e.Members[0].ESRI {
		t.Errorf("chainrisk_leader_esri_max{leader=%s} = %v (present %v), want the top member's %v", leader, v, ok, e.Members[0].ESRI)
	}
	return e
}

// TestESRIResultsSurviveRestart: the demo's esri run is served per chain member and
// as a metric; a run asked for later replaces it; after a restart, before any run,
// the daemon serves that latest run from the store.
func TestESRIResultsSurviveRestart(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	d, stop := start(t, cfg, true)
	ctx := context.Background()
	token, _, err := tokens.Create(ctx, d.Store(), "esri-admin", tokens.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	leaders := d.State().Leaders
	if len(leaders) != 3 {
		t.Fatalf("%d demo leaders", len(leaders))
	}
	leader := d.State().Snap.IDs[leaders[0]]
	rec, err := d.Store().ESRI(ctx, leader)
	if err != nil {
		t.Fatalf("the demo's esri run: %v", err)
	}
	checkESRIServed(t, d, token, leader, rec.ComputedAt)

	time.Sleep(2 * time.Millisecond) // the stored time has millisecond resolution
	if err := d.RunJob(ctx, config.JobESRI); err != nil {
		t.Fatal(err)
	}
	again, err := d.Store().ESRI(ctx, leader)
	if err != nil || !again.ComputedAt.After(rec.ComputedAt) {
		t.Fatalf("the second run: %+v, %v", again, err)
	}
	before := checkESRIServed(t, d, token, leader, again.ComputedAt)
	stop()

	d, stop = start(t, cfg, false)
	defer stop()
	after := checkESRIServed(t, d, token, leader, again.ComputedAt)
	if len(after.Members) != len(before.Members) || after.Members[0] != before.Members[0] || after.ScanID != before.ScanID {
		t.Errorf("after the restart %+v, before %+v", after.Members[0], before.Members[0])
	}
}

// TestESRIOnFollower: the leader's esri results are served by a follower replica,
// which does not run the job itself.
func TestESRIOnFollower(t *testing.T) {
	cfg := config.Default()
	cfg.Store.DatabaseURL = config.Secret(pgtest.URL(t))
	cfg.Store.LeaderCheckInterval = 200 * time.Millisecond
	a, stopA := start(t, cfg, true)
	defer stopA()
	b, stopB := start(t, cfg, false)
	defer stopB()
	ctx := context.Background()
	token, _, err := tokens.Create(ctx, a.Store(), "esri-analyst", tokens.RoleAnalyst, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range a.State().Leaders {
		leader := a.State().Snap.IDs[v]
		rec, err := a.Store().ESRI(ctx, leader)
		if err != nil {
			t.Fatalf("the leader's esri run for %s: %v", leader, err)
		}
		checkESRIServed(t, b, token, leader, rec.ComputedAt)
	}
	if err := b.RunJob(ctx, config.JobESRI); !errors.Is(err, monitor.ErrInactive) {
		t.Errorf("esri job asked of the follower: %v, want monitor.ErrInactive", err)
	}
}
