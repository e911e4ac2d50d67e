package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/postgres"
	"github.com/chainrisk/chainrisk/store/postgres/pgtest"
	"github.com/chainrisk/chainrisk/store/storetest"
)

func open(t *testing.T) *postgres.Store {
	s, err := postgres.Open(context.Background(), pgtest.URL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestBadURLDoesNotEchoPassword(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://u:s3cretpw@127.0.0.1:1/x?sslmode=bogus", postgres.Options{})
	if err == nil {
		t.Fatal("open succeeded")
	}
	if got := err.Error(); strings.Contains(got, "s3cretpw") {
		t.Errorf("error leaks the password: %s", got)
	}
}
