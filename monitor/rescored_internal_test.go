package monitor

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/risk"
)

// TestSameFirmEveryField changes each field of a Firm in turn: sameFirm must see it,
// so a field added to Firm fails here until sameFirm compares it.
func TestSameFirmEveryField(t *testing.T) {
	base := Firm{Name: "a", FormerNames: []string{"b"}, Status: "active", Region: "230100", Industry: "C13",
		Revenue: 1, UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if b := base; !sameFirm(&base, &b) {
		t.Fatal("a copy differs")
	}
	if b := base; func() bool { b.UpdatedAt = b.UpdatedAt.In(time.FixedZone("CST", 8*3600)); return !sameFirm(&base, &b) }() {
		t.Error("the same instant in another zone differs")
	}
	typ := reflect.TypeFor[Firm]()
	for i := range typ.NumField() {
		b := base
		b.FormerNames = slices.Clone(base.FormerNames)
		f := reflect.ValueOf(&b).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Float64:
			f.SetFloat(f.Float() + 1)
		case reflect.Slice:
			f.Set(reflect.Append(f, reflect.ValueOf("y")))
		case reflect.Struct: // time.Time
			b.UpdatedAt = base.UpdatedAt.Add(time.Second)
		default:
			t.Fatalf("field %s of kind %s: teach this test to change it", typ.Field(i).Name, f.Kind())
		}
		if sameFirm(&base, &b) {
			t.Errorf("sameFirm misses a change of %s", typ.Field(i).Name)
		}
	}
}

// TestReplaceRefs checks the run-copying replaceRefs against laying every node out
// one by one.
func TestReplaceRefs(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	naive := func(start0 []int32, refs0 []risk.EventRef, n0, n int, replace map[int32][]risk.EventRef) ([]int32, []risk.EventRef) {
		start := make([]int32, n+1)
		var out []risk.EventRef
		for v := range n {
			if evs, ok := replace[int32(v)]; ok {
				out = append(out, evs...)
			} else if v < n0 {
				out = append(out, refs0[start0[v]:start0[v+1]]...)
			}
			start[v+1] = int32(len(out))
		}
		return start, out
	}
	for trial := range 500 {
		n0 := r.IntN(30)
		n := n0 + r.IntN(4)
		start0 := make([]int32, n0+1)
		var refs0 []risk.EventRef
		for v := range n0 {
			for range r.IntN(3) {
				refs0 = append(refs0, risk.EventRef{Type: uint16(r.IntN(5)), At: int64(v)})
			}
			start0[v+1] = int32(len(refs0))
		}
		replace := map[int32][]risk.EventRef{}
		for range r.IntN(5) {
			if n == 0 {
				break
			}
			v := int32(r.IntN(n))
			var evs []risk.EventRef
			for range r.IntN(3) {
				evs = append(evs, risk.EventRef{Type: uint16(r.IntN(5)), At: -int64(v)})
			}
			replace[v] = evs
		}
		ws, wo := naive(start0, refs0, n0, n, replace)
		gs, gout := replaceRefs(start0, refs0, n0, n, replace)
		if !slices.Equal(ws, gs) || !slices.Equal(wo, gout) {
			t.Fatalf("trial %d (n0 %d, n %d, replace %v):\nwant %v %v\ngot  %v %v", trial, n0, n, replace, ws, wo, gs, gout)
		}
	}
}
