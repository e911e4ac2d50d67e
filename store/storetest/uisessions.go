package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

// testUISessions: sessions round-trip with their token, touch only moves forward,
// sign-out and the sweep delete, and a revoked token's session reads revoked.
func testUISessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	tok := &store.Token{Name: "desk", Role: "analyst", Hash: hashOf('a')}
	ten := &store.Token{Name: "acme", Role: "tenant", Leader: USCC(1), Hash: hashOf('b')}
	for _, x := range []*store.Token{tok, ten} {
		if err := s.CreateToken(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	at := day.Add(time.Hour)
	idle := 8 * time.Hour
	a := &store.UISession{IDHash: hashOf('1'), TokenID: tok.ID, CSRF: "csrf-a", CreatedAt: at, LastSeen: at, ExpiresAt: at.Add(idle)}
	b := &store.UISession{IDHash: hashOf('2'), TokenID: ten.ID, CSRF: "csrf-b", CreatedAt: at, LastSeen: at, ExpiresAt: at.Add(time.Minute)}
	for _, u := range []*store.UISession{a, b} {
		if err := s.CreateUISession(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateUISession(ctx, &store.UISession{IDHash: hashOf('3'), TokenID: tok.ID}); err == nil {
		t.Error("CreateUISession without csrf and expiry succeeded")
	}
	if err := s.CreateUISession(ctx, a); err == nil {
		t.Error("a second session with the same hash was accepted")
	}
	got, gt, err := s.UISession(ctx, hashOf('1'))
	if err != nil || got.TokenID != tok.ID || got.CSRF != "csrf-a" || !got.CreatedAt.Equal(at) || !got.LastSeen.Equal(at) ||
		!got.ExpiresAt.Equal(at.Add(idle)) || gt.Name != "desk" || gt.Role != "analyst" || gt.Revoked() {
		t.Fatalf("UISession = %+v, %+v, %v", got, gt, err)
	}
	if _, gt, _ := s.UISession(ctx, hashOf('2')); gt == nil || gt.Leader != USCC(1) || gt.Role != "tenant" {
		t.Errorf("tenant session's token = %+v", gt)
	}
	if _, _, err := s.UISession(ctx, hashOf('9')); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UISession(unknown) err = %v", err)
	}

	// Touch moves forward only.
	later := at.Add(2 * time.Hour)
	if err := s.TouchUISession(ctx, hashOf('1'), later, later.Add(idle)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchUISession(ctx, hashOf('1'), at.Add(time.Hour), at.Add(time.Hour+idle)); err != nil {
		t.Errorf("an older touch: %v", err)
	}
	if got, _, _ := s.UISession(ctx, hashOf('1')); !got.LastSeen.Equal(later) || !got.ExpiresAt.Equal(later.Add(idle)) {
		t.Errorf("after touches: last_seen %v expires %v, want %v, %v", got.LastSeen, got.ExpiresAt, later, later.Add(idle))
	}
	if err := s.TouchUISession(ctx, hashOf('9'), later, later); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchUISession(unknown) err = %v", err)
	}

	// The sweep takes b (expired at at+1m) and leaves a.
	n, err := s.DeleteExpiredUISessions(ctx, at.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpiredUISessions = %d, %v; want 1", n, err)
	}
	if _, _, err := s.UISession(ctx, hashOf('2')); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session still there: %v", err)
	}

	// A revoked token's session reads revoked, and the sweep then takes it.
	if err := s.RevokeToken(ctx, "desk"); err != nil {
		t.Fatal(err)
	}
	if _, gt, err := s.UISession(ctx, hashOf('1')); err != nil || !gt.Revoked() {
		t.Errorf("session of a revoked token: %+v, %v", gt, err)
	}
	if n, err := s.DeleteExpiredUISessions(ctx, at); err != nil || n != 1 {
		t.Errorf("sweep of a revoked token's session = %d, %v; want 1", n, err)
	}

	// Sign-out deletes; deleting again is no error.
	c := &store.UISession{IDHash: hashOf('4'), TokenID: ten.ID, CSRF: "c", CreatedAt: at, LastSeen: at, ExpiresAt: at.Add(idle)}
	if err := s.CreateUISession(ctx, c); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.DeleteUISession(ctx, hashOf('4')); err != nil {
			t.Errorf("DeleteUISession: %v", err)
		}
	}
	if _, _, err := s.UISession(ctx, hashOf('4')); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("signed-out session still there: %v", err)
	}
}
