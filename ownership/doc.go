// Package ownership owns the shareholding registry (an immutable CSR snapshot of
// firms, natural persons and their stakes) and the checks computed on it: penetrated
// shares, beneficial owners, the actual controller, investees and legal representatives.
package ownership
