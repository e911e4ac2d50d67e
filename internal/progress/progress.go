// Package progress draws one line of progress on a terminal: counts, bytes, rate and
// ETA where the total is known, a named phase with its elapsed time (a commit, a
// queue), and a final line. When the writer is not a terminal it draws nothing and
// writes one summary line at the end instead.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Interval is the least time between two draws: at most five a second.
const Interval = 200 * time.Millisecond

// barWidth is the width of the bar drawn when the total is known.
const barWidth = 24

// Bar is one line of progress. Its methods may be called from any goroutine.
type Bar struct {
	mu    sync.Mutex
	w     io.Writer
	on    bool // drawing: w is a terminal
	label string
	unit  string // what Count counts: rows, firms
	total int64  // bytes expected; 0 when unknown
	now   func() time.Time

	start, last time.Time
	count       int64
	bytes       int64
	countTotal  int64  // count expected; 0 when unknown
	phase       string // "committing…", "queued": drawn with its elapsed time
	phaseStart  time.Time
	text        string // a free line under the label (SetText)
	width       int    // of the last line drawn, to blank what a shorter one leaves
	stop        chan struct{}
	done        bool
}

// New makes a bar writing to w, drawing only when w is a terminal. label starts the
// line (a file's name, "scan 13"); unit names what Count counts; total is the bytes
// expected, 0 when unknown.
func New(w io.Writer, label, unit string, total int64) *Bar {
	return NewOn(w, label, unit, total, IsTerminal(w))
}

// NewOn is New with the choice to draw made by the caller.
func NewOn(w io.Writer, label, unit string, total int64, on bool) *Bar {
	now := time.Now
	return &Bar{w: w, on: on, label: label, unit: unit, total: total, now: now, start: now()}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Drawing reports whether the bar draws (its writer is a terminal).
func (b *Bar) Drawing() bool { return b.on }

// Set records how many units and bytes are done, and draws when Interval has passed.
func (b *Bar) Set(count, bytes int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count, b.bytes = count, bytes
	b.maybeDraw()
}

// SetTotal sets how many units are expected (a scan's firms), 0 when unknown.
func (b *Bar) SetTotal(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.countTotal = n
}

// SetText sets a line of text drawn after the counts (a queue's position).
func (b *Bar) SetText(text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.text = text
	b.maybeDraw()
}

// Phase names what is being waited for (committing…), drawn with the time since it
// began and redrawn on its own until the next Phase or Done; "" ends it.
func (b *Bar) Phase(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stop != nil {
		close(b.stop)
		b.stop = nil
	}
	b.phase, b.phaseStart = name, b.now()
	if name == "" || !b.on {
		return
	}
	b.draw()
	stop := make(chan struct{})
	b.stop = stop
	go func() {
		t := time.NewTicker(Interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				b.mu.Lock()
				if !b.done {
					b.draw()
				}
				b.mu.Unlock()
			}
		}
	}()
}

// Done ends the bar: on a terminal it draws the line a last time and ends it; else it
// writes summary as one line (nothing when summary is empty).
func (b *Bar) Done(summary string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	if b.stop != nil {
		close(b.stop)
		b.stop = nil
	}
	if !b.on {
		if summary != "" {
			fmt.Fprintln(b.w, summary)
		}
		return
	}
	b.phase = ""
	b.draw()
	fmt.Fprintln(b.w)
}

// Println writes a line of its own above the bar (a batch's report): on a terminal
// the bar is blanked first and drawn again under it.
func (b *Bar) Println(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.on || b.done {
		fmt.Fprintln(b.w, s)
		return
	}
	fmt.Fprintf(b.w, "\r%s\r%s\n", strings.Repeat(" ", b.width), s)
	b.width = 0
	b.draw()
}

// Elapsed is the time since the bar was made.
func (b *Bar) Elapsed() time.Duration { return b.now().Sub(b.start) }

func (b *Bar) maybeDraw() {
	if !b.on || b.done || b.now().Sub(b.last) < Interval {
		return
	}
	b.draw()
}

// draw writes the line over the last one.
func (b *Bar) draw() {
	b.last = b.now()
	line := b.Line()
	pad := ""
	if n := len([]rune(line)); n < b.width {
		pad = strings.Repeat(" ", b.width-n)
	}
	b.width = len([]rune(line))
	fmt.Fprintf(b.w, "\r%s%s", line, pad)
}

// Line is the text of the line as it would be drawn now.
func (b *Bar) Line() string {
	el := b.now().Sub(b.start)
	var parts []string
	frac := -1.0
	switch {
	case b.total > 0:
		frac = min(float64(b.bytes)/float64(b.total), 1)
	case b.countTotal > 0:
		frac = min(float64(b.count)/float64(b.countTotal), 1)
	}
	if frac >= 0 {
		full := int(frac * barWidth)
		parts = append(parts, "["+strings.Repeat("=", full)+strings.Repeat(" ", barWidth-full)+"]",
			fmt.Sprintf("%3.0f%%", 100*frac))
	}
	if b.countTotal > 0 {
		parts = append(parts, Group(b.count)+"/"+Group(b.countTotal)+" "+b.unit)
	} else if b.unit != "" && (b.count > 0 || b.bytes > 0) {
		parts = append(parts, Group(b.count)+" "+b.unit)
	}
	if b.bytes > 0 {
		s := Bytes(b.bytes)
		if b.total > 0 {
			s += "/" + Bytes(b.total)
		}
		parts = append(parts, s)
	}
	if secs := el.Seconds(); secs > 0 && b.count > 0 && b.phase == "" {
		parts = append(parts, Group(int64(float64(b.count)/secs))+" "+b.unit+"/s")
		if frac > 0 && frac < 1 {
			parts = append(parts, "ETA "+Duration(time.Duration(float64(el)*(1-frac)/frac)))
		}
	}
	if b.phase != "" {
		parts = append(parts, b.phase+" "+Duration(b.now().Sub(b.phaseStart)))
	}
	if b.text != "" {
		parts = append(parts, b.text)
	}
	return b.label + ": " + strings.Join(parts, "  ")
}

// Group writes 1234567 as 1,234,567.
func Group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out strings.Builder
	if neg {
		out.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out.WriteByte(',')
		}
		out.WriteRune(c)
	}
	return out.String()
}

// Bytes writes a byte count in B, kB, MB or GB (powers of 1000, one decimal).
func Bytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

// Duration writes a duration as 4.2s under a minute, else as 1:05 or 1:02:05.
func Duration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	s := int64(d.Round(time.Second) / time.Second)
	if s < 3600 {
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	}
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}
