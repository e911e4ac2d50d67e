package ingest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// A schema describes one input kind: its fields, in the order README.md lists them, and
// how a row of them becomes a record of type T.
type schema[T any] struct {
	layout
	kind    credit.Kind
	columns []column[T]
	// defaults prepares a fresh record for the values that "not given" must not leave
	// at zero.
	defaults func(*T)
	check    func(*credit.Validator, *T) credit.Problems
	rows     func(*store.Chunk) *[]T
}

type column[T any] struct {
	name     string
	required bool // a CSV header must have it
	set      setter[T]
}

// setter stores a given value into its field, or says why it cannot.
type setter[T any] func(*T, value) error

// layout is the part of a schema the Reader needs without knowing the record type.
type layout struct {
	names    []string
	required []bool
	index    map[string]int
}

func newSchema[T any](kind credit.Kind, columns []column[T], defaults func(*T),
	check func(*credit.Validator, *T) credit.Problems, rows func(*store.Chunk) *[]T) *schema[T] {
	s := &schema[T]{kind: kind, columns: columns, defaults: defaults, check: check, rows: rows}
	s.index = make(map[string]int, len(columns))
	for i, c := range columns {
		s.names = append(s.names, c.name)
		s.required = append(s.required, c.required)
		s.index[c.name] = i
	}
	return s
}

// builder assembles one record at a time for the Reader.
type builder interface {
	fields() *layout
	reset()
	set(col int, v value) error
	check(*credit.Validator) credit.Problems
	add(c *store.Chunk, line int)
	chunk(capacity int) *store.Chunk
}

type record[T any] struct {
	s   *schema[T]
	cur T
}

func (r *record[T]) fields() *layout { return &r.s.layout }

func (r *record[T]) reset() {
	var zero T
	r.cur = zero
	if r.s.defaults != nil {
		r.s.defaults(&r.cur)
	}
}

func (r *record[T]) set(col int, v value) error { return r.s.columns[col].set(&r.cur, v) }

func (r *record[T]) check(v *credit.Validator) credit.Problems { return r.s.check(v, &r.cur) }

func (r *record[T]) add(c *store.Chunk, line int) {
	rows := r.s.rows(c)
	*rows = append(*rows, r.cur)
	c.Lines = append(c.Lines, line)
}

func (r *record[T]) chunk(capacity int) *store.Chunk {
	c := &store.Chunk{Kind: r.s.kind, Lines: make([]int, 0, capacity)}
	*r.s.rows(c) = make([]T, 0, capacity)
	return c
}

func newBuilder(k credit.Kind) (builder, error) {
	switch k {
	case credit.KindEnterprises:
		return &record[credit.Enterprise]{s: enterprises}, nil
	case credit.KindRelations:
		return &record[credit.Relation]{s: relations}, nil
	case credit.KindEvents:
		return &record[credit.Event]{s: events}, nil
	case credit.KindRepairs:
		return &record[credit.Repair]{s: repairs}, nil
	case credit.KindShareholdings:
		return &record[credit.Shareholding]{s: shareholdings}, nil
	}
	return nil, fmt.Errorf("unknown kind %q (want %s)", k, credit.KindNames())
}

// Setters by the type of their field. Every scalar field takes a string; numbers also
// take a JSON number; tags also take an array of strings.

// prose is free text, which may run over several lines.
func prose[T any](set func(*T, string)) setter[T] {
	return func(r *T, v value) error {
		if v.kind != vString {
			return v.want("a string")
		}
		set(r, v.s)
		return nil
	}
}

// text is a one-line value: a code, a name, a type. A line break in one is the mark of
// a CSV quote left open, which has swallowed the lines after it.
func text[T any](set func(*T, string)) setter[T] {
	return func(r *T, v value) error {
		if v.kind != vString {
			return v.want("a string")
		}
		for i := 0; i < len(v.s); i++ {
			if c := v.s[i]; c < 0x20 || c == 0x7f {
				if c == '\n' {
					return errors.New("contains a line break")
				}
				return fmt.Errorf("contains the control character %q", c)
			}
		}
		set(r, v.s)
		return nil
	}
}

func number[T any](set func(*T, float64)) setter[T] {
	return func(r *T, v value) error {
		x, err := v.number()
		if err == nil {
			set(r, x)
		}
		return err
	}
}

// share is a number where an explicit 0 is an error: 0 would read as "buys nothing
// from this supplier". A share not given leaves the field 0, which the validator
// refuses as "required".
func share[T any](set func(*T, float64)) setter[T] {
	return func(r *T, v value) error {
		x, err := v.number()
		if err == nil && x == 0 {
			err = fmt.Errorf("%v is outside (0,1]", x)
		}
		if err == nil {
			set(r, x)
		}
		return err
	}
}

func moment[T any](set func(*T, time.Time)) setter[T] {
	return func(r *T, v value) error {
		t, err := v.time()
		if err == nil {
			set(r, t)
		}
		return err
	}
}

func tags[T any](set func(*T, []string)) setter[T] {
	return func(r *T, v value) error {
		switch {
		case v.kind == vString:
			set(r, strings.Split(v.s, ";"))
		case v.kind == vArray && !v.mixed:
			set(r, v.list)
		default:
			return v.want("an array of strings or a ';'-separated string")
		}
		return nil
	}
}

// names is a list of one-line names: a ';'-separated string or an array of strings.
// An empty string is no name at all; the validator refuses empty parts of a longer one.
func names[T any](set func(*T, []string)) setter[T] {
	return func(r *T, v value) error {
		var list []string
		switch {
		case v.kind == vString && v.s == "":
		case v.kind == vString:
			list = strings.Split(v.s, ";")
		case v.kind == vArray && !v.mixed:
			list = v.list
		default:
			return v.want("an array of strings or a ';'-separated string")
		}
		for _, s := range list {
			for i := 0; i < len(s); i++ {
				if c := s[i]; c < 0x20 || c == 0x7f {
					return fmt.Errorf("contains the control character %q", c)
				}
			}
		}
		set(r, list)
		return nil
	}
}

var enterprises = newSchema(credit.KindEnterprises, []column[credit.Enterprise]{
	{"uscc", true, text(func(e *credit.Enterprise, s string) { e.USCC = s })},
	{"name", true, text(func(e *credit.Enterprise, s string) { e.Name = s })},
	{"region", false, text(func(e *credit.Enterprise, s string) { e.Region = s })},
	{"industry", false, text(func(e *credit.Enterprise, s string) { e.Industry = s })},
	{"tags", false, tags(func(e *credit.Enterprise, t []string) { e.Tags = t })},
	{"status", false, text(func(e *credit.Enterprise, s string) { e.Status = credit.Status(s) })},
	{"revenue", false, number(func(e *credit.Enterprise, x float64) { e.Revenue = &x })},
	{"legal_rep_id", false, text(func(e *credit.Enterprise, s string) { e.LegalRepID = s })},
	{"legal_rep_name", false, text(func(e *credit.Enterprise, s string) { e.LegalRepName = s })},
	{"registered_capital", false, number(func(e *credit.Enterprise, x float64) { e.RegisteredCapital = &x })},
	{"established_at", false, moment(func(e *credit.Enterprise, t time.Time) { e.EstablishedAt = t })},
	{"former_names", false, names(func(e *credit.Enterprise, n []string) { e.FormerNames = n })},
}, nil, (*credit.Validator).Enterprise, func(c *store.Chunk) *[]credit.Enterprise { return &c.Enterprises })

// relationColumns lists the relation fields; supplied says whether customer and
// sales_share may be left out of a CSV header (a leader's rows).
func relationColumns(supplied bool) []column[credit.Relation] {
	return []column[credit.Relation]{
		{"supplier", true, text(func(r *credit.Relation, s string) { r.Supplier = s })},
		{"customer", !supplied, text(func(r *credit.Relation, s string) { r.Customer = s })},
		{"purchase_share", true, share(func(r *credit.Relation, x float64) { r.PurchaseShare = x })},
		{"sales_share", !supplied, share(func(r *credit.Relation, x float64) { r.SalesShare = x })},
		{"substitutability", false, number(func(r *credit.Relation, x float64) { r.Substitutability = x })},
		{"amount", false, number(func(r *credit.Relation, x float64) { r.Amount = &x })},
		{"product", false, prose(func(r *credit.Relation, s string) { r.Product = s })},
		{"valid_from", false, moment(func(r *credit.Relation, t time.Time) { r.ValidFrom = t })},
		{"valid_to", false, moment(func(r *credit.Relation, t time.Time) { r.ValidTo = t })},
	}
}

var relations = newSchema(credit.KindRelations, relationColumns(false),
	func(r *credit.Relation) { r.Substitutability = credit.DefaultSubstitutability },
	(*credit.Validator).Relation, func(c *store.Chunk) *[]credit.Relation { return &c.Relations })

// suppliedRelations is the schema of the relations a tenant supplies for its leader
// (docs/onboarding.md, "Leaders' own supplier lists"): customer not given means the
// leader, and any other customer is refused; sales_share not given is left 0 and
// marked SalesShareEstimated, for the store to estimate in the batch.
func suppliedRelations(leader string) *schema[credit.Relation] {
	defaults := func(r *credit.Relation) {
		r.Substitutability, r.Customer, r.Source = credit.DefaultSubstitutability, leader, leader
	}
	check := func(v *credit.Validator, r *credit.Relation) credit.Problems {
		r.SalesShareEstimated = r.SalesShare == 0
		p := v.Relation(r)
		if r.SalesShareEstimated {
			p.Errors = slices.DeleteFunc(p.Errors, func(e credit.FieldError) bool { return e.Field == "sales_share" })
		}
		if r.Customer != leader && !slices.ContainsFunc(p.Errors, func(e credit.FieldError) bool { return e.Field == "customer" }) {
			p.Errors = append(p.Errors, credit.FieldError{Field: "customer",
				Reason: fmt.Sprintf("a tenant supplies only its own leader's purchases: customer %s is not %s", r.Customer, leader)})
		}
		return p
	}
	return newSchema(credit.KindRelations, relationColumns(true), defaults, check,
		func(c *store.Chunk) *[]credit.Relation { return &c.Relations })
}

var events = newSchema(credit.KindEvents, []column[credit.Event]{
	{"event_id", true, text(func(e *credit.Event, s string) { e.ID = s })},
	{"uscc", true, text(func(e *credit.Event, s string) { e.USCC = s })},
	{"type", true, text(func(e *credit.Event, s string) { e.Type = s })},
	{"occurred_at", true, moment(func(e *credit.Event, t time.Time) { e.OccurredAt = t })},
	{"publish_until", false, moment(func(e *credit.Event, t time.Time) { e.PublishUntil = t })},
	{"source", false, text(func(e *credit.Event, s string) { e.Source = s })},
	{"amount", false, number(func(e *credit.Event, x float64) { e.Amount = &x })},
	{"description", false, prose(func(e *credit.Event, s string) { e.Description = s })},
}, nil, (*credit.Validator).Event, func(c *store.Chunk) *[]credit.Event { return &c.Events })

var repairs = newSchema(credit.KindRepairs, []column[credit.Repair]{
	{"event_id", true, text(func(r *credit.Repair, s string) { r.EventID = s })},
	{"repaired_at", true, moment(func(r *credit.Repair, t time.Time) { r.RepairedAt = t })},
	{"decided_by", false, text(func(r *credit.Repair, s string) { r.DecidedBy = s })},
	{"reason", false, prose(func(r *credit.Repair, s string) { r.Reason = s })},
}, nil, (*credit.Validator).Repair, func(c *store.Chunk) *[]credit.Repair { return &c.Repairs })

var shareholdings = newSchema(credit.KindShareholdings, []column[credit.Shareholding]{
	{"holder", true, text(func(h *credit.Shareholding, s string) { h.Holder = s })},
	{"holder_kind", true, text(func(h *credit.Shareholding, s string) { h.HolderKind = credit.HolderKind(s) })},
	{"holder_name", false, text(func(h *credit.Shareholding, s string) { h.HolderName = s })},
	{"investee", true, text(func(h *credit.Shareholding, s string) { h.Investee = s })},
	{"share", true, share(func(h *credit.Shareholding, x float64) { h.Share = x })},
	{"subscribed_capital", false, number(func(h *credit.Shareholding, x float64) { h.SubscribedCapital = &x })},
	{"since", false, moment(func(h *credit.Shareholding, t time.Time) { h.Since = t })},
	{"until", false, moment(func(h *credit.Shareholding, t time.Time) { h.Until = t })},
}, nil, (*credit.Validator).Shareholding, func(c *store.Chunk) *[]credit.Shareholding { return &c.Shareholdings })
