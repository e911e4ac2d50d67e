package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/tokens"
)

// runDaemon runs chainriskd -demo in-process on cfg until the test ends, its banner
// written to stdout, and returns it once it has a state.
func runDaemon(t *testing.T, cfg *config.Config, stdout io.Writer) *daemon.Daemon {
	t.Helper()
	if cfg.DataDir == config.Default().DataDir {
		cfg.DataDir = t.TempDir() // the demo's token file stays out of the source tree
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.New(ctx, daemon.Options{Config: cfg, Demo: true, Listen: "127.0.0.1:0", Stdout: stdout,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	for deadline := time.Now().Add(30 * time.Second); d.State() == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not ready")
		}
	}
	return d
}

// firmPage is what the test reads of GET /api/v1/enterprises/{uscc}.
type firmPage struct {
	Score          float64
	Grade          string
	ScanID         int64 `json:"scan_id"`
	ScoreBreakdown struct {
		Score float64
	} `json:"score_breakdown"`
	Explanation []struct {
		Kind    string
		EventID string `json:"event_id"`
	}
}

func getFirm(t *testing.T, d *daemon.Daemon, token, uscc string) firmPage {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+d.Addr()+"/api/v1/enterprises/"+uscc, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p firmPage
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != 200 {
		t.Fatalf("enterprise %s: %d %v", uscc, resp.StatusCode, err)
	}
	return p
}

// testImportIntoLiveDaemon imports a bankruptcy of a grade-A firm straight into the
// store of a running daemon. The import must queue a scan that the daemon runs, so
// that the firm's page agrees with itself afterwards: its score is the score its
// explanation adds up to, and the explanation holds the new event.
func testImportIntoLiveDaemon(t *testing.T, cfg *config.Config, dsn string) {
	d := runDaemon(t, cfg, io.Discard)
	ctx := context.Background()
	token, _, err := tokens.Create(ctx, d.Store(), "live-admin", tokens.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	st := d.State()
	var firm string
	for v, g := range st.Grade {
		if g == risk.GradeA {
			firm = st.Snap.IDs[v]
			break
		}
	}
	if firm == "" {
		t.Fatal("the demo has no grade-A firm")
	}
	before := getFirm(t, d, token, firm)
	if before.Score != before.ScoreBreakdown.Score || before.Grade != "A" {
		t.Fatalf("before the import the page already disagrees: %+v", before)
	}

	file := filepath.Join(t.TempDir(), "events.csv")
	text := "event_id,uscc,type,occurred_at,source,description\nLIVE-1," + firm + ",bankruptcy," +
		time.Now().Format("2006-01-02") + ",人民法院公告网,破产清算\n"
	write(t, filepath.Dir(file), "events.csv", text)
	var out, errOut bytes.Buffer
	if code := run([]string{"import", "--output", "json", "--store", dsn, "events", file}, &out, &errOut); code != 0 {
		t.Fatalf("import: exit %d: %s %s", code, out.String(), errOut.String())
	}
	var sum struct {
		Accepted int
		ScanID   int64 `json:"scan_id"`
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum.Accepted != 1 || sum.ScanID == 0 {
		t.Fatalf("import summary %q (%v): want 1 accepted and the id of the scan it queued", out.String(), err)
	}
	if !strings.Contains(errOut.String(), "picks it up") {
		t.Errorf("the import does not say that the running daemon runs the scan: %q", errOut.String())
	}

	var sc *store.Scan
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if sc, err = d.Store().Scan(ctx, sum.ScanID); err == nil && (sc.Status == store.ScanSucceeded || sc.Status == store.ScanFailed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("scan %d not run by the daemon within 60 s: %+v %v", sum.ScanID, sc, err)
		}
	}
	if sc.Status != store.ScanSucceeded || sc.Kind != monitor.ScanFull {
		t.Fatalf("scan %d: %s %s %s", sc.ID, sc.Kind, sc.Status, sc.Error)
	}
	after := getFirm(t, d, token, firm)
	if after.Score != after.ScoreBreakdown.Score {
		t.Errorf("score %v beside an explanation summing to %v", after.Score, after.ScoreBreakdown.Score)
	}
	if after.ScanID < sc.ID || after.Score >= before.Score || after.Grade == "A" {
		t.Errorf("after the import: scan %d, score %v grade %s; before: score %v grade A", after.ScanID, after.Score, after.Grade, before.Score)
	}
	if !slices.ContainsFunc(after.Explanation, func(e struct {
		Kind    string
		EventID string `json:"event_id"`
	}) bool {
		return e.EventID == "LIVE-1"
	}) {
		t.Errorf("the explanation does not hold the imported event: %+v", after.Explanation)
	}

	// A second import while that scan is queued or done never leaves rows unscanned.
	out.Reset()
	text2 := "event_id,uscc,type,occurred_at,source\nLIVE-2," + firm + ",honor," + time.Now().Format("2006-01-02") + ",测试\n"
	write(t, filepath.Dir(file), "events2.csv", text2)
	if code := run([]string{"import", "--output", "json", "--store", dsn, "events", filepath.Join(filepath.Dir(file), "events2.csv")}, &out, &errOut); code != 0 {
		t.Fatalf("second import: exit %d", code)
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum.ScanID <= sc.ID {
		t.Errorf("second import: %q, want a new scan after %d", out.String(), sc.ID)
	}
}

func TestImportIntoLiveDaemonSQLite(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	testImportIntoLiveDaemon(t, cfg, filepath.Join(cfg.DataDir, sqlite.FileName))
}

func TestImportIntoLiveDaemonPostgres(t *testing.T) {
	cfg := config.Default()
	dsn := pgtest.URL(t)
	cfg.Store.DatabaseURL = config.Secret(dsn)
	testImportIntoLiveDaemon(t, cfg, dsn)
}
