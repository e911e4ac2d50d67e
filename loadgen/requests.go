package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/chainrisk/chainrisk/credit"
)

const mediaNDJSON = "application/x-ndjson"

// GetEnterprise reads GET /api/v1/enterprises/{uscc}, request i taking usccs[i mod len].
func (t *Target) GetEnterprise(usccs []string) Do {
	paths := make([]string, len(usccs))
	for k, u := range usccs {
		paths[k] = "/api/v1/enterprises/" + url.PathEscape(u)
	}
	return func(ctx context.Context, i int) (int, http.Header, error) {
		if len(paths) == 0 {
			return 0, nil, errors.New("no firms to read")
		}
		return t.send(ctx, http.MethodGet, paths[i%len(paths)], "", nil, nil)
	}
}

// Batch shapes generated ingest bodies.
type Batch struct {
	// Rows per request (default 10).
	Rows int
	// Distinct bounds the keys (event ids, USCCs) a run writes (default 1,000, at least
	// Rows): keys repeat beyond it, and a re-sent row updates its earlier copy, so a long
	// run keeps the store's size bounded.
	Distinct int
}

func (b Batch) norm() Batch {
	if b.Rows <= 0 {
		b.Rows = 10
	}
	if b.Distinct <= 0 {
		b.Distinct = 1000
	}
	b.Distinct = max(b.Distinct, b.Rows)
	return b
}

// loadEventTypes are the credit events generated ingests carry, in turn: the
// everyday entries of a public credit feed.
var loadEventTypes = []string{"penalty_minor", "overdue_payment", "utility_arrears", "honor", "contract_abiding"}

// IngestEvents posts NDJSON batches of credit events about usccs to
// POST /api/v1/events. Event k of the key space is always about the same firm, so that
// a re-sent event only updates itself.
func (t *Target) IngestEvents(usccs []string, b Batch) Do {
	b = b.norm()
	return t.ingest(credit.KindEvents, b, func(k int, day string) (any, error) {
		if len(usccs) == 0 {
			return nil, errors.New("no firms to write events about")
		}
		return map[string]any{
			"event_id":    fmt.Sprintf("chainriskload-%06d", k),
			"uscc":        usccs[k%len(usccs)],
			"type":        loadEventTypes[k%len(loadEventTypes)],
			"occurred_at": day,
			"source":      "chainriskload",
			"description": "负载测试生成的信用记录",
		}, nil
	})
}

// IngestEnterprises posts NDJSON batches of generated enterprises (valid USCCs in the
// 91230100LG range, no relations) to POST /api/v1/enterprises.
func (t *Target) IngestEnterprises(b Batch) Do {
	b = b.norm()
	return t.ingest(credit.KindEnterprises, b, func(k int, _ string) (any, error) {
		uscc, err := LoadUSCC(k)
		if err != nil {
			return nil, err
		}
		return map[string]any{
			"uscc":     uscc,
			"name":     fmt.Sprintf("哈尔滨负载测试%06d有限公司", k),
			"region":   "230100",
			"industry": "C1331",
			"tags":     []string{},
			"status":   "active",
		}, nil
	})
}

// LoadUSCC is the valid USCC of generated enterprise k (0 ≤ k < 10⁷).
func LoadUSCC(k int) (string, error) {
	if k < 0 || k >= 10_000_000 {
		return "", fmt.Errorf("generated firm %d out of range", k)
	}
	return credit.MakeUSCC(fmt.Sprintf("91230100LG%07d", k))
}

// ingest builds one NDJSON body per request: rows keyed i·Rows … i·Rows+Rows−1 modulo
// Distinct, distinct within a batch.
func (t *Target) ingest(kind credit.Kind, b Batch, row func(k int, day string) (any, error)) Do {
	path := "/api/v1/" + string(kind)
	return func(ctx context.Context, i int) (int, http.Header, error) {
		// Yesterday in the API's zone: never in the future, whatever the clock's zone.
		day := time.Now().In(credit.Shanghai).AddDate(0, 0, -1).Format(time.DateOnly)
		var body bytes.Buffer
		enc := json.NewEncoder(&body)
		enc.SetEscapeHTML(false)
		for j := range b.Rows {
			v, err := row((i*b.Rows+j)%b.Distinct, day)
			if err != nil {
				return 0, nil, err
			}
			if err := enc.Encode(v); err != nil {
				return 0, nil, err
			}
		}
		return t.send(ctx, http.MethodPost, path, mediaNDJSON, &body, nil)
	}
}

// Rescan posts POST /api/v1/rescans with scope ("all", "chain:<uscc>", "enterprise:<uscc>").
func (t *Target) Rescan(scope string) Do {
	body, _ := json.Marshal(map[string]string{"scope": scope})
	return func(ctx context.Context, _ int) (int, http.Header, error) {
		return t.send(ctx, http.MethodPost, "/api/v1/rescans", "application/json", bytes.NewReader(body), nil)
	}
}

// Weighted is one part of a Mix.
type Weighted struct {
	Weight int
	Do     Do
}

// Mix sends request i to one of parts, in proportion to their weights and evenly
// interleaved (smooth weighted round robin): with read=9, ingest=1 every tenth request
// is an ingest. Each part sees its own request numbers 0, 1, 2, …. Parts of weight ≤ 0
// get nothing; with none left, every request fails.
func Mix(parts ...Weighted) Do {
	var order []int // part of each position in one cycle
	var nth []int   // how many earlier positions of the cycle went to the same part
	total := 0
	for _, p := range parts {
		total += max(p.Weight, 0)
	}
	current := make([]int, len(parts))
	seen := make([]int, len(parts))
	for range total {
		best := -1
		for k, p := range parts {
			if p.Weight <= 0 {
				continue
			}
			current[k] += p.Weight
			if best < 0 || current[k] > current[best] {
				best = k
			}
		}
		current[best] -= total
		order = append(order, best)
		nth = append(nth, seen[best])
		seen[best]++
	}
	return func(ctx context.Context, i int) (int, http.Header, error) {
		if total == 0 {
			return 0, nil, errors.New("empty mix")
		}
		pos := i % total
		k := order[pos]
		return parts[k].Do(ctx, i/total*max(parts[k].Weight, 0)+nth[pos])
	}
}
