// Package table aligns the CLI's tab-separated tables by display width, so that
// columns of Chinese names line up on a terminal: a wide or fullwidth character
// (汉字, （）, Ａ) takes two columns, as terminals draw it, where text/tabwriter
// counts one per rune.
//
// It takes what text/tabwriter takes with padding 2, a space pad and no flags: cells
// end with a tab, text after a line's last tab is not aligned, and a column is aligned
// over each run of consecutive lines that have a cell in it.
package table

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/text/width"
)

// padding is the space after a cell's widest entry.
const padding = 2

// Writer buffers lines until Flush, then writes them aligned.
type Writer struct {
	w   io.Writer
	buf bytes.Buffer
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write buffers p; it never fails.
func (t *Writer) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes what was buffered, aligned, and empties the buffer.
func (t *Writer) Flush() error {
	text := t.buf.String()
	t.buf.Reset()
	if text == "" {
		return nil
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	cells := make([][]string, len(lines)) // the tab-terminated cells of each line
	rest := make([]string, len(lines))    // what follows a line's last tab
	for i, l := range lines {
		parts := strings.Split(l, "\t")
		cells[i], rest[i] = parts[:len(parts)-1], parts[len(parts)-1]
	}
	widths := columnWidths(cells)
	var out strings.Builder
	for i := range lines {
		for c, cell := range cells[i] {
			out.WriteString(cell)
			out.WriteString(strings.Repeat(" ", widths[i][c]-Width(cell)))
		}
		out.WriteString(rest[i])
	}
	_, err := io.WriteString(t.w, out.String())
	return err
}

// columnWidths gives each cell the width of its column block: the widest cell of the
// consecutive lines that have a cell in that column, plus the padding.
func columnWidths(cells [][]string) [][]int {
	widths := make([][]int, len(cells))
	for i := range cells {
		widths[i] = make([]int, len(cells[i]))
	}
	for c := 0; ; c++ {
		any := false
		for start := 0; start < len(cells); {
			if len(cells[start]) <= c {
				start++
				continue
			}
			any = true
			end, w := start, 0
			for ; end < len(cells) && len(cells[end]) > c; end++ {
				w = max(w, Width(cells[end][c]))
			}
			for i := start; i < end; i++ {
				widths[i][c] = w + padding
			}
			start = end
		}
		if !any {
			return widths
		}
	}
}

// Width is the number of terminal columns s takes: two for each East Asian wide or
// fullwidth character, none for a combining mark or a zero-width character, one for
// anything else.
func Width(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r == '\u200b' || r == '\u200d' || r == '\ufeff' || r >= 0x0300 && r <= 0x036f:
		default:
			switch width.LookupRune(r).Kind() {
			case width.EastAsianWide, width.EastAsianFullwidth:
				n += 2
			default:
				n++
			}
		}
	}
	return n
}
