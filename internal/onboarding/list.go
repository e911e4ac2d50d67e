package onboarding

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/chainrisk/chainrisk/internal/suggest"
)

// Columns are the columns of a supplier list (docs/onboarding.md): a firm by name or
// USCC, and the relation's fields as POST /api/v1/relations takes them.
var Columns = []string{"name", "uscc", "region", "purchase_share", "sales_share", "substitutability",
	"amount", "product", "valid_from", "valid_to"}

// RelationColumns are the columns of the import: the relation's, the supplier first.
var RelationColumns = []string{"supplier", "purchase_share", "sales_share", "substitutability", "amount", "product",
	"valid_from", "valid_to"}

// Row is one row of a supplier list.
type Row struct {
	Line   int    `json:"line"`
	Name   string `json:"name,omitempty"`
	USCC   string `json:"uscc,omitempty"`
	Region string `json:"region,omitempty"`
	// Fields are the relation's columns after supplier (RelationColumns[1:]), as given.
	Fields []string `json:"fields"`
}

// ReadList reads a supplier list: a CSV with a header naming its columns (Columns,
// any order), name or uscc among them and purchase_share.
func ReadList(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: it needs a header (name or uscc, purchase_share, …) and a row per supplier")
	}
	if err != nil {
		return nil, err
	}
	col, err := listHeader(header)
	if err != nil {
		return nil, err
	}
	var rows []Row
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
		row := Row{Line: line, Name: field("name"), USCC: strings.ToUpper(field("uscc")), Region: field("region")}
		for _, c := range RelationColumns[1:] {
			row.Fields = append(row.Fields, field(c))
		}
		rows = append(rows, row)
	}
}

// listHeader maps a header's columns to their positions.
func listHeader(header []string) (map[string]int, error) {
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(Columns, h) {
			msg := fmt.Sprintf("line 1: unknown column %q", h)
			if s := suggest.Closest(h, Columns); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return nil, fmt.Errorf("%s; a supplier list has the columns %s", msg, strings.Join(Columns, ", "))
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
