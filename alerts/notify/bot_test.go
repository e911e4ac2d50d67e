package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// manyNotifications are n firing downgrades of distinct firms.
func manyNotifications(n int, lang string) []*Notification {
	out := make([]*Notification, n)
	for i := range out {
		x := firingDowngrade(lang)
		x.ID = fmt.Sprintf("ntf-%04d", i)
		x.Subject.Name = fmt.Sprintf("测试企业%03d有限公司", i)
		x.PathNames = append([]string{x.Subject.Name}, x.PathNames[1:]...)
		out[i] = x
	}
	return out
}

func TestSplitBatchOf50(t *testing.T) {
	vendors := map[string]vendor{"wecom": wecom{}, "dingtalk": &dingtalk{}, "feishu-post": &feishu{}, "feishu-card": &feishu{card: true}}
	for name, v := range vendors {
		t.Run(name, func(t *testing.T) {
			batch := manyNotifications(50, "zh")
			var blocks []block
			rendered := map[string]bool{"": true} // every line a message may hold
			for i, n := range batch {
				d, err := render(n)
				if err != nil {
					t.Fatal(err)
				}
				bl := block{owner: i, lines: blockLines(d, n.Language), weight: 1}
				for _, l := range bl.lines {
					rendered[v.render(l)] = true
				}
				blocks = append(blocks, bl)
			}
			msgs := splitMessages(v, "zh", blocks, botMessageLimit)
			if len(msgs) < 2 {
				t.Fatalf("%d messages for 50 notifications", len(msgs))
			}
			seen := make([]int, len(batch))
			for mi, m := range msgs {
				text := m.text(v)
				if len(text) > botMessageLimit {
					t.Errorf("message %d has %d bytes", mi, len(text))
				}
				for _, l := range m.lines[1:] {
					if !rendered[v.render(l)] {
						t.Errorf("message %d holds a broken line %q", mi, v.render(l))
					}
				}
				for _, o := range m.owners {
					seen[o]++
					if c := strings.Count(text, batch[o].Subject.Name+"（"); c != 2 { // title and path
						t.Errorf("message %d: %s appears %d times", mi, batch[o].Subject.Name, c)
					}
				}
				if h := m.lines[0].text; h != fmt.Sprintf("chainrisk 信用预警（%d 条）", len(m.owners)) {
					t.Errorf("message %d header %q", mi, h)
				}
			}
			for i, c := range seen {
				if c != 1 {
					t.Errorf("notification %d is in %d messages", i, c)
				}
			}
		})
	}
}

func TestSplitLongLine(t *testing.T) {
	n := firingDowngrade("zh")
	long := strings.Repeat("失信被执行人记录", 500) // 12,000 bytes, 3 per rune
	n.Reasons = append(n.Reasons, long)
	v := wecom{}
	d, err := render(n)
	if err != nil {
		t.Fatal(err)
	}
	msgs := splitMessages(v, "zh", []block{{owner: 0, lines: blockLines(d, n.Language), weight: 1}}, botMessageLimit)
	if len(msgs) < 4 {
		t.Fatalf("%d messages", len(msgs))
	}
	orig := blockLines(d, n.Language)
	var texts []string
	for i, m := range msgs {
		text := m.text(v)
		if len(text) > botMessageLimit || !utf8.ValidString(text) {
			t.Errorf("message %d: %d bytes, valid UTF-8 %v", i, len(text), utf8.ValidString(text))
		}
		if !slices.Equal(m.owners, []int{0}) {
			t.Errorf("message %d owners %v", i, m.owners)
		}
		if i > 0 && !strings.HasSuffix(m.lines[0].text, "（续）") {
			t.Errorf("message %d header %q", i, m.lines[0].text)
		}
		for j, l := range m.lines[1:] {
			// A continuing message repeats the title, marked continued, and nothing else.
			if l.repeat != (i > 0 && j == 0) || l.repeat && l.text != orig[0].text+"（续）" {
				t.Errorf("message %d line %d: %q, repeated %v", i, j+1, l.text, l.repeat)
			}
			if !l.repeat {
				texts = append(texts, l.text)
			}
		}
	}
	// The lines come back in order, the long one in consecutive pieces.
	at := slices.IndexFunc(orig, func(l line) bool { return l.text == "- "+long })
	before, after := orig[:at], orig[at+1:]
	for i, l := range before {
		if texts[i] != l.text {
			t.Fatalf("line %d: %q, want %q", i, texts[i], l.text)
		}
	}
	for i, l := range after {
		if got := texts[len(texts)-len(after)+i]; got != l.text {
			t.Fatalf("line after the long one: %q, want %q", got, l.text)
		}
	}
	if got := strings.Join(texts[len(before):len(texts)-len(after)], ""); got != "- "+long {
		t.Errorf("the long line does not survive the cut: %d bytes back of %d", len(got), len(long)+2)
	}
}

// TestSplitOverHTTP sends 50 notifications to a WeCom robot: several requests, each
// within the limit, every notification delivered once.
func TestSplitOverHTTP(t *testing.T) {
	clock := newFakeClock()
	rv := newReceiver(t, clock, okAnswer(TypeWeCom))
	nt := mustNotifier(t, testChannel(TypeWeCom, rv.URL), testOptions(t, clock, nil))
	batch := manyNotifications(50, "en")
	for i, r := range nt.Send(context.Background(), batch) {
		if r.Err != nil {
			t.Fatalf("%d: %v", i, r.Err)
		}
	}
	reqs := rv.Requests()
	if len(reqs) < 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	var all strings.Builder
	for _, r := range reqs {
		var m struct{ Markdown struct{ Content string } }
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Markdown.Content) > botMessageLimit {
			t.Errorf("content of %d bytes", len(m.Markdown.Content))
		}
		all.WriteString(m.Markdown.Content)
	}
	for _, n := range batch {
		if c := strings.Count(all.String(), "**[WARNING] Credit grade downgraded: "+n.Subject.Name+" ("); c != 1 {
			t.Errorf("%s sent %d times", n.Subject.Name, c)
		}
	}
}

func TestBatchFailureMapsBack(t *testing.T) {
	// The second message fails: the notifications it carried fail, the first message's
	// succeed.
	clock := newFakeClock()
	calls := 0
	rv := newReceiver(t, clock, func(w http.ResponseWriter, r *http.Request, body []byte) {
		calls++
		if calls == 2 {
			answer(200, `{"errcode":-1,"errmsg":"system busy"}`)(w, r, body)
			return
		}
		okAnswer(TypeWeCom)(w, r, body)
	})
	nt := mustNotifier(t, testChannel(TypeWeCom, rv.URL), testOptions(t, clock, nil))
	batch := manyNotifications(50, "en")
	rs := nt.Send(context.Background(), batch)
	first, failed := 0, 0
	for _, r := range rs {
		switch {
		case r.Err == nil:
			first++
		case r.Retryable:
			failed++
		}
	}
	if first == 0 || failed == 0 || first+failed != 50 || len(rv.Requests()) != 2 {
		t.Fatalf("%d ok, %d failed, %d requests", first, failed, len(rv.Requests()))
	}
	for i := 1; i < len(rs); i++ {
		if rs[i-1].Err != nil && rs[i].Err == nil {
			t.Fatalf("notification %d failed but %d after it succeeded", i-1, i)
		}
	}
}

// errcodeOf reads a WeCom or DingTalk answer as their documentation gives it,
// {"errcode": int, "errmsg": string}, apart from the package's own reading.
func errcodeOf(body []byte) (int, bool) {
	var a struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if json.Unmarshal(body, &a) != nil || a.ErrCode == nil {
		return 0, false
	}
	return *a.ErrCode, true
}

// codeCase is a robot's answer and what it must mean for delivery; text "" means
// delivered.
type codeCase struct {
	status     int
	answer     string
	retryable  bool
	retryAfter time.Duration
	code       string
	text       string
}

// checkCodes sends a notification to a robot of kind answering each case.
func checkCodes(t *testing.T, kind string, cases []codeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.code+" "+tc.answer, func(t *testing.T) {
			rv := newReceiver(t, nil, answer(tc.status, tc.answer))
			nt := mustNotifier(t, testChannel(kind, rv.URL), testOptions(t, newFakeClock(), nil))
			r := send1(t, nt)
			if tc.text == "" {
				if r.Err != nil {
					t.Fatalf("got %v", r.Err)
				}
				return
			}
			if r.Err == nil || r.Retryable != tc.retryable || r.RetryAfter != tc.retryAfter || r.Code != tc.code || !strings.Contains(r.Err.Error(), tc.text) {
				t.Fatalf("got %+v (%v), want retryable %v after %s code %q", r, r.Err, tc.retryable, tc.retryAfter, tc.code)
			}
		})
	}
}
