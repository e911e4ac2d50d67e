package monitor_test

import (
	"context"
	"testing"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
	"github.com/chainrisk/chainrisk/match"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/storetest"
)

// matchOne matches a name with the state's current name index.
func matchOne(t *testing.T, st *monitor.State, name string) match.Result {
	t.Helper()
	ix, err := st.WaitNameIndex(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := ix.Match(name, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The name index is handed on by scans that change no firm's identity, and a new
// version follows a rename, a new former name or a new firm; the new version finds
// the new names, a former name included.
func TestNamesFollowIdentities(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	apply(t, s, &store.Chunk{Kind: credit.KindEnterprises, Lines: []int{2, 3}, Enterprises: []credit.Enterprise{
		{USCC: storetest.USCC(1), Name: "黑龙江松花江大豆产业集团股份有限公司", Region: "230109"},
		{USCC: storetest.USCC(2), Name: "齐齐哈尔鹤乡乳业集团股份有限公司", Region: "230200"},
	}})
	eng := newEngineWith(s, demo.AnchorTime(), config.Default())
	run := func(kind string, touched []string) *monitor.State {
		t.Helper()
		if _, err := eng.Run(ctx, monitor.Request{Kind: kind, Trigger: "test", Touched: touched}); err != nil {
			t.Fatal(err)
		}
		return eng.State()
	}
	st1 := run(monitor.ScanFull, nil)
	if st1.Names == nil || st1.Names.Version != 1 {
		t.Fatalf("first state's names: %+v", st1.Names)
	}
	if r := matchOne(t, st1, "松花江大豆产业集团"); r.Status != match.StatusExact || r.USCC != storetest.USCC(1) {
		t.Errorf("before: %+v", r)
	}

	// Tags and revenue are no identity: the same Names, its index already built.
	rev := 5e8
	a := apply(t, s, &store.Chunk{Kind: credit.KindEnterprises, Lines: []int{2}, Enterprises: []credit.Enterprise{
		{USCC: storetest.USCC(2), Name: "齐齐哈尔鹤乡乳业集团股份有限公司", Region: "230200", Tags: []string{"listed"}, Revenue: &rev}}})
	st2 := run(monitor.ScanIncremental, a.Touched)
	if st2.Names != st1.Names {
		t.Errorf("a tag and revenue change made names version %d, want the previous one handed on", st2.Names.Version)
	}
	if st3 := run(monitor.ScanFull, nil); st3.Names != st1.Names {
		t.Errorf("a full scan of unchanged identities made names version %d", st3.Names.Version)
	}

	// A rename that keeps the old name as a former name: version 2 finds both.
	a = apply(t, s, &store.Chunk{Kind: credit.KindEnterprises, Lines: []int{2}, Enterprises: []credit.Enterprise{
		{USCC: storetest.USCC(2), Name: "北大荒鹤乡乳业有限公司", Region: "230200",
			FormerNames: []string{"齐齐哈尔鹤乡乳业集团股份有限公司"}}}})
	st4 := run(monitor.ScanIncremental, a.Touched)
	if st4.Names == st1.Names || st4.Names.Version != 2 {
		t.Fatalf("after a rename: names version %d, want 2", st4.Names.Version)
	}
	// Until version 2 is built, version 1's index may answer, marked as not current.
	ix, current, err := st4.NameIndex(ctx)
	old, _ := st1.WaitNameIndex(ctx)
	if err != nil || (!current && ix != old) {
		t.Errorf("Index while building: current=%v, the old index: %v, %v", current, ix == old, err)
	}
	for _, name := range []string{"北大荒鹤乡乳业有限公司", "齐齐哈尔鹤乡乳业集团股份有限公司"} {
		if r := matchOne(t, st4, name); r.Status != match.StatusExact || r.USCC != storetest.USCC(2) {
			t.Errorf("after the rename, %s: %+v", name, r)
		}
	}
	if r, _ := old.Match("北大荒鹤乡乳业有限公司", "", ""); r.USCC != "" {
		t.Errorf("version 1 knew the new name: %+v", r)
	}

	// A new firm is a new version too.
	a = apply(t, s, &store.Chunk{Kind: credit.KindEnterprises, Lines: []int{2}, Enterprises: []credit.Enterprise{
		{USCC: storetest.USCC(3), Name: "大庆三江石油化工集团有限公司", Region: "230600"}}})
	st5 := run(monitor.ScanIncremental, a.Touched)
	if st5.Names.Version != 3 {
		t.Errorf("after a new firm: names version %d, want 3", st5.Names.Version)
	}
	if r := matchOne(t, st5, "大庆三江石油化工"); r.USCC != storetest.USCC(3) {
		t.Errorf("the new firm: %+v", r)
	}
}
