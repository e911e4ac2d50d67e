package daemon

import (
	"context"
	"io"

	"github.com/chainrisk/chainrisk/api"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
)

// The daemon is the API's backend: the latest state, the store, the config, ingest
// followed by an incremental scan, the rescan queue, and the alert pipeline (Alerts,
// in daemon/alerts.go).

// apiBackend is the daemon as the API sees it: the API reads the store through the
// roles it uses (api.Store), while Daemon.Store gives tests and the CLI all of it.
type apiBackend struct{ *Daemon }

func (b apiBackend) Store() api.Store { return b.store }

// State returns the latest published results.
func (d *Daemon) State() *monitor.State { return d.engine.State() }

// Config returns the config in force.
func (d *Daemon) Config() *config.Config { return d.cfg.Load() }

// Ingest imports one request body as one atomic batch and queues the incremental
// scan of the firms it changed; the answer does not wait for that scan.
func (d *Daemon) Ingest(ctx context.Context, kind credit.Kind, format ingest.Format, body io.Reader, strict bool,
	trigger string) (ingest.Summary, error) {
	cfg := d.cfg.Load()
	sum, err := ingest.Import(ctx, d.store, []ingest.Input{{Kind: kind, Format: format, R: body}}, ingest.ImportOptions{
		Strict:    strict,
		Validator: &credit.Validator{Catalogue: cfg.Catalogue(), AcceptBadChecksums: cfg.Ingest.AcceptBadChecksums},
		MaxErrors: cfg.Ingest.MaxErrors,
	})
	d.ingestM.Observe(sum, err)
	if err != nil || !sum.Committed {
		return sum, err
	}
	// The batch is committed whatever happens next: a scan that cannot be queued now
	// is caught up by the next full scan.
	if _, qerr := d.queue.SubmitFirms(context.WithoutCancel(ctx), sum.Applied.Touched, sum.Applied.TouchedAll, trigger); qerr != nil {
		d.log.Warn("incremental scan not queued", "err", qerr)
	}
	return sum, nil
}

// Supply imports one body of the relations a tenant supplies for its leader as one
// atomic batch, beside the registry's (docs/onboarding.md), and queues the incremental
// scan of the firms it changed, as Ingest.
func (d *Daemon) Supply(ctx context.Context, leader string, format ingest.Format, body io.Reader, strict bool,
	trigger string) (ingest.Summary, error) {
	cfg := d.cfg.Load()
	sum, err := ingest.Import(ctx, d.store, []ingest.Input{{Kind: credit.KindRelations, Format: format, R: body}}, ingest.ImportOptions{
		Strict:            strict,
		Validator:         &credit.Validator{Catalogue: cfg.Catalogue(), AcceptBadChecksums: cfg.Ingest.AcceptBadChecksums},
		MaxErrors:         cfg.Ingest.MaxErrors,
		Source:            leader,
		DefaultSalesShare: cfg.Onboarding.DefaultSalesShare,
	})
	d.ingestM.Observe(sum, err)
	if err != nil || !sum.Committed {
		return sum, err
	}
	d.queueFirms(ctx, sum.Applied.Touched, sum.Applied.TouchedAll, trigger)
	return sum, nil
}

// Withdraw deletes the relation leader supplied for its purchases from supplier and
// queues the incremental scan of both firms.
func (d *Daemon) Withdraw(ctx context.Context, leader, supplier, trigger string) error {
	if err := d.store.WithdrawSupplied(ctx, leader, supplier); err != nil {
		return err
	}
	d.queueFirms(ctx, []string{leader, supplier}, false, trigger)
	return nil
}

// queueFirms queues the incremental scan of firms whose data a committed write
// changed; a scan that cannot be queued now is caught up by the next full scan.
func (d *Daemon) queueFirms(ctx context.Context, firms []string, all bool, trigger string) {
	if len(firms) == 0 && !all {
		return
	}
	if _, err := d.queue.SubmitFirms(context.WithoutCancel(ctx), firms, all, trigger); err != nil {
		d.log.Warn("incremental scan not queued", "err", err)
	}
}

// Rescan queues a scan of scope.
func (d *Daemon) Rescan(ctx context.Context, scope, trigger string) (*store.Scan, error) {
	return d.queue.Submit(ctx, scope, trigger)
}
