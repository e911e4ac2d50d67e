package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Token is an API token as the store keeps it: its SHA-256, never the token itself.
type Token struct {
	ID   int64
	Name string
	Role string
	// Leader is the USCC a tenant token is bound to; empty for other roles.
	Leader string
	// Hash is the hex SHA-256 of the plain token: no listing ever prints it.
	Hash       string
	CreatedAt  time.Time
	RevokedAt  time.Time
	LastUsedAt time.Time
}

// Revoked reports whether the token was revoked.
func (t *Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// ErrTokenExists is returned by CreateToken when the name (or, against all odds, the
// hash) is already taken, by a live or a revoked token.
var ErrTokenExists = errors.New("token already exists")

const tokenCols = `id, name, role, leader, hash, created_at, revoked_at, last_used_at`

func scanToken(r Rows) (Token, error) {
	var t Token
	var created int64
	var revoked, used *int64
	err := r.Scan(&t.ID, &t.Name, &t.Role, &t.Leader, &t.Hash, &created, &revoked, &used)
	t.CreatedAt = time.UnixMilli(created).UTC()
	t.RevokedAt, t.LastUsedAt = fromMS(revoked), fromMS(used)
	return t, err
}

// CreateToken records a token and assigns its ID (and CreatedAt when zero). The name
// check and the ID run under the exclusive lock, so two replicas never hand out the
// same name or ID.
func (s *SQL) CreateToken(ctx context.Context, t *Token) error {
	if t.Name == "" || t.Role == "" || t.Hash == "" {
		return errors.New("create token: name, role and hash are required")
	}
	tx, err := s.d.Begin(ctx, true)
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var id, taken int64
	if err := eachRow(ctx, tx, `SELECT COALESCE(MAX(id), 0) + 1,
		(SELECT COUNT(*) FROM tokens WHERE name = ? OR hash = ?) FROM tokens`, []any{t.Name, t.Hash},
		func(r Rows) error { return r.Scan(&id, &taken) }); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	if taken > 0 {
		return fmt.Errorf("create token %q: %w", t.Name, ErrTokenExists)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, t.Name, t.Role, t.Leader, t.Hash, t.CreatedAt.UnixMilli(), ms(t.RevokedAt), ms(t.LastUsedAt)); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	t.ID = id
	return nil
}

// Tokens lists every token, revoked ones included, by name.
func (s *SQL) Tokens(ctx context.Context) ([]Token, error) {
	var out []Token
	err := s.each(ctx, `SELECT `+tokenCols+` FROM tokens ORDER BY name`, nil, func(r Rows) error {
		t, err := scanToken(r)
		out = append(out, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes the token called name, or returns ErrNotFound. Revoking a
// revoked token keeps its first revocation time.
func (s *SQL) RevokeToken(ctx context.Context, name string) error {
	if _, err := s.d.Exec(ctx, `UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL`,
		s.now().UnixMilli(), name); err != nil {
		return fmt.Errorf("revoke token %q: %w", name, err)
	}
	var n int64
	if err := s.each(ctx, `SELECT COUNT(*) FROM tokens WHERE name = ?`, []any{name}, func(r Rows) error {
		return r.Scan(&n)
	}); err != nil {
		return fmt.Errorf("revoke token %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("token %q: %w", name, ErrNotFound)
	}
	return nil
}

// TokenByHash returns the token with the given hash, revoked or not, or ErrNotFound.
// The caller checks Revoked and compares the hashes in constant time.
func (s *SQL) TokenByHash(ctx context.Context, hash string) (*Token, error) {
	var found *Token
	err := s.each(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = ?`, []any{hash}, func(r Rows) error {
		t, err := scanToken(r)
		found = &t
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	if found == nil {
		return nil, fmt.Errorf("token: %w", ErrNotFound)
	}
	return found, nil
}

// TouchToken records when a token was last used (ErrNotFound for an unknown ID).
func (s *SQL) TouchToken(ctx context.Context, id int64, at time.Time) error {
	n, err := s.d.Exec(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("touch token %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("token %d: %w", id, ErrNotFound)
	}
	return nil
}
