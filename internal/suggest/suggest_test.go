package suggest

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "abc", 0},
		{"enterprize", "enterprise", 1},
		{"event", "events", 1},
		{"ab", "ba", 1}, // a transposition is one edit
		{"kitten", "sitting", 3},
		{"失信被执行人", "失信执行人", 1},
		{"", "abc", 3},
		{strings.Repeat("a", 65), "a", 1<<31 - 1},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"enterprise", "events", "enterprises", "relations", "scan", "scans"}
	for _, tc := range []struct{ name, want string }{
		{"enterprize", "enterprise"},
		{"event", "events"},
		{"Relation", "relations"},
		{"scna", "scan"},
		{"xyz", ""}, // nothing near
		{"sc", ""},  // 2 edits from scan, but a 2-letter word is not a typo of it
		{"enterprises", "enterprises"},
		{"r\xe9lations", ""}, // not UTF-8: the encoding is the mistake
	} {
		if got := Closest(tc.name, known); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
