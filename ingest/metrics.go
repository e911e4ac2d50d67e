package ingest

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chainrisk/chainrisk/credit"
)

// Metrics count ingested rows by kind and outcome.
type Metrics struct {
	rows         *prometheus.CounterVec
	badChecksums *prometheus.CounterVec
	batches      *prometheus.CounterVec
}

// NewMetrics registers the ingest metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainrisk_ingest_rows_total",
			Help: "Ingested rows by kind and result (accepted, rejected); rows of a strict batch refused whole count as rejected only when bad.",
		}, []string{"kind", "result"}),
		badChecksums: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainrisk_ingest_bad_checksums_total",
			Help: "Rows accepted although a USCC had a wrong check character (ingest.accept_bad_checksums).",
		}, []string{"kind"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainrisk_ingest_batches_total",
			Help: "Ingest batches by result: committed, refused (strict batch or bad header) or failed (store or read error).",
		}, []string{"result"}),
	}
	for _, k := range credit.Kinds {
		for _, r := range []string{"accepted", "rejected"} {
			m.rows.WithLabelValues(string(k), r)
		}
		m.badChecksums.WithLabelValues(string(k))
	}
	for _, r := range []string{"committed", "refused", "failed"} {
		m.batches.WithLabelValues(r)
	}
	reg.MustRegister(m.rows, m.badChecksums, m.batches)
	return m
}

// Observe records one batch's outcome; err is Import's error.
func (m *Metrics) Observe(s Summary, err error) {
	if m == nil {
		return
	}
	switch {
	case err != nil:
		m.batches.WithLabelValues("failed").Inc()
		return
	case s.Committed:
		m.batches.WithLabelValues("committed").Inc()
	default:
		m.batches.WithLabelValues("refused").Inc()
	}
	for k, c := range s.PerKind {
		m.rows.WithLabelValues(string(k), "accepted").Add(float64(c.Accepted))
		m.rows.WithLabelValues(string(k), "rejected").Add(float64(c.Rejected))
		m.badChecksums.WithLabelValues(string(k)).Add(float64(c.Warned))
	}
}
