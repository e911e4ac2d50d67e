package ui

import "time"

// The API's answers as the console reads them (api/openapi.json names every field);
// fields the console does not show are left out.

type leaderJSON struct {
	USCC          string  `json:"uscc"`
	Name          string  `json:"name"`
	Grade         string  `json:"grade"`
	Score         float64 `json:"score"`
	ChainRisk     float64 `json:"chain_risk"`
	SupplyAtRisk  float64 `json:"supply_at_risk"`
	DemandAtRisk  float64 `json:"demand_at_risk"`
	Members       int     `json:"members"`
	SingleSources int     `json:"single_sources"`
}

type chainPointJSON struct {
	ScanID    int64     `json:"scan_id"`
	At        time.Time `json:"at"`
	ChainRisk float64   `json:"chain_risk"`
}

type chainHistoryJSON struct {
	History []chainPointJSON `json:"history"`
}

type memberJSON struct {
	USCC  string     `json:"uscc"`
	Name  string     `json:"name"`
	Tier  int        `json:"tier"`
	Grade string     `json:"grade"`
	Score float64    `json:"score"`
	P     float64    `json:"p"`
	D     float64    `json:"d"`
	Paths [][]string `json:"paths"`
}

// membersPageJSON is a page of GET /api/v1/chains/{leader}/members.
type membersPageJSON struct {
	Members    []memberJSON `json:"members"`
	NextCursor *string      `json:"next_cursor"`
}

// tierJSON counts a tier's members by grade (a chain summary's tiers).
type tierJSON struct {
	Tier    int `json:"tier"`
	Members int `json:"members"`
	A       int `json:"A"`
	B       int `json:"B"`
	C       int `json:"C"`
	D       int `json:"D"`
	Unknown int `json:"unknown"`
}

type contributorJSON struct {
	USCC         string   `json:"uscc"`
	Name         string   `json:"name"`
	Grade        string   `json:"grade"`
	Tier         int      `json:"tier"`
	P            float64  `json:"p"`
	Contribution float64  `json:"contribution"`
	Path         []string `json:"path"`
}

type singleSourceJSON struct {
	Supplier         string  `json:"supplier"`
	Grade            string  `json:"grade"`
	PurchaseShare    float64 `json:"purchase_share"`
	Substitutability float64 `json:"substitutability"`
}

type concentrationJSON struct {
	USCC         string             `json:"uscc"`
	Tier         int                `json:"tier"`
	Suppliers    int                `json:"suppliers"`
	HHI          float64            `json:"hhi"`
	SingleSource []singleSourceJSON `json:"single_source"`
}

type chainJSON struct {
	Leader          string              `json:"leader"`
	Name            string              `json:"name"`
	Grade           string              `json:"grade"`
	ChainRisk       float64             `json:"chain_risk"`
	SupplyAtRisk    float64             `json:"supply_at_risk"`
	DemandAtRisk    float64             `json:"demand_at_risk"`
	Members         []memberJSON        `json:"members"` // with members=all only; the stress page sets the graph's
	MemberCount     int                 `json:"member_count"`
	Tiers           []tierJSON          `json:"tiers"`
	TopContributors []contributorJSON   `json:"top_contributors"`
	Concentration   []concentrationJSON `json:"concentration"`
	ComputedAt      time.Time           `json:"computed_at"`
}

type edgeJSON struct {
	Supplier      string  `json:"supplier"`
	Customer      string  `json:"customer"`
	PurchaseShare float64 `json:"purchase_share"`
}

type graphJSON struct {
	Edges []edgeJSON `json:"edges"`
}

type explanationJSON struct {
	Kind      string  `json:"kind"`
	EventID   string  `json:"event_id"`
	Type      string  `json:"type"`
	Severity  string  `json:"severity"`
	Points    float64 `json:"points"`
	Decay     float64 `json:"decay"`
	Effective float64 `json:"effective"`
}

type repairJSON struct {
	Repairable   bool       `json:"repairable"`
	EligibleFrom *time.Time `json:"eligible_from"`
	EligibleNow  bool       `json:"eligible_now"`
	Authority    string     `json:"authority"`
	Requirements string     `json:"requirements"`
}

type eventJSON struct {
	EventID     string      `json:"event_id"`
	Type        string      `json:"type"`
	Meaning     string      `json:"meaning"`
	Severity    string      `json:"severity"`
	Points      float64     `json:"points"`
	OccurredAt  time.Time   `json:"occurred_at"`
	Description string      `json:"description"`
	State       string      `json:"state"`
	Repair      *repairJSON `json:"repair"`
}

type firmChainJSON struct {
	Leader     string `json:"leader"`
	LeaderName string `json:"leader_name"`
	Tier       int    `json:"tier"`
}

type relatedJSON struct {
	HolderKind string   `json:"holder_kind"` // firm | person
	USCC       string   `json:"uscc"`
	Name       string   `json:"name"`
	Grade      string   `json:"grade"`
	Relation   []string `json:"relation"`
	Share      float64  `json:"share"`
	Distressed bool     `json:"distressed"`
}

type firmJSON struct {
	USCC        string            `json:"uscc"`
	Name        string            `json:"name"`
	Region      string            `json:"region"`
	Industry    string            `json:"industry"`
	Status      string            `json:"status"`
	Score       float64           `json:"score"`
	Grade       string            `json:"grade"`
	P           float64           `json:"p"`
	D           float64           `json:"d"`
	Explanation []explanationJSON `json:"explanation"`
	Breakdown   struct {
		Base     float64 `json:"base"`
		Negative float64 `json:"negative"`
		Positive float64 `json:"positive"`
		Score    float64 `json:"score"`
	} `json:"score_breakdown"`
	Events  []eventJSON     `json:"events"`
	Chains  []firmChainJSON `json:"chains"`
	Related []relatedJSON   `json:"related"`
}

type firmPointJSON struct {
	At    time.Time `json:"at"`
	Score float64   `json:"score"`
	Grade string    `json:"grade"`
}

type firmHistoryJSON struct {
	History []firmPointJSON `json:"history"`
}

type repairPlanJSON struct {
	Events []eventJSON `json:"events"`
	WhatIf *whatIfJSON `json:"what_if"`
}
