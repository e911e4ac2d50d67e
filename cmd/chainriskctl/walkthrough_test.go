package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadmeWalkthrough follows the README: start the demo, import a new event with
// chainriskctl, trigger a rescan and see the changed chain.
func TestReadmeWalkthrough(t *testing.T) {
	d := startDemo(t)

	// The soybean leader and a healthy tier-1 supplier of it.
	st := d.State()
	var leader string
	for _, v := range st.Leaders {
		if strings.Contains(st.Firms[v].Name, "大豆") {
			leader = st.Snap.IDs[v]
		}
	}
	chainRisk := func() float64 {
		var out bytes.Buffer
		if code := run([]string{"chain", leader, "--output", "json"}, &out, os.Stderr); code != 0 {
			t.Fatalf("chain: exit %d", code)
		}
		var ch struct {
			ChainRisk float64 `json:"chain_risk"`
		}
		if err := json.Unmarshal(out.Bytes(), &ch); err != nil {
			t.Fatal(err)
		}
		return ch.ChainRisk
	}
	before := chainRisk()
	lv, _ := st.Index(leader)
	x := st.Chains[lv]
	var supplier string
	for _, c := range x.Concentration {
		for _, s := range c.SingleSource {
			if c.USCC == leader {
				supplier = s.Supplier
			}
		}
	}
	if supplier == "" {
		t.Fatal("the demo's soybean leader has no single-source supplier")
	}
	file := filepath.Join(t.TempDir(), "event.csv")
	text := "event_id,uscc,type,occurred_at,source,description\nDEMO-NEW-1," + supplier +
		",dishonest_judgment_debtor," + time.Now().Format("2006-01-02") + ",中国执行信息公开网,列入失信被执行人名单\n"
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"import", "events", file}, &out, &errOut); code != 0 {
		t.Fatalf("import: exit %d: %s %s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{"rescan", "--scope", "chain:" + leader, "--wait"}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "succeeded") {
		t.Fatalf("rescan: exit %d: %s %s", code, out.String(), errOut.String())
	}
	after := chainRisk()
	if after <= before {
		t.Errorf("chain risk %v → %v: the supplier's new critical event did not raise it", before, after)
	}
	// The table forms work too.
	for _, args := range [][]string{{"scans"}, {"enterprise", supplier}, {"chain", leader}, {"chain", leader, "-o", "dot"}} {
		out.Reset()
		if code := run(args, &out, &errOut); code != 0 || out.Len() == 0 {
			t.Errorf("%v: exit %d, %d bytes", args, code, out.Len())
		}
	}
	if !strings.Contains(out.String(), "digraph") {
		t.Errorf("dot output: %.80q", out.String())
	}
	// The supplier's history: the startup scan's entry and the import's scan's,
	// which made it D.
	out.Reset()
	if code := run([]string{"enterprise", supplier}, &out, &errOut); code != 0 {
		t.Fatalf("enterprise: exit %d: %s", code, errOut.String())
	}
	_, hist, _ := strings.Cut(out.String(), "history (newest first):\n")
	if lines := strings.Split(strings.TrimSpace(hist), "\n"); len(lines) < 2 || !strings.Contains(lines[0], "api:") ||
		!strings.Contains(lines[0], " D ") || !strings.Contains(lines[len(lines)-1], "startup") {
		t.Errorf("enterprise table without the history of the downgrade:\n%s", out.String())
	}
}
