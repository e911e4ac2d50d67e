package risk

import "slices"

// FirmData gives what the models read of the firms besides the graph, by node
// index: the revenues that weigh firms in DebtRank and fill in ESRI's missing
// amounts, and the industries that make ESRI's sectors.
type FirmData interface {
	// Revenue is the firm's revenue in CNY per year; 0 when unknown.
	Revenue(v int32) float64
	// Industry is the firm's GB/T 4754 industry code; "" when unknown.
	Industry(v int32) string
}

// typicalRevenue is the median of the known revenues, the value a firm without one
// takes; 1 when none is known (every firm then weighs the same). It sorts known.
func typicalRevenue(known []float64) float64 {
	if len(known) == 0 {
		return 1
	}
	slices.Sort(known)
	mid := len(known) / 2
	if len(known)%2 == 0 {
		return (known[mid-1] + known[mid]) / 2
	}
	return known[mid]
}
