package notify

import (
	"embed"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"
)

//go:embed templates/*.tmpl
var templateFiles embed.FS

// summaryTemplates parses the embedded templates once, keyed by language.
var summaryTemplates = sync.OnceValues(func() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, lang := range []string{"zh", "en"} {
		t, err := template.New(lang).Funcs(summaryFuncs).ParseFS(templateFiles, "templates/"+lang+".tmpl")
		if err != nil {
			return nil, fmt.Errorf("alerts: parse %s templates: %w", lang, err)
		}
		out[lang] = t
	}
	return out, nil
})

var summaryFuncs = template.FuncMap{
	"has":    func(m map[string]float64, k string) bool { _, ok := m[k]; return ok },
	"num":    FormatNumber,
	"signed": FormatSigned,
	"pct":    func(v float64) string { return FormatNumber(v*100) + "%" },
	"sub":    func(a, b float64) float64 { return a - b },
	"abs": func(v int) int {
		if v < 0 {
			return -v
		}
		return v
	},
	"zhnum": func(v int) string {
		if v >= 1 && v <= 9 {
			return string([]rune("一二三四五六七八九")[v-1])
		}
		return strconv.Itoa(v)
	},
}

// summaryData is what the templates see.
type summaryData struct {
	*Notification
	// Hops are the firms along Path, each with the share of the hop that reaches it.
	Hops []hop
	// Lasted is how long a resolved alert was active ("3h20m"), or empty.
	Lasted string
	// ShowFirm and HideChain shape a section of a group (message.go): its short title
	// names the firm when the heading does not, and its chain lines are left out when
	// the heading shows the same.
	ShowFirm, HideChain bool
}

type hop struct {
	USCC, Name string
	Share      float64
	HasShare   bool
}

// Summary renders the notification's human summary in its language: a title line, then
// the subject's place in the chain (tier and path to the leader), figures and the top
// reasons, one per line. For an alert message carrying a group it is the summary of
// the message's own (most severe) alert; for a snapshot or a digest, the whole message
// as text.
func Summary(n *Notification) (string, error) {
	if n.Kind != KindAlert {
		d, err := render(n)
		if err != nil {
			return "", err
		}
		return d.text(), nil
	}
	w, err := newWriter(n.Language)
	if err != nil {
		return "", err
	}
	s := w.exec(summaryName(w, n), newSummaryData(n))
	if w.err != nil {
		return "", fmt.Errorf("alerts: render %s summary: %w", n.Rule, w.err)
	}
	return s, nil
}

// summaryName is the template of an alert's summary: its rule's, "generic" for a rule
// without one, "resolved" once resolved.
func summaryName(w *writer, n *Notification) string {
	switch {
	case n.Status == StatusResolved:
		return "resolved"
	case w.t.Lookup(n.Rule) == nil:
		return "generic"
	}
	return n.Rule
}

// writer runs the templates of one language, keeping the first error so that a
// message's many small parts need not each be checked.
type writer struct {
	lang string
	t    *template.Template
	err  error
}

// newWriter is the writer of lang ("" means zh).
func newWriter(lang string) (*writer, error) {
	all, err := summaryTemplates()
	if err != nil {
		return nil, err
	}
	l := lang
	if l == "" {
		l = "zh"
	}
	t := all[l]
	if t == nil {
		return nil, fmt.Errorf("alerts: no summary template for language %q", lang)
	}
	return &writer{lang: l, t: t}, nil
}

// exec runs the named template with data and tidies its lines; after an error it
// writes nothing.
func (w *writer) exec(name string, data any) string {
	if w.err != nil {
		return ""
	}
	var b strings.Builder
	if err := w.t.ExecuteTemplate(&b, name, data); err != nil {
		w.err = err
		return ""
	}
	return tidyLines(b.String())
}

func newSummaryData(n *Notification) summaryData {
	d := summaryData{Notification: n}
	for i, uscc := range n.Path {
		h := hop{USCC: uscc}
		if i < len(n.PathNames) {
			h.Name = n.PathNames[i]
		}
		if i > 0 && i-1 < len(n.PathShares) {
			h.Share, h.HasShare = n.PathShares[i-1], true
		}
		d.Hops = append(d.Hops, h)
	}
	if n.Status == StatusResolved && !n.StartedAt.IsZero() && n.EndedAt.After(n.StartedAt) {
		d.Lasted = formatLasted(n.EndedAt.Sub(n.StartedAt))
	}
	return d
}

// tidyLines drops empty lines and trailing spaces, which lets templates put every
// optional part on a line of its own.
func tidyLines(s string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimRight(line, " \t\r"); strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// FormatNumber writes scores as integers and ratios with up to three decimals.
func FormatNumber(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case math.Abs(v) >= 100 || v == math.Trunc(v):
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	s := strconv.FormatFloat(v, 'f', 3, 64)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

// FormatSigned writes a change with an explicit sign, using U+2212 for minus as the
// reasons do.
func FormatSigned(v float64) string {
	if v < 0 {
		return "−" + FormatNumber(-v)
	}
	return "+" + FormatNumber(v)
}

// formatLasted writes a duration to the minute: "45m", "3h20m", "2d4h".
func formatLasted(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case d < time.Minute:
		return "<1m"
	case days > 0:
		return fmt.Sprintf("%dd%dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh%dm", hours, mins)
	}
	return fmt.Sprintf("%dm", mins)
}
