package api

import (
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/config"
)

const mediaNDJSON = "application/x-ndjson"

// Members pages: GET /api/v1/chains/{leader}/members lists a chain's members in the
// order of the full answer — the leader, suppliers of tiers 1, 2, …, then customers
// −1, −2, … — and within a tier by USCC; limit a page, the cursor the (tier, USCC) of
// the last one given (api/pages.go). With format=ndjson or csv (or asked for by
// Accept) it streams every member that passes the filters instead.

// membersPageJSON is one page of GET /api/v1/chains/{leader}/members.
type membersPageJSON struct {
	Members    []memberJSON `json:"members"`
	ScanID     int64        `json:"scan_id"`
	NextCursor *string      `json:"next_cursor"`
}

// membersQuery is what a members request asks for.
type membersQuery struct {
	up, down int
	limit    int
	format   string // json, ndjson or csv
	tier     *int
	grade    *string // "" for ungraded members ("unknown")
	// minContribution keeps the members whose contribution to the chain's risk is
	// at least this; contrib holds the contributions by node when it is set.
	minContribution *float64
	contrib         map[int32]float64
	after           []string
}

var memberGrades = []string{"A", "B", "C", "D", "unknown"}

// membersFormat is the format asked for: the format parameter, else the first of
// NDJSON or CSV the Accept header names, else JSON.
func membersFormat(r *http.Request) (string, error) {
	f, err := enumParam(r, "format", "", "json", "ndjson", "csv")
	if err != nil || f != "" {
		return f, err
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		switch {
		case err != nil:
		case mt == mediaNDJSON:
			return "ndjson", nil
		case mt == mediaCSV:
			return "csv", nil
		case mt == mediaJSON:
			return "json", nil
		}
	}
	return "json", nil
}

// parseMembersQuery reads the query; 400 naming the parameter for a bad value.
func (rq *request) parseMembersQuery(leader string) (membersQuery, error) {
	var q membersQuery
	var err error
	if q.up, q.down, err = rq.depths(); err != nil {
		return q, err
	}
	if q.format, err = membersFormat(rq.r); err != nil {
		return q, err
	}
	get := rq.r.URL.Query().Get
	if q.format != "json" && (get("limit") != "" || get("cursor") != "") {
		return q, errorf(http.StatusBadRequest, codeBadRequest,
			"format=%s streams every member: it takes no limit or cursor", q.format)
	}
	if q.limit, err = intParam(rq.r, "limit", defaultListLimit, 1, maxListLimit); err != nil {
		return q, err
	}
	if get("tier") != "" {
		t, err := intParam(rq.r, "tier", 0, -config.MaxDepth, config.MaxDepth)
		if err != nil {
			return q, err
		}
		q.tier = &t
	}
	if g := get("grade"); g != "" {
		if !slices.Contains(memberGrades, g) {
			return q, errorf(http.StatusBadRequest, codeBadRequest, "grade must be one of %s, got %q",
				strings.Join(memberGrades, ", "), g)
		}
		if g == "unknown" {
			g = ""
		}
		q.grade = &g
	}
	if q.minContribution, err = minContributionParam(rq.r); err != nil {
		return q, err
	}
	if q.after, err = rq.cursorParam(membersEndpoint(leader), 2); err != nil {
		return q, err
	}
	if q.after != nil {
		if _, perr := strconv.Atoi(q.after[0]); perr != nil {
			return q, errorf(http.StatusBadRequest, codeBadRequest, "cursor is not one this endpoint gave (pass next_cursor as it came)")
		}
	}
	return q, nil
}

// membersEndpoint names a chain's members list in its cursors: a cursor of another
// chain is refused.
func membersEndpoint(leader string) string { return "chain-members:" + leader }

// span is the range of positions in the order the query reads, cursor and tier applied.
func (q *membersQuery) span(ix *chainIndex) (lo, hi int) {
	lo, hi = 0, len(ix.order)
	if q.tier != nil {
		lo, hi = ix.tierSpan(*q.tier)
	}
	if q.after != nil {
		t, _ := strconv.Atoi(q.after[0])
		lo = max(lo, ix.after(t, q.after[1]))
	}
	return lo, max(lo, hi)
}

// minContributionParam reads min_contribution: a number from 0 to 1, or absent.
func minContributionParam(r *http.Request) (*float64, error) {
	raw := r.URL.Query().Get("min_contribution")
	if raw == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "min_contribution must be a number from 0 to 1, got %q", raw)
	}
	return &f, nil
}

// keeps reports whether the i-th member passes the grade and contribution filters.
func (q *membersQuery) keeps(ix *chainIndex, i int) bool {
	v := ix.member(i).Node
	if q.grade != nil && ix.st.Grade[v].String() != *q.grade {
		return false
	}
	return q.minContribution == nil || q.contrib[v] >= *q.minContribution
}

// getChainMembers serves GET /api/v1/chains/{leader}/members with the visibility of
// GET /api/v1/chains/{leader} (chainRoot).
func (s *Server) getChainMembers(rq *request) error {
	leader, err := rq.pathUSCC("leader")
	if err != nil {
		return err
	}
	q, err := rq.parseMembersQuery(leader)
	if err != nil {
		return err
	}
	st, v, err := rq.chainRoot(leader, q.up, q.down)
	if err != nil {
		return err
	}
	ix, err := s.chains.get(st, v, q.up, q.down)
	if err != nil {
		return err
	}
	if q.format == "json" || q.minContribution != nil {
		if q.contrib, err = ix.contributions(); err != nil {
			return err
		}
	}
	esri := s.chainESRIMembers(rq, leader)
	lo, hi := q.span(ix)
	if q.format != "json" {
		return rq.streamMembers(ix, &q, lo, hi, esri, leader)
	}
	out := membersPageJSON{Members: []memberJSON{}, ScanID: st.ScanID}
	for i := lo; i < hi; i++ {
		if !q.keeps(ix, i) {
			continue
		}
		if len(out.Members) == q.limit {
			last := &out.Members[len(out.Members)-1]
			out.NextCursor = nextCursor(membersEndpoint(leader), strconv.Itoa(last.Tier), last.USCC)
			break
		}
		m := ix.memberAt(i, esri)
		if c, ok := q.contrib[ix.member(i).Node]; ok {
			m.Contribution = &c
		}
		out.Members = append(out.Members, m)
	}
	return rq.json(http.StatusOK, out)
}
