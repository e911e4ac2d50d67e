package ingest

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// FuzzCSV and FuzzNDJSON check rows and problems; these check the hand-written value
// parsers every row goes through against the standard library.

// FuzzParseTime: an accepted date or date-time is the instant time.Parse reads from it,
// in the same zone offset (Shanghai's without one); a strict RFC 3339 date-time or a
// YYYY-MM-DD date that time.Parse takes is accepted; an error quotes the input.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2026-01-31", "2024-02-29", "2000-02-29", "0000-01-01", "9999-12-31",
		"2026-01-31T09:30:00+08:00", "2026-01-31T09:30:00Z", "2026-01-31t09:30:00z", "2026-01-31 09:30:00",
		"2026-01-31T09:30:00.123456789-00:00", "2026-01-31T09:30:00.5+05:45", "1999-01-01T00:00:00.000001+14:00",
		"2026-06-15T12:00:00-11:30", "2026-01-31T09:30:00.1",
		// Refused.
		"2026-02-29", "1900-02-29", "2026-04-31", "2026-01-00", "2026-00-10", "2026-1-5", "2026/01/05", "05.01.2026",
		"2026-01-05T", "2026-01-05T09:30", "2026-01-05T09:30:00.", "2026-01-05T09:30:00.1234567890Z",
		"2026-01-05T09:30:00+0800", "2026-01-05T09:30:00 CST", "2026-01-05T24:00:00", "2026-01-05T23:59:60Z",
		"2026-01-05T09:30:00+24:00", "２０２６-01-05", "2026-01-05T09:30:00,5Z", "", "2026-01-05 ",
	} {
		f.Add(s)
	}
	// The forms both parsers must take. time.Parse is laxer elsewhere (a decimal comma,
	// zone offsets up to +24:59), which the ingest refuses on purpose: RFC 3339 offsets
	// are 00:00 to 23:59.
	strict := regexp.MustCompile(`^\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d))?$`)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime(s)
		var want time.Time
		var werr error
		switch {
		case len(s) == 10:
			want, werr = time.ParseInLocation(time.DateOnly, s, credit.Shanghai)
		case len(s) > 10:
			// Normalise what parseTime allows beyond RFC 3339: t or a space, z.
			n := s[:10] + "T" + s[11:]
			if strings.HasSuffix(n, "z") {
				n = n[:len(n)-1] + "Z"
			}
			want, werr = time.Parse(time.RFC3339Nano, n)
			if werr != nil {
				// No zone: Shanghai's.
				want, werr = time.ParseInLocation("2006-01-02T15:04:05.999999999", n, credit.Shanghai)
			}
		default:
			werr = fmt.Errorf("too short")
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("%q: the error %q does not begin with the input", s, err)
			}
			if werr == nil && strict.MatchString(s) {
				t.Fatalf("%q refused (%v), time.Parse reads %s", s, err, want)
			}
			return
		}
		if werr != nil || !got.Equal(want) {
			t.Fatalf("%q = %s; time.Parse reads %s, %v", s, got, want, werr)
		}
		_, off := got.Zone()
		if _, woff := want.Zone(); off != woff {
			t.Fatalf("%q = %s at offset %d, time.Parse says %d", s, got, off, woff)
		}
	})
}

// FuzzParseNumber: an accepted number is finite and exactly what strconv.ParseFloat
// reads; a plain decimal that strconv reads as finite is accepted; an error quotes the
// input.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{
		"0", "-0.25", "+3", ".5", "5.", "1.5e9", "2E-3", "007", "1e308", "4.9e-324", "1e-400", "123456789012345678901234567890",
		// Refused.
		"", ".", "1e", "e5", "1.2.3", "--1", "NaN", "-Inf", "infinity", "0x1F", "0x1p-2", "1,234,567.5", "1_000", "12 000",
		"1,23,456", "0,5", "50%", "1e999", "¥100", "１００", " 1", "1 ",
	} {
		f.Add(s)
	}
	plain := regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)
	f.Fuzz(func(t *testing.T, s string) {
		x, err := parseNumber(s)
		want, werr := strconv.ParseFloat(s, 64)
		if err != nil {
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("%q: the error %q does not begin with the input", s, err)
			}
			if werr == nil && plain.MatchString(s) {
				t.Fatalf("%q refused (%v), strconv reads %v", s, err, want)
			}
			return
		}
		if werr != nil || x != want || math.IsNaN(x) || math.IsInf(x, 0) || !plain.MatchString(s) {
			t.Fatalf("%q = %v; strconv reads %v, %v", s, x, want, werr)
		}
	})
}
