package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// clock is a hand-moved clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTest(on bool, total int64) (*Bar, *bytes.Buffer, *clock) {
	var buf bytes.Buffer
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := NewOn(&buf, "relations.csv", "rows", total, on)
	b.now, b.start = c.now, c.t
	return b, &buf, c
}

func TestLineRateAndETA(t *testing.T) {
	b, _, c := newTest(true, 1000)
	c.t = c.t.Add(10 * time.Second)
	b.Set(500, 250)
	// 500 rows in 10 s: 50 rows/s; a quarter of the bytes in 10 s leaves 30 s.
	want := "relations.csv: [======                  ]   25%  500 rows  250 B/1.0 kB  50 rows/s  ETA 30.0s"
	if got := b.Line(); got != want {
		t.Errorf("line\n got %q\nwant %q", got, want)
	}
	b.Phase("committing…")
	c.t = c.t.Add(90 * time.Second)
	if got := b.Line(); !strings.HasSuffix(got, "committing… 1:30") || strings.Contains(got, "ETA") {
		t.Errorf("phase line %q", got)
	}
	b.Done("")
}

func TestDrawsAtMostFiveTimesASecond(t *testing.T) {
	b, buf, c := newTest(true, 0)
	for i := range 100 { // one second, a Set every 10 ms
		c.t = c.t.Add(10 * time.Millisecond)
		b.Set(int64(i), 0)
	}
	if n := strings.Count(buf.String(), "\r"); n < 4 || n > 5 {
		t.Errorf("%d draws in one second of 100 updates, want 4 or 5", n)
	}
	b.Done("summary")
	if !strings.HasSuffix(buf.String(), "99 rows  99 rows/s\n") || strings.Contains(buf.String(), "summary") {
		t.Errorf("final line: %q", buf.String()[strings.LastIndex(buf.String(), "\r"):])
	}
}

func TestQuietOffTerminal(t *testing.T) {
	b, buf, c := newTest(false, 1000)
	for i := range 50 {
		c.t = c.t.Add(time.Second)
		b.Set(int64(i), int64(i*10))
	}
	b.Phase("committing…")
	if buf.Len() != 0 {
		t.Fatalf("drew off a terminal: %q", buf.String())
	}
	b.Done("relations.csv: 49 rows in 50.0s")
	b.Done("twice")
	if buf.String() != "relations.csv: 49 rows in 50.0s\n" {
		t.Errorf("summary %q", buf.String())
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Group(1234567), "1,234,567"}, {Group(-1234), "-1,234"}, {Group(12), "12"},
		{Bytes(999), "999 B"}, {Bytes(76_000_000), "76.0 MB"}, {Bytes(1_500), "1.5 kB"},
		{Duration(4200 * time.Millisecond), "4.2s"}, {Duration(65 * time.Second), "1:05"},
		{Duration(3725 * time.Second), "1:02:05"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
