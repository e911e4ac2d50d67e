package api

import "github.com/prometheus/client_golang/prometheus"

// metrics are the API's. Routes are the registered patterns ("GET
// /api/v1/enterprises/{uscc}"), never raw paths, so the label stays bounded.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	// bodiesReading counts requests whose body is still arriving; they hold no slot.
	bodiesReading prometheus.Gauge
	rejected      *prometheus.CounterVec
	authFailures  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainrisk_api_requests_total",
			Help: "API requests by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chainrisk_api_request_duration_seconds",
			Help:    "API request durations by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chainrisk_api_requests_in_flight",
			Help: "API requests being served.",
		}),
		bodiesReading: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chainrisk_api_request_bodies_reading",
			Help: "API requests whose body is still arriving (they hold no slot of max_concurrent_requests).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainrisk_api_requests_rejected_total",
			Help: "API requests turned away: overload (503), ingest_limit (429), body_reads_per_token (429) or body_timeout (408).",
		}, []string{"reason"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainrisk_api_auth_failures_total",
			Help: "Requests refused with 401 by reason: missing, malformed, unknown, revoked or invalid token.",
		}, []string{"reason"}),
	}
	for _, r := range []string{"overload", "ingest_limit", "body_reads_per_token", "body_timeout"} {
		m.rejected.WithLabelValues(r)
	}
	for _, r := range []string{"missing", "malformed", "unknown", "revoked", "invalid"} {
		m.authFailures.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.inFlight, m.bodiesReading, m.rejected, m.authFailures)
	}
	return m
}
