package api

import (
	"bufio"
	"io"
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/chainrisk/chainrisk/risk"
)

// The export of GET /api/v1/chains/{leader}/members (format=ndjson or csv) writes
// every member to the connection a buffer at a time, never building the answer as a
// whole. A member is appended by hand, the same bytes encoding/json writes for
// memberJSON (TestMembersNDJSONMatchesEncodingJSON). What a member's line says but
// its ESRI depends on the state alone, so the chain index keeps those parts of the
// lines, encoded on the first export of the state (encodedLines), and later exports
// copy them and add the ESRI: reading a member's scattered fields costs far more
// than copying its line.

// exportBuffer is the size of the buffer between the export and the connection.
const exportBuffer = 64 << 10

// streamMembers writes the members at positions lo … hi−1 that pass the filters.
func (rq *request) streamMembers(ix *chainIndex, q *membersQuery, lo, hi int, esri *chainESRIMembers, leader string) error {
	h := rq.w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	csvOut := q.format == "csv"
	if csvOut {
		h.Set("Content-Type", mediaCSV+"; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="chain-`+leader+`-members.csv"`)
	} else {
		h.Set("Content-Type", mediaNDJSON+"; charset=utf-8")
	}
	rq.w.WriteHeader(http.StatusOK)
	w := bufio.NewWriterSize(rq.w, exportBuffer)
	var line []byte
	if csvOut {
		line = append(line, "uscc,name,tier,grade,score,p,d,paths,esri,esri_converged\n"...)
	}
	enc := ix.encoded(csvOut)
	if enc != nil && esri == nil && q.grade == nil && q.minContribution == nil {
		// Nothing to add or leave out: the lines as they are kept, in big writes.
		for i := lo; i < hi; i += 1024 {
			if ctx := rq.r.Context(); ctx.Err() != nil {
				break // the client left, or the request timed out: the answer ends short
			}
			if _, err := w.Write(line); err != nil {
				return nil // the connection is gone; nothing can be answered
			}
			line = enc.buf[enc.off[i]:enc.off[min(i+1024, hi)]]
		}
	} else {
		line = ix.appendMembers(w, line, enc, q, lo, hi, esri, rq)
	}
	_, _ = w.Write(line)
	_ = w.Flush()
	return nil
}

// appendMembers writes the members at lo … hi−1 that pass the filters, each line
// the kept one (or encoded now) with its ESRI, and returns what is left to write.
func (ix *chainIndex) appendMembers(w io.Writer, line []byte, enc *encodedLines, q *membersQuery, lo, hi int,
	esri *chainESRIMembers, rq *request) []byte {
	csvOut := q.format == "csv"
	ctx := rq.r.Context()
	for i := lo; i < hi; i++ {
		if i%1024 == 0 && ctx.Err() != nil {
			break // the client left, or the request timed out: the answer ends short
		}
		if !q.keeps(ix, i) {
			continue
		}
		var e *risk.ChainESRIMember
		if esri != nil {
			e = esri.of(ix.member(i).ID)
		}
		switch {
		case enc != nil && e == nil:
			line = append(line, enc.buf[enc.off[i]:enc.off[i+1]]...) // kept with no ESRI
		case enc != nil:
			line = append(line, enc.buf[enc.off[i]:enc.off[i+1]-len(noESRI(csvOut))]...)
		default:
			line = ix.appendMemberHead(line, i, csvOut)
		}
		if csvOut && (enc == nil || e != nil) {
			line = appendESRICSV(line, e)
		} else if enc == nil || e != nil {
			line = appendESRIJSON(line, e)
		}
		if len(line) >= exportBuffer/2 {
			if _, err := w.Write(line); err != nil {
				return line[:0] // the connection is gone; nothing can be answered
			}
			line = line[:0]
		}
	}
	return line
}

// noESRI is how a line ends for a member without ESRI.
func noESRI(csvOut bool) string {
	if csvOut {
		return ",\n"
	}
	return "null}\n"
}

// appendMemberJSON appends the i-th member as one line of JSON: memberJSON's
// fields, in its order, as encoding/json (HTML not escaped) writes them.
func (ix *chainIndex) appendMemberJSON(b []byte, i int, esri *chainESRIMembers) []byte {
	return appendESRIJSON(ix.appendMemberJSONHead(b, i), esri.of(ix.member(i).ID))
}

// appendMemberJSONHead appends the i-th member's line up to its ESRI.
func (ix *chainIndex) appendMemberJSONHead(b []byte, i int) []byte {
	m := ix.member(i)
	st, ids := ix.st, ix.ch.Snapshot().IDs
	b = append(b, `{"uscc":`...)
	b = appendJSONString(b, m.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, st.Firms[m.Node].Name)
	b = append(b, `,"tier":`...)
	b = strconv.AppendInt(b, int64(m.Tier), 10)
	b = append(b, `,"grade":`...)
	b = appendJSONString(b, st.Grade[m.Node].String())
	b = append(b, `,"score":`...)
	b = appendJSONFloat(b, st.Score[m.Node])
	b = append(b, `,"p":`...)
	b = appendJSONFloat(b, st.P[m.Node])
	b = append(b, `,"d":`...)
	b = appendJSONFloat(b, st.D[m.Node])
	b = append(b, `,"paths":[`...)
	for j, p := range m.Paths {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for k, n := range p {
			if k > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, ids[n])
		}
		b = append(b, ']')
	}
	return append(b, `],"esri":`...)
}

// appendESRIJSON ends a member's JSON line with its ESRI (nil: none).
func appendESRIJSON(b []byte, e *risk.ChainESRIMember) []byte {
	if e == nil {
		return append(b, "null}\n"...)
	}
	b = appendJSONFloat(b, e.ESRI)
	b = append(b, `,"esri_converged":`...)
	b = strconv.AppendBool(b, e.Converged)
	return append(b, "}\n"...)
}

// appendMemberCSVHead appends the i-th member's CSV record up to its ESRI: the
// paths as firms joined by ">" (member first), paths joined by ";".
func (ix *chainIndex) appendMemberCSVHead(b []byte, i int) []byte {
	m := ix.member(i)
	st, ids := ix.st, ix.ch.Snapshot().IDs
	b = appendCSVField(b, m.ID)
	b = appendCSVField(append(b, ','), st.Firms[m.Node].Name)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(m.Tier), 10)
	b = append(append(b, ','), st.Grade[m.Node].String()...)
	for _, f := range [...]float64{st.Score[m.Node], st.P[m.Node], st.D[m.Node]} {
		b = strconv.AppendFloat(append(b, ','), f, 'g', -1, 64)
	}
	b = append(b, ',')
	for j, p := range m.Paths {
		if j > 0 {
			b = append(b, ';')
		}
		for k, n := range p {
			if k > 0 {
				b = append(b, '>')
			}
			b = append(b, ids[n]...) // USCCs need no quoting
		}
	}
	return append(b, ',')
}

// appendESRICSV ends a member's CSV record with its ESRI (nil: two empty fields).
func appendESRICSV(b []byte, e *risk.ChainESRIMember) []byte {
	if e == nil {
		return append(b, ",\n"...)
	}
	b = strconv.AppendFloat(b, e.ESRI, 'g', -1, 64)
	b = strconv.AppendBool(append(b, ','), e.Converged)
	return append(b, '\n')
}

// encodedLines are the members' lines as for a member without ESRI (noESRI ends
// them), in the index's order: the i-th is buf[off[i]:off[i+1]].
type encodedLines struct {
	buf []byte
	off []int
}

// encoded returns the members' lines of one format, encoding them on first use; nil
// when they were dropped since (the index is no longer among the most recent few).
func (ix *chainIndex) encoded(csvOut bool) *encodedLines {
	k := 0
	if csvOut {
		k = 1
	}
	ix.encOnce[k].Do(func() {
		e := &encodedLines{off: make([]int, 1, len(ix.order)+1)}
		for i := range ix.order {
			e.buf = append(ix.appendMemberHead(e.buf, i, csvOut), noESRI(csvOut)...)
			e.off = append(e.off, len(e.buf))
		}
		ix.enc[k].Store(e)
	})
	return ix.enc[k].Load()
}

// appendMemberHead appends the i-th member's line up to its ESRI.
func (ix *chainIndex) appendMemberHead(b []byte, i int, csvOut bool) []byte {
	if csvOut {
		return ix.appendMemberCSVHead(b, i)
	}
	return ix.appendMemberJSONHead(b, i)
}

// appendCSVField appends a field, quoted when it holds a comma, quote or line break
// (as encoding/csv does).
func appendCSVField(b []byte, s string) []byte {
	quote := s != "" && (s[0] == ' ' || s[0] == '\t')
	for i := 0; i < len(s) && !quote; i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			quote = true
		}
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// appendJSONFloat appends f as encoding/json writes a float64 (f finite).
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 → e-9, as encoding/json
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json writes it with HTML escaping
// off: quote, backslash and control characters escaped, invalid UTF-8 as U+FFFD,
// U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
