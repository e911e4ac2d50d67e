// Package demo ships the demo dataset that `chainriskd -demo` loads into an empty store:
// fictional Heilongjiang firms around three leading enterprises, a year of credit events
// and repairs (see README.md), plus GenerateProvince and WriteProvince, the synthetic
// province-scale data set behind `chainriskctl gen`.
package demo
