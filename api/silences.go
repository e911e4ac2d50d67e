package api

import (
	"net/http"
	"time"

	"github.com/chainrisk/chainrisk/alerts"
	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// Silences are for admins and analysts (SPEC §8): a silence mutes every subscriber,
// so tenants may not make one, nor read them (their matchers name other firms).

var errSilenceNotFound = &apiError{status: http.StatusNotFound, code: codeNotFound, message: "no such silence"}

// silenceRequest is the body of POST /api/v1/silences. The silence ends at ends_at,
// or duration after its start; its author is the token.
type silenceRequest struct {
	Matchers []store.SilenceMatcher `json:"matchers"`
	StartsAt time.Time              `json:"starts_at"`
	EndsAt   time.Time              `json:"ends_at"`
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
	sl, err := m.CreateSilence(rq.r.Context(), alerts.SilenceInput{Matchers: in.Matchers, StartsAt: in.StartsAt,
		EndsAt: in.EndsAt, CreatedBy: rq.who.Name, Comment: in.Comment})
	if err != nil {
		return alertsError(err, errSilenceNotFound)
	}
	s.log.Info("silence created", "silence", sl.ID, "token", rq.who.Name, "ends_at", sl.EndsAt)
	rq.w.Header().Set("Location", "/api/v1/silences/"+sl.ID)
	return rq.json(http.StatusCreated, sl)
}

// silencesJSON answers GET /api/v1/silences, the latest end first.
type silencesJSON struct {
	Silences []alerts.Silence `json:"silences"`
}

func (s *Server) getSilences(rq *request) error {
	m, err := rq.alerts()
	if err != nil {
		return err
	}
	state, err := enumParam(rq.r, "state", "", alerts.SilenceActive, alerts.SilencePending, alerts.SilenceExpired)
	if err != nil {
		return err
	}
	list, err := m.Silences(rq.r.Context())
	if err != nil {
		return storeError(err)
	}
	out := silencesJSON{Silences: []alerts.Silence{}}
	for _, sl := range list {
		if state == "" || sl.Status == state {
			out.Silences = append(out.Silences, sl)
		}
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
	return rq.json(http.StatusOK, sl)
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
	return rq.json(http.StatusOK, sl)
}
