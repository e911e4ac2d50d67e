package monitor

import (
	"encoding/json"
	"math"
	"slices"
	"sync"
	"time"
	"weak"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/graph"
	"github.com/chainrisk/chainrisk/lists"
	"github.com/chainrisk/chainrisk/ownership"
	"github.com/chainrisk/chainrisk/repair"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/search"
	"github.com/chainrisk/chainrisk/store"
)

// Firm is what the engine keeps of a firm besides its graph index.
type Firm struct {
	Name        string
	FormerNames []string // 曾用名
	Status      credit.Status
	Region      string
	Industry    string
	Leading     bool
	Specialized bool
	LittleGiant bool    // tagged little_giant (专精特新"小巨人")
	Listed      bool    // tagged listed
	Revenue     float64 // CNY per year; 0 when unknown
	UpdatedAt   time.Time
}

func firmOf(e *credit.Enterprise) Firm {
	f := Firm{Name: e.Name, FormerNames: e.FormerNames, Status: e.Status, Region: e.Region, Industry: e.Industry, UpdatedAt: e.UpdatedAt,
		Leading: e.HasTag(credit.TagLeading), Specialized: e.HasTag(credit.TagSpecialized),
		LittleGiant: e.HasTag(credit.TagLittleGiant), Listed: e.HasTag(credit.TagListed)}
	if e.Revenue != nil {
		f.Revenue = *e.Revenue
	}
	return f
}

// Params are what a scan takes from the config.
type Params struct {
	Model    *risk.Model
	Distress risk.DistressParams
	Exposure risk.ExposureParams
	// Repair holds the repair rules of the event types (repair.rules); they score
	// nothing, and the API and the alert rules read them with the state they go with.
	Repair repair.Rules
	// Lists are the graded lists the scan computes (nil: none).
	Lists *lists.Set
}

// ParamsFromConfig builds the scan parameters. Lists that validation passed always
// build; others (a config not validated) leave the scan without lists.
func ParamsFromConfig(c *config.Config) Params {
	set, err := lists.NewSet(c.GradedLists())
	if err != nil {
		set = nil
	}
	return Params{Model: risk.NewModel(c.ScoreParams(), c.Catalogue()), Distress: c.DistressParams(), Exposure: c.ExposureParams(),
		Repair: c.RepairRules(), Lists: set}
}

// carriesOver reports whether the events of a state scanned with a can be carried
// into an incremental scan with b: the catalogue names the same types (the events'
// type indices stay valid) and the lists look back on the same events.
func carriesOver(a, b Params) bool {
	la, lb := a.Lists.Lookback(), b.Lists.Lookback()
	return slices.Equal(a.Model.Catalogue.Names(), b.Model.Catalogue.Names()) && la.Equal(lb) &&
		slices.Equal(la.Types(a.Model), lb.Types(b.Model))
}

// State is one complete, immutable set of inputs and results. The engine publishes
// a new State after every scan; readers never see a half-done one.
type State struct {
	ScanID int64
	// At is the clock the scores were computed with; relations are those valid then.
	At     time.Time
	Params Params
	Snap   *graph.Snapshot
	Prop   *risk.Propagator
	Firms  []Firm // by node index
	// Search finds firms by name or USCC prefix and holds their tags, by node
	// (package search): built by a full scan, updated by an incremental one.
	Search *search.Index
	// Names matches company names to firms (package match); states whose firms'
	// identities are the same share one (see Names).
	Names *Names

	// Active events of node v are Events[EventStart[v]:EventStart[v+1]].
	EventStart []int32
	Events     []risk.EventRef
	// Recent events of node v are Recent[RecentStart[v]:RecentStart[v+1]]: its
	// events of the lists' lookback (lists.Set.Lookback), active or not, that
	// occurred since its start at At. Nil when no list looks back.
	RecentStart []int32
	Recent      []risk.EventRef
	// Lists is who is on each graded list (docs/models.md, "Graded lists").
	Lists *lists.Membership

	Score, P, D []float64
	Grade       []risk.Grade

	// Leaders are the nodes tagged leading, in USCC order; Chains their exposure,
	// each on its leader's chain view (ChainSnap).
	Leaders []int32
	Chains  map[int32]*risk.Exposure
	// Supplied are the leaders' own supplier lists in force at At, by leader node
	// (docs/onboarding.md): they count in the leader's chain view only.
	Supplied map[int32][]graph.Supplied
	// overlay caches the chain views of leaders with their own lists (ChainSnap).
	overlayOnce sync.Once
	overlay     *overlays
	Distress    risk.DistressStats
	// Owners is the ownership registry of the holdings current at At, with the
	// legal representatives; People names its persons (person_id → name), as
	// the store holds them: full names, for the visibility rule to mask.
	Owners *ownership.Registry
	People map[string]string
	// Held is, during the first scan of a process only, what the store held before
	// it (firm results by USCC), for observers and for writing what changed. Nil in
	// published states.
	Held map[string]store.FirmResult
	// detail holds each chain's JSON document as persisted.
	detail map[int32][]byte
	// rescored are the firms an incremental scan re-read, from the state it
	// extended (Rescored, rescored.go).
	rescored     []int32
	rescoredFrom weak.Pointer[State]
}

// Len is the number of firms.
func (s *State) Len() int { return len(s.Firms) }

// FirmEvents returns node v's active events.
func (s *State) FirmEvents(v int32) []risk.EventRef {
	return s.Events[s.EventStart[v]:s.EventStart[v+1]]
}

// FirmRecent returns node v's recent events (State.Recent).
func (s *State) FirmRecent(v int32) []risk.EventRef {
	if s.RecentStart == nil {
		return nil
	}
	return s.Recent[s.RecentStart[v]:s.RecentStart[v+1]]
}

// ListInput is what the graded lists read of the state.
func (s *State) ListInput() *lists.Input {
	return &lists.Input{At: s.At, Model: s.Params.Model, IDs: s.Snap.IDs, Grade: s.Grade,
		Status: func(v int32) credit.Status { return s.Firms[v].Status },
		Active: s.FirmEvents, Recent: s.FirmRecent}
}

// Revenue and Industry give the models the state's firm data (risk.FirmData).
func (s *State) Revenue(v int32) float64 { return s.Firms[v].Revenue }

// Industry is firm v's industry code (risk.FirmData).
func (s *State) Industry(v int32) string { return s.Firms[v].Industry }

// Index returns the node of a USCC.
func (s *State) Index(uscc string) (int32, bool) { return s.Snap.Index(uscc) }

// Chain returns a leader's exposure.
func (s *State) Chain(uscc string) (*risk.Exposure, bool) {
	v, ok := s.Snap.Index(uscc)
	if !ok {
		return nil, false
	}
	x, ok := s.Chains[v]
	return x, ok
}

// GradeCounts counts firms per grade.
func (s *State) GradeCounts() map[risk.Grade]int {
	out := map[risk.Grade]int{risk.GradeA: 0, risk.GradeB: 0, risk.GradeC: 0, risk.GradeD: 0}
	for _, g := range s.Grade {
		out[g]++
	}
	return out
}

// leadersOf lists the leading firms in USCC order.
func leadersOf(snap *graph.Snapshot, firms []Firm) []int32 {
	var out []int32
	for v, f := range firms {
		if f.Leading {
			out = append(out, int32(v))
		}
	}
	slices.SortFunc(out, func(a, b int32) int {
		if snap.IDs[a] < snap.IDs[b] {
			return -1
		}
		return 1
	})
	return out
}

// validAt reports whether a relation is in force at t.
func validAt(r *credit.Relation, t time.Time) bool {
	return (r.ValidFrom.IsZero() || !t.Before(r.ValidFrom)) && (r.ValidTo.IsZero() || t.Before(r.ValidTo))
}

func edgeAttrs(r *credit.Relation) graph.EdgeAttrs {
	a := graph.EdgeAttrs{PurchaseShare: r.PurchaseShare, SalesShare: r.SalesShare, Substitutability: r.Substitutability}
	if r.Amount != nil {
		a.Amount = *r.Amount
	}
	return a
}

// changed reports whether two results differ enough to be written again: scores by
// a hundredth of a point, probabilities and distress by 1e-6. (Decay moves every
// score a little all the time; finer thresholds would rewrite every firm with an
// event at every scan for changes no reader can see.)
func changed(score0, score1, p0, p1, d0, d1 float64, g0, g1 risk.Grade) bool {
	return g0 != g1 || math.Abs(score0-score1) >= 0.01 || math.Abs(p0-p1) >= 1e-6 || math.Abs(d0-d1) >= 1e-6
}

// historic reports whether a change enters the score history: a new grade, or a
// score moved by a whole point.
func historic(score0, score1 float64, g0, g1 risk.Grade) bool {
	return g0 != g1 || math.Abs(score0-score1) >= 1
}

// details renders the JSON document of every chain not carried over from the
// previous state.
func (s *State) details() {
	if s.detail == nil {
		s.detail = make(map[int32][]byte, len(s.Chains))
	}
	for v, x := range s.Chains {
		if _, ok := s.detail[v]; ok {
			continue
		}
		b, err := json.Marshal(x)
		if err != nil {
			b = []byte("{}")
		}
		s.detail[v] = b
	}
}
