package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// errLineTooLong reports a physical line longer than the limit. The rest of the line
// has been skipped when it is returned, so reading goes on with the next line.
var errLineTooLong = errors.New("line too long")

var bom = []byte("\xEF\xBB\xBF")

// lineReader hands out physical lines of bounded length, so that one runaway line
// cannot make the decoder hold the whole input.
type lineReader struct {
	br   *bufio.Reader
	buf  []byte // a line longer than br's buffer, assembled
	max  int
	line int   // number of the line last returned (1-based)
	err  error // sticky: io.EOF or the read error
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without its "\n" or "\r\n" (a lone "\r" before the end of
// the input is dropped too), with a leading BOM removed from line 1. The slice is valid
// until the following call.
func (l *lineReader) next() ([]byte, error) {
	if l.err != nil {
		return nil, l.err
	}
	line, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.buf = append(l.buf[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = l.br.ReadSlice('\n')
			if len(l.buf)+len(line) > l.max+len(bom)+2 {
				for err == bufio.ErrBufferFull {
					_, err = l.br.ReadSlice('\n')
				}
				l.line++
				if err != nil {
					l.err = err
				}
				return nil, errLineTooLong
			}
			l.buf = append(l.buf, line...)
		}
		line = l.buf
	}
	if err != nil {
		l.err = err
		if err != io.EOF || len(line) == 0 {
			return nil, err
		}
	}
	l.line++
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
	}
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	line = line[:n]
	if l.line == 1 {
		line = bytes.TrimPrefix(line, bom)
	}
	if len(line) > l.max {
		return nil, errLineTooLong
	}
	return line, nil
}
