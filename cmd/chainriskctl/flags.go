package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
)

func formatFloat(x float64, prec int) string { return strconv.FormatFloat(x, 'g', prec, 64) }

// parseFlags parses args; ok is false when the command should exit with code
// (0 after -h, 2 on bad flags or stray arguments).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		return usageError(fs, fmt.Sprintf("unexpected argument %q", fs.Arg(0))), false
	}
	return 0, true
}

// parseExit is the exit code of a command whose flags did not parse: 0 when -h or
// --help asked for its usage, 2 otherwise.
func parseExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

func usageError(fs *flag.FlagSet, msg string) int {
	fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), msg)
	fs.Usage()
	return exitUsage
}
