package credit

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const goodA, goodB = "91350100M000100Y43", "91110108551385082Q"

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, Shanghai)

func validator(acceptBad bool) *Validator {
	return &Validator{Catalogue: NewCatalogue(), AcceptBadChecksums: acceptBad, Now: func() time.Time { return now }}
}

func f(x float64) *float64 { return &x }

func firstError(p Problems) string {
	if len(p.Errors) == 0 {
		return ""
	}
	return p.Errors[0].Error()
}

func TestValidateEnterprise(t *testing.T) {
	tests := []struct {
		name string
		e    Enterprise
		want string
	}{
		{"ok", Enterprise{USCC: goodA, Name: "龙江豆业", Region: "230100", Industry: "C1331"}, ""},
		{"region from USCC", Enterprise{USCC: goodA, Name: "x"}, ""},
		{"no name", Enterprise{USCC: goodA}, "name: required"},
		{"bad uscc", Enterprise{USCC: "91350100M000100Y44", Name: "x"}, `uscc: invalid USCC "91350100M000100Y44": bad check character '4' (expected '3')`},
		{"bad region", Enterprise{USCC: goodA, Name: "x", Region: "23010"}, `region: "23010" is not a 6-digit division code`},
		{"bad industry", Enterprise{USCC: goodA, Name: "x", Industry: "Z1331"}, `industry: "Z1331" is not a GB/T 4754 code (letter A-T, then 2 to 4 digits)`},
		{"bad status", Enterprise{USCC: goodA, Name: "x", Status: "closed"}, `status: "closed" is not one of active, abnormal, revoked, deregistered, bankrupt`},
		{"negative revenue", Enterprise{USCC: goodA, Name: "x", Revenue: f(-1)}, "revenue: -1 is not a non-negative amount"},
		{"legal rep", Enterprise{USCC: goodA, Name: "x", LegalRepID: "p-5f2c9a", LegalRepName: "张三",
			RegisteredCapital: f(5e7), EstablishedAt: now.AddDate(-20, 0, 0)}, ""},
		{"legal rep by identity number", Enterprise{USCC: goodA, Name: "x", LegalRepID: "11010519491231002X"},
			"legal_rep_id: is a resident identity number; send an opaque person_id (e.g. a salted hash) instead"},
		{"negative capital", Enterprise{USCC: goodA, Name: "x", RegisteredCapital: f(-5)},
			"registered_capital: -5 is not a non-negative amount"},
		{"established tomorrow", Enterprise{USCC: goodA, Name: "x", EstablishedAt: now.AddDate(0, 0, 2)},
			"established_at: 2026-11-22 lies in the future"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e
			if got := firstError(validator(false).Enterprise(&e)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	e := Enterprise{USCC: goodA, Name: "x", Tags: []string{" Leading", "leading", "specialized", ""}}
	validator(false).Enterprise(&e)
	if e.Status != StatusActive || e.Region != "350100" || strings.Join(e.Tags, ";") != "leading;specialized" {
		t.Errorf("defaults not filled: %+v", e)
	}
}

func TestBadChecksumAcceptedAsWarning(t *testing.T) {
	e := Enterprise{USCC: "91350100M000100Y44", Name: "x"}
	p := validator(true).Enterprise(&e)
	if !p.OK() || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0].Error(), "accepted: ingest.accept_bad_checksums") {
		t.Errorf("problems = %+v", p)
	}
	// Only the check character may be tolerated.
	e = Enterprise{USCC: "91350100M000100Y4", Name: "x"}
	if p := validator(true).Enterprise(&e); p.OK() {
		t.Error("short code accepted")
	}
}

func TestValidateRelation(t *testing.T) {
	base := Relation{Supplier: goodA, Customer: goodB, PurchaseShare: 0.4, SalesShare: 0.2, Substitutability: 0.5}
	tests := []struct {
		name string
		mod  func(*Relation)
		want string
	}{
		{"ok", func(*Relation) {}, ""},
		// A share not given decodes as 0; the row is refused, never stored as a silent 0.
		{"shares missing", func(r *Relation) { r.PurchaseShare, r.SalesShare = 0, 0 }, "purchase_share: required"},
		{"sales share missing", func(r *Relation) { r.SalesShare = 0 }, "sales_share: required"},
		{"self-loop", func(r *Relation) { r.Customer = goodA }, "customer: self-loop: supplier and customer are both " + goodA},
		{"share 1.5", func(r *Relation) { r.PurchaseShare = 1.5 }, "purchase_share: 1.5 is outside (0,1]"},
		{"negative sales share", func(r *Relation) { r.SalesShare = -0.1 }, "sales_share: -0.1 is outside (0,1]"},
		{"substitutability", func(r *Relation) { r.Substitutability = 1.01 }, "substitutability: 1.01 is outside [0,1]"},
		{"valid_to before from", func(r *Relation) {
			r.ValidFrom, r.ValidTo = now, now.AddDate(0, 0, -1)
		}, "valid_to: 2026-11-19 is not after valid_from 2026-11-20"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			tc.mod(&r)
			if got := firstError(validator(false).Relation(&r)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidateShareholding(t *testing.T) {
	base := Shareholding{Holder: goodA, HolderKind: HolderFirm, Investee: goodB, Share: 0.6,
		SubscribedCapital: f(3e6), Since: now.AddDate(-3, 0, 0)}
	tests := []struct {
		name string
		mod  func(*Shareholding)
		want string
	}{
		{"firm", func(*Shareholding) {}, ""},
		{"person", func(s *Shareholding) { s.Holder, s.HolderKind, s.HolderName = "p-5f2c9a", HolderPerson, "欧阳娜娜" }, ""},
		{"ended", func(s *Shareholding) { s.Until = now.AddDate(-1, 0, 0) }, ""},
		{"ends later", func(s *Shareholding) { s.Until = now.AddDate(1, 0, 0) }, ""},
		{"kind missing", func(s *Shareholding) { s.HolderKind = "" }, "holder_kind: required"},
		{"kind unknown", func(s *Shareholding) { s.HolderKind = "trust" }, `holder_kind: "trust" is neither firm nor person`},
		{"firm holder not a USCC", func(s *Shareholding) { s.Holder = "p-5f2c9a" },
			`holder: invalid USCC "p-5f2c9a": must be 18 characters, got 8`},
		{"holder missing", func(s *Shareholding) { s.Holder, s.HolderKind = "", HolderPerson }, "holder: required"},
		// The identity number is not repeated in the reason, which reaches reports and logs.
		{"identity number", func(s *Shareholding) { s.Holder, s.HolderKind = "44030519900101123x", HolderPerson },
			"holder: is a resident identity number; send an opaque person_id (e.g. a salted hash) instead"},
		{"person_id too long", func(s *Shareholding) { s.Holder, s.HolderKind = strings.Repeat("人", 65), HolderPerson },
			"holder: longer than 64 characters"},
		{"person_id 64 characters", func(s *Shareholding) { s.Holder, s.HolderKind = strings.Repeat("人", 64), HolderPerson }, ""},
		{"person_id control character", func(s *Shareholding) { s.Holder, s.HolderKind = "p\x01", HolderPerson },
			`holder: contains the non-printable character '\x01'`},
		{"self-holding", func(s *Shareholding) { s.Holder = goodB }, "investee: self-holding: holder and investee are both " + goodB},
		{"investee missing", func(s *Shareholding) { s.Investee = "" }, "investee: required"},
		{"share missing", func(s *Shareholding) { s.Share = 0 }, "share: required"},
		{"share 1.2", func(s *Shareholding) { s.Share = 1.2 }, "share: 1.2 is outside (0,1]"},
		{"share 1", func(s *Shareholding) { s.Share = 1 }, ""},
		{"negative capital", func(s *Shareholding) { s.SubscribedCapital = f(-1) }, "subscribed_capital: -1 is not a non-negative amount"},
		{"since tomorrow", func(s *Shareholding) { s.Since = now.AddDate(0, 0, 2) }, "since: 2026-11-22 lies in the future"},
		{"until before since", func(s *Shareholding) { s.Until = s.Since.AddDate(0, 0, -1) },
			"until: 2023-11-19 is before since 2023-11-20"},
		{"until on since", func(s *Shareholding) { s.Until = s.Since }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			tc.mod(&s)
			if got := firstError(validator(false).Shareholding(&s)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// A firm holder's bad check character follows ingest.accept_bad_checksums.
	s := base
	s.Holder = "91350100M000100Y44"
	if p := validator(true).Shareholding(&s); !p.OK() || len(p.Warnings) != 1 {
		t.Errorf("bad check character with accept_bad_checksums: %+v", p)
	}
}

func TestShareholdingCurrentAt(t *testing.T) {
	s := Shareholding{Until: now}
	if !s.CurrentAt(now.Add(-time.Second)) || s.CurrentAt(now) {
		t.Error("the end of a holding is exclusive")
	}
	if !(&Shareholding{}).CurrentAt(now.AddDate(50, 0, 0)) {
		t.Error("a holding without an end ended")
	}
}

func TestValidateEvent(t *testing.T) {
	occurred := time.Date(2026, 3, 15, 0, 0, 0, 0, Shanghai)
	tests := []struct {
		name      string
		e         Event
		want      string
		wantUntil time.Time
	}{
		{"default publicity 1y", Event{ID: "E1", USCC: goodA, Type: "tax_arrears", OccurredAt: occurred}, "",
			time.Date(2027, 3, 15, 0, 0, 0, 0, Shanghai)},
		{"default publicity 3mo", Event{ID: "E1", USCC: goodA, Type: "penalty_minor", OccurredAt: occurred}, "",
			time.Date(2026, 6, 15, 0, 0, 0, 0, Shanghai)},
		{"until repaired", Event{ID: "E1", USCC: goodA, Type: "abnormal_operation", OccurredAt: occurred}, "", time.Time{}},
		{"unknown type", Event{ID: "E1", USCC: goodA, Type: "fraud", OccurredAt: occurred},
			`type: unknown event type "fraud" (declare it in model.event_types)`, time.Time{}},
		{"misspelt type", Event{ID: "E1", USCC: goodA, Type: "dishonest_judgement_debtor", OccurredAt: occurred},
			`type: unknown event type "dishonest_judgement_debtor": did you mean dishonest_judgment_debtor? ` +
				`A new type must be declared in model.event_types`, time.Time{}},
		{"future", Event{ID: "E1", USCC: goodA, Type: "honor", OccurredAt: now.AddDate(0, 0, 2)},
			"occurred_at: 2026-11-22T12:00:00+08:00 lies in the future", time.Time{}},
		{"until before occurred", Event{ID: "E1", USCC: goodA, Type: "honor", OccurredAt: occurred, PublishUntil: occurred.AddDate(0, 0, -1)},
			"publish_until: 2026-03-14T00:00:00+08:00 is not after occurred_at 2026-03-15T00:00:00+08:00", time.Time{}},
		{"missing id", Event{USCC: goodA, Type: "honor", OccurredAt: occurred}, "event_id: required", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e
			got := firstError(validator(false).Event(&e))
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if tc.want == "" && !e.PublishUntil.Equal(tc.wantUntil) {
				t.Errorf("publish_until = %v, want %v", e.PublishUntil, tc.wantUntil)
			}
		})
	}
	// A type declared in config is accepted.
	v := validator(false)
	v.Catalogue = NewCatalogue(EventType{Name: "fraud", Points: -300, Severity: SeverityCritical, Publicity: Period{Years: 2}})
	e := Event{ID: "E1", USCC: goodA, Type: "fraud", OccurredAt: occurred}
	if p := v.Event(&e); !p.OK() {
		t.Errorf("declared type refused: %v", p.Errors)
	}
}

func TestEventActiveAt(t *testing.T) {
	e := Event{PublishUntil: now, State: EventActive}
	if !e.ActiveAt(now.Add(-time.Second)) || e.ActiveAt(now) {
		t.Error("publicity end is exclusive")
	}
	e.State = EventRepaired
	if e.ActiveAt(now.Add(-time.Hour)) {
		t.Error("repaired event still active")
	}
	if !(&Event{State: EventActive}).ActiveAt(now.AddDate(50, 0, 0)) {
		t.Error("until-repaired event expired")
	}
}

// Former names are trimmed and deduplicated; an empty one, one with ';' (from a JSON
// array), one not UTF-8 and one of 101 characters are each refused, by their place.
func TestValidateFormerNames(t *testing.T) {
	e := Enterprise{USCC: goodA, Name: "甲公司",
		FormerNames: []string{" 甲厂 ", "甲厂", "", "乙;丙", "\xff", strings.Repeat("甲", MaxFormerName+1), "甲商行"}}
	p := validator(false).Enterprise(&e)
	if !slices.Equal(e.FormerNames, []string{"甲厂", "甲商行"}) {
		t.Errorf("former names %q", e.FormerNames)
	}
	var got []string
	for _, fe := range p.Errors {
		got = append(got, fe.Error())
	}
	want := []string{"former_names: former name 3 of 7 is empty", "former_names: former name 4 contains ';'",
		"former_names: former name 5 is not valid UTF-8", "former_names: former name 6 is longer than 100 characters"}
	if !slices.Equal(got, want) {
		t.Errorf("errors\n%q\nwant\n%q", got, want)
	}
}
