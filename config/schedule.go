package config

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // schedule.timezone and CRON_TZ= must load on images without zoneinfo

	"github.com/robfig/cron/v3"
)

// Cron job names, as used in schedule and schedule.timeouts.
const (
	JobFullScan       = "full_scan"
	JobESRI           = "esri"
	JobExpireEvents   = "expire_events"
	JobResendAlerts   = "resend_alerts"
	JobRepairEligible = "repair_eligible"
	JobSendDigests    = "send_digests"
	JobSources        = "sources"
)

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec: 5 fields (minute hour day-of-month month
// day-of-week) or a descriptor (@hourly, @daily, @weekly, @monthly, @yearly,
// @every 10m), optionally prefixed with CRON_TZ=Zone or TZ=Zone. A spec without a zone
// prefix runs in loc (time.Local when loc is nil). Unlike cron.ParseStandard it never
// panics, and it rejects specs that never fire (such as "0 0 30 2 *").
func ParseSchedule(spec string, loc *time.Location) (sched cron.Schedule, err error) {
	spec = strings.TrimSpace(spec)
	hasZone := strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=")
	if hasZone {
		// robfig/cron slices up to the first space and panics when there is none.
		zone, rest, ok := strings.Cut(spec, " ")
		if !ok || strings.TrimSpace(rest) == "" {
			return nil, errors.New("a CRON_TZ= or TZ= prefix must be followed by a space and a schedule")
		}
		if _, name, _ := strings.Cut(zone, "="); name == "" {
			return nil, errors.New("empty time zone after CRON_TZ= or TZ=")
		}
	}
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("cron parser failed: %v", r)
		}
	}()
	sched, err = cronParser.Parse(spec)
	if err != nil {
		return nil, err
	}
	switch s := sched.(type) {
	case *cron.SpecSchedule:
		if !hasZone && loc != nil {
			s.Location = loc
		}
		if s.Next(time.Now()).IsZero() {
			return nil, errors.New("the schedule never fires")
		}
	case cron.ConstantDelaySchedule:
		// cron.Every silently turns anything below 1s, negatives included, into 1s.
		_, d, _ := strings.Cut(spec, "@every")
		if every, err := time.ParseDuration(strings.TrimSpace(d)); err != nil || every < time.Second {
			return nil, fmt.Errorf("@every needs a duration of at least 1s, got %q", strings.TrimSpace(d))
		}
	}
	return sched, nil
}

// Job is a cron job the scheduler runs: a fixed job or a source import.
type Job struct {
	// Name is full_scan, esri, expire_events, resend_alerts, repair_eligible,
	// send_digests, or "source:" and the source's name.
	Name    string
	Spec    string
	Timeout time.Duration
	// Source is the source to import for a source job, nil otherwise.
	Source *Source
}

// fixedJobs is the catalogue of the jobs configured by name under schedule: where
// each one's spec and timeout live. Validation and Jobs read it, and the daemon
// refuses a config naming a job of it that it has no work for (daemon/jobs.go, whose
// test holds its runners and this list equal), so that no job can be defaulted,
// validated and then never run.
var fixedJobs = []struct {
	name    string
	spec    func(*ScheduleConfig) string
	timeout func(*TimeoutsConfig) time.Duration
}{
	{JobFullScan, func(s *ScheduleConfig) string { return s.FullScan }, func(t *TimeoutsConfig) time.Duration { return t.FullScan }},
	{JobESRI, func(s *ScheduleConfig) string { return s.ESRI }, func(t *TimeoutsConfig) time.Duration { return t.ESRI }},
	{JobExpireEvents, func(s *ScheduleConfig) string { return s.ExpireEvents }, func(t *TimeoutsConfig) time.Duration { return t.ExpireEvents }},
	{JobResendAlerts, func(s *ScheduleConfig) string { return s.ResendAlerts }, func(t *TimeoutsConfig) time.Duration { return t.ResendAlerts }},
	{JobRepairEligible, func(s *ScheduleConfig) string { return s.RepairEligible }, func(t *TimeoutsConfig) time.Duration { return t.RepairEligible }},
	{JobSendDigests, func(s *ScheduleConfig) string { return s.SendDigests }, func(t *TimeoutsConfig) time.Duration { return t.SendDigests }},
}

// JobNames lists the jobs configured by name under schedule (sources aside), in
// the order of the config file.
func JobNames() []string {
	names := make([]string, len(fixedJobs))
	for i, j := range fixedJobs {
		names[i] = j.name
	}
	return names
}

// jobs lists the fixed jobs, disabled ones (empty spec) included.
func (s *ScheduleConfig) jobs() []Job {
	out := make([]Job, len(fixedJobs))
	for i, j := range fixedJobs {
		out[i] = Job{Name: j.name, Spec: j.spec(s), Timeout: j.timeout(&s.Timeouts)}
	}
	return out
}

// Jobs lists the enabled cron jobs: the fixed ones whose spec is not empty, then one
// per source. Parse each spec with ParseSchedule(job.Spec, c.Schedule.Location()).
func (c *Config) Jobs() []Job {
	var jobs []Job
	for _, j := range c.Schedule.jobs() {
		if j.Spec != "" {
			jobs = append(jobs, j)
		}
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		jobs = append(jobs, Job{Name: "source:" + s.Name, Spec: s.Schedule, Timeout: c.Schedule.Timeouts.Sources, Source: s})
	}
	return jobs
}

// Location returns the zone of schedule.timezone. A validated config has it loaded;
// otherwise it is loaded now, falling back to UTC when the name is unknown.
func (s *ScheduleConfig) Location() *time.Location {
	if s.loc != nil {
		return s.loc
	}
	if loc, err := time.LoadLocation(s.Timezone); err == nil {
		return loc
	}
	return time.UTC
}
