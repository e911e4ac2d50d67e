package daemon

import (
	"context"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
)

// cronJobs turns the config's schedule into the scheduler's jobs. Jobs whose work
// this build does not do yet are left out and logged, never scheduled as no-ops.
func (d *Daemon) cronJobs(cfg *config.Config) []monitor.CronJob {
	var jobs []monitor.CronJob
	for _, j := range cfg.Jobs() {
		var run func(ctx context.Context) error
		switch j.Name {
		case config.JobFullScan:
			run = func(ctx context.Context) error {
				_, err := d.engine.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "cron:" + config.JobFullScan})
				return err
			}
		case config.JobResendAlerts:
			run = d.resendAlerts
		case config.JobExpireEvents:
			run = func(ctx context.Context) error {
				_, err := d.engine.ExpireEvents(ctx, "cron:"+config.JobExpireEvents)
				return err
			}
		default:
			if j.Source == nil {
				d.log.Debug("cron job not scheduled by this build", "job", j.Name)
				continue
			}
			src := ingest.NewSource(*j.Source, d.Ingest, d.log, int64(cfg.HTTP.MaxIngestBytes))
			run = src.Run
		}
		jobs = append(jobs, monitor.CronJob{Name: j.Name, Spec: j.Spec, Timeout: j.Timeout, Run: run})
	}
	return jobs
}
