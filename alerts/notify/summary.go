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
}

type hop struct {
	USCC, Name string
	Share      float64
	HasShare   bool
}

// Summary renders the notification's human summary in its language: a title line, then
// the subject's place in the chain (tier and path to the leader), figures and the top
// reasons, one per line.
func Summary(n *Notification) (string, error) {
	all, err := summaryTemplates()
	if err != nil {
		return "", err
	}
	lang := n.Language
	if lang == "" {
		lang = "zh"
	}
	t := all[lang]
	if t == nil {
		return "", fmt.Errorf("alerts: no summary template for language %q", n.Language)
	}
	name := n.Rule
	switch {
	case n.Status == StatusResolved:
		name = "resolved"
	case t.Lookup(name) == nil:
		name = "generic"
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, name, newSummaryData(n)); err != nil {
		return "", fmt.Errorf("alerts: render %s summary: %w", n.Rule, err)
	}
	return tidyLines(b.String()), nil
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
