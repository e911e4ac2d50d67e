package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Scan statuses (api/openapi.json).
const (
	ScanQueued    = "queued"
	ScanRunning   = "running"
	ScanSucceeded = "succeeded"
	ScanFailed    = "failed"
)

// Scan is one run of the risk engine.
type Scan struct {
	ID         int64
	Kind       string // full | incremental
	Scope      string
	Trigger    string
	Status     string
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	// Done and Total count its progress.
	Done  int64
	Total int64
	Error string
	// Stats is the engine's JSON document of the run (monitor.ScanStats).
	Stats json.RawMessage
}

// FirmResult is a firm's latest score and distress.
type FirmResult struct {
	USCC         string
	Score        float64
	Grade        string
	P            float64
	D            float64
	ModelVersion string
	ScanID       int64
	UpdatedAt    time.Time
}

// ChainResult is a leading firm's latest chain exposure; Detail is its JSON document.
type ChainResult struct {
	Leader       string
	ChainRisk    float64
	SupplyAtRisk float64
	DemandAtRisk float64
	Members      int64
	Detail       []byte
	ModelVersion string
	ScanID       int64
	UpdatedAt    time.Time
}

// Results is what one scan writes, in one transaction.
type Results struct {
	ScanID       int64
	ModelVersion string
	// At stamps every row written: the scan's own time (when it started), which is
	// not the clock an incremental scan scores with.
	At time.Time
	// Firms are the firms whose result changed; History the subset whose score or
	// grade changed, appended to score_history once per firm and scan.
	Firms   []FirmResult
	History []FirmResult
	// Chains are the chains whose result changed; those whose chain_risk,
	// supply_at_risk or demand_at_risk moved by ChainHistoryMin or more from the
	// result held (or that had none) are also appended to chain_history, once per
	// leader and scan.
	Chains []ChainResult
	// DropChains are leaders that lost their leading tag.
	DropChains []string
}

// ChainHistoryMin is how far a chain figure must move for a chain history entry: the
// threshold at which the engine writes a chain's figures again.
const ChainHistoryMin = 1e-6

// HistoryFilter selects history entries: those stamped in [From, To] (a zero bound
// is open), newest first, at most Limit.
type HistoryFilter struct {
	From, To time.Time
	Limit    int
}

// HistoryEntry is one scan's change of a firm's result.
type HistoryEntry struct {
	USCC   string
	ScanID int64
	At     time.Time // the scan's own time
	// Trigger is the scan's trigger; empty when its record is gone.
	Trigger      string
	Score        float64
	Grade        string
	P            float64
	D            float64
	ModelVersion string
}

// ChainHistoryEntry is one scan's change of a leader's chain figures.
type ChainHistoryEntry struct {
	Leader       string
	ScanID       int64
	At           time.Time
	Trigger      string
	ChainRisk    float64
	SupplyAtRisk float64
	DemandAtRisk float64
	Members      int64
	ModelVersion string
}

const scanCols = `id, kind, scope, trigger_name, status, created_at, started_at, finished_at,
	progress_done, progress_total, error, stats`

func scanScan(r Rows) (Scan, error) {
	var s Scan
	var created int64
	var started, finished *int64
	var stats string
	err := r.Scan(&s.ID, &s.Kind, &s.Scope, &s.Trigger, &s.Status, &created, &started, &finished,
		&s.Done, &s.Total, &s.Error, &stats)
	s.CreatedAt = time.UnixMilli(created).UTC()
	s.StartedAt, s.FinishedAt = fromMS(started), fromMS(finished)
	if stats != "" {
		s.Stats = json.RawMessage(stats)
	}
	return s, err
}

// CreateScan records a new scan and assigns its ID (one more than the largest held,
// under the exclusive lock, so replicas never hand out the same one).
func (s *SQL) CreateScan(ctx context.Context, sc *Scan) error {
	tx, err := s.d.Begin(ctx, true)
	if err != nil {
		return fmt.Errorf("create scan: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var id int64
	if err := eachRow(ctx, tx, `SELECT COALESCE(MAX(id), 0) + 1 FROM scans`, nil, func(r Rows) error {
		return r.Scan(&id)
	}); err != nil {
		return fmt.Errorf("create scan: %w", err)
	}
	if sc.CreatedAt.IsZero() {
		sc.CreatedAt = s.now()
	}
	if sc.Stats == nil {
		sc.Stats = json.RawMessage("{}")
	}
	if _, err := tx.Exec(ctx, `INSERT INTO scans (`+scanCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, sc.Kind, sc.Scope, sc.Trigger, sc.Status, sc.CreatedAt.UnixMilli(), ms(sc.StartedAt), ms(sc.FinishedAt),
		sc.Done, sc.Total, sc.Error, string(sc.Stats)); err != nil {
		return fmt.Errorf("create scan: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("create scan: %w", err)
	}
	sc.ID = id
	return nil
}

// UpdateScan writes a scan's status, times, progress, error and stats.
func (s *SQL) UpdateScan(ctx context.Context, sc *Scan) error {
	if sc.Stats == nil {
		sc.Stats = json.RawMessage("{}")
	}
	tx, err := s.leaderTx(ctx)
	if err != nil {
		return fmt.Errorf("update scan %d: %w", sc.ID, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := updateScan(ctx, tx, sc); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("update scan %d: %w", sc.ID, err)
	}
	return nil
}

func updateScan(ctx context.Context, q Querier, sc *Scan) error {
	n, err := q.Exec(ctx, `UPDATE scans SET status = ?, started_at = ?, finished_at = ?, progress_done = ?,
		progress_total = ?, error = ?, stats = ? WHERE id = ?`,
		sc.Status, ms(sc.StartedAt), ms(sc.FinishedAt), sc.Done, sc.Total, sc.Error, string(sc.Stats), sc.ID)
	if err != nil {
		return fmt.Errorf("update scan %d: %w", sc.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("update scan %d: %w", sc.ID, ErrNotFound)
	}
	return nil
}

// Scan returns one scan, or ErrNotFound.
func (s *SQL) Scan(ctx context.Context, id int64) (*Scan, error) {
	var found *Scan
	err := s.each(ctx, `SELECT `+scanCols+` FROM scans WHERE id = ?`, []any{id}, func(r Rows) error {
		sc, err := scanScan(r)
		found = &sc
		return err
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("scan %d: %w", id, ErrNotFound)
	}
	return found, nil
}

// Scans returns the newest scans first, at most limit.
func (s *SQL) Scans(ctx context.Context, limit int) ([]Scan, error) {
	return s.ScansBefore(ctx, 0, limit)
}

// ScansBefore implements Store.
func (s *SQL) ScansBefore(ctx context.Context, before int64, limit int) ([]Scan, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	var out []Scan
	err := s.each(ctx, `SELECT `+scanCols+` FROM scans WHERE id < ? ORDER BY id DESC LIMIT ?`, []any{before, limit}, func(r Rows) error {
		sc, err := scanScan(r)
		out = append(out, sc)
		return err
	})
	return out, err
}

// QueuedScans implements Store.
func (s *SQL) QueuedScans(ctx context.Context) ([]Scan, error) {
	var out []Scan
	err := s.each(ctx, `SELECT `+scanCols+` FROM scans WHERE status = 'queued' ORDER BY id`, nil, func(r Rows) error {
		sc, err := scanScan(r)
		out = append(out, sc)
		return err
	})
	return out, err
}

// InterruptScans marks every running scan failed with reason — it belongs to a
// process that died — and returns them so that the caller can run them again. Queued
// scans stay queued: they are requests the next leader's queue serves.
func (s *SQL) InterruptScans(ctx context.Context, reason string) ([]Scan, error) {
	tx, err := s.leaderTx(ctx)
	if err != nil {
		return nil, fmt.Errorf("interrupt scans: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var out []Scan
	err = eachRow(ctx, tx, `SELECT `+scanCols+` FROM scans WHERE status = 'running' ORDER BY id`, nil,
		func(r Rows) error {
			sc, err := scanScan(r)
			out = append(out, sc)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("interrupt scans: %w", err)
	}
	for i := range out {
		out[i].Status, out[i].Error, out[i].FinishedAt = ScanFailed, reason, s.now()
		if err := updateScan(ctx, tx, &out[i]); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("interrupt scans: %w", err)
	}
	return out, nil
}

var (
	scoreCols = "uscc, score, grade, p, d"
	chainCols = "leader, chain_risk, supply_at_risk, demand_at_risk, members, detail"
)

// SaveResults writes a scan's changed results in one transaction: scores and chain
// results are upserted through staging tables (COPY on PostgreSQL), history appended.
func (s *SQL) SaveResults(ctx context.Context, res *Results) error {
	tx, err := s.leaderTx(ctx)
	if err != nil {
		return fmt.Errorf("save results: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	at := res.At.UnixMilli()
	fo, ho := orders(res)
	firms, history, err := copyFirms(ctx, tx, res, at, fo, ho)
	if err != nil {
		return fmt.Errorf("save results: %w", err)
	}
	stmts := append(s.d.TempTable("stage_scores", "uscc TEXT NOT NULL, score DOUBLE PRECISION NOT NULL, "+
		"grade TEXT NOT NULL, p DOUBLE PRECISION NOT NULL, d DOUBLE PRECISION NOT NULL"),
		s.d.TempTable("stage_chains", "leader TEXT NOT NULL, chain_risk DOUBLE PRECISION NOT NULL, "+
			"supply_at_risk DOUBLE PRECISION NOT NULL, demand_at_risk DOUBLE PRECISION NOT NULL, "+
			"members BIGINT NOT NULL, detail TEXT NOT NULL")...)
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("save results: %w", err)
		}
	}
	cols := []string{"uscc", "score", "grade", "p", "d"}
	base := []any{res.ModelVersion, res.ScanID, at}
	steps := []struct {
		n     int
		stage func() error
		q     string
		args  []any
	}{
		{firms, func() error { return tx.Stage(ctx, "stage_scores", cols, len(res.Firms), firmRow(res.Firms, fo)) },
			`UPDATE scores SET score = s.score, grade = s.grade, p = s.p, d = s.d, model_version = CAST(? AS TEXT), scan_id = CAST(? AS BIGINT),
				updated_at = CAST(? AS BIGINT) FROM stage_scores s WHERE scores.uscc = s.uscc`, base},
		{firms, nil, `INSERT INTO scores (` + scoreCols + `, model_version, scan_id, updated_at)
			SELECT ` + scoreCols + `, CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT) FROM stage_scores s
			WHERE NOT EXISTS (SELECT 1 FROM scores x WHERE x.uscc = s.uscc)`, base},
		// History is keyed by scan: a save run again for the same scan adds nothing.
		{history, func() error {
			if _, err := tx.Exec(ctx, `DELETE FROM stage_scores`); err != nil {
				return err
			}
			return tx.Stage(ctx, "stage_scores", cols, len(res.History), firmRow(res.History, ho))
		}, `INSERT INTO score_history (` + scoreCols + `, model_version, scan_id, at)
			SELECT ` + scoreCols + `, CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT) FROM stage_scores s
			WHERE NOT EXISTS (SELECT 1 FROM score_history x WHERE x.uscc = s.uscc AND x.scan_id = CAST(? AS BIGINT))`,
			append(base, res.ScanID)},
		// Chain history compares with the results held, so it runs before they are
		// replaced.
		{len(res.Chains), func() error {
			return tx.Stage(ctx, "stage_chains", []string{"leader", "chain_risk", "supply_at_risk", "demand_at_risk",
				"members", "detail"}, len(res.Chains), func(i int, dst []any) {
				c := &res.Chains[i]
				dst[0], dst[1], dst[2], dst[3], dst[4], dst[5] = c.Leader, c.ChainRisk, c.SupplyAtRisk, c.DemandAtRisk,
					c.Members, string(c.Detail)
			})
		}, `INSERT INTO chain_history (leader, chain_risk, supply_at_risk, demand_at_risk, members, model_version, scan_id, at)
			SELECT s.leader, s.chain_risk, s.supply_at_risk, s.demand_at_risk, s.members, CAST(? AS TEXT),
				CAST(? AS BIGINT), CAST(? AS BIGINT)
			FROM stage_chains s LEFT JOIN chain_results c ON c.leader = s.leader
			WHERE (c.leader IS NULL OR ABS(s.chain_risk - c.chain_risk) >= CAST(? AS DOUBLE PRECISION)
				OR ABS(s.supply_at_risk - c.supply_at_risk) >= CAST(? AS DOUBLE PRECISION)
				OR ABS(s.demand_at_risk - c.demand_at_risk) >= CAST(? AS DOUBLE PRECISION))
			AND NOT EXISTS (SELECT 1 FROM chain_history x WHERE x.leader = s.leader AND x.scan_id = CAST(? AS BIGINT))`,
			append(base, ChainHistoryMin, ChainHistoryMin, ChainHistoryMin, res.ScanID)},
		{len(res.Chains), nil, `UPDATE chain_results SET chain_risk = s.chain_risk, supply_at_risk = s.supply_at_risk,
				demand_at_risk = s.demand_at_risk, members = s.members, detail = s.detail, model_version = CAST(? AS TEXT),
				scan_id = CAST(? AS BIGINT), updated_at = CAST(? AS BIGINT) FROM stage_chains s WHERE chain_results.leader = s.leader`, base},
		{len(res.Chains), nil, `INSERT INTO chain_results (` + chainCols + `, model_version, scan_id, updated_at)
			SELECT ` + chainCols + `, CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT) FROM stage_chains s
			WHERE NOT EXISTS (SELECT 1 FROM chain_results x WHERE x.leader = s.leader)`, base},
	}
	for _, st := range steps {
		if st.n == 0 {
			continue
		}
		if st.stage != nil {
			if err := st.stage(); err != nil {
				return fmt.Errorf("save results: stage: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("save results: %w", err)
		}
	}
	for _, leader := range res.DropChains {
		if _, err := tx.Exec(ctx, `DELETE FROM chain_results WHERE leader = ?`, leader); err != nil {
			return fmt.Errorf("save results: %w", err)
		}
	}
	for _, t := range []string{"stage_scores", "stage_chains"} {
		if _, err := tx.Exec(ctx, "DROP TABLE "+t); err != nil {
			return fmt.Errorf("save results: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("save results: %w", err)
	}
	return nil
}

// firmRow stages f's results (scoreCols), in order (byUSCC).
func firmRow(f []FirmResult, order []int32) func(int, []any) {
	return func(i int, dst []any) {
		r := &f[at32(order, i)]
		dst[0], dst[1], dst[2], dst[3], dst[4] = r.USCC, r.Score, r.Grade, r.P, r.D
	}
}

func scanFirmResult(r Rows, f *FirmResult, timeCol *int64) error {
	err := r.Scan(&f.USCC, &f.Score, &f.Grade, &f.P, &f.D, &f.ModelVersion, &f.ScanID, timeCol)
	f.UpdatedAt = time.UnixMilli(*timeCol).UTC()
	return err
}

// FirmResults streams every firm's latest result in USCC order.
func (s *SQL) FirmResults(ctx context.Context, fn func(*FirmResult) error) error {
	q := `SELECT ` + scoreCols + `, model_version, scan_id, updated_at FROM scores`
	if ok, err := eachBinary(ctx, s.d, q, nil, (*binRow).firmResult, fn); ok {
		return err
	}
	return s.each(ctx, q, nil,
		func(r Rows) error {
			var f FirmResult
			var t int64
			if err := scanFirmResult(r, &f, &t); err != nil {
				return err
			}
			return fn(&f)
		})
}

var firmResultQuery = `SELECT ` + scoreCols + `, model_version, scan_id, updated_at FROM scores WHERE uscc = ?`

// FirmResult returns one firm's latest result, or ErrNotFound.
func (s *SQL) FirmResult(ctx context.Context, uscc string) (*FirmResult, error) {
	var found *FirmResult
	err := s.each(ctx, firmResultQuery, []any{uscc}, func(r Rows) error {
		found = new(FirmResult)
		var t int64
		return scanFirmResult(r, found, &t)
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("result of %s: %w", uscc, ErrNotFound)
	}
	return found, nil
}

// historyArgs are the arguments of a history query after its key: the bounds of the
// entries' times (open ones as the extremes, so that the statement is one) and the
// limit.
func historyArgs(key string, f HistoryFilter) []any {
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !f.From.IsZero() {
		from = f.From.UnixMilli()
	}
	if !f.To.IsZero() {
		to = f.To.UnixMilli()
	}
	return []any{key, from, to, f.Limit}
}

// historyOrder ends a history query: newest first, scans of one millisecond by id.
const historyOrder = ` AND h.at >= ? AND h.at <= ? ORDER BY h.at DESC, h.scan_id DESC LIMIT ?`

const historyQuery = `SELECT h.uscc, h.scan_id, h.at, COALESCE(sc.trigger_name, ''), h.score, h.grade, h.p, h.d,
	h.model_version FROM score_history h LEFT JOIN scans sc ON sc.id = h.scan_id WHERE h.uscc = ?` + historyOrder

// historyRow appends each row of historyQuery to out.
func historyRow(out *[]HistoryEntry) func(Rows) error {
	return func(r Rows) error {
		var e HistoryEntry
		var at int64
		err := r.Scan(&e.USCC, &e.ScanID, &at, &e.Trigger, &e.Score, &e.Grade, &e.P, &e.D, &e.ModelVersion)
		e.At = time.UnixMilli(at).UTC()
		*out = append(*out, e)
		return err
	}
}

// History implements Store; the trigger comes from the scan's record.
func (s *SQL) History(ctx context.Context, uscc string, f HistoryFilter) ([]HistoryEntry, error) {
	var out []HistoryEntry
	err := s.each(ctx, historyQuery, historyArgs(uscc, f), historyRow(&out))
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", uscc, err)
	}
	return out, nil
}

// ChainHistory implements Store.
func (s *SQL) ChainHistory(ctx context.Context, leader string, f HistoryFilter) ([]ChainHistoryEntry, error) {
	var out []ChainHistoryEntry
	err := s.each(ctx, `SELECT h.leader, h.scan_id, h.at, COALESCE(sc.trigger_name, ''), h.chain_risk,
		h.supply_at_risk, h.demand_at_risk, h.members, h.model_version FROM chain_history h
		LEFT JOIN scans sc ON sc.id = h.scan_id WHERE h.leader = ?`+historyOrder,
		historyArgs(leader, f), func(r Rows) error {
			var e ChainHistoryEntry
			var at int64
			err := r.Scan(&e.Leader, &e.ScanID, &at, &e.Trigger, &e.ChainRisk, &e.SupplyAtRisk, &e.DemandAtRisk,
				&e.Members, &e.ModelVersion)
			e.At = time.UnixMilli(at).UTC()
			out = append(out, e)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("chain history of %s: %w", leader, err)
	}
	return out, nil
}

const chainSelect = `SELECT ` + "leader, chain_risk, supply_at_risk, demand_at_risk, members, detail" +
	`, model_version, scan_id, updated_at FROM chain_results`

func scanChainResult(r Rows) (ChainResult, error) {
	var c ChainResult
	var detail string
	var t int64
	err := r.Scan(&c.Leader, &c.ChainRisk, &c.SupplyAtRisk, &c.DemandAtRisk, &c.Members, &detail,
		&c.ModelVersion, &c.ScanID, &t)
	c.Detail, c.UpdatedAt = []byte(detail), time.UnixMilli(t).UTC()
	return c, err
}

// ChainResult returns a leader's latest chain result, or ErrNotFound.
func (s *SQL) ChainResult(ctx context.Context, leader string) (*ChainResult, error) {
	var found *ChainResult
	err := s.each(ctx, chainSelect+` WHERE leader = ?`, []any{leader}, func(r Rows) error {
		c, err := scanChainResult(r)
		found = &c
		return err
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("chain of %s: %w", leader, ErrNotFound)
	}
	return found, nil
}

// ChainResults streams every leader's latest chain result (Detail omitted) in leader order.
func (s *SQL) ChainResults(ctx context.Context, fn func(*ChainResult) error) error {
	return s.each(ctx, `SELECT leader, chain_risk, supply_at_risk, demand_at_risk, members, '', model_version,
		scan_id, updated_at FROM chain_results ORDER BY leader`, nil, func(r Rows) error {
		c, err := scanChainResult(r)
		if err != nil {
			return err
		}
		return fn(&c)
	})
}
