package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/daemon"
)

// runConfigCheck implements `chainriskctl config check FILE...`: it loads each file as
// chainriskd would (defaults, ${ENV} secrets, CHAINRISK_* overrides, validation) and
// prints "FILE: ok" (stdout) or every problem found (stderr, one per line, each with
// FILE:LINE:COLUMN and the key path). Exit code 0 when all files are valid, 1 when any
// is not, 2 on a usage error.
func runConfigCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	output := outputFlag(fs, "table", "json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chainriskctl config check [-o table|json] FILE...")
		fmt.Fprintln(stderr, "\nValidates chainriskd config files strictly, as the daemon loads them:")
		fmt.Fprintln(stderr, "${ENV} secrets must be set, CHAINRISK_DATA_DIR and CHAINRISK_DATABASE_URL apply.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return parseExit(err)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	if !checkOutput(fs, *output, "table", "json") {
		return exitUsage
	}

	type problem struct {
		Line    int    `json:"line,omitempty"`
		Column  int    `json:"column,omitempty"`
		Path    string `json:"path,omitempty"`
		Message string `json:"message"`
	}
	type result struct {
		File     string    `json:"file"`
		OK       bool      `json:"ok"`
		Problems []problem `json:"problems,omitempty"`
	}
	var results []result
	code := exitOK
	for _, file := range fs.Args() {
		r := result{File: file, OK: true}
		cfg, err := config.Load(file)
		if err == nil {
			err = daemon.CheckConfig(cfg) // jobs this build of chainriskd cannot run
		}
		if err != nil {
			r.OK, code = false, exitError
			for _, e := range splitErrors(err) {
				var ce *config.Error
				if errors.As(e, &ce) {
					r.Problems = append(r.Problems, problem{ce.Line, ce.Column, ce.Path, ce.Msg})
				} else {
					r.Problems = append(r.Problems, problem{Message: e.Error()})
				}
			}
		}
		results = append(results, r)
		if *output != "table" {
			continue
		}
		if err == nil {
			fmt.Fprintf(stdout, "%s: ok\n", file)
			continue
		}
		// Each problem already starts with FILE:LINE:COLUMN where the file says so.
		for _, e := range splitErrors(err) {
			fmt.Fprintln(stderr, e)
		}
		fmt.Fprintf(stderr, "%s: %d problem(s)\n", file, len(r.Problems))
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			fmt.Fprintln(stderr, "chainriskctl config check:", err)
			return exitError
		}
	}
	return code
}

// splitErrors undoes errors.Join, nested ones too (the jobs' and the alert rules'
// problems come joined), so that each problem prints on its own line.
func splitErrors(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, splitErrors(e)...)
	}
	return out
}
