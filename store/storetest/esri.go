package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

func testESRI(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.ESRI(ctx, USCC(1)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ESRI of an empty store: %v, want ErrNotFound", err)
	}
	at := day.Add(3*time.Hour + 250*time.Millisecond)
	first := []store.ESRIResult{
		{Leader: USCC(2), ScanID: 7, ComputedAt: at, Members: 40, ESRIMax: 0.8125, NotConverged: 0,
			Detail: []byte(`{"members":[{"firm":"b"}]}`)},
		{Leader: USCC(1), ScanID: 7, ComputedAt: at, Members: 3, ESRIMax: 1.0 / 3, NotConverged: 2,
			Detail: []byte(`{"members":[{"firm":"a"}]}`)},
	}
	if err := s.SaveESRI(ctx, first, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.ESRI(ctx, USCC(1))
	if err != nil {
		t.Fatal(err)
	}
	want := first[1]
	if got.Leader != want.Leader || got.ScanID != 7 || !got.ComputedAt.Equal(at) || got.Members != 3 ||
		got.ESRIMax != 1.0/3 || got.NotConverged != 2 || string(got.Detail) != string(want.Detail) {
		t.Errorf("round trip: %+v, want %+v", got, want)
	}
	hdr, err := s.ESRIHeader(ctx, USCC(1))
	if err != nil || hdr.Leader != want.Leader || hdr.ScanID != 7 || !hdr.ComputedAt.Equal(at) || hdr.Members != 3 ||
		hdr.NotConverged != 2 || hdr.Detail != nil {
		t.Errorf("ESRIHeader = %+v %v, want the result without its detail", hdr, err)
	}
	if _, err := s.ESRIHeader(ctx, USCC(9)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ESRIHeader of a leader without a result: %v, want ErrNotFound", err)
	}
	list := func() []store.ESRIResult {
		t.Helper()
		var out []store.ESRIResult
		if err := s.ESRIResults(ctx, func(e *store.ESRIResult) error { out = append(out, *e); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if l := list(); len(l) != 2 || l[0].Leader != USCC(1) || l[1].Leader != USCC(2) || l[1].ESRIMax != 0.8125 ||
		l[0].Detail != nil || !l[1].ComputedAt.Equal(at) {
		t.Errorf("ESRIResults = %+v, want both in leader order without detail", l)
	}

	// The next run replaces leader 2's result, adds leader 3's and drops leader 1
	// (no longer leading), at once.
	later := at.Add(7 * 24 * time.Hour)
	second := []store.ESRIResult{
		{Leader: USCC(2), ScanID: 9, ComputedAt: later, Members: 41, ESRIMax: 0.5, Detail: []byte(`{"members":[]}`)},
		{Leader: USCC(3), ScanID: 9, ComputedAt: later, Members: 1, ESRIMax: 0.25, Detail: []byte(`{}`)},
	}
	if err := s.SaveESRI(ctx, second, []string{USCC(1), USCC(8)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ESRI(ctx, USCC(1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("dropped leader: %v, want ErrNotFound", err)
	}
	got, err = s.ESRI(ctx, USCC(2))
	if err != nil || got.ScanID != 9 || got.Members != 41 || got.ESRIMax != 0.5 || got.NotConverged != 0 ||
		!got.ComputedAt.Equal(later) || string(got.Detail) != `{"members":[]}` {
		t.Errorf("replaced result: %+v, %v", got, err)
	}
	if l := list(); len(l) != 2 || l[0].Leader != USCC(2) || l[1].Leader != USCC(3) {
		t.Errorf("after the second run: %+v", l)
	}

}
