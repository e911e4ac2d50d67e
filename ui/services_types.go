package ui

import "time"

// The API's answers of checks, screenings, graded lists and search as the console
// reads them (api/openapi.json names every field).

type checkReasonJSON struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Subject  string `json:"subject"`
	ZH       string `json:"zh"`
	EN       string `json:"en"`
}

// checkFirmJSON is the credit report of one firm of a check.
type checkFirmJSON struct {
	USCC         string      `json:"uscc"`
	Found        bool        `json:"found"`
	Name         string      `json:"name"`
	Status       string      `json:"status"`
	Grade        string      `json:"grade"`
	Score        *float64    `json:"score"`
	P            *float64    `json:"p"`
	SevereEvents []eventJSON `json:"severe_events"`
}

// checkPartyJSON is a firm or a person with a stake; Name is as the API gives it
// (a person's masked for callers other than admins).
type checkPartyJSON struct {
	HolderKind      string   `json:"holder_kind"` // firm | person
	USCC            string   `json:"uscc"`
	Found           bool     `json:"found"`
	PersonID        string   `json:"person_id"`
	Name            string   `json:"name"`
	Grade           string   `json:"grade"`
	Score           *float64 `json:"score"`
	Share           float64  `json:"share"`
	PenetratedShare float64  `json:"penetrated_share"`
	Path            []string `json:"path"`
	Listed          bool     `json:"listed"`
	Fallback        bool     `json:"fallback"`
	Cyclic          bool     `json:"cyclic"`
	SameLegalRep    bool     `json:"same_legal_rep"`
}

type checkJSON struct {
	ID                  int64             `json:"id"`
	Verdict             string            `json:"verdict"`
	Reasons             []checkReasonJSON `json:"reasons"`
	Target              checkFirmJSON     `json:"target"`
	Shareholders        []checkPartyJSON  `json:"shareholders"`
	BeneficialOwners    []checkPartyJSON  `json:"beneficial_owners"`
	ActualController    *checkPartyJSON   `json:"actual_controller"`
	Investees           []checkPartyJSON  `json:"investees"`
	LegalRepresentative *struct {
		PersonID   string           `json:"person_id"`
		Name       string           `json:"name"`
		OtherFirms []checkPartyJSON `json:"other_firms"`
	} `json:"legal_representative"`
	Completeness struct {
		KnownShare float64 `json:"known_share"`
	} `json:"completeness"`
	ScanID    int64     `json:"scan_id"`
	CheckedAt time.Time `json:"checked_at"`
}

type checkListJSON struct {
	ID        int64     `json:"id"`
	USCC      string    `json:"uscc"`
	Verdict   string    `json:"verdict"`
	ScanID    int64     `json:"scan_id"`
	CheckedAt time.Time `json:"checked_at"`
}

type screeningRowJSON struct {
	USCC    string            `json:"uscc"`
	Name    string            `json:"name"`
	Verdict string            `json:"verdict"`
	Grade   string            `json:"grade"`
	Reasons []checkReasonJSON `json:"reasons"`
	CheckID *int64            `json:"check_id"`
	Error   string            `json:"error"`
}

type screeningJSON struct {
	Rows   []screeningRowJSON `json:"rows"`
	Counts map[string]int     `json:"counts"`
}

type severityWindowJSON struct {
	Severities []string `json:"severities"`
	Within     string   `json:"within"`
}

type conditionJSON struct {
	Grade                 []string            `json:"grade"`
	Status                []string            `json:"status"`
	NoActiveNegativeEvent *bool               `json:"no_active_negative_event"`
	NoEventSeverity       *severityWindowJSON `json:"no_event_severity"`
	ActiveEventSeverity   []string            `json:"active_event_severity"`
}

type listJSON struct {
	Name     string `json:"name"`
	TitleZh  string `json:"title_zh"`
	TitleEn  string `json:"title_en"`
	Criteria struct {
		AllOf []conditionJSON `json:"all_of"`
		AnyOf []conditionJSON `json:"any_of"`
	} `json:"criteria"`
	Count int `json:"count"`
}

type listsJSON struct {
	Lists      []listJSON `json:"lists"`
	ScanID     int64      `json:"scan_id"`
	ComputedAt time.Time  `json:"computed_at"`
}

type listMemberJSON struct {
	USCC     string  `json:"uscc"`
	Name     string  `json:"name"`
	Region   string  `json:"region"`
	Industry string  `json:"industry"`
	Grade    string  `json:"grade"`
	Score    float64 `json:"score"`
	Reasons  []struct {
		Condition string `json:"condition"`
		Detail    string `json:"detail"`
	} `json:"reasons"`
}

type listPageJSON struct {
	Name       string           `json:"name"`
	TitleZh    string           `json:"title_zh"`
	TitleEn    string           `json:"title_en"`
	Total      int              `json:"total"`
	Members    []listMemberJSON `json:"members"`
	NextCursor *string          `json:"next_cursor"`
	ScanID     int64            `json:"scan_id"`
	ComputedAt time.Time        `json:"computed_at"`
}

type firmHitJSON struct {
	USCC     string   `json:"uscc"`
	Name     string   `json:"name"`
	Region   string   `json:"region"`
	Industry string   `json:"industry"`
	Tags     []string `json:"tags"`
	Status   string   `json:"status"`
	Grade    string   `json:"grade"`
	Score    float64  `json:"score"`
	P        float64  `json:"p"`
}

type searchJSON struct {
	Firms      []firmHitJSON `json:"firms"`
	Total      int           `json:"total"`
	NextCursor *string       `json:"next_cursor"`
	ScanID     int64         `json:"scan_id"`
}

// whatIfJSON is what repairs would make of a firm's score (the repair plan's what_if).
type whatIfJSON struct {
	EligibleNow     figuresJSON `json:"eligible_now"`
	AllRepairable   figuresJSON `json:"all_repairable"`
	GradeImprovesOn *string     `json:"grade_improves_on"`
}

type figuresJSON struct {
	Score float64 `json:"score"`
	Grade string  `json:"grade"`
	P     float64 `json:"p"`
}
