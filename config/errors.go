package config

import (
	"fmt"
	"strings"
)

// Error is one problem found in a config: where (file, line and column when known), which
// key (a path such as "alerts.subscriptions[0].channels[1].secret"), and what is wrong.
type Error struct {
	File   string
	Line   int // 1-based; 0 when unknown
	Column int // 1-based; 0 when unknown
	Path   string
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// position is where a key or a list element was written.
type position struct{ line, column int }
