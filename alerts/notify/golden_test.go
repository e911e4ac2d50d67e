package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/alerts/notify/notifytest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	notifytest.Golden(t, *update, filepath.Join("testdata", "golden", name), got)
}

// everyRule is one firing notification per rule, and the resolved form.
func everyRule(lang string) []*Notification {
	down := firingDowngrade(lang)
	b := batch3(lang)
	chain := resolvedChainRisk(lang)
	chain.Status, chain.EndedAt, chain.Severity = StatusFiring, time.Time{}, "warning"
	chain.Values = map[string]float64{"chain_risk": 0.27, "threshold": 0.2, "supply_at_risk": 0.18}
	chain.Reasons = []string{"91330206MA2AHK5R3T grade B → C, share 35%", "91330281MA2GQW8N6C grade C → D, share 80%"}
	single := firingDowngrade(lang)
	single.Rule, single.Severity, single.Tier = "single_source", "critical", 1
	single.Path, single.PathNames, single.PathShares = single.Path[1:], single.PathNames[1:], single.PathShares[1:]
	single.Subject = Firm{USCC: gearbox.USCC, Name: gearbox.Name, Grade: "C", PreviousGrade: "B"}
	single.Values = nil
	repair := firingDowngrade(lang)
	repair.Rule, repair.Severity, repair.Leader, repair.Path, repair.PathNames, repair.PathShares = "repair_done", "info", nil, nil, nil, nil
	repair.Subject = Firm{USCC: sensors.USCC, Name: sensors.Name, Grade: "B", PreviousGrade: "C"}
	repair.Reasons, repair.Values = []string{"administrative_penalty repaired (2026-11-18)"}, nil
	stale := firingDowngrade(lang)
	stale.Rule, stale.Severity, stale.Tier = "stale_data", "info", -1
	stale.Subject = Firm{USCC: bearings.USCC, Name: bearings.Name, Grade: "B"}
	stale.Path, stale.PathNames, stale.PathShares = []string{bearings.USCC, leaderRef.USCC}, []string{bearings.Name, leaderRef.Name}, []float64{0.15}
	stale.Reasons, stale.Values = nil, map[string]float64{"age_days": 213}
	related := firingDowngrade(lang)
	related.Rule, related.Tier = "related_party_distress", 1
	related.Path, related.PathNames, related.PathShares = related.Path[1:], related.PathNames[1:], related.PathShares[1:]
	related.Subject = Firm{USCC: gearbox.USCC, Name: gearbox.Name, Grade: "B"}
	related.Values = map[string]float64{"score": 760}
	related.Reasons = []string{"actual controller 宁波远航控股集团有限公司 (91330200MA2H0LD1N9), penetrated share 39%: grade D; dishonest_judgment_debtor"}
	if lang == "zh" {
		related.Reasons = []string{"实际控制人 宁波远航控股集团有限公司 (91330200MA2H0LD1N9)，穿透持股 39%：信用等级 D；失信被执行人"}
	}
	unknown := firingDowngrade(lang)
	unknown.Rule, unknown.Subject.Name = "custom_rule", ""
	resolvedDown := firingDowngrade(lang)
	resolvedDown.Status, resolvedDown.EndedAt = StatusResolved, t0.Add(26*time.Hour)
	resolvedDown.Subject.Grade = "B"
	// The figures as of the resolving scan: back at 700, p 0.012, no event left.
	resolvedDown.Values, resolvedDown.Reasons = map[string]float64{"score": 700, "p": 0.012}, nil
	resolvedDown.ResolveReason = ResolveGradeRecovered
	out := []*Notification{down, b[1], related, chain, b[2], single, repair, stale, unknown, resolvedDown, resolvedChainRisk(lang)}
	for _, n := range out {
		titled(n) // the rules changed above
	}
	return out
}

func TestSummaryGolden(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		var out bytes.Buffer
		for _, n := range everyRule(lang) {
			s, err := Summary(n)
			if err != nil {
				t.Fatalf("%s %s: %v", lang, n.Rule, err)
			}
			fmt.Fprintf(&out, "=== %s %s\n%s\n\n", n.Rule, n.Status, s)
		}
		golden(t, "summaries."+lang+".golden", out.Bytes())
	}
}

// goldenChannels are the payload goldens' channels by golden name, with the options
// each needs: every HTTP channel type, once or in its variants (testKind.goldens).
func goldenChannels() map[string]struct {
	kind string
	opts func(*Options)
} {
	out := map[string]struct {
		kind string
		opts func(*Options)
	}{}
	for _, kind := range httpKinds() {
		variants := testKinds[kind].goldens
		if variants == nil {
			variants = map[string]func(*Options){kind: nil}
		}
		for name, opts := range variants {
			out[name] = struct {
				kind string
				opts func(*Options)
			}{kind, opts}
		}
	}
	return out
}

var goldenCases = []struct {
	name  string
	batch func(lang string) []*Notification
}{
	{"firing", func(lang string) []*Notification { return []*Notification{firingDowngrade(lang)} }},
	{"resolved", func(lang string) []*Notification { return []*Notification{resolvedChainRisk(lang)} }},
	{"batch", batch3},
	{"group", func(lang string) []*Notification { return []*Notification{groupAlert(lang)} }},
	{"snapshot", func(lang string) []*Notification { return []*Notification{snapshotOf2(lang)} }},
	{"digest", func(lang string) []*Notification { return []*Notification{dailyDigest(lang)} }},
}

// TestPayloadGolden records what each channel sends for the fixed notifications at the
// fixed time: path and query, the headers that matter, and the body (indented, with the
// markdown of bots spelled out).
func TestPayloadGolden(t *testing.T) {
	channels := goldenChannels()
	for _, chName := range slices.Sorted(maps.Keys(channels)) {
		ch := channels[chName]
		for _, lang := range []string{"zh", "en"} {
			for _, tc := range goldenCases {
				name := chName + "." + lang + "." + tc.name + ".golden"
				t.Run(name, func(t *testing.T) {
					clock := newFakeClock()
					rv := newReceiver(t, clock, okAnswer(ch.kind))
					opts := testOptions(t, clock, nil)
					if ch.opts != nil {
						ch.opts(&opts)
					}
					n := mustNotifier(t, testChannel(ch.kind, rv.URL), opts)
					for i, r := range n.Send(context.Background(), tc.batch(lang)) {
						if r.Err != nil {
							t.Fatalf("notification %d: %v", i, r.Err)
						}
					}
					golden(t, name, dumpRequests(t, rv.Requests()))
				})
			}
		}
	}
}

func dumpRequests(t *testing.T, reqs []notifytest.Capture) []byte {
	t.Helper()
	var out bytes.Buffer
	for i, r := range reqs {
		if i > 0 {
			out.WriteString("\n----\n\n")
		}
		fmt.Fprintf(&out, "%s %s", r.Method, r.Path)
		if r.RawQuery != "" {
			q, err := url.ParseQuery(r.RawQuery)
			if err != nil {
				t.Fatal(err)
			}
			out.WriteString("?" + q.Encode())
		}
		out.WriteString("\n")
		var names []string
		for k := range r.Header {
			if k == "Content-Type" || k == "Idempotency-Key" || strings.HasPrefix(k, "X-Chainrisk-") {
				names = append(names, k)
			}
		}
		slices.Sort(names)
		for _, k := range names {
			fmt.Fprintf(&out, "%s: %s\n", k, r.Header.Get(k))
		}
		out.WriteString("\n")
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, r.Body, "", "  "); err != nil {
			t.Fatalf("body is not JSON: %v\n%s", err, r.Body)
		}
		out.Write(pretty.Bytes())
		out.WriteString("\n")
		if text := botText(r.Body); text != "" {
			out.WriteString("\n# as shown\n" + text + "\n")
		}
	}
	return out.Bytes()
}

// botText digs the markdown out of a bot message.
func botText(body []byte) string {
	var m struct {
		Markdown struct{ Content, Text string } `json:"markdown"`
		Card     struct {
			Body struct {
				Elements []struct{ Content string } `json:"elements"`
			} `json:"body"`
		} `json:"card"`
	}
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	switch {
	case m.Markdown.Content != "":
		return m.Markdown.Content
	case m.Markdown.Text != "":
		return m.Markdown.Text
	case len(m.Card.Body.Elements) > 0:
		return m.Card.Body.Elements[0].Content
	}
	return ""
}
