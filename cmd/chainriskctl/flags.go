package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/internal/suggest"
)

// The flag convention of every command (README.md, "Command-line conventions"):
// flags may come before or after the positional arguments, -o is --output, -h and
// --help print the usage and exit 0, and an unknown flag is answered with the
// nearest known one.

func formatFloat(x float64, prec int) string { return strconv.FormatFloat(x, 'g', prec, 64) }

// parseFlags parses args, flags anywhere among them; ok is false when the command
// should exit with code (0 after -h, 2 on bad flags or stray arguments).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return parseExit(err), false
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

// outputFlag adds --output and its short form -o, with the formats the command
// supports (the first is the default).
func outputFlag(fs *flag.FlagSet, formats ...string) *string {
	out := fs.String("output", formats[0], "output format: "+strings.Join(formats, ", "))
	fs.Var(fs.Lookup("output").Value, "o", "short for --output")
	return out
}

// checkOutput says, on fs's output, when output is none of formats.
func checkOutput(fs *flag.FlagSet, output string, formats ...string) bool {
	if slices.Contains(formats, output) {
		return true
	}
	fmt.Fprintf(fs.Output(), "chainriskctl %s: --output %q: want %s\n", fs.Name(), output, orList(formats))
	return false
}

// orList is "a, b or c".
func orList(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

// interleave prepares args for fs.Parse: it moves flags after positional arguments
// to the front, so that "chainriskctl chain USCC --output json" works as people type
// it; it adds -o for --output where the command has not, and --create beside --store
// (storeOK checks them); and when a flag is unknown,
// the usage printed names the nearest known flag instead of listing them all.
func interleave(fs *flag.FlagSet, args []string) []string {
	if out := fs.Lookup("output"); out != nil && fs.Lookup("o") == nil {
		fs.Var(out.Value, "o", "short for --output")
	}
	if fs.Lookup("store") != nil && fs.Lookup("create") == nil {
		storeCreateFlag(fs)
	}
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || len(a) == 1 {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if f == nil {
			if name != "h" && name != "help" {
				suggestFlag(fs, name)
			}
			continue
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); hasValue || (ok && bf.IsBoolFlag()) {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(flags, pos...)
}

// suggestFlag makes fs's usage, which the flag package prints after "flag provided
// but not defined", name the known flag nearest to name when there is one.
func suggestFlag(fs *flag.FlagSet, name string) {
	var known []string
	fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
	near := suggest.Closest(name, known)
	if near == "" {
		return
	}
	dashes := "--"
	if len(near) == 1 {
		dashes = "-"
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "chainriskctl %s: did you mean %s%s? (chainriskctl %s -h lists its flags)\n",
			fs.Name(), dashes, near, fs.Name())
	}
}
