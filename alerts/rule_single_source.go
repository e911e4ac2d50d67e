package alerts

import (
	"context"

	"github.com/chainrisk/chainrisk/risk"
)

// RuleSingleSource fires when a single-source supplier of a leader or of one of its
// tier-1 suppliers is grade C or D.
const RuleSingleSource = "single_source"

func init() {
	register(&rule{name: RuleSingleSource, order: 50, enabled: true, chains: true,
		title:    [2]string{"单一来源供应商风险", "Single-source supplier at risk"},
		evaluate: (*evaluation).singleSource})
}

// singleSource: a single-source supplier (exposure concentration) of a leader or
// of one of its tier-1 suppliers is grade C (warning) or D (critical).
func (e *evaluation) singleSource(_ context.Context, emit func(*candidate)) error {
	rule := RuleSingleSource
	e.judgeAll(rule)
	for _, l := range e.next.Leaders {
		x := e.next.Chains[l]
		if x == nil {
			continue
		}
		leader := e.next.Snap.IDs[l]
		seen := make(map[string]bool)
		for _, con := range x.Concentration {
			for _, ss := range con.SingleSource {
				sv, ok := e.next.Index(ss.Supplier)
				if !ok || seen[ss.Supplier] {
					continue
				}
				g := e.next.Grade[sv]
				if g < risk.GradeC {
					continue
				}
				seen[ss.Supplier] = true
				c := e.firmCandidate(rule, sv, gradeSeverity(g), "")
				if pg, ok := e.prevGrade(sv); ok && pg != g {
					c.prevGrade = pg.String()
				}
				if a := e.firing.get(rule, Fingerprint(rule, ss.Supplier, leader)); a != nil {
					c.prevGrade = a.PreviousGrade
					c.sticky(a)
				}
				c.leader = leader
				c.det.Path, c.det.Shares = []string{ss.Supplier, con.USCC}, []float64{ss.PurchaseShare}
				if con.USCC != leader {
					c.det.Path = append(c.det.Path, leader)
					cv, _ := e.next.Index(con.USCC)
					if snap, err := e.next.ChainSnap(l, e.next.Params.Exposure.Chain); err == nil {
						if edge, ok := snap.FindEdge(cv, l); ok { // the leader's own share where it gave one
							c.det.Shares = append(c.det.Shares, snap.Attrs(edge).PurchaseShare)
						}
					}
				}
				sole := reason{Kind: reasonSoleSource, USCC: con.USCC, Name: e.name(con.USCC),
					Value: ss.PurchaseShare, P: ss.Substitutability}
				c.det.Reasons = append([]reason{sole}, c.det.Reasons...)
				c.det.Reasons = c.det.Reasons[:min(maxReasons, len(c.det.Reasons))]
				emit(c)
			}
		}
	}
	return nil
}
