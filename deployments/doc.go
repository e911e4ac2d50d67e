// Package deployments holds no code: the directory keeps chainrisk's deployment files
// (docker compose, Kubernetes, systemd, Prometheus rules, Alertmanager and Grafana), and
// its tests check them against each other and against the metrics the daemon exports.
package deployments
