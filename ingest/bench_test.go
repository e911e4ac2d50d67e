package ingest

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
)

// eventSource generates events as CSV or NDJSON on the fly, so that inputs of any size
// can be read without being held in memory.
type eventSource struct {
	format Format
	rows   int // events to produce
	next   int // index of the next event; -1 before the CSV header
	buf    []byte
	off    int
}

func newEventSource(format Format, rows int) *eventSource {
	s := &eventSource{format: format, rows: rows}
	if format == CSV {
		s.next = -1
	}
	return s
}

var (
	genFirms = []string{firmA, firmB, firmC, firmD}
	genTypes = []string{"tax_arrears", "honor", "penalty_general", "judgment_debtor", "overdue_payment", "abnormal_operation"}
)

func (s *eventSource) Read(p []byte) (int, error) {
	for s.off == len(s.buf) {
		if s.next >= s.rows {
			return 0, io.EOF
		}
		s.buf, s.off = s.buf[:0], 0
		for i := 0; i < 256 && s.next < s.rows; i++ {
			s.buf = s.appendRow(s.buf, s.next)
			s.next++
		}
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	return n, nil
}

// appendRow writes event i: dates spread over 2025, an amount on every other row, and
// a description that needs CSV quoting on every tenth.
func (s *eventSource) appendRow(b []byte, i int) []byte {
	if i < 0 {
		return append(b, "event_id,uscc,type,occurred_at,publish_until,source,amount,description\n"...)
	}
	id := strconv.AppendInt([]byte("EV"), int64(i), 10)
	date := []byte("2025-01-01")
	date[5], date[6] = '0'+byte(i%12+1)/10, '0'+byte(i%12+1)%10
	date[8], date[9] = '0'+byte(i%28+1)/10, '0'+byte(i%28+1)%10
	var amount []byte
	if i%2 == 0 {
		amount = strconv.AppendInt(nil, int64(i%100000)*10+5, 10)
	}
	desc := "overdue tax notice"
	if i%10 == 0 {
		desc = `notice "A", second, part`
	}
	firm, typ := genFirms[i%len(genFirms)], genTypes[i%len(genTypes)]
	if s.format == CSV {
		b = append(b, id...)
		b = append(b, ',')
		b = append(b, firm...)
		b = append(b, ',')
		b = append(b, typ...)
		b = append(b, ',')
		b = append(b, date...)
		b = append(b, ",,tax bureau,"...)
		b = append(b, amount...)
		b = append(b, ',')
		if strings.ContainsAny(desc, `",`) {
			desc = `"` + strings.ReplaceAll(desc, `"`, `""`) + `"`
		}
		b = append(b, desc...)
		return append(b, '\n')
	}
	b = append(b, `{"event_id":"`...)
	b = append(b, id...)
	b = append(b, `","uscc":"`...)
	b = append(b, firm...)
	b = append(b, `","type":"`...)
	b = append(b, typ...)
	b = append(b, `","occurred_at":"`...)
	b = append(b, date...)
	b = append(b, `","source":"tax bureau"`...)
	if amount != nil {
		b = append(b, `,"amount":`...)
		b = append(b, amount...)
	}
	b = append(b, `,"description":"`...)
	b = append(b, strings.ReplaceAll(desc, `"`, `\"`)...)
	return append(b, "\"}\n"...)
}

func BenchmarkReadEventsCSV(b *testing.B)    { benchmarkRead(b, CSV) }
func BenchmarkReadEventsNDJSON(b *testing.B) { benchmarkRead(b, NDJSON) }

func benchmarkRead(b *testing.B, format Format) {
	const rows = 200_000
	input, err := io.ReadAll(newEventSource(format, rows))
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Kind: credit.KindEvents, Format: format, Validator: testValidator()}
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(input), opts)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			c, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += c.Len()
		}
		if n != rows || r.Rejected() != 0 {
			b.Fatalf("%d rows, %d rejected: %v", n, r.Rejected(), r.Problems())
		}
	}
	b.ReportMetric(float64(b.N)*rows/b.Elapsed().Seconds(), "rows/s")
}

// TestMemoryBounded streams a ~200 MB CSV generated on the fly, and a 100 MB NDJSON
// line, and checks that the heap stays small while reading.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 300 MB")
	}
	const limit = 64 << 20
	tests := []struct {
		name   string
		format Format
		in     io.Reader
		rows   int
	}{
		{"csv 200 MB", CSV, newEventSource(CSV, 2_400_000), 2_400_000},
		{"ndjson line of 100 MB", NDJSON, io.MultiReader(
			strings.NewReader(`{"event_id":"`),
			io.LimitReader(repeatByte('x'), 100<<20),
			strings.NewReader("\"}\n"),
			newEventSource(NDJSON, 1000)), 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counter := &countingReader{r: tt.in}
			r, err := NewReader(counter, Options{Kind: credit.KindEvents, Format: tt.format, Validator: testValidator()})
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			var ms runtime.MemStats
			peak, rows := uint64(0), 0
			for {
				c, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				rows += c.Len()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			if rows != tt.rows {
				t.Fatalf("%d rows, want %d; problems %v", rows, tt.rows, r.Problems())
			}
			t.Logf("read %d MB, %d rows; peak heap %.1f MiB", counter.n>>20, rows, float64(peak)/(1<<20))
			if peak > limit {
				t.Errorf("heap reached %.1f MiB, limit %d MiB", float64(peak)/(1<<20), limit>>20)
			}
		})
	}
}

type repeatByte byte

func (c repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// BenchmarkSpool reads a 64 MiB body (http.max_ingest_bytes) into a spool and back:
// the cost an ingest body pays to be read in full before its batch opens. B/op is
// the memory it takes: SpoolMemory and copy buffers, not the body.
func BenchmarkSpool(b *testing.B) {
	body := bytes.Repeat([]byte("E-1,91230100000000001M,honor,2026-11-01,信用黑龙江,100,测试\n"), 64<<20/64)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := Spool(context.Background(), bytes.NewReader(body), SpoolMemory)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, s); err != nil || n != int64(len(body)) {
			b.Fatalf("read back %d bytes: %v", n, err)
		}
		_ = s.Close()
	}
}
