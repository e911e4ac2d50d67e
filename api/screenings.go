package api

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/ingest"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
)

// maxScreeningRows bounds the targets of one screening.
const maxScreeningRows = 10_000

// mediaCSV is the CSV answer of a screening.
const mediaCSV = "text/csv"

// VerdictError marks a screening row whose check could not run (it exceeded
// checks.max_steps); nothing is saved for it.
const VerdictError = "error"

// screeningRowJSON is one target of a screening, in input order.
type screeningRowJSON struct {
	USCC    string       `json:"uscc"`
	Name    string       `json:"name"`
	Verdict string       `json:"verdict"`
	Grade   string       `json:"grade"`
	Reasons []reasonJSON `json:"reasons"`
	CheckID *int64       `json:"check_id"`
	Error   string       `json:"error,omitempty"`
}

type screeningJSON struct {
	Rows   []screeningRowJSON `json:"rows"`
	Counts map[string]int     `json:"counts"`
}

// postScreening serves POST /api/v1/screenings (重点产业及优质企业筛选, docs/models.md):
// the investment-attraction check of every listed target, each saved as a check,
// answered one row per target in input order. A target whose check would exceed
// checks.max_steps gets verdict "error" and its reason in "error"; the others go on.
func (s *Server) postScreening(rq *request) error {
	format, err := enumParam(rq.r, "format", "json", "json", "csv")
	if err != nil {
		return err
	}
	ct := rq.r.Header.Get("Content-Type")
	inFormat, err := ingest.FormatFor("", ct)
	if ct == "" || err != nil {
		return errorf(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"send the targets as Content-Type: text/csv (a uscc column) or application/x-ndjson ({\"uscc\": ...} per line), not %q", ct)
	}
	targets, err := rq.screeningTargets(inFormat)
	if err != nil {
		return err
	}
	st, err := rq.ready()
	if err != nil {
		return err
	}
	p := rq.cfg.Checks.OwnershipParams()
	rows := make([]screeningRowJSON, len(targets))
	var saves []*store.CheckReport
	var saveRow []int // saves[i] belongs to rows[saveRow[i]]
	counts := map[string]int{VerdictPass: 0, VerdictCaution: 0, VerdictReject: 0}
	for i, uscc := range targets {
		out, saved, err := rq.investmentCheck(st, uscc, p, monitor.Listed{})
		var ae *apiError
		if errors.As(err, &ae) && ae.code == codeCheckTooLarge {
			rows[i] = screeningRowJSON{USCC: uscc, Verdict: VerdictError, Reasons: []reasonJSON{}, Error: ae.message}
			counts[VerdictError]++
			continue
		} else if err != nil {
			return err
		}
		m := out.masked(rq.who.Role)
		rows[i] = screeningRowJSON{USCC: uscc, Name: m.Target.Name, Verdict: m.Verdict, Grade: m.Target.Grade, Reasons: m.Reasons}
		if rows[i].Reasons == nil {
			rows[i].Reasons = []reasonJSON{}
		}
		counts[m.Verdict]++
		saves = append(saves, saved)
		saveRow = append(saveRow, i)
	}
	if len(saves) > 0 {
		if err := rq.s.b.Store().SaveCheckReports(rq.r.Context(), saves); err != nil {
			return storeError(err)
		}
	}
	for i, c := range saves {
		id := c.ID
		rows[saveRow[i]].CheckID = &id
	}
	if format == "csv" {
		return rq.screeningCSV(rows)
	}
	return rq.json(http.StatusOK, screeningJSON{Rows: rows, Counts: counts})
}

// screeningCSV answers the rows as CSV: the reasons are their codes joined by ";".
func (rq *request) screeningCSV(rows []screeningRowJSON) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"uscc", "name", "verdict", "grade", "reasons", "check_id"})
	for _, r := range rows {
		codes := make([]string, len(r.Reasons))
		for i, x := range r.Reasons {
			codes[i] = x.Code
		}
		id := ""
		if r.CheckID != nil {
			id = strconv.FormatInt(*r.CheckID, 10)
		}
		_ = w.Write([]string{r.USCC, r.Name, r.Verdict, r.Grade, strings.Join(codes, ";"), id})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	rq.w.Header().Set("Content-Type", mediaCSV+"; charset=utf-8")
	rq.w.Header().Set("X-Content-Type-Options", "nosniff")
	rq.w.WriteHeader(http.StatusOK)
	_, _ = rq.w.Write(b.Bytes())
	return nil
}

// screeningTargets reads the body's USCCs: CSV with the single column uscc, or
// NDJSON of {"uscc": ...}. Every bad row is named in one 400; more than
// maxScreeningRows rows are 413.
func (rq *request) screeningTargets(f ingest.Format) ([]string, error) {
	var targets, bad []string
	add := func(line int, uscc string) error {
		if len(targets) == maxScreeningRows {
			return errorf(http.StatusRequestEntityTooLarge, codeTooLarge, "a screening takes at most %d rows; split the list", maxScreeningRows)
		}
		targets = append(targets, uscc)
		if err := rq.checkUSCC("uscc", uscc); err != nil {
			bad = append(bad, fmt.Sprintf("line %d: %s", line, err.(*apiError).message))
		}
		return nil
	}
	var err error
	if f == ingest.CSV {
		err = readScreeningCSV(rq.r.Body, add)
	} else {
		err = readScreeningNDJSON(rq.r.Body, add)
	}
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		e := errorf(http.StatusBadRequest, codeInvalidUSCC, "%d invalid USCC(s)", len(bad))
		e.details = bad
		return nil, e
	}
	if len(targets) == 0 {
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "no targets: send at least one uscc")
	}
	return targets, nil
}

func readScreeningCSV(body io.Reader, add func(line int, uscc string) error) error {
	r := csv.NewReader(body)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return errorf(http.StatusBadRequest, codeBadRequest, "csv: %v", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	if len(header) != 1 || strings.TrimSpace(header[0]) != "uscc" {
		return errorf(http.StatusBadRequest, codeBadRequest, "line 1: the header must be the single column uscc, got %q", strings.Join(header, ","))
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errorf(http.StatusBadRequest, codeBadRequest, "csv: %v", err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != 1 {
			return errorf(http.StatusBadRequest, codeBadRequest, "line %d: want the single column uscc, got %d columns", line, len(rec))
		}
		if err := add(line, strings.TrimSpace(rec[0])); err != nil {
			return err
		}
	}
}

func readScreeningNDJSON(body io.Reader, add func(line int, uscc string) error) error {
	return eachNDJSONLine(body, func(line int, text []byte) error {
		var row struct {
			USCC string `json:"uscc"`
		}
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&row); err != nil {
			return errorf(http.StatusBadRequest, codeInvalidJSON, "line %d: %v", line, err)
		}
		return add(line, row.USCC)
	})
}

// eachNDJSONLine calls fn with each non-blank line of an NDJSON body (trimmed, lines
// counted from 1). A body that cannot be read is a 400, unless it was too large (the
// caller's 413).
func eachNDJSONLine(body io.Reader, fn func(line int, text []byte) error) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if err := fn(line, text); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return errorf(http.StatusBadRequest, codeBadRequest, "ndjson: %v", err)
	}
	return nil
}
