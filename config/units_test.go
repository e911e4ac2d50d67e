package config

import (
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true},
		{"1h30m", 90 * time.Minute, true},
		{"0", 0, true},
		{"180d", 180 * day, true},
		{"1d12h", 36 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"-2d", -2 * day, true},
		{"0d", 0, true},
		{"30", 0, false},
		{"d", 0, false},
		{"1x", 0, false},
		{"1d-2h", 0, false},
		{"5m3d", 0, false},
		{"1e3d", 0, false},
		{"nand", 0, false},
		{"infd", 0, false},
		{"1d2d", 0, false},
		{"999999999d", 0, false},
		{"", 0, false},
	} {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	for d, want := range map[time.Duration]string{
		0: "0s", 30 * time.Second: "30s", 30 * time.Minute: "30m", 2 * time.Hour: "2h",
		90 * time.Minute: "1h30m", 180 * day: "180d", 36 * time.Hour: "36h",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Errorf("round trip of %v: %v, %v", d, back, err)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ByteSize
		ok   bool
	}{
		{"1048576", MiB, true},
		{"64MiB", 64 * MiB, true},
		{"64 MiB", 64 * MiB, true},
		{"1MB", 1_000_000, true},
		{"512KiB", 512 * KiB, true},
		{"10kb", 10_000, true},
		{"1GiB", GiB, true},
		{"2GB", 2_000_000_000, true},
		{"1.5KiB", 1536, true},
		{"100B", 100, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"1.1B", 0, false},
		{"64M", 0, false},
		{"1e6", 0, false},
		{"MiB", 0, false},
		{"99999999999GiB", 0, false},
		{"0x10", 0, false},
	} {
		got, err := ParseByteSize(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	for b, want := range map[ByteSize]string{64 * MiB: "64MiB", KiB: "1KiB", 3 * GiB: "3GiB", 1000: "1000B", 0: "0B"} {
		if got := b.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(b), got, want)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want credit.Period
		ok   bool
	}{
		{"3y", credit.Period{Years: 3}, true},
		{"18mo", credit.Period{Months: 18}, true},
		{"90d", credit.Period{Days: 90}, true},
		{"1y6mo", credit.Period{Years: 1, Months: 6}, true},
		{"1y2mo3d", credit.Period{Years: 1, Months: 2, Days: 3}, true},
		{"until_repaired", credit.Period{}, true},
		{"18m", credit.Period{}, false},
		{"0d", credit.Period{}, false},
		{"3", credit.Period{}, false},
		{"y", credit.Period{}, false},
		{"1y1y", credit.Period{}, false},
		{"-1y", credit.Period{}, false},
		{"", credit.Period{}, false},
		{"1w", credit.Period{}, false},
	} {
		got, err := ParsePeriod(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok {
			if back, err := ParsePeriod(FormatPeriod(got)); err != nil || back != got {
				t.Errorf("round trip of %q via %q: %v, %v", tc.in, FormatPeriod(got), back, err)
			}
		}
	}
}

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Rate
		ok   bool
	}{
		{"20/min", Rate{20, time.Minute}, true},
		{"5/s", Rate{5, time.Second}, true},
		{"100/1m", Rate{100, time.Minute}, true},
		{"10/30s", Rate{10, 30 * time.Second}, true},
		{"1000/h", Rate{1000, time.Hour}, true},
		{"0/s", Rate{}, false},
		{"-1/s", Rate{}, false},
		{"5", Rate{}, false},
		{"5/", Rate{}, false},
		{"5/0s", Rate{}, false},
		{"x/s", Rate{}, false},
	} {
		got, err := ParseRate(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseRate(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if s := (Rate{10, 30 * time.Second}).String(); s != "10/30s" {
		t.Errorf("String = %q", s)
	}
}
