package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/chainrisk/chainrisk/internal/onboarding"
	"github.com/chainrisk/chainrisk/tokens"
)

// Supplier onboarding (docs/onboarding.md, "Onboarding a supplier list"), the
// console's side of chainriskctl onboard, for a leader's tenant: upload the list, see
// each row's match, choose the firm of the doubtful rows, import. Between the match
// step and the import the list travels in the review page's form (a hidden field of
// base64 JSON, bounded by maxOnboardRows), not in the server: the import step matches
// the rows again and takes the choices, so nothing the browser sends back is trusted
// beyond what the API accepts from the tenant anyway.

const (
	maxOnboardRows = 2000    // rows of one uploaded list
	maxListBytes   = 2 << 20 // bytes of one uploaded list
)

// listEncodings are the encodings the upload form offers.
var listEncodings = []string{"utf-8", "gbk", "gb18030"}

type relationJSON struct {
	Supplier         string     `json:"supplier"`
	PurchaseShare    float64    `json:"purchase_share"`
	SalesShare       float64    `json:"sales_share"`
	Substitutability float64    `json:"substitutability"`
	Amount           *float64   `json:"amount"`
	Product          string     `json:"product"`
	ValidFrom        *time.Time `json:"valid_from"`
	ValidTo          *time.Time `json:"valid_to"`
	Estimated        []string   `json:"estimated"`
}

// ownRelation is one of the leader's own relations with its supplier's name.
type ownRelation struct {
	relationJSON
	Name string
}

// summaryJSON is POST /api/v1/relations' answer.
type summaryJSON struct {
	Accepted  int      `json:"accepted"`
	Rejected  int      `json:"rejected"`
	Errors    []string `json:"errors"`
	Warnings  []string `json:"warnings"`
	Committed bool     `json:"committed"`
	Changed   int64    `json:"changed"`
}

type onboardView struct {
	// Tenant is false for staff, who get the page's explanation alone.
	Tenant    bool
	Own       []ownRelation
	Truncated bool
	Withdrawn string
	Encodings []string
	// File, Rows, Counts and State are a list's review (Step "review") or its import
	// (Step "done", with Summary).
	Step    string
	File    string
	Rows    []onboarding.Decision
	Counts  map[string]int
	State   string
	Summary *summaryJSON
	// CSRF is the session's form token, for the review's form.
	CSRF string
}

// isTenant reports whether the caller is a leader's tenant, whom onboarding is for.
func (c *call) isTenant() bool { return c.sess.who.Role == tokens.RoleTenant }

// onboardingPage shows the upload form and the leader's own relations to a tenant,
// and what the page is for to anyone else.
func (s *Server) onboardingPage(c *call) error {
	v := onboardView{Tenant: c.isTenant(), Encodings: listEncodings}
	// The message after a withdrawal names a code, never other text from the link.
	if w := c.r.URL.Query().Get("withdrawn"); usccShape.MatchString(w) {
		v.Withdrawn = w
	}
	if !v.Tenant {
		return c.render(http.StatusOK, "onboarding", c.t("onboard.title"), v)
	}
	if err := c.ownRelations(&v); err != nil {
		return err
	}
	return c.render(http.StatusOK, "onboarding", c.t("onboard.title"), v)
}

// ownRelations reads the leader's own relations, named from its chain's tier-1
// members (a page of them at a time).
func (c *call) ownRelations(v *onboardView) error {
	leader := c.sess.who.Leader
	var list struct {
		Relations []relationJSON `json:"relations"`
		Truncated bool           `json:"truncated"`
	}
	if err := c.get("/relations", url.Values{"source": {leader}, "limit": {"10000"}}, &list); err != nil {
		return err
	}
	names := map[string]string{}
	params := url.Values{"tier": {"1"}, "limit": {"1000"}}
	for {
		var page membersPageJSON
		if err := c.get("/chains/"+url.PathEscape(leader)+"/members", params, &page); err != nil {
			return err
		}
		for _, m := range page.Members {
			names[m.USCC] = m.Name
		}
		if page.NextCursor == nil {
			break
		}
		params.Set("cursor", *page.NextCursor)
	}
	for _, r := range list.Relations {
		v.Own = append(v.Own, ownRelation{relationJSON: r, Name: names[r.Supplier]})
	}
	v.Truncated = list.Truncated
	return nil
}

// notForStaff answers a staff member's onboarding form: the page's explanation.
func (c *call) notForStaff() error {
	return c.render(http.StatusForbidden, "onboarding", c.t("onboard.title"), onboardView{})
}

// onboardUpload reads an uploaded list and shows each row's match for review.
func (s *Server) onboardUpload(c *call) error {
	if !c.isTenant() {
		return c.notForStaff()
	}
	f, hdr, err := c.r.FormFile("list")
	if err != nil {
		return badRequest(c.t("onboard.nofile"))
	}
	defer f.Close()
	name := hdr.Filename
	raw, err := io.ReadAll(io.LimitReader(f, maxListBytes+1))
	if err != nil {
		return err
	}
	if len(raw) > maxListBytes {
		return errFormTooLarge
	}
	text, err := decodeList(raw, name, c.r.PostFormValue("encoding"))
	if err != nil {
		return badRequest(err.Error())
	}
	rows, err := onboarding.ReadList(bytes.NewReader(text))
	switch {
	case err != nil:
		return badRequest(name + ": " + err.Error())
	case len(rows) == 0:
		return badRequest(name + ": no suppliers")
	case len(rows) > maxOnboardRows:
		return badRequest(fmt.Sprintf("%s: %d suppliers; the console takes at most %d (chainriskctl onboard takes any number)",
			name, len(rows), maxOnboardRows))
	}
	ds, err := onboarding.Plan(c.r.Context(), c.postMatches, rows, onboarding.Options{})
	if err != nil {
		return err
	}
	state, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	v := onboardView{Tenant: true, Step: "review", File: name, Rows: ds, Counts: onboarding.Count(ds),
		State: base64.StdEncoding.EncodeToString(state), CSRF: c.sess.row.CSRF}
	return c.render(http.StatusOK, "onboarding", c.t("onboard.title"), v)
}

// decodeList returns an uploaded list as UTF-8: GBK and GB 18030 decoded, UTF-8
// checked (the error names the line of the first bad byte).
func decodeList(raw []byte, name, enc string) ([]byte, error) {
	switch strings.ToLower(enc) {
	case "gbk":
		return simplifiedchinese.GBK.NewDecoder().Bytes(raw)
	case "gb18030":
		return simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	case "", "utf-8":
	default:
		return nil, fmt.Errorf("encoding: %q is not one of utf-8, gbk, gb18030", enc)
	}
	for i := 0; i < len(raw); {
		r, n := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && n <= 1 {
			line := 1 + bytes.Count(raw[:i], []byte("\n"))
			return nil, fmt.Errorf("%s:%d: not valid UTF-8 (byte 0x%02x); a CSV saved by Excel on Chinese Windows is GBK — choose gbk",
				name, line, raw[i])
		}
		i += n
	}
	return raw, nil
}

// postMatches sends one CSV body to POST /api/v1/matches as the caller.
func (c *call) postMatches(_ context.Context, body []byte) (*onboarding.Answer, error) {
	var a onboarding.Answer
	if _, err := c.send("POST", "/matches", nil, "text/csv", body, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// onboardImport matches the reviewed list again, applies the choices made on the
// review page (pick-LINE: a candidate's USCC, or empty to leave the row over) and
// imports the rows to import as one strict batch.
func (s *Server) onboardImport(c *call) error {
	if !c.isTenant() {
		return c.notForStaff()
	}
	name := c.r.PostFormValue("file")
	raw, err := base64.StdEncoding.DecodeString(c.r.PostFormValue("state"))
	var rows []onboarding.Row
	if err == nil {
		err = json.Unmarshal(raw, &rows)
	}
	if err != nil || len(rows) == 0 || len(rows) > maxOnboardRows {
		return badRequest(c.t("onboard.badstate"))
	}
	choose := func(r *onboarding.Row) (string, bool) {
		u := strings.ToUpper(strings.TrimSpace(c.r.PostFormValue("pick-" + strconv.Itoa(r.Line))))
		return u, u != ""
	}
	ds, err := onboarding.Plan(c.r.Context(), c.postMatches, rows, onboarding.Options{Choose: choose})
	if err != nil {
		return err
	}
	v := onboardView{Tenant: true, Step: "done", File: name, Rows: ds, Counts: onboarding.Count(ds)}
	if v.Counts["imported"] > 0 {
		body, lines := onboarding.ImportBody(ds)
		var sum summaryJSON
		if _, err := c.send("POST", "/relations", url.Values{"strict": {"true"}}, "text/csv", body, &sum,
			http.StatusUnprocessableEntity); err != nil {
			return err
		}
		onboarding.ListLines(sum.Errors, lines)
		for i, e := range sum.Errors {
			sum.Errors[i] = name + ":" + e
		}
		v.Summary = &sum
	}
	return c.render(http.StatusOK, "onboarding", c.t("onboard.title"), v)
}

// onboardWithdraw withdraws one of the leader's own relations (DELETE
// /api/v1/relations?supplier=) and returns to the page.
func (s *Server) onboardWithdraw(c *call) error {
	supplier := strings.TrimSpace(c.r.PostFormValue("supplier"))
	if _, err := c.send("DELETE", "/relations", url.Values{"supplier": {supplier}}, "", nil, nil); err != nil {
		return err
	}
	return c.seeOther(Prefix + "onboarding?withdrawn=" + url.QueryEscape(supplier))
}

// usccShape is what a USCC looks like (the API checks the code itself).
var usccShape = regexp.MustCompile(`^[0-9A-Z]{18}$`)

// errFormTooLarge answers a supplier list past maxListBytes.
var errFormTooLarge = &pageError{status: http.StatusRequestEntityTooLarge, title: "error.bad", body: "error.toolarge"}
