package tokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// Role is what a token may do (api/openapi.json).
type Role string

const (
	// RoleAdmin may call everything.
	RoleAdmin Role = "admin"
	// RoleIngest may ingest, trigger rescans and read scans.
	RoleIngest Role = "ingest"
	// RoleAnalyst may read everything and run stress tests, ESRI and checks; it may
	// not ingest or trigger rescans.
	RoleAnalyst Role = "analyst"
	// RoleTenant is bound to one USCC (a leader or an SME) and reads only firms of
	// that USCC's chain; everything else answers 404 as if it did not exist.
	RoleTenant Role = "tenant"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleIngest, RoleAnalyst, RoleTenant}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want admin, ingest, analyst or tenant)", s)
}

// Prefix starts every plain token, so that a leaked one is recognisable (secret
// scanners, logs) and a malformed one is refused without a store lookup.
const Prefix = "crk_"

var plainRE = regexp.MustCompile(`^crk_[A-Za-z0-9_-]{43}$`)

// WellFormed reports whether plain has the shape of a token New makes.
func WellFormed(plain string) bool { return plainRE.MatchString(plain) }

// nameRE bounds token names: they appear in logs and scan triggers (api:<name>).
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckName checks a token name: 1-64 letters, digits, '.', '_' or '-', starting
// with a letter or digit.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("token name %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// CheckLeader checks the USCC a token of role is bound to: tenants need a valid
// one, the other roles must not give one.
func CheckLeader(role Role, leader string) error {
	switch {
	case role == RoleTenant && leader == "":
		return errors.New("a tenant token needs the USCC of the leading firm or SME it is bound to")
	case role != RoleTenant && leader != "":
		return fmt.Errorf("only tenant tokens are bound to a USCC, not %s tokens", role)
	case leader != "":
		if err := credit.CheckUSCC(leader); err != nil {
			return fmt.Errorf("invalid USCC %q: %w", leader, err)
		}
	}
	return nil
}

// New returns a fresh plain token (Prefix + 32 random bytes in unpadded base64url)
// and its hash.
func New() (plain, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("new token: %w", err)
	}
	plain = Prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return plain, Hash(plain), nil
}

// Hash is the hex SHA-256 the store keeps of a plain token. The tokens carry 256
// random bits, so a fast unsalted hash is enough: there is nothing to brute-force.
func Hash(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// Creator records a new token (store.Store is one).
type Creator interface {
	// CreateToken fails with store.ErrTokenExists when the name is taken.
	CreateToken(ctx context.Context, t *store.Token) error
}

// Create makes a token for role (tenants need leader, the USCC they are bound to;
// other roles must not give one), records its hash, and returns the plain token,
// which nothing keeps: show it to the user once.
func Create(ctx context.Context, db Creator, name string, role Role, leader string) (string, *store.Token, error) {
	if err := CheckName(name); err != nil {
		return "", nil, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", nil, err
	}
	if err := CheckLeader(role, leader); err != nil {
		return "", nil, err
	}
	plain, hash, err := New()
	if err != nil {
		return "", nil, err
	}
	tok := &store.Token{Name: name, Role: string(role), Leader: leader, Hash: hash}
	if err := db.CreateToken(ctx, tok); err != nil {
		return "", nil, err
	}
	return plain, tok, nil
}

// DemoName names the admin token EnsureDemo creates.
const DemoName = "demo-admin"

// Keeper records tokens and lists them (store.Store is one).
type Keeper interface {
	Creator
	// Tokens lists every token, revoked ones too.
	Tokens(ctx context.Context) ([]store.Token, error)
}

// EnsureDemo creates an admin token when the store holds no live token, for
// chainriskd -demo to print at start. It returns the plain token and true when it
// created one; "" and false when tokens exist.
func EnsureDemo(ctx context.Context, db Keeper) (plain string, created bool, err error) {
	tokens, err := db.Tokens(ctx)
	if err != nil {
		return "", false, err
	}
	taken := make(map[string]bool, len(tokens))
	for _, t := range tokens {
		if !t.Revoked() {
			return "", false, nil
		}
		taken[t.Name] = true
	}
	name := DemoName
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s-%d", DemoName, i)
	}
	plain, _, err = Create(ctx, db, name, RoleAdmin, "")
	if err != nil {
		return "", false, err
	}
	return plain, true, nil
}
