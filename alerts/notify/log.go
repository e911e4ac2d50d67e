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

// logNotifier writes one structured line per notification: the demo's channel. It
// never fails.
type logNotifier struct {
	log *slog.Logger
}

func (l *logNotifier) Send(ctx context.Context, batch []*Notification) []Result {
	for _, n := range batch {
		level := slog.LevelInfo
		if n.Status == StatusFiring {
			switch n.Severity {
			case "warning":
				level = slog.LevelWarn
			case "critical":
				level = slog.LevelError
			}
		}
		attrs := []slog.Attr{
			slog.String("id", n.ID),
			slog.String("fingerprint", n.Fingerprint),
			slog.String("rule", n.Rule),
			slog.String("severity", n.Severity),
			slog.String("status", n.Status),
			slog.String("uscc", n.Subject.USCC),
			slog.String("name", n.Subject.Name),
			slog.Int("tier", n.Tier),
			slog.Any("path", n.Path),
			slog.String("subscription", n.Subscription),
		}
		if n.Leader != nil {
			attrs = append(attrs, slog.String("leader", n.Leader.USCC))
		}
		if s, err := Summary(n); err == nil {
			attrs = append(attrs, slog.String("summary", s))
		} else {
			attrs = append(attrs, slog.String("summary_error", err.Error()))
		}
		l.log.LogAttrs(ctx, level, "alert notification", attrs...)
	}
	return make([]Result, len(batch))
}
