package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chainrisk/chainrisk/credit"
)

// The seed corpora live in testdata/fuzz/FuzzCSV and testdata/fuzz/FuzzNDJSON.

// FuzzCSV decodes the input as it is (mostly exercising the header) and after each
// kind's full header (exercising the rows).
func FuzzCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range credit.Kinds {
			checkStream(t, kind, CSV, data)
			b, _ := newBuilder(kind)
			header := strings.Join(b.fields().names, ",") + "\n"
			checkStream(t, kind, CSV, append([]byte(header), data...))
		}
	})
}

// FuzzNDJSON decodes the input for each kind, and checks the JSON scanner against
// encoding/json line by line.
func FuzzNDJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range credit.Kinds {
			checkStream(t, kind, NDJSON, data)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			checkAgainstEncodingJSON(t, string(line))
		}
	})
}

// checkStream decodes data and checks what must hold for any input: no panic, no error
// but a header problem, one line number per row, increasing, within the input, and
// every problem on one line of output.
func checkStream(t *testing.T, kind credit.Kind, format Format, data []byte) {
	t.Helper()
	lastLine := bytes.Count(data, []byte("\n")) + 1
	r, err := NewReader(bytes.NewReader(data), Options{File: "f", Kind: kind, Format: format, ChunkSize: 7, MaxRecordBytes: 4096})
	if err != nil {
		var p RowProblem
		if format != CSV || !errors.As(err, &p) || p.Field != "header" || p.Line < 1 || p.Line > lastLine {
			t.Fatalf("%s %v: NewReader: %v", kind, format, err)
		}
		return
	}
	good := map[int]bool{}
	prev := 0
	for {
		c, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s %v: Next: %v", kind, format, err)
		}
		n := len(c.Enterprises) + len(c.Relations) + len(c.Events) + len(c.Repairs)
		if c.Kind != kind || c.Len() == 0 || n != c.Len() {
			t.Fatalf("%s %v: chunk of kind %s with %d lines and %d rows", kind, format, c.Kind, c.Len(), n)
		}
		for _, l := range c.Lines {
			if l <= prev || l > lastLine {
				t.Fatalf("%s %v: row at line %d after line %d (input has %d lines)", kind, format, l, prev, lastLine)
			}
			prev = l
			good[l] = true
		}
	}
	prev = 0
	for _, p := range r.Problems() {
		s := p.String()
		if p.Line < 1 || p.Line > lastLine || strings.Contains(s, "\n") || p.Field == "" {
			t.Fatalf("%s %v: bad problem %q", kind, format, s)
		}
		if !p.Warning {
			if p.Line <= prev || good[p.Line] {
				t.Fatalf("%s %v: second problem or row at line %d: %q", kind, format, p.Line, s)
			}
			prev = p.Line
		}
	}
	if r.Rows() != len(good)+r.Rejected() {
		t.Fatalf("%s %v: %d rows, %d good, %d rejected", kind, format, r.Rows(), len(good), r.Rejected())
	}
}

// checkAgainstEncodingJSON checks that a line the scanner reads as a JSON object is
// one for encoding/json too, with the same strings and numbers.
func checkAgainstEncodingJSON(t *testing.T, line string) {
	t.Helper()
	var o jsonLine
	if o.open(line) != nil {
		return
	}
	got := map[string]value{}
	clean := true // no content error, no duplicate key: encoding/json must read the same
	for first := true; ; first = false {
		more, err := o.more(first, '}')
		if err != nil {
			return
		}
		if !more {
			break
		}
		key, v, err := o.member(0)
		if _, ok := err.(*syntaxError); ok {
			return
		}
		if _, dup := got[key]; dup || err != nil || !utf8.ValidString(key) {
			clean = false
		}
		got[key] = v
	}
	if o.end() != nil {
		return
	}
	if !json.Valid([]byte(line)) {
		t.Fatalf("the scanner takes %q as an object, encoding/json does not", line)
	}
	if !clean {
		return
	}
	var want map[string]any
	d := json.NewDecoder(strings.NewReader(line))
	d.UseNumber()
	if err := d.Decode(&want); err != nil {
		t.Fatalf("decoding %q: %v", line, err)
	}
	for k, v := range got {
		var same bool
		switch v.kind {
		case vString:
			s, ok := want[k].(string)
			same = ok && s == v.s
		case vNumber:
			n, ok := want[k].(json.Number)
			same = ok && string(n) == v.s
		case vNull:
			same = want[k] == nil
		case vBool:
			_, same = want[k].(bool)
		case vArray:
			a, ok := want[k].([]any)
			same = ok && len(a) == len(v.list) || v.mixed
		case vObject:
			_, same = want[k].(map[string]any)
		}
		if !same {
			t.Fatalf("%q: key %q is %+v, encoding/json says %#v", line, k, v, want[k])
		}
	}
}
