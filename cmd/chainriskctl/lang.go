package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/config"
)

// lang is the language of the labels a command prints: "zh" or "en".
type lang string

// defaultLang is the language of LC_ALL, else LANG: English when it starts with
// "en", Chinese otherwise (and when neither is set).
func defaultLang() lang {
	v := os.Getenv("LC_ALL")
	if v == "" {
		v = os.Getenv("LANG")
	}
	if strings.HasPrefix(strings.ToLower(v), "en") {
		return "en"
	}
	return "zh"
}

// langFlag adds --lang to a command that prints labels.
func langFlag(fs *flag.FlagSet) *string {
	return fs.String("lang", string(defaultLang()), "language of the labels: zh or en (default from LC_ALL or LANG: en when it starts with en, else zh)")
}

// langOf is the --lang of fs, checked; ok is false (and the problem said) when it
// is neither zh nor en.
func langOf(fs *flag.FlagSet) (lang, bool) {
	f := fs.Lookup("lang")
	if f == nil {
		return defaultLang(), true
	}
	switch v := f.Value.String(); v {
	case "zh", "en":
		return lang(v), true
	default:
		fmt.Fprintf(fs.Output(), "chainriskctl %s: --lang %q: want zh or en\n", fs.Name(), v)
		return "", false
	}
}

// t is the label key in l; a key missing from the table is shown as it is.
func (l lang) t(key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if l == "en" {
		return m.en
	}
	return m.zh
}

// tf is t's label used as a format.
func (l lang) tf(key string, a ...any) string { return fmt.Sprintf(l.t(key), a...) }

// displayZone is the zone every listing prints times in: the config's default
// timezone, whatever the machine's.
var displayZone = func() *time.Location {
	loc, err := time.LoadLocation(config.DefaultTimezone) // credit.Shanghai
	if err != nil {
		return time.FixedZone("UTC+8", 8*3600)
	}
	return loc
}()

// showTime prints t in displayZone with its offset, e.g. 2026-03-01 08:00:00 +08:00.
func showTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(displayZone).Format("2006-01-02 15:04:05 -07:00")
}

// showTimeValue prints an RFC 3339 time of an answer as showTime does; anything
// else as it is.
func showTimeValue(v any) any {
	if s, ok := v.(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return showTime(t)
		}
	}
	return v
}
