package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// Delivery (docs/alerts.md, docs/reliability.md). The Worker polls the outbox for due notifications — owners
// (tenants; admins and the config file counting as one) and their channel types
// taking turns, oldest first within a turn — and sends each destination's (channel
// key's) batch on a goroutine of its own. HTTP sends are bounded twice: Concurrency at once in all, and
// OwnerConcurrency at once per owner, so that one owner's slow or hanging receivers
// hold a few slots and leave the rest to everyone else; the log channel takes no slot
// at all. A notification is marked delivered only after its send returned ok: a worker
// stopped mid-flight leaves it pending and the next one sends it again (receivers
// de-duplicate on the Idempotency-Key). A failed attempt — an error answer, a refused
// connection or a receiver that never answers, which costs one request timeout — waits
// an exponential backoff with full jitter (at least the receiver's Retry-After), and
// the destination's later notifications wait behind it, so a receiver that comes back
// gets them in order; a notification dies after max_attempts attempts or at the first
// permanent refusal. Sends the notifiers did not make (rate limited by us, not sent
// after an earlier failure of the batch) are not attempts. Tenants' notifications go
// through an HTTP client whose dialer enforces the outbound policy (outbound.go).

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	// Store is the outbox the worker delivers.
	Store store.OutboxStore
	// Config returns the config in force: backoff, max_attempts, rate limits, host
	// allow-list; required.
	Config func() *config.Config
	// Active gates delivery: only the leader replica delivers. nil means always.
	Active func() bool
	Logger *slog.Logger
	// Clock is the time source for scheduling, signatures and rate limits; nil means
	// the system clock.
	Clock notify.Clock
	// HTTPClient sends the notifiers' requests (nil: their own); Timeout bounds one
	// request (0: 10 s). Tenants' notifications go through a copy of it whose dialer
	// enforces the outbound policy: its Transport must be nil or an *http.Transport.
	HTTPClient *http.Client
	Timeout    time.Duration
	// Resolver resolves receivers' host names for tenants' notifications; nil means
	// the system's.
	Resolver *net.Resolver
	// ResendInterval is the resend_alerts job's period (the endsAt of firing alerts
	// posted to Alertmanager); 0 means 1 m.
	ResendInterval time.Duration
	// Limiter is shared by every notifier; nil gives the worker one of its own.
	Limiter *notify.Limiter
	Metrics *Metrics
	// PollInterval is how often the outbox is polled besides wake-ups; 0 means 1 s.
	PollInterval time.Duration
	// Concurrency bounds the HTTP sends (one destination's batch each) at once; 0
	// means 32.
	Concurrency int
	// OwnerConcurrency bounds the HTTP sends at once to one owner's destinations; 0
	// means Concurrency/8, at least 1.
	OwnerConcurrency int
	// BatchSize bounds the notifications sent to one destination in one go (bots
	// merge them into few messages); 0 means 20.
	BatchSize int
	// SendTimeout bounds one batch, rate-limit waits included; 0 means 30 s.
	SendTimeout time.Duration
	// Jitter returns a random duration in [0, n] nanoseconds; nil uses math/rand/v2.
	Jitter func(n int64) int64
}

// Worker delivers the outbox.
type Worker struct {
	o    WorkerOptions
	lim  *notify.Limiter
	wake chan struct{}
	wg   sync.WaitGroup
	// guarded sends tenants' notifications (guardTr is its transport, closed when Run
	// returns); guardErr says why there is none.
	guarded  *http.Client
	guardTr  *http.Transport
	guardErr error

	mu      sync.Mutex
	busy    map[string]bool // channel keys being sent to
	sending int             // HTTP sends in flight
	owners  map[string]int  // HTTP sends in flight by owner
	// A dispatch must not start a send from rows read before a send to the same
	// destination finished (they may be delivered by now): each dispatch takes an
	// epoch before it reads, and each finished send stamps its key with the epoch.
	epoch     uint64
	finished  map[string]uint64
	notifiers map[string]notify.Notifier
	nfCfg     *config.Config // the config the notifiers were built with
}

// NewWorker returns a worker; Run starts it.
func NewWorker(o WorkerOptions) *Worker {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = notify.SystemClock{}
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.OwnerConcurrency <= 0 {
		o.OwnerConcurrency = max(1, o.Concurrency/8)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 20
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 30 * time.Second
	}
	if o.Jitter == nil {
		o.Jitter = func(n int64) int64 { return rand.Int64N(n + 1) }
	}
	lim := o.Limiter
	if lim == nil {
		lim = notify.NewLimiter(o.Clock)
	}
	w := &Worker{o: o, lim: lim, wake: make(chan struct{}, 1), busy: map[string]bool{}, owners: map[string]int{},
		finished: map[string]uint64{}}
	policy := func() notify.TargetPolicy { return o.Config().Alerts }
	w.guarded, w.guardTr, w.guardErr = notify.GuardedClient(o.HTTPClient, policy, o.Resolver)
	return w
}

// Wake makes the worker poll now (new notifications were enqueued).
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the sends in flight to return. Those
// cut short stay pending.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	if w.guardTr != nil {
		defer w.guardTr.CloseIdleConnections()
	}
	defer w.wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-t.C:
		}
		if w.o.Active == nil || w.o.Active() {
			w.dispatch(ctx)
		}
		t.Reset(w.o.PollInterval)
	}
}

// dispatch reads the due notifications and starts a send for each destination that
// is not busy, within the bounds on HTTP sends. The store's list takes turns between
// owners and channel types, and so do the destinations here, in its order.
func (w *Worker) dispatch(ctx context.Context) {
	w.mu.Lock()
	if len(w.finished) > 4096 {
		w.finished = map[string]uint64{} // no dispatch is reading now: nothing stale to guard
	}
	w.epoch++
	epoch := w.epoch
	w.mu.Unlock()
	rows, err := w.o.Store.DueNotifications(ctx, w.o.Clock.Now(), w.o.BatchSize, 4*w.o.Concurrency*w.o.BatchSize)
	if err != nil {
		if ctx.Err() == nil {
			w.o.Logger.Warn("outbox: reading due notifications failed", "err", err)
		}
		return
	}
	var keys []string
	groups := make(map[string][]store.OutboxEntry)
	for _, r := range rows {
		if groups[r.ChannelKey] == nil {
			keys = append(keys, r.ChannelKey)
		}
		groups[r.ChannelKey] = append(groups[r.ChannelKey], r)
	}
	for _, key := range keys {
		rows := groups[key]
		owner := rows[0].Owner
		// The log channel writes a line: it needs no slot, and waits for nobody's.
		slot := !local(rows[0].ChannelType)
		w.mu.Lock()
		if w.busy[key] || w.finished[key] >= epoch ||
			slot && (w.sending >= w.o.Concurrency || w.owners[owner] >= w.o.OwnerConcurrency) {
			w.mu.Unlock()
			continue
		}
		w.busy[key] = true
		if slot {
			w.sending++
			w.owners[owner]++
		}
		w.mu.Unlock()
		w.wg.Go(func() {
			w.send(ctx, rows)
			w.mu.Lock()
			delete(w.busy, key)
			if slot {
				w.sending--
				if w.owners[owner]--; w.owners[owner] == 0 {
					delete(w.owners, owner)
				}
			}
			w.finished[key] = w.epoch
			w.mu.Unlock()
			w.Wake() // the destination may have more, and the slot is free
		})
	}
}

// notifier returns the notifier of a destination, built once per config. A tenant's
// (owner set) sends through the guarded client.
func (w *Worker) notifier(key string, ch config.Channel, owner string) (notify.Notifier, error) {
	client := w.o.HTTPClient
	if owner != "" && !local(ch.Type) && !viaSMTP(ch.Type) {
		if w.guardErr != nil {
			return nil, w.guardErr
		}
		client = w.guarded
		key += "\x00tenant"
	}
	cfg := w.o.Config()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.nfCfg != cfg || len(w.notifiers) > 4096 {
		w.notifiers, w.nfCfg = map[string]notify.Notifier{}, cfg
	}
	if n := w.notifiers[key]; n != nil {
		return n, nil
	}
	opts := notify.Options{
		HTTPClient:     client,
		Timeout:        w.o.Timeout,
		Logger:         w.o.Logger,
		Rates:          notifyRates(cfg.Alerts.RateLimits.For(ch.Type)),
		Limiter:        w.lim,
		HostAllowed:    cfg.Alerts.HostAllowed,
		Clock:          w.o.Clock,
		ResendInterval: w.o.ResendInterval,
	}
	if viaSMTP(ch.Type) {
		srv, err := cfg.Alerts.SMTP.Server()
		if err != nil {
			// The path and the cause are the admin's: tenants read up to DetailSep.
			return nil, errors.New("alerts: email channel: alerts.smtp cannot be used" + notify.DetailSep + err.Error())
		}
		opts.SMTP = srv
	}
	n, err := notify.New(notifyChannel(ch), opts)
	if err != nil {
		return nil, err
	}
	w.notifiers[key] = n
	return n, nil
}

// local says whether a channel type delivers inside the process (the log): no HTTP
// request, so no send slot, no guarded client.
func local(typ string) bool {
	k, _ := notify.Lookup(typ)
	return k.Local
}

// viaSMTP says whether a channel type sends through alerts.smtp (e-mail): no HTTP
// client, so no guarded one either; the server is the admin's.
func viaSMTP(typ string) bool {
	k, _ := notify.Lookup(typ)
	return k.Mail
}

// notifyChannel is a channel's config as notify takes it.
func notifyChannel(ch config.Channel) notify.Channel {
	n := notify.Channel{Type: ch.Type, URL: ch.URL, Secret: ch.Secret, To: ch.To}
	for _, u := range ch.URLs {
		n.URLs = append(n.URLs, u)
	}
	return n
}

// notifyRates are rate limits as notify takes them.
func notifyRates(rates []config.Rate) []notify.Rate {
	out := make([]notify.Rate, len(rates))
	for i, r := range rates {
		out[i] = notify.Rate(r)
	}
	return out
}

// recordTimeout bounds the store writes that record a batch's outcomes.
const recordTimeout = 10 * time.Second

// recording returns the context outcomes are recorded with: made when they are known,
// after the send — a receiver that held the send until its timeout must not leave
// nothing but an expired context to record that with — and kept when ctx ends, since
// a notification that went out must not go out again for want of its mark.
func recording(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

// send makes one attempt at a destination's batch and records the outcome of each
// notification.
func (w *Worker) send(ctx context.Context, rows []store.OutboxEntry) {
	cfg := w.o.Config()
	kind := rows[0].ChannelType
	fail := func(rows []store.OutboxEntry, why string) {
		rec, cancel := recording(ctx)
		defer cancel()
		for _, r := range rows {
			w.record(rec, r, notify.Result{Err: errors.New(why)}, cfg, kind)
		}
	}
	// A destination shared by a tenant's subscription and an admin's is sent to under
	// the policy of its oldest notification's owner; the others wait their turn.
	tenant := rows[0].Owner != ""
	for i, r := range rows {
		if (r.Owner != "") != tenant && !local(kind) {
			rows = rows[:i]
			break
		}
	}
	var spec channelSpec
	if err := json.Unmarshal(rows[0].Channel, &spec); err != nil {
		fail(rows, "unreadable channel config in the outbox")
		return
	}
	if tenant && kind == notify.TypeEmail {
		// The domains tenants may mail are checked when a subscription is saved, and
		// again here: an operator who strikes a domain off stops its mail at once.
		for _, to := range spec.To {
			if !cfg.Alerts.SMTP.TenantMayMail(to) {
				fail(rows, "a recipient's domain is not one of alerts.smtp.tenant_domains, which tenants' mail may go to")
				return
			}
		}
	}
	nt, err := w.notifier(rows[0].ChannelKey, spec.channel(), rows[0].Owner)
	if err != nil {
		fail(rows, err.Error()) // NewNotifier shows URLs as scheme and host only
		return
	}
	var batch []*notify.Notification
	var sent []store.OutboxEntry
	for _, r := range rows {
		n, err := decodeNotification(r.Payload)
		if err != nil {
			fail([]store.OutboxEntry{r}, "unreadable notification in the outbox")
			continue
		}
		n.ID, n.AlertID = r.ID, r.AlertID
		batch, sent = append(batch, n), append(sent, r)
	}
	if len(batch) == 0 {
		return
	}
	sctx, scancel := context.WithTimeout(ctx, w.o.SendTimeout)
	start := time.Now()
	results := nt.Send(sctx, batch)
	elapsed := time.Since(start)
	scancel()
	rec, cancel := recording(ctx)
	defer cancel()
	stopping := ctx.Err() != nil
	var first error // the first failed attempt of the batch
	for i, r := range results {
		row := sent[i]
		switch {
		case r.OK():
			w.o.Metrics.observeDelivery(kind, elapsed)
			w.record(rec, row, r, cfg, kind)
		case stopping:
			// Cut short by shutdown: not the receiver's fault, not an attempt.
		case first != nil && r.Err != first && errors.Is(r.Err, first):
			// Not sent: an earlier notification of the batch failed first. It waits
			// behind that one.
		default:
			var rl *notify.RateLimitedError
			if errors.As(r.Err, &rl) {
				w.postpone(rec, row, r.RetryAfter)
				continue
			}
			if first == nil {
				first = r.Err
			}
			w.record(rec, row, r, cfg, kind)
		}
	}
}

// postpone moves a notification our own rate limiter held back, without counting an
// attempt.
func (w *Worker) postpone(ctx context.Context, r store.OutboxEntry, wait time.Duration) {
	now := w.o.Clock.Now()
	if err := w.o.Store.NotificationFailed(ctx, r.ID, r.Attempts, now.Add(max(wait, time.Second)), r.LastError, false, now); err != nil {
		w.o.Logger.Warn("outbox: postponing a notification failed", "id", r.ID, "err", err)
	}
}

// record writes the outcome of one attempt.
func (w *Worker) record(ctx context.Context, r store.OutboxEntry, res notify.Result, cfg *config.Config, kind string) {
	now := w.o.Clock.Now()
	attempts := r.Attempts + 1
	log := w.o.Logger.With("id", r.ID, "alert", r.AlertID, "subscription", r.Subscription, "channel", kind,
		"channel_index", r.ChannelIndex, "attempts", attempts)
	if res.OK() {
		if err := w.o.Store.NotificationDelivered(ctx, r.ID, attempts, now); err != nil {
			log.Warn("outbox: a delivered notification could not be marked; it will be sent again", "err", err)
		}
		w.o.Metrics.count(kind, resultDelivered)
		log.Debug("notification delivered")
		return
	}
	maxAttempts := cfg.Alerts.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 12
	}
	dead := !res.Retryable || attempts >= maxAttempts
	next := now
	if !dead {
		next = now.Add(max(w.backoff(cfg.Alerts.Backoff, attempts), res.RetryAfter))
	}
	msg := res.Err.Error()
	if err := w.o.Store.NotificationFailed(ctx, r.ID, attempts, next, msg, dead, now); err != nil {
		log.Warn("outbox: a failed attempt could not be recorded", "err", err)
	}
	if dead {
		w.o.Metrics.count(kind, resultDead)
		log.Error("notification dead-lettered", "err", msg, "retryable", res.Retryable)
		return
	}
	w.o.Metrics.count(kind, resultFailed)
	log.Warn("notification delivery failed; will retry", "err", msg, "next_attempt_at", next)
}

// backoff is the wait after the attempts-th failed attempt: full jitter over
// initial × 2^(attempts−1), capped at max.
func (w *Worker) backoff(b config.BackoffConfig, attempts int) time.Duration {
	initial, ceiling := b.Initial, b.Max
	if initial <= 0 {
		initial = 10 * time.Second
	}
	if ceiling < initial {
		ceiling = max(initial, 30*time.Minute)
	}
	d := ceiling
	if attempts <= 40 {
		if x := initial << (attempts - 1); x > 0 && x < ceiling {
			d = x
		}
	}
	return time.Duration(w.o.Jitter(int64(d)))
}
