package store

import (
	"context"
	"errors"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// Store is chainrisk's persistence: every role of roles.go, and the store's own
// life. Implementations are safe for concurrent use.
type Store interface {
	DataStore
	ScanStore
	ResultStore
	ESRIStore
	CheckStore
	TokenStore
	UISessionStore
	AlertStore
	WorkflowStore
	OutboxStore
	DigestStore
	SilenceStore
	SubscriptionStore

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Close releases the store; for the embedded store it also releases the data
	// directory's lock.
	Close() error
}

// ErrNotFound is returned when a keyed lookup finds nothing.
var ErrNotFound = errors.New("not found")

// ErrFenced is returned for a write only the leader makes (results, alert changes,
// scan records) by a replica that is not, or no longer, the leader: another replica
// took over while this one was cut off or frozen, and its view is stale.
var ErrFenced = errors.New("fenced: this replica is not the leader (another replica took over)")

// EventFilter selects events to stream. Zero values select everything.
type EventFilter struct {
	USCC string
	// USCCs, when not empty, keeps only the events of these firms (read in chunks,
	// each in firm and time order).
	USCCs []string
	// ActiveAt, when set, keeps only events that count toward scores at that time.
	ActiveAt time.Time
	// Recent, when its Types are set, keeps the events of those types that occurred
	// at or after its Since, whatever their state; with ActiveAt, the events either
	// of the two keeps, in one pass over the table.
	Recent RecentFilter
}

// RecentFilter selects the events of some types since a time (EventFilter.Recent).
type RecentFilter struct {
	Types []string
	Since time.Time
}

// Counts is the number of rows per table.
type Counts struct {
	Enterprises  int64
	Relations    int64
	Events       int64
	ActiveEvents int64
	Repairs      int64
	// Shareholdings counts every holding held, current or ended.
	Shareholdings int64
}

// Chunk is a run of rows of one kind that passed the per-record checks, with the input
// line each came from. Exactly one of the slices is set, matching Kind.
type Chunk struct {
	Kind          credit.Kind
	Lines         []int
	Enterprises   []credit.Enterprise
	Relations     []credit.Relation
	Events        []credit.Event
	Repairs       []credit.Repair
	Shareholdings []credit.Shareholding
}

// Len returns the number of rows in the chunk.
func (c *Chunk) Len() int { return len(c.Lines) }

// RowError is a row the store refused, found by a check that needs the whole batch or
// the data already held (duplicate key, unknown firm, Σ purchase_share > 1, ...).
type RowError struct {
	Kind   credit.Kind
	Line   int
	Field  string
	Reason string
}

// Batch is an open ingest batch. Stage may be called many times (inputs stream in
// chunks); then Check once, then Commit or Rollback.
type Batch interface {
	// Stage copies rows into the batch's staging area.
	Stage(ctx context.Context, c *Chunk) error
	// Check validates the staged rows against each other and the held data and drops
	// the bad ones from staging. It returns every refused row, in kind and line order.
	Check(ctx context.Context) ([]RowError, error)
	// Commit merges the remaining staged rows into the store (idempotent upserts by
	// key) and commits. After Commit returns nil the rows are durable.
	Commit(ctx context.Context) (Applied, error)
	// Rollback discards the batch; it is safe to call after Commit.
	Rollback(ctx context.Context) error
}

// Applied says what a committed batch changed. Rows re-sent unchanged are not counted
// in Changed, so re-importing the same data reports zero changes.
type Applied struct {
	// Rows is how many staged rows survived the checks and were merged.
	Rows int64
	// Changed is how many rows were inserted or really updated.
	Changed int64
	// Touched lists the firms whose data, relations, events or holdings (as investee or
	// firm holder) changed, for incremental scans; TouchedAll is set instead when more
	// than MaxTouched changed.
	Touched    []string
	TouchedAll bool
}

// Subset is what the store holds about a set of firms: their rows, every relation
// they are a party to, their events active at a given time, and every holding (current
// or ended) in which one of them is the investee or the holder.
type Subset struct {
	Enterprises   []credit.Enterprise
	Relations     []credit.Relation
	Events        []credit.Event
	Shareholdings []credit.Shareholding
	// Supplied are the relations leaders supplied themselves (Source and
	// SalesShareEstimated set) whose customer is one of the firms.
	Supplied []credit.Relation
}

// RepairedEvent is a repair with the event it repaired.
type RepairedEvent struct {
	EventID    string
	USCC       string
	Type       string
	RepairedAt time.Time
	DecidedBy  string
	Reason     string
	// RecordedAt is when the repair was stored (or last changed).
	RecordedAt time.Time
}
