// Package offline reads the CSV files of offline analysis — a DebtRank stress test
// on a network of impacts, the ESRI of every firm of a production network — into
// the risk models' inputs, without a server or a store. Every row is checked, and
// every problem points at its file, line and field; input with any problem computes
// nothing.
package offline
