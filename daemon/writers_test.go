package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/sqlite"
)

// On the embedded store, a full scan and an API ingest queued behind a batch that
// holds the store far longer than SQLite's busy timeout both wait for it, then
// complete: the ingest commits and the scan (its record, results, alerts, outbox)
// succeeds. Before the writers of one process waited for each other, both failed
// with SQLITE_BUSY once the busy timeout ran out.
func TestIngestAndScanWaitForEachOtherOnSQLite(t *testing.T) {
	old := sqlite.BusyTimeout
	sqlite.BusyTimeout = 50 * time.Millisecond
	defer func() { sqlite.BusyTimeout = old }()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	d, stop := start(t, cfg, true)
	defer stop()
	ctx := context.Background()
	db := d.Store()
	var firms []string
	stopErr := errors.New("enough")
	if err := db.Enterprises(ctx, func(e *credit.Enterprise) error {
		firms = append(firms, e.USCC)
		if len(firms) == 2 {
			return stopErr
		}
		return nil
	}); err != nil && !errors.Is(err, stopErr) {
		t.Fatal(err)
	}
	if len(firms) != 2 {
		t.Fatalf("demo firms = %v, want 2", firms)
	}

	// A batch holds the store, as a long ingest does while it checks its rows.
	b, err := db.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Rollback(ctx) }()

	scanned := make(chan error, 1)
	var scan *store.Scan
	go func() {
		sc, err := d.Rescan(ctx, "all", "test")
		scan = sc
		scanned <- err
	}()
	ingested := make(chan error, 1)
	var sum ingest.Summary
	go func() {
		body := fmt.Sprintf("supplier,customer,purchase_share,sales_share,substitutability,amount,product,valid_from,valid_to\n"+
			"%s,%s,0.0001,0.0001,0.5,,steel,2025-01-01,\n", firms[1], firms[0])
		s, err := d.Ingest(ctx, credit.KindRelations, ingest.CSV, strings.NewReader(body), true, "test")
		sum = s
		ingested <- err
	}()
	select {
	case err := <-scanned:
		t.Fatalf("the rescan was queued while a batch held the store (err %v); it should have waited", err)
	case err := <-ingested:
		t.Fatalf("the ingest ended while a batch held the store (err %v); it should have waited", err)
	case <-time.After(20 * sqlite.BusyTimeout):
	}
	if err := b.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	if err := <-scanned; err != nil {
		t.Fatalf("rescan: %v", err)
	}
	if err := <-ingested; err != nil || !sum.Committed || sum.Accepted != 1 {
		t.Fatalf("ingest = %+v, %v; want 1 row accepted and committed", sum, err)
	}
	waitScan(t, db, scan.ID)
	scans, err := db.Scans(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scans {
		if sc.Status == store.ScanFailed {
			t.Errorf("scan %d (%s, %s) failed: %s", sc.ID, sc.Kind, sc.Trigger, sc.Error)
		}
	}
}
