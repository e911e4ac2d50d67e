package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/internal/testlog"
)

func TestLogNotifier(t *testing.T) {
	var logs testlog.Buffer
	nt := mustNotifier(t, Channel{Type: TypeLog}, testOptions(t, nil, &logs))
	rs := nt.Send(context.Background(), append(batch3("en"), resolvedChainRisk("zh")))
	for i, r := range rs {
		if r.Err != nil {
			t.Errorf("%d: %v", i, r.Err)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d log lines:\n%s", len(lines), logs.String())
	}
	for _, want := range []string{`"level":"WARN"`, `"rule":"grade_downgrade"`, `"uscc":"91330206MA2AHK5R3T"`, `"leader":"91330000MA27U8T41B"`, `"tier":2`, `"summary":"[WARNING] Credit grade downgraded`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line lacks %s: %s", want, lines[0])
		}
	}
	if !strings.Contains(lines[1], `"level":"ERROR"`) || !strings.Contains(lines[3], `"level":"INFO"`) {
		t.Errorf("levels: %s", logs.String())
	}
}

// TestLogGolden records the log channel's line for the payload goldens' notifications,
// indented, without the time.
func TestLogGolden(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		for _, tc := range goldenCases {
			name := "log." + lang + "." + tc.name + ".golden"
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
					if a.Key == slog.TimeKey && len(groups) == 0 {
						return slog.Attr{}
					}
					return a
				}})
				nt := &logNotifier{log: slog.New(h)}
				nt.Send(context.Background(), tc.batch(lang))
				var out bytes.Buffer
				for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
					if err := json.Indent(&out, []byte(line), "", "  "); err != nil {
						t.Fatal(err)
					}
					out.WriteString("\n")
				}
				golden(t, name, out.Bytes())
			})
		}
	}
}
