package testmetrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestValue(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c_total", Help: "c"}, []string{"channel", "result"})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "g", Help: "g"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h_seconds", Help: "h"})
	reg.MustRegister(c, g, h)
	c.WithLabelValues("webhook", "ok").Add(3)
	c.WithLabelValues("webhook", "error").Add(5)
	g.Set(-1.5)
	h.Observe(1)
	h.Observe(2)

	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
		ok     bool
	}{
		{"c_total", []string{"channel", "webhook", "result", "error"}, 5, true},
		{"c_total", []string{"result", "ok"}, 3, true},
		{"c_total", []string{"result", "dead"}, 0, false},
		{"g", nil, -1.5, true},
		{"h_seconds", nil, 2, true},
		{"missing", nil, 0, false},
	} {
		v, ok := Value(t, reg, tc.name, tc.labels...)
		if v != tc.want || ok != tc.ok {
			t.Errorf("Value(%s%v) = %v, %v; want %v, %v", tc.name, tc.labels, v, ok, tc.want, tc.ok)
		}
	}
	if v := Must(t, reg, "g"); v != -1.5 {
		t.Errorf("Must(g) = %v", v)
	}
}
