// Package risk holds the risk models as pure functions over the supply graph
// (package graph) and credit events (package credit): credit scores and grades,
// network distress, chain exposure, DebtRank stress tests and systemic
// importance (ESRI), each with its own parameter type and Default… values, and the
// verdict of an investment-attraction check.
package risk
