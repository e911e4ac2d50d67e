package demo

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"github.com/chainrisk/chainrisk/credit"
)

// EachProvinceEnterprise generates the enterprises of a province of n firms (seed 1,
// the default number of leaders: what `chainriskctl gen --firms n --seed 1` writes) and
// calls fn with each row of enterprises.csv after the header, in file order. Benchmarks
// of name search and matching read their firms this way.
func EachProvinceEnterprise(n int, fn func(rec []string) error) error {
	pr, pw := io.Pipe()
	go func() {
		_, err := GenerateProvince(ProvinceOptions{Firms: n, Leaders: DefaultProvinceLeaders(n), Seed: 1},
			map[credit.Kind]io.Writer{credit.KindEnterprises: pw})
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	r := csv.NewReader(pr)
	if _, err := r.Read(); err != nil {
		return fmt.Errorf("generated enterprises: header: %w", err)
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("generated enterprises: %w", err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}
