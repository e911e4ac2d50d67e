package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestOwnershipCommand: the carton maker's ownership graph as a table, JSON
// and DOT, and its related parties in the enterprise command.
func TestOwnershipCommand(t *testing.T) {
	startDemo(t)
	const (
		supplier = "912301113528741157"
		middle   = "91230103MA0LW33J30"
		holding  = "91230102MAHTL3M900"
	)
	var out, errOut bytes.Buffer
	if code := run([]string{"ownership", supplier}, &out, &errOut); code != exitOK {
		t.Fatalf("ownership: exit %d: %s", code, errOut.String())
	}
	var controller string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "actual_controller") {
			controller = line
		}
	}
	if f := strings.Fields(controller); len(f) < 9 || f[0] != "2" || f[3] != holding || f[5] != "D" ||
		!strings.Contains(controller, middle+" 65%") {
		t.Errorf("controller row %q in\n%s", controller, out.String())
	}
	out.Reset()
	if code := run([]string{"ownership", supplier, "--depth", "1", "--output", "json"}, &out, &errOut); code != exitOK {
		t.Fatalf("ownership --output json: exit %d: %s", code, errOut.String())
	}
	var doc struct {
		Depth int
		Nodes []map[string]any
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Depth != 1 || len(doc.Nodes) != 4 {
		t.Errorf("json depth 1: %v %+v", err, doc)
	}
	out.Reset()
	if code := run([]string{"ownership", supplier, "--output", "dot"}, &out, &errOut); code != exitOK ||
		!strings.HasPrefix(out.String(), "digraph ownership {") || !strings.Contains(out.String(), `"firm:`+holding+`" -> "firm:`+middle+`"`) {
		t.Errorf("dot: exit %d: %s", code, out.String())
	}
	out.Reset()
	if code := run([]string{"enterprise", supplier}, &out, &errOut); code != exitOK {
		t.Fatalf("enterprise: exit %d: %s", code, errOut.String())
	}
	s := out.String()
	i := strings.Index(s, "related parties")
	if i < 0 || !strings.Contains(s[i:], "actual_controller  "+holding) || !strings.Contains(s[i:], "DISTRESSED") ||
		!strings.Contains(s[i:], holding+" → "+middle+" → "+supplier) {
		t.Errorf("enterprise without its related parties:\n%s", s)
	}
	if code := run([]string{"ownership"}, &out, &errOut); code != exitUsage {
		t.Errorf("no uscc: exit %d", code)
	}
}
