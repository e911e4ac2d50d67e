package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// SilenceMatcher is one condition of a silence on an alert label.
type SilenceMatcher struct {
	Name  string
	Op    string // =, !=, =~, !~
	Value string
}

// matcherColumn is a SilenceMatcher as the silences' matchers column holds it: a
// JSON array of these objects.
type matcherColumn struct {
	Name  string `json:"name"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

func encodeMatchers(ms []SilenceMatcher) ([]byte, error) {
	col := make([]matcherColumn, len(ms))
	for i, m := range ms {
		col[i] = matcherColumn(m)
	}
	return json.Marshal(col)
}

func decodeMatchers(b []byte) ([]SilenceMatcher, error) {
	var col []matcherColumn
	if err := json.Unmarshal(b, &col); err != nil || col == nil {
		return nil, err
	}
	ms := make([]SilenceMatcher, len(col))
	for i, m := range col {
		ms[i] = SilenceMatcher(m)
	}
	return ms, nil
}

// Silence mutes the notifications of the alerts its matchers all match, between
// StartsAt and EndsAt.
type Silence struct {
	ID        string
	Matchers  []SilenceMatcher
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedBy string
	Comment   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const silenceCols = `id, matchers, starts_at, ends_at, created_by, comment, created_at, updated_at`

func scanSilence(r Rows) (Silence, error) {
	var sl Silence
	var matchers string
	var starts, ends, created, updated int64
	if err := r.Scan(&sl.ID, &matchers, &starts, &ends, &sl.CreatedBy, &sl.Comment, &created, &updated); err != nil {
		return sl, err
	}
	sl.StartsAt, sl.EndsAt = time.UnixMilli(starts).UTC(), time.UnixMilli(ends).UTC()
	sl.CreatedAt, sl.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	var err error
	if sl.Matchers, err = decodeMatchers([]byte(matchers)); err != nil {
		return sl, fmt.Errorf("silence %s: matchers: %w", sl.ID, err)
	}
	return sl, nil
}

// CreateSilence records a silence, assigning its ID (when empty) and times.
func (s *SQL) CreateSilence(ctx context.Context, sl *Silence) error {
	if sl.ID == "" {
		sl.ID = NewID()
	}
	if sl.CreatedAt.IsZero() {
		sl.CreatedAt = s.now()
	}
	sl.UpdatedAt = sl.CreatedAt
	if sl.Matchers == nil {
		sl.Matchers = []SilenceMatcher{}
	}
	m, err := encodeMatchers(sl.Matchers)
	if err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	if _, err := s.d.Exec(ctx, `INSERT INTO silences (`+silenceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		sl.ID, string(m), sl.StartsAt.UnixMilli(), sl.EndsAt.UnixMilli(), sl.CreatedBy, sl.Comment,
		sl.CreatedAt.UnixMilli(), sl.UpdatedAt.UnixMilli()); err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	return nil
}

// Silences lists every silence, expired ones included, latest end first.
func (s *SQL) Silences(ctx context.Context) ([]Silence, error) {
	return s.silences(ctx, ``, nil)
}

func (s *SQL) silences(ctx context.Context, where string, args []any) ([]Silence, error) {
	var out []Silence
	err := s.each(ctx, `SELECT `+silenceCols+` FROM silences `+where+` ORDER BY ends_at DESC, id`, args,
		func(r Rows) error {
			sl, err := scanSilence(r)
			out = append(out, sl)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("list silences: %w", err)
	}
	return out, nil
}

// Silence returns one silence, or ErrNotFound.
func (s *SQL) Silence(ctx context.Context, id string) (*Silence, error) {
	list, err := s.silences(ctx, `WHERE id = ?`, []any{id})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("silence %s: %w", id, ErrNotFound)
	}
	return &list[0], nil
}

// ExpireSilence ends a silence at at (or keeps its earlier end), or returns ErrNotFound.
func (s *SQL) ExpireSilence(ctx context.Context, id string, at time.Time) error {
	if _, err := s.d.Exec(ctx, `UPDATE silences SET ends_at = ?, updated_at = ? WHERE id = ? AND ends_at > ?`,
		at.UnixMilli(), at.UnixMilli(), id, at.UnixMilli()); err != nil {
		return fmt.Errorf("expire silence %s: %w", id, err)
	}
	_, err := s.Silence(ctx, id)
	return err
}
