package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// SpoolMemory is how much of an input Spool keeps in memory; the rest goes to a
// temporary file. 4 MiB holds every ordinary API body (and tens of thousands of
// rows) without touching the disk, while a 64 MiB ingest costs 4 MiB of memory.
const SpoolMemory = 4 << 20

// Spooled is an input read to its end, to be imported at the reader's own pace:
// an import holds the store's write lock while it reads, so it must never read from
// a client or a server that sends slowly (docs/reliability.md).
type Spooled struct {
	mem  *bytes.Reader // the whole input, or nil when it is in f
	f    *os.File
	size int64
}

// Spool reads r to its end: in memory up to memory bytes, beyond that into a
// temporary file (in os.TempDir) that is removed as soon as it is created, so that
// nothing is left behind by a crash. Close releases the file. An error of r is
// returned as it is (an *http.MaxBytesError, a deadline).
func Spool(ctx context.Context, r io.Reader, memory int64) (*Spooled, error) {
	var buf bytes.Buffer
	n, err := copyCtx(ctx, &buf, io.LimitReader(r, memory))
	if err != nil {
		return nil, err
	}
	// One byte more says whether the input goes on; reading it into buf would
	// double buf's capacity for nothing when the input ends here.
	var more [1]byte
	k, err := io.ReadFull(r, more[:])
	switch {
	case errors.Is(err, io.EOF):
		return &Spooled{mem: bytes.NewReader(buf.Bytes()), size: n}, nil
	case err != nil:
		return nil, err
	}
	f, err := os.CreateTemp("", "chainrisk-spool-*")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	// Unlinked at once: the open file stays readable, and no crash leaves it behind.
	if err := os.Remove(f.Name()); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spooled{f: f}
	for _, b := range [][]byte{buf.Bytes(), more[:k]} {
		if _, err := f.Write(b); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("spool: %w", err)
		}
	}
	buf = bytes.Buffer{}
	rest, err := copyCtx(ctx, f, r)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	s.size = n + int64(k) + rest
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	return s, nil
}

// copyCtx copies like io.Copy and stops when ctx ends between two reads.
func copyCtx(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, err := src.Read(buf)
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return n, fmt.Errorf("spool: %w", werr)
			}
			n += int64(k)
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// Read reads the spooled input.
func (s *Spooled) Read(p []byte) (int, error) {
	if s.mem != nil {
		return s.mem.Read(p)
	}
	return s.f.Read(p)
}

// Size is the input's length in bytes.
func (s *Spooled) Size() int64 { return s.size }

// OnDisk reports whether the input went to a temporary file.
func (s *Spooled) OnDisk() bool { return s.f != nil }

// Close releases the temporary file, if any.
func (s *Spooled) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	s.mem = bytes.NewReader(nil)
	return err
}
