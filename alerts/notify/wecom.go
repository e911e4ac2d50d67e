package notify

import (
	"encoding/json"
	"time"
)

// TypeWeCom is the WeCom (企业微信) group robot.
const TypeWeCom = "wecom"

func init() {
	register(Kind{Type: TypeWeCom, Name: "WeCom", URL: Required, Rates: []Rate{{20, time.Minute}},
		build: func(ch Channel, o Options) (Notifier, error) { return newBot(ch, o, wecom{}) }})
}

// wecom is the WeCom (企业微信) group robot: markdown messages, no signature; the key in
// the URL is the secret.
type wecom struct{}

func (wecom) sep() string { return "\n" }

func (wecom) render(l line) string {
	switch l.kind {
	case headerLine:
		return "### " + l.text
	case titleLine:
		return `<font color="` + wecomColor(l.tone) + `">**` + l.text + `**</font>`
	case sectionLine:
		return "**" + l.text + "**"
	case linkLine:
		return "[" + l.text + "](" + l.href + ")"
	}
	return l.text
}

// wecomColor maps a tone onto WeCom's three colours: warning (orange-red), info
// (green), comment (grey).
func wecomColor(tone string) string {
	switch tone {
	case "critical", "warning":
		return "warning"
	case StatusResolved:
		return "info"
	}
	return "comment"
}

func (w wecom) encode(m *message, base string, _ time.Time) (string, []byte, error) {
	type markdown struct {
		Content string `json:"content"`
	}
	body, err := marshalJSON(struct {
		MsgType  string   `json:"msgtype"`
		Markdown markdown `json:"markdown"`
	}{"markdown", markdown{m.text(w)}})
	return base, body, err
}

func (wecom) answer(body []byte) (int, string, bool) { return errcodeAnswer(body) }

func (wecom) codeName() string { return "errcode" }

func (wecom) codes() map[int]codeInfo { return wecomCodes }

var wecomCodes = map[int]codeInfo{
	-1:    {what: "system busy", retryable: true},
	45009: {what: "over the robot's rate limit (20 messages per minute)", retryable: true, retryAfter: time.Minute},
	45002: {what: "message too large"},
	93000: {what: "invalid webhook URL (check the robot key)"},
	40008: {what: "invalid message type"},
}

// errcodeAnswer reads {"errcode": N, "errmsg": "..."}, the answer of WeCom and DingTalk.
func errcodeAnswer(body []byte) (int, string, bool) {
	var a struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if json.Unmarshal(body, &a) != nil || a.ErrCode == nil {
		return 0, "", false
	}
	return *a.ErrCode, a.ErrMsg, true
}
