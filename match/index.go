package match

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
)

// Firm is what the index knows of an enterprise.
type Firm struct {
	USCC        string
	Name        string
	FormerNames []string // 曾用名
	Region      string   // 6-digit division code
}

// Skipped is a name the index left out, and why: a firm whose Name is refused by
// Normalize or whose USCC is empty or repeated is left out whole (Former -1); a refused
// former name leaves out that name only.
type Skipped struct {
	USCC   string
	Name   string
	Former int // index into FormerNames, or -1 for Name
	Err    error
}

// Index answers Match over a fixed set of firms. It is read-only once built and safe
// for concurrent use.
//
// Every distinct normalized name of a firm (its Name and FormerNames) is an entry.
// Entries' cores sit in one string; each character bigram has a posting list of the
// entries holding it, ascending, all lists in one flat array.
type Index struct {
	firms   []Firm
	byUSCC  map[string]int32
	skipped []Skipped

	arena     string   // the entries' cores, one after the other
	entOff    []uint32 // entry e's core is arena[entOff[e]:entOff[e+1]]
	entFirm   []int32
	entFormer []int16 // -1 for the current name, else the former name's index
	entGrams  []uint8 // distinct bigrams of the core

	exact    map[string]int32 // core → first entry with it
	nextSame []int32          // next entry with the same core, or -1

	gramID    map[uint64]uint32
	postStart []uint32 // bigram g's entries are post[postStart[g]:postStart[g+1]]
	post      []int32

	pool sync.Pool // of *scratch
}

// NewIndex indexes firms. Names Normalize refuses, empty and repeated USCCs are left
// out and listed by Skipped; the rest is indexed.
func NewIndex(firms []Firm) *Index {
	ix := &Index{
		firms:     firms,
		byUSCC:    make(map[string]int32, len(firms)),
		exact:     make(map[string]int32, len(firms)),
		gramID:    make(map[uint64]uint32),
		entOff:    make([]uint32, 1, len(firms)+1),
		entFirm:   make([]int32, 0, len(firms)),
		entFormer: make([]int16, 0, len(firms)),
		entGrams:  make([]uint8, 0, len(firms)),
		nextSame:  make([]int32, 0, len(firms)),
	}
	nc := normalizeAll(firms)
	var arena strings.Builder
	arena.Grow(nc.bytes)
	grams := make([]uint32, 0, nc.bytes/3) // every entry's bigram ids, in entry order
	var gramCount []int32                  // postings per bigram
	var names []string
	var keys []uint64
	for f := range firms {
		names = ix.firmCores(int32(f), &firms[f], nc, names[:0])
		for k, core := range names {
			if core == "" {
				continue // refused, or the same core as an earlier name
			}
			ix.entFirm = append(ix.entFirm, int32(f))
			ix.entFormer = append(ix.entFormer, int16(k-1))
			ix.nextSame = append(ix.nextSame, -1)
			arena.WriteString(core)
			ix.entOff = append(ix.entOff, uint32(arena.Len()))
			keys = appendGrams(keys[:0], core)
			ix.entGrams = append(ix.entGrams, uint8(len(keys)))
			for _, key := range keys {
				id, ok := ix.gramID[key]
				if !ok {
					id = uint32(len(gramCount))
					ix.gramID[key] = id
					gramCount = append(gramCount, 0)
				}
				gramCount[id]++
				grams = append(grams, id)
			}
		}
	}
	ix.arena = arena.String()
	ix.linkExact()
	ix.fillPostings(grams, gramCount)
	return ix
}

// normalized holds Normalize's answers for every name of every firm: firm f's Name at
// start[f], its FormerNames after it.
type normalized struct {
	start []int
	cores []string
	errs  []error
	bytes int // the cores' total length
}

// normalizeAll normalizes every name, on every core.
func normalizeAll(firms []Firm) *normalized {
	nc := &normalized{start: make([]int, len(firms)+1)}
	for f := range firms {
		nc.start[f+1] = nc.start[f] + 1 + len(firms[f].FormerNames)
	}
	nc.cores = make([]string, nc.start[len(firms)])
	nc.errs = make([]error, len(nc.cores))
	workers := runtime.GOMAXPROCS(0)
	sizes := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for f := w * len(firms) / workers; f < (w+1)*len(firms)/workers; f++ {
				i := nc.start[f]
				nc.cores[i], nc.errs[i] = Normalize(firms[f].Name)
				for k, old := range firms[f].FormerNames {
					nc.cores[i+1+k], nc.errs[i+1+k] = Normalize(old)
				}
				for _, c := range nc.cores[i:nc.start[f+1]] {
					sizes[w] += len(c)
				}
			}
		})
	}
	wg.Wait()
	for _, n := range sizes {
		nc.bytes += n
	}
	return nc
}

// firmCores sets out to firm f's cores: out[0] that of Name, out[k] that of
// FormerNames[k-1], "" for a refused name or one whose core an earlier name has. It
// returns out empty, recording why, when the firm is left out.
func (ix *Index) firmCores(f int32, fm *Firm, nc *normalized, out []string) []string {
	i := nc.start[f]
	var why error
	switch _, dup := ix.byUSCC[fm.USCC]; {
	case fm.USCC == "":
		why = errors.New("empty USCC")
	case dup:
		why = fmt.Errorf("USCC %s repeated", fm.USCC)
	default:
		why = nc.errs[i]
	}
	if why != nil {
		ix.skipped = append(ix.skipped, Skipped{USCC: fm.USCC, Name: fm.Name, Former: -1, Err: why})
		return out
	}
	ix.byUSCC[fm.USCC] = f
	out = append(out, nc.cores[i])
	for k, old := range fm.FormerNames {
		c, err := nc.cores[i+1+k], nc.errs[i+1+k]
		if k >= math.MaxInt16 {
			c, err = "", errors.New("more than 32,767 former names")
		}
		if err != nil {
			ix.skipped = append(ix.skipped, Skipped{USCC: fm.USCC, Name: old, Former: k, Err: err})
		}
		for _, seen := range out {
			if seen == c {
				c = ""
				break
			}
		}
		out = append(out, c)
	}
	return out
}

// linkExact chains the entries by core. Cores are substrings of the arena, so the map
// holds no copies.
func (ix *Index) linkExact() {
	for e := len(ix.entFirm) - 1; e >= 0; e-- { // so that each chain ascends
		core := ix.core(int32(e))
		if first, ok := ix.exact[core]; ok {
			ix.nextSame[e] = first
		}
		ix.exact[core] = int32(e)
	}
}

// fillPostings lays out the posting lists by counting sort; entries are visited in
// order, so every list ascends.
func (ix *Index) fillPostings(grams []uint32, gramCount []int32) {
	ix.postStart = make([]uint32, len(gramCount)+1)
	for g, c := range gramCount {
		ix.postStart[g+1] = ix.postStart[g] + uint32(c)
	}
	ix.post = make([]int32, len(grams))
	fill := append([]uint32(nil), ix.postStart[:len(gramCount)]...)
	i := 0
	for e, n := range ix.entGrams {
		for _, g := range grams[i : i+int(n)] {
			ix.post[fill[g]] = int32(e)
			fill[g]++
		}
		i += int(n)
	}
}

// core returns entry e's normalized name.
func (ix *Index) core(e int32) string { return ix.arena[ix.entOff[e]:ix.entOff[e+1]] }

// Len returns the number of firms indexed.
func (ix *Index) Len() int { return len(ix.byUSCC) }

// Skipped lists the names left out when the index was built.
func (ix *Index) Skipped() []Skipped { return ix.skipped }

// SizeBytes estimates the memory the index holds beyond the firms themselves.
func (ix *Index) SizeBytes() int {
	n := len(ix.arena) + 4*len(ix.entOff) + 4*len(ix.entFirm) + 2*len(ix.entFormer) + len(ix.entGrams)
	n += 4*len(ix.nextSame) + 4*len(ix.postStart) + 4*len(ix.post)
	n += len(ix.exact)*40 + len(ix.byUSCC)*40 + len(ix.gramID)*24 // map slots, roughly
	return n
}

// appendGrams appends the distinct character bigrams of s to out, each as its two
// runes in one key.
func appendGrams(out []uint64, s string) []uint64 {
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			key := uint64(prev)<<32 | uint64(uint32(r))
			dup := false
			for _, k := range out {
				if k == key {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, key)
			}
		}
		prev = r
	}
	return out
}
