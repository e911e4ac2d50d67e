package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	soyName     = "黑龙江松花江大豆产业集团股份有限公司"
	cartonMaker = "912301113528741157"
	cartonName  = "哈尔滨松花江恒信包装制品有限公司"
)

// jsonOf runs a command that must succeed and decodes its output into v.
func jsonOf(t *testing.T, v any, args ...string) {
	t.Helper()
	code, out, errOut := runCmd(run, args...)
	if code != exitOK {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v: %v: %s", args, err, out)
	}
}

// TestLeadersChecksESRI: leaders ranks the demo's leaders by chain risk with names,
// checks lists and shows the saved checks, and esri --leader reads the chain's ESRI
// through the API.
func TestLeadersChecksESRI(t *testing.T) {
	startDemo(t)
	var ls struct {
		Total   int
		Leaders []struct {
			USCC      string
			Name      string
			ChainRisk float64 `json:"chain_risk"`
		}
	}
	jsonOf(t, &ls, "leaders", "-o", "json")
	if ls.Total != 3 || len(ls.Leaders) != 3 {
		t.Fatalf("leaders: %+v", ls)
	}
	for i := 1; i < len(ls.Leaders); i++ {
		if ls.Leaders[i].ChainRisk > ls.Leaders[i-1].ChainRisk {
			t.Errorf("leaders not by chain risk: %+v", ls.Leaders)
		}
	}
	code, out, _ := runCmd(run, "leaders", "--lang", "zh")
	lines := strings.Split(out, "\n")
	if code != exitOK || len(lines) < 5 || !strings.HasPrefix(lines[0], "排名") ||
		!strings.HasPrefix(lines[1], "1     "+ls.Leaders[0].USCC+"  "+ls.Leaders[0].Name) || !strings.Contains(out, "共 3 家龙头企业") {
		t.Errorf("leaders table: exit %d:\n%s", code, out)
	}

	var made struct{ ID int64 }
	jsonOf(t, &made, "check", cartonMaker, "-o", "json")
	var list []struct {
		ID      int64
		USCC    string
		Verdict string
	}
	jsonOf(t, &list, "checks", "--uscc", cartonMaker, "-o", "json")
	if len(list) != 1 || list[0].ID != made.ID || list[0].Verdict != "reject" {
		t.Errorf("checks --uscc: %+v, want check %d", list, made.ID)
	}
	code, out, _ = runCmd(run, "checks", "--lang", "en")
	if code != exitOK || !strings.Contains(out, cartonMaker+"  "+cartonName+"  reject") || !strings.Contains(out, "+08:00") {
		t.Errorf("checks table: exit %d:\n%s", code, out)
	}
	code, out, _ = runCmd(run, "checks", "show", fmtValue(float64(made.ID)))
	if code != exitOK || !strings.Contains(out, cartonName+": REJECT") {
		t.Errorf("checks show: exit %d:\n%s", code, out)
	}

	var esri struct {
		Leader  string
		Members []struct {
			USCC string
			ESRI float64
		}
	}
	jsonOf(t, &esri, "esri", "--leader", soyLeader, "-o", "json")
	if esri.Leader != soyLeader || len(esri.Members) == 0 {
		t.Fatalf("esri --leader: %+v", esri)
	}
	code, out, _ = runCmd(run, "esri", "--leader", soyLeader, "--lang", "en")
	if code != exitOK || !strings.HasPrefix(out, "leader "+soyName) || !strings.Contains(out, "Legend: ESRI = ") {
		t.Errorf("esri --leader table: exit %d:\n%s", code, out)
	}
	code, out, _ = runCmd(run, "esri", "-o", "csv", "--leader", soyLeader)
	if code != exitOK || !strings.HasPrefix(out, "firm,name,tier,grade,esri,esri_d,esri_u,iterations,converged\n"+esri.Members[0].USCC+",") {
		t.Errorf("esri --leader -o csv: exit %d:\n%.300s", code, out)
	}
}

// TestSubscriptionsDeliveries: a subscription made from a JSON file is listed with
// its subscriber's name, shown, and deleted; deliveries lists the outbox.
func TestSubscriptionsDeliveries(t *testing.T) {
	startDemo(t)
	file := write(t, t.TempDir(), "sub.json", `{"name":"soy-watch","subscriber":"`+soyLeader+`",
		"scope":{"kind":"chain","leader":"`+soyLeader+`"},"channels":[{"type":"log"}],"min_severity":"warning"}`)
	code, out, errOut := runCmd(run, "subscriptions", "create", file, "--lang", "en")
	if code != exitOK || out != "subscription soy-watch created\n" {
		t.Fatalf("subscriptions create: exit %d, %q %q", code, out, errOut)
	}
	code, out, _ = runCmd(run, "subscriptions")
	if code != exitOK || !strings.Contains(out, "\nsoy-watch") ||
		!strings.Contains(out, soyLeader+"  "+soyName+"  chain:"+soyLeader+"  warning") {
		t.Errorf("subscriptions: exit %d:\n%s", code, out)
	}
	var subs []struct{ Name, Source string }
	jsonOf(t, &subs, "subscriptions", "list", "-o", "json")
	if len(subs) != 2 || subs[0].Name != "demo" || subs[1].Name != "soy-watch" || subs[1].Source != "api" {
		t.Errorf("subscriptions -o json: %+v", subs)
	}
	code, out, _ = runCmd(run, "subscriptions", "show", "soy-watch")
	if code != exitOK || !strings.Contains(out, "subscriber    "+soyLeader+" "+soyName) || !strings.Contains(out, "channel 0     log\n") {
		t.Errorf("subscriptions show: exit %d:\n%s", code, out)
	}
	if code, out, errOut = runCmd(run, "subscriptions", "delete", "soy-watch", "--lang", "en"); code != exitOK || out != "subscription soy-watch deleted\n" {
		t.Errorf("subscriptions delete: exit %d, %q %q", code, out, errOut)
	}
	if code, _, errOut = runCmd(run, "subscriptions", "show", "soy-watch"); code != exitError || !strings.Contains(errOut, "not_found") {
		t.Errorf("subscriptions show after delete: exit %d, %q", code, errOut)
	}
	if code, _, errOut = runCmd(run, "subscriptions", "create", write(t, t.TempDir(), "bad.json", "{name:")); code != exitError ||
		!strings.Contains(errOut, "not a JSON document") {
		t.Errorf("subscriptions create of bad JSON: exit %d, %q", code, errOut)
	}

	var ds []struct {
		State string
		USCC  string
	}
	jsonOf(t, &ds, "deliveries", "--state", "delivered", "--limit", "1000", "-o", "json")
	if len(ds) == 0 {
		t.Fatal("the demo delivered nothing")
	}
	var named string
	for _, d := range ds {
		if d.State != "delivered" {
			t.Errorf("--state delivered lists %+v", d)
		}
		if d.USCC == soyLeader {
			named = d.USCC
		}
	}
	code, out, _ = runCmd(run, "deliveries", "--limit", "1000", "--lang", "zh")
	if code != exitOK || !strings.HasPrefix(out, "创建时间") || (named != "" && !strings.Contains(out, soyLeader+"  "+soyName)) {
		t.Errorf("deliveries table: exit %d:\n%s", code, out)
	}
}

// TestRealBinary builds chainriskctl and runs it against the demo daemon: the flag
// convention and the new commands hold for the program people run, not only for run().
func TestRealBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "chainriskctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	startDemo(t)
	ctl := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "LC_ALL=", "LANG=zh_CN.UTF-8")
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String(), errOut.String()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, out.String(), errOut.String()
	}
	var ls struct{ Leaders []struct{ USCC string } }
	code, out, errOut := ctl("leaders", "--limit", "2", "-o", "json")
	if code != 0 || json.Unmarshal([]byte(out), &ls) != nil || len(ls.Leaders) != 2 {
		t.Errorf("leaders --limit 2 -o json: exit %d, %q %q", code, out, errOut)
	}
	if code, out, _ = ctl("chain", soyLeader); code != 0 || !strings.Contains(out, "说明：P = 单体违约概率") || !strings.Contains(out, " → "+soyName) {
		t.Errorf("chain under LANG=zh_CN: exit %d:\n%s", code, out)
	}
	for _, args := range [][]string{{"chain", "-h"}, {"leaders", "--help"}, {"subscriptions", "-h"}, {"config", "check", "--help"}} {
		if code, out, errOut = ctl(args...); code != 0 || !strings.Contains(strings.ToLower(out+errOut), "usage") {
			t.Errorf("%v: exit %d, %q %q", args, code, out, errOut)
		}
	}
	if code, _, errOut = ctl("deliveries", "--stat", "dead"); code != 2 || !strings.Contains(errOut, "did you mean --state?") {
		t.Errorf("deliveries --stat: exit %d, %q", code, errOut)
	}
	if code, _, errOut = ctl("scan", "--store", filepath.Join(t.TempDir(), "typo.db")); code != 1 || !strings.Contains(errOut, "--create") {
		t.Errorf("scan --store of a missing file: exit %d, %q", code, errOut)
	}
}
