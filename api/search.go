package api

import (
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/search"
)

// Bounds of GET /api/v1/enterprises (api/openapi.json).
const (
	searchDefaultLimit = 50
	searchMaxLimit     = 500
	// maxQueryBytes is the longest q: the longest name ingest accepts.
	maxQueryBytes = 4096
	maxTagBytes   = 64
)

var (
	regionFilter   = regexp.MustCompile(`^[0-9]{2}([0-9]{2}([0-9]{2})?)?$`)
	industryFilter = regexp.MustCompile(`^[A-T]([0-9]{2,4})?$`)
)

// firmHitJSON is one firm of a search answer.
type firmHitJSON struct {
	USCC     string        `json:"uscc"`
	Name     string        `json:"name"`
	Region   string        `json:"region"`
	Industry string        `json:"industry"`
	Tags     []string      `json:"tags"`
	Status   credit.Status `json:"status"`
	Grade    string        `json:"grade"`
	Score    float64       `json:"score"`
	P        float64       `json:"p"`
}

// searchJSON answers GET /api/v1/enterprises.
type searchJSON struct {
	Firms []firmHitJSON `json:"firms"`
	// Total counts every firm matching, on every page; NextCursor is null on the last.
	Total      int     `json:"total"`
	NextCursor *string `json:"next_cursor"`
	ScanID     int64   `json:"scan_id"`
}

// searchParams are a search's parameters, checked.
type searchParams struct {
	q, region, industry, tag, status, grade, sort string
	limit                                         int
	cursor                                        *searchCursor
}

// searchCursor is the position after a page: its last firm's sort key, and the query
// it belongs to. Clients get it base64url-encoded and pass it back unread.
type searchCursor struct {
	Query string  `json:"q"` // the fingerprint of the query
	Score float64 `json:"s,omitempty"`
	Name  string  `json:"n"`
	USCC  string  `json:"u"`
}

// parseSearch reads and checks the parameters; every refusal names its parameter.
func parseSearch(r *http.Request) (*searchParams, error) {
	v := r.URL.Query()
	p := &searchParams{q: strings.TrimSpace(v.Get("q")), tag: strings.ToLower(strings.TrimSpace(v.Get("tag")))}
	switch {
	case len(p.q) > maxQueryBytes:
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "q is longer than %d bytes, the longest a name may be", maxQueryBytes)
	case !utf8.ValidString(p.q):
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "q is not valid UTF-8")
	case len(p.tag) > maxTagBytes || strings.ContainsAny(p.tag, ";,"):
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "tag must be at most %d bytes without ';' or ','", maxTagBytes)
	}
	if p.region = v.Get("region"); p.region != "" {
		if !regionFilter.MatchString(p.region) {
			return nil, errorf(http.StatusBadRequest, codeBadRequest,
				"region must be a division code of 2, 4 or 6 digits (23, 2301, 230102), got %q", p.region)
		}
		// 230000 is the province and 230100 a city: the divisions they contain.
		for len(p.region) > 2 && strings.HasSuffix(p.region, "00") {
			p.region = p.region[:len(p.region)-2]
		}
	}
	if p.industry = v.Get("industry"); p.industry != "" && !industryFilter.MatchString(p.industry) {
		return nil, errorf(http.StatusBadRequest, codeBadRequest,
			"industry must be a GB/T 4754 code: a letter A-T, then 2 to 4 digits (C, C13, C1331), got %q", p.industry)
	}
	var err error
	if p.status, err = enumParam(r, "status", "", "active", "abnormal", "revoked", "deregistered", "bankrupt"); err != nil {
		return nil, err
	}
	if p.grade, err = enumParam(r, "grade", "", "A", "B", "C", "D"); err != nil {
		return nil, err
	}
	if p.sort, err = enumParam(r, "sort", "name", "name", "score", "-score"); err != nil {
		return nil, err
	}
	if p.limit, err = intParam(r, "limit", searchDefaultLimit, 1, searchMaxLimit); err != nil {
		return nil, err
	}
	if c := v.Get("cursor"); c != "" {
		p.cursor = new(searchCursor)
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || json.Unmarshal(b, p.cursor) != nil || p.cursor.USCC == "" {
			return nil, errorf(http.StatusBadRequest, codeBadRequest,
				"cursor is not one this endpoint gave: pass next_cursor as it came")
		}
		if p.cursor.Query != p.fingerprint() {
			return nil, errorf(http.StatusBadRequest, codeBadRequest,
				"cursor belongs to another query: q, a filter or sort changed; start again without it")
		}
	}
	return p, nil
}

// fingerprint identifies the query a cursor walks: everything but the page size.
func (p *searchParams) fingerprint() string {
	h := fnv.New64a()
	for _, s := range []string{search.Fold(p.q), p.region, p.industry, p.tag, p.status, p.grade, p.sort} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// keep is the search's filter: the parameters' and, for a tenant, its chain; nil
// keeps every firm.
func (p *searchParams) keep(st *monitor.State, seesNode func(int32) bool, staff bool) func(int32) bool {
	var tests []func(v int32) bool
	if p.region != "" {
		tests = append(tests, func(v int32) bool { return strings.HasPrefix(st.Firms[v].Region, p.region) })
	}
	if p.industry != "" {
		tests = append(tests, func(v int32) bool { return strings.HasPrefix(st.Firms[v].Industry, p.industry) })
	}
	if p.status != "" {
		tests = append(tests, func(v int32) bool { return st.Firms[v].Status == credit.Status(p.status) })
	}
	if p.grade != "" {
		g, _ := risk.ParseGrade(p.grade)
		tests = append(tests, func(v int32) bool { return st.Grade[v] == g })
	}
	if p.tag != "" {
		tests = append(tests, st.Search.TagFilter(p.tag))
	}
	if !staff {
		tests = append(tests, seesNode)
	}
	switch len(tests) {
	case 0:
		return nil
	case 1:
		return tests[0]
	}
	return func(v int32) bool {
		for _, t := range tests {
			if !t(v) {
				return false
			}
		}
		return true
	}
}

// query is the search's query: q, the filters, the order and the cursor. The name
// order is by name then USCC (search.Index.CompareNames); score and -score break
// their ties by it. score is riskiest first: a lower score is worse (docs/models.md).
func (p *searchParams) query(st *monitor.State, seesNode func(int32) bool, staff bool) search.Query {
	q := search.Query{Text: p.q, Keep: p.keep(st, seesNode, staff), Limit: p.limit, Desc: p.sort == "-score"}
	if p.sort != "name" {
		q.Score = st.Score
	}
	if c := p.cursor; c != nil {
		q.After = &search.Position{Score: c.Score, Name: c.Name, USCC: c.USCC}
	}
	return q
}

// searchEnterprises answers GET /api/v1/enterprises: the firms whose name holds q or
// whose USCC begins with it, filtered, one page in the order asked.
func (s *Server) searchEnterprises(rq *request) error {
	p, err := parseSearch(rq.r)
	if err != nil {
		return err
	}
	st, err := rq.ready()
	if err != nil {
		return err
	}
	view := rq.who.View()
	page := st.Search.Search(p.query(st, view.SeesNode, view.IsStaff()))
	out := searchJSON{Firms: make([]firmHitJSON, len(page.Nodes)), Total: page.Total, ScanID: st.ScanID}
	for i, v := range page.Nodes {
		f := &st.Firms[v]
		tags := st.Search.Tags(v)
		if tags == nil {
			tags = []string{}
		}
		out.Firms[i] = firmHitJSON{USCC: st.Snap.IDs[v], Name: f.Name, Region: f.Region, Industry: f.Industry,
			Tags: tags, Status: f.Status, Grade: st.Grade[v].String(), Score: st.Score[v], P: st.P[v]}
	}
	if page.More {
		last := page.Nodes[len(page.Nodes)-1]
		c := searchCursor{Query: p.fingerprint(), Name: st.Firms[last].Name, USCC: st.Snap.IDs[last]}
		if p.sort != "name" {
			c.Score = st.Score[last]
		}
		b, _ := json.Marshal(c)
		next := base64.RawURLEncoding.EncodeToString(b)
		out.NextCursor = &next
	}
	return rq.json(http.StatusOK, out)
}
