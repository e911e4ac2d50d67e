package daemon

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chainrisk/chainrisk/version"
)

type metrics struct {
	reloadSuccess prometheus.Gauge
	reloadTime    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	v := version.Get()
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "chainrisk_build_info",
		Help:        "Build of the running chainriskd; always 1.",
		ConstLabels: prometheus.Labels{"version": v.Version, "revision": v.Revision, "goversion": v.GoVersion},
	})
	info.Set(1)
	m := &metrics{
		reloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chainrisk_config_reload_success",
			Help: "Whether the last configuration reload succeeded (1) or failed (0).",
		}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chainrisk_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last loaded successfully.",
		}),
	}
	m.reloadSuccess.Set(1)
	m.reloadTime.SetToCurrentTime()
	reg.MustRegister(info, m.reloadSuccess, m.reloadTime)
	return m
}
