package match

import (
	"math"
	"slices"
)

// Status says how a name was matched.
type Status string

// The statuses of a Result.
const (
	// StatusExact: the normalized name equals that of exactly one firm's Name or former
	// name (or of several, one of them in the hinted region: Result.RegionTieBreak).
	StatusExact Status = "exact"
	// StatusUnique: no exact match, one firm scores at least UniqueScore and every other
	// less than RunnerUpScore.
	StatusUnique Status = "unique"
	// StatusAmbiguous: candidates exist but none is chosen.
	StatusAmbiguous Status = "ambiguous"
	// StatusNone: no firm scores at least CandidateScore.
	StatusNone Status = "none"
)

// The score thresholds, and the bonus for a firm in the hinted region (see the package
// documentation).
const (
	UniqueScore    = 0.9
	RunnerUpScore  = 0.75
	CandidateScore = 0.5
	RegionBonus    = 0.05
	// MaxCandidates is the most candidates a Result lists.
	MaxCandidates = 5
	// candidateCap bounds the entries one query scores.
	candidateCap = 20_000
	// tieBreakConfidence is the confidence of an exact match chosen by the region hint
	// among firms with the same normalized name.
	tieBreakConfidence = 0.95
)

// Candidate is a firm a name may mean.
type Candidate struct {
	USCC   string
	Name   string // the firm's current name
	Region string
	Score  float64 // bigram Dice of the normalized names, plus RegionBonus, at most 1
	Via    string  // the former name that matched, "" when it was the current one
}

// HintConflict reports a USCC hint naming an indexed firm whose names do not
// normalize to the query's: the hinted firm, and the firm the name alone would choose
// ("" when none).
type HintConflict struct {
	USCC     string
	Name     string
	NameUSCC string
}

// Result is the answer for one name. USCC is set, with Confidence in (0, 1], only for
// StatusExact and StatusUnique, and never when Conflict is set: then the caller must
// decide between the hint and the name.
type Result struct {
	Normalized     string
	Status         Status
	USCC           string
	Confidence     float64
	Candidates     []Candidate // best first, at most MaxCandidates
	RegionTieBreak bool        // an exact match chosen among same-name firms by the region hint
	Conflict       *HintConflict
}

// scratch is one query's working memory.
type scratch struct {
	count   []uint8 // shared bigrams per entry touched
	touched []int32
	grams   []uint64
	lists   [][]int32
	top     []scored
}

// scored is an entry with its score.
type scored struct {
	entry  int32
	firm   int32
	score  float64
	region bool
}

// getScratch takes a query's working memory from the index's pool; every count in it
// is zero.
func (ix *Index) getScratch() *scratch {
	if s, ok := ix.pool.Get().(*scratch); ok {
		return s
	}
	return &scratch{count: make([]uint8, len(ix.entFirm))}
}

// Match finds the firm a name means. regionHint (a division code) and usccHint may be
// empty. The error is an *InputError when the name is refused.
func (ix *Index) Match(name, regionHint, usccHint string) (Result, error) {
	q, err := Normalize(name)
	if err != nil {
		return Result{}, err
	}
	sc := ix.getScratch()
	defer ix.pool.Put(sc)
	res := Result{Normalized: q, Status: StatusNone}
	var exact []int32 // the entries with core q, one per firm
	if e, ok := ix.exact[q]; ok {
		for ; e >= 0; e = ix.nextSame[e] {
			exact = append(exact, e)
		}
	}
	top := ix.rank(sc, q, regionHint, exact)
	for _, t := range top {
		c := Candidate{USCC: ix.firms[t.firm].USCC, Name: ix.firms[t.firm].Name, Region: ix.firms[t.firm].Region, Score: t.score}
		if k := ix.entFormer[t.entry]; k >= 0 {
			c.Via = ix.firms[t.firm].FormerNames[k]
		}
		res.Candidates = append(res.Candidates, c)
	}
	ix.decide(&res, exact, top, regionHint)
	if usccHint != "" {
		ix.checkHint(&res, usccHint)
	}
	return res, nil
}

// decide sets the status and the chosen firm from the entries matching exactly and
// the ranking.
func (ix *Index) decide(res *Result, exact []int32, top []scored, regionHint string) {
	switch {
	case len(exact) == 1:
		res.Status, res.USCC, res.Confidence = StatusExact, ix.firms[ix.entFirm[exact[0]]].USCC, 1
		return
	case len(exact) > 1:
		res.Status = StatusAmbiguous
		chosen := int32(-1)
		for _, e := range exact {
			f := ix.entFirm[e]
			if regionMatch(regionHint, ix.firms[f].Region) {
				if chosen >= 0 {
					return
				}
				chosen = f
			}
		}
		if chosen >= 0 {
			res.Status, res.USCC, res.Confidence = StatusExact, ix.firms[chosen].USCC, tieBreakConfidence
			res.RegionTieBreak = true
		}
		return
	case len(top) == 0:
		res.Status = StatusNone
	case top[0].score >= UniqueScore && (len(top) == 1 || top[1].score < RunnerUpScore):
		res.Status, res.USCC, res.Confidence = StatusUnique, ix.firms[top[0].firm].USCC, top[0].score
	default:
		res.Status = StatusAmbiguous
	}
}

// checkHint confirms or contradicts the result with a USCC hint. A hint naming no
// indexed firm is ignored. A hinted firm with the query's core is chosen as an exact
// match, even among same-name firms; one without it is a conflict, and nothing is
// chosen.
func (ix *Index) checkHint(res *Result, hint string) {
	f, ok := ix.byUSCC[hint]
	if !ok {
		return
	}
	for e, ok := ix.exact[res.Normalized]; ok && e >= 0; e = ix.nextSame[e] {
		if ix.entFirm[e] == f {
			res.Status, res.USCC, res.Confidence, res.RegionTieBreak = StatusExact, hint, 1, false
			return
		}
	}
	res.Conflict = &HintConflict{USCC: hint, Name: ix.firms[f].Name, NameUSCC: res.USCC}
	res.USCC, res.Confidence = "", 0
}

// regionMatch reports whether a firm's region is in the hinted one: the same
// prefecture (first four digits of the division codes), or the same province when the
// hint is a province's code (ending in 0000). Other forms compare equal.
func regionMatch(hint, region string) bool {
	if hint == "" {
		return false
	}
	if len(hint) == 6 && len(region) == 6 {
		if hint[2:] == "0000" {
			return hint[:2] == region[:2]
		}
		return hint[:4] == region[:4]
	}
	return hint == region
}

// rank scores the entries sharing bigrams with q and returns the best entry of each of
// the best MaxCandidates firms, best first; exact firms are always among them.
func (ix *Index) rank(sc *scratch, q, regionHint string, exact []int32) []scored {
	sc.grams = appendGrams(sc.grams[:0], q)
	nq := len(sc.grams)
	touched := ix.countShared(sc, nq)
	top := sc.top[:0]
	for _, e := range touched {
		shared := int(sc.count[e])
		sc.count[e] = 0
		dice := 2 * float64(shared) / float64(nq+int(ix.entGrams[e]))
		if dice < CandidateScore || len(top) == MaxCandidates && dice+RegionBonus < top[MaxCandidates-1].score {
			continue
		}
		top = ix.offer(top, e, dice, regionHint)
	}
	for _, e := range exact { // found above unless the cap cut them off
		top = ix.offer(top, e, 1, regionHint)
	}
	sc.top = top
	return top
}

// offer puts an entry into top (at most MaxCandidates firms, best first) if it is
// good enough, keeping one entry per firm.
func (ix *Index) offer(top []scored, e int32, dice float64, regionHint string) []scored {
	f := ix.entFirm[e]
	s := scored{entry: e, firm: f, score: dice, region: regionMatch(regionHint, ix.firms[f].Region)}
	if s.region {
		s.score = math.Min(1, s.score+RegionBonus)
	}
	for i, t := range top {
		if t.firm == f {
			if !better(s, t) {
				return top
			}
			top = slices.Delete(top, i, i+1)
			break
		}
	}
	i := 0
	for i < len(top) && !better(s, top[i]) {
		i++
	}
	if i == MaxCandidates {
		return top
	}
	top = slices.Insert(top, i, s)
	if len(top) > MaxCandidates {
		top = top[:MaxCandidates]
	}
	return top
}

// better orders candidates: score, then the hinted region, then the order the firms
// were given in.
func better(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.region != b.region {
		return a.region
	}
	return a.firm < b.firm
}
