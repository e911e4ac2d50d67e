package api

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// Silences are for admins and analysts (api/openapi.json): a silence mutes every subscriber,
// so tenants may not make one, nor read them (their matchers name other firms).

var errSilenceNotFound = &apiError{status: http.StatusNotFound, code: codeNotFound, message: "no such silence"}

// matcherJSON is one condition of a silence, in requests and answers.
type matcherJSON struct {
	Name  string `json:"name"`
	Op    string `json:"op"` // =, !=, =~, !~
	Value string `json:"value"`
}

// silenceJSON is a silence as the API shows it (api/openapi.json).
type silenceJSON struct {
	ID        string        `json:"id"`
	Matchers  []matcherJSON `json:"matchers"`
	StartsAt  time.Time     `json:"starts_at"`
	EndsAt    time.Time     `json:"ends_at"`
	CreatedBy string        `json:"created_by"`
	Comment   string        `json:"comment"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	// Status is active, pending (starts later) or expired.
	Status string `json:"status"`
}

func silenceOf(sl *alerts.Silence) silenceJSON {
	out := silenceJSON{ID: sl.ID, StartsAt: sl.StartsAt, EndsAt: sl.EndsAt, CreatedBy: sl.CreatedBy,
		Comment: sl.Comment, CreatedAt: sl.CreatedAt, UpdatedAt: sl.UpdatedAt, Status: sl.Status}
	if sl.Matchers != nil {
		out.Matchers = make([]matcherJSON, len(sl.Matchers))
		for i, m := range sl.Matchers {
			out.Matchers[i] = matcherJSON(m)
		}
	}
	return out
}

func storeMatchers(in []matcherJSON) []store.SilenceMatcher {
	if in == nil {
		return nil
	}
	out := make([]store.SilenceMatcher, len(in))
	for i, m := range in {
		out[i] = store.SilenceMatcher(m)
	}
	return out
}

// silenceRequest is the body of POST /api/v1/silences. The silence ends at ends_at,
// or duration after its start; its author is the token.
type silenceRequest struct {
	Matchers []matcherJSON `json:"matchers"`
	StartsAt time.Time     `json:"starts_at"`
	EndsAt   time.Time     `json:"ends_at"`
	// Duration ("2h", "1d") spares clients the server's clock.
	Duration string `json:"duration"`
	Comment  string `json:"comment"`
}

func (s *Server) postSilence(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	var in silenceRequest
	if err := rq.decodeJSON(&in); err != nil {
		return err
	}
	switch {
	case in.Duration != "" && !in.EndsAt.IsZero():
		return errorf(http.StatusBadRequest, codeBadRequest, "give ends_at or duration, not both")
	case in.Duration == "" && in.EndsAt.IsZero():
		return errorf(http.StatusBadRequest, codeBadRequest, "ends_at: required (or give a duration such as \"2h\")")
	case in.Duration != "":
		d, err := config.ParseDuration(in.Duration)
		if err != nil || d <= 0 {
			return errorf(http.StatusBadRequest, codeBadRequest, "duration: want a positive duration such as \"2h\" or \"1d\", got %q", in.Duration)
		}
		if in.StartsAt.IsZero() {
			in.StartsAt = s.now()
		}
		in.EndsAt = in.StartsAt.Add(d)
	}
	sl, err := m.CreateSilence(rq.r.Context(), alerts.SilenceInput{Matchers: storeMatchers(in.Matchers), StartsAt: in.StartsAt,
		EndsAt: in.EndsAt, CreatedBy: rq.who.Name, Comment: in.Comment})
	if err != nil {
		return alertsError(err, errSilenceNotFound)
	}
	s.log.Info("silence created", "silence", sl.ID, "token", rq.who.Name, "ends_at", sl.EndsAt)
	rq.w.Header().Set("Location", "/api/v1/silences/"+sl.ID)
	return rq.json(http.StatusCreated, silenceOf(sl))
}

// silencesJSON answers GET /api/v1/silences, the latest end first.
type silencesJSON struct {
	Silences   []silenceJSON `json:"silences"`
	NextCursor *string       `json:"next_cursor"`
}

// maxSilences bounds GET /api/v1/silences?limit=, its default too.
const maxSilences = 1000

func (s *Server) getSilences(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	state, err := enumParam(rq.r, "state", "", alerts.SilenceActive, alerts.SilencePending, alerts.SilenceExpired)
	if err != nil {
		return err
	}
	limit, err := intParam(rq.r, "limit", maxSilences, 1, maxSilences)
	if err != nil {
		return err
	}
	end, id, ok, err := rq.cursorTime("silences", 1)
	if err != nil {
		return err
	}
	list, err := m.Silences(rq.r.Context())
	if err != nil {
		return storeError(err)
	}
	out := silencesJSON{Silences: []silenceJSON{}}
	for i := range list {
		if state == "" || list[i].Status == state {
			out.Silences = append(out.Silences, silenceOf(&list[i]))
		}
	}
	// The latest end first, then by ID: the order the cursor follows.
	slices.SortStableFunc(out.Silences, func(a, b silenceJSON) int {
		return cmp.Or(b.EndsAt.Compare(a.EndsAt), strings.Compare(a.ID, b.ID))
	})
	var upTo func(*silenceJSON) bool
	if ok {
		upTo = func(s *silenceJSON) bool {
			return s.EndsAt.UnixMilli() > end.UnixMilli() || s.EndsAt.UnixMilli() == end.UnixMilli() && s.ID <= id[0]
		}
	}
	var more bool
	if out.Silences, more = pageAfter(out.Silences, upTo, limit); more {
		last := &out.Silences[len(out.Silences)-1]
		out.NextCursor = nextCursor("silences", msKey(last.EndsAt), last.ID)
	}
	return rq.json(http.StatusOK, out)
}

func (s *Server) getSilence(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	sl, err := m.Silence(rq.r.Context(), rq.r.PathValue("id"))
	if err != nil {
		return alertsError(err, errSilenceNotFound)
	}
	return rq.json(http.StatusOK, silenceOf(sl))
}

// deleteSilence expires a silence now; it stays listed, as in Alertmanager.
// Expiring an expired silence changes nothing.
func (s *Server) deleteSilence(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	id := rq.r.PathValue("id")
	if err := m.ExpireSilence(rq.r.Context(), id); err != nil {
		return alertsError(err, errSilenceNotFound)
	}
	sl, err := m.Silence(rq.r.Context(), id)
	if err != nil {
		return alertsError(err, errSilenceNotFound)
	}
	s.log.Info("silence expired", "silence", id, "token", rq.who.Name)
	return rq.json(http.StatusOK, silenceOf(sl))
}
