package offline

import (
	"fmt"
	"strings"

	"github.com/chainrisk/chainrisk/graph"
)

// StressInput is a DebtRank input read from files: the impact matrix W and the
// nodes' values, by node (nil: equal values).
type StressInput struct {
	Net    *graph.Network
	Values []float64
}

// MissingValues names the nodes of a network that its values file gives no value.
type MissingValues struct {
	File, Network string
	Nodes         []string
}

func (e *MissingValues) Error() string {
	lines := make([]string, len(e.Nodes))
	for i, n := range e.Nodes {
		lines[i] = fmt.Sprintf("%s: no value for node %q of %s", e.File, n, e.Network)
	}
	return strings.Join(lines, "\n")
}

// ReadStress reads a DebtRank network from networkPath, with columns from,to,impact
// (the impact of from's distress on to, which DebtRank caps at 1), and, unless
// valuesPath is "", the nodes' values from valuesPath, with columns node,value. A
// node named only in the values file is an isolated node: it takes part in the
// normalisation of values and can be shocked.
//
// Bad rows are returned as Problems, nodes without a value as *MissingValues; other
// errors (an unreadable file) say "stress: ".
func ReadStress(networkPath, valuesPath string) (*StressInput, error) {
	var bad Problems
	edges, err := readEdges(networkPath, [3]string{"from", "to", "impact"}, &bad, nil)
	if err != nil {
		return nil, fmt.Errorf("stress: %w", err)
	}
	var valueNodes []string
	valueOf := map[string]float64{}
	if valuesPath != "" {
		if valueNodes, err = readValues(valuesPath, valueOf, &bad); err != nil {
			return nil, fmt.Errorf("stress: %w", err)
		}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	net, err := graph.NewNetwork(valueNodes, edges)
	if err != nil {
		return nil, fmt.Errorf("stress: %w", err)
	}
	in := &StressInput{Net: net}
	if valuesPath == "" {
		return in, nil
	}
	missing := &MissingValues{File: valuesPath, Network: networkPath}
	in.Values = make([]float64, net.Len())
	for i := range in.Values {
		v, ok := valueOf[net.ID(i)]
		if !ok {
			missing.Nodes = append(missing.Nodes, net.ID(i))
		}
		in.Values[i] = v
	}
	if len(missing.Nodes) > 0 {
		return nil, missing
	}
	return in, nil
}

// readEdges reads a file of weighted edges whose columns cols name the source,
// the target and the weight: no self-loop, each pair once. keep (nil: every edge)
// may leave an edge out, having reported why.
func readEdges(path string, cols [3]string, bad *Problems, keep func(r row, from, to string) bool) ([]graph.Edge, error) {
	fromCol, toCol, wCol := cols[0], cols[1], cols[2]
	var edges []graph.Edge
	edgeLine := map[[2]string]int{}
	err := readCSV(path, cols[:], bad, func(r row) {
		from, to := r.id(fromCol), r.id(toCol)
		w, wok := r.nonNegative(wCol)
		if from == "" || to == "" || !wok {
			return
		}
		if from == to {
			r.bad(toCol, "self-loop on %q", from)
			return
		}
		if first, dup := edgeLine[[2]string{from, to}]; dup {
			r.bad(toCol, "duplicate edge %s→%s (first at line %d)", from, to, first)
			return
		}
		edgeLine[[2]string{from, to}] = r.line
		if keep == nil || keep(r, from, to) {
			edges = append(edges, graph.Edge{From: from, To: to, Weight: w})
		}
	})
	return edges, err
}

// readValues reads a values file into valueOf and returns its nodes in file order.
func readValues(path string, valueOf map[string]float64, bad *Problems) ([]string, error) {
	var nodes []string
	valueLine := map[string]int{}
	err := readCSV(path, []string{"node", "value"}, bad, func(r row) {
		node := r.id("node")
		v, vok := r.nonNegative("value")
		if node == "" || !vok {
			return
		}
		if first, dup := valueLine[node]; dup {
			r.bad("node", "duplicate node %q (first at line %d)", node, first)
			return
		}
		valueLine[node] = r.line
		nodes = append(nodes, node)
		valueOf[node] = v
	})
	return nodes, err
}
