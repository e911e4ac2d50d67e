package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// readMode is how ReadBinary reads a query without arguments; benchmarks compare them.
type readMode int

const (
	// readCopy streams COPY (q) TO STDOUT (FORMAT binary): no statement to prepare,
	// and the rows arrive as one byte stream.
	readCopy readMode = iota
	// readExtended runs q through the extended protocol with binary results, the
	// rows' values handed out as they are (no conversions).
	readExtended
)

// ReadBinary implements store.BinaryReader. A query with arguments runs through the
// extended protocol (COPY takes none); one without is read with COPY.
func (d *dialect) ReadBinary(ctx context.Context, q string, args []any, fn func(vals [][]byte) error) error {
	if len(args) == 0 && d.readMode == readCopy {
		return d.copyOut(ctx, q, fn)
	}
	rows, err := d.pool.Query(ctx, d.rebind(q), append([]any{pgx.QueryResultFormats{pgx.BinaryFormatCode}}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.RawValues()); err != nil {
			return err
		}
	}
	return rows.Err()
}

// copyOut streams q's rows in COPY's binary format to fn, on a connection of its own.
func (d *dialect) copyOut(ctx context.Context, q string, fn func(vals [][]byte) error) error {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	p := &copyParser{fn: fn}
	_, err = conn.Conn().PgConn().CopyTo(ctx, p, "COPY ("+q+") TO STDOUT (FORMAT binary)")
	if p.err != nil {
		// The callback failed: pgconn closed the connection mid-stream, and the pool
		// drops it on release.
		return p.err
	}
	if err != nil {
		return err
	}
	if !p.done {
		return errors.New("copy: the stream ended without its trailer")
	}
	return nil
}

// copySignature opens COPY's binary format.
var copySignature = []byte("PGCOPY\n\xff\r\n\x00")

// copyParser splits COPY's binary stream into rows. The server sends a row per
// message, so a row is decoded in place; a row split over writes is gathered in
// pending first.
type copyParser struct {
	fn      func(vals [][]byte) error
	header  bool
	done    bool
	pending []byte
	vals    [][]byte
	err     error
}

var errCopyTruncated = errors.New("truncated")

func (p *copyParser) Write(b []byte) (int, error) {
	n := len(b)
	if len(p.pending) > 0 {
		p.pending = append(p.pending, b...)
		b = p.pending
	}
	for len(b) > 0 {
		used, err := p.next(b)
		if errors.Is(err, errCopyTruncated) {
			break
		}
		if err != nil {
			p.err = err
			return 0, err
		}
		b = b[used:]
	}
	// Whatever is left is the start of a row: keep a copy, the caller reuses b.
	p.pending = append(p.pending[:0:0], b...)
	return n, nil
}

// next consumes the header, one row or the trailer from b and returns how many
// bytes it used; errCopyTruncated when b ends inside it.
func (p *copyParser) next(b []byte) (int, error) {
	if p.done {
		return 0, errors.New("copy: data after the trailer")
	}
	if !p.header {
		if len(b) < len(copySignature)+8 {
			return 0, errCopyTruncated
		}
		if !bytes.Equal(b[:len(copySignature)], copySignature) {
			return 0, errors.New("copy: not the binary format")
		}
		ext := int(binary.BigEndian.Uint32(b[len(copySignature)+4:]))
		used := len(copySignature) + 8 + ext
		if len(b) < used {
			return 0, errCopyTruncated
		}
		p.header = true
		return used, nil
	}
	if len(b) < 2 {
		return 0, errCopyTruncated
	}
	cols := int(int16(binary.BigEndian.Uint16(b)))
	if cols == -1 {
		p.done = true
		return 2, nil
	}
	if cols < 0 {
		return 0, fmt.Errorf("copy: a row of %d columns", cols)
	}
	p.vals = p.vals[:0]
	at := 2
	for range cols {
		if len(b) < at+4 {
			return 0, errCopyTruncated
		}
		size := int(int32(binary.BigEndian.Uint32(b[at:])))
		at += 4
		switch {
		case size == -1:
			p.vals = append(p.vals, nil)
			continue
		case size < 0:
			return 0, fmt.Errorf("copy: a value of %d bytes", size)
		case len(b) < at+size:
			return 0, errCopyTruncated
		}
		p.vals = append(p.vals, b[at:at+size:at+size])
		at += size
	}
	if err := p.fn(p.vals); err != nil {
		return 0, err
	}
	return at, nil
}
