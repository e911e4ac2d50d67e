package match

import (
	"math"
	"slices"
)

// countShared counts, for the entries that can reach CandidateScore, how many of the
// query's nq distinct bigrams (sc.grams) they hold, into sc.count, and returns those
// entries.
//
// It filters by prefix: an entry holding s of the query's bigrams and c in all has
// Dice 2s/(nq+c) ≤ 2s/(nq+s), which is at least CandidateScore only if s ≥ minShared =
// ⌈t·nq/(2−t)⌉. Such an entry is in at least one of any nq−minShared+1 of the query's
// posting lists, so only the shortest nq−minShared+1 lists bring in entries; the longer
// ones only add to the counts of entries already in, by a scan or by binary searches,
// whichever reads less. At most candidateCap entries are brought in.
func (ix *Index) countShared(sc *scratch, nq int) []int32 {
	sc.lists = sc.lists[:0]
	for _, key := range sc.grams {
		var list []int32
		if g, ok := ix.gramID[key]; ok {
			list = ix.post[ix.postStart[g]:ix.postStart[g+1]]
		}
		sc.lists = append(sc.lists, list)
	}
	slices.SortFunc(sc.lists, func(a, b []int32) int { return len(a) - len(b) })
	minShared := max(1, int(math.Ceil(CandidateScore*float64(nq)/(2-CandidateScore)-1e-9)))
	intro := nq - minShared + 1
	touched := sc.touched[:0]
	count := sc.count
	for i, list := range sc.lists {
		if i >= intro || len(touched) == candidateCap {
			countExisting(list, touched, count)
			continue
		}
		for _, e := range list {
			if count[e] == 0 {
				if len(touched) == candidateCap {
					continue
				}
				touched = append(touched, e)
			}
			count[e]++
		}
	}
	sc.touched = touched
	return touched
}

// countExisting adds one to the count of each touched entry in list (ascending), by a
// scan of the list or a binary search per entry, whichever reads less.
func countExisting(list, touched []int32, count []uint8) {
	if len(list) <= len(touched)*bits(len(list)) {
		for _, e := range list {
			if count[e] > 0 {
				count[e]++
			}
		}
		return
	}
	for _, e := range touched {
		if _, found := slices.BinarySearch(list, e); found {
			count[e]++
		}
	}
}

// bits returns the number of binary digits of n, the cost of a binary search in a list
// of n.
func bits(n int) int {
	b := 1
	for n > 1 {
		n >>= 1
		b++
	}
	return b
}
