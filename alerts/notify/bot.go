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
	plainLine   lineKind = iota
	headerLine           // "chainrisk 信用预警（3 条）", first in every message
	titleLine            // a message's title
	sectionLine          // heads a section: an alert of a group, a digest's fired or resolved
	linkLine             // a link to the firm or chain
)

// line is one line of a message, before the vendor's markup.
type line struct {
	kind lineKind
	text string
	href string // linkLine
	tone string // titleLine, sectionLine: critical, warning, info or resolved
	// repeat marks the title and section repeated at the top of a message that
	// continues a message too long for one.
	repeat bool
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
		d, err := render(n)
		if err != nil {
			results[i] = Result{Err: b.dest.explain("notification "+n.ID, err)}
			continue
		}
		if lang == "" {
			lang = n.Language
		}
		blocks = append(blocks, block{owner: i, lines: blockLines(d, n.Language), weight: weightOf(n)})
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

// weightOf is what a message counts for in the header of a robot message carrying
// several: its alerts, or one for a snapshot or a digest.
func weightOf(n *Notification) int {
	if n.Kind == KindAlert {
		return len(n.Alerts())
	}
	return 1
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
	owner  int
	lines  []line
	weight int // weightOf
}

// blockLines writes a message's doc as robot lines: its title, its lines, its link.
func blockLines(d *doc, lang string) []line {
	out := []line{{kind: titleLine, text: d.title, tone: d.tone}}
	for _, l := range d.lines {
		if l.section {
			out = append(out, line{kind: sectionLine, text: l.text, tone: l.tone})
		} else {
			out = append(out, line{text: l.text})
		}
	}
	if d.url != "" {
		out = append(out, line{kind: linkLine, text: words(lang).details, href: d.url})
	}
	return out
}

// splitter packs blocks into robot messages (splitMessages).
type splitter struct {
	v                     vendor
	lang                  string
	limit, sep, headerMax int
	weights               map[int]int // by owner

	msgs      []*message
	cur       *message
	size      int
	titles    []string
	continued bool
}

// splitMessages packs blocks into messages whose text stays within limit bytes: whole
// blocks while they fit, separated by an empty line; a block too big for one message
// goes line by line into messages of its own, each continuing one repeating the
// block's title and current section, and a line too long for one message is cut at a
// UTF-8 boundary.
func splitMessages(v vendor, lang string, blocks []block, limit int) []*message {
	s := &splitter{v: v, lang: lang, limit: limit, sep: len(v.sep()), weights: map[int]int{}}
	total := 0
	for _, bl := range blocks {
		s.weights[bl.owner] = max(bl.weight, 1)
		total += max(bl.weight, 1)
	}
	// The header is written last, when a message's count is known; reserve its longest form.
	s.headerMax = len(v.render(line{kind: headerLine, text: headerText(lang, total, true)}))
	s.start(false)
	for _, bl := range blocks {
		s.add(bl)
	}
	s.flush()
	return s.msgs
}

func (s *splitter) cost(l line) int { return s.sep + len(s.v.render(l)) }

// flush closes the current message, heading it.
func (s *splitter) flush() {
	cur := s.cur
	if cur == nil || len(cur.lines) == 0 {
		return
	}
	s.msgs = append(s.msgs, cur)
	count := 1
	if len(cur.owners) > 1 {
		count = 0
		for _, o := range cur.owners {
			count += s.weights[o]
		}
	}
	h := headerText(s.lang, count, s.continued)
	cur.lines = append([]line{{kind: headerLine, text: h}}, cur.lines...)
	cur.title = h
	if len(s.titles) == 1 && !s.continued {
		cur.title = s.titles[0]
	}
	s.cur = nil
}

// start begins a new message, a continuation of the last one if cont.
func (s *splitter) start(cont bool) {
	s.flush()
	s.cur, s.size, s.titles, s.continued = &message{lang: s.lang}, s.headerMax, nil, cont
}

// take adds a line of owner's block to the current message.
func (s *splitter) take(owner int, l line) {
	cur := s.cur
	cur.lines = append(cur.lines, l)
	s.size += s.cost(l)
	if n := len(cur.owners); n == 0 || cur.owners[n-1] != owner {
		cur.owners = append(cur.owners, owner)
	}
	if l.kind == titleLine && !l.repeat {
		s.titles = append(s.titles, l.text)
	}
	if l.kind == titleLine || l.kind == sectionLine {
		cur.tone = graver(cur.tone, l.tone)
	}
}

// add packs one block: after the blocks before it when it fits, else at the top of a
// message, else over several.
func (s *splitter) add(bl block) {
	need := 0
	for _, l := range bl.lines {
		need += s.cost(l)
	}
	if len(s.cur.lines) > 0 {
		if s.size+s.sep+need <= s.limit {
			s.take(bl.owner, line{})
			for _, l := range bl.lines {
				s.take(bl.owner, l)
			}
			return
		}
		s.start(false)
	}
	if s.headerMax+need <= s.limit {
		for _, l := range bl.lines {
			s.take(bl.owner, l)
		}
		return
	}
	s.addSplit(bl)
}

// addSplit spreads a block too big for one message over several. Each message
// continuing it starts with the block's title marked continued and, within a
// section, the section's heading again — when they take at most half a message.
func (s *splitter) addSplit(bl block) {
	title := bl.lines[0]
	title.text += words(s.lang).continued
	title.repeat = true
	context := s.cost(title)
	widest := 0
	for _, l := range bl.lines {
		if l.kind == sectionLine {
			widest = max(widest, s.cost(l))
		}
	}
	context += widest
	if title.kind != titleLine || context > s.limit/2 {
		context = 0
	}
	var section *line
	for i, l := range bl.lines {
		if l.kind == sectionLine {
			section = &bl.lines[i]
		}
		for _, piece := range cutLine(s.v, l, s.limit-s.headerMax-s.sep-context) {
			if len(s.cur.lines) > 0 && s.size+s.cost(piece) > s.limit {
				s.start(true)
				if context > 0 && i > 0 {
					s.take(bl.owner, title)
					if section != nil && l.kind != sectionLine {
						again := *section
						again.repeat = true
						s.take(bl.owner, again)
					}
				}
			}
			s.take(bl.owner, piece)
		}
	}
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
	rank := func(t string) int {
		if t == StatusResolved {
			return 0
		}
		return severityRank(t)
	}
	if a == "" || rank(b) > rank(a) {
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
