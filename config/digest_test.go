package config

import (
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// TestSubscriptionDigest: a digest subscription gets its digest's default time and
// realtime_min_severity critical; what it sets is kept and checked, with errors that
// name the field.
func TestSubscriptionDigest(t *testing.T) {
	c := Default()
	base := func() Subscription {
		return Subscription{Name: "d", Subscriber: "g", Scope: Scope{Kind: ScopeAll}, Channels: []Channel{{Type: "log"}}}
	}
	good := []struct {
		name               string
		digest, at, min    string
		wantAt, wantMin    string
		next               string // the first digest after 2026-03-02 09:30 Shanghai (a Monday)
		realtime, isDigest bool
	}{
		{name: "realtime by default", realtime: true},
		{name: "realtime named", digest: "realtime", realtime: true},
		{name: "hourly", digest: "hourly", wantAt: "0 * * * *", wantMin: "critical", next: "2026-03-02 10:00", isDigest: true},
		{name: "daily", digest: "daily", wantAt: "0 8 * * *", wantMin: "critical", next: "2026-03-03 08:00", isDigest: true},
		{name: "weekly", digest: "weekly", wantAt: "0 8 * * 1", wantMin: "critical", next: "2026-03-09 08:00", isDigest: true},
		{name: "daily at 18:30, never realtime", digest: "daily", at: "30 18 * * *", min: "none",
			wantAt: "30 18 * * *", wantMin: "none", next: "2026-03-02 18:30", isDigest: true},
		{name: "own zone", digest: "daily", at: "CRON_TZ=UTC 0 0 * * *", min: "warning",
			wantAt: "CRON_TZ=UTC 0 0 * * *", wantMin: "warning", next: "2026-03-03 08:00", isDigest: true},
	}
	sh := credit.Shanghai
	from := time.Date(2026, 3, 2, 9, 30, 0, 0, sh)
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			s.Digest, s.DigestAt, s.RealtimeMinSeverity = tc.digest, tc.at, tc.min
			if err := c.NormalizeSubscription(&s); err != nil {
				t.Fatal(err)
			}
			if s.IsDigest() != tc.isDigest || s.DigestAt != tc.wantAt || s.RealtimeMinSeverity != tc.wantMin {
				t.Errorf("got digest %v at %q realtime_min_severity %q", s.IsDigest(), s.DigestAt, s.RealtimeMinSeverity)
			}
			sched, err := s.DigestSchedule()
			switch {
			case err != nil:
				t.Fatal(err)
			case tc.realtime && sched != nil:
				t.Error("a realtime subscription has a digest schedule")
			case !tc.realtime:
				if got := sched.Next(from).In(sh).Format("2006-01-02 15:04"); got != tc.next {
					t.Errorf("next digest %s, want %s", got, tc.next)
				}
			}
		})
	}

	bad := []struct {
		name            string
		digest, at, min string
		want            string
	}{
		{"unknown digest", "monthly", "", "", `digest: "monthly" is not one of realtime, hourly, daily, weekly`},
		{"bad spec", "daily", "0 25 * * *", "", `digest_at: invalid cron spec "0 25 * * *": end of range (25) above maximum (23)`},
		{"never fires", "weekly", "0 8 30 2 *", "", `digest_at: invalid cron spec "0 8 30 2 *": the schedule never fires`},
		{"four fields", "hourly", "0 * * *", "", `digest_at: invalid cron spec "0 * * *": expected exactly 5 fields`},
		{"bad severity", "daily", "", "high", `realtime_min_severity: "high" is not one of info, warning, critical, none`},
		{"time without digest", "", "0 8 * * *", "", `digest_at: only used with digest hourly, daily or weekly`},
		{"severity without digest", "realtime", "", "critical", `realtime_min_severity: only used with digest hourly, daily or weekly`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			s.Digest, s.DigestAt, s.RealtimeMinSeverity = tc.digest, tc.at, tc.min
			err := c.NormalizeSubscription(&s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestSubscriptionDigestInFile: the config file's subscriptions take the digest
// fields, and their errors carry the subscription's path.
func TestSubscriptionDigestInFile(t *testing.T) {
	const head = "alerts:\n  subscriptions:\n    - name: d\n      subscriber: g\n      scope: {kind: all}\n      channels: [{type: log}]\n"
	c, err := Parse([]byte(head+"      digest: daily\n      realtime_min_severity: warning\n"), "digest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Alerts.Subscriptions[0]; s.Digest != "daily" || s.DigestAt != "0 8 * * *" || s.RealtimeMinSeverity != "warning" {
		t.Errorf("subscription %+v", s)
	}
	_, err = Parse([]byte(head+"      digest: daily\n      digest_at: \"61 8 * * *\"\n"), "digest.yaml")
	if want := `alerts.subscriptions[0].digest_at: invalid cron spec "61 8 * * *"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
}
