package noise

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/store"
)

// Options configure a measurement.
type Options struct {
	// Dir receives the worlds' stores and generated files.
	Dir string
	// Firms sizes the generated province, Leaders its leading firms (0: the
	// generator's default, one per thousand firms), each of which subscribes to its
	// chain. Seed seeds the province and the daily batches.
	Firms, Leaders int
	Seed           uint64
	// Days is the length of the simulated month.
	Days int
	// Digest, when set ("daily"), is given to every subscription as its digest
	// period, where config.Subscription has a Digest field.
	Digest string
	// Repeats says how resend_alerts runs: RepeatsDaily or RepeatsEnd.
	Repeats string
	Logger  *slog.Logger
	// Progress, when set, is told what the run is doing.
	Progress func(msg string, args ...any)
}

// How resend_alerts runs in the simulated month (Options.Repeats).
const (
	// RepeatsDaily runs it every half hour of every day, as a daemon does (every
	// minute by default): repeats are counted for the whole month.
	RepeatsDaily = "daily"
	// RepeatsEnd runs it once, at the end of the month, so that every firing alert
	// is due: what it sends is one day's repeats. Writing a month of repeats in a
	// large province takes far longer than the rest of the run.
	RepeatsEnd = "end"
)

// WorldResult is what one world produced.
type WorldResult struct {
	Name, Describe string
	// Subscriptions names every subscription, in the config's order.
	Subscriptions []string
	Changes       map[string]*Changes
	Tally         *Tally
	// Accepted and Rejected count ingested rows by phase.
	Accepted, Rejected map[string]int
	Elapsed            time.Duration
}

// Result is a whole measurement.
type Result struct {
	Options Options
	Worlds  []*WorldResult
	// DigestNote says what became of Options.Digest.
	DigestNote string
	Elapsed    time.Duration
	// LoadStart is the machine's load average when the run began.
	LoadStart string
}

// Run measures both worlds: the demo, then the generated province.
func Run(ctx context.Context, o Options) (*Result, error) {
	began := time.Now()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = func(string, ...any) {}
	}
	res := &Result{Options: o, LoadStart: loadAvg()}
	dw := &world{name: "demo", files: demo.FS(), start: demo.AnchorTime().Add(10 * time.Hour), demo: true,
		describe: "`chainriskd -demo`: the demo data set loaded as one batch, first scan announced; " +
			"the demo's subscription (everything, to the log)"}
	wr, err := runWorld(ctx, o, dw, demoSubscriptions)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	res.Worlds = append(res.Worlds, wr)

	pdir := filepath.Join(o.Dir, "province-data")
	popts := demo.ProvinceOptions{Firms: o.Firms, EdgesPerFirm: 5, EventsPerFirm: 3,
		Leaders: cmp.Or(o.Leaders, demo.DefaultProvinceLeaders(o.Firms)), Seed: o.Seed}
	o.Progress("generating the province", "firms", o.Firms)
	if _, err := demo.WriteProvince(pdir, popts); err != nil {
		return nil, fmt.Errorf("province: %w", err)
	}
	pw := &world{name: "province", files: os.DirFS(pdir), start: demo.AnchorTime().Add(9 * time.Hour),
		describe: fmt.Sprintf("`chainriskctl gen --firms %d --edges-per-firm 5 --events-per-firm 3 --leaders %d --seed %d`, "+
			"loaded into a running daemon one kind per batch; a chain subscription per leading firm, "+
			"%d watch-lists of one SME each, one analyst subscription to everything; webhooks",
			o.Firms, popts.Leaders, o.Seed, watchlists)}
	wr, err = runWorld(ctx, o, pw, provinceSubscriptions)
	if err != nil {
		return nil, fmt.Errorf("province: %w", err)
	}
	res.Worlds = append(res.Worlds, wr)
	res.DigestNote = digestNote(o.Digest)
	res.Elapsed = time.Since(began)
	return res, nil
}

// runWorld loads w, lives o.Days days in it, and counts.
func runWorld(ctx context.Context, o Options, w *world, subs func(inv *inventory) []config.Subscription) (*WorldResult, error) {
	began := time.Now()
	inv, err := takeInventory(w.files)
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	wr := &WorldResult{Name: w.name, Describe: w.describe}
	for _, sub := range subs(inv) {
		sub.Digest = o.Digest
		if err := cfg.NormalizeSubscription(&sub); err != nil {
			return nil, fmt.Errorf("subscription %s: %w", sub.Name, err)
		}
		cfg.Alerts.Subscriptions = append(cfg.Alerts.Subscriptions, sub)
		wr.Subscriptions = append(wr.Subscriptions, sub.Name)
	}
	dir := filepath.Join(o.Dir, w.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s, err := newSim(ctx, dir, cfg, w.start, w.demo, o)
	if err != nil {
		return nil, err
	}
	defer s.close()
	o.Progress("initial load", "world", w.name, "firms", len(inv.firms))
	if err := s.load(ctx, w); err != nil {
		return nil, err
	}
	days := newDaily(inv, o.Seed)
	first := time.Date(w.start.Year(), w.start.Month(), w.start.Day(), 0, 0, 0, 0, cst).AddDate(0, 0, 1)
	for d := range o.Days {
		day := first.AddDate(0, 0, d)
		b, err := days.day(day)
		if err != nil {
			return nil, err
		}
		if err := s.day(ctx, day, b, o.Repeats == RepeatsDaily, o.Digest != ""); err != nil {
			return nil, err
		}
		o.Progress("day done", "world", w.name, "day", d+1, "events", b.counts[0], "repairs", b.counts[1],
			"relations", b.counts[2], "elapsed", time.Since(began).Round(time.Second))
	}
	if o.Repeats != RepeatsDaily {
		end := first.AddDate(0, 0, o.Days).Add(9*time.Hour + 30*time.Minute)
		if err := s.step(ctx, PhaseLastRepeat, end, s.resend); err != nil {
			return nil, err
		}
	}
	o.Progress("reading the outbox", "world", w.name, "elapsed", time.Since(began).Round(time.Second))
	rows, err := s.db.Deliveries(ctx, store.DeliveryFilter{})
	if err != nil {
		return nil, err
	}
	if wr.Tally, err = CountOutbox(rows, s.marks); err != nil {
		return nil, err
	}
	wr.Changes, wr.Accepted, wr.Rejected = s.changes, s.accepted, s.rejected
	wr.Elapsed = time.Since(began)
	return wr, nil
}

func digestNote(period string) string {
	if period == "" {
		return "off: subscriptions as configured"
	}
	return fmt.Sprintf("every subscription has digest: %s (realtime_min_severity critical, the default); "+
		"send_digests runs hourly, at minute 1", period)
}

// demoSubscriptions is chainriskd -demo's subscription when the config names none:
// every alert, to the log (daemon/alerts.go).
func demoSubscriptions(*inventory) []config.Subscription {
	return []config.Subscription{{Name: "demo", Subscriber: "demo", Scope: config.Scope{Kind: config.ScopeAll},
		MinSeverity: config.AlertInfo, Channels: []config.Channel{{Type: notify.TypeLog}}}}
}

// watchlists is the number of SMEs of the province watching themselves.
const watchlists = 5

// provinceSubscriptions gives every leading firm a chain subscription with the default
// depths, a few SMEs a watch-list of themselves, and an analyst everything; each
// posts to a webhook.
func provinceSubscriptions(inv *inventory) []config.Subscription {
	hook := func(name string) []config.Channel {
		return []config.Channel{{Type: notify.TypeWebhook, URL: config.Secret("https://hooks.example.com/chainrisk/" + name),
			Secret: config.Secret("whsec-noise-" + name)}}
	}
	var out []config.Subscription
	for i, l := range inv.leaders {
		name := fmt.Sprintf("leader-%03d", i+1)
		out = append(out, config.Subscription{Name: name, Subscriber: l,
			Scope: config.Scope{Kind: config.ScopeChain, Leader: l}, Channels: hook(name)})
	}
	// SMEs spread over the firms after the leaders.
	rest := inv.firms[len(inv.leaders):]
	for i := range watchlists {
		if len(rest) == 0 {
			break
		}
		f := rest[(2*i+1)*len(rest)/(2*watchlists)]
		name := fmt.Sprintf("sme-%d", i+1)
		out = append(out, config.Subscription{Name: name, Subscriber: f,
			Scope: config.Scope{Kind: config.ScopeWatchlist, USCCs: []string{f}}, Channels: hook(name)})
	}
	return append(out, config.Subscription{Name: "analyst", Subscriber: "analysts",
		Scope: config.Scope{Kind: config.ScopeAll}, Channels: hook("analyst")})
}
