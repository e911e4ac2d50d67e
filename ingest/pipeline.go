package ingest

import (
	"io"

	"github.com/chainrisk/chainrisk/store"
)

// aheadChunk is one chunk read ahead, with the rows its reader had read by then.
type aheadChunk struct {
	c    *store.Chunk
	rows int
	err  error
}

// readAhead decodes r's chunks on its own goroutine, up to readAheadChunks ahead of
// the consumer, so that decoding the next chunk overlaps with staging this one (the
// database's work, on another core). The channel closes after io.EOF or an error,
// which it delivers. stop ends the goroutine early and waits for it, so that r and
// its input are no longer read once it returns; it is safe to call more than once.
func readAhead(r *Reader) (<-chan aheadChunk, func()) {
	out := make(chan aheadChunk, readAheadChunks)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer close(out)
		for {
			c, err := r.Next()
			if err == io.EOF {
				return
			}
			select {
			case out <- aheadChunk{c: c, rows: r.Rows(), err: err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	stopped := false
	return out, func() {
		if !stopped {
			stopped = true
			close(done)
		}
		<-finished
	}
}

// readAheadChunks bounds the aheadChunk chunks waiting to be staged (each at most
// DefaultChunkSize rows).
const readAheadChunks = 2
