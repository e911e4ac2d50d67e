package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSpool(t *testing.T) {
	const memory = 1000
	tests := []struct {
		name   string
		size   int
		onDisk bool
	}{
		{"empty", 0, false},
		{"small", 10, false},
		{"exactly the memory", memory, false},
		{"one byte more", memory + 1, true},
		{"large", 300_000, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			in := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz\n"), tc.size/37+1)[:tc.size]
			// One byte per read: the slowest a source can be.
			s, err := Spool(context.Background(), iotest.OneByteReader(bytes.NewReader(in)), memory)
			if err != nil {
				t.Fatal(err)
			}
			if s.Size() != int64(tc.size) || s.OnDisk() != tc.onDisk {
				t.Errorf("size %d on disk %v, want %d %v", s.Size(), s.OnDisk(), tc.size, tc.onDisk)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("the spool file is visible in the temporary directory: %v", left)
			}
			out, err := io.ReadAll(s)
			if err != nil || !bytes.Equal(out, in) {
				t.Errorf("read back %d bytes (err %v), want the %d given", len(out), err, len(in))
			}
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestSpoolErrors(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	broken := errors.New("connection reset")
	for _, at := range []int{10, 5000} { // in memory, then after moving to a file
		r := io.MultiReader(strings.NewReader(strings.Repeat("x", at)), iotest.ErrReader(broken))
		if _, err := Spool(context.Background(), r, 1000); !errors.Is(err, broken) {
			t.Errorf("error after %d bytes: %v, want the reader's", at, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Spool(ctx, strings.NewReader("x"), 1000); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
