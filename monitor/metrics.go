package monitor

import (
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// Metrics are the engine's: scan timings (owned by the engine) and the risk figures
// of the latest state, emitted by a collector so that stale series vanish with the
// state that had them.
type Metrics struct {
	engine *engineMetrics
	mu     sync.Mutex
	src    *Engine
	// MaxLeaderSeries caps the leaders with their own series (metrics.max_leader_series);
	// Watchlist names the only firms with per-firm series (metrics.watchlist).
	maxLeaders int
	watch      []string

	cached     *State
	severities map[credit.Severity]int
	// listsOf is the state listCounts counted.
	listsOf *State
	lists   []listCount
}

// listCount is the members of one list in one prefecture.
type listCount struct {
	list, prefecture string
	n                int
}

type engineMetrics struct {
	duration       *prometheus.HistogramVec
	lastSuccess    *prometheus.GaugeVec
	scans          *prometheus.CounterVec
	firmsPerSecond prometheus.Gauge
	iterations     prometheus.Gauge
	mismatches     *prometheus.CounterVec
}

// NewMetrics registers the engine's metrics with reg.
func NewMetrics(reg prometheus.Registerer, maxLeaderSeries int, watchlist []string) *Metrics {
	em := &engineMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chainrisk_scan_duration_seconds",
			Help:    "Duration of scans by kind (full, incremental).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320},
		}, []string{"kind"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "chainrisk_scan_last_success_timestamp_seconds",
			Help: "When a scan of each kind last succeeded (Unix time).",
		}, []string{"kind"}),
		scans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainrisk_scans_total",
			Help: "Scans run, by kind and result (success, failure).",
		}, []string{"kind", "result"}),
		firmsPerSecond: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chainrisk_scan_firms_per_second",
			Help: "Firms recomputed per second by the last scan.",
		}),
		iterations: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chainrisk_propagation_iterations",
			Help: "Iterations of the network-distress fixpoint in the last scan.",
		}),
		mismatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainrisk_dataset_mismatch_total",
			Help: "Tables of the dataset a full scan held that differed from the store read whole (schedule.full_reread), by table.",
		}, []string{"table"}),
	}
	for _, k := range []string{ScanFull, ScanIncremental} {
		em.duration.WithLabelValues(k)
		for _, r := range []string{"success", "failure"} {
			em.scans.WithLabelValues(k, r)
		}
	}
	m := &Metrics{engine: em, maxLeaders: maxLeaderSeries, watch: slices.Clone(watchlist)}
	for _, t := range readTables {
		em.mismatches.WithLabelValues(t)
	}
	reg.MustRegister(em.duration, em.lastSuccess, em.scans, em.firmsPerSecond, em.iterations, em.mismatches, m)
	return m
}

// SetLimits changes the leader-series cap and the watch-list (config reload).
func (m *Metrics) SetLimits(maxLeaderSeries int, watchlist []string) {
	m.mu.Lock()
	m.maxLeaders, m.watch = maxLeaderSeries, slices.Clone(watchlist)
	m.mu.Unlock()
}

func (m *Metrics) attach(e *Engine) {
	m.mu.Lock()
	m.src = e
	m.mu.Unlock()
}

// mismatch counts a table of a compared whole read that differed.
func (em *engineMetrics) mismatch(table string) {
	if em != nil {
		em.mismatches.WithLabelValues(table).Inc()
	}
}

func (em *engineMetrics) observeScan(kind string, st ScanStats, ok bool, at time.Time) {
	if em == nil {
		return
	}
	if !ok {
		em.scans.WithLabelValues(kind, "failure").Inc()
		return
	}
	em.scans.WithLabelValues(kind, "success").Inc()
	em.duration.WithLabelValues(kind).Observe(st.Seconds)
	em.lastSuccess.WithLabelValues(kind).Set(float64(at.UnixNano()) / 1e9)
	if st.Seconds > 0 {
		em.firmsPerSecond.Set(float64(st.Recomputed) / st.Seconds)
	}
	em.iterations.Set(float64(st.Iterations))
}

var (
	descEnterprises = prometheus.NewDesc("chainrisk_enterprises", "Firms by credit grade.", []string{"grade"}, nil)
	descRelations   = prometheus.NewDesc("chainrisk_relations", "Supply relations in force.", nil, nil)
	descEvents      = prometheus.NewDesc("chainrisk_events_active", "Active credit events by severity.", []string{"severity"}, nil)
	descChainRisk   = prometheus.NewDesc("chainrisk_leader_chain_risk", "A leading firm's chain risk (its distress including contagion).", []string{"leader"}, nil)
	descSupply      = prometheus.NewDesc("chainrisk_leader_supply_at_risk", "Share of a leading firm's purchases at risk.", []string{"leader"}, nil)
	descDemand      = prometheus.NewDesc("chainrisk_leader_demand_at_risk", "Share of a leading firm's sales at risk.", []string{"leader"}, nil)
	descMembers     = prometheus.NewDesc("chainrisk_leader_chain_members", "Members of a leading firm's chain by tier.", []string{"leader", "tier"}, nil)
	descMembersG    = prometheus.NewDesc("chainrisk_leader_chain_members_by_grade", "Members of a leading firm's chain by tier and grade.", []string{"leader", "tier", "grade"}, nil)
	descTruncated   = prometheus.NewDesc("chainrisk_leader_series_truncated", "1 when more leaders exist than metrics.max_leader_series allows series for.", nil, nil)
	descLeaders     = prometheus.NewDesc("chainrisk_leaders", "Leading firms.", nil, nil)
	descESRIMax     = prometheus.NewDesc("chainrisk_leader_esri_max",
		"Highest systemic risk index (ESRI) among a leading firm's chain members, from the latest run of the esri job.", []string{"leader"}, nil)
	descESRIAt = prometheus.NewDesc("chainrisk_esri_last_computed_timestamp_seconds",
		"When the esri job last wrote a chain's results (Unix time; 0 when none is stored).", nil, nil)
	descESRINotConverged = prometheus.NewDesc("chainrisk_esri_members_not_converged",
		"Chain members whose latest ESRI cascade stopped at esri.max_steps (their indices are lower bounds).", nil, nil)
	descListMembers = prometheus.NewDesc("chainrisk_list_members",
		"Members of a graded list (lists in the config) by prefecture: the first 4 digits of the firms' region code.",
		[]string{"list", "region"}, nil)
	descWatchedD = prometheus.NewDesc("chainrisk_watched_firm_distress", "Distress d of a firm on metrics.watchlist.", []string{"uscc"}, nil)
	descWatchedP = prometheus.NewDesc("chainrisk_watched_firm_probability", "Probability of distress p of a firm on metrics.watchlist.", []string{"uscc"}, nil)
	descWatchedS = prometheus.NewDesc("chainrisk_watched_firm_score", "Credit score of a firm on metrics.watchlist.", []string{"uscc"}, nil)
)

// descLeaderInfo names the leaders with series of their own, for dashboards to show
// names rather than USCCs (docs/operations.md, "Monitoring").
var descLeaderInfo = prometheus.NewDesc("chainrisk_leader_info",
	"Always 1: a leading firm's name, to join on leader (* on(leader) group_left(name) chainrisk_leader_info).",
	[]string{"leader", "name"}, nil)

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEnterprises, descRelations, descEvents, descChainRisk, descSupply,
		descDemand, descMembers, descMembersG, descTruncated, descLeaders, descESRIMax, descESRIAt, descESRINotConverged,
		descListMembers, descWatchedD, descWatchedP, descWatchedS, descLeaderInfo} {
		ch <- d
	}
}

// Collect implements prometheus.Collector over the latest state.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	e, maxLeaders, watch := m.src, m.maxLeaders, m.watch
	m.mu.Unlock()
	if e == nil {
		return
	}
	s := e.State()
	if s == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for g, n := range s.GradeCounts() {
		gauge(descEnterprises, float64(n), g.String())
	}
	gauge(descRelations, float64(s.Snap.NumEdges()))
	for sev, n := range m.eventSeverities(s) {
		gauge(descEvents, float64(n), string(sev))
	}
	gauge(descLeaders, float64(len(s.Leaders)))
	leaders := slices.Clone(s.Leaders)
	truncated := 0.0
	if len(leaders) > maxLeaders {
		// Keep the riskiest: they are the ones an operator must see.
		slices.SortFunc(leaders, func(a, b int32) int {
			ra, rb := s.D[a], s.D[b]
			switch {
			case ra > rb:
				return -1
			case ra < rb:
				return 1
			}
			return int(a - b)
		})
		leaders, truncated = leaders[:maxLeaders], 1
	}
	gauge(descTruncated, truncated)
	for _, v := range leaders {
		id := s.Snap.IDs[v]
		gauge(descLeaderInfo, 1, id, s.Firms[v].Name)
		x, ok := s.Chains[v]
		if !ok {
			continue
		}
		gauge(descChainRisk, x.ChainRisk, id)
		gauge(descSupply, x.SupplyAtRisk, id)
		gauge(descDemand, x.DemandAtRisk, id)
		for _, t := range x.Tiers {
			tier := strconv.Itoa(t.Tier)
			gauge(descMembers, float64(t.Members), id, tier)
			for _, gc := range []struct {
				g string
				n int
			}{{"A", t.A}, {"B", t.B}, {"C", t.C}, {"D", t.D}} {
				gauge(descMembersG, float64(gc.n), id, tier, gc.g)
			}
		}
	}
	m.collectESRI(e, s, leaders, gauge)
	for _, c := range m.listCounts(s) {
		gauge(descListMembers, float64(c.n), c.list, c.prefecture)
	}
	for _, id := range watch {
		if v, ok := s.Snap.Index(id); ok {
			gauge(descWatchedD, s.D[v], id)
			gauge(descWatchedP, s.P[v], id)
			gauge(descWatchedS, s.Score[v], id)
		}
	}
}

// eventSeverities counts the state's active events by severity, once per state.
func (m *Metrics) eventSeverities(s *State) map[credit.Severity]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cached == s {
		return m.severities
	}
	out := make(map[credit.Severity]int, len(credit.Severities))
	for _, sev := range credit.Severities {
		out[sev] = 0
	}
	model := s.Params.Model
	for _, ev := range s.Events {
		if sev, ok := model.Severity(ev.Type); ok {
			out[sev]++
		}
	}
	m.cached, m.severities = s, out
	return out
}

// listCounts counts the members of each list by prefecture, once per state: every
// prefecture holding a firm has a count for every list, 0 included, so that the
// series stay bounded by the prefectures (a few hundred in China) and do not come and go.
func (m *Metrics) listCounts(s *State) []listCount {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listsOf == s {
		return m.lists
	}
	var out []listCount
	if s.Lists != nil {
		set := s.Lists.Set()
		col := map[string]int{}
		var prefectures []string
		counts := make([][]int, set.Len())
		for v := range s.Firms {
			p := Prefecture(s.Firms[v].Region)
			i, ok := col[p]
			if !ok {
				i = len(prefectures)
				col[p], prefectures = i, append(prefectures, p)
				for l := range counts {
					counts[l] = append(counts[l], 0)
				}
			}
			for l := range counts {
				if s.Lists.Has(l, int32(v)) {
					counts[l][i]++
				}
			}
		}
		for l := range counts {
			for i, p := range prefectures {
				out = append(out, listCount{list: set.List(l).Name, prefecture: p, n: counts[l][i]})
			}
		}
	}
	m.listsOf, m.lists = s, out
	return out
}

// Prefecture is the prefecture-level division of a 6-digit region code: its first 4
// digits (the label region of chainrisk_list_members).
func Prefecture(region string) string { return region[:min(4, len(region))] }

// collectESRI emits the stored chain ESRI results: a series per leader among those
// given (the leaders with series of their own), and two totals over all.
func (m *Metrics) collectESRI(e *Engine, s *State, leaders []int32, gauge func(*prometheus.Desc, float64, ...string)) {
	rows := e.esri.get(e)
	byLeader := make(map[string]*store.ESRIResult, len(rows))
	var newest time.Time
	var notConverged int64
	for i := range rows {
		r := &rows[i]
		byLeader[r.Leader] = r
		if r.ComputedAt.After(newest) {
			newest = r.ComputedAt
		}
		notConverged += r.NotConverged
	}
	for _, v := range leaders {
		if r, ok := byLeader[s.Snap.IDs[v]]; ok {
			gauge(descESRIMax, r.ESRIMax, r.Leader)
		}
	}
	at := 0.0
	if !newest.IsZero() {
		at = float64(newest.UnixMilli()) / 1e3
	}
	gauge(descESRIAt, at)
	gauge(descESRINotConverged, float64(notConverged))
}
