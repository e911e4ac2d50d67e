package ingest

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonLine scans one NDJSON line: a flat object whose members the Reader takes one at
// a time. It is written here rather than built on encoding/json because a row needs
// what encoding/json does not give: duplicate keys found, each key checked as it comes,
// numbers kept as their literal, and strings sliced from the line without copying.
//
// Errors are of two sorts. A *syntaxError means the line is not JSON and scanning
// stops. A contentError means a value is well-formed but unacceptable (invalid UTF-8,
// a lone surrogate); the value has been read to its end and scanning may go on.
type jsonLine struct {
	s       string
	i       int
	scratch []byte
}

type syntaxError struct {
	at  int // byte offset in the line
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.at+1, e.msg)
}

type contentError string

func (e contentError) Error() string { return string(e) }

// maxDepth bounds nesting; no field takes more than an array of strings, so deeper
// values are only ever read to be refused.
const maxDepth = 32

func (o *jsonLine) syntax(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if o.i >= len(o.s) {
		msg = "unexpected end of line, " + msg
	}
	return &syntaxError{at: o.i, msg: msg}
}

func (o *jsonLine) ws() {
	for o.i < len(o.s) {
		switch o.s[o.i] {
		case ' ', '\t', '\r', '\n':
			o.i++
		default:
			return
		}
	}
}

// open starts scanning s, which must hold an object.
func (o *jsonLine) open(s string) error {
	o.s, o.i = s, 0
	o.ws()
	if o.i >= len(o.s) || o.s[o.i] != '{' {
		return o.syntax("want an object, one per line")
	}
	o.i++
	return nil
}

// more steps to the next element of the object or array being read, which end closes.
// It reports false after the closing bracket.
func (o *jsonLine) more(first bool, end byte) (bool, error) {
	o.ws()
	if o.i >= len(o.s) {
		return false, o.syntax("want %q", end)
	}
	if o.s[o.i] == end {
		o.i++
		return false, nil
	}
	if !first {
		if o.s[o.i] != ',' {
			return false, o.syntax("unexpected %q, want ',' or %q", o.s[o.i], end)
		}
		o.i++
		o.ws()
	}
	return true, nil
}

// member reads `"key": value`. A key that is not valid UTF-8 comes back as it is (it
// can name no field); a contentError is about the value.
func (o *jsonLine) member(depth int) (key string, v value, err error) {
	if o.i >= len(o.s) || o.s[o.i] != '"' {
		return "", value{}, o.syntax("want a key in double quotes")
	}
	key, err = o.str()
	if _, ok := err.(*syntaxError); ok {
		return "", value{}, err
	}
	o.ws()
	if o.i >= len(o.s) || o.s[o.i] != ':' {
		return "", value{}, o.syntax("want ':' after a key")
	}
	o.i++
	v, err = o.value(depth)
	return key, v, err
}

// end checks that nothing but white space follows the object.
func (o *jsonLine) end() error {
	o.ws()
	if o.i < len(o.s) {
		return o.syntax("unexpected %q after the object", o.s[o.i])
	}
	return nil
}

func (o *jsonLine) value(depth int) (value, error) {
	o.ws()
	if o.i >= len(o.s) {
		return value{}, o.syntax("want a value")
	}
	switch c := o.s[o.i]; {
	case c == '"':
		s, err := o.str()
		return value{kind: vString, s: s}, err
	case c == '-' || isDigit(c):
		return o.number()
	case c == '[' || c == '{':
		return o.nested(depth + 1)
	}
	for _, lit := range [...]struct {
		word string
		kind valueKind
	}{{"null", vNull}, {"true", vBool}, {"false", vBool}} {
		if strings.HasPrefix(o.s[o.i:], lit.word) {
			o.i += len(lit.word)
			return value{kind: lit.kind}, nil
		}
	}
	return value{}, o.syntax("unexpected %q, want a value", o.s[o.i])
}

// nested reads an array or an object. Only an array of strings is kept; anything else
// is read through to check the syntax and to report its kind.
func (o *jsonLine) nested(depth int) (value, error) {
	if depth > maxDepth {
		return value{}, o.syntax("nested more than %d deep", maxDepth)
	}
	end, v := byte(']'), value{kind: vArray}
	if o.s[o.i] == '{' {
		end, v = '}', value{kind: vObject}
	}
	o.i++
	var bad error
	for first := true; ; first = false {
		more, err := o.more(first, end)
		if err != nil {
			return value{}, err
		}
		if !more {
			return v, bad
		}
		var e value
		if end == '}' {
			_, e, err = o.member(depth)
		} else {
			e, err = o.value(depth)
		}
		if _, ok := err.(*syntaxError); ok {
			return value{}, err
		}
		if bad == nil {
			bad = err
		}
		switch {
		case end == '}':
		case e.kind == vString:
			v.list = append(v.list, e.s)
		default:
			v.mixed = true
		}
	}
}

func (o *jsonLine) number() (value, error) {
	start := o.i
	if o.s[o.i] == '-' {
		o.i++
	}
	switch {
	case o.i < len(o.s) && o.s[o.i] == '0':
		o.i++
	case o.i < len(o.s) && isDigit(o.s[o.i]):
		o.skipDigits()
	default:
		return value{}, o.syntax("want a digit")
	}
	if o.i < len(o.s) && o.s[o.i] == '.' {
		o.i++
		if !o.skipDigits() {
			return value{}, o.syntax("want a digit after the decimal point")
		}
	}
	if o.i < len(o.s) && (o.s[o.i] == 'e' || o.s[o.i] == 'E') {
		o.i++
		if o.i < len(o.s) && (o.s[o.i] == '+' || o.s[o.i] == '-') {
			o.i++
		}
		if !o.skipDigits() {
			return value{}, o.syntax("want a digit in the exponent")
		}
	}
	return value{kind: vNumber, s: o.s[start:o.i]}, nil
}

func (o *jsonLine) skipDigits() bool {
	start := o.i
	for o.i < len(o.s) && isDigit(o.s[o.i]) {
		o.i++
	}
	return o.i > start
}

// str reads a string from its opening quote. Without escapes the result is a slice of
// the line. With a contentError the string comes back as far as it could be decoded.
func (o *jsonLine) str() (string, error) {
	o.i++
	start := o.i
	ascii := true
	for o.i < len(o.s) {
		switch c := o.s[o.i]; {
		case c == '"':
			s := o.s[start:o.i]
			o.i++
			if !ascii && !utf8.ValidString(s) {
				return s, contentError("not valid UTF-8")
			}
			return s, nil
		case c == '\\':
			return o.unescape(start)
		case c < 0x20:
			return "", o.syntax("control character %q in a string", c)
		case c >= utf8.RuneSelf:
			ascii = false
		}
		o.i++
	}
	return "", o.syntax("want the closing quote of a string")
}

// unescape finishes a string that holds escapes; start is where its content begins and
// o.i is at the first backslash.
func (o *jsonLine) unescape(start int) (string, error) {
	b := append(o.scratch[:0], o.s[start:o.i]...)
	defer func() { o.scratch = b[:0] }()
	var bad contentError
	for o.i < len(o.s) {
		c := o.s[o.i]
		switch {
		case c == '"':
			o.i++
			if bad == "" && !utf8.Valid(b) {
				bad = "not valid UTF-8"
			}
			if bad != "" {
				return string(b), bad
			}
			return string(b), nil
		case c < 0x20:
			return "", o.syntax("control character %q in a string", c)
		case c != '\\':
			b = append(b, c)
			o.i++
			continue
		}
		if o.i+1 >= len(o.s) {
			o.i++
			break
		}
		e := o.s[o.i+1]
		o.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := o.hex4()
			if !ok {
				return "", o.syntax(`want four hex digits after \u`)
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if strings.HasPrefix(o.s[o.i:], `\u`) {
					save := o.i
					o.i += 2
					var ok bool
					if r2, ok = o.hex4(); !ok {
						return "", o.syntax(`want four hex digits after \u`)
					}
					if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
						o.i = save
					}
				} else {
					r = utf8.RuneError
				}
				if r == utf8.RuneError {
					bad = `lone UTF-16 surrogate in a \u escape`
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			o.i -= 2
			return "", o.syntax("invalid escape %q", `\`+string(rune(e)))
		}
	}
	return "", o.syntax("want the closing quote of a string")
}

func (o *jsonLine) hex4() (rune, bool) {
	if o.i+4 > len(o.s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(o.s[o.i : o.i+4]) {
		switch {
		case isDigit(c):
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	o.i += 4
	return r, true
}

// blank reports whether a line holds only JSON white space.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// keyName renders a key for an error message: as it is when it looks like a field
// name, quoted and cut short otherwise, so that no key can forge a line of output.
func keyName(key string) string {
	plain := key != "" && len(key) <= 64
	for i := 0; plain && i < len(key); i++ {
		c := key[i]
		plain = c == '_' || c == '-' || isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	switch {
	case plain:
		return key
	case len(key) > 64:
		cut := 64 // at a character's start, so as not to show half of one as a bad byte
		for cut > 0 && !utf8.RuneStart(key[cut]) {
			cut--
		}
		return fmt.Sprintf("%q...", key[:cut])
	}
	return fmt.Sprintf("%q", key)
}
