package store

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// counting reads n rows 0, 1, ..., n-1, failing with fail after failAt rows when set.
func counting(n, failAt int, fail error) func(ctx context.Context, fn func(*int) error) error {
	return func(ctx context.Context, fn func(*int) error) error {
		for i := range n {
			if fail != nil && i == failAt {
				return fail
			}
			if err := fn(&i); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestPrefetchReplaysInOrder(t *testing.T) {
	for _, n := range []int{0, 1, prefetchBatch - 1, prefetchBatch, 3*prefetchBatch + 5} {
		for _, buffer := range []int{0, prefetchBatch, 100 * prefetchBatch} {
			p := Prefetch(context.Background(), buffer, counting(n, 0, nil))
			next := 0
			err := p.Replay(func(v *int) error {
				if *v != next {
					t.Fatalf("n %d, buffer %d: row %d is %d", n, buffer, next, *v)
				}
				next++
				return nil
			})
			if err != nil || next != n {
				t.Fatalf("n %d, buffer %d: %d rows, %v", n, buffer, next, err)
			}
		}
	}
}

func TestPrefetchErrors(t *testing.T) {
	broken := errors.New("connection lost")
	p := Prefetch(context.Background(), 0, counting(10*prefetchBatch, 2*prefetchBatch+3, broken))
	seen := 0
	if err := p.Replay(func(*int) error { seen++; return nil }); !errors.Is(err, broken) {
		t.Fatalf("replay of a failing read: %v", err)
	}
	if seen != 2*prefetchBatch { // the rows of the unfinished batch are not handed on
		t.Errorf("%d rows handed on before the failure", seen)
	}
	stop := errors.New("enough")
	p = Prefetch(context.Background(), 0, counting(10*prefetchBatch, 0, nil))
	if err := p.Replay(func(v *int) error {
		if *v == 5 {
			return stop
		}
		return nil
	}); !errors.Is(err, stop) {
		t.Fatalf("replay stopped by its callback: %v", err)
	}
}

// TestPrefetchStop: a read stopped before it is replayed ends, whether it waits on a
// full buffer or on the database (its context).
func TestPrefetchStop(t *testing.T) {
	before := runtime.NumGoroutine()
	full := Prefetch(context.Background(), 0, counting(100*prefetchBatch, 0, nil))
	blocked := Prefetch(context.Background(), 0, func(ctx context.Context, fn func(*int) error) error {
		<-ctx.Done()
		return ctx.Err()
	})
	time.Sleep(10 * time.Millisecond)
	full.Stop()
	blocked.Stop()
	blocked.Stop() // twice is harmless
	if err := blocked.Replay(func(*int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("replay after stop: %v", err)
	}
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines left, %d before", runtime.NumGoroutine(), before)
}
