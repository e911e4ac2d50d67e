// Package graph owns the enterprise supply graph: an immutable CSR Snapshot of
// every firm and supply relation for whole-graph numeric work, and the chain of a
// leading firm (tiers, paths to the leader) exported as a
// github.com/dominikbraun/graph subgraph, DOT and JSON.
package graph
