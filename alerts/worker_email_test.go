package alerts

import (
	"bytes"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// TestWorkerDeliversEmail runs the outbox worker against a real SMTP server on
// loopback, configured as a file would configure it (the server's CA in ca_file):
// a message the server defers (451) is retried and delivered as the same message,
// a tenant's e-mail goes through the admin's server, and a recipient refused for good
// dead-letters its notification at once with a last_error that tells the tenant no
// more than chainrisk's words. A tenant's mail to a domain no longer among
// alerts.smtp.tenant_domains is not sent at all.
func TestWorkerDeliversEmail(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		const pass = "smtp-worker-Pa55-77d1"
		var deferred atomic.Bool
		ms := notifytest.NewMailServer(t, notifytest.MailOptions{Username: "alerts@example.com", Password: pass,
			Data: func(_ int, data []byte) error {
				// The first offer of ops-000 only.
				if bytes.Contains(data, []byte("X-Chainrisk-Notification: ops-000")) && !deferred.Swap(true) {
					return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "greylisted, come back later"}
				}
				return nil
			},
			Rcpt: func(addr string) error {
				if addr == "gone@example.com" {
					return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
				}
				return nil
			}})
		caFile := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(caFile, ms.CAPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := config.Default()
		cfg.Alerts.Backoff = config.BackoffConfig{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}
		cfg.Alerts.SMTP.Host, cfg.Alerts.SMTP.Port, cfg.Alerts.SMTP.CAFile = ms.Host, ms.Port, caFile
		cfg.Alerts.SMTP.Username, cfg.Alerts.SMTP.Password = "alerts@example.com", config.Secret(pass)
		cfg.Alerts.SMTP.From = "chainrisk 预警 <alerts@example.com>"
		cfg.Alerts.SMTP.TenantDomains = []string{"example.com"}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		ops := config.Channel{Type: notify.TypeEmail, To: []string{"ops@example.com"}}
		gone := config.Channel{Type: notify.TypeEmail, To: []string{"gone@example.com"}}
		opsIDs := enqueue(t, st, ops, 2, "ops", time.Now())
		tenantIDs := enqueueFor(t, st, notifytest.Leader.USCC, config.Channel{Type: notify.TypeEmail, To: []string{"cfo@example.com"}}, 1, "tenant", time.Now())
		goneIDs := enqueue(t, st, gone, 1, "gone", time.Now())
		// Saved while its domain was allowed; the operator has struck it off since.
		struckIDs := enqueueFor(t, st, notifytest.Leader.USCC, config.Channel{Type: notify.TypeEmail, To: []string{"cfo@struck-off.example.org"}}, 1, "struck", time.Now())

		w := newTestWorker(t, st, workerSetup{cfg: cfg})
		stop := start(t, w)
		eventually(t, 10*time.Second, "three delivered, two dead", func() bool {
			return countState(t, st, store.DeliveryDelivered) == 3 && countState(t, st, store.DeliveryDead) == 2
		})
		stop()

		all := states(t, st)
		if o := all[opsIDs[0]]; o.Attempts != 2 || o.State != store.DeliveryDelivered {
			t.Errorf("the deferred one: %+v", o)
		}
		for _, id := range append(opsIDs[1:], tenantIDs...) {
			if o := all[id]; o.Attempts != 1 || o.State != store.DeliveryDelivered {
				t.Errorf("%s: %+v", id, o)
			}
		}
		// The retry is the same message: one Message-ID, offered twice.
		var offered []string
		for _, m := range ms.Offered() {
			msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
			if err != nil {
				t.Fatal(err)
			}
			if msg.Header.Get("X-Chainrisk-Notification") == opsIDs[0] {
				offered = append(offered, msg.Header.Get("Message-Id"))
				if got := msg.Header.Get("X-Chainrisk-Alert"); got != "alert-ops" {
					t.Errorf("X-Chainrisk-Alert %q", got)
				}
			}
		}
		if want := "<chainrisk." + opsIDs[0] + "@example.com>"; !slices.Equal(offered, []string{want, want}) {
			t.Errorf("offered Message-IDs %v, want %s twice", offered, want)
		}

		if o := all[struckIDs[0]]; o.State != store.DeliveryDead || o.Attempts != 1 || !strings.Contains(o.LastError, "alerts.smtp.tenant_domains") {
			t.Errorf("mail to a domain struck off: %+v", o)
		}
		for _, m := range ms.Offered() {
			if slices.ContainsFunc(m.To, func(a string) bool { return strings.Contains(a, "struck-off") }) {
				t.Errorf("the server was offered mail for %v", m.To)
			}
		}

		o := all[goneIDs[0]]
		const ours = "email via SMTP: SMTP 550 at RCPT TO: recipient gone@example.com refused"
		if o.State != store.DeliveryDead || o.Attempts != 1 || !strings.HasPrefix(o.LastError, ours+notify.DetailSep) ||
			!strings.Contains(o.LastError, "no such user here") {
			t.Errorf("refused recipient: %+v", o)
		}
		if got := tenantError(o.LastError); got != ours {
			t.Errorf("a tenant reads %q", got)
		}
		for _, o := range all {
			if strings.Contains(o.LastError, pass) {
				t.Errorf("%s: last_error shows the SMTP password", o.ID)
			}
		}
	})
}
