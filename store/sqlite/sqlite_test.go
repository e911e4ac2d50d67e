package sqlite_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/sqlite"
	"github.com/chainrisk/chainrisk/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.OpenDir(context.Background(), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestSecondOpenOfDirRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.OpenDir(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sqlite.OpenDir(context.Background(), dir, nil)
	if err == nil {
		t.Fatal("second OpenDir on the same directory succeeded")
	}
	for _, want := range []string{dir, "pid " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Released on close: a new owner gets in.
	s2, err := sqlite.OpenDir(context.Background(), dir, nil)
	if err != nil {
		t.Fatalf("reopen after close: %v", err)
	}
	_ = s2.Close()
}

// TestReopenMigratesNothing: a store file opened again applies no migration twice.
func TestReopenMigratesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	for range 2 {
		s, err := sqlite.Open(context.Background(), path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if applied, err := store.Migrate(context.Background(), s.Dialect()); err != nil || len(applied) != 0 {
			t.Errorf("Migrate on a reopened store applied %v, %v", applied, err)
		}
		_ = s.Close()
	}
}

// TestHolder: a store opened by file beside a daemon's names the process holding the
// data directory, and nobody once it let go or died without letting go.
func TestHolder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	daemon, err := sqlite.OpenDir(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := sqlite.Open(ctx, filepath.Join(dir, sqlite.FileName), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if who, err := cli.Holder(ctx); err != nil || who != "chainriskd (pid "+strconv.Itoa(os.Getpid())+")" {
		t.Errorf("while held: %q %v", who, err)
	}
	if err := daemon.Close(); err != nil {
		t.Fatal(err)
	}
	if who, err := cli.Holder(ctx); err != nil || who != "" {
		t.Errorf("after the holder let go: %q %v", who, err)
	}
	// A holder killed with -9 leaves its pid in the file.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no true(1) to run:", err)
	}
	if err := os.WriteFile(filepath.Join(dir, sqlite.LockName), []byte(strconv.Itoa(gone.Process.Pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if who, err := cli.Holder(ctx); err != nil || who != "" {
		t.Errorf("after the holder died: %q %v", who, err)
	}
	// A store without a data directory lock file.
	lone, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "x.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lone.Close()
	if who, err := lone.Holder(ctx); err != nil || who != "" {
		t.Errorf("no lock file: %q %v", who, err)
	}
}
