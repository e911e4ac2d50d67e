package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
)

// TestDataUpToDate regenerates the demo data and compares it with the committed files,
// so that a change to the generator cannot leave them stale (run `go generate ./demo/`).
func TestDataUpToDate(t *testing.T) {
	dir := t.TempDir()
	if err := run(dir, defaultSeed, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, kind := range credit.Kinds {
		name := string(kind) + ".csv"
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "..", "data", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("demo/data/%s is stale: run go generate ./demo/", name)
		}
	}
}
