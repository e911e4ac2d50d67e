package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/tokens"
)

const (
	demoList    = "../../demo/onboarding/soybean_suppliers.csv"
	demoResolve = "../../demo/onboarding/soybean_resolve.csv"
	soyLeader   = "912301099436075960"
)

// asSoybeanTenant starts the demo and makes the CLI a tenant of the soybean leader.
func asSoybeanTenant(t *testing.T) *daemon.Daemon {
	t.Helper()
	d := startDemo(t)
	plain, _, err := tokens.Create(context.Background(), d.Store(), "soybean-erp", tokens.RoleTenant, soyLeader)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CHAINRISK_TOKEN", plain)
	return d
}

func onboardJSON(t *testing.T, wantCode int, args ...string) onboardReport {
	t.Helper()
	code, out, errOut := runCmd(run, append([]string{"onboard", "-o", "json"}, args...)...)
	if code != wantCode {
		t.Fatalf("onboard %v: exit %d, want %d: %s", args, code, wantCode, errOut)
	}
	var rep onboardReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("onboard %v: %v\n%s", args, err, out)
	}
	return rep
}

// ownRelations lists the tenant's own rows through the API.
func ownRelations(t *testing.T) map[string]map[string]any {
	t.Helper()
	c := newClient(os.Getenv("CHAINRISK_SERVER"), os.Getenv("CHAINRISK_TOKEN"))
	var list struct{ Relations []map[string]any }
	if err := c.getJSON(context.Background(), "/api/v1/relations?source="+soyLeader, &list); err != nil {
		t.Fatal(err)
	}
	byUSCC := map[string]map[string]any{}
	for _, r := range list.Relations {
		byUSCC[r["supplier"].(string)] = r
	}
	return byUSCC
}

// TestOnboardDemoList: the demo's ERP list — a former name, full-width brackets, a
// missing legal form, a USCC, an ambiguous abbreviation and a firm the platform does
// not hold — dry-run with the rows left over written out, then imported with the
// ambiguous row resolved: six relations of the leader's own, estimates labelled.
func TestOnboardDemoList(t *testing.T) {
	asSoybeanTenant(t)
	left := filepath.Join(t.TempDir(), "left.csv")
	rep := onboardJSON(t, exitOK, demoList, "--dry-run", "--leftover", left)
	want := map[int]struct{ outcome, uscc string }{
		2: {outConfirm, ""}, 3: {outExact, "91231100MA23PB595W"}, 4: {outExact, "91230104MA1PMKX49H"},
		5: {outExact, "91230800767891320J"}, 6: {outExact, "9123020063751405XX"}, 7: {outGiven, "91230800MA26BHDW72"},
		8: {outNone, ""},
	}
	if len(rep.Rows) != len(want) || rep.Imported != nil {
		t.Fatalf("dry run: %d rows, imported %v", len(rep.Rows), rep.Imported)
	}
	for _, d := range rep.Rows {
		if w := want[d.Line]; d.Outcome != w.outcome || d.USCC != w.uscc {
			t.Errorf("line %d %s: %s %s, want %s %s", d.Line, d.Name, d.Outcome, d.USCC, w.outcome, w.uscc)
		}
	}
	if c := rep.Rows[0].Candidates; len(c) < 2 || !strings.Contains(candidateText(c), "91231100843841844D 黑河北疆金穗大豆收储有限公司") {
		t.Errorf("the ambiguous row's candidates: %v", c)
	}
	b, err := os.ReadFile(left)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 3 ||
		lines[0] != "line,name,outcome,reason,candidates,uscc" || !strings.HasPrefix(lines[2], "8,绥化市北林区金禾粮油贸易有限公司,none,") {
		t.Errorf("leftover file:\n%s", b)
	}
	if n := len(ownRelations(t)); n != 0 {
		t.Fatalf("a dry run imported %d relations", n)
	}

	rep = onboardJSON(t, exitOK, demoList, "--resolve", demoResolve)
	if rep.Imported == nil || !rep.Imported.OK() || rep.Imported.Accepted != 6 || rep.Counts["left_over"] != 1 ||
		rep.Counts[outConfirmed] != 1 {
		t.Fatalf("import: %+v counts %v", rep.Imported, rep.Counts)
	}
	own := ownRelations(t)
	if len(own) != 6 {
		t.Fatalf("%d own relations, want 6: %v", len(own), own)
	}
	if r := own["91231100843841844D"]; r["purchase_share"] != 0.45 || r["source"] != soyLeader {
		t.Errorf("the resolved collector: %v", r)
	}
	// 丰泽 has no registry relation to the leader: amount / revenue = 680,000,000 / 2,760,000,000.
	fz := own["91231100MA23PB595W"]
	if ss, _ := fz["sales_share"].(float64); math.Abs(ss-680.0/2760) > 1e-12 || !strings.Contains(toJSON(fz["estimated"]), "sales_share") {
		t.Errorf("丰泽's sales share: %v estimated %v, want 0.24638 estimated", fz["sales_share"], fz["estimated"])
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestOnboardRefusals: bad lists are refused whole, saying which line and why, and
// leave nothing behind.
func TestOnboardRefusals(t *testing.T) {
	asSoybeanTenant(t)
	dir := t.TempDir()
	for name, c := range map[string]struct{ list, want string }{
		"misspelt column": {"name,purchase_shar\n三江纸业,0.1\n", `unknown column "purchase_shar" (did you mean "purchase_share"?)`},
		"no share column": {"name\n三江纸业\n", "the purchase_share column is required"},
		"no firm column":  {"purchase_share\n0.1\n", "a supplier list names each supplier by a name column, a uscc column, or both"},
		"empty":           {"", "the file is empty"},
	} {
		file := write(t, dir, strings.ReplaceAll(name, " ", "_")+".csv", c.list)
		code, _, errOut := runCmd(run, "onboard", file)
		if code != exitError || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, %q; want %q", name, code, errOut, c.want)
		}
	}
	// Σ purchase_share past 1 with the registry's other suppliers: the store refuses the
	// row, so the strict batch commits nothing; the error names the list's line 4.
	file := write(t, dir, "over.csv", "name,uscc,purchase_share\n"+
		"佳木斯三江纸业有限公司,,0.1\n"+ // 2
		",,0.2\n"+ // 3: neither name nor uscc
		"三江纸业,,0.3\n"+ // 4: the same supplier again
		"哈尔滨三江通达物流股份有限公司,,0.95\n"+ // 5: past 1
		"哈尔滨三江通达物流股份有限公司,91230800MA26BHDW72,0.01\n") // 6: the USCC contradicts the name
	rep := onboardJSON(t, exitError, file)
	byLine := map[int]decision{}
	for _, d := range rep.Rows {
		byLine[d.Line] = d
	}
	if d := byLine[3]; d.Outcome != outError || d.Reason != "neither name nor uscc" {
		t.Errorf("line 3: %+v", d)
	}
	if d := byLine[4]; d.Outcome != outError || !strings.Contains(d.Reason, "also line 2's") {
		t.Errorf("line 4: %+v", d)
	}
	if d := byLine[6]; d.Outcome != outError || !strings.Contains(d.Reason, "contradicts the name") {
		t.Errorf("line 6: %+v", d)
	}
	if rep.Imported == nil || rep.Imported.Committed || len(rep.Imported.Errors) == 0 ||
		!strings.Contains(rep.Imported.Errors[0], "over.csv:5: ") || !strings.Contains(rep.Imported.Errors[0], "purchase_share") {
		t.Errorf("import: %+v", rep.Imported)
	}
	if n := len(ownRelations(t)); n != 0 {
		t.Errorf("a refused batch left %d relations", n)
	}
	// A GBK list: one clear error without --encoding, read with it.
	gbkFile := write(t, dir, "gbk.csv", gbk(t, "name,purchase_share\n佳木斯三江纸业有限公司,0.1\n"))
	if code, _, errOut := runCmd(run, "onboard", gbkFile, "--dry-run"); code != exitError || !strings.Contains(errOut, "--encoding gbk") {
		t.Errorf("GBK without --encoding: exit %d %q", code, errOut)
	}
	if rep := onboardJSON(t, exitOK, gbkFile, "--dry-run", "--encoding", "gbk"); rep.Rows[0].USCC != "91230800767891320J" {
		t.Errorf("GBK with --encoding gbk: %+v", rep.Rows)
	}
}

// TestConfirmPrompt: the prompt takes a candidate's number, skips on s, asks again on
// a bad answer and stops on q; a choice repeating an earlier row's supplier is left over.
func TestConfirmPrompt(t *testing.T) {
	cands := []matchCandidate{{USCC: "A", Name: "甲公司"}, {USCC: "B", Name: "乙公司"}}
	ds := []decision{
		{Line: 2, Outcome: outConfirm, Candidates: cands},
		{Line: 3, Outcome: outConfirm, Candidates: cands},
		{Line: 4, Outcome: outExact, USCC: "C"},
		{Line: 5, Outcome: outConfirm, Candidates: cands},
		{Line: 6, Outcome: outConfirm, Candidates: cands},
	}
	var out strings.Builder
	confirm(ds, strings.NewReader("7\nx\n2\ns\n2\nq\n"), &out)
	if ds[0].Outcome != outConfirmed || ds[0].USCC != "B" {
		t.Errorf("line 2: %+v", ds[0])
	}
	if ds[1].Outcome != outConfirm {
		t.Errorf("line 3, skipped: %+v", ds[1])
	}
	if ds[3].Outcome != outError || !strings.Contains(ds[3].Reason, "also line 2's") {
		t.Errorf("line 5, the same supplier as line 2: %+v", ds[3])
	}
	if ds[4].Outcome != outConfirm {
		t.Errorf("line 6, after q: %+v", ds[4])
	}
	if strings.Count(out.String(), "which one?") != 6 {
		t.Errorf("prompts:\n%s", out.String())
	}
}
