package config

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// Fuzz targets for the small parsers of config values, the CLI's flags and the API's
// fields (docs/reliability.md): cron specs, durations, byte sizes, publicity periods and rate
// limits. Each accepted value must print in a form that reads back as the same value;
// each error must quote what it refused.

// FuzzParseSchedule: an accepted spec fires after any instant, the same way when parsed
// again and whatever spaces surround it; a refused one says why.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{
		"0 2 * * *", "*/15 * * * *", "30 8 * * 1-5", "0 0 1 */3 *", "0 0 29 2 *", "5,35 9-17 * * mon-fri",
		"@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight", "@every 10m", "@every 1h30m",
		"CRON_TZ=Asia/Shanghai 0 3 * * *", "TZ=UTC @daily", "CRON_TZ=America/New_York 30 2 * * *",
		// Refused: bad fields, never firing, sub-second @every, bare or unknown zones.
		"", " ", "* * * *", "0 0 30 2 *", "0 0 31 4 *", "61 * * * *", "0 2 * * * *", "@every 0s", "@every -1m",
		"@every 500ms", "@every", "@reboot", "@often", "CRON_TZ=", "TZ=", "CRON_TZ=Asia/Shanghai", "CRON_TZ=Nowhere/City 0 * * * *",
		"TZ= 0 * * * *", "0 0 ? * *", "a b c d e",
	} {
		f.Add(s)
	}
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	ref := time.Date(2026, 3, 8, 1, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		sched, err := ParseSchedule(spec, shanghai)
		padded, perr := ParseSchedule(" \t"+spec+"\n ", shanghai)
		if (err == nil) != (perr == nil) {
			t.Fatalf("%q: %v; surrounded by spaces: %v", spec, err, perr)
		}
		if err != nil {
			if sched != nil || err.Error() == "" {
				t.Fatalf("%q: schedule %v with error %q", spec, sched, err)
			}
			return
		}
		now := time.Now()
		if next := sched.Next(now); !next.After(now) {
			t.Fatalf("%q accepted, but its next run after %s is %s", spec, now, next)
		}
		if a, b := sched.Next(ref), padded.Next(ref); !a.Equal(b) {
			t.Fatalf("%q: next run after %s is %s, or %s when surrounded by spaces", spec, ref, a, b)
		}
		switch s := sched.(type) {
		case *cron.SpecSchedule:
			zoned := strings.HasPrefix(strings.TrimSpace(spec), "CRON_TZ=") || strings.HasPrefix(strings.TrimSpace(spec), "TZ=")
			if !zoned && s.Location != shanghai {
				t.Fatalf("%q runs in %v, want the configured zone", spec, s.Location)
			}
		case cron.ConstantDelaySchedule:
			if s.Delay < time.Second {
				t.Fatalf("%q: every %s", spec, s.Delay)
			}
		}
	})
}

// FuzzParseDuration: an accepted duration prints (FormatDuration) as one that reads
// back the same; without a day unit it is exactly what time.ParseDuration says.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{
		"90s", "30m", "5m", "2h", "1h30m", "500ms", "180d", "1d12h", "0.5d", "1.5d", "-1d", "+2h", "0", "0s", " 7d ",
		"106751d", "9223372036854775807ns", "-9223372036854775808ns", "2562047h47m16.854775807s",
		// Refused.
		"", "d", "1", "1x", "1d-2h", "1d+2h", "1e3d", "0x10d", "inf d", "NaNd", "1_000d", "106752d", "1dd", "d1", "1.2.3d",
		"99999999999999999999d", "300000h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		trimmed := strings.TrimSpace(s)
		if !strings.Contains(trimmed, "d") {
			want, werr := time.ParseDuration(trimmed)
			if (err == nil) != (werr == nil) || d != want {
				t.Fatalf("%q: %v, %v; time.ParseDuration says %v, %v", s, d, err, want, werr)
			}
		}
		if err != nil {
			if trimmed != "" && !strings.Contains(err.Error(), fmt.Sprintf("%q", trimmed)) {
				t.Fatalf("%q: the error %q does not quote the input", s, err)
			}
			return
		}
		text := FormatDuration(d)
		back, err := ParseDuration(text)
		if err != nil || back != d {
			t.Fatalf("%q = %d ns prints as %q, which reads back as %d ns, %v", s, d, text, back, err)
		}
	})
}

// FuzzParseByteSize: an accepted size is not negative, is the written number times its
// unit (up to float rounding), and prints as a size that reads back the same.
func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{
		"64MiB", "1MB", "512KiB", "1048576", "1GiB", "10MB", "0", "0B", "1.5KiB", "0.5MB", "8 KiB", "2gb", "1kib",
		"8388608KiB", "9223372036854775807",
		// Refused.
		"", "B", "-1KiB", "1.5B", "0.1KiB", "1e3KB", "0x10", "1,024", "10 TB", "1 ZiB", "9223372036854775808",
		"99999999999GiB", "KiB1",
	} {
		f.Add(s)
	}
	units := map[string]*big.Rat{
		"kib": big.NewRat(1<<10, 1), "mib": big.NewRat(1<<20, 1), "gib": big.NewRat(1<<30, 1),
		"kb": big.NewRat(1e3, 1), "mb": big.NewRat(1e6, 1), "gb": big.NewRat(1e9, 1), "b": big.NewRat(1, 1),
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseByteSize(s)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("%q: the error %q does not quote the input", s, err)
			}
			return
		}
		if b < 0 {
			t.Fatalf("%q = %d", s, b)
		}
		// The exact value, computed apart from the parser.
		num, unit := strings.TrimSpace(s), big.NewRat(1, 1)
		lower := strings.ToLower(num)
		for _, u := range []string{"kib", "mib", "gib", "kb", "mb", "gb", "b"} {
			if strings.HasSuffix(lower, u) {
				num, unit = strings.TrimSpace(num[:len(num)-len(u)]), units[u]
				break
			}
		}
		exact, ok := new(big.Rat).SetString(num)
		if !ok {
			t.Fatalf("%q accepted as %d, but %q is not a number", s, b, num)
		}
		exact.Mul(exact, unit)
		want, _ := exact.Float64()
		if math.Abs(float64(b)-want) > want*1e-15 {
			t.Fatalf("%q = %d, want %v", s, b, exact.FloatString(3))
		}
		text := b.String()
		if back, err := ParseByteSize(text); err != nil || back != b {
			t.Fatalf("%q = %d prints as %q, which reads back as %d, %v", s, b, text, back, err)
		}
	})
}

// FuzzParsePeriod: an accepted publicity period prints (FormatPeriod) as one that reads
// back the same, with each part within the five digits the syntax allows.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{
		"3y", "18mo", "90d", "1y6mo", "1y6mo15d", "until_repaired", " 5y ", "0y1d", "99999d",
		// Refused.
		"", "0y", "0y0mo", "3m", "1y1y", "y", "100000d", "-1y", "1.5y", "1 y", "1w", "until repaired",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", strings.TrimSpace(s))) {
				t.Fatalf("%q: the error %q does not quote the input", s, err)
			}
			return
		}
		for _, n := range []int{p.Years, p.Months, p.Days} {
			if n < 0 || n > 99999 {
				t.Fatalf("%q = %+v", s, p)
			}
		}
		if p.UntilRepaired() != (strings.TrimSpace(s) == "until_repaired") {
			t.Fatalf("%q = %+v", s, p)
		}
		text := FormatPeriod(p)
		if back, err := ParsePeriod(text); err != nil || back != p {
			t.Fatalf("%q = %+v prints as %q, which reads back as %+v, %v", s, p, text, back, err)
		}
	})
}

// FuzzParseRate: an accepted rate limit has a positive count and period, and prints
// (String, MarshalText) as one that reads back the same.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{
		"20/min", "5/s", "100/1m", "1000/1h", "100/min", "1/sec", "3/second", "10/minute", "60/hour", "7/h", "2/10s",
		"1/1d", " 20 / min ", "+5/s", "1/1500ms",
		// Refused.
		"", "20", "/min", "20/", "0/min", "-1/s", "20/0s", "20/-1m", "1.5/s", "20/week", "20/min/s", "99999999999999999999/s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("%q: the error %q does not quote the input", s, err)
			}
			return
		}
		if r.Count <= 0 || r.Per <= 0 {
			t.Fatalf("%q = %+v", s, r)
		}
		text := r.String()
		if back, err := ParseRate(text); err != nil || back != r {
			t.Fatalf("%q = %+v prints as %q, which reads back as %+v, %v", s, r, text, back, err)
		}
		b, _ := r.MarshalText()
		var u Rate
		if err := u.UnmarshalText(b); err != nil || u != r {
			t.Fatalf("%q = %+v marshals as %q, which unmarshals as %+v, %v", s, r, b, u, err)
		}
	})
}
