package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// UISession is one signed-in browser of the web console (docs/console.md). The store
// keeps the SHA-256 of the session cookie's value, never the value, and refers to the
// API token the caller signed in with by its ID.
type UISession struct {
	// IDHash is the hex SHA-256 of the session cookie's random value.
	IDHash  string
	TokenID int64
	// CSRF is the token every state-changing form of the session carries.
	CSRF      string
	CreatedAt time.Time
	LastSeen  time.Time
	// ExpiresAt is LastSeen plus the idle timeout (ui.session_idle).
	ExpiresAt time.Time
}

const uiSessionCols = `id_hash, token_id, csrf, created_at, last_seen, expires_at`

// CreateUISession records a session (every field required).
func (s *SQL) CreateUISession(ctx context.Context, u *UISession) error {
	if len(u.IDHash) == 0 || u.TokenID < 1 || len(u.CSRF) == 0 || u.ExpiresAt.IsZero() {
		return errors.New("create ui session: id_hash, token_id, csrf and expires_at are required")
	}
	if _, err := s.d.Exec(ctx, `INSERT INTO ui_sessions (`+uiSessionCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		u.IDHash, u.TokenID, u.CSRF, u.CreatedAt.UnixMilli(), u.LastSeen.UnixMilli(), u.ExpiresAt.UnixMilli()); err != nil {
		return fmt.Errorf("create ui session: %w", err)
	}
	return nil
}

// UISession returns the session with the hash and the token it refers to (revoked or
// not: the caller checks), or ErrNotFound when there is no such session or its token
// is gone. Expiry is the caller's to check.
func (s *SQL) UISession(ctx context.Context, idHash string) (*UISession, *Token, error) {
	var u *UISession
	var t Token
	err := s.each(ctx, `SELECT s.id_hash, s.token_id, s.csrf, s.created_at, s.last_seen, s.expires_at,
		t.id, t.name, t.role, t.leader, t.hash, t.created_at, t.revoked_at, t.last_used_at
		FROM ui_sessions s JOIN tokens t ON t.id = s.token_id WHERE s.id_hash = ?`, []any{idHash},
		func(r Rows) error {
			var x UISession
			var created, seen, expires, tCreated int64
			var revoked, used *int64
			if err := r.Scan(&x.IDHash, &x.TokenID, &x.CSRF, &created, &seen, &expires,
				&t.ID, &t.Name, &t.Role, &t.Leader, &t.Hash, &tCreated, &revoked, &used); err != nil {
				return err
			}
			x.CreatedAt, x.LastSeen, x.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(seen).UTC(),
				time.UnixMilli(expires).UTC()
			t.CreatedAt = time.UnixMilli(tCreated).UTC()
			t.RevokedAt, t.LastUsedAt = fromMS(revoked), fromMS(used)
			u = &x
			return nil
		})
	if err != nil {
		return nil, nil, fmt.Errorf("look up ui session: %w", err)
	}
	if u == nil {
		return nil, nil, fmt.Errorf("ui session: %w", ErrNotFound)
	}
	return u, &t, nil
}

// TouchUISession moves a session's last use and expiry forward (never back);
// ErrNotFound when it is gone.
func (s *SQL) TouchUISession(ctx context.Context, idHash string, seen, expires time.Time) error {
	n, err := s.d.Exec(ctx, `UPDATE ui_sessions SET last_seen = ?, expires_at = ?
		WHERE id_hash = ? AND last_seen <= ?`, seen.UnixMilli(), expires.UnixMilli(), idHash, seen.UnixMilli())
	if err != nil {
		return fmt.Errorf("touch ui session: %w", err)
	}
	if n == 0 {
		var found int64
		if err := s.each(ctx, `SELECT COUNT(*) FROM ui_sessions WHERE id_hash = ?`, []any{idHash},
			func(r Rows) error { return r.Scan(&found) }); err != nil {
			return fmt.Errorf("touch ui session: %w", err)
		}
		if found == 0 {
			return fmt.Errorf("ui session: %w", ErrNotFound)
		}
	}
	return nil
}

// DeleteUISession deletes a session (sign-out); deleting a missing one is no error.
func (s *SQL) DeleteUISession(ctx context.Context, idHash string) error {
	if _, err := s.d.Exec(ctx, `DELETE FROM ui_sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete ui session: %w", err)
	}
	return nil
}

// DeleteExpiredUISessions deletes the sessions that expired at or before now and the
// sessions of revoked or deleted tokens, and returns how many went.
func (s *SQL) DeleteExpiredUISessions(ctx context.Context, now time.Time) (int64, error) {
	n, err := s.d.Exec(ctx, `DELETE FROM ui_sessions WHERE expires_at <= ?
		OR token_id NOT IN (SELECT id FROM tokens WHERE revoked_at IS NULL)`, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete expired ui sessions: %w", err)
	}
	return n, nil
}
