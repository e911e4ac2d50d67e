package credit

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chainrisk/chainrisk/internal/suggest"
)

// FieldError says which field of a record is wrong and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Reason }

// Validator checks records one at a time and fills in defaults. The checks that need
// other records (endpoints exist, Σ purchase_share ≤ 1, duplicates) belong to the store,
// which sees the whole batch and the data already held.
type Validator struct {
	Catalogue Catalogue
	// AcceptBadChecksums lets a USCC whose only fault is its check character through,
	// reported as a warning instead of an error.
	AcceptBadChecksums bool
	// Now is the clock used to reject events dated in the future; nil means time.Now.
	Now func() time.Time
}

// MaxFutureSkew is how far in the future an event's occurred_at may lie (clock skew
// between publishing systems) before it is rejected.
const MaxFutureSkew = 24 * time.Hour

// Problems collects a record's errors and warnings.
type Problems struct {
	Errors   []FieldError
	Warnings []FieldError
}

// OK reports whether the record has no errors.
func (p *Problems) OK() bool { return len(p.Errors) == 0 }

func (p *Problems) add(field, format string, args ...any) {
	p.Errors = append(p.Errors, FieldError{field, fmt.Sprintf(format, args...)})
}

func (v *Validator) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Validator) uscc(p *Problems, field, code string) {
	if code == "" {
		p.add(field, "required")
		return
	}
	err := CheckUSCC(code)
	switch {
	case err == nil:
	case errors.Is(err, ErrBadCheckChar) && v.AcceptBadChecksums:
		p.Warnings = append(p.Warnings, FieldError{field, err.Error() + " (accepted: ingest.accept_bad_checksums)"})
	default:
		p.add(field, "invalid USCC %q: %v", code, err)
	}
}

var (
	regionRE   = regexp.MustCompile(`^[0-9]{6}$`)
	industryRE = regexp.MustCompile(`^[A-T]([0-9]{2}([0-9]{1,2})?)?$`)
)

// maxText bounds free-text fields so that one row cannot blow up the store.
const maxText = 4096

func text(p *Problems, field, s string, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		p.add(field, "required")
	case len(s) > maxText:
		p.add(field, "longer than %d bytes", maxText)
	case !utf8.ValidString(s):
		p.add(field, "not valid UTF-8")
	}
}

// share checks a relation's share. A share is required (README.md): a row that does
// not give one would otherwise be stored as 0, and a re-sent relation would zero the
// share it held. 0 therefore means "not given"; the decoder refuses an explicit 0
// itself, with its own reason.
func share(p *Problems, field string, x float64) {
	switch {
	case x == 0:
		p.add(field, "required")
	case !finite(x) || x < 0 || x > 1:
		p.add(field, "%v is outside (0,1]", x)
	}
}

func amount(p *Problems, field string, x *float64) {
	if x != nil && (!finite(*x) || *x < 0) {
		p.add(field, "%v is not a non-negative amount", *x)
	}
}

// Enterprise validates e and fills its defaults (status active, region from the USCC,
// tags normalised to lower case without duplicates).
func (v *Validator) Enterprise(e *Enterprise) Problems {
	var p Problems
	v.uscc(&p, "uscc", e.USCC)
	text(&p, "name", e.Name, true)
	if e.Region == "" {
		e.Region = USCCRegion(e.USCC)
	}
	if !regionRE.MatchString(e.Region) {
		p.add("region", "%q is not a 6-digit division code", e.Region)
	}
	if e.Industry != "" && !industryRE.MatchString(e.Industry) {
		p.add("industry", "%q is not a GB/T 4754 code (letter A-T, then 2 to 4 digits)", e.Industry)
	}
	if e.Status == "" {
		e.Status = StatusActive
	}
	if !e.Status.Valid() {
		p.add("status", "%q is not one of active, abnormal, revoked, deregistered, bankrupt", e.Status)
	}
	seen := make(map[string]bool, len(e.Tags))
	tags := e.Tags[:0]
	for _, t := range e.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || seen[t] {
			continue
		}
		if len(t) > 64 || strings.ContainsAny(t, ";,") {
			p.add("tags", "tag %q is longer than 64 bytes or contains ';' or ','", t)
			continue
		}
		seen[t] = true
		tags = append(tags, t)
	}
	e.Tags = tags
	e.FormerNames = formerNames(&p, e.FormerNames)
	amount(&p, "revenue", e.Revenue)
	if e.LegalRepID != "" {
		personID(&p, "legal_rep_id", e.LegalRepID)
	}
	text(&p, "legal_rep_name", e.LegalRepName, false)
	amount(&p, "registered_capital", e.RegisteredCapital)
	v.past(&p, "established_at", e.EstablishedAt)
	return p
}

// MaxFormerName bounds a former name, in characters.
const MaxFormerName = 100

// formerNames checks a firm's former names and returns them trimmed, without
// duplicates: an empty name (two ';' in a row, or one at an end) and one longer than
// MaxFormerName characters are refused, naming the field and the name's place.
func formerNames(p *Problems, names []string) []string {
	if len(names) == 0 {
		return nil
	}
	out := make([]string, 0, len(names))
	for i, n := range names {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
			p.add("former_names", "former name %d of %d is empty", i+1, len(names))
			continue
		case !utf8.ValidString(n):
			p.add("former_names", "former name %d is not valid UTF-8", i+1)
			continue
		case utf8.RuneCountInString(n) > MaxFormerName:
			p.add("former_names", "former name %d is longer than %d characters", i+1, MaxFormerName)
			continue
		case strings.ContainsRune(n, ';'):
			p.add("former_names", "former name %d contains ';'", i+1)
			continue
		case slices.Contains(out, n):
			continue
		}
		out = append(out, n)
	}
	return out
}

// MaxPersonID bounds a person_id, in characters.
const MaxPersonID = 64

// personID checks an opaque person key: 1 to MaxPersonID printable characters, and
// never a resident identity number, which must not be stored (docs/models.md). The reason
// does not repeat the value, so that a refused identity number reaches no report.
func personID(p *Problems, field, id string) {
	switch n := utf8.RuneCountInString(id); {
	case n == 0:
		p.add(field, "required")
		return
	case n > MaxPersonID:
		p.add(field, "longer than %d characters", MaxPersonID)
		return
	}
	for _, r := range id {
		if !unicode.IsPrint(r) {
			p.add(field, "contains the non-printable character %q", r)
			return
		}
	}
	if IsResidentID(id) {
		p.add(field, "is a resident identity number; send an opaque person_id (e.g. a salted hash) instead")
	}
}

// past refuses a date later than now (with MaxFutureSkew for the clocks of the
// publishing systems); the zero time is "not given".
func (v *Validator) past(p *Problems, field string, t time.Time) {
	if !t.IsZero() && t.After(v.now().Add(MaxFutureSkew)) {
		p.add(field, "%s lies in the future", day(t))
	}
}

// Relation validates r. Substitutability must already carry its default when the
// input left it empty.
func (v *Validator) Relation(r *Relation) Problems {
	var p Problems
	v.uscc(&p, "supplier", r.Supplier)
	v.uscc(&p, "customer", r.Customer)
	if r.Supplier != "" && r.Supplier == r.Customer {
		p.add("customer", "self-loop: supplier and customer are both %s", r.Supplier)
	}
	share(&p, "purchase_share", r.PurchaseShare)
	share(&p, "sales_share", r.SalesShare)
	if !finite(r.Substitutability) || r.Substitutability < 0 || r.Substitutability > 1 {
		p.add("substitutability", "%v is outside [0,1]", r.Substitutability)
	}
	amount(&p, "amount", r.Amount)
	text(&p, "product", r.Product, false)
	if !r.ValidFrom.IsZero() && !r.ValidTo.IsZero() && !r.ValidTo.After(r.ValidFrom) {
		p.add("valid_to", "%s is not after valid_from %s", day(r.ValidTo), day(r.ValidFrom))
	}
	return p
}

// Shareholding validates s. That the firms exist and that the current shares in one
// investee sum to at most 1 are checked by the store.
func (v *Validator) Shareholding(s *Shareholding) Problems {
	var p Problems
	switch {
	case s.HolderKind == "":
		p.add("holder_kind", "required")
	case !s.HolderKind.Valid():
		p.add("holder_kind", "%q is neither firm nor person", s.HolderKind)
	}
	switch s.HolderKind {
	case HolderFirm:
		v.uscc(&p, "holder", s.Holder)
	default:
		personID(&p, "holder", s.Holder)
	}
	text(&p, "holder_name", s.HolderName, false)
	v.uscc(&p, "investee", s.Investee)
	if s.Holder != "" && s.Holder == s.Investee {
		p.add("investee", "self-holding: holder and investee are both %s", s.Investee)
	}
	share(&p, "share", s.Share)
	amount(&p, "subscribed_capital", s.SubscribedCapital)
	v.past(&p, "since", s.Since)
	if !s.Since.IsZero() && !s.Until.IsZero() && s.Until.Before(s.Since) {
		p.add("until", "%s is before since %s", day(s.Until), day(s.Since))
	}
	return p
}

// Event validates e and fills its defaults: publish_until from the type's publicity
// period and state active.
func (v *Validator) Event(e *Event) Problems {
	var p Problems
	text(&p, "event_id", e.ID, true)
	if len(e.ID) > 128 {
		p.add("event_id", "longer than 128 bytes")
	}
	v.uscc(&p, "uscc", e.USCC)
	t, known := v.Catalogue.Lookup(e.Type)
	if !known {
		if e.Type == "" {
			p.add("type", "required")
		} else {
			p.add("type", "%s", unknownEventType(v.Catalogue, e.Type))
		}
	}
	switch {
	case e.OccurredAt.IsZero():
		p.add("occurred_at", "required")
	case e.OccurredAt.After(v.now().Add(MaxFutureSkew)):
		p.add("occurred_at", "%s lies in the future", e.OccurredAt.Format(time.RFC3339))
	}
	if e.PublishUntil.IsZero() && known && !e.OccurredAt.IsZero() {
		e.PublishUntil = t.Publicity.After(e.OccurredAt)
	}
	if !e.PublishUntil.IsZero() && !e.OccurredAt.IsZero() && !e.PublishUntil.After(e.OccurredAt) {
		p.add("publish_until", "%s is not after occurred_at %s",
			e.PublishUntil.Format(time.RFC3339), e.OccurredAt.Format(time.RFC3339))
	}
	text(&p, "source", e.Source, false)
	text(&p, "description", e.Description, false)
	amount(&p, "amount", e.Amount)
	if e.State == "" {
		e.State = EventActive
	}
	return p
}

// Repair validates r. That its event exists and that the repair does not predate the
// event are checked by the store.
func (v *Validator) Repair(r *Repair) Problems {
	var p Problems
	text(&p, "event_id", r.EventID, true)
	if r.RepairedAt.IsZero() {
		p.add("repaired_at", "required")
	} else if r.RepairedAt.After(v.now().Add(MaxFutureSkew)) {
		p.add("repaired_at", "%s lies in the future", r.RepairedAt.Format(time.RFC3339))
	}
	text(&p, "decided_by", r.DecidedBy, false)
	text(&p, "reason", r.Reason, false)
	return p
}

func day(t time.Time) string { return t.Format("2006-01-02") }

// unknownEventType says that name is no type of c: with the near type it probably
// misspells first, when there is one, then the advice to declare a new type.
func unknownEventType(c Catalogue, name string) string {
	if near := suggest.Closest(name, c.Names()); near != "" {
		return fmt.Sprintf("unknown event type %q: did you mean %s? A new type must be declared in model.event_types", name, near)
	}
	return fmt.Sprintf("unknown event type %q (declare it in model.event_types)", name)
}
