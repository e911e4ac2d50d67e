package sqlite_test

import (
	"context"
	"testing"

	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/store/storetest"
)

func TestFirmView(t *testing.T) {
	s, err := sqlite.OpenDir(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CheckFirmView(t, s)
}
