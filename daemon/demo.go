package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
)

// loadDemo imports the demo dataset into an empty store as one batch. The data was
// written as of demo.Anchor; its dates move forward by whole days to today, so the
// year of events stays a recent year and publicity periods stay as designed.
func (d *Daemon) loadDemo(ctx context.Context) error {
	c, err := d.store.Counts(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if c.Enterprises > 0 {
		d.log.Info("demo: store already holds data; not loading the demo dataset", "enterprises", c.Enterprises)
		return nil
	}
	now := d.opts.Now()
	shift := demoShift(now)
	var inputs []ingest.Input
	for _, k := range credit.Kinds {
		f, err := demo.Open(k)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer f.Close()
		inputs = append(inputs, ingest.Input{File: "demo/" + demo.FileName(k), Kind: k, Format: ingest.CSV, R: io.Reader(f)})
	}
	cfg := d.cfg.Load()
	sum, err := ingest.Import(ctx, d.store, inputs, ingest.ImportOptions{
		Strict: true,
		// Rows are checked before they are shifted, against the anchor's clock.
		Validator: &credit.Validator{Catalogue: cfg.Catalogue(), Now: demo.AnchorTime},
		Mutate:    func(c *store.Chunk) { shiftChunk(c, shift) },
	})
	d.ingestM.Observe(sum, err)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if !sum.OK() {
		return fmt.Errorf("demo: dataset refused (%d rows): %v", sum.Rejected, sum.Errors)
	}
	d.log.Info("demo dataset loaded", "rows", sum.Accepted, "shifted_days", int(shift.Hours()/24))
	return nil
}

// demoShift is the whole number of days from the demo's anchor to now (never negative).
func demoShift(now time.Time) time.Duration {
	days := int(now.Sub(demo.AnchorTime()).Hours() / 24)
	return time.Duration(max(days, 0)) * 24 * time.Hour
}

func shiftChunk(c *store.Chunk, by time.Duration) {
	move := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.Add(by)
		}
	}
	for i := range c.Relations {
		move(&c.Relations[i].ValidFrom)
		move(&c.Relations[i].ValidTo)
	}
	for i := range c.Events {
		move(&c.Events[i].OccurredAt)
		move(&c.Events[i].PublishUntil)
	}
	for i := range c.Repairs {
		move(&c.Repairs[i].RepairedAt)
	}
	for i := range c.Shareholdings {
		move(&c.Shareholdings[i].Since)
		move(&c.Shareholdings[i].Until)
	}
	for i := range c.Enterprises {
		move(&c.Enterprises[i].EstablishedAt)
	}
}

// loopback keeps an address's port but moves it to 127.0.0.1 unless it already is a
// loopback address.
func loopback(addr string, log *slog.Logger) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return addr
	}
	log.Warn("demo with its own admin token: listening on loopback only", "requested", addr)
	return net.JoinHostPort("127.0.0.1", port)
}

// demoESRI runs the esri job once after the demo's first scan, so that the demo
// shows its chains' systemic risk (API, chain members, metrics) at once rather than
// after the first scheduled run, next Sunday night.
func (d *Daemon) demoESRI(ctx context.Context) {
	if err := d.cron.RunNow(ctx, config.JobESRI); err != nil && !errors.Is(err, monitor.ErrUnknownJob) {
		d.log.Warn("the demo's first esri run failed", "err", err)
	}
}
