package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Leadership elects one leader among the replicas sharing a database. The leader is
// the replica that holds
//   - a session advisory lock on a dedicated connection (the pool is not used for it:
//     pooled connections are retired after a while, which would silently drop a session
//     lock), which a dead replica's session releases at once; and
//   - the current term of the lease in leader_lease, renewed every interval from this
//     loop. A frozen process (SIGSTOP, a VM paused) keeps its session — its kernel still
//     answers keepalives — but cannot renew: once its lease is older than LeaseTimeout,
//     a follower ends every session of the frozen replica, which releases the lock, and
//     the next replica to take the lock takes a new term.
//
// The writes only a leader makes (results, alert changes, scan records) check the
// term in their transaction (dialect.Fence), so a stale leader that wakes up cannot
// overwrite what its successor wrote; and a leader that has not renewed its lease for
// LeaseTimeout stops calling itself leader before anyone can replace it.
type Leadership struct {
	cfg      *pgx.ConnConfig
	d        *dialect
	interval time.Duration
	lease    time.Duration
	log      *slog.Logger
	onChange func(leader bool)

	held atomic.Bool
	// renewed is when the lease was last taken or renewed, as time since base (a
	// monotonic reading: wall-clock jumps must not extend a lease).
	base    time.Time
	renewed atomic.Int64
	conn    *pgx.Conn
	term    int64
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

// LeaseTimeout is how long a leader's lease lasts without renewal: three check
// intervals, at least 3 s. A frozen leader is replaced within LeaseTimeout plus one
// check interval.
func LeaseTimeout(interval time.Duration) time.Duration { return max(3*interval, 3*time.Second) }

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
	s.d.elected.Store(true)
	return &Leadership{cfg: cfg, d: s.d, interval: interval, lease: LeaseTimeout(interval), log: log,
		onChange: onChange, base: time.Now()}
}

// leaderKeepalives are the server-side keepalive settings of the leadership session.
var leaderKeepalives = map[string]string{
	"tcp_keepalives_idle":     "5",
	"tcp_keepalives_interval": "5",
	"tcp_keepalives_count":    "3",
}

// IsLeader reports whether this replica holds the leadership: it took the lock and a
// term, and renewed its lease within LeaseTimeout.
func (l *Leadership) IsLeader() bool {
	return l.held.Load() && time.Since(l.base)-time.Duration(l.renewed.Load()) < l.lease
}

// Term is the leadership term this replica holds, 0 when it holds none.
func (l *Leadership) Term() int64 { return l.d.term.Load() }

// Replica is the name this replica's sessions carry (application_name).
func (l *Leadership) Replica() string { return l.d.replica }

// Run takes part in the election every interval until ctx ends; then it lets the
// leadership go.
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
			l.drop()
			return
		}
		l.conn = conn
	}
	if l.held.Load() {
		l.renew(cctx)
		return
	}
	got, err := l.tryLock(cctx)
	if err == nil && !got {
		// The holder may be frozen: end its sessions when its lease lapsed, and try
		// again at once.
		var reaped bool
		if reaped, err = l.reap(cctx); err == nil && reaped {
			got, err = l.tryLock(cctx)
		}
	}
	if err != nil {
		l.log.Warn("leader election failed", "err", err)
		l.drop()
		return
	}
	if !got {
		return
	}
	term, err := l.takeTerm(cctx)
	if err != nil {
		// The lock is this session's: closing it lets the others try.
		l.log.Warn("leader election: taking a new term failed", "err", err)
		l.drop()
		return
	}
	l.term = term
	l.d.term.Store(term)
	l.renewed.Store(int64(time.Since(l.base)))
	l.set(true)
}

func (l *Leadership) tryLock(ctx context.Context) (bool, error) {
	var got bool
	if err := l.conn.QueryRow(ctx, leaderLock).Scan(&got); err != nil {
		return false, fmt.Errorf("lock: %w", err)
	}
	return got, nil
}

// renew extends the lease of this replica's term; finding the term gone (another
// replica took over while this one was frozen) or the database unreachable ends the
// leadership.
func (l *Leadership) renew(ctx context.Context) {
	tag, err := l.conn.Exec(ctx, `UPDATE leader_lease SET renewed_at = now() WHERE term = $1`, l.term)
	switch {
	case err != nil:
		l.log.Warn("leader election: lost the leadership connection", "err", err)
		l.drop()
	case tag.RowsAffected() == 0:
		l.log.Warn("leader election: another replica took over; stepping down", "term", l.term)
		l.drop()
	default:
		l.renewed.Store(int64(time.Since(l.base)))
	}
}

// takeTerm starts a new term for this replica, which holds the lock. The bump updates
// the lease's key, so it waits for the fenced writes of the previous term that are
// under way; a stale leader stuck inside one (frozen mid-write) would hold it up
// forever, so the wait is bounded and such a leader's sessions are ended.
func (l *Leadership) takeTerm(ctx context.Context) (int64, error) {
	for attempt := 0; ; attempt++ {
		term, err := l.bump(ctx)
		if err == nil || attempt > 0 || ctx.Err() != nil {
			return term, err
		}
		holder, _, _, herr := l.lease0(ctx)
		if herr != nil {
			return 0, herr
		}
		if n, terr := l.terminate(ctx, holder); terr != nil {
			return 0, terr
		} else if n > 0 {
			l.log.Warn("leader election: ended the sessions of the previous leader, which held up the new term",
				"replica", holder, "sessions", n, "err", err)
		}
	}
}

func (l *Leadership) bump(ctx context.Context) (int64, error) {
	tx, err := l.conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	wait := strconv.FormatInt(max(l.interval, time.Second).Milliseconds()/2, 10)
	if _, err := tx.Exec(ctx, `SELECT set_config('lock_timeout', $1, true)`, wait); err != nil {
		return 0, err
	}
	var term int64
	if err := tx.QueryRow(ctx, `UPDATE leader_lease SET term = term + 1, holder = $1, renewed_at = now()
		RETURNING term`, l.d.replica).Scan(&term); err != nil {
		return 0, fmt.Errorf("new term: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("new term: %w", err)
	}
	return term, nil
}

// lease0 reads the lease: its holder and term, and whether it lapsed.
func (l *Leadership) lease0(ctx context.Context) (holder string, term int64, lapsed bool, err error) {
	err = l.conn.QueryRow(ctx, `SELECT holder, term, now() - renewed_at > make_interval(secs => $1)
		FROM leader_lease`, l.lease.Seconds()).Scan(&holder, &term, &lapsed)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, false, errors.New("leader_lease holds no row")
	}
	return holder, term, lapsed, err
}

// reap ends the sessions of a leader whose lease lapsed (frozen, or hung), and says
// whether it ended any: the lock is free then.
func (l *Leadership) reap(ctx context.Context) (bool, error) {
	holder, term, lapsed, err := l.lease0(ctx)
	if err != nil {
		return false, fmt.Errorf("read lease: %w", err)
	}
	if !lapsed || holder == "" || holder == l.d.replica {
		return false, nil
	}
	n, err := l.terminate(ctx, holder)
	if err != nil {
		return false, err
	}
	if n > 0 {
		l.log.Warn("leader election: the leader's lease lapsed; ended its sessions", "replica", holder, "term", term,
			"sessions", n, "lease", l.lease.String())
	}
	return n > 0, nil
}

// terminate ends every session of a replica (by its application_name) and returns
// how many it ended.
func (l *Leadership) terminate(ctx context.Context, replica string) (int, error) {
	if replica == "" || replica == l.d.replica {
		return 0, nil
	}
	var n int
	err := l.conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) AS ended
		FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()) s WHERE ended`, replica).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("end the sessions of %s: %w", replica, err)
	}
	return n, nil
}

// drop closes the connection, which releases the lock at once, and gives up the term.
func (l *Leadership) drop() {
	if l.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = l.conn.Close(ctx)
		cancel()
		l.conn = nil
	}
	l.d.term.Store(0)
	l.term = 0
	l.set(false)
}

func (l *Leadership) set(leader bool) {
	if l.held.Swap(leader) != leader {
		if leader {
			l.log.Info("this replica is now the leader", "term", l.term, "replica", l.d.replica)
		} else {
			l.log.Warn("this replica is no longer the leader")
		}
		if l.onChange != nil {
			l.onChange(leader)
		}
	}
}
