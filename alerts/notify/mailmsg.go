package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// An e-mail is multipart/alternative: the message as text/plain, and the same lines
// as text/html (escaped by html/template), both UTF-8 in quoted-printable; the
// Subject is the message's title (a group's with the firm's name alone, a snapshot's
// and a digest's with the subscription), an RFC 2047 encoded-word when it is not
// ASCII. Its Message-ID comes from the notification's id, so that a retry is the same
// message to the recipients' mail systems.

// composeMail renders notification n as an e-mail from from to to, dated now.
func composeMail(n *Notification, from *mail.Address, to []string, now time.Time) ([]byte, error) {
	d, err := render(n)
	if err != nil {
		return nil, err
	}
	text := mailText(n, d)
	html, err := mailHTML(n, d)
	if err != nil {
		return nil, err
	}
	parts := [][2]string{{"text/plain; charset=utf-8", text}, {"text/html; charset=utf-8", html}}
	encoded := make([][]byte, len(parts))
	for i, p := range parts {
		encoded[i] = quotedPrintable(p[1])
	}
	boundary := mailBoundary(n.ID, encoded)

	var b bytes.Buffer
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	// token writes a machine value's header, when there is one.
	token := func(name, value string) {
		if value != "" {
			header(name, headerToken(value))
		}
	}
	header("Date", now.Format(time.RFC1123Z))
	header("From", from.String())
	header("To", strings.Join(to, ",\r\n "))
	header("Subject", encodeHeader(n.Language, d.subject))
	header("Message-ID", "<"+mailID(n.ID)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	header("Auto-Submitted", "auto-generated") // RFC 3834: no vacation replies
	token("X-Chainrisk-Alert", n.AlertID)
	token("X-Chainrisk-Notification", n.ID)
	token("X-Chainrisk-Kind", n.Kind)
	token("X-Chainrisk-Rule", n.Rule)
	token("X-Chainrisk-Severity", n.Severity)
	token("X-Chainrisk-Status", n.Status)
	b.WriteString("\r\n")

	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, err
	}
	for i, p := range parts {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {p[0]}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		w.Write(encoded[i])
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// mailWords are the few words an e-mail adds to the summary.
func mailWords(lang string) (details, footer string) {
	if lang == "en" {
		return "Details", "chainrisk credit alert · subscription "
	}
	return "详情", "chainrisk 信用预警 · 订阅 "
}

// mailText is the text/plain body: the message, the link, and a signature naming the
// subscription.
func mailText(n *Notification, d *doc) string {
	details, footer := mailWords(n.Language)
	var b strings.Builder
	b.WriteString(d.text() + "\n")
	if d.url != "" {
		sep := "："
		if n.Language == "en" {
			sep = ": "
		}
		b.WriteString("\n" + details + sep + d.url + "\n")
	}
	b.WriteString("\n-- \n" + footer + n.Subscription + "\n")
	return b.String()
}

// mailPage is what the HTML template sees: the title, the message's other lines in
// blocks (a run of "- " lines is a list, a section's heading a heading), the link and
// the footer.
type mailPage struct {
	Lang, Title, Color, URL, Details, Footer string
	Blocks                                   []mailBlock
}

// mailBlock is a paragraph, a list when Items is set, or a section's heading in Color
// when that is set.
type mailBlock struct {
	Text  string
	Items []string
	Color string
}

var mailTemplate = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family:sans-serif;font-size:14px;line-height:1.5;color:#1f2328">
<h2 style="font-size:16px;color:{{.Color}}">{{.Title}}</h2>
{{- range .Blocks}}
{{- if .Items}}
<ul>{{range .Items}}
<li>{{.}}</li>{{end}}
</ul>
{{- else if .Color}}
<h3 style="font-size:14px;margin:16px 0 4px;color:{{.Color}}">{{.Text}}</h3>
{{- else}}
<p style="margin:4px 0">{{.Text}}</p>
{{- end}}
{{- end}}
{{- with .URL}}
<p><a href="{{.}}">{{$.Details}}</a></p>
{{- end}}
<hr>
<p style="font-size:12px;color:#656d76">{{.Footer}}</p>
</body>
</html>
`))

// toneColors colour the title by severity, green once resolved.
var toneColors = map[string]string{"critical": "#cf222e", "warning": "#bc4c00", "info": "#0969da", StatusResolved: "#1a7f37"}

// mailHTML is the text/html body, every value escaped by html/template.
func mailHTML(n *Notification, d *doc) (string, error) {
	details, footer := mailWords(n.Language)
	lang := n.Language
	if lang == "" {
		lang = "zh"
	}
	p := mailPage{Lang: lang, Title: d.title, Color: toneColor(d.tone), URL: d.url, Details: details,
		Footer: footer + n.Subscription}
	for _, l := range d.lines {
		item, isItem := strings.CutPrefix(l.text, "- ")
		switch {
		case l.section:
			p.Blocks = append(p.Blocks, mailBlock{Text: l.text, Color: toneColor(l.tone)})
		case l.text == "":
		case isItem && len(p.Blocks) > 0 && p.Blocks[len(p.Blocks)-1].Items != nil:
			last := &p.Blocks[len(p.Blocks)-1]
			last.Items = append(last.Items, item)
		case isItem:
			p.Blocks = append(p.Blocks, mailBlock{Items: []string{item}})
		default:
			p.Blocks = append(p.Blocks, mailBlock{Text: l.text})
		}
	}
	var b strings.Builder
	err := mailTemplate.Execute(&b, p)
	return b.String(), err
}

// toneColor is a tone's colour, info's for an unknown one.
func toneColor(tone string) string {
	if c, ok := toneColors[tone]; ok {
		return c
	}
	return toneColors["info"]
}

// quotedPrintable encodes a body; its line breaks become CRLF.
func quotedPrintable(s string) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// mailBoundary is the multipart boundary: derived from the notification's id, so a
// message renders the same every time, and never a string its parts contain.
func mailBoundary(id string, parts [][]byte) string {
	for i := 0; ; i++ {
		h := sha256.Sum256([]byte("boundary\x00" + id + "\x00" + strconv.Itoa(i)))
		b := "chainrisk-" + hex.EncodeToString(h[:12])
		clash := false
		for _, p := range parts {
			clash = clash || bytes.Contains(p, []byte(b))
		}
		if !clash || i > 100 {
			return b
		}
	}
}

var mailIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$`)

// mailID is the left part of the Message-ID: the notification's id (its idempotency
// key), or a hash of it when it is not fit for the header.
func mailID(id string) string {
	if mailIDRE.MatchString(id) && !strings.Contains(id, "..") && !strings.HasSuffix(id, ".") {
		return "chainrisk." + id
	}
	h := sha256.Sum256([]byte(id))
	return "chainrisk." + hex.EncodeToString(h[:16])
}

// encodeHeader writes an unstructured header value: as it is when it is printable
// ASCII, else as RFC 2047 encoded-words (base64 for Chinese, which it shortens,
// Q-encoding otherwise), folded between words.
func encodeHeader(lang, s string) string {
	s = strings.Join(strings.Fields(s), " ")
	ascii := true
	for i := range len(s) {
		ascii = ascii && s[i] >= 0x20 && s[i] < 0x7f
	}
	if ascii && len(s) <= 900 {
		return s
	}
	enc := mime.QEncoding
	if lang != "en" {
		enc = mime.BEncoding
	}
	return strings.ReplaceAll(enc.Encode("utf-8", s), "?= =?", "?=\r\n =?")
}

var headerTokenRE = regexp.MustCompile(`[^A-Za-z0-9._:+-]`)

// headerToken keeps a machine value (an id, a rule name) to characters a header
// holds as they are.
func headerToken(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return headerTokenRE.ReplaceAllString(s, "_")
}
