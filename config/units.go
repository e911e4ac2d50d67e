package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// ParseDuration accepts Go duration syntax plus a leading day count with a "d" unit:
// "90s", "30m", "180d", "1d12h". Days are 24 hours (no calendar arithmetic).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	rest, neg := s, false
	if rest[0] == '-' || rest[0] == '+' {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	i := strings.IndexByte(rest, 'd')
	if i < 0 {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, durationError(s)
		}
		return d, nil
	}
	days, err := strconv.ParseFloat(rest[:i], 64)
	if err != nil || !decimal(rest[:i]) {
		return 0, durationError(s)
	}
	total := days * float64(24*time.Hour)
	if tail := rest[i+1:]; tail != "" {
		if tail[0] == '-' || tail[0] == '+' {
			return 0, durationError(s)
		}
		d, err := time.ParseDuration(tail)
		if err != nil {
			return 0, durationError(s)
		}
		total += float64(d)
	}
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("duration %q is too long", s)
	}
	if neg {
		total = -total
	}
	return time.Duration(total), nil
}

// decimal reports whether s is digits with at most one decimal point, which keeps
// strconv.ParseFloat's extras (exponents, hex, inf, nan, underscores) out of the config.
func decimal(s string) bool {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

func durationError(s string) error {
	return fmt.Errorf("invalid duration %q (use a number with a unit: 500ms, 30s, 5m, 2h, 180d, 1d12h)", s)
}

// FormatDuration writes d the way the config file does: whole days as "180d", other
// values in Go syntax without zero tails ("30m", "1h30m").
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d == 0 {
		return "0s"
	}
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// ByteSize is a size in bytes, written in the config as a plain integer or with a unit:
// B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024).
type ByteSize int64

// Byte size units.
const (
	KiB ByteSize = 1 << 10
	MiB ByteSize = 1 << 20
	GiB ByteSize = 1 << 30
)

var byteUnits = []struct {
	name string
	size float64
}{
	// Longest suffixes first so "KiB" is not read as "B".
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9},
	{"b", 1},
}

// ParseByteSize reads "64MiB", "1MB", "512KiB", "1048576".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	num, mult := t, 1.0
	lower := strings.ToLower(t)
	for _, u := range byteUnits {
		if strings.HasSuffix(lower, u.name) {
			num, mult = strings.TrimSpace(t[:len(t)-len(u.name)]), u.size
			break
		}
	}
	bad := fmt.Errorf("invalid byte size %q (use an integer with an optional unit: 512KiB, 64MiB, 1GiB, 10MB)", s)
	if !decimal(num) {
		return 0, bad
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, bad
	}
	f *= mult
	if f >= math.MaxInt64 {
		return 0, fmt.Errorf("byte size %q is too large", s)
	}
	if f != math.Trunc(f) {
		return 0, fmt.Errorf("byte size %q is not a whole number of bytes", s)
	}
	return ByteSize(f), nil
}

func (b ByteSize) String() string {
	switch {
	case b != 0 && b%GiB == 0:
		return strconv.FormatInt(int64(b/GiB), 10) + "GiB"
	case b != 0 && b%MiB == 0:
		return strconv.FormatInt(int64(b/MiB), 10) + "MiB"
	case b != 0 && b%KiB == 0:
		return strconv.FormatInt(int64(b/KiB), 10) + "KiB"
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// ParsePeriod reads a publicity period: "3y", "18mo", "90d", combinations such as
// "1y6mo", or "until_repaired" (the zero Period).
func ParsePeriod(s string) (credit.Period, error) {
	s = strings.TrimSpace(s)
	if s == "until_repaired" {
		return credit.Period{}, nil
	}
	bad := fmt.Errorf("invalid publicity period %q (use 3y, 18mo, 90d, 1y6mo or until_repaired)", s)
	var p credit.Period
	rest := s
	if rest == "" {
		return p, bad
	}
	seen := map[string]bool{}
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i > 5 {
			return credit.Period{}, bad
		}
		n, _ := strconv.Atoi(rest[:i])
		rest = rest[i:]
		var unit string
		switch {
		case strings.HasPrefix(rest, "mo"):
			unit, p.Months = "mo", n
		case strings.HasPrefix(rest, "y"):
			unit, p.Years = "y", n
		case strings.HasPrefix(rest, "d"):
			unit, p.Days = "d", n
		case strings.HasPrefix(rest, "m"):
			return credit.Period{}, fmt.Errorf("invalid publicity period %q: write months as \"mo\"", s)
		default:
			return credit.Period{}, bad
		}
		if seen[unit] {
			return credit.Period{}, bad
		}
		seen[unit] = true
		rest = rest[len(unit):]
	}
	if p.UntilRepaired() {
		return credit.Period{}, fmt.Errorf("publicity period %q is empty; write until_repaired for events that stay until repaired", s)
	}
	return p, nil
}

// FormatPeriod writes p in the syntax ParsePeriod reads.
func FormatPeriod(p credit.Period) string {
	if p.UntilRepaired() {
		return "until_repaired"
	}
	var b strings.Builder
	if p.Years != 0 {
		fmt.Fprintf(&b, "%dy", p.Years)
	}
	if p.Months != 0 {
		fmt.Fprintf(&b, "%dmo", p.Months)
	}
	if p.Days != 0 {
		fmt.Fprintf(&b, "%dd", p.Days)
	}
	return b.String()
}

// Rate is a rate limit: at most Count messages per Per. It is written "20/min",
// "5/s", "100/1m" or "1000/1h".
type Rate struct {
	Count int
	Per   time.Duration
}

// ParseRate reads "N/unit" where unit is s, sec, min, h, hour, or a duration such as 10s.
func ParseRate(s string) (Rate, error) {
	bad := fmt.Errorf("invalid rate %q (use count/period: 20/min, 5/s, 100/1m)", s)
	n, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, bad
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count <= 0 {
		return Rate{}, bad
	}
	var d time.Duration
	switch strings.TrimSpace(per) {
	case "s", "sec", "second":
		d = time.Second
	case "min", "minute":
		d = time.Minute
	case "h", "hour":
		d = time.Hour
	default:
		if d, err = ParseDuration(per); err != nil || d <= 0 {
			return Rate{}, bad
		}
	}
	return Rate{Count: count, Per: d}, nil
}

func (r Rate) String() string {
	switch r.Per {
	case time.Second:
		return fmt.Sprintf("%d/s", r.Count)
	case time.Minute:
		return fmt.Sprintf("%d/min", r.Count)
	case time.Hour:
		return fmt.Sprintf("%d/h", r.Count)
	}
	return fmt.Sprintf("%d/%s", r.Count, FormatDuration(r.Per))
}

// MarshalText writes the rate as the config does ("20/min"), for JSON and YAML dumps.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads "20/min", "5/s", "100/1m".
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
