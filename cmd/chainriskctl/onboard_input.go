package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/internal/onboarding"
)

// supplierRow is one row of a supplier list.
type supplierRow = onboarding.Row

// readSupplierList reads a supplier list (onboarding.ReadList).
func readSupplierList(r io.Reader) ([]supplierRow, error) { return onboarding.ReadList(r) }

// resolution is a USCC chosen for a row of the list, by its line or by its name.
type resolutions struct {
	byLine map[int]string
	byName map[string]string
}

// readResolutions reads a --resolve file: a CSV whose header names uscc and line or
// name (other columns, such as those of a --leftover file, are ignored); rows
// without a USCC are skipped.
func readResolutions(r io.Reader) (*resolutions, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("line 1: a header naming uscc and line or name: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	_, byLine := col["line"]
	_, byName := col["name"]
	if _, ok := col["uscc"]; !ok || (!byLine && !byName) {
		return nil, errors.New("line 1: a header naming uscc and line or name")
	}
	res := &resolutions{byLine: map[int]string{}, byName: map[string]string{}}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		u := strings.ToUpper(get("uscc"))
		if u == "" {
			continue
		}
		// The store, not the CLI, decides whether a bad check character passes.
		if err := credit.CheckUSCC(u); err != nil && !errors.Is(err, credit.ErrBadCheckChar) {
			return nil, fmt.Errorf("line %d: uscc: %v", line, err)
		}
		if l := get("line"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("line %d: line: %q is not a line number", line, l)
			}
			res.byLine[n] = u
		} else if name := get("name"); name != "" {
			res.byName[name] = u
		}
	}
}

// choice returns the USCC chosen for a row, if any.
func (r *resolutions) choice(row *supplierRow) (string, bool) {
	if r == nil {
		return "", false
	}
	if u, ok := r.byLine[row.Line]; ok {
		return u, true
	}
	u, ok := r.byName[row.Name]
	return u, ok && row.Name != ""
}
