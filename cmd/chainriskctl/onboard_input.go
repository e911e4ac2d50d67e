package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/internal/suggest"
)

// supplierColumns are the columns of a supplier list (docs/onboarding.md): a firm by
// name or USCC, and the relation's fields as POST /api/v1/relations takes them.
var supplierColumns = []string{"name", "uscc", "region", "purchase_share", "sales_share", "substitutability",
	"amount", "product", "valid_from", "valid_to"}

// relationColumns are the columns onboard sends: the relation's, the supplier first.
var relationColumns = []string{"supplier", "purchase_share", "sales_share", "substitutability", "amount", "product",
	"valid_from", "valid_to"}

// supplierRow is one row of a supplier list.
type supplierRow struct {
	Line   int
	Name   string
	USCC   string
	Region string
	// Fields are the relation's columns after supplier (relationColumns[1:]), as given.
	Fields []string
}

// readSupplierList reads a supplier list: a CSV with a header naming its columns
// (supplierColumns, any order), name or uscc among them and purchase_share.
func readSupplierList(r io.Reader) ([]supplierRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: it needs a header (name or uscc, purchase_share, …) and a row per supplier")
	}
	if err != nil {
		return nil, err
	}
	col, err := supplierHeader(header)
	if err != nil {
		return nil, err
	}
	var rows []supplierRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) > len(header) {
			return nil, fmt.Errorf("line %d: %d fields for %d columns", line, len(rec), len(header))
		}
		field := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := supplierRow{Line: line, Name: field("name"), USCC: strings.ToUpper(field("uscc")), Region: field("region")}
		for _, c := range relationColumns[1:] {
			row.Fields = append(row.Fields, field(c))
		}
		rows = append(rows, row)
	}
}

// supplierHeader maps a header's columns to their positions.
func supplierHeader(header []string) (map[string]int, error) {
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(supplierColumns, h) {
			msg := fmt.Sprintf("line 1: unknown column %q", h)
			if s := suggest.Closest(h, supplierColumns); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return nil, fmt.Errorf("%s; a supplier list has the columns %s", msg, strings.Join(supplierColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("line 1: column %q twice", h)
		}
		col[h] = i
	}
	_, byName := col["name"]
	_, byUSCC := col["uscc"]
	if !byName && !byUSCC {
		return nil, errors.New("line 1: a supplier list names each supplier by a name column, a uscc column, or both")
	}
	if _, ok := col["purchase_share"]; !ok {
		return nil, errors.New("line 1: the purchase_share column is required: the share of your purchases each supplier takes")
	}
	return col, nil
}

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
