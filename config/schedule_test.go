package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		spec string
		err  string // substring; "" means valid
	}{
		{"0 2 * * *", ""},
		{"*/5 * * * 1-5", ""},
		{"@hourly", ""},
		{"@every 90s", ""},
		{"CRON_TZ=UTC 0 3 * * 0", ""},
		{"TZ=Europe/Berlin @daily", ""},
		{"  0 2 * * *  ", ""},
		{"", "empty spec"},
		{"CRON_TZ=", "must be followed by a space and a schedule"},
		{"TZ=", "must be followed by a space and a schedule"},
		{"CRON_TZ=UTC", "must be followed by a space and a schedule"},
		{"CRON_TZ= 0 2 * * *", "empty time zone"},
		{"CRON_TZ=Nowhere/City 0 2 * * *", "bad location"},
		{"CRON_TZ=UTC\t0 2 * * *", "bad location"},
		{"0 2 * *", "expected exactly 5 fields"},
		{"0 0 2 * * *", "expected exactly 5 fields"},
		{"61 * * * *", "above maximum"},
		{"@fortnightly", "unrecognized descriptor"},
		{"@every 0s", "at least 1s"},
		{"@every -1h", "at least 1s"},
		{"@every", "unrecognized descriptor"},
		{"0 0 31 2 *", "never fires"},
	} {
		_, err := ParseSchedule(tc.spec, shanghai)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("ParseSchedule(%q): %v", tc.spec, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseSchedule(%q) = %v, want error containing %q", tc.spec, err, tc.err)
		}
	}
}

func TestParseScheduleZones(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) // 08:00 in Shanghai

	// The default zone applies to a spec without a prefix: 02:00 Shanghai is 18:00 UTC.
	s, err := ParseSchedule("0 2 * * *", shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Next(from), time.Date(2025, 1, 1, 18, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("default zone: next %v, want %v", got, want)
	}
	// CRON_TZ wins over the default zone.
	s, err = ParseSchedule("CRON_TZ=UTC 0 2 * * *", shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Next(from), time.Date(2025, 1, 1, 2, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("CRON_TZ: next %v, want %v", got, want)
	}
	// Descriptors take the default zone too.
	s, err = ParseSchedule("@daily", shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Next(from), time.Date(2025, 1, 1, 16, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("@daily: next %v, want %v", got, want)
	}
}
