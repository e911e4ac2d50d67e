package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/chainrisk/chainrisk/ingest"
)

// rowSplitter reads an input a row at a time, on row boundaries: a CSV record may
// span lines inside quotes; an NDJSON row is a line.
type rowSplitter struct {
	r      *bufio.Reader
	csv    bool
	header []byte // a CSV file's first record, repeated at the top of every batch
	line   int    // physical lines read so far
	// read counts the bytes of the rows returned, the header's too: how far into the
	// input the batches are (the reader below reads ahead).
	read int64
}

func newRowSplitter(r io.Reader, format ingest.Format) (*rowSplitter, error) {
	s := &rowSplitter{r: bufio.NewReaderSize(r, 1<<20), csv: format != ingest.NDJSON}
	if s.csv {
		h, _, err := s.next()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		s.header = h
	}
	return s, nil
}

// next returns the next row with its line end, and the line it starts on; io.EOF
// after the last.
func (s *rowSplitter) next() ([]byte, int, error) {
	start := s.line + 1
	var row []byte
	quotes := 0
	for {
		chunk, err := s.r.ReadSlice('\n')
		row = append(row, chunk...)
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			s.line++
			if s.csv {
				quotes += bytes.Count(chunk, []byte{'"'})
			}
			if quotes%2 == 0 { // a newline inside quotes does not end a CSV record
				s.read += int64(len(row))
				return row, start, nil
			}
			continue
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			if s.csv {
				quotes += bytes.Count(chunk, []byte{'"'})
			}
			continue
		}
		if err == nil {
			continue
		}
		if s.csv {
			quotes += bytes.Count(chunk, []byte{'"'})
		}
		if len(row) > 0 && errors.Is(err, io.EOF) {
			s.line++
			s.read += int64(len(row))
			return append(row, '\n'), start, nil // a last row without its newline
		}
		return nil, start, err
	}
}

// batch is a request body of whole rows under the size limit.
type batch struct {
	n         int // its number, from 1
	body      bytes.Buffer
	rows      int
	firstLine int // the file's line of its first row
	lastLine  int
}

// batcher cuts rows into batches of at most limit bytes each.
type batcher struct {
	s     *rowSplitter
	limit int64
	held  []byte // a row read that did not fit in the last batch
	hline int
	n     int
	eof   bool
}

// next fills the next batch; nil at the end of the input. A row that does not fit
// in a batch of its own is an error naming its line.
func (b *batcher) next() (*batch, error) {
	if b.eof && b.held == nil {
		return nil, nil
	}
	b.n++
	bt := &batch{n: b.n}
	bt.body.Write(b.s.header)
	for {
		row, line := b.held, b.hline
		b.held = nil
		if row == nil {
			if b.eof {
				break
			}
			var err error
			row, line, err = b.s.next()
			if errors.Is(err, io.EOF) {
				b.eof = true
				break
			}
			if err != nil {
				return nil, err
			}
		}
		if int64(bt.body.Len()+len(row)) > b.limit {
			if bt.rows == 0 {
				return nil, fmt.Errorf("line %d: the row of %d bytes does not fit in a request of at most %d bytes "+
					"(the server's limit, http.max_ingest_bytes)", line, len(row), b.limit)
			}
			b.held, b.hline = row, line
			break
		}
		if bt.rows == 0 {
			bt.firstLine = line
		}
		bt.body.Write(row)
		bt.rows++
		bt.lastLine = b.s.line
	}
	if bt.rows == 0 && b.n > 1 {
		return nil, nil
	}
	return bt, nil
}
