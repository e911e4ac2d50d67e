package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Leadership elects one leader among the replicas sharing a database: the replica
// holding a session advisory lock on its own dedicated connection. The pool is not
// used for it: pooled connections are retired after a while, which would silently
// drop a session lock.
type Leadership struct {
	cfg      *pgx.ConnConfig
	interval time.Duration
	log      *slog.Logger
	held     atomic.Bool
	conn     *pgx.Conn
	onChange func(leader bool)
}

// leaderLock names the lock per schema, so test schemas elect their own leaders.
const leaderLock = `SELECT pg_try_advisory_lock(hashtext('chainrisk-leader:' || current_schema()))`

// leaderHeld finds leaderLock held by any session: pg_locks shows a one-bigint
// advisory key as its high half in classid and its low half in objid.
const leaderHeld = `WITH k AS (SELECT hashtext('chainrisk-leader:' || current_schema())::bigint AS key)
	SELECT EXISTS (SELECT 1 FROM pg_locks l, k WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND l.classid = ((k.key >> 32) & 4294967295)::oid AND l.objid = (k.key & 4294967295)::oid)`

// Holder names the daemon leading on this database and schema, or "" when no
// replica holds the leadership lock now. It only looks: it takes no part in the
// election.
func (s *Store) Holder(ctx context.Context) (string, error) {
	var held bool
	if err := s.d.pool.QueryRow(ctx, leaderHeld).Scan(&held); err != nil {
		return "", fmt.Errorf("find the leader: %w", err)
	}
	if !held {
		return "", nil
	}
	return "the leading chainriskd", nil
}

// Leadership returns an election for this store's database and schema; Run takes part.
func (s *Store) Leadership(interval time.Duration, log *slog.Logger, onChange func(leader bool)) *Leadership {
	if log == nil {
		log = slog.Default()
	}
	cfg := s.d.cfg.ConnConfig.Copy()
	// A replica whose host vanishes never closes its connection, and the server keeps
	// the lock until it notices: TCP keepalives from the server's side end that
	// session about 20 s after the replica's last sign of life (it pings every
	// interval), so leadership moves within the promised 30 s. Settings given in the
	// database URL win.
	for k, v := range leaderKeepalives {
		if _, set := cfg.RuntimeParams[k]; !set {
			cfg.RuntimeParams[k] = v
		}
	}
	return &Leadership{cfg: cfg, interval: interval, log: log, onChange: onChange}
}

// leaderKeepalives are the server-side keepalive settings of the leadership session.
var leaderKeepalives = map[string]string{
	"tcp_keepalives_idle":     "5",
	"tcp_keepalives_interval": "5",
	"tcp_keepalives_count":    "3",
}

// IsLeader reports whether this replica holds the lock (as of the last check).
func (l *Leadership) IsLeader() bool { return l.held.Load() }

// Run tries to take the lock, then re-checks that its connection (and so the lock)
// is alive, every interval, until ctx ends; then it lets the lock go.
func (l *Leadership) Run(ctx context.Context) {
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		l.check(ctx)
		select {
		case <-ctx.Done():
			l.drop()
			return
		case <-t.C:
		}
	}
}

func (l *Leadership) check(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, max(l.interval, time.Second))
	defer cancel()
	if l.conn == nil {
		conn, err := pgx.ConnectConfig(cctx, l.cfg)
		if err != nil {
			l.log.Warn("leader election: cannot connect", "err", err)
			l.set(false)
			return
		}
		l.conn = conn
	}
	if l.held.Load() {
		// The lock lives as long as the session: a live connection still holds it.
		if err := l.conn.Ping(cctx); err != nil {
			l.log.Warn("leader election: lost the leadership connection", "err", err)
			l.drop()
		}
		return
	}
	var got bool
	if err := l.conn.QueryRow(cctx, leaderLock).Scan(&got); err != nil {
		l.log.Warn("leader election: lock query failed", "err", err)
		l.drop()
		return
	}
	l.set(got)
}

// drop closes the connection, which releases the lock at once.
func (l *Leadership) drop() {
	if l.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = l.conn.Close(ctx)
		cancel()
		l.conn = nil
	}
	l.set(false)
}

func (l *Leadership) set(leader bool) {
	if l.held.Swap(leader) != leader {
		if leader {
			l.log.Info("this replica is now the leader")
		} else {
			l.log.Warn("this replica is no longer the leader")
		}
		if l.onChange != nil {
			l.onChange(leader)
		}
	}
}
