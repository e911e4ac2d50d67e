package credit

import (
	"math"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Shanghai without a system zone database
)

// Kind names one of the kinds of input data.
type Kind string

const (
	KindEnterprises   Kind = "enterprises"
	KindRelations     Kind = "relations"
	KindEvents        Kind = "events"
	KindRepairs       Kind = "repairs"
	KindShareholdings Kind = "shareholdings"
)

// Kinds lists the data kinds in the order a mixed batch applies them: a relation or a
// shareholding may name a firm of the same batch, a repair an event of the same batch.
var Kinds = []Kind{KindEnterprises, KindRelations, KindEvents, KindRepairs, KindShareholdings}

// KindNames lists Kinds for messages: "enterprises, relations, …, repairs or shareholdings".
func KindNames() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindEnterprises, KindRelations, KindEvents, KindRepairs, KindShareholdings:
		return true
	}
	return false
}

// Status is an enterprise's registration status.
type Status string

const (
	StatusActive       Status = "active"
	StatusAbnormal     Status = "abnormal"
	StatusRevoked      Status = "revoked"
	StatusDeregistered Status = "deregistered"
	StatusBankrupt     Status = "bankrupt"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusActive, StatusAbnormal, StatusRevoked, StatusDeregistered, StatusBankrupt:
		return true
	}
	return false
}

// Defunct reports whether the status forces grade D and p = 1 (docs/models.md hard rule).
func (s Status) Defunct() bool {
	return s == StatusRevoked || s == StatusDeregistered || s == StatusBankrupt
}

// Well-known enterprise tags; others are free-form.
const (
	TagLeading     = "leading"
	TagSpecialized = "specialized"
	TagLittleGiant = "little_giant"
	TagListed      = "listed"
)

// Enterprise is a firm of the supply graph.
type Enterprise struct {
	USCC string
	Name string
	// FormerNames are the firm's earlier registered names (曾用名), trimmed, none
	// empty, at most MaxFormerName characters each, without duplicates.
	FormerNames []string
	Region      string // 6-digit administrative division code
	Industry    string // GB/T 4754 code, e.g. C1331
	Tags        []string
	Status      Status
	Revenue     *float64 // CNY per year; nil when unknown
	// LegalRepID is the legal representative's person_id: an opaque key assigned by
	// the source, never a resident identity number. Empty when unknown.
	LegalRepID   string
	LegalRepName string
	// RegisteredCapital is in CNY; nil when unknown.
	RegisteredCapital *float64
	EstablishedAt     time.Time // zero: unknown
	// UpdatedAt is when the store last saw this firm's data change.
	UpdatedAt time.Time
}

// HasTag reports whether the firm carries tag.
func (e *Enterprise) HasTag(tag string) bool {
	for _, t := range e.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Relation is a directed supply edge supplier → customer.
type Relation struct {
	Supplier string
	Customer string
	// PurchaseShare is the share of the customer's purchases that come from the supplier,
	// in (0,1]; required (0 is a relation not validated yet, or one without it: refused).
	PurchaseShare float64
	// SalesShare is the share of the supplier's sales that go to the customer, in (0,1];
	// required like PurchaseShare.
	SalesShare float64
	// Substitutability is 0 for an irreplaceable supplier, 1 for a trivially replaced one.
	Substitutability float64
	Amount           *float64 // CNY per year
	Product          string
	ValidFrom        time.Time // zero: open
	ValidTo          time.Time // zero: open
	// Source is who supplied the relation: "" for the registry (the relations
	// table), or the USCC of the leading firm whose tenant listed it as one of its
	// own purchases (docs/onboarding.md). A leader's rows are kept beside the
	// registry's and count only in that leader's chain view.
	Source string
	// SalesShareEstimated is set when a leader's row did not give SalesShare and
	// it was estimated (docs/onboarding.md); every answer showing the relation
	// labels it.
	SalesShareEstimated bool
}

// SourceRegistry is how answers name the registry as a relation's source.
const SourceRegistry = "registry"

// DefaultSubstitutability applies when a relation does not say.
const DefaultSubstitutability = 0.5

// ShareSumTolerance is how far Σ purchase_share over one customer's suppliers, and Σ
// share over one investee's current holders, may exceed 1.
const ShareSumTolerance = 1e-6

// HolderKind says whether a shareholder is a firm (keyed by its USCC) or a natural
// person (keyed by an opaque person_id).
type HolderKind string

const (
	HolderFirm   HolderKind = "firm"
	HolderPerson HolderKind = "person"
)

// Valid reports whether h is firm or person.
func (h HolderKind) Valid() bool { return h == HolderFirm || h == HolderPerson }

// Shareholding is a stake: Holder holds Share of Investee's registered capital. Its key
// is (HolderKind, Holder, Investee).
type Shareholding struct {
	Holder     string // a USCC or a person_id, by HolderKind
	HolderKind HolderKind
	HolderName string // a person's name; optional
	Investee   string // the USCC of the firm held
	// Share is in (0,1]; required like a relation's shares (0 is "not given").
	Share             float64
	SubscribedCapital *float64  // CNY; nil when unknown
	Since             time.Time // zero: unknown
	Until             time.Time // zero: still held
}

// CurrentAt reports whether the stake is held at time t: it has no end, or ends after t.
func (s *Shareholding) CurrentAt(t time.Time) bool { return s.Until.IsZero() || s.Until.After(t) }

// EventState is where a credit event stands in its lifecycle.
type EventState string

const (
	EventActive   EventState = "active"
	EventRepaired EventState = "repaired"
	EventExpired  EventState = "expired"
)

// Event is a credit event published about a firm.
type Event struct {
	ID         string
	USCC       string
	Type       string
	OccurredAt time.Time
	// PublishUntil ends the legal publicity period; zero means until repaired.
	PublishUntil time.Time
	Source       string
	Amount       *float64
	Description  string
	State        EventState
	RepairedAt   time.Time
}

// ActiveAt reports whether the event counts toward scores at time t: not repaired and
// still within its publicity period.
func (e *Event) ActiveAt(t time.Time) bool {
	if e.State == EventRepaired {
		return false
	}
	return e.PublishUntil.IsZero() || t.Before(e.PublishUntil)
}

// Repair is an approved credit-repair decision that takes an event out of the scores.
type Repair struct {
	EventID    string
	RepairedAt time.Time
	DecidedBy  string
	Reason     string
}

// finite reports whether x is an ordinary number.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Shanghai is the zone of dates given without one (README.md). China has kept UTC+8
// without daylight saving since 1991, so the fixed zone is the fallback when the
// system has no zone database.
var Shanghai = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()
