package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/risk"
	"github.com/chainrisk/chainrisk/tokens"
)

// A chain's summary is read from the scan's exposure, but a hub leader's lists the
// concentration of each of its thousands of tier-1 suppliers: hundreds of KB of JSON
// whose encoding would cost milliseconds on every call. The summary of the scan's
// depths is the same for every caller of one kind (staff, or the leader's tenant,
// whose view drops single sources beyond its depths) until the next scan, so its
// JSON is kept, up to the ESRI fields, which come from the store and are added to
// each answer.

// summaryKey is what a kept summary depends on.
type summaryKey struct {
	st       *monitor.State
	leader   int32
	up, down int
	// tenant is the depths of a tenant's view (-1 for staff).
	tenantUp, tenantDown int
}

// summaryCap bounds the summaries kept (a hub leader's is a few hundred KB).
const summaryCap = 64

// summaries keeps the summaries' JSON of the latest state.
type summaries struct {
	mu   sync.Mutex
	keys []summaryKey // most recently used first
	body map[summaryKey][]byte
}

func (c *summaries) get(k summaryKey) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.body[k]
	if ok {
		i := slices.Index(c.keys, k)
		c.keys = slices.Insert(slices.Delete(c.keys, i, i+1), 0, k)
	}
	return b
}

func (c *summaries) put(k summaryKey, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.body == nil {
		c.body = map[summaryKey][]byte{}
	}
	if _, ok := c.body[k]; ok {
		return
	}
	c.keys = slices.DeleteFunc(c.keys, func(o summaryKey) bool {
		if o.st != k.st {
			delete(c.body, o)
			return true
		}
		return false
	})
	c.keys = slices.Insert(c.keys, 0, k)
	c.body[k] = b
	for len(c.keys) > summaryCap {
		delete(c.body, c.keys[len(c.keys)-1])
		c.keys = c.keys[:len(c.keys)-1]
	}
}

// esriTail is how an encoded summary without ESRI ends; the kept JSON stops before
// its null values.
const esriTail = `null,"esri_scan_id":null}` + "\n"

// serveSummary answers the chain's summary (no members): its JSON kept per state
// for the scan's depths, computed for others, with the ESRI header of the store.
func (s *Server) serveSummary(rq *request, st *monitor.State, v int32, x *risk.Exposure, onDemand bool, up, down int) error {
	k := summaryKey{st: st, leader: v, up: up, down: down, tenantUp: -1, tenantDown: -1}
	if rq.who.Role == tokens.RoleTenant {
		k.tenantUp, k.tenantDown = rq.cfg.Chain.DepthUp, rq.cfg.Chain.DepthDown
	}
	head := s.summaries.get(k)
	if head == nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rq.chainSummary(st, v, x, onDemand, up, down)); err != nil {
			return err
		}
		b, ok := bytes.CutSuffix(buf.Bytes(), []byte(esriTail))
		if !ok {
			return errorf(http.StatusInternalServerError, codeInternal, "chain summary: unexpected encoding")
		}
		head = b
		if !onDemand {
			s.summaries.put(k, head)
		}
	}
	tail := []byte(esriTail)
	if rec := s.chainESRIHeader(rq, st.Snap.IDs[v]); rec != nil {
		at, _ := rec.ComputedAt.MarshalJSON()
		tail = append(append(append(at, `,"esri_scan_id":`...), strconv.FormatInt(rec.ScanID, 10)...), "}\n"...)
	}
	h := rq.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	rq.w.WriteHeader(http.StatusOK)
	_, _ = rq.w.Write(head)
	_, _ = rq.w.Write(tail)
	return nil
}
