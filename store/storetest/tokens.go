package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

func hashOf(c byte) string { return strings.Repeat(string(c), 64) }

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	if list, err := s.Tokens(ctx); err != nil || len(list) != 0 {
		t.Fatalf("Tokens on an empty store = %v, %v", list, err)
	}
	created := day.Add(time.Minute)
	admin := &store.Token{Name: "ops", Role: "admin", Hash: hashOf('a'), CreatedAt: created}
	tenant := &store.Token{Name: "acme", Role: "tenant", Leader: USCC(1), Hash: hashOf('b')}
	for _, tok := range []*store.Token{admin, tenant} {
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if admin.ID != 1 || tenant.ID != 2 || tenant.CreatedAt.IsZero() {
		t.Errorf("ids %d, %d, created %v", admin.ID, tenant.ID, tenant.CreatedAt)
	}
	// Names and hashes are unique, also against each other's rows.
	for _, dup := range []*store.Token{
		{Name: "ops", Role: "analyst", Hash: hashOf('c')},
		{Name: "other", Role: "analyst", Hash: hashOf('a')},
	} {
		if err := s.CreateToken(ctx, dup); !errors.Is(err, store.ErrTokenExists) {
			t.Errorf("CreateToken(%s) err = %v, want ErrTokenExists", dup.Name, err)
		}
	}
	if err := s.CreateToken(ctx, &store.Token{Name: "x", Role: "admin"}); err == nil {
		t.Error("CreateToken without a hash succeeded")
	}

	got, err := s.TokenByHash(ctx, hashOf('b'))
	if err != nil || got.Name != "acme" || got.Role != "tenant" || got.Leader != USCC(1) || got.Hash != hashOf('b') ||
		got.Revoked() || !got.LastUsedAt.IsZero() {
		t.Errorf("TokenByHash = %+v, %v", got, err)
	}
	if _, err := s.TokenByHash(ctx, hashOf('z')); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByHash(unknown) err = %v", err)
	}

	used := day.Add(time.Hour)
	if err := s.TouchToken(ctx, admin.ID, used); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchToken(ctx, 99, used); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchToken(99) err = %v", err)
	}
	if err := s.RevokeToken(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken(nope) err = %v", err)
	}
	first, _ := s.TokenByHash(ctx, hashOf('b'))
	if !first.Revoked() {
		t.Fatalf("revoked token reads %+v", first)
	}
	if err := s.RevokeToken(ctx, "acme"); err != nil {
		t.Errorf("second revoke: %v", err)
	}
	if again, _ := s.TokenByHash(ctx, hashOf('b')); !again.RevokedAt.Equal(first.RevokedAt) {
		t.Errorf("second revoke moved revoked_at %v → %v", first.RevokedAt, again.RevokedAt)
	}
	// A revoked name stays taken.
	if err := s.CreateToken(ctx, &store.Token{Name: "acme", Role: "tenant", Leader: USCC(1), Hash: hashOf('d')}); !errors.Is(err, store.ErrTokenExists) {
		t.Errorf("re-using a revoked name: %v", err)
	}

	list, err := s.Tokens(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "acme" || list[1].Name != "ops" {
		t.Fatalf("Tokens = %+v, %v", list, err)
	}
	if !list[1].CreatedAt.Equal(created) || !list[1].LastUsedAt.Equal(used) || list[1].Revoked() || !list[0].Revoked() {
		t.Errorf("listed %+v", list)
	}
}

func testConcurrentTokens(t *testing.T, s store.Store) {
	// Replicas creating tokens at once never share an ID; one name wins once.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			name := "t" + string(rune('a'+i))
			if i%2 == 1 {
				name = "same"
			}
			errs[i] = s.CreateToken(context.Background(), &store.Token{Name: name, Role: "analyst", Hash: hashOf(byte('a' + i))})
		})
	}
	wg.Wait()
	ok, exists := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrTokenExists):
			exists++
		default:
			t.Errorf("CreateToken: %v", err)
		}
	}
	if ok != 5 || exists != 3 {
		t.Errorf("%d created, %d refused; want 5 and 3", ok, exists)
	}
	list, _ := s.Tokens(context.Background())
	seen := map[int64]bool{}
	for _, tok := range list {
		if seen[tok.ID] {
			t.Errorf("id %d handed out twice", tok.ID)
		}
		seen[tok.ID] = true
	}
}
