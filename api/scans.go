package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/store"
)

// Bounds of GET /api/v1/scans?limit=.
const (
	defaultScans = 20
	maxScans     = 500
)

// scanJSON is a scan as the API shows it (api/openapi.json).
type scanJSON struct {
	ID         int64           `json:"id"`
	Kind       string          `json:"kind"`
	Scope      string          `json:"scope"`
	Trigger    string          `json:"trigger"`
	Status     string          `json:"status"`
	Progress   progressJSON    `json:"progress"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  *time.Time      `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at"`
	Error      string          `json:"error"`
	Stats      json.RawMessage `json:"stats,omitempty"`
}

type progressJSON struct {
	Done  int64 `json:"done"`
	Total int64 `json:"total"`
}

func scanOf(sc *store.Scan) scanJSON {
	out := scanJSON{ID: sc.ID, Kind: sc.Kind, Scope: sc.Scope, Trigger: sc.Trigger, Status: sc.Status,
		Progress: progressJSON{sc.Done, sc.Total}, CreatedAt: sc.CreatedAt, StartedAt: timePtr(sc.StartedAt),
		FinishedAt: timePtr(sc.FinishedAt), Error: sc.Error}
	if len(sc.Stats) > 0 && json.Valid(sc.Stats) {
		out.Stats = sc.Stats
	}
	return out
}

type rescanRequest struct {
	Scope string `json:"scope"`
}

// rescanJSON answers POST /api/v1/rescans with 202.
type rescanJSON struct {
	ID      int64  `json:"id"`
	Status  string `json:"status"`
	Scope   string `json:"scope"`
	Trigger string `json:"trigger"`
}

func (s *Server) postRescan(rq *request) error {
	var req rescanRequest
	if err := rq.decodeJSON(&req); err != nil {
		return err
	}
	scope := req.Scope
	if kind, uscc, ok := strings.Cut(scope, ":"); ok && (kind == "chain" || kind == "enterprise") {
		if err := rq.checkUSCC("scope", uscc); err != nil {
			return err
		}
		if _, err := s.b.Store().Enterprise(rq.r.Context(), uscc); errors.Is(err, store.ErrNotFound) {
			return errFirmNotFound
		} else if err != nil {
			return storeError(err)
		}
	} else if scope != "all" {
		return errorf(http.StatusBadRequest, codeBadRequest, `scope must be "all", "chain:<uscc>" or "enterprise:<uscc>", got %q`, scope)
	}
	sc, err := s.b.Rescan(rq.r.Context(), scope, "api:"+rq.who.Name)
	if err != nil {
		return storeError(err)
	}
	rq.w.Header().Set("Location", "/api/v1/rescans/"+strconv.FormatInt(sc.ID, 10))
	return rq.json(http.StatusAccepted, rescanJSON{ID: sc.ID, Status: sc.Status, Scope: sc.Scope, Trigger: sc.Trigger})
}

func (s *Server) getRescan(rq *request) error {
	id, err := strconv.ParseInt(rq.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errorf(http.StatusBadRequest, codeBadRequest, "scan id must be a positive integer, got %q", rq.r.PathValue("id"))
	}
	sc, err := s.b.Store().Scan(rq.r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, codeNotFound, "no scan %d", id)
	}
	if err != nil {
		return storeError(err)
	}
	out := rescanStatusJSON{scanJSON: scanOf(sc)}
	if sc.Status == store.ScanQueued {
		if out.Ahead, err = s.scansAhead(rq, sc.ID); err != nil {
			return storeError(err)
		}
		pos := 1
		for _, a := range out.Ahead {
			if a.Status == store.ScanQueued {
				pos++
			}
		}
		out.Position = &pos
	}
	return rq.json(http.StatusOK, out)
}

// rescanStatusJSON answers GET /api/v1/rescans/{id}: the scan, and while it is queued
// its place in the queue and what runs before it.
type rescanStatusJSON struct {
	scanJSON
	// Position is 1 when the scan runs next (after those running now).
	Position *int `json:"position,omitempty"`
	// Ahead lists the scans that run before it: those running, then those queued
	// before it, oldest first.
	Ahead []aheadJSON `json:"ahead,omitempty"`
}

// aheadJSON is a scan ahead of another in the queue.
type aheadJSON struct {
	ID       int64        `json:"id"`
	Kind     string       `json:"kind"`
	Scope    string       `json:"scope"`
	Trigger  string       `json:"trigger"`
	Status   string       `json:"status"`
	Progress progressJSON `json:"progress"`
}

// scansAhead lists the scans that run before the queued scan id: the queue is
// served oldest first, after the scans running now.
func (s *Server) scansAhead(rq *request, id int64) ([]aheadJSON, error) {
	ctx := rq.r.Context()
	recent, err := s.b.Store().Scans(ctx, maxScans)
	if err != nil {
		return nil, err
	}
	queued, err := s.b.Store().QueuedScans(ctx)
	if err != nil {
		return nil, err
	}
	ahead := []aheadJSON{}
	of := func(sc *store.Scan) aheadJSON {
		return aheadJSON{ID: sc.ID, Kind: sc.Kind, Scope: sc.Scope, Trigger: sc.Trigger, Status: sc.Status,
			Progress: progressJSON{sc.Done, sc.Total}}
	}
	for i := len(recent) - 1; i >= 0; i-- {
		if recent[i].Status == store.ScanRunning {
			ahead = append(ahead, of(&recent[i]))
		}
	}
	for i := range queued {
		if queued[i].ID < id {
			ahead = append(ahead, of(&queued[i]))
		}
	}
	return ahead, nil
}

// scansJSON answers GET /api/v1/scans, newest first.
type scansJSON struct {
	Scans      []scanJSON `json:"scans"`
	NextCursor *string    `json:"next_cursor"`
}

func (s *Server) getScans(rq *request) error {
	limit, err := intParam(rq.r, "limit", defaultScans, 1, maxScans)
	if err != nil {
		return err
	}
	before, err := rq.cursorInt("scans")
	if err != nil {
		return err
	}
	list, err := s.b.Store().ScansBefore(rq.r.Context(), before, limit+1)
	if err != nil {
		return storeError(err)
	}
	var out scansJSON
	if len(list) > limit {
		list = list[:limit]
		out.NextCursor = nextCursor("scans", strconv.FormatInt(list[limit-1].ID, 10))
	}
	out.Scans = make([]scanJSON, len(list))
	for i := range list {
		out.Scans[i] = scanOf(&list[i])
	}
	return rq.json(http.StatusOK, out)
}
