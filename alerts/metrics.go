package alerts

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// Results of a delivery attempt, the values of chainrisk_notifications_total's
// result label.
const (
	resultDelivered = "delivered"
	resultFailed    = "failed" // will be retried
	resultDead      = "dead"
)

// Metrics are the alert pipeline's metrics. The gauges (alerts firing, outbox
// pending and dead) are read from the store at each scrape, so every replica reports
// the same figures; the counters count this process's deliveries.
type Metrics struct {
	notifications *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	refreshes     *prometheus.CounterVec
	feedback      *prometheus.CounterVec
}

// NewMetrics registers the alert metrics with reg; the gauges of the firing alerts and
// of the outbox read db at scrape time.
func NewMetrics(reg prometheus.Registerer, db countStore) *Metrics {
	m := &Metrics{
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainrisk_notifications_total",
			Help: "Notification delivery attempts by channel type and result (delivered, failed and to be retried, dead).",
		}, []string{"channel", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chainrisk_notification_delivery_duration_seconds",
			Help:    "Time to deliver a batch of notifications to one destination, by channel type.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"channel"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainrisk_alertmanager_refreshes_total",
			Help: "Alerts re-posted to Alertmanager by the resend_alerts job, by result.",
		}, []string{"result"}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainrisk_alert_feedback_total",
			Help: "Verdicts given on alerts through the API, by rule and verdict (useful, irrelevant, wrong_entity).",
		}, []string{"rule", "verdict"}),
	}
	for _, ch := range notify.Types() {
		m.duration.WithLabelValues(ch) // present from the first scrape, for dashboards
		for _, r := range []string{resultDelivered, resultFailed, resultDead} {
			m.notifications.WithLabelValues(ch, r)
		}
	}
	for _, r := range []string{"ok", "failed"} {
		m.refreshes.WithLabelValues(r)
	}
	for _, r := range RuleNames() {
		for _, v := range Verdicts {
			m.feedback.WithLabelValues(r, v)
		}
	}
	reg.MustRegister(m.notifications, m.duration, m.refreshes, m.feedback, &stateCollector{db: db})
	return m
}

func (m *Metrics) count(channel, result string) {
	if m != nil {
		m.notifications.WithLabelValues(channel, result).Inc()
	}
}

func (m *Metrics) observeDelivery(channel string, d time.Duration) {
	if m != nil {
		m.duration.WithLabelValues(channel).Observe(d.Seconds())
	}
}

// feedbackGiven counts a verdict on an alert of a rule.
func (m *Metrics) feedbackGiven(rule, verdict string) {
	if m != nil {
		m.feedback.WithLabelValues(rule, verdict).Inc()
	}
}

func (m *Metrics) refreshed(ok bool, n int) {
	if m == nil {
		return
	}
	r := "ok"
	if !ok {
		r = "failed"
	}
	m.refreshes.WithLabelValues(r).Add(float64(n))
}

var (
	firingDesc = prometheus.NewDesc("chainrisk_alerts_firing",
		"Alerts firing, by rule and severity.", []string{"rule", "severity"}, nil)
	pendingDesc = prometheus.NewDesc("chainrisk_outbox_pending",
		"Notifications waiting in the outbox for delivery.", nil, nil)
	deadDesc = prometheus.NewDesc("chainrisk_outbox_dead",
		"Notifications dead-lettered after max_attempts or a permanent refusal.", nil, nil)
)

// stateCollector reads the alert and outbox counts from the store at scrape time.
// A store that does not answer within the timeout yields no series (absent, not
// zero, so that an alert on them does not clear).
type stateCollector struct {
	db countStore
}

// countStore is what the metrics read: the firing alerts and the outbox.
type countStore interface {
	store.AlertStore
	store.OutboxStore
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- firingDesc
	ch <- pendingDesc
	ch <- deadDesc
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if counts, err := c.db.AlertCounts(ctx); err == nil {
		n := make(map[[2]string]int64)
		for _, x := range counts {
			n[[2]string{x.Rule, x.Severity}] = x.Count
		}
		for _, r := range RuleNames() {
			for _, s := range config.AlertSeverities {
				ch <- prometheus.MustNewConstMetric(firingDesc, prometheus.GaugeValue, float64(n[[2]string{r, s}]), r, s)
			}
		}
	}
	if oc, err := c.db.OutboxCounts(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(oc.Pending))
		ch <- prometheus.MustNewConstMetric(deadDesc, prometheus.GaugeValue, float64(oc.Dead))
	}
}
