package demo

// ProvinceEventType is one event type of the synthetic province with its relative
// frequency, as GenerateProvince draws them: simulations that add events to a
// generated province day by day draw from the same mix.
type ProvinceEventType struct {
	Type        string
	Weight      int
	Source      string
	Description string
	// Amount bounds the event's amount in CNY (drawn log-uniformly); zero: none.
	Amount [2]float64
	// Repaired is the share of such events that are repaired later.
	Repaired float64
	// RepairedBy is who decides the repairs.
	RepairedBy string
}

// ProvinceEventMix returns the event types of the synthetic province with their
// weights (a fresh copy).
func ProvinceEventMix() []ProvinceEventType {
	out := make([]ProvinceEventType, len(provinceEvents))
	for i, pe := range provinceEvents {
		out[i] = ProvinceEventType{Type: pe.name, Weight: pe.weight, Source: pe.source, Description: pe.description,
			Amount: pe.amount, Repaired: pe.repair, RepairedBy: pe.repairedBy}
	}
	return out
}
