package daemon

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/config"
)

// TestJobRunnersMatchTheCatalogue: the daemon has work for exactly the jobs the
// config knows by name, so no configured job can go unscheduled.
func TestJobRunnersMatchTheCatalogue(t *testing.T) {
	names := config.JobNames()
	runners := slices.Sorted(maps.Keys(jobRunners))
	if !slices.Equal(slices.Sorted(slices.Values(names)), runners) {
		t.Errorf("config.JobNames() = %v, the daemon's runners are for %v", names, runners)
	}
	if err := CheckConfig(config.Default()); err != nil {
		t.Errorf("the default config: %v", err)
	}
}

// TestJobWithoutRunnerRefused: a build that has no work for a job the config
// enables refuses the config, naming the key, instead of logging and skipping the job.
func TestJobWithoutRunnerRefused(t *testing.T) {
	partial := maps.Clone(jobRunners)
	delete(partial, config.JobESRI)
	cfg := config.Default()
	cfg.Sources = []config.Source{{Name: "drop", Kind: config.SourceDir, Data: "events", Dir: t.TempDir(), Schedule: "@daily"}}
	err := checkJobs(cfg, partial)
	if err == nil || !strings.Contains(err.Error(), `schedule.esri: this build of chainriskd has no esri job to run; set schedule.esri to "" to disable it`) {
		t.Fatalf("err = %v, want the esri job refused", err)
	}
	if strings.Contains(err.Error(), "source:") || strings.Count(err.Error(), "schedule.") != 2 {
		t.Errorf("err = %v, want only the esri job named", err)
	}
	d := &Daemon{}
	if jobs, err := d.jobsFrom(cfg, partial); err == nil || jobs != nil {
		t.Errorf("jobsFrom = %d jobs, %v; want the error and no jobs", len(jobs), err)
	}
	// Disabled, the job needs no runner; the others and the source are all scheduled.
	cfg.Schedule.ESRI = ""
	jobs, err := d.jobsFrom(cfg, partial)
	if err != nil || len(jobs) != len(config.JobNames()) {
		t.Fatalf("with esri disabled: %d jobs, %v", len(jobs), err)
	}
}

// TestCheckConfigHoldsTheRules: a config whose alert rules' settings the rules refuse
// is refused where chainriskd checks configs, with the key and its line.
func TestCheckConfigHoldsTheRules(t *testing.T) {
	cfg, err := config.Parse([]byte("alerts:\n  rules:\n    chain_risk: {warning: 0.5, critical: 0.4}\n    credit_crunch: {}\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = CheckConfig(cfg)
	for _, want := range []string{"c.yaml:3:5: alerts.rules.chain_risk: thresholds must satisfy", `c.yaml:4:5: alerts.rules.credit_crunch: unknown rule "credit_crunch"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}
