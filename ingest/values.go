package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// valueKind is what a field was given as. CSV gives only strings; NDJSON may give any
// JSON value, and each field decides which it accepts.
type valueKind uint8

const (
	vNull valueKind = iota
	vString
	vNumber // s holds the JSON literal
	vBool
	vArray // list holds the elements when all are strings; mixed is set otherwise
	vObject
)

type value struct {
	kind  valueKind
	s     string
	list  []string
	mixed bool
}

// given reports whether the field carries a value: empty cells, empty or blank strings,
// null and [] all mean "not given".
func (v value) given() bool {
	switch v.kind {
	case vNull:
		return false
	case vArray:
		return len(v.list) > 0 || v.mixed
	case vString:
		return v.s != ""
	}
	return true
}

func (v value) describe() string {
	switch v.kind {
	case vString:
		return "a string"
	case vNumber:
		return "a number"
	case vBool:
		return "a boolean"
	case vArray:
		return "an array"
	case vObject:
		return "an object"
	}
	return "null"
}

func (v value) want(what string) error {
	return fmt.Errorf("want %s, got %s", what, v.describe())
}

// number reads a JSON number, or a string holding a plain decimal number.
func (v value) number() (float64, error) {
	if v.kind != vString && v.kind != vNumber {
		return 0, v.want("a number")
	}
	return parseNumber(v.s)
}

func (v value) time() (time.Time, error) {
	if v.kind != vString {
		return time.Time{}, v.want("a date string")
	}
	return parseTime(v.s)
}

// parseNumber reads a plain decimal number: an optional sign, digits with an optional
// fraction, an optional exponent. Whatever strconv would also take (hex, "_", NaN, Inf)
// is refused, with advice for the usual spreadsheet habits.
func parseNumber(s string) (float64, error) {
	if !plainDecimal(s) {
		return 0, notANumber(s)
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil { // only ErrRange is possible once the syntax is checked
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return x, nil
}

func plainDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

func notANumber(s string) error {
	t := strings.ToLower(strings.TrimLeft(s, "+-"))
	switch {
	case t == "nan" || t == "inf" || t == "infinity":
		return fmt.Errorf("%q is not a finite number", s)
	case strings.HasPrefix(t, "0x"):
		return fmt.Errorf("%q is hexadecimal (write the number in decimal)", s)
	case strings.HasSuffix(s, "%") && plainDecimal(strings.TrimSuffix(s, "%")):
		return fmt.Errorf("%q is a percentage (write a fraction, e.g. 0.5 for 50%%)", s)
	}
	for _, sep := range []string{",", "_", " "} {
		if thousands(s, sep) {
			return fmt.Errorf("%q has digit group separators (write %s)", s, strings.ReplaceAll(s, sep, ""))
		}
	}
	if d := strings.Replace(s, ",", ".", 1); d != s && plainDecimal(d) {
		return fmt.Errorf("%q has a decimal comma (write %s)", s, d)
	}
	return fmt.Errorf("%q is not a number", s)
}

// thousands reports whether s is a decimal number whose integer part is grouped by sep
// into threes, as in 1,234,567.5.
func thousands(s, sep string) bool {
	intPart, frac, _ := strings.Cut(strings.TrimLeft(s, "+-"), ".")
	groups := strings.Split(intPart, sep)
	if len(groups) < 2 || len(groups[0]) == 0 || len(groups[0]) > 3 {
		return false
	}
	for i, g := range groups {
		if (i > 0 && len(g) != 3) || !plainDecimal(g) || strings.ContainsAny(g, "+-eE") {
			return false
		}
	}
	return frac == "" || plainDecimal(frac)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digits reads a run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

var utc8 = time.FixedZone("", 8*60*60)

const dateForms = "want YYYY-MM-DD or RFC 3339, e.g. 2026-01-31 or 2026-01-31T09:30:00+08:00"

// ParseTime reads a timestamp as input files give them: RFC 3339, or YYYY-MM-DD
// (midnight); without a zone the time is credit.Shanghai's. The API reads its time
// parameters with it, so that one rule holds everywhere.
func ParseTime(s string) (time.Time, error) { return parseTime(s) }

// parseTime reads YYYY-MM-DD or an RFC 3339 date-time ("T", "t" or a space between
// date and time). Without a zone the time is credit.Shanghai's. It is written by hand
// because it runs for nearly every row and because time.Parse's errors do not say what
// to fix.
func parseTime(s string) (time.Time, error) {
	bad := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("%q is not a date (%s)", s, dateForms)
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return bad()
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return bad()
	}
	if mo < 1 || mo > 12 {
		return time.Time{}, fmt.Errorf("%q is not a valid date: there is no month %d", s, mo)
	}
	if n := daysIn(mo, y); d < 1 || d > n {
		return time.Time{}, fmt.Errorf("%q is not a valid date: %s %d has %d days", s, time.Month(mo), y, n)
	}
	if len(s) == 10 {
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, credit.Shanghai), nil
	}
	t := s[10:]
	if len(t) < 9 || (t[0] != 'T' && t[0] != 't' && t[0] != ' ') || t[3] != ':' || t[6] != ':' {
		return bad()
	}
	h, ok1 := digits(t[1:3])
	mi, ok2 := digits(t[4:6])
	sec, ok3 := digits(t[7:9])
	if !ok1 || !ok2 || !ok3 {
		return bad()
	}
	if h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, fmt.Errorf("%q is not a valid time of day", s)
	}
	t = t[9:]
	ns := 0
	if len(t) > 0 && t[0] == '.' {
		n := 1
		for n < len(t) && isDigit(t[n]) {
			n++
		}
		frac, ok := digits(t[1:n])
		if !ok || n > 10 {
			return bad()
		}
		for i := n; i < 10; i++ {
			frac *= 10
		}
		ns, t = frac, t[n:]
	}
	loc := credit.Shanghai
	switch {
	case t == "":
	case t == "Z" || t == "z":
		loc = time.UTC
	case len(t) == 6 && (t[0] == '+' || t[0] == '-') && t[3] == ':':
		zh, ok1 := digits(t[1:3])
		zm, ok2 := digits(t[4:6])
		if !ok1 || !ok2 {
			return bad()
		}
		if zh > 23 || zm > 59 {
			return time.Time{}, fmt.Errorf("%q has a zone offset out of range", s)
		}
		off := zh*3600 + zm*60
		if t[0] == '-' {
			off = -off
		}
		switch off {
		case 0:
			loc = time.UTC
		case 8 * 3600:
			loc = utc8
		default:
			loc = time.FixedZone("", off)
		}
	default:
		return bad()
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc), nil
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
