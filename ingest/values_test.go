package ingest

import (
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  string
	}{
		{in: "0", want: 0},
		{in: "-0.25", want: -0.25},
		{in: "+3", want: 3},
		{in: ".5", want: 0.5},
		{in: "5.", want: 5},
		{in: "1.5e9", want: 1.5e9},
		{in: "2E-3", want: 0.002},
		{in: "007", want: 7},
		{in: "", err: `"" is not a number`},
		{in: ".", err: `"." is not a number`},
		{in: "1e", err: `"1e" is not a number`},
		{in: "e5", err: `"e5" is not a number`},
		{in: "1.2.3", err: `"1.2.3" is not a number`},
		{in: "--1", err: `"--1" is not a number`},
		{in: "NaN", err: `"NaN" is not a finite number`},
		{in: "-Inf", err: `"-Inf" is not a finite number`},
		{in: "infinity", err: `"infinity" is not a finite number`},
		{in: "0x1F", err: `"0x1F" is hexadecimal (write the number in decimal)`},
		{in: "0x1p-2", err: `"0x1p-2" is hexadecimal (write the number in decimal)`},
		{in: "1,234,567.5", err: `"1,234,567.5" has digit group separators (write 1234567.5)`},
		{in: "1_000", err: `"1_000" has digit group separators (write 1000)`},
		{in: "12 000", err: `"12 000" has digit group separators (write 12000)`},
		{in: "1,23,456", err: `"1,23,456" is not a number`},
		{in: "0,5", err: `"0,5" has a decimal comma (write 0.5)`},
		{in: "50%", err: `"50%" is a percentage (write a fraction, e.g. 0.5 for 50%)`},
		{in: "1e999", err: `"1e999" is out of range`},
		{in: "¥100", err: `"¥100" is not a number`},
		{in: "１００", err: `"１００" is not a number`},
	}
	for _, tt := range tests {
		got, err := parseNumber(tt.in)
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("parseNumber(%q) error %v, want %s", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("parseNumber(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	sh := credit.Shanghai
	tests := []struct {
		in   string
		want time.Time
		err  string
	}{
		{in: "2026-01-31", want: time.Date(2026, 1, 31, 0, 0, 0, 0, sh)},
		{in: "2024-02-29", want: time.Date(2024, 2, 29, 0, 0, 0, 0, sh)},
		{in: "2000-02-29", want: time.Date(2000, 2, 29, 0, 0, 0, 0, sh)},
		{in: "2026-01-31T09:30:00+08:00", want: time.Date(2026, 1, 31, 1, 30, 0, 0, time.UTC)},
		{in: "2026-01-31T09:30:00Z", want: time.Date(2026, 1, 31, 9, 30, 0, 0, time.UTC)},
		{in: "2026-01-31t09:30:00z", want: time.Date(2026, 1, 31, 9, 30, 0, 0, time.UTC)},
		{in: "2026-01-31 09:30:00", want: time.Date(2026, 1, 31, 9, 30, 0, 0, sh)},
		{in: "2026-01-31T09:30:00.123456789-00:00", want: time.Date(2026, 1, 31, 9, 30, 0, 123456789, time.UTC)},
		{in: "2026-01-31T09:30:00.5+05:45", want: time.Date(2026, 1, 31, 3, 45, 0, 5e8, time.UTC)},
		{in: "2026-02-29", err: `"2026-02-29" is not a valid date: February 2026 has 28 days`},
		{in: "1900-02-29", err: `"1900-02-29" is not a valid date: February 1900 has 28 days`},
		{in: "2026-04-31", err: `"2026-04-31" is not a valid date: April 2026 has 30 days`},
		{in: "2026-01-00", err: `"2026-01-00" is not a valid date: January 2026 has 31 days`},
		{in: "2026-00-10", err: `"2026-00-10" is not a valid date: there is no month 0`},
		{in: "2026-1-5", err: `"2026-1-5" is not a date (` + dateForms + `)`},
		{in: "2026/01/05", err: `"2026/01/05" is not a date (` + dateForms + `)`},
		{in: "05.01.2026", err: `"05.01.2026" is not a date (` + dateForms + `)`},
		{in: "2026-01-05T", err: `"2026-01-05T" is not a date (` + dateForms + `)`},
		{in: "2026-01-05T09:30", err: `"2026-01-05T09:30" is not a date (` + dateForms + `)`},
		{in: "2026-01-05T09:30:00.", err: `"2026-01-05T09:30:00." is not a date (` + dateForms + `)`},
		{in: "2026-01-05T09:30:00.1234567890Z", err: `"2026-01-05T09:30:00.1234567890Z" is not a date (` + dateForms + `)`},
		{in: "2026-01-05T09:30:00+0800", err: `"2026-01-05T09:30:00+0800" is not a date (` + dateForms + `)`},
		{in: "2026-01-05T09:30:00 CST", err: `"2026-01-05T09:30:00 CST" is not a date (` + dateForms + `)`},
		{in: "2026-01-05T24:00:00", err: `"2026-01-05T24:00:00" is not a valid time of day`},
		{in: "2026-01-05T23:59:60Z", err: `"2026-01-05T23:59:60Z" is not a valid time of day`},
		{in: "2026-01-05T09:30:00+24:00", err: `"2026-01-05T09:30:00+24:00" has a zone offset out of range`},
		{in: "２０２６-01-05", err: `"２０２６-01-05" is not a date (` + dateForms + `)`},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in)
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("parseTime(%q) error %v, want %s", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || !got.Equal(tt.want)):
			t.Errorf("parseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	// A date without a zone is midnight in Shanghai, and keeps that zone.
	if got, _ := parseTime("2026-01-31"); got.Location() != sh || got.UTC().Hour() != 16 {
		t.Errorf("date in %v at %v UTC", got.Location(), got.UTC())
	}
}

// TestParseTimeMatchesTimePackage cross-checks the hand-written parser with time.Parse
// on the forms both accept.
func TestParseTimeMatchesTimePackage(t *testing.T) {
	for _, s := range []string{
		"2026-12-31T23:59:59Z", "1999-01-01T00:00:00.000001+14:00", "2026-06-15T12:00:00-11:30",
	} {
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: got %v, %v; want %v", s, got, err, want)
		}
		_, offGot := got.Zone()
		_, offWant := want.Zone()
		if offGot != offWant {
			t.Errorf("%s: offset %d, want %d", s, offGot, offWant)
		}
	}
}

func TestJSONStrings(t *testing.T) {
	tests := []struct {
		in   string // a JSON value
		want string
		err  string
	}{
		{in: `"plain"`, want: "plain"},
		{in: `"黑龙江"`, want: "黑龙江"},
		{in: `"a\"b\\c\/d\b\f\n\r\t"`, want: "a\"b\\c/d\b\f\n\r\t"},
		{in: `"\u9ed1\u9F99\u6c5f"`, want: "黑龙江"},
		{in: `"\ud83d\ude00 smile"`, want: "😀 smile"},
		{in: `"x\u0000y"`, want: "x\x00y"},
		{in: `"\ud83d"`, err: `lone UTF-16 surrogate in a \u escape`},
		{in: `"\ude00\ud83d\ude00"`, err: `lone UTF-16 surrogate in a \u escape`},
		{in: `"\ud83d\u0041"`, err: `lone UTF-16 surrogate in a \u escape`},
		{in: "\"caf\xe9\"", err: "not valid UTF-8"},
		{in: "\"caf\xe9\\n\"", err: "not valid UTF-8"},
		{in: `"\x41"`, err: `invalid JSON at byte 2: invalid escape "\\x"`},
		{in: `"\u12"`, err: `invalid JSON at byte 4: want four hex digits after \u`},
		{in: `"\u12G4"`, err: `invalid JSON at byte 4: want four hex digits after \u`},
		{in: "\"tab\there\"", err: `invalid JSON at byte 5: control character '\t' in a string`},
		{in: `"open`, err: `invalid JSON at byte 6: unexpected end of line, want the closing quote of a string`},
		{in: `"open\`, err: `invalid JSON at byte 7: unexpected end of line, want the closing quote of a string`},
	}
	for _, tt := range tests {
		o := jsonLine{s: tt.in}
		v, err := o.value(0)
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("%s: error %v, want %s", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || v.kind != vString || v.s != tt.want):
			t.Errorf("%s: got %q, %v; want %q", tt.in, v.s, err, tt.want)
		}
	}
}

func TestJSONValues(t *testing.T) {
	tests := []struct {
		in   string
		want value
		err  string
	}{
		{in: `null`, want: value{kind: vNull}},
		{in: `true`, want: value{kind: vBool}},
		{in: ` false`, want: value{kind: vBool}},
		{in: `-0.5e+3`, want: value{kind: vNumber, s: "-0.5e+3"}},
		{in: `0`, want: value{kind: vNumber, s: "0"}},
		{in: `["a", "b"]`, want: value{kind: vArray, list: []string{"a", "b"}}},
		{in: `[]`, want: value{kind: vArray}},
		{in: `["a", 1, {"x": [null]}]`, want: value{kind: vArray, list: []string{"a"}, mixed: true}},
		{in: `{"a": {"b": []}}`, want: value{kind: vObject}},
		{in: `-`, err: "invalid JSON at byte 2: unexpected end of line, want a digit"},
		{in: `1.e5`, err: "invalid JSON at byte 3: want a digit after the decimal point"},
		{in: `1e+`, err: "invalid JSON at byte 4: unexpected end of line, want a digit in the exponent"},
		{in: `nul`, err: `invalid JSON at byte 1: unexpected 'n', want a value`},
		{in: `NaN`, err: `invalid JSON at byte 1: unexpected 'N', want a value`},
		{in: `'a'`, err: `invalid JSON at byte 1: unexpected '\'', want a value`},
		{in: `["a",]`, err: `invalid JSON at byte 6: unexpected ']', want a value`},
		{in: `["a" "b"]`, err: `invalid JSON at byte 6: unexpected '"', want ',' or ']'`},
		{in: `{"a" 1}`, err: `invalid JSON at byte 6: want ':' after a key`},
		{in: `{1: 2}`, err: `invalid JSON at byte 2: want a key in double quotes`},
		{in: `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`, err: "invalid JSON at byte 33: nested more than 32 deep"},
		{in: `["\ud800", "b"]`, want: value{kind: vArray, list: []string{"\ufffd", "b"}}, err: `lone UTF-16 surrogate in a \u escape`},
	}
	for _, tt := range tests {
		o := jsonLine{s: tt.in}
		v, err := o.value(0)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: error %v, want %s", tt.in, err, tt.err)
			}
			if _, content := err.(contentError); !content {
				continue
			}
		} else if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if v.kind != tt.want.kind || v.s != tt.want.s || v.mixed != tt.want.mixed || len(v.list) != len(tt.want.list) {
			t.Errorf("%s: got %+v, want %+v", tt.in, v, tt.want)
			continue
		}
		for i := range v.list {
			if v.list[i] != tt.want.list[i] {
				t.Errorf("%s: element %d is %q, want %q", tt.in, i, v.list[i], tt.want.list[i])
			}
		}
	}
}
