package credit

// englishLabels are the English labels of the default catalogue's types, beside
// their Chinese meanings (EventType.Meaning).
var englishLabels = map[string]string{
	"serious_dishonesty_list":   "Seriously dishonest entity list",
	"dishonest_judgment_debtor": "Dishonest judgment debtor",
	"major_tax_violation":       "Major tax violation",
	"bankruptcy":                "Bankruptcy filing or liquidation",
	"license_revoked":           "Licence or business licence revoked",
	"consumption_restriction":   "High-consumption restriction",
	"penalty_serious":           "Administrative penalty (serious)",
	"tax_arrears":               "Tax arrears notice",
	"equity_freeze":             "Equity freeze",
	"abnormal_operation":        "Abnormal operations list",
	"judgment_debtor":           "Judgment debtor",
	"penalty_general":           "Administrative penalty (general)",
	"social_insurance_arrears":  "Social-insurance arrears",
	"overdue_payment":           "Overdue payment",
	"utility_arrears":           "Utility arrears",
	"penalty_minor":             "Administrative penalty (minor)",
	"honor":                     "Honour or commendation",
	"a_level_taxpayer":          "A-level taxpayer",
	"contract_abiding":          "Contract-abiding and trustworthy",
	"commitment_kept":           "Credit commitment kept",
}

// EnglishLabel is the English label of an event type of the default catalogue, or
// the type's name for a type a config declares.
func EnglishLabel(name string) string {
	if l, ok := englishLabels[name]; ok {
		return l
	}
	return name
}
