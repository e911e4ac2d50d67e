package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/api"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/backend"
	"github.com/chainrisk/chainrisk/ui"
	"github.com/chainrisk/chainrisk/version"
)

// Options are what cmd/chainriskd passes in; tests set them directly.
type Options struct {
	Config *config.Config
	// ConfigFile is where Config came from ("" for built-in defaults); reloads re-read it.
	ConfigFile string
	// Demo loads the demo dataset into an empty store.
	Demo bool
	// Listen overrides Config.Listen (the -listen flag).
	Listen string
	Logger *slog.Logger
	// Registry receives every metric; nil means a fresh one (never the global).
	Registry *prometheus.Registry
	// Reload delivers reload requests (SIGHUP in cmd/chainriskd).
	Reload <-chan struct{}
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Stdout receives what an operator must see at start: the banner ending with the
	// token hand-over (handover.go).
	Stdout io.Writer
}

// Daemon is a running chainriskd.
type Daemon struct {
	opts    Options
	cfg     atomic.Pointer[config.Config]
	log     *slog.Logger
	reg     *prometheus.Registry
	store   store.Store
	ready   atomic.Bool
	warming atomic.Bool // while a -demo leader computes its first chain ESRI (demo.go)
	servers []*http.Server
	addrs   []string
	metrics *metrics
	ingestM *ingest.Metrics
	engine  *monitor.Engine
	engineM *monitor.Metrics
	queue   *monitor.Queue
	cron    *monitor.Scheduler
	elect   election
	alerts  *alerts.Manager // rules, lifecycle, silences, subscriptions (daemon/alerts.go)
	outbox  *alerts.Worker  // delivers the outbox on the leader
	// loopbackOnly is set by -demo without operator tokens: the demo's admin token
	// is printed, so the API must not be reachable from elsewhere.
	loopbackOnly bool
	handover     handover           // the banner's access lines (handover.go)
	stop         context.CancelFunc // ends background work (the scan queue)
	bg           sync.WaitGroup
	// onRecord is set once the store is seen to hold a succeeded scan (scans stay).
	onRecord atomic.Bool
}

// New opens the store (applying migrations), loads the demo data when asked, and binds
// the listeners. Run then serves.
func New(ctx context.Context, opts Options) (*Daemon, error) {
	if opts.Config == nil {
		opts.Config = config.Default()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg := opts.Config
	if err := CheckConfig(cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	d := &Daemon{opts: opts, log: opts.Logger, reg: opts.Registry}
	d.cfg.Store(cfg)
	d.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.metrics = newMetrics(d.reg)
	d.ingestM = ingest.NewMetrics(d.reg)
	d.engineM = monitor.NewMetrics(d.reg, cfg.Metrics.MaxLeaderSeries, cfg.Metrics.Watchlist)

	db, err := backend.OpenDaemon(ctx, cfg.Store.DatabaseURL.Reveal(), cfg.DataDir,
		backend.Options{MaxConns: int32(cfg.Store.MaxConns), Now: opts.Now})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	d.store = db
	if kind := backend.Kind(db); kind == "sqlite" {
		d.log.Info("store opened", "kind", kind, "data_dir", cfg.DataDir)
	} else {
		d.log.Info("store opened", "kind", kind)
	}
	d.engine = monitor.NewEngine(monitor.EngineOptions{Store: db, Params: monitor.ParamsFromConfig(cfg),
		Logger: d.log, Now: opts.Now, Metrics: d.engineM, FullReread: monitor.FullRereadOf(cfg)})
	d.elect = d.newElection(db)
	leaderGauge(d.reg, d.elect)
	d.newAlerts()
	d.queue = monitor.NewQueue(d.engine, monitor.QueueOptions{Active: d.elect.IsLeader})
	d.cron = monitor.NewScheduler(monitor.SchedulerOptions{Location: cfg.Schedule.Location(), Registerer: d.reg,
		Logger: d.log, Active: d.elect.IsLeader})
	jobs, err := d.cronJobs(cfg)
	if err == nil {
		err = d.cron.Set(jobs)
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("schedule: %w", err)
	}
	// The listeners are bound before anything is loaded, minted or printed: a port in
	// use fails the start with nothing handed over.
	if opts.Demo {
		operator, _, err := d.operatorTokens(ctx)
		if err != nil {
			_ = db.Close()
			return nil, err
		}
		d.loopbackOnly = !operator // the demo keeps an admin token of its own
	}
	if err := d.listen(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := d.prepare(ctx); err != nil {
		d.closeListeners()
		_ = db.Close()
		return nil, err
	}
	return d, nil
}

// prepare loads the demo data when asked and decides the banner's token hand-over.
func (d *Daemon) prepare(ctx context.Context) error {
	if d.opts.Demo {
		if err := d.loadDemo(ctx); err != nil {
			return err
		}
	}
	return d.prepareHandover(ctx)
}

// listen binds the API address and, when configured, the separate ops address.
func (d *Daemon) listen() error {
	cfg := d.cfg.Load()
	addr := cfg.Listen
	if d.opts.Listen != "" {
		addr = d.opts.Listen
	}
	if d.loopbackOnly {
		addr = loopback(addr, d.log)
	}
	ops := &api.Ops{Ready: d.readyErr, Gatherer: d.reg}
	main := http.NewServeMux()
	apiSrv := api.NewServer(apiBackend{d}, api.Options{Logger: d.log, HTTP: cfg.HTTP, Registerer: d.reg, Now: d.opts.Now})
	apiSrv.Register(main)
	console, err := ui.New(ui.Options{API: apiSrv, Sessions: func() store.UISessionStore { return d.store },
		Config: d.cfg.Load, Now: d.opts.Now, Logger: d.log})
	if err != nil {
		return err
	}
	console.Register(main)
	bind := []struct {
		addr string
		mux  *http.ServeMux
	}{{addr, main}}
	if cfg.OpsListen != "" {
		opsMux := http.NewServeMux()
		ops.Register(opsMux)
		bind = append(bind, struct {
			addr string
			mux  *http.ServeMux
		}{cfg.OpsListen, opsMux})
	} else {
		ops.Register(main)
	}
	for _, b := range bind {
		ln, err := net.Listen("tcp", b.addr)
		if err != nil {
			d.closeListeners()
			return listenError(b.addr, err)
		}
		srv := &http.Server{
			Handler:           b.mux,
			ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
			// A backstop for bodies nothing reads (ops routes, unknown paths): the API
			// reads its own under tighter deadlines (http.body_read_timeout).
			ReadTimeout: cfg.HTTP.RequestTimeout,
			ErrorLog:    slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
		}
		d.servers = append(d.servers, srv)
		d.addrs = append(d.addrs, ln.Addr().String())
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.log.Error("http server stopped", "addr", ln.Addr().String(), "err", err)
			}
		}()
	}
	return nil
}

func (d *Daemon) closeListeners() {
	for _, s := range d.servers {
		_ = s.Close()
	}
}

// Addr is the API's bound address (useful with port 0).
func (d *Daemon) Addr() string { return d.addrs[0] }

// OpsAddr is the bound ops address (the API's when ops_listen is unset).
func (d *Daemon) OpsAddr() string { return d.addrs[len(d.addrs)-1] }

// Store exposes the store to in-process tests and the CLI's direct paths.
func (d *Daemon) Store() store.Store { return d.store }

// Engine exposes the risk engine to in-process tests.
func (d *Daemon) Engine() *monitor.Engine { return d.engine }

func (d *Daemon) readyErr(ctx context.Context) error {
	if !d.ready.Load() {
		return errors.New("starting")
	}
	if d.engine.State() == nil {
		return errors.New("first scan not finished")
	}
	if d.warming.Load() {
		return errors.New("computing the demo's chain ESRI")
	}
	if err := d.store.Ping(ctx); err != nil {
		return fmt.Errorf("store unreachable: %w", err)
	}
	if !d.scanOnRecord(ctx) {
		return errors.New("no scan on record yet")
	}
	return nil
}

// scanOnRecord reports whether the store holds a succeeded scan. A state alone is not
// enough for readiness: a leader publishes its first before recording it, a follower
// builds one from the store without recording anything. Until a scan is on record,
// the next one takes everything in the store for the alerts' quiet first-sight
// baseline; once ready, what the daemon acknowledges is news, and a kill before it is
// scanned must not make it part of a baseline.
func (d *Daemon) scanOnRecord(ctx context.Context) bool {
	if d.onRecord.Load() {
		return true
	}
	if id, err := monitor.LatestSucceeded(ctx, d.store, 0); err != nil || id == 0 {
		return false
	}
	d.onRecord.Store(true)
	return true
}

// Run scans once (as leader) or builds a read-only state (as follower), then serves
// until ctx ends, and shuts down within shutdown_timeout.
func (d *Daemon) Run(ctx context.Context) error {
	d.ready.Store(true)
	bgCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	d.stop = stop
	d.bg.Go(func() { d.elect.Run(bgCtx) })
	d.waitElected(ctx)
	leading := d.elect.IsLeader()
	var err error
	if leading {
		d.warming.Store(d.opts.Demo)
		err = d.startupScan(ctx)
		if err == nil && d.opts.Demo {
			d.demoESRI(ctx)
		}
		d.warming.Store(false)
	} else {
		d.log.Info("starting as a follower: reading the leader's data")
		_, err = d.engine.Run(ctx, monitor.Request{Shadow: true})
	}
	if err != nil {
		if ctx.Err() != nil {
			return d.shutdown()
		}
		d.log.Error("startup scan failed; serving without results until a scan succeeds", "err", err)
	} else {
		d.log.Info("chainriskd ready", "addr", d.Addr(), "version", version.Get().Version, "leader", leading)
	}
	d.cron.Start()
	d.bg.Go(func() { d.queue.Run(bgCtx) })
	d.bg.Go(func() { d.outbox.Run(bgCtx) })
	d.bg.Go(func() { d.follow(bgCtx, leading) })
	if leading {
		d.waitOutbox(ctx, 10*time.Second)
	}
	d.printHandover()
	for {
		select {
		case <-ctx.Done():
			return d.shutdown()
		case <-d.opts.Reload:
			d.reload()
		}
	}
}

// startupScan fails the scans a previous process (or a previous leader) left
// running — the full scan that follows redoes their work — and builds the first
// state of this leadership, compared with what the store holds. Both happen under the
// engine's lock, so a scan this process's queue has just started is never failed.
func (d *Daemon) startupScan(ctx context.Context) error {
	_, err := d.engine.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: monitor.TriggerStartup,
		Interrupt: monitor.ReasonInterrupted})
	return err
}

// reload re-reads the config file. An invalid file changes nothing (the old config
// stays in force, chainrisk_config_reload_success drops to 0); keys that need a
// restart (listeners, store, data directory, HTTP limits) are reported and ignored.
func (d *Daemon) reload() {
	old := d.cfg.Load()
	cfg, err := config.Load(d.opts.ConfigFile)
	var jobs []monitor.CronJob
	if err == nil {
		err = alerts.CheckConfig(cfg) // the jobs are checked by cronJobs
	}
	if err == nil {
		jobs, err = d.cronJobs(cfg)
	}
	if err == nil {
		err = d.cron.Set(jobs)
	}
	if err != nil {
		d.metrics.reloadSuccess.Set(0)
		d.log.Error("config reload failed; keeping the running config", "file", d.opts.ConfigFile, "err", err)
		return
	}
	for _, key := range config.RestartRequired(old, cfg) {
		d.log.Warn("config change needs a restart to apply", "key", key)
	}
	d.cfg.Store(cfg)
	d.engine.SetParams(monitor.ParamsFromConfig(cfg))
	d.engine.SetFullReread(monitor.FullRereadOf(cfg))
	d.engineM.SetLimits(cfg.Metrics.MaxLeaderSeries, cfg.Metrics.Watchlist)
	d.metrics.reloadSuccess.Set(1)
	d.metrics.reloadTime.SetToCurrentTime()
	d.log.Info("config reloaded", "file", d.opts.ConfigFile)
}

func (d *Daemon) shutdown() error {
	d.ready.Store(false)
	timeout := d.cfg.Load().ShutdownTimeout
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	d.log.Info("shutting down", "timeout", timeout.String())
	var errs []error
	if err := d.cron.Stop(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop scheduler: %w", err))
	}
	if d.stop != nil {
		d.stop() // a scan in progress is cancelled and recorded failed; the next start's full scan redoes it
		d.bg.Wait()
	}
	for _, s := range d.servers {
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	if err := d.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	d.log.Info("stopped")
	return errors.Join(errs...)
}
