// Package credit holds chainrisk's domain vocabulary: unified social credit codes
// (USCC, GB 32100-2015), enterprises, supply relations, shareholdings, natural persons'
// identity numbers (GB 11643) and names, credit events and repairs, and the catalogue
// of event types with their points, severities and publicity periods.
package credit
