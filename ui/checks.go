package ui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/ownership"
)

// checksView is the investment-check page: the form and the past checks.
type checksView struct {
	USCC     string // the filter of the past checks, and the form's default target
	Checks   []checkListJSON
	MaxDepth int
}

// checksPage shows the investment-check form (精准招商) and the past checks (GET
// /api/v1/checks?uscc=&limit=); the API allows admins and analysts.
func (s *Server) checksPage(c *call) error {
	q := url.Values{"limit": {"50"}}
	uscc := strings.TrimSpace(c.r.URL.Query().Get("uscc"))
	if uscc != "" {
		q.Set("uscc", uscc)
	}
	if l := c.r.URL.Query().Get("limit"); l != "" {
		q.Set("limit", l)
	}
	v := checksView{USCC: uscc, MaxDepth: ownership.MaxDepth}
	var page struct {
		Checks []checkListJSON `json:"checks"`
	}
	if err := c.get("/checks", q, &page); err != nil {
		return err
	}
	v.Checks = page.Checks
	return c.render(http.StatusOK, "checks", c.t("check.title"), v)
}

// postCheck runs a check (POST /api/v1/checks) from the form and shows it: the
// target's USCC, and optionally depth, min_share (a fraction or a percentage) and the
// listed shareholders and investees (one USCC a line).
func (s *Server) postCheck(c *call) error {
	if err := c.r.ParseForm(); err != nil {
		return badRequest("form: " + err.Error())
	}
	f := c.r.PostForm
	req := map[string]any{"uscc": strings.TrimSpace(f.Get("uscc"))}
	if d := strings.TrimSpace(f.Get("depth")); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			return badRequest(c.t("check.bad.depth") + ": " + strconv.Quote(d))
		}
		req["depth"] = n
	}
	if m := strings.TrimSpace(f.Get("min_share")); m != "" {
		pct := strings.HasSuffix(m, "%")
		x, err := strconv.ParseFloat(strings.TrimSuffix(m, "%"), 64)
		if err != nil {
			return badRequest(c.t("check.bad.min_share") + ": " + strconv.Quote(m))
		}
		if pct {
			x /= 100
		}
		req["min_share"] = x
	}
	if l := usccLines(f.Get("shareholders")); len(l) > 0 {
		req["shareholders"] = l
	}
	if l := usccLines(f.Get("investees")); len(l) > 0 {
		req["investees"] = l
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	b, err := c.callAPI(http.MethodPost, "/checks", nil, "application/json", bytes.NewReader(body), http.StatusCreated)
	if err != nil {
		return refusal(err)
	}
	var out struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(b.body.Bytes(), &out); err != nil || out.ID < 1 {
		return &pageError{status: http.StatusInternalServerError, title: "error.internal", cause: err}
	}
	http303(c, Prefix+"checks/"+strconv.FormatInt(out.ID, 10))
	return nil
}

// usccLines splits a text area into its USCCs: one a line (commas and spaces too).
func usccLines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == '\t' || r == '，' || r == '、'
	})
}

// checkView is a saved check with its parties' paths worded.
type checkView struct {
	checkJSON
	Holders, Owners, Investees partyTable
	ControllerPath             string
	names                      map[string]string
}

// partyTable is a table of parties of a check, with its element ID.
type partyTable struct {
	ID   string
	Rows []partyRow
}

type partyRow struct {
	checkPartyJSON
	// PathText is the path from the top holder down: names where the report has
	// them, keys otherwise.
	PathText string
}

func (v *checkView) path(p checkPartyJSON) string {
	parts := make([]string, len(p.Path))
	for i, k := range p.Path {
		parts[i] = k
		if n := v.names[k]; n != "" {
			parts[i] = n
		}
	}
	return strings.Join(parts, " → ")
}

func (v *checkView) table(id string, ps []checkPartyJSON) partyTable {
	t := partyTable{ID: id}
	for _, p := range ps {
		t.Rows = append(t.Rows, partyRow{p, v.path(p)})
	}
	return t
}

// checkPage shows a saved check (GET /api/v1/checks/{id}).
func (s *Server) checkPage(c *call) error {
	var v checkView
	if err := c.get("/checks/"+url.PathEscape(c.r.PathValue("id")), nil, &v.checkJSON); err != nil {
		return err
	}
	v.names = map[string]string{v.Target.USCC: v.Target.Name}
	parties := append(append(append([]checkPartyJSON{}, v.Shareholders...), v.BeneficialOwners...), v.checkJSON.Investees...)
	if v.ActualController != nil {
		parties = append(parties, *v.ActualController)
	}
	for _, p := range parties {
		if k := p.USCC + p.PersonID; k != "" && p.Name != "" {
			v.names[k] = p.Name
		}
	}
	v.Holders, v.Owners = v.table("holders-table", v.Shareholders), v.table("owners-table", v.BeneficialOwners)
	v.Investees = v.table("investees-table", v.checkJSON.Investees)
	if v.ActualController != nil {
		v.ControllerPath = v.path(*v.ActualController)
	}
	title := v.Target.Name
	if title == "" {
		title = v.Target.USCC
	}
	return c.render(http.StatusOK, "check", title+" · "+c.t("check.title"), &v)
}
