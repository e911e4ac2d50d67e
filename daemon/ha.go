package daemon

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres"
)

// election decides which replica runs scans, cron jobs and deliveries. The embedded
// store serves one process, which always leads; on PostgreSQL the replicas elect one.
type election interface {
	IsLeader() bool
	Run(ctx context.Context)
}

type soleReplica struct{}

func (soleReplica) IsLeader() bool          { return true }
func (soleReplica) Run(ctx context.Context) { <-ctx.Done() }

func (d *Daemon) newElection(db store.Store) election {
	pg, ok := db.(*postgres.Store)
	if !ok {
		return soleReplica{}
	}
	return pg.Leadership(d.cfg.Load().Store.LeaderCheckInterval, d.log, nil)
}

func leaderGauge(reg prometheus.Registerer, e election) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chainrisk_leader",
		Help: "1 on the replica that runs scans, cron jobs and deliveries, 0 on followers.",
	}, func() float64 {
		if e.IsLeader() {
			return 1
		}
		return 0
	}))
}

// waitElected gives the election its first round before the startup scan, so that a
// replica starting next to a leader does not scan as one.
func (d *Daemon) waitElected(ctx context.Context) {
	if _, sole := d.elect.(soleReplica); sole {
		return
	}
	deadline := time.Now().Add(2 * d.cfg.Load().Store.LeaderCheckInterval)
	for !d.elect.IsLeader() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
}

// follow keeps a follower's state fresh and makes a replica that becomes leader take
// over: the scans its predecessor left running are failed and one full scan redoes
// them, compared with what the store holds (what the predecessor persisted and
// announced), not with the follower's own view; queued scans stay queued and run
// next. A leader that stops leading is demoted, so that if it leads again it compares
// with the store too.
func (d *Daemon) follow(ctx context.Context, leading bool) {
	t := time.NewTicker(d.cfg.Load().Store.LeaderCheckInterval)
	defer t.Stop()
	var seen int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if d.elect.IsLeader() {
			if !leading {
				leading = true
				d.log.Info("taking over as leader")
				if err := d.startupScan(ctx); err != nil && ctx.Err() == nil {
					d.log.Error("takeover scan failed", "err", err)
				}
			}
			continue
		}
		if leading {
			d.engine.Demote()
			leading = false
		}
		latest := d.latestScan(ctx)
		if latest > seen || d.engine.State() == nil {
			if _, err := d.engine.Run(ctx, monitor.Request{Shadow: true}); err != nil {
				if ctx.Err() == nil {
					d.log.Warn("follower refresh failed", "err", err)
				}
				continue
			}
			seen = latest
		}
	}
}

// latestScan is the newest succeeded scan's id, 0 when none.
func (d *Daemon) latestScan(ctx context.Context) int64 {
	id, _ := monitor.LatestSucceeded(ctx, d.store, 0)
	return id
}
