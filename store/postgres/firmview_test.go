package postgres_test

import (
	"testing"

	"github.com/chainrisk/chainrisk/store/storetest"
)

func TestFirmView(t *testing.T) { storetest.CheckFirmView(t, open(t)) }
