package store

import (
	"context"
	"errors"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// Store is chainrisk's persistence. Implementations are safe for concurrent use.
type Store interface {
	// BeginBatch opens an ingest batch: one transaction that stages rows, checks them
	// against the data already held, and merges the good ones on Commit. Batches are
	// serialised, so two batches never both pass the Σ purchase_share check.
	BeginBatch(ctx context.Context) (Batch, error)

	// Enterprises, Relations and Events stream the held data in no particular order
	// (whole-table scans skip sorting; a firm's events come in time order); fn's
	// error stops the stream and is returned.
	Enterprises(ctx context.Context, fn func(*credit.Enterprise) error) error
	Relations(ctx context.Context, fn func(*credit.Relation) error) error
	Events(ctx context.Context, filter EventFilter, fn func(*credit.Event) error) error

	// Subset reads what concerns the given firms (for incremental scans).
	Subset(ctx context.Context, usccs []string, activeAt time.Time) (*Subset, error)

	// ExpireEvents moves active events whose publicity period ended by now to expired,
	// and returns the firms they concern.
	ExpireEvents(ctx context.Context, now time.Time) ([]string, error)

	// Enterprise returns one firm, or ErrNotFound.
	Enterprise(ctx context.Context, uscc string) (*credit.Enterprise, error)

	// Counts returns how many rows each table holds.
	Counts(ctx context.Context) (Counts, error)

	// CreateScan records a new scan and assigns its ID; UpdateScan writes its progress.
	CreateScan(ctx context.Context, sc *Scan) error
	UpdateScan(ctx context.Context, sc *Scan) error
	// Scan returns one scan (ErrNotFound); Scans the newest first.
	Scan(ctx context.Context, id int64) (*Scan, error)
	Scans(ctx context.Context, limit int) ([]Scan, error)
	// QueuedScans lists the scans waiting to run, oldest first.
	QueuedScans(ctx context.Context) ([]Scan, error)
	// InterruptScans fails the scans a dead process left running and returns them.
	InterruptScans(ctx context.Context, reason string) ([]Scan, error)

	// SaveResults writes a scan's changed results in one transaction.
	SaveResults(ctx context.Context, res *Results) error
	FirmResults(ctx context.Context, fn func(*FirmResult) error) error // in no particular order
	FirmResult(ctx context.Context, uscc string) (*FirmResult, error)
	// History lists a firm's score history and ChainHistory a leader's chain
	// history: one entry per scan that changed them, newest first.
	History(ctx context.Context, uscc string, f HistoryFilter) ([]HistoryEntry, error)
	ChainHistory(ctx context.Context, leader string, f HistoryFilter) ([]ChainHistoryEntry, error)
	ChainResult(ctx context.Context, leader string) (*ChainResult, error)
	ChainResults(ctx context.Context, fn func(*ChainResult) error) error

	// Chain ESRI of the leading firms, written by the esri cron job (store/esri.go):
	// SaveESRI upserts results and deletes those of dropped leaders in one
	// transaction; ESRI returns one leader's (ErrNotFound); ESRIResults streams all
	// without their detail.
	SaveESRI(ctx context.Context, results []ESRIResult, drop []string) error
	ESRI(ctx context.Context, leader string) (*ESRIResult, error)
	ESRIResults(ctx context.Context, fn func(*ESRIResult) error) error

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Close releases the store; for the embedded store it also releases the data
	// directory's lock.
	Close() error

	// API tokens (store/tokens.go): only their SHA-256 is kept. CreateToken assigns
	// the ID (ErrTokenExists for a taken name); Tokens lists all by name; RevokeToken
	// and TokenByHash return ErrNotFound for unknown ones; TouchToken records use.
	CreateToken(ctx context.Context, t *Token) error
	Tokens(ctx context.Context) ([]Token, error)
	RevokeToken(ctx context.Context, name string) error
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	TouchToken(ctx context.Context, id int64, at time.Time) error

	// Alerts and their outbox (store/alerts.go). ApplyAlerts writes alert changes and
	// the notifications they cause in one transaction. Alerts lists (newest change
	// first), Alert returns one (ErrNotFound), both with their acknowledgements;
	// AckAlert acknowledges a firing one for an audience (ErrNotFound,
	// ErrAlertResolved); AlertCounts counts the firing ones.
	ApplyAlerts(ctx context.Context, ch *AlertChanges) error
	Alerts(ctx context.Context, f AlertFilter) ([]Alert, error)
	Alert(ctx context.Context, id string) (*Alert, error)
	AckAlert(ctx context.Context, id, audience, by string, at time.Time) error
	AlertCounts(ctx context.Context) ([]AlertCount, error)
	// DueNotifications returns the pending notifications due at now, per channel in
	// order, taking turns between owners and their channel types; NotificationDelivered and NotificationFailed record an attempt
	// (ErrNotFound when the notification is not pending); Deliveries lists entries
	// for the API, newest first; OutboxCounts counts pending and dead ones;
	// PruneNotifications deletes old delivered and dead ones.
	DueNotifications(ctx context.Context, now time.Time, perChannel, limit int) ([]OutboxEntry, error)
	NotificationDelivered(ctx context.Context, id string, attempts int, at time.Time) error
	NotificationFailed(ctx context.Context, id string, attempts int, next time.Time, lastError string, dead bool, at time.Time) error
	Deliveries(ctx context.Context, f DeliveryFilter) ([]OutboxEntry, error)
	OutboxCounts(ctx context.Context) (OutboxCounts, error)
	PruneNotifications(ctx context.Context, delivered, dead time.Time) (int64, error)
	// Silences: CreateSilence assigns the ID; Silences lists all; Silence and
	// ExpireSilence return ErrNotFound for unknown ones.
	CreateSilence(ctx context.Context, s *Silence) error
	Silences(ctx context.Context) ([]Silence, error)
	Silence(ctx context.Context, id string) (*Silence, error)
	ExpireSilence(ctx context.Context, id string, at time.Time) error
	// Subscriptions made through the API, keyed by name (ErrSubscriptionExists,
	// ErrNotFound).
	CreateSubscription(ctx context.Context, s *SubscriptionRecord) error
	UpdateSubscription(ctx context.Context, s *SubscriptionRecord) error
	DeleteSubscription(ctx context.Context, name string) error
	Subscription(ctx context.Context, name string) (*SubscriptionRecord, error)
	Subscriptions(ctx context.Context) ([]SubscriptionRecord, error)
	// RepairsSince returns the repairs recorded after t, with their events' firms.
	RepairsSince(ctx context.Context, t time.Time) ([]RepairedEvent, error)
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
	// ActiveAt, when set, keeps only events that count toward scores at that time.
	ActiveAt time.Time
}

// Counts is the number of rows per table.
type Counts struct {
	Enterprises  int64 `json:"enterprises"`
	Relations    int64 `json:"relations"`
	Events       int64 `json:"events"`
	ActiveEvents int64 `json:"active_events"`
	Repairs      int64 `json:"repairs"`
}

// Chunk is a run of rows of one kind that passed the per-record checks, with the input
// line each came from. Exactly one of the slices is set, matching Kind.
type Chunk struct {
	Kind        credit.Kind
	Lines       []int
	Enterprises []credit.Enterprise
	Relations   []credit.Relation
	Events      []credit.Event
	Repairs     []credit.Repair
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
	Rows int64 `json:"rows"`
	// Changed is how many rows were inserted or really updated.
	Changed int64 `json:"changed"`
	// Touched lists the firms whose data, relations or events changed, for incremental
	// scans; TouchedAll is set instead when more than MaxTouched changed.
	Touched    []string `json:"-"`
	TouchedAll bool     `json:"-"`
}

// Subset is what the store holds about a set of firms: their rows, every relation
// they are a party to, and their events active at a given time.
type Subset struct {
	Enterprises []credit.Enterprise
	Relations   []credit.Relation
	Events      []credit.Event
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
