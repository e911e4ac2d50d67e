package demo

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo/internal/heilongjiang"
	"github.com/chainrisk/chainrisk/ownership"
)

// writeShareholdings writes the province's shareholdings: ownership.Generate's
// registry (groups, standalone firms held by persons, cross-holdings; about 1.5
// holdings per firm) lined up with the province's firms. Generate draws from its own
// random source, so the other files do not change. A person is keyed by a salted hash
// of its number and named from the province's vocabulary. Generate holds the whole
// registry (about 200 bytes per firm) while the rows are written, after everything
// else, when the province's own arrays are no longer read.
func (g *province) writeShareholdings(w *countingWriter) (int, error) {
	gen, err := ownership.Generate(ownership.GenOptions{Firms: g.n, Seed: g.opts.Seed,
		FirmID: func(i int) string { return string(g.uscc[i*18 : i*18+18]) }})
	if err != nil {
		return 0, err
	}
	w.write([]byte(csvHeader[credit.KindShareholdings]))
	salt := "chainrisk-gen-" + strconv.FormatUint(g.opts.Seed, 10)
	for _, h := range gen.Holdings {
		b := g.buf[:0]
		switch h.HolderKind {
		case ownership.Person:
			n, err := strconv.Atoi(strings.TrimPrefix(h.Holder, "p"))
			if err != nil {
				return 0, fmt.Errorf("person %q: %w", h.Holder, err)
			}
			b = append(b, heilongjiang.PersonID(salt, n)...)
			b = append(b, ",person,"...)
			b = append(b, personName(n)...)
		default:
			b = append(b, h.Holder...)
			b = append(b, ",firm,"...)
		}
		b = append(b, ',')
		b = append(b, h.Investee...)
		b = append(b, ',')
		b = strconv.AppendFloat(b, h.Share, 'f', -1, 64)
		b = append(b, ",,,\n"...)
		w.write(b)
		g.buf = b
	}
	return len(gen.Holdings), nil
}

// personName names person n: a surname and one or two given characters, drawn from a
// hash of n so that a person keeps its name however the rows are ordered.
func personName(n int) string {
	x := uint64(n)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	x ^= x >> 31
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 29
	s := heilongjiang.Surnames
	name := s[x%uint64(len(s))]
	x /= uint64(len(s))
	c := heilongjiang.GivenChars
	name += string(c[x%uint64(len(c))])
	if x /= uint64(len(c)); x%3 > 0 {
		name += string(c[(x/3)%uint64(len(c))])
	}
	return name
}
