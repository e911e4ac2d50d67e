package daemon_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/store"
)

// A tenant who sees a firm is shown that firm's related parties as its parties
// (docs/alerts.md, related_party_distress): the actual controller and the majority
// holders, with the ownership path relating them. The crawler computes them here
// independently from the store's shareholdings, and lets a text name them only where it
// shows a related_party_distress alert about a firm of the tenant's chain, or answers
// about that firm (its enterprise answer, ownership graph and report).

// relatedFirms are, per firm, the firms that may be named as its related parties: the
// firms of its chain of majority stakes up to its controller, and the firm holders
// whose penetrated share within depth is above 1/2, with every firm on a path from
// them to it.
type relatedFirms map[string]map[string]bool

// relatedFromStore computes relatedFirms for the firms of chains from the stakes the
// store holds as current.
func relatedFromStore(t *testing.T, st store.Store, depth int, chains map[string]map[string]bool) relatedFirms {
	t.Helper()
	type stake struct {
		holder string
		share  float64
	}
	holders := map[string][]stake{} // firm holders only: persons are never named by USCC
	now := time.Now()
	err := st.Shareholdings(context.Background(), func(h *credit.Shareholding) error {
		if h.HolderKind == credit.HolderFirm && h.CurrentAt(now) {
			holders[h.Investee] = append(holders[h.Investee], stake{h.Holder, h.Share})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := relatedFirms{}
	for _, chain := range chains {
		for firm := range chain {
			if out[firm] != nil {
				continue
			}
			rel := map[string]bool{}
			// The controller's chain: each firm's one holder above 1/2, until none or a cycle.
			for v, seen := firm, map[string]bool{firm: true}; ; {
				next := ""
				for _, s := range holders[v] {
					if s.share > 0.5 {
						next = s.holder
					}
				}
				if next == "" || seen[next] {
					break
				}
				seen[next], rel[next], v = true, true, next
			}
			// Penetrated shares over simple paths within depth, and the firms on them.
			pen, on := map[string]float64{}, map[string]map[string]bool{}
			var walk func(v string, product float64, path []string)
			walk = func(v string, product float64, path []string) {
				if len(path) >= depth { // the next link would be the (depth+1)-th
					return
				}
				for _, s := range holders[v] {
					if slices.Contains(path, s.holder) || s.holder == firm {
						continue
					}
					p := product * s.share
					pen[s.holder] += p
					if on[s.holder] == nil {
						on[s.holder] = map[string]bool{}
					}
					for _, x := range path {
						on[s.holder][x] = true
					}
					walk(s.holder, p, append(slices.Clone(path), s.holder))
				}
			}
			walk(firm, 1, []string{})
			for h, share := range pen {
				if share > 0.5+1e-9 {
					rel[h] = true
					for x := range on[h] {
						rel[x] = true
					}
				}
			}
			delete(rel, firm)
			out[firm] = rel
		}
	}
	return out
}

// shownRelated returns the related parties text may name: those of each firm of chain
// about which it shows a related_party_distress alert (the rule's name or title, and
// the firm).
func (r relatedFirms) shownRelated(text string, chain map[string]bool) map[string]bool {
	if !strings.Contains(text, "related_party_distress") && !strings.Contains(text, "关联方信用风险") &&
		!strings.Contains(text, "Related party in distress") {
		return nil
	}
	out := map[string]bool{}
	for firm := range chain {
		if len(r[firm]) > 0 && strings.Contains(text, firm) {
			for x := range r[firm] {
				out[x] = true
			}
		}
	}
	return out
}
