package demo

import (
	"testing"

	"github.com/chainrisk/chainrisk/credit"
)

// TestProvinceEventMix: the mix is the generator's, in the catalogue, and a caller
// changing its copy changes nothing for the next.
func TestProvinceEventMix(t *testing.T) {
	mix := ProvinceEventMix()
	if len(mix) != len(provinceEvents) {
		t.Fatalf("%d types, the generator draws %d", len(mix), len(provinceEvents))
	}
	cat := credit.NewCatalogue()
	total := 0
	for i, m := range mix {
		if m.Type != provinceEvents[i].name || m.Weight != provinceEvents[i].weight {
			t.Errorf("type %d: %s weight %d, the generator's %s weight %d", i, m.Type, m.Weight,
				provinceEvents[i].name, provinceEvents[i].weight)
		}
		if _, ok := cat.Lookup(m.Type); !ok {
			t.Errorf("%s is not in the catalogue", m.Type)
		}
		if (m.Repaired > 0) != (m.RepairedBy != "") {
			t.Errorf("%s: repaired share %v, repaired by %q", m.Type, m.Repaired, m.RepairedBy)
		}
		total += m.Weight
	}
	if total != 1000 {
		t.Errorf("weights sum to %d, want 1000 (per mille)", total)
	}
	mix[0].Weight = 0
	if ProvinceEventMix()[0].Weight == 0 {
		t.Error("a caller's change reached the generator's mix")
	}
}
