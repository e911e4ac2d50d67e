package risk

import (
	"fmt"
	"math"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// Grade is a credit grade: A 优, B 良, C 中, D 差.
type Grade byte

const (
	GradeNone Grade = 0
	GradeA    Grade = 'A'
	GradeB    Grade = 'B'
	GradeC    Grade = 'C'
	GradeD    Grade = 'D'
)

func (g Grade) String() string {
	if g == GradeNone {
		return ""
	}
	return string(g)
}

// Worse reports whether g is a worse grade than h.
func (g Grade) Worse(h Grade) bool { return g > h }

// noBetter reports whether g is a grade, h or worse (GradeNone is none).
func (g Grade) noBetter(h Grade) bool { return g != GradeNone && !h.Worse(g) }

func (g Grade) valid() bool { return g >= GradeA && g <= GradeD }

// ParseGrade reads a grade written as "A", "B", "C" or "D".
func ParseGrade(s string) (Grade, error) {
	if len(s) == 1 && Grade(s[0]).valid() {
		return Grade(s[0]), nil
	}
	return GradeNone, fmt.Errorf("grade %q is not one of A, B, C, D", s)
}

// ScoreParams configure the scoring model (docs/models.md).
type ScoreParams struct {
	// Version is stamped on every result; change it when changing the model.
	Version     string
	Base        float64 // score of a firm without events
	PositiveCap float64 // most points positive events add together
	// HalfLife is the decay half-life of an event's points by its severity; 0, or
	// a severity not listed, means no decay.
	HalfLife map[credit.Severity]time.Duration
	// GradeA, GradeB and GradeC are the lowest scores of grades A, B and C; lower
	// scores are D.
	GradeA, GradeB, GradeC float64
	// Midpoint and Scale shape the logistic probability of distress p(score).
	Midpoint, Scale float64
}

// DefaultScoreParams returns docs/models.md's defaults.
func DefaultScoreParams() ScoreParams {
	const day = 24 * time.Hour
	return ScoreParams{
		Version: "chainrisk-1", Base: 800, PositiveCap: 150,
		HalfLife: map[credit.Severity]time.Duration{
			credit.SeverityCritical: 0,
			credit.SeverityHigh:     730 * day,
			credit.SeverityMedium:   365 * day,
			credit.SeverityLow:      180 * day,
			credit.SeverityInfo:     365 * day,
		},
		GradeA: 850, GradeB: 700, GradeC: 500,
		Midpoint: 500, Scale: 80,
	}
}

// Model is the scoring model of docs/models.md: its parameters and the event catalogue.
type Model struct {
	ScoreParams
	Catalogue credit.Catalogue

	// halfLife is in seconds per severity rank (credit.Severity.Rank); 0 means no decay.
	halfLife [5]float64
	// The catalogue as arrays, for the scan's compact events (EventRef.Type indexes them).
	typeNames  []string
	typeIndex  map[string]uint16
	typePoints []float64
	typeSev    []credit.Severity
}

// NoType marks an event whose type the catalogue does not know (any more); it
// does not count.
const NoType = ^uint16(0)

// EventRef is an active event as the scan holds it: 10 bytes instead of a
// credit.Event, since a province holds millions.
type EventRef struct {
	Type uint16 // index into the model's catalogue, or NoType
	At   int64  // occurred_at, Unix seconds
}

// TypeIndex returns the compact index of an event type, or NoType.
func (m *Model) TypeIndex(name string) uint16 {
	if i, ok := m.typeIndex[name]; ok {
		return i
	}
	return NoType
}

// TypeName is the inverse of TypeIndex.
func (m *Model) TypeName(i uint16) string {
	if int(i) < len(m.typeNames) {
		return m.typeNames[i]
	}
	return ""
}

// Severity returns the severity of the event type with compact index i; false
// for NoType or an index the catalogue does not hold.
func (m *Model) Severity(i uint16) (credit.Severity, bool) {
	if int(i) < len(m.typeSev) {
		return m.typeSev[i], true
	}
	return "", false
}

// NewModel builds the scoring model from its parameters and the event catalogue.
func NewModel(p ScoreParams, cat credit.Catalogue) *Model {
	m := &Model{ScoreParams: p, Catalogue: cat, typeIndex: make(map[string]uint16)}
	for _, s := range credit.Severities {
		m.halfLife[s.Rank()] = p.HalfLife[s].Seconds()
	}
	for _, name := range cat.Names() {
		t, _ := cat.Lookup(name)
		m.typeIndex[name] = uint16(len(m.typeNames))
		m.typeNames = append(m.typeNames, name)
		m.typePoints = append(m.typePoints, t.Points)
		m.typeSev = append(m.typeSev, t.Severity)
	}
	return m
}

// Contribution is one event's part in a score.
type Contribution struct {
	EventID  string          `json:"event_id"`
	Type     string          `json:"type"`
	Severity credit.Severity `json:"severity"`
	// Points is the catalogue's value; Decay the factor applied for the event's age;
	// Effective = Points × Decay (before the positive cap).
	Points    float64 `json:"points"`
	Decay     float64 `json:"decay"`
	Effective float64 `json:"effective"`
	AgeDays   float64 `json:"age_days"`
}

// Hard rules that override the score.
const (
	RuleCriticalEvent = "critical_event_caps_grade_at_D"
	RuleDefunct       = "defunct_status_means_D_and_p_1"
	RulePositiveCap   = "positive_points_capped"
	RuleClamped       = "score_clamped_to_0_1000"
)

// Explanation answers "why is this firm C?".
type Explanation struct {
	Base          float64        `json:"base"`
	Contributions []Contribution `json:"contributions"`
	Negative      float64        `json:"negative"`
	Positive      float64        `json:"positive"`
	// PositiveCapped is Positive after the cap.
	PositiveCapped float64  `json:"positive_capped"`
	HardRules      []string `json:"hard_rules"`
}

// Result is a firm's score.
type Result struct {
	Score float64
	Grade Grade
	P     float64
}

// ScoredEvent is what scoring needs of an event.
type ScoredEvent struct {
	ID         string
	Type       string
	OccurredAt time.Time
}

// Score scores one firm at time now from its active events. When ex is non-nil it is
// filled with every contribution and rule applied.
func (m *Model) Score(status credit.Status, events []ScoredEvent, now time.Time, ex *Explanation) Result {
	refs := make([]EventRef, len(events))
	ids := make([]string, len(events))
	for i, e := range events {
		refs[i] = EventRef{Type: m.TypeIndex(e.Type), At: e.OccurredAt.Unix()}
		ids[i] = e.ID
	}
	return m.score(status, refs, ids, now.Unix(), ex)
}

// ScoreRefs scores one firm from compact events (the scan's hot path).
func (m *Model) ScoreRefs(status credit.Status, events []EventRef, now int64) Result {
	return m.score(status, events, nil, now, nil)
}

func (m *Model) score(status credit.Status, events []EventRef, ids []string, now int64, ex *Explanation) Result {
	var neg, pos float64
	critical := false
	for i, e := range events {
		if int(e.Type) >= len(m.typeNames) {
			continue // a type dropped from config no longer counts
		}
		sev := m.typeSev[e.Type]
		age := float64(max(now-e.At, 0))
		decay := m.decay(sev, age)
		eff := m.typePoints[e.Type] * decay
		if eff < 0 {
			neg += eff
		} else {
			pos += eff
		}
		if sev == credit.SeverityCritical {
			critical = true
		}
		if ex != nil {
			ex.Contributions = append(ex.Contributions, Contribution{
				EventID: ids[i], Type: m.typeNames[e.Type], Severity: sev, Points: m.typePoints[e.Type],
				Decay: decay, Effective: eff, AgeDays: age / 86400,
			})
		}
	}
	capped := min(pos, m.PositiveCap)
	raw := m.Base + neg + capped
	score := min(max(raw, 0), 1000)
	r := Result{Score: score, Grade: m.grade(score), P: m.p(score)}
	if critical {
		r.Grade = GradeD
	}
	if status.Defunct() {
		r.Grade, r.P = GradeD, 1
	}
	if ex != nil {
		ex.Base, ex.Negative, ex.Positive, ex.PositiveCapped = m.Base, neg, pos, capped
		if capped < pos {
			ex.HardRules = append(ex.HardRules, RulePositiveCap)
		}
		if score != raw {
			ex.HardRules = append(ex.HardRules, RuleClamped)
		}
		if critical {
			ex.HardRules = append(ex.HardRules, RuleCriticalEvent)
		}
		if status.Defunct() {
			ex.HardRules = append(ex.HardRules, RuleDefunct)
		}
	}
	return r
}

// decay is 0.5^(age/half-life), or 1 for a severity without decay.
func (m *Model) decay(s credit.Severity, ageSeconds float64) float64 {
	r := s.Rank()
	if r < 0 || m.halfLife[r] <= 0 {
		return 1
	}
	return math.Exp2(-ageSeconds / m.halfLife[r])
}

func (m *Model) grade(score float64) Grade {
	switch {
	case score >= m.GradeA:
		return GradeA
	case score >= m.GradeB:
		return GradeB
	case score >= m.GradeC:
		return GradeC
	}
	return GradeD
}

// p is the logistic probability of distress of docs/models.md.
func (m *Model) p(score float64) float64 {
	return 1 / (1 + math.Exp((score-m.Midpoint)/m.Scale))
}
