package notify

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// botMessageLimit bounds the text of one bot message in bytes. WeCom takes 4,096 bytes
// of markdown; the margin covers what a vendor counts that we do not.
const botMessageLimit = 4000

// bot delivers to a chat robot (WeCom, DingTalk, Feishu): the batch is merged into as
// few messages as fit the limit, each message one request; the vendor decides the
// markup, the signature and what its answers mean.
type bot struct {
	dest *destination
	v    vendor
	p    *poster
}

// newBot is the notifier of a robot channel: one URL, the vendor's ways.
func newBot(ch Channel, o Options, v vendor) (Notifier, error) {
	d, err := newDestination(ch.Type, "url", ch.URL, reveal(ch.URL), ch.Secret, o)
	if err != nil {
		return nil, err
	}
	return &bot{dest: d, v: v, p: newPoster(o)}, nil
}

// vendor is what differs between robots.
type vendor interface {
	// sep joins lines in the message text.
	sep() string
	// render writes one line in the vendor's markup.
	render(l line) string
	// encode builds the request of one message to the robot at base, signed at now.
	encode(m *message, base string, now time.Time) (target string, body []byte, err error)
	// answer reads the vendor's JSON answer: its code (0 = delivered) and message.
	answer(body []byte) (code int, msg string, ok bool)
	// codes explains the codes worth knowing.
	codes() map[int]codeInfo
	// codeName is what the vendor calls its code ("errcode").
	codeName() string
}

// codeInfo says what a vendor's error code means for delivery.
type codeInfo struct {
	what       string
	retryable  bool
	retryAfter time.Duration
}

type lineKind int

const (
	plainLine  lineKind = iota
	headerLine          // "chainrisk 信用预警（3 条）", first in every message
	titleLine           // a notification's title
	linkLine            // a link to the firm or chain
)

// line is one line of a message, before the vendor's markup.
type line struct {
	kind lineKind
	text string
	href string // linkLine
	tone string // titleLine: critical, warning, info or resolved
}

// message is one robot message: lines (the header first) and the batch indexes of the
// notifications it carries.
type message struct {
	lang   string
	title  string // a preview title: the notification's title, or the header for several
	lines  []line
	owners []int
	tone   string // the gravest tone in the message
}

func (m *message) header() string { return m.lines[0].text }

// text is the message as the robot shows it, the part botMessageLimit bounds.
func (m *message) text(v vendor) string {
	parts := make([]string, len(m.lines))
	for i, l := range m.lines {
		parts[i] = v.render(l)
	}
	return strings.Join(parts, v.sep())
}

func (b *bot) Send(ctx context.Context, batch []*Notification) []Result {
	results := make([]Result, len(batch))
	var blocks []block
	lang := ""
	for i, n := range batch {
		s, err := Summary(n)
		if err != nil {
			results[i] = Result{Err: b.dest.explain("notification "+n.ID, err)}
			continue
		}
		if lang == "" {
			lang = n.Language
		}
		blocks = append(blocks, block{owner: i, lines: blockLines(n, s)})
	}
	msgs := splitMessages(b.v, lang, blocks, botMessageLimit)
	reqs := make([]request, len(msgs))
	for i, m := range msgs {
		reqs[i] = request{owners: m.owners, send: func(ctx context.Context) Result { return b.post(ctx, m) }}
	}
	for i, r := range b.p.sendAll(ctx, b.dest, reqs, len(batch)) {
		if results[i].Err == nil {
			results[i] = r
		}
	}
	return results
}

func (b *bot) post(ctx context.Context, m *message) Result {
	target, body, err := b.v.encode(m, b.dest.url.reveal(), b.p.clock.Now())
	if err != nil {
		return Result{Err: b.dest.explain("encode message", err)}
	}
	r, err := b.p.post(ctx, b.dest, target, nil, body)
	if err != nil {
		return b.p.httpResult(b.dest, r, err)
	}
	code, msg, ok := b.v.answer(r.body)
	switch {
	case ok && code != 0:
		info, known := b.v.codes()[code]
		if !known {
			info.what = "refused"
		}
		res := Result{
			Err:        b.dest.failf([]byte(msg), "%s %d: %s", b.v.codeName(), code, info.what),
			Retryable:  info.retryable,
			RetryAfter: max(info.retryAfter, retryAfter(r.header, b.p.clock.Now())),
			Code:       strconv.Itoa(code),
		}
		if !res.Retryable {
			res.RetryAfter = 0
		}
		return res
	case r.status < 200 || r.status >= 300:
		return b.p.httpResult(b.dest, r, nil)
	case !ok:
		// Delivered or not, we cannot tell: at-least-once says try again.
		return Result{Err: b.dest.failf(r.body, "HTTP %d with an unreadable answer", r.status), Retryable: true}
	}
	return Result{}
}

// block is one notification's lines.
type block struct {
	owner int
	lines []line
}

func blockLines(n *Notification, summary string) []line {
	tone := n.Severity
	if n.Status == StatusResolved {
		tone = StatusResolved
	}
	title, rest, _ := strings.Cut(summary, "\n")
	out := []line{{kind: titleLine, text: title, tone: tone}}
	if rest != "" {
		for s := range strings.SplitSeq(rest, "\n") {
			out = append(out, line{text: s})
		}
	}
	if n.URL != "" {
		out = append(out, line{kind: linkLine, text: words(n.Language).details, href: n.URL})
	}
	return out
}

// splitMessages packs blocks into messages whose text stays within limit bytes: whole
// blocks while they fit, separated by an empty line; a block too big for one message
// goes line by line into messages of its own, and a line too long for one message is
// cut at a UTF-8 boundary.
func splitMessages(v vendor, lang string, blocks []block, limit int) []*message {
	total := len(blocks)
	sep := len(v.sep())
	// The header is written last, when a message's count is known; reserve its longest form.
	headerMax := len(v.render(line{kind: headerLine, text: headerText(lang, total, true)}))
	cost := func(l line) int { return sep + len(v.render(l)) }

	var msgs []*message
	var cur *message
	var size int
	var titles []string
	var continued bool
	flush := func() {
		if cur == nil || len(cur.lines) == 0 {
			return
		}
		msgs = append(msgs, cur)
		h := headerText(lang, len(cur.owners), continued)
		cur.lines = append([]line{{kind: headerLine, text: h}}, cur.lines...)
		cur.title = h
		if len(titles) == 1 && !continued {
			cur.title = titles[0]
		}
		cur = nil
	}
	start := func(cont bool) {
		flush()
		cur, size, titles, continued = &message{lang: lang}, headerMax, nil, cont
	}
	take := func(bl block, l line) {
		cur.lines = append(cur.lines, l)
		size += cost(l)
		if n := len(cur.owners); n == 0 || cur.owners[n-1] != bl.owner {
			cur.owners = append(cur.owners, bl.owner)
		}
		if l.kind == titleLine {
			titles = append(titles, l.text)
			cur.tone = graver(cur.tone, l.tone)
		}
	}

	start(false)
	for _, bl := range blocks {
		need := 0
		for _, l := range bl.lines {
			need += cost(l)
		}
		if len(cur.lines) > 0 {
			if size+sep+need <= limit {
				take(bl, line{})
				for _, l := range bl.lines {
					take(bl, l)
				}
				continue
			}
			start(false)
		}
		if headerMax+need <= limit {
			for _, l := range bl.lines {
				take(bl, l)
			}
			continue
		}
		for _, l := range bl.lines {
			for _, piece := range cutLine(v, l, limit-headerMax-sep) {
				if len(cur.lines) > 0 && size+cost(piece) > limit {
					start(true)
				}
				take(bl, piece)
			}
		}
	}
	flush()
	return msgs
}

// cutLine cuts a line whose markup exceeds room bytes into pieces that fit, at UTF-8
// boundaries. A link that long is useless and is dropped.
func cutLine(v vendor, l line, room int) []line {
	full := len(v.render(l))
	if full <= room {
		return []line{l}
	}
	if l.kind == linkLine {
		return nil
	}
	avail := max(room-(full-len(l.text)), utf8.UTFMax)
	var out []line
	for s := l.text; s != ""; {
		n := min(avail, len(s))
		for n < len(s) && n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		if n == 0 { // avail < one rune: cannot happen with a sane limit
			_, n = utf8.DecodeRuneInString(s)
		}
		p := l
		p.text, s = s[:n], s[n:]
		out = append(out, p)
	}
	return out
}

// graver returns the graver of two tones.
func graver(a, b string) string {
	rank := map[string]int{StatusResolved: 1, "info": 2, "warning": 3, "critical": 4}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// wording is the little text bots add around summaries.
type wording struct {
	alert, alerts, continued, details string
}

func words(lang string) wording {
	if lang == "en" {
		return wording{"chainrisk credit alert", "chainrisk credit alerts (%d)", " (continued)", "Details"}
	}
	return wording{"chainrisk 信用预警", "chainrisk 信用预警（%d 条）", "（续）", "详情"}
}

// headerText heads every message; it names chainrisk, which robots with a keyword check
// can be set to require.
func headerText(lang string, count int, continued bool) string {
	w := words(lang)
	h := w.alert
	if count > 1 {
		h = fmt.Sprintf(w.alerts, count)
	}
	if continued {
		h += w.continued
	}
	return h
}
