package tokens_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/store/storetest"
	"github.com/chainrisk/chainrisk/tokens"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.OpenDir(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// The store keeps the hex SHA-256 of the plain token, and New's tokens are fresh
// and well formed.
func TestNewAndHash(t *testing.T) {
	sum := sha256.Sum256([]byte("crk_x"))
	if got, want := tokens.Hash("crk_x"), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Hash(crk_x) = %s, want %s", got, want)
	}
	seen := map[string]bool{}
	for range 100 {
		plain, hash, err := tokens.New()
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(plain))
		if hash != hex.EncodeToString(sum[:]) {
			t.Errorf("New: hash %s is not the SHA-256 of %s", hash, plain)
		}
		if !strings.HasPrefix(plain, tokens.Prefix) || len(plain) != len(tokens.Prefix)+43 || !tokens.WellFormed(plain) {
			t.Errorf("New: malformed token %q", plain)
		}
		if seen[plain] {
			t.Fatalf("New returned %q twice", plain)
		}
		seen[plain] = true
	}
	for _, bad := range []string{"", tokens.Prefix, "crk_" + strings.Repeat("x", 42), "crk_" + strings.Repeat("x", 44),
		"krc_" + strings.Repeat("x", 43), "crk_" + strings.Repeat("x", 42) + "="} {
		if tokens.WellFormed(bad) {
			t.Errorf("WellFormed(%q) = true", bad)
		}
	}
}

// The role names are part of the API, the store and the CLI: they never change.
func TestParseRole(t *testing.T) {
	want := map[tokens.Role]string{tokens.RoleAdmin: "admin", tokens.RoleIngest: "ingest", tokens.RoleAnalyst: "analyst",
		tokens.RoleTenant: "tenant"}
	if len(tokens.Roles) != len(want) {
		t.Errorf("Roles = %v", tokens.Roles)
	}
	for _, r := range tokens.Roles {
		if string(r) != want[r] {
			t.Errorf("role %q, want %q", r, want[r])
		}
		if got, err := tokens.ParseRole(want[r]); got != r || err != nil {
			t.Errorf("ParseRole(%s) = %q, %v", want[r], got, err)
		}
	}
	if _, err := tokens.ParseRole("root"); err == nil || !strings.Contains(err.Error(), `unknown role "root"`) {
		t.Errorf("ParseRole(root) = %v", err)
	}
}

func TestCreate(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	leader := storetest.USCC(7)
	plain, tok, err := tokens.Create(ctx, st, "acme", tokens.RoleTenant, leader)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Name != "acme" || tok.Role != "tenant" || tok.Leader != leader || tok.Hash != tokens.Hash(plain) || tok.ID == 0 {
		t.Errorf("created %+v", tok)
	}
	stored, err := st.TokenByHash(ctx, tokens.Hash(plain))
	if err != nil || stored.Name != "acme" || stored.Role != "tenant" || stored.Leader != leader {
		t.Errorf("stored %+v, %v", stored, err)
	}
	if _, _, err := tokens.Create(ctx, st, "acme", tokens.RoleAdmin, ""); !errors.Is(err, store.ErrTokenExists) {
		t.Errorf("duplicate name: err = %v, want store.ErrTokenExists", err)
	}

	for _, tc := range []struct {
		name, token string
		role        tokens.Role
		leader      string
		want        string
	}{
		{"empty name", "", tokens.RoleAdmin, "", `token name "": use 1-64 letters`},
		{"name with a space", "bad name", tokens.RoleAdmin, "", `token name "bad name"`},
		{"name starting with a dot", ".ops", tokens.RoleAdmin, "", `token name ".ops"`},
		{"name too long", strings.Repeat("a", 65), tokens.RoleAdmin, "", "use 1-64 letters"},
		{"unknown role", "x", "root", "", `unknown role "root" (want admin, ingest, analyst or tenant)`},
		{"tenant without leader", "x", tokens.RoleTenant, "", "a tenant token needs the USCC"},
		{"analyst with leader", "x", tokens.RoleAnalyst, leader, "only tenant tokens are bound to a USCC, not analyst tokens"},
		{"tenant with an invalid USCC", "x", tokens.RoleTenant, "91230100MA1ABCDE00", `invalid USCC "91230100MA1ABCDE00"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain, tok, err := tokens.Create(ctx, st, tc.token, tc.role, tc.leader)
			if err == nil || !strings.Contains(err.Error(), tc.want) || plain != "" || tok != nil {
				t.Errorf("Create = %q, %+v, %v; want an error with %q", plain, tok, err, tc.want)
			}
		})
	}
	all, err := st.Tokens(ctx)
	if err != nil || len(all) != 1 {
		t.Errorf("the store holds %d tokens (%v), want only acme", len(all), err)
	}
}

func TestEnsureDemo(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	plain, created, err := tokens.EnsureDemo(ctx, st)
	if err != nil || !created || !strings.HasPrefix(plain, tokens.Prefix) {
		t.Fatalf("first: %q %v %v", plain, created, err)
	}
	tok, err := st.TokenByHash(ctx, tokens.Hash(plain))
	if err != nil || tok.Name != tokens.DemoName || tok.Role != string(tokens.RoleAdmin) {
		t.Fatalf("stored: %+v %v", tok, err)
	}
	if again, created, err := tokens.EnsureDemo(ctx, st); again != "" || created || err != nil {
		t.Errorf("with a live token: %q %v %v", again, created, err)
	}
	_ = st.RevokeToken(ctx, tokens.DemoName)
	plain2, created, err := tokens.EnsureDemo(ctx, st)
	if err != nil || !created || plain2 == plain {
		t.Fatalf("after revocation: %v %v", created, err)
	}
	if tok, _ := st.TokenByHash(ctx, tokens.Hash(plain2)); tok.Name != tokens.DemoName+"-2" {
		t.Errorf("second demo token named %q", tok.Name)
	}
}
