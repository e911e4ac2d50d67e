package store

import (
	"context"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// The roles of the store: Store is all of them, and each consumer asks for the ones
// it uses (ingest the data, the engine the data, scans, results and ESRI, the alert
// worker the outbox, ...).

// DataStore holds the credit data: the firms, their relations, events, repairs and
// shareholdings, written by ingest batches and read by the scans.
type DataStore interface {
	// BeginBatch opens an ingest batch: one transaction that stages rows, checks them
	// against the data already held, and merges the good ones on Commit. Batches are
	// serialised, so two batches never both pass the Σ purchase_share or Σ share check.
	BeginBatch(ctx context.Context) (Batch, error)
	// BeginSupplyBatch opens a batch of the relations one leader supplies itself
	// (store/supplied.go): its rows go to the leader's supplied relations, beside the
	// registry's and never over them.
	BeginSupplyBatch(ctx context.Context, o SupplyOptions) (Batch, error)

	// Enterprises, Relations and Events stream the held data in no particular order
	// (whole-table scans skip sorting; a firm's events come in time order); fn's
	// error stops the stream and is returned.
	Enterprises(ctx context.Context, fn func(*credit.Enterprise) error) error
	Relations(ctx context.Context, fn func(*credit.Relation) error) error
	// SuppliedRelations streams every relation a leader supplied itself, with Source
	// and SalesShareEstimated set, in no particular order and whatever its validity
	// period (as Relations).
	SuppliedRelations(ctx context.Context, fn func(*credit.Relation) error) error
	// ListRelations streams the registry's relations and then the supplied ones that f
	// selects, each in key order (the API's list).
	ListRelations(ctx context.Context, f RelationFilter, fn func(*credit.Relation) error) error
	// WithdrawSupplied deletes the relation a leader (source) supplied for its own
	// purchases from supplier; ErrNotFound when it holds none.
	WithdrawSupplied(ctx context.Context, source, supplier string) error
	Events(ctx context.Context, filter EventFilter, fn func(*credit.Event) error) error
	// Shareholdings streams every holding held, current or ended, in no particular
	// order.
	Shareholdings(ctx context.Context, fn func(*credit.Shareholding) error) error

	// Subset reads what concerns the given firms (for incremental scans).
	Subset(ctx context.Context, usccs []string, activeAt time.Time) (*Subset, error)

	// ExpireEvents moves active events whose publicity period ended by now to expired,
	// and returns the firms they concern.
	ExpireEvents(ctx context.Context, now time.Time) ([]string, error)

	// Enterprise returns one firm, or ErrNotFound.
	Enterprise(ctx context.Context, uscc string) (*credit.Enterprise, error)

	// Counts returns how many rows each table holds.
	Counts(ctx context.Context) (Counts, error)

	// RepairsSince returns the repairs recorded after t, with their events' firms.
	RepairsSince(ctx context.Context, t time.Time) ([]RepairedEvent, error)

	// ChangedFirms returns the firms of the input rows (firms, relations, events,
	// repairs, holdings, supplied relations) whose updated_at is after since, each
	// once; false, and no firms, when more than limit changed (store/changes.go).
	ChangedFirms(ctx context.Context, since time.Time, limit int) ([]string, bool, error)
	// DataMark returns the clock that stamps updated_at, read as a read of the
	// input tables begins: what ChangedFirms is asked from next time.
	DataMark(ctx context.Context) (time.Time, error)
}

// ScanStore records the scans: the queue of those waiting and the runs of the others.
type ScanStore interface {
	// CreateScan records a new scan and assigns its ID; UpdateScan writes its progress.
	CreateScan(ctx context.Context, sc *Scan) error
	UpdateScan(ctx context.Context, sc *Scan) error
	// Scan returns one scan (ErrNotFound); Scans the newest first.
	Scan(ctx context.Context, id int64) (*Scan, error)
	Scans(ctx context.Context, limit int) ([]Scan, error)
	// ScansBefore lists, newest first, at most limit scans whose ID is below before (0:
	// from the newest): a page of the list.
	ScansBefore(ctx context.Context, before int64, limit int) ([]Scan, error)
	// QueuedScans lists the scans waiting to run, oldest first.
	QueuedScans(ctx context.Context) ([]Scan, error)
	// InterruptScans fails the scans a dead process left running and returns them.
	InterruptScans(ctx context.Context, reason string) ([]Scan, error)
}

// ResultStore holds what the scans computed: the firms' and chains' latest results
// and their history.
type ResultStore interface {
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
}

// ESRIStore holds the chain ESRI of the leading firms, written by the esri cron job
// (store/esri.go).
type ESRIStore interface {
	// SaveESRI upserts results and deletes those of dropped leaders in one
	// transaction.
	SaveESRI(ctx context.Context, results []ESRIResult, drop []string) error
	// ESRI returns one leader's result (ErrNotFound).
	ESRI(ctx context.Context, leader string) (*ESRIResult, error)
	// ESRIHeader returns one leader's result without its detail (ErrNotFound).
	ESRIHeader(ctx context.Context, leader string) (*ESRIResult, error)
	// ESRIResults streams all results without their detail.
	ESRIResults(ctx context.Context, fn func(*ESRIResult) error) error
}

// CheckStore keeps the reports of investment-attraction checks (store/checks.go).
type CheckStore interface {
	// SaveCheckReports records reports in one transaction, assigning their IDs in
	// order (and CheckedAt when zero).
	SaveCheckReports(ctx context.Context, reports []*CheckReport) error
	// CheckReport returns one report (ErrNotFound).
	CheckReport(ctx context.Context, id int64) (*CheckReport, error)
	// CheckReports lists reports, newest first.
	CheckReports(ctx context.Context, f CheckReportFilter) ([]CheckReport, error)
}

// TokenStore holds the API tokens (store/tokens.go): only their SHA-256 is kept.
type TokenStore interface {
	// CreateToken assigns the ID (ErrTokenExists for a taken name).
	CreateToken(ctx context.Context, t *Token) error
	// Tokens lists all by name.
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken and TokenByHash return ErrNotFound for unknown tokens.
	RevokeToken(ctx context.Context, name string) error
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	// TouchToken records use.
	TouchToken(ctx context.Context, id int64, at time.Time) error
}

// UISessionStore holds the web console's sessions (store/uisessions.go).
type UISessionStore interface {
	// CreateUISession records a session.
	CreateUISession(ctx context.Context, u *UISession) error
	// UISession returns a session and its token (ErrNotFound).
	UISession(ctx context.Context, idHash string) (*UISession, *Token, error)
	// TouchUISession moves its last use and expiry forward (ErrNotFound).
	TouchUISession(ctx context.Context, idHash string, seen, expires time.Time) error
	// DeleteUISession signs out; DeleteExpiredUISessions sweeps.
	DeleteUISession(ctx context.Context, idHash string) error
	DeleteExpiredUISessions(ctx context.Context, now time.Time) (int64, error)
}

// AlertStore holds the alerts and their acknowledgements (store/alerts.go).
type AlertStore interface {
	// ApplyAlerts writes alert changes and the notifications they cause in one
	// transaction.
	ApplyAlerts(ctx context.Context, ch *AlertChanges) error
	// Alerts lists (newest change first), Alert returns one (ErrNotFound), both with
	// their acknowledgements.
	Alerts(ctx context.Context, f AlertFilter) ([]Alert, error)
	Alert(ctx context.Context, id string) (*Alert, error)
	// AckAlert acknowledges a firing one for an audience (ErrNotFound,
	// ErrAlertResolved).
	AckAlert(ctx context.Context, id, audience, by string, at time.Time) error
	// AlertCounts counts the firing ones.
	AlertCounts(ctx context.Context) ([]AlertCount, error)
}

// WorkflowStore keeps what each principal records about alerts, per audience as
// acknowledgements are: its verdicts (feedback) and its incident workflow
// (store/workflow.go). Alert reads select on an audience's own and give them
// (AlertFilter.Own).
type WorkflowStore interface {
	// SetFeedback records an audience's verdict, replacing its previous one
	// (ErrNotFound).
	SetFeedback(ctx context.Context, f *AlertFeedback) error
	// Feedback lists verdicts with their alerts, newest first (the review list).
	Feedback(ctx context.Context, f FeedbackFilter) ([]FeedbackEntry, error)
	// AlertMutes lists the verdicts that mute an alert for their audience.
	AlertMutes(ctx context.Context) ([]AlertFeedback, error)
	// UpdateWorkflow changes an audience's status, assignee and notes of an alert
	// (ErrNotFound, ErrTooManyNotes).
	UpdateWorkflow(ctx context.Context, id, audience string, ch WorkflowChange) error
	// FillOwn reads an audience's own records of the listed alerts into them
	// (Alert.Feedback, Alert.Workflow), and nobody else's.
	FillOwn(ctx context.Context, list []Alert, audience string) error
}

// OutboxStore holds the notifications waiting for delivery and the record of those
// delivered or dead (store/outbox.go). ApplyAlerts appends to it.
type OutboxStore interface {
	// DueNotifications returns the pending notifications due at now, per channel in
	// order, taking turns between owners and their channel types.
	DueNotifications(ctx context.Context, now time.Time, perChannel, limit int) ([]OutboxEntry, error)
	// NotificationDelivered and NotificationFailed record an attempt (ErrNotFound
	// when the notification is not pending).
	NotificationDelivered(ctx context.Context, id string, attempts int, at time.Time) error
	NotificationFailed(ctx context.Context, id string, attempts int, next time.Time, lastError string, dead bool, at time.Time) error
	// Deliveries lists entries for the API, newest first.
	Deliveries(ctx context.Context, f DeliveryFilter) ([]OutboxEntry, error)
	// OutboxCounts counts pending and dead ones.
	OutboxCounts(ctx context.Context) (OutboxCounts, error)
	// PruneNotifications deletes old delivered and dead ones.
	PruneNotifications(ctx context.Context, delivered, dead time.Time) (int64, error)
}

// SilenceStore holds the silences (store/silences.go).
type SilenceStore interface {
	// CreateSilence assigns the ID; Silences lists all; Silence and ExpireSilence
	// return ErrNotFound for unknown ones.
	CreateSilence(ctx context.Context, s *Silence) error
	Silences(ctx context.Context) ([]Silence, error)
	Silence(ctx context.Context, id string) (*Silence, error)
	ExpireSilence(ctx context.Context, id string, at time.Time) error
}

// SubscriptionStore holds the subscriptions made through the API, keyed by name
// (store/subscriptions.go; ErrSubscriptionExists, ErrNotFound).
type SubscriptionStore interface {
	CreateSubscription(ctx context.Context, s *SubscriptionRecord) error
	UpdateSubscription(ctx context.Context, s *SubscriptionRecord) error
	DeleteSubscription(ctx context.Context, name string) error
	Subscription(ctx context.Context, name string) (*SubscriptionRecord, error)
	Subscriptions(ctx context.Context) ([]SubscriptionRecord, error)
	// SaveSnapshot and SnapshotsSent record the subscriptions' snapshots (by name,
	// config file's and stored alike): SaveSnapshot enqueues a snapshot's
	// notifications and records it sent, in one transaction; SnapshotsSent lists
	// when each recorded one was last sent.
	SaveSnapshot(ctx context.Context, name string, at time.Time, notifications []OutboxEntry, once bool) (bool, error)
	SnapshotsSent(ctx context.Context) (map[string]time.Time, error)
}

// DigestStore holds what digest subscriptions get later (store/digests.go): the alert
// changes held for their next digest, which ApplyAlerts writes with the changes, and
// the time of each subscription's last digest.
type DigestStore interface {
	// DigestMarks lists every subscription with a last digest time or held items.
	DigestMarks(ctx context.Context) ([]DigestMark, error)
	// DigestItems lists a subscription's held items, in order.
	DigestItems(ctx context.Context, subscription string) ([]DigestItem, error)
	// ApplyDigest writes one digest in one transaction: its outbox messages, the
	// consumption of its items and its time (or, with Drop, forgets the subscription).
	ApplyDigest(ctx context.Context, d *Digest) error
}
