package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/tokens"
)

// Relations a leading firm supplies itself (docs/onboarding.md, "Leaders' own supplier
// lists"): a tenant posts its leader's tier-1 purchases to POST /api/v1/relations, lists
// them with the registry's at GET /api/v1/relations and withdraws one with DELETE.

// relationJSON is one relation as the API shows it.
type relationJSON struct {
	Supplier         string   `json:"supplier"`
	Customer         string   `json:"customer"`
	PurchaseShare    float64  `json:"purchase_share"`
	SalesShare       float64  `json:"sales_share"`
	Substitutability float64  `json:"substitutability"`
	Amount           *float64 `json:"amount"`
	Product          string   `json:"product"`
	// ValidFrom and ValidTo are null when open.
	ValidFrom *time.Time `json:"valid_from"`
	ValidTo   *time.Time `json:"valid_to"`
	// Source is "registry" or the USCC of the leader that supplied the relation.
	Source string `json:"source"`
	// Estimated lists the fields that were estimated, not given: ["sales_share"] or [].
	Estimated []string `json:"estimated"`
}

// newRelationJSON is how every answer shows a relation, its source and its estimates.
func newRelationJSON(r *credit.Relation) relationJSON {
	out := relationJSON{Supplier: r.Supplier, Customer: r.Customer, PurchaseShare: r.PurchaseShare,
		SalesShare: r.SalesShare, Substitutability: r.Substitutability, Amount: r.Amount, Product: r.Product,
		Source: r.Source, Estimated: []string{}}
	if out.Source == "" {
		out.Source = credit.SourceRegistry
	}
	if r.SalesShareEstimated {
		out.Estimated = append(out.Estimated, "sales_share")
	}
	if !r.ValidFrom.IsZero() {
		out.ValidFrom = &r.ValidFrom
	}
	if !r.ValidTo.IsZero() {
		out.ValidTo = &r.ValidTo
	}
	return out
}

// relationsJSON is the answer of GET /api/v1/relations.
type relationsJSON struct {
	Relations []relationJSON `json:"relations"`
	// Truncated says more relations matched than limit.
	Truncated bool `json:"truncated"`
	// NextCursor starts the next page (null on the last).
	NextCursor *string `json:"next_cursor"`
}

// postRelations serves POST /api/v1/relations: the registry's relations for admin and
// ingest tokens (as every ingest route), a tenant's own purchases for its leader.
func (s *Server) postRelations(rq *request) error {
	if rq.who.Role != tokens.RoleTenant {
		return s.ingest(credit.KindRelations)(rq)
	}
	if !rq.who.View().MaySupply(rq.who.Leader) {
		return errorf(http.StatusForbidden, codeForbidden, "this token may not supply relations")
	}
	return s.ingestWith(rq, func(ctx context.Context, format ingest.Format, strict bool) (ingest.Summary, error) {
		return s.b.Supply(ctx, rq.who.Leader, format, rq.r.Body, strict, "api:"+rq.who.Name)
	})
}

// errFull ends a listing that has its limit and one more.
var errFull = errors.New("full")

// getRelations serves GET /api/v1/relations: the registry's relations and the
// supplied ones the caller may see (visibility.View.SeesRelation), registry first.
func (s *Server) getRelations(rq *request) error {
	var f store.RelationFilter
	for _, p := range []struct {
		name string
		dst  *string
	}{{"supplier", &f.Supplier}, {"customer", &f.Customer}} {
		if v := rq.r.URL.Query().Get(p.name); v != "" {
			if err := rq.checkUSCC(p.name, v); err != nil {
				return err
			}
			*p.dst = v
		}
	}
	f.Source = rq.r.URL.Query().Get("source")
	if f.Source != "" && f.Source != credit.SourceRegistry && rq.checkUSCC("source", f.Source) != nil {
		return errorf(http.StatusBadRequest, codeInvalidUSCC, "source: %q is neither %q nor a leader's USCC",
			f.Source, credit.SourceRegistry)
	}
	limit, err := intParam(rq.r, "limit", 100, 1, 10000)
	if err != nil {
		return err
	}
	view := rq.who.View()
	if !view.IsStaff() {
		f.SuppliedBy = rq.who.Leader
	}
	if k, err := rq.cursorParam("relations", 3); err != nil {
		return err
	} else if k != nil {
		f.After = &store.RelationPos{Source: k[0], Supplier: k[1], Customer: k[2]}
	}
	out := relationsJSON{Relations: []relationJSON{}}
	var last *credit.Relation
	err = rq.s.b.Store().ListRelations(rq.r.Context(), f, func(r *credit.Relation) error {
		if !view.SeesRelation(r) {
			return nil
		}
		if len(out.Relations) == limit {
			out.Truncated = true
			out.NextCursor = nextCursor("relations", last.Source, last.Supplier, last.Customer)
			return errFull
		}
		out.Relations = append(out.Relations, newRelationJSON(r))
		last = r
		return nil
	})
	if err != nil && !errors.Is(err, errFull) {
		return storeError(err)
	}
	return rq.json(http.StatusOK, out)
}

// errSuppliedNotFound answers a withdrawal of a relation the caller did not supply.
var errSuppliedNotFound = &apiError{status: http.StatusNotFound, code: codeNotFound,
	message: "no relation of this supplier that your leader supplied (registry relations are not yours to withdraw)"}

// deleteRelations serves DELETE /api/v1/relations?supplier=: a tenant withdraws one of
// the relations it supplied for its leader (204), never a registry relation nor
// another leader's (404); an incremental scan follows.
func (s *Server) deleteRelations(rq *request) error {
	if !rq.who.View().MaySupply(rq.who.Leader) {
		return errorf(http.StatusForbidden, codeForbidden,
			"only a tenant withdraws the relations it supplied; the registry's are changed by ingest")
	}
	supplier := rq.r.URL.Query().Get("supplier")
	if supplier == "" {
		return errorf(http.StatusBadRequest, codeBadRequest, "supplier: required")
	}
	if err := rq.checkUSCC("supplier", supplier); err != nil {
		return err
	}
	err := s.b.Withdraw(rq.r.Context(), rq.who.Leader, supplier, "api:"+rq.who.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errSuppliedNotFound
	case err != nil:
		return storeError(err)
	}
	s.log.Info("supplied relation withdrawn", "supplier", supplier, "leader", rq.who.Leader, "token", rq.who.Name)
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}
