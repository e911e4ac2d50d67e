package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/chainrisk/chainrisk/store/backend"
	"github.com/chainrisk/chainrisk/store/sqlite"
)

// storeCreateFlag adds --create to a command with --store.
func storeCreateFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("create", false, "make a new SQLite database when --store names none (without it a mistyped path is refused)")
}

// checkStore refuses a --store path that holds no database unless create: a SQLite
// file that does not exist, or a data directory without its chainrisk.db. A
// postgres:// URL and the empty DSN (no store) pass.
func checkStore(dsn string, create bool) error {
	if dsn == "" || create || backend.IsPostgres(dsn) {
		return nil
	}
	fi, err := os.Stat(dsn)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--store %s: no such database file or data directory (check the path; --create makes a new database there)", dsn)
	case err != nil:
		return fmt.Errorf("--store %s: %w", dsn, err)
	case !fi.IsDir():
		return nil
	}
	if _, err := os.Stat(filepath.Join(dsn, sqlite.FileName)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--store %s: the directory holds no %s (check the path; --create makes a new database there)", dsn, sqlite.FileName)
	}
	return nil
}

// storeOK checks fs's --store and --create after parsing, saying why on fs's
// output when the store is refused.
func storeOK(fs *flag.FlagSet) bool {
	dsn, create := fs.Lookup("store"), fs.Lookup("create")
	if dsn == nil || create == nil {
		return true
	}
	if err := checkStore(dsn.Value.String(), create.Value.String() == "true"); err != nil {
		fmt.Fprintf(fs.Output(), "chainriskctl %s: %v\n", fs.Name(), err)
		return false
	}
	return true
}
