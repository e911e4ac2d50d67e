package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
)

// jobRunner is the work of one cron job.
type jobRunner func(d *Daemon, ctx context.Context) error

// jobRunners holds the work of every job of config.JobNames, by name; source jobs
// ("source:" and a name) import their source. A test holds its keys equal to
// config.JobNames, and checkJobs refuses a config enabling a job missing here, so a
// job is never defaulted, validated and then left unscheduled.
var jobRunners = map[string]jobRunner{
	config.JobFullScan:       (*Daemon).fullScanJob,
	config.JobESRI:           (*Daemon).esriJob,
	config.JobExpireEvents:   (*Daemon).expireEventsJob,
	config.JobResendAlerts:   (*Daemon).resendAlerts,
	config.JobRepairEligible: (*Daemon).repairEligible,
	config.JobSendDigests:    (*Daemon).sendDigests,
}

// CheckConfig reports what in a loaded config this build of chainriskd cannot run:
// an enabled job without a runner, and what the alert rules refuse (rule names and
// parameters, alerts.CheckConfig). config.Load checks everything else; chainriskd
// -check-config, start and reload also check this.
func CheckConfig(cfg *config.Config) error {
	return errors.Join(checkJobs(cfg, jobRunners), alerts.CheckConfig(cfg))
}

func checkJobs(cfg *config.Config, runners map[string]jobRunner) error {
	var errs []error
	for _, j := range cfg.Jobs() {
		if _, ok := runners[j.Name]; !ok && j.Source == nil {
			errs = append(errs, fmt.Errorf("schedule.%s: this build of chainriskd has no %s job to run; "+
				"set schedule.%s to \"\" to disable it", j.Name, j.Name, j.Name))
		}
	}
	return errors.Join(errs...)
}

// cronJobs turns the config's schedule into the scheduler's jobs; a job it has no
// runner for is an error (see checkJobs), never skipped.
func (d *Daemon) cronJobs(cfg *config.Config) ([]monitor.CronJob, error) {
	return d.jobsFrom(cfg, jobRunners)
}

func (d *Daemon) jobsFrom(cfg *config.Config, runners map[string]jobRunner) ([]monitor.CronJob, error) {
	if err := checkJobs(cfg, runners); err != nil {
		return nil, err
	}
	var jobs []monitor.CronJob
	for _, j := range cfg.Jobs() {
		var run func(ctx context.Context) error
		if j.Source != nil {
			run = ingest.NewSource(*j.Source, d.Ingest, d.log, int64(cfg.HTTP.MaxIngestBytes)).Run
		} else {
			runner := runners[j.Name]
			run = func(ctx context.Context) error { return runner(d, ctx) }
		}
		jobs = append(jobs, monitor.CronJob{Name: j.Name, Spec: j.Spec, Timeout: j.Timeout, Run: run})
	}
	return jobs, nil
}

func (d *Daemon) fullScanJob(ctx context.Context) error {
	_, err := d.engine.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "cron:" + config.JobFullScan})
	return err
}

func (d *Daemon) expireEventsJob(ctx context.Context) error {
	_, err := d.engine.ExpireEvents(ctx, "cron:"+config.JobExpireEvents)
	return err
}

// esriJob computes the chain ESRI of every leading firm (monitor.Engine.RunESRI)
// with the config in force when it starts.
func (d *Daemon) esriJob(ctx context.Context) error {
	_, err := d.engine.RunESRI(ctx, d.cfg.Load().ESRI.Params())
	return err
}

// RunJob runs a configured cron job now, the way the schedule runs it: on the leader
// only (monitor.ErrInactive elsewhere), skipped while a run is in progress, with
// the job's timeout and metrics.
func (d *Daemon) RunJob(ctx context.Context, name string) error {
	return d.cron.RunNow(ctx, name)
}
