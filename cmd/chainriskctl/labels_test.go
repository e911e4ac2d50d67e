package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeAPI answers the paths of answers with their JSON, and points the API commands
// at itself.
func fakeAPI(t *testing.T, answers map[string]string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := answers[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":"not_found","message":"no such thing"}}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	t.Setenv("CHAINRISK_SERVER", srv.URL)
	t.Setenv("CHAINRISK_TOKEN", "t")
}

const (
	leaderA = "912301099436075960"
	firmB   = "91231100843841844D"
	firmC   = "91231100MA23PB595W"
)

// fakeChain is a chain's summary whose top contributor's path passes a firm the
// answer gives no name (firmC is neither a member nor a contributor); fakeMembers
// its members' export.
const (
	fakeChain = `{"leader":"` + leaderA + `","name":"大豆集团","grade":"A","chain_risk":0.12,"supply_at_risk":0.25,
"demand_at_risk":0.002,"supplied_relations":0,"member_count":2,"members_url":"/api/v1/chains/` + leaderA + `/members",
"top_contributors":[{"uscc":"` + firmB + `","name":"金穗收储","tier":2,"p":0.09,"contribution":0.02,
 "path":["` + firmB + `","` + firmC + `","` + leaderA + `"]}]}`
	fakeMembers = `{"uscc":"` + leaderA + `","name":"大豆集团","tier":0,"grade":"A","p":0.01,"d":0.12}
{"uscc":"` + firmB + `","name":"金穗收储","tier":1,"grade":"C","p":0.09,"d":0.45}
`
)

// TestChainTable: the contributors have a name column, their paths read as names
// (the USCC where the answer has none), and a legend explains P, D and the tiers, in
// the language asked for.
func TestChainTable(t *testing.T) {
	fakeAPI(t, map[string]string{"/api/v1/chains/" + leaderA: fakeChain, "/api/v1/chains/" + leaderA + "/members": fakeMembers})
	code, out, errOut := runCmd(run, "chain", leaderA, "--lang", "zh")
	if code != exitOK {
		t.Fatalf("chain: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"龙头 大豆集团 " + leaderA + "  评级 A",
		"链风险 0.12  供应风险 0.25  需求风险 0.002",
		"代码                名称      层级  P     贡献  传导路径",
		firmB + "  金穗收储  2     0.09  0.02  金穗收储 → " + firmC + " → 大豆集团",
		"P = 单体违约概率", "D = 网络困境度", "−1、−2… 为下游客户",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("chain --lang zh lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd(run, "chain", "--lang", "en", leaderA)
	for _, want := range []string{"leader 大豆集团 " + leaderA, "USCC                NAME      TIER", "TOP CONTRIBUTORS",
		"P = standalone default probability", "D = network distress", "−1, −2… = customers downstream"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("chain --lang en: exit %d, lacks %q:\n%s", code, want, out)
		}
	}
	// --format is kept, with a word that it is deprecated.
	code, out, errOut = runCmd(run, "chain", leaderA, "--format", "json")
	if code != exitOK || !strings.HasPrefix(out, "{") || !strings.Contains(errOut, "--format is deprecated") {
		t.Errorf("chain --format json: exit %d, %q %q", code, out, errOut)
	}
}

// TestLangDefault: the labels follow LC_ALL, else LANG: English when it starts with
// en, Chinese otherwise.
func TestLangDefault(t *testing.T) {
	for _, c := range []struct{ lcAll, lang, want string }{
		{"", "", "zh"},
		{"", "en_US.UTF-8", "en"},
		{"", "zh_CN.UTF-8", "zh"},
		{"", "C", "zh"},
		{"zh_CN.UTF-8", "en_US.UTF-8", "zh"},
		{"en_GB.UTF-8", "zh_CN.UTF-8", "en"},
	} {
		t.Setenv("LC_ALL", c.lcAll)
		t.Setenv("LANG", c.lang)
		if got := defaultLang(); string(got) != c.want {
			t.Errorf("LC_ALL=%q LANG=%q: %s, want %s", c.lcAll, c.lang, got, c.want)
		}
	}
	t.Setenv("LC_ALL", "")
	t.Setenv("LANG", "zh_CN.UTF-8")
	fakeAPI(t, map[string]string{"/api/v1/chains/" + leaderA: fakeChain, "/api/v1/chains/" + leaderA + "/members": fakeMembers})
	if code, out, _ := runCmd(run, "chain", leaderA); code != exitOK || !strings.Contains(out, "主要风险来源") {
		t.Errorf("chain under LANG=zh_CN: exit %d:\n%s", code, out)
	}
	if code, _, errOut := runCmd(run, "chain", leaderA, "--lang", "fr"); code != exitUsage || !strings.Contains(errOut, `--lang "fr": want zh or en`) {
		t.Errorf("--lang fr: exit %d, %q", code, errOut)
	}
}

// TestMessages: every label has both languages, with the same format verbs.
func TestMessages(t *testing.T) {
	for key, m := range messages {
		if m.zh == "" || m.en == "" {
			t.Errorf("%s: %+v", key, m)
		}
		if strings.Count(m.zh, "%") != strings.Count(m.en, "%") {
			t.Errorf("%s: the zh and en labels take different arguments: %q %q", key, m.zh, m.en)
		}
	}
}

// TestTimesInShanghai: listings print times in Asia/Shanghai with the offset shown,
// whatever the machine's zone.
func TestTimesInShanghai(t *testing.T) {
	saved := time.Local
	time.Local = time.FixedZone("EST", -5*3600)
	t.Cleanup(func() { time.Local = saved })
	at := time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC)
	if got := showTime(at); got != "2026-03-01 08:30:00 +08:00" {
		t.Errorf("showTime: %q", got)
	}
	fakeAPI(t, map[string]string{
		"/api/v1/scans": `{"scans":[{"id":7,"kind":"full","scope":"all","trigger":"cli","status":"succeeded",
			"started_at":"2026-03-01T00:30:00Z","finished_at":"2026-03-01T00:30:02.5Z"}],"next_cursor":null}`,
		"/api/v1/alerts": `{"alerts":[{"id":"a1","rule":"severe_event","severity":"critical","state":"firing",
			"subject":{"uscc":"` + firmB + `","name":"金穗收储","grade":"D"},"started_at":"2026-03-01T23:59:00+08:00"}]}`,
	})
	code, out, errOut := runCmd(run, "scans")
	if code != exitOK || !strings.Contains(out, "2026-03-01 08:30:00 +08:00  2.50") {
		t.Errorf("scans: exit %d, %q %q", code, out, errOut)
	}
	code, out, errOut = runCmd(run, "alerts")
	if code != exitOK || !strings.Contains(out, "2026-03-01 23:59:00 +08:00") {
		t.Errorf("alerts: exit %d, %q %q", code, out, errOut)
	}
}

// TestEnterpriseWhy: the why of a firm names each event by its type's meaning.
func TestEnterpriseWhy(t *testing.T) {
	fakeAPI(t, map[string]string{"/api/v1/enterprises/" + firmC: `{"uscc":"` + firmC + `","name":"丰泽农业","grade":"D",
		"scored_at":"2026-03-01T00:00:00Z",
		"explanation":[{"kind":"event","event_id":"E1","type":"dishonest_judgment_debtor","points":-350,"decay":1,"effective":-350},
		 {"kind":"event","event_id":"E2","type":"custom_type","points":-10,"decay":0.5,"effective":-5}],
		"events":[{"event_id":"E1","type":"dishonest_judgment_debtor","meaning":"失信被执行人"},{"event_id":"E2","type":"custom_type"}]}`})
	code, out, errOut := runCmd(run, "enterprise", firmC, "--lang", "zh")
	for _, want := range []string{"评分依据（影响最大的在前）：", "E1  失信被执行人  -350 分 × 衰减 1 = -350",
		"E2  custom_type   -10 分 × 衰减 0.5 = -5", "评分时间          2026-03-01 08:00:00 +08:00"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("enterprise: exit %d, lacks %q:\n%s%s", code, want, out, errOut)
		}
	}
	if strings.Contains(out, "dishonest_judgment_debtor") {
		t.Errorf("the why shows the type's code beside its meaning:\n%s", out)
	}
}

// TestStressLegend: stress names the firms it lists and explains H, R and defaults;
// the offline form too.
func TestStressLegend(t *testing.T) {
	fakeAPI(t, map[string]string{"/api/v1/stress": `{"R":0.0625,"defaults":1,"iterations":7,
		"top":[{"uscc":"` + firmB + `","name":"金穗收储","h":1}]}`})
	code, out, errOut := runCmd(run, "stress", "--shock", firmB, "--lang", "zh")
	for _, want := range []string{"R 0.0625  违约企业 1  迭代 7", firmB + "  金穗收储  1", "H = 企业的困境度", "R = 冲击在系统中造成的损失",
		"违约企业 = H 达到 1 的企业数"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("stress --lang zh: exit %d, lacks %q:\n%s%s", code, want, out, errOut)
		}
	}
	dir := t.TempDir()
	net := write(t, dir, "net.csv", "from,to,impact\nA,B,1\n")
	code, out, errOut = runCmd(run, "stress", "--network", net, "--shock", "A", "--lang", "en")
	// Equal values 1/2: B's h rises 0 → 1, so R = 1/2; A (shocked) and B default.
	for _, want := range []string{"R           0.5\n", "defaults    2\n", "H = a firm's distress (0 unharmed, 1 defaulted)", "defaults = firms whose H reached 1"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("offline stress --lang en: exit %d, lacks %q:\n%s%s", code, want, out, errOut)
		}
	}
}

// TestCheckReasonsLang: a check's reasons are the report's Chinese ones, or its
// English ones with --lang en.
func TestCheckReasonsLang(t *testing.T) {
	report := `{"id":3,"verdict":"reject","reasons":[{"code":"controller_grade_d","severity":"reject","zh":"实际控制人评级为 D",
		"en":"actual controller is grade D"}],"target":{"uscc":"` + firmB + `","name":"金穗收储","found":true},
		"checked_at":"2026-03-01T00:00:00Z"}`
	fakeAPI(t, map[string]string{"/api/v1/checks/3": report})
	code, out, _ := runCmd(run, "checks", "show", "3", "--lang", "zh")
	for _, want := range []string{"检查 3：" + firmB + " 金穗收储：REJECT", "理由：", "实际控制人评级为 D", "检查于 2026-03-01 08:00:00 +08:00"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("checks show --lang zh: exit %d, lacks %q:\n%s", code, want, out)
		}
	}
	code, out, _ = runCmd(run, "checks", "show", "--lang", "en", "3")
	if code != exitOK || !strings.Contains(out, "actual controller is grade D") || strings.Contains(out, "实际控制人评级为 D") {
		t.Errorf("checks show --lang en: exit %d:\n%s", code, out)
	}
	if code, _, errOut := runCmd(run, "checks", "show", "x3"); code != exitUsage || !strings.Contains(errOut, "not a check id") {
		t.Errorf("checks show x3: exit %d, %q", code, errOut)
	}
}

// TestChainFromSummaryAndExport: the chain command joins the summary and the members'
// export into the full answer's shape, whatever the chunks the export arrives in.
func TestChainFromSummaryAndExport(t *testing.T) {
	fakeAPI(t, map[string]string{"/api/v1/chains/" + leaderA: fakeChain, "/api/v1/chains/" + leaderA + "/members": fakeMembers})
	code, out, errOut := runCmd(run, "chain", leaderA, "-o", "json")
	var ch struct {
		MemberCount int `json:"member_count"`
		Members     []struct {
			USCC string `json:"uscc"`
			Tier int    `json:"tier"`
		} `json:"members"`
	}
	if err := json.Unmarshal([]byte(out), &ch); code != exitOK || err != nil || ch.MemberCount != 2 || len(ch.Members) != 2 ||
		ch.Members[1].USCC != firmB || ch.Members[1].Tier != 1 {
		t.Fatalf("chain -o json: exit %d, %v: %s %s", code, err, out, errOut)
	}
	for _, cut := range []int{1, 7, len(fakeMembers) - 1} {
		var got []string
		w := &lineWriter{fn: func(b []byte) error { got = append(got, string(b)); return nil }}
		_, _ = w.Write([]byte(fakeMembers[:cut]))
		_, _ = w.Write([]byte(fakeMembers[cut:]))
		if err := w.close(); err != nil || len(got) != 2 || !strings.HasSuffix(got[1], `"d":0.45}`) {
			t.Errorf("cut at %d: %q %v", cut, got, err)
		}
	}
}
