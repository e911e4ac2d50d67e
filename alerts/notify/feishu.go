package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TypeFeishu is the Feishu / Lark custom bot.
const TypeFeishu = "feishu"

// Feishu message types (Options.FeishuMessage).
const (
	FeishuPost        = "post"
	FeishuInteractive = "interactive"
)

func init() {
	register(Kind{Type: TypeFeishu, Name: "Feishu", URL: Required, Secret: Required,
		Rates: []Rate{{5, time.Second}, {100, time.Minute}}, build: newFeishu})
}

func newFeishu(ch Channel, o Options) (Notifier, error) {
	f := &feishu{secret: seal(ch.Secret)}
	switch o.FeishuMessage {
	case "", FeishuPost:
	case FeishuInteractive:
		f.card = true
	default:
		return nil, fmt.Errorf("alerts: feishu message type %q is not one of post, interactive", o.FeishuMessage)
	}
	return newBot(ch, o, f)
}

// feishu is the Feishu / Lark custom bot: a post (rich text) or an interactive card,
// signed in the JSON body.
type feishu struct {
	secret sealed
	card   bool
}

// feishuSign is base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")),
// timestamp in Unix seconds: key and message are the reverse of DingTalk's.
func feishuSign(secret string, timestamp int64) string {
	m := hmac.New(sha256.New, []byte(strconv.FormatInt(timestamp, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (*feishu) sep() string { return "\n" }

// render: the header becomes the post's title or the card's header, not a line.
func (f *feishu) render(l line) string {
	switch l.kind {
	case headerLine:
		return ""
	case titleLine, sectionLine:
		if f.card {
			return "**" + l.text + "**"
		}
	case linkLine:
		if f.card {
			return "[" + l.text + "](" + l.href + ")"
		}
		return l.text + " " + l.href
	}
	return l.text
}

type feishuText struct {
	Tag  string `json:"tag"`
	Text string `json:"text"`
	Href string `json:"href,omitempty"`
}

func (f *feishu) encode(m *message, base string, now time.Time) (string, []byte, error) {
	var msg struct {
		Timestamp string `json:"timestamp,omitempty"`
		Sign      string `json:"sign,omitempty"`
		MsgType   string `json:"msg_type"`
		Content   any    `json:"content,omitempty"`
		Card      any    `json:"card,omitempty"`
	}
	if f.secret.set() {
		ts := now.Unix()
		msg.Timestamp, msg.Sign = strconv.FormatInt(ts, 10), feishuSign(f.secret.reveal(), ts)
	}
	if f.card {
		msg.MsgType, msg.Card = FeishuInteractive, f.cardOf(m)
	} else {
		msg.MsgType, msg.Content = FeishuPost, f.postOf(m)
	}
	body, err := marshalJSON(msg)
	return base, body, err
}

func (f *feishu) postOf(m *message) any {
	var paras [][]feishuText
	for _, l := range m.lines[1:] {
		switch l.kind {
		case linkLine:
			paras = append(paras, []feishuText{{Tag: "a", Text: l.text, Href: l.href}})
		default:
			paras = append(paras, []feishuText{{Tag: "text", Text: l.text}})
		}
	}
	lang := "zh_cn"
	if m.lang == "en" {
		lang = "en_us"
	}
	type post struct {
		Title   string         `json:"title"`
		Content [][]feishuText `json:"content"`
	}
	return map[string]map[string]post{"post": {lang: {m.header(), paras}}}
}

func (f *feishu) cardOf(m *message) any {
	type text struct {
		Tag     string `json:"tag"`
		Content string `json:"content"`
	}
	type header struct {
		Title    text   `json:"title"`
		Template string `json:"template"`
	}
	type body struct {
		Elements []text `json:"elements"`
	}
	return struct {
		Schema string `json:"schema"`
		Header header `json:"header"`
		Body   body   `json:"body"`
	}{
		Schema: "2.0",
		Header: header{text{"plain_text", m.header()}, feishuColor(m.tone)},
		Body:   body{[]text{{"markdown", strings.TrimLeft(m.text(f), "\n")}}},
	}
}

func feishuColor(tone string) string {
	switch tone {
	case "critical":
		return "red"
	case "warning":
		return "orange"
	case StatusResolved:
		return "green"
	}
	return "blue"
}

func (*feishu) answer(body []byte) (int, string, bool) {
	var a struct {
		Code          *int   `json:"code"`
		Msg           string `json:"msg"`
		StatusCode    *int   `json:"StatusCode"`
		StatusMessage string `json:"StatusMessage"`
	}
	if json.Unmarshal(body, &a) != nil {
		return 0, "", false
	}
	switch {
	case a.Code != nil:
		return *a.Code, a.Msg, true
	case a.StatusCode != nil:
		return *a.StatusCode, a.StatusMessage, true
	}
	return 0, "", false
}

func (*feishu) codeName() string { return "code" }

func (*feishu) codes() map[int]codeInfo { return feishuCodes }

var feishuCodes = map[int]codeInfo{
	// Usually a stale timestamp; every attempt signs afresh, so a retry may pass. A wrong
	// secret fails every time and ends in the dead letters.
	19021: {what: "bad signature or stale timestamp (check the secret and the daemon's clock)", retryable: true},
	11232: {what: "rate limited (5 requests per second, 100 per minute per bot)", retryable: true, retryAfter: time.Minute},
	19022: {what: "IP address not allowed by the bot"},
	19024: {what: "keyword check failed"},
}
