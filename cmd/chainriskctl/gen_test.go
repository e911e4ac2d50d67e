package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo"
)

func TestGen(t *testing.T) {
	dirs := []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b", "nested")}
	for _, dir := range dirs {
		code, stdout, stderr := runCmd(runGen, "--firms", "3000", "--edges-per-firm", "4", "--events-per-firm", "2",
			"--leaders", "3", "--seed", "11", "--out", dir)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "wrote 3,000 firms (3 leaders)") || !strings.Contains(stdout, "6,000 events") {
			t.Errorf("summary: %q", stdout)
		}
	}
	for _, k := range credit.Kinds {
		a, err := os.ReadFile(filepath.Join(dirs[0], demo.FileName(k)))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dirs[1], demo.FileName(k)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with the same flags", demo.FileName(k))
		}
	}
	// Only the data files are left behind: the temporary ones were renamed.
	entries, err := os.ReadDir(dirs[0])
	if err != nil || len(entries) != len(credit.Kinds) {
		t.Errorf("output directory holds %d entries (%v)", len(entries), err)
	}
}

func TestGenUsage(t *testing.T) {
	out := t.TempDir()
	for name, tc := range map[string]struct {
		args []string
		code int
		msg  string
	}{
		"help":         {[]string{"-h"}, exitOK, "usage: chainriskctl gen"},
		"no out":       {[]string{"--firms", "10"}, exitUsage, "--out is required"},
		"stray":        {[]string{"--out", out, "extra"}, exitUsage, "unexpected argument"},
		"bad flag":     {[]string{"--firms", "many", "--out", out}, exitUsage, "invalid value"},
		"one firm":     {[]string{"--firms", "1", "--out", out}, exitUsage, "firms must be"},
		"too dense":    {[]string{"--firms", "100", "--edges-per-firm", "50", "--out", out}, exitUsage, "edges per firm"},
		"bad anchor":   {[]string{"--firms", "100", "--anchor", "yesterday", "--out", out}, exitUsage, "--anchor"},
		"many leaders": {[]string{"--firms", "100", "--leaders", "80", "--out", out}, exitUsage, "leaders must be"},
	} {
		code, _, stderr := runCmd(runGen, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", name, code, stderr, tc.code, tc.msg)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("usage errors wrote %d files", len(entries))
	}
}

func TestGenError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(runGen, "--firms", "100", "--out", filepath.Join(file, "dir"))
	if code != exitError || !strings.Contains(stderr, "chainriskctl gen:") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestGenAnchorToday(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCmd(runGen, "--firms", "200", "--anchor", "today", "--out", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
