package ui

import (
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

// relationPrefix starts the message keys of related-party relations.
const relationPrefix = "relation."

// funcs are the templates' helpers in lang.
func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":  func(key string) string { return text(lang, key) },
		"tf": func(key string, args ...any) string { return fmt.Sprintf(text(lang, key), args...) },
		"pct": func(v float64) string {
			return strconv.FormatFloat(v*100, 'f', 2, 64) + "%"
		},
		"num": func(v float64, digits int) string { return strconv.FormatFloat(v, 'f', digits, 64) },
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(credit.Shanghai).Format("2006-01-02")
		},
		"datetime": func(t time.Time) string { return t.In(credit.Shanghai).Format("2006-01-02 15:04") },
		"grade": func(g string) string {
			if g == "" || g == "unknown" {
				return text(lang, "grade.unknown")
			}
			return g
		},
		"gradeClass": func(g string) string {
			switch g {
			case "A", "B", "C", "D":
				return "grade grade-" + g
			}
			return "grade grade-unknown"
		},
		"withq": with,
		// relation words a related-party relation, or shows it as the API names it.
		"relation": func(r string) string {
			key := relationPrefix + r
			if _, ok := messages[key]; ok {
				return text(lang, key)
			}
			return r
		},
		"add": func(a, b int) int { return a + b },
		"other": func(l string) string {
			if l == "en" {
				return "zh"
			}
			return "en"
		},
	}
}

func urlParseQuery(raw string) (url.Values, error) { return url.ParseQuery(raw) }

// pager is one page of a list and the links around it.
type pager struct {
	Page, Pages int
	Prev, Next  string // "" at the ends
	// First links the first page where a cursor, not a page number, says where a
	// page starts (the way back is to the start).
	First string
}

// paginate cuts n items into pages of size and returns the range of the requested
// page (?page=, 1-based; out of range is clamped) with its links.
func paginate(path string, pageParam string, n, size int) (lo, hi int, p pager) {
	p.Pages = max(1, (n+size-1)/size)
	p.Page, _ = strconv.Atoi(pageParam)
	p.Page = min(max(p.Page, 1), p.Pages)
	lo, hi = (p.Page-1)*size, min(p.Page*size, n)
	if p.Page > 1 {
		p.Prev = with(path, "page", strconv.Itoa(p.Page-1))
	}
	if p.Page < p.Pages {
		p.Next = with(path, "page", strconv.Itoa(p.Page+1))
	}
	return lo, hi, p
}
