package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Rate is a rate limit: at most Count sends per Per (the config writes it "20/min").
type Rate struct {
	Count int
	Per   time.Duration
}

// Limiter enforces rate limits per destination (a robot or a URL). Every limit of a list
// holds over every window of its length — "20/min" means no 20 sends in any 60 s, which
// is how the robots count (failed sends included) — unlike a token bucket, which would
// let a full bucket plus its refill through in the first minute. A destination that
// answered "rate limited" can be blocked for a while. One Limiter serves every notifier
// of a process; it is safe for concurrent use.
type Limiter struct {
	clock Clock
	mu    sync.Mutex
	dests map[string]*sendLog
}

// sendLog holds a destination's recent send times in order, reservations included
// (they may lie in the future), and how long it is blocked.
type sendLog struct {
	sent    []time.Time
	blocked time.Time
	window  time.Duration // the longest limit seen, how long sends are remembered
}

// RateLimitedError says a destination's limits leave no slot before the context's
// deadline; Wait is how long until the next one.
type RateLimitedError struct {
	Wait time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("rate limit reached, next slot in %s", e.Wait.Round(time.Second))
}

// NewLimiter returns a limiter reading clock (nil: the system clock).
func NewLimiter(clock Clock) *Limiter {
	if clock == nil {
		clock = SystemClock{}
	}
	return &Limiter{clock: clock, dests: map[string]*sendLog{}}
}

// limiterKey hashes a destination, so that the limiter's memory holds no robot keys.
func limiterKey(kind, url string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + url))
	return hex.EncodeToString(h[:16])
}

// Wait takes the next send slot of key under every limit of rates, sleeping until the
// slot comes. When the slot lies beyond ctx's deadline it takes nothing and returns a
// *RateLimitedError; when ctx ends while it sleeps it gives the slot back and returns
// ctx.Err().
func (l *Limiter) Wait(ctx context.Context, key string, rates []Rate) error {
	l.mu.Lock()
	now := l.clock.Now()
	s := l.dests[key]
	if s == nil {
		if len(rates) == 0 {
			l.mu.Unlock()
			return nil
		}
		l.gc(now)
		s = &sendLog{}
		l.dests[key] = s
	}
	at := s.next(now, rates)
	wait := at.Sub(now)
	if dl, ok := ctx.Deadline(); ok && wait > 0 && wait > time.Until(dl) {
		l.mu.Unlock()
		return &RateLimitedError{Wait: wait}
	}
	s.sent = append(s.sent, at)
	s.trim(now, rates)
	l.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	if err := l.clock.Sleep(ctx, wait); err != nil {
		l.mu.Lock()
		if i := slices.Index(s.sent, at); i >= 0 {
			s.sent = slices.Delete(s.sent, i, i+1)
		}
		l.mu.Unlock()
		return err
	}
	return nil
}

// Block holds back key's sends until until: the destination said it is over its limit.
func (l *Limiter) Block(key string, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.dests[key]
	if s == nil {
		l.gc(l.clock.Now())
		s = &sendLog{}
		l.dests[key] = s
	}
	if until.After(s.blocked) {
		s.blocked = until
	}
}

// next is the earliest time a send may go: not before now, the block, or the last
// reservation (slots are handed out in order), and for each limit of Count per Per not
// before the Count-th latest send + Per.
func (s *sendLog) next(now time.Time, rates []Rate) time.Time {
	at := now
	if s.blocked.After(at) {
		at = s.blocked
	}
	if n := len(s.sent); n > 0 && s.sent[n-1].After(at) {
		at = s.sent[n-1]
	}
	for _, r := range rates {
		if r.Count <= 0 || r.Per <= 0 || len(s.sent) < r.Count {
			continue
		}
		if t := s.sent[len(s.sent)-r.Count].Add(r.Per); t.After(at) {
			at = t
		}
	}
	return at
}

// trim forgets sends older than the longest limit. It keeps the rest even beyond the
// largest count: a cancelled reservation is taken out again, and the sends before it
// must still be there.
func (s *sendLog) trim(now time.Time, rates []Rate) {
	for _, r := range rates {
		s.window = max(s.window, r.Per)
	}
	drop := 0
	for drop < len(s.sent) && !s.sent[drop].After(now.Add(-s.window)) {
		drop++
	}
	s.sent = slices.Delete(s.sent, 0, drop)
}

// gc drops destinations with nothing left to remember once there are many of them.
func (l *Limiter) gc(now time.Time) {
	if len(l.dests) < 1024 {
		return
	}
	for k, s := range l.dests {
		idle := s.blocked.Before(now)
		if n := len(s.sent); n > 0 && s.sent[n-1].After(now.Add(-s.window)) {
			idle = false
		}
		if idle {
			delete(l.dests, k)
		}
	}
}
