package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/chainrisk/chainrisk/ingest"
)

// matchColumns are the columns a match row may have; name is required.
var matchColumns = []string{"name", "region", "uscc"}

// errTooManyMatchRows refuses a list longer than maxMatchRows.
var errTooManyMatchRows = errorf(http.StatusRequestEntityTooLarge, codeTooLarge,
	"a match request takes at most %d rows; split the list into several requests (chainriskctl match does)", maxMatchRows)

// readMatchRows reads the body's rows: CSV with a header naming name (and region,
// uscc), or NDJSON of {"name": ..., "region": ..., "uscc": ...}. A row that cannot be
// read is returned with its error, for the answer to name; a header that cannot be,
// more than maxMatchRows rows, or none at all refuse the request.
func readMatchRows(body io.Reader, f ingest.Format) ([]matchRow, error) {
	var rows []matchRow
	add := func(r matchRow) error {
		if len(rows) == maxMatchRows {
			return errTooManyMatchRows
		}
		r.name, r.region, r.uscc = strings.TrimSpace(r.name), strings.TrimSpace(r.region), strings.TrimSpace(r.uscc)
		rows = append(rows, r)
		return nil
	}
	var err error
	if f == ingest.CSV {
		err = readMatchCSV(body, add)
	} else {
		err = readMatchNDJSON(body, add)
	}
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "no rows: send at least one name")
	}
	return rows, nil
}

// readMatchCSV reads CSV rows under a header of matchColumns, in any order.
func readMatchCSV(body io.Reader, add func(matchRow) error) error {
	r := csv.NewReader(body)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return errorf(http.StatusBadRequest, codeBadRequest, "csv: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; dup || !slices.Contains(matchColumns, h) {
			return errorf(http.StatusBadRequest, codeBadRequest,
				"line 1: column %q is unknown or repeated; the header names name and optionally region and uscc", h)
		}
		col[h] = i
	}
	if _, ok := col["name"]; !ok {
		return errorf(http.StatusBadRequest, codeBadRequest, "line 1: the header has no name column (got %q)", strings.Join(header, ","))
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errorf(http.StatusBadRequest, codeBadRequest, "csv: %v", err)
		}
		line, _ := r.FieldPos(0)
		row := matchRow{line: line, name: field(rec, "name"), region: field(rec, "region"), uscc: field(rec, "uscc")}
		if len(rec) != len(header) {
			row.err = fmt.Sprintf("line %d: row: %d columns, the header has %d", line, len(rec), len(header))
		}
		if err := add(row); err != nil {
			return err
		}
	}
}

// readMatchNDJSON reads one JSON object a line; a line that is not one is a row error.
func readMatchNDJSON(body io.Reader, add func(matchRow) error) error {
	return eachNDJSONLine(body, func(line int, text []byte) error {
		var in struct {
			Name   *string `json:"name"`
			Region string  `json:"region"`
			USCC   string  `json:"uscc"`
		}
		row := matchRow{line: line}
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		switch err := dec.Decode(&in); {
		case !utf8.Valid(text):
			row.err = fmt.Sprintf("line %d: name: not valid UTF-8 (a file saved as GBK must be converted)", line)
		case err != nil:
			row.err = fmt.Sprintf("line %d: row: not a JSON object of name, region, uscc: %v", line, err)
		case in.Name == nil:
			row.err = fmt.Sprintf("line %d: name: required", line)
		default:
			row.name, row.region, row.uscc = *in.Name, in.Region, in.USCC
		}
		return add(row)
	})
}
