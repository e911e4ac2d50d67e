package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// The encodings --encoding takes. A CSV saved by Excel on Chinese Windows is GBK
// (code page 936); GB 18030 is its superset, which also covers every Unicode character.
var textEncodings = []string{"utf-8", "gbk", "gb18030"}

// encodingFlag adds --encoding to a command reading text files.
func encodingFlag(fs *flag.FlagSet) *string {
	return fs.String("encoding", "", "the input files' character `encoding`: utf-8, gbk or gb18030 (default utf-8, checked)")
}

// checkEncoding refuses an --encoding value that is not one of textEncodings.
func checkEncoding(enc string) error {
	switch strings.ToLower(enc) {
	case "", "utf-8", "utf8", "gbk", "gb18030":
		return nil
	}
	return fmt.Errorf("--encoding must be one of %s, not %q", strings.Join(textEncodings, ", "), enc)
}

// decodeText returns r's text as UTF-8: GBK and GB 18030 are decoded; UTF-8, the
// default, is checked as it is read, so that a file in another encoding fails once, at
// its first bad byte, naming the file and the line (an *EncodingError).
func decodeText(r io.Reader, name, enc string) io.Reader {
	switch strings.ToLower(enc) {
	case "gbk":
		return simplifiedchinese.GBK.NewDecoder().Reader(r)
	case "gb18030":
		return simplifiedchinese.GB18030.NewDecoder().Reader(r)
	}
	return &utf8Reader{r: r, name: name, line: 1}
}

// EncodingError is a file that is not valid UTF-8: where its first bad byte is.
type EncodingError struct {
	File string
	Line int
	Byte byte
}

func (e *EncodingError) Error() string {
	return fmt.Sprintf("%s:%d: not valid UTF-8 (byte 0x%02x); a CSV saved by Excel on Chinese Windows is GBK — try --encoding gbk",
		e.File, e.Line, e.Byte)
}

// utf8Reader passes UTF-8 text through, and fails at the first byte that is not.
type utf8Reader struct {
	r     io.Reader
	name  string
	line  int    // of the next byte to check
	buf   []byte // read from r
	ready []byte // checked, not yet returned
	carry int    // bytes at the start of buf: an incomplete character of the last read
	err   error  // to return once ready is drained
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	for len(u.ready) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		u.fill()
	}
	n := copy(p, u.ready)
	u.ready = u.ready[n:]
	return n, nil
}

// fill reads the next piece, checks it, and sets ready (and err, at the end or at a
// bad byte). An incomplete character at the end of a piece waits for the next.
func (u *utf8Reader) fill() {
	if u.buf == nil {
		u.buf = make([]byte, 32<<10)
	}
	n, err := u.r.Read(u.buf[u.carry:])
	data := u.buf[:u.carry+n]
	cut := len(data)
	if err == nil {
		// Hold back a character cut by the piece's end (at most 3 bytes).
		for i := len(data) - 1; i >= 0 && i >= len(data)-3; i-- {
			if utf8.RuneStart(data[i]) {
				if !utf8.FullRune(data[i:]) {
					cut = i
				}
				break
			}
		}
	}
	good := validPrefix(data[:cut])
	u.line += bytes.Count(data[:good], []byte{'\n'})
	u.ready = append([]byte(nil), data[:good]...)
	switch {
	case good < cut:
		u.err = &EncodingError{File: u.name, Line: u.line, Byte: data[good]}
	case err != nil:
		u.err = err
	}
	u.carry = copy(u.buf, data[cut:])
}

// validPrefix is the length of b's longest prefix that is valid UTF-8.
func validPrefix(b []byte) int {
	i := 0
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return i
}
