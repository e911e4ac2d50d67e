package notify

import (
	"context"
	"log/slog"
)

// TypeLog writes each notification to the daemon's log.
const TypeLog = "log"

func init() {
	register(Kind{Type: TypeLog, Name: "log", Local: true,
		build: func(_ Channel, o Options) (Notifier, error) { return &logNotifier{log: o.Logger}, nil }})
}

// logNotifier writes one structured line per message: the demo's channel. It never
// fails.
type logNotifier struct {
	log *slog.Logger
}

// logAlert is one alert of a log line's alerts.
type logAlert struct {
	Rule        string `json:"rule"`
	Severity    string `json:"severity"`
	Status      string `json:"status"`
	USCC        string `json:"uscc"`
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"`
}

// Send logs each alert message at the level of its gravest firing alert, a snapshot
// or a digest at info: for an alert message its most severe alert's fields, then
// every alert in alerts, and the message as people read it in summary.
func (l *logNotifier) Send(ctx context.Context, batch []*Notification) []Result {
	for _, n := range batch {
		all := n.Alerts()
		level := slog.LevelInfo
		switch tone := worstTone(all); {
		case n.Kind != KindAlert: // a report, not a change
		case tone == "warning":
			level = slog.LevelWarn
		case tone == "critical":
			level = slog.LevelError
		}
		kind := n.Kind
		if kind == KindAlert {
			kind = webhookKindAlert
		}
		attrs := []slog.Attr{slog.String("id", n.ID), slog.String("kind", kind)}
		if n.Kind == KindAlert {
			attrs = append(attrs,
				slog.String("fingerprint", n.Fingerprint),
				slog.String("rule", n.Rule),
				slog.String("severity", n.Severity),
				slog.String("status", n.Status),
				slog.String("uscc", n.Subject.USCC),
				slog.String("name", n.Subject.Name),
				slog.Int("tier", n.Tier),
				slog.Any("path", n.Path))
		}
		attrs = append(attrs, slog.String("subscription", n.Subscription))
		if n.Leader != nil {
			attrs = append(attrs, slog.String("leader", n.Leader.USCC))
		}
		alerts := make([]logAlert, len(all))
		for i, a := range all {
			alerts[i] = logAlert{a.Rule, a.Severity, a.Status, a.Subject.USCC, a.Subject.Name, a.Fingerprint}
		}
		attrs = append(attrs, slog.Any("alerts", alerts))
		if d, err := render(n); err == nil {
			attrs = append(attrs, slog.String("summary", d.text()))
		} else {
			attrs = append(attrs, slog.String("summary_error", err.Error()))
		}
		l.log.LogAttrs(ctx, level, "alert notification", attrs...)
	}
	return make([]Result, len(batch))
}
