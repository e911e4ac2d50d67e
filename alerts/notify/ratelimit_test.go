package notify

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// The robots' default limits: WeCom 20/min, Feishu 5/s and 100/min.
func wecomRates() []Rate  { return kinds[TypeWeCom].Rates }
func feishuRates() []Rate { return kinds[TypeFeishu].Rates }

// TestWeComRateLimitWaits sends 25 messages to one robot at one instant, letting the
// notifier wait: 20 go out in the first minute, the rest when the window allows.
func TestWeComRateLimitWaits(t *testing.T) {
	clock := newFakeClock()
	rv := newReceiver(t, clock, okAnswer(TypeWeCom))
	opts := testOptions(t, clock, nil)
	opts.Rates = wecomRates()
	nt := mustNotifier(t, testChannel(TypeWeCom, rv.URL), opts)
	for i := range 25 {
		if r := nt.Send(context.Background(), []*Notification{firingDowngrade("zh")}); r[0].Err != nil {
			t.Fatalf("send %d: %v", i, r[0].Err)
		}
	}
	reqs := rv.Requests()
	inFirstMinute := 0
	for _, r := range reqs {
		if r.At.Before(t0.Add(time.Minute)) {
			inFirstMinute++
		}
	}
	if len(reqs) != 25 || inFirstMinute != 20 {
		t.Fatalf("%d requests, %d in the first minute; want 25 and 20", len(reqs), inFirstMinute)
	}
	if !reqs[20].At.Equal(t0.Add(time.Minute)) {
		t.Errorf("the 21st went at %s", reqs[20].At.Sub(t0))
	}
}

// TestWeComRateLimitDeadline sends 25 messages at one instant under a deadline shorter
// than the wait: 20 go out, 5 come back retryable after the window.
func TestWeComRateLimitDeadline(t *testing.T) {
	clock := newFakeClock()
	rv := newReceiver(t, clock, okAnswer(TypeWeCom))
	opts := testOptions(t, clock, nil)
	opts.Rates = wecomRates()
	nt := mustNotifier(t, testChannel(TypeWeCom, rv.URL), opts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sent, held := 0, 0
	for i := range 25 {
		r := nt.Send(ctx, []*Notification{firingDowngrade("zh")})[0]
		var rl *RateLimitedError
		switch {
		case r.Err == nil:
			sent++
		case errors.As(r.Err, &rl) && r.Retryable && r.RetryAfter == time.Minute:
			held++
		default:
			t.Fatalf("send %d: %+v", i, r)
		}
	}
	if sent != 20 || held != 5 || len(rv.Requests()) != 20 {
		t.Fatalf("sent %d, held %d, %d requests", sent, held, len(rv.Requests()))
	}
	clock.Advance(time.Minute)
	for range 5 {
		if r := nt.Send(ctx, []*Notification{firingDowngrade("zh")}); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
	}
}

// TestLimiterSharedByRobot: two subscriptions on one robot share its 20/min.
func TestLimiterSharedByRobot(t *testing.T) {
	clock := newFakeClock()
	rv := newReceiver(t, clock, okAnswer(TypeWeCom))
	other := newReceiver(t, clock, okAnswer(TypeWeCom))
	opts := testOptions(t, clock, nil)
	opts.Rates = wecomRates()
	opts.Limiter = NewLimiter(clock)
	a := mustNotifier(t, testChannel(TypeWeCom, rv.URL), opts)
	b := mustNotifier(t, testChannel(TypeWeCom, rv.URL), opts)
	c := mustNotifier(t, testChannel(TypeWeCom, other.URL), opts) // another robot
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ok := 0
	for range 15 {
		for _, nt := range []Notifier{a, b} {
			if r := nt.Send(ctx, []*Notification{firingDowngrade("zh")}); r[0].Err == nil {
				ok++
			}
		}
		if r := c.Send(ctx, []*Notification{firingDowngrade("zh")}); r[0].Err != nil {
			t.Fatalf("the other robot: %v", r[0].Err)
		}
	}
	if ok != 20 || len(rv.Requests()) != 20 || len(other.Requests()) != 15 {
		t.Fatalf("%d ok, %d and %d requests", ok, len(rv.Requests()), len(other.Requests()))
	}
}

// TestLimiterWindows: Feishu's 5/s and 100/min both hold over every window.
func TestLimiterWindows(t *testing.T) {
	clock := newFakeClock()
	l := NewLimiter(clock)
	var at []time.Time
	for range 230 {
		if err := l.Wait(context.Background(), "feishu", feishuRates()); err != nil {
			t.Fatal(err)
		}
		at = append(at, clock.Now())
	}
	for i := range at {
		if j := i + 5; j < len(at) && at[j].Sub(at[i]) < time.Second {
			t.Fatalf("sends %d and %d within %s", i, j, at[j].Sub(at[i]))
		}
		if j := i + 100; j < len(at) && at[j].Sub(at[i]) < time.Minute {
			t.Fatalf("sends %d and %d within %s", i, j, at[j].Sub(at[i]))
		}
	}
	// 100 go in the first 20 s (5 per second), then the minute's budget is spent.
	if got := at[99].Sub(t0); got != 19*time.Second {
		t.Errorf("the 100th went at %s", got)
	}
	if got := at[100].Sub(t0); got != time.Minute {
		t.Errorf("the 101st went at %s", got)
	}
}

// TestLimiterCancelReturnsSlot: a wait cut short gives its slot back.
func TestLimiterCancelReturnsSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewLimiter(nil) // the system clock, virtual inside the bubble
		rates := []Rate{{Count: 2, Per: time.Minute}}
		for range 2 {
			if err := l.Wait(context.Background(), "k", rates); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			time.Sleep(10 * time.Second)
			cancel()
		}()
		if err := l.Wait(ctx, "k", rates); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
		if err := l.Wait(context.Background(), "k", rates); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != time.Minute {
			t.Errorf("the third slot came after %s, want 1m", got)
		}
		// The cancelled reservation was given back: the fourth waits for the second's window only.
		if err := l.Wait(context.Background(), "k", rates); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != time.Minute {
			t.Errorf("the fourth slot came after %s, want 1m", got)
		}
	})
}

func TestLimiterBlock(t *testing.T) {
	clock := newFakeClock()
	l := NewLimiter(clock)
	l.Block("k", t0.Add(10*time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rl *RateLimitedError
	if err := l.Wait(ctx, "k", nil); !errors.As(err, &rl) || rl.Wait != 10*time.Minute {
		t.Fatalf("got %v", err)
	}
	if err := l.Wait(ctx, "other", wecomRates()); err != nil {
		t.Fatalf("another key: %v", err)
	}
	clock.Advance(10 * time.Minute)
	if err := l.Wait(ctx, "k", nil); err != nil {
		t.Fatal(err)
	}
}
