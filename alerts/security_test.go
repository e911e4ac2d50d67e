package alerts

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// The allow-list applies at send time, with the config in force then: notifications
// queued for a host the current allow-list refuses are not sent (the receiver sees
// nothing) and fail with the reason, without the URL's key; after a reload that allows
// the host, new ones are delivered.
func TestAllowlistAtSendTime(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		rv := newHookReceiver(t, hookSecret, nil)
		var mu sync.Mutex
		cfg := config.Default()
		cfg.Alerts.Backoff = config.BackoffConfig{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}
		cfg.Alerts.WebhookAllowlist = []string{"hooks.example.com", "*.127.0.0.1"}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		t.Cleanup(tr.CloseIdleConnections)
		w := NewWorker(WorkerOptions{Store: st, Config: func() *config.Config { mu.Lock(); defer mu.Unlock(); return cfg },
			HTTPClient: &http.Client{Transport: tr}, Logger: discardLogger(), PollInterval: 10 * time.Millisecond,
			SendTimeout: time.Second})
		refused := enqueue(t, st, hookChannel(rv.URL), 3, "refused", time.Now())
		stop := start(t, w)
		eventually(t, 10*time.Second, "the refused notifications dead", func() bool {
			return countState(t, st, store.DeliveryDead) == len(refused)
		})
		all := states(t, st)
		for _, id := range refused {
			o := all[id]
			if !strings.Contains(o.LastError, `host "127.0.0.1" is not allowed by alerts.webhook_allowlist`) ||
				strings.Contains(o.LastError, webhookToken) || o.Attempts != 1 {
				t.Errorf("%s: %+v", id, o)
			}
		}
		rv.mu.Lock()
		n := len(rv.raw)
		rv.mu.Unlock()
		if n != 0 {
			t.Errorf("the receiver got %d requests for a host the allow-list refuses", n)
		}

		// A reload allows the host exactly: what is queued now is delivered.
		next := *cfg
		next.Alerts.WebhookAllowlist = []string{"127.0.0.1"}
		mu.Lock()
		cfg = &next
		mu.Unlock()
		allowed := enqueue(t, st, hookChannel(rv.URL), 2, "allowed", time.Now())
		w.Wake()
		eventually(t, 10*time.Second, "the allowed notifications delivered", func() bool {
			return countState(t, st, store.DeliveryDelivered) == len(allowed)
		})
		stop()
		if got := rv.unique(); len(got) != len(allowed) {
			t.Errorf("the receiver got %v, want %v", got, allowed)
		}
	})
}
