// Package search is the firm directory's index: it finds firms by a substring of
// their name (Chinese or Latin, case- and width-folded) or a prefix of their USCC,
// and keeps each firm's tags for filtering. The monitor builds one Index per state —
// from scratch on a full scan, by Update on an incremental one — so that a firm added
// or renamed is found after the scan that takes it in. Search selects a page of the
// matches, filtered by the caller, in the name order or by a per-firm score, past a
// cursor (docs/operations.md, "Search").
//
// Names are indexed by their character bigrams: each distinct pair of consecutive
// runes (and each last rune, paired with an end mark) keys a sorted array of the
// nodes whose name holds it, with the offset of its first occurrence, all in flat
// arrays. A query of two characters is one posting list; a longer one intersects the
// lists of its bigrams and checks the survivors by their offsets, or by substring;
// one character merges the lists of the bigrams it begins. Renamed and new firms go
// to a small overlay searched by brute force until it passes a share of the index,
// when Update rebuilds.
package search
