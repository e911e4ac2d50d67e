package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"
)

// TypeDingTalk is the DingTalk (钉钉) custom robot.
const TypeDingTalk = "dingtalk"

func init() {
	register(Kind{Type: TypeDingTalk, Name: "DingTalk", URL: Required, Secret: Required, Rates: []Rate{{20, time.Minute}},
		build: func(ch Channel, o Options) (Notifier, error) {
			return newBot(ch, o, &dingtalk{secret: seal(ch.Secret)})
		}})
}

// dingtalk is the DingTalk (钉钉) custom robot: markdown messages signed in the query.
type dingtalk struct {
	secret sealed
}

// dingtalkSign is base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)),
// timestamp in Unix milliseconds.
func dingtalkSign(secret string, timestampMillis int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestampMillis, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signedURL adds timestamp and sign to the robot URL. Encode escapes the raw base64
// once; escaping it beforehand too makes DingTalk answer 310000.
func (d *dingtalk) signedURL(base string, now time.Time) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	if d.secret.set() {
		ts := now.UnixMilli()
		q := u.Query()
		q.Set("timestamp", strconv.FormatInt(ts, 10))
		q.Set("sign", dingtalkSign(d.secret.reveal(), ts))
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

func (*dingtalk) sep() string { return "\n\n" }

func (*dingtalk) render(l line) string {
	switch l.kind {
	case headerLine:
		return "#### " + l.text
	case titleLine, sectionLine:
		return "**" + l.text + "**"
	case linkLine:
		return "[" + l.text + "](" + l.href + ")"
	}
	return l.text
}

func (d *dingtalk) encode(m *message, base string, now time.Time) (string, []byte, error) {
	target, err := d.signedURL(base, now)
	if err != nil {
		return "", nil, err
	}
	type markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	}
	type at struct {
		IsAtAll bool `json:"isAtAll"`
	}
	body, err := marshalJSON(struct {
		MsgType  string   `json:"msgtype"`
		Markdown markdown `json:"markdown"`
		At       at       `json:"at"`
	}{"markdown", markdown{m.title, m.text(d)}, at{false}})
	return target, body, err
}

func (*dingtalk) answer(body []byte) (int, string, bool) { return errcodeAnswer(body) }

func (*dingtalk) codeName() string { return "errcode" }

func (*dingtalk) codes() map[int]codeInfo { return dingtalkCodes }

var dingtalkCodes = map[int]codeInfo{
	-1:     {what: "system busy", retryable: true},
	310000: {what: "signature, keyword or IP allow-list check failed (check the secret, the robot's keyword and the daemon's clock)"},
	// Over 20 messages a minute silences the robot for 10 minutes.
	130101: {what: "sending too fast (20 messages per minute per robot)", retryable: true, retryAfter: 10 * time.Minute},
	300001: {what: "invalid access token"},
}
