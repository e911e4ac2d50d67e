package lists

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/risk"
)

// provinceInput is an input of n firms laid out as a scan's state is (flat arrays,
// events by firm): grades A 20 %, B 55 %, C 17 %, D 8 %; 95 % active; about 1.16 active
// events per firm (the province of docs/performance.md: 1,155,643 at 1M) and 0.3
// events of the lookback, of random catalogue types over three years.
func provinceInput(n int) *Input {
	rng := rand.New(rand.NewPCG(1, 2))
	m := risk.NewModel(risk.DefaultScoreParams(), credit.NewCatalogue())
	types := len(m.Catalogue.Names())
	grades := make([]risk.Grade, n)
	status := make([]credit.Status, n)
	aStart, rStart := make([]int32, n+1), make([]int32, n+1)
	var active, recent []risk.EventRef
	at := clock.Unix()
	for v := range n {
		switch p := rng.Float64(); {
		case p < 0.20:
			grades[v] = risk.GradeA
		case p < 0.75:
			grades[v] = risk.GradeB
		case p < 0.92:
			grades[v] = risk.GradeC
		default:
			grades[v] = risk.GradeD
		}
		status[v] = credit.StatusActive
		if rng.Float64() < 0.05 {
			status[v] = credit.StatusAbnormal
		}
		for range rng.IntN(3) + boolInt(rng.Float64() < 0.16) {
			active = append(active, risk.EventRef{Type: uint16(rng.IntN(types)), At: at - rng.Int64N(3*365*86400)})
		}
		if rng.Float64() < 0.3 {
			recent = append(recent, risk.EventRef{Type: uint16(rng.IntN(types)), At: at - rng.Int64N(3*365*86400)})
		}
		aStart[v+1], rStart[v+1] = int32(len(active)), int32(len(recent))
	}
	ids := make([]string, n)
	for v := range ids {
		ids[v] = fmt.Sprintf("91230100%09dX", (v*7919)%n) // in no particular order
	}
	return &Input{At: clock, Model: m, Grade: grades, IDs: ids,
		Status: func(v int32) credit.Status { return status[v] },
		Active: func(v int32) []risk.EventRef { return active[aStart[v]:aStart[v+1]] },
		Recent: func(v int32) []risk.EventRef { return recent[rStart[v]:rStart[v+1]] }}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkCompute is a full scan's membership of the three default lists.
func BenchmarkCompute(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		in := provinceInput(n)
		s := MustSet(Defaults())
		b.Run(fmt.Sprintf("firms=%d", n), func(b *testing.B) {
			var m *Membership
			for b.Loop() {
				m = Compute(s, in)
			}
			b.ReportMetric(float64(m.Count(0)+m.Count(1)+m.Count(2)), "members")
		})
	}
}

// BenchmarkPatch is an incremental scan's: 100 firms evaluated again at 1M.
func BenchmarkPatch(b *testing.B) {
	in := provinceInput(1_000_000)
	s := MustSet(Defaults())
	prev := Compute(s, in)
	nodes := make([]int32, 100)
	for i := range nodes {
		nodes[i] = int32(i * 9973)
	}
	for b.Loop() {
		Patch(prev, s, in, nodes)
	}
}

// BenchmarkSorted orders the members of each list by USCC, as the first API read
// after a full scan does.
func BenchmarkSorted(b *testing.B) {
	in := provinceInput(1_000_000)
	s := MustSet(Defaults())
	prev := Compute(s, in)
	for b.Loop() {
		m := Patch(prev, s, in, nil) // a fresh membership, nothing sorted yet
		for l := range s.Len() {
			m.Sorted(l)
		}
	}
}

// BenchmarkPatchSorted is an incremental scan's membership when the lists had been
// read: 100 firms evaluated again and the three orders carried over.
func BenchmarkPatchSorted(b *testing.B) {
	in := provinceInput(1_000_000)
	s := MustSet(Defaults())
	prev := Compute(s, in)
	for l := range s.Len() {
		prev.Sorted(l)
	}
	nodes := make([]int32, 100)
	for i := range nodes {
		nodes[i] = int32(i * 9973)
	}
	for b.Loop() {
		Patch(prev, s, in, nodes)
	}
}
