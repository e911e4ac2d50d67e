package store

import (
	"context"
	"sync"
)

// prefetchBatch is how many rows a Prefetched hands over at a time.
const prefetchBatch = 4096

// Prefetched is a whole-table read running in the background (Prefetch).
type Prefetched[T any] struct {
	batches chan []T
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
	once    sync.Once
}

// Prefetch starts read — a whole-table read of the store, such as Relations — on a
// goroutine of its own, which on PostgreSQL is a connection of its own, and keeps up
// to buffer of its rows until Replay hands them on. A caller that needs the tables in
// order (the firms before their relations, the graph before the events) starts the
// later reads first and replays each when it gets to it: the database and the
// decoding work on the later tables while the caller still builds from the earlier
// ones. Every Prefetched must be replayed or stopped.
func Prefetch[T any](ctx context.Context, buffer int, read func(ctx context.Context, fn func(*T) error) error) *Prefetched[T] {
	ctx, cancel := context.WithCancel(ctx)
	p := &Prefetched[T]{batches: make(chan []T, max(1, buffer/prefetchBatch)), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		defer close(p.batches)
		batch := make([]T, 0, prefetchBatch)
		send := func() bool {
			select {
			case p.batches <- batch:
				batch = make([]T, 0, prefetchBatch)
				return true
			case <-ctx.Done():
				return false
			}
		}
		err := read(ctx, func(v *T) error {
			if batch = append(batch, *v); len(batch) == prefetchBatch && !send() {
				return ctx.Err()
			}
			return nil
		})
		if err == nil && len(batch) > 0 && !send() {
			err = ctx.Err()
		}
		p.err = err
	}()
	return p
}

// Replay calls fn with every row read, in the order read, as they come; it returns
// the read's error or fn's. It may be called once.
func (p *Prefetched[T]) Replay(fn func(*T) error) error {
	defer p.Stop()
	for batch := range p.batches {
		for i := range batch {
			if err := fn(&batch[i]); err != nil {
				return err
			}
		}
	}
	<-p.done
	return p.err
}

// Stop ends the read, if it still runs, and waits for it. Replay stops it when it
// returns; a caller that gives up before replaying stops it itself.
func (p *Prefetched[T]) Stop() {
	p.once.Do(func() {
		p.cancel()
		for range p.batches { // unblock a pending send
		}
		<-p.done
	})
}
