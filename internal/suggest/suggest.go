// Package suggest finds the known name a mistyped one was probably meant to be, for
// the "did you mean" of config keys, CSV columns, event types, commands and kinds.
package suggest

import (
	"math"
	"strings"
	"unicode/utf8"
)

// Closest returns the name of known nearest to name (case-insensitively) when it is
// close enough to be a typo: fewer than 3 edits, and fewer edits than name has
// characters. It returns "" when none is, and for a name that is not UTF-8 (its
// encoding is the mistake, not its spelling); of equally near names, the first in known.
func Closest(name string, known []string) string {
	if !utf8.ValidString(name) {
		return ""
	}
	best, bestDist := "", 3
	lower := strings.ToLower(name)
	for _, k := range known {
		if d := Distance(lower, strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" || bestDist >= len([]rune(name)) {
		return ""
	}
	return best
}

// Distance is the optimal string alignment distance between a and b, in characters:
// insertions, deletions, substitutions and transpositions of adjacent characters each
// cost 1. Names longer than 64 characters are infinitely far from everything.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return math.MaxInt32
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
