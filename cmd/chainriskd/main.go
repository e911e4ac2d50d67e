// Command chainriskd is the chainrisk daemon: it watches the credit health of supply
// chains, recomputes risk on schedules and on demand, and raises early warnings.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Asia/Shanghai on minimal images

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/daemon"
	"github.com/chainrisk/chainrisk/version"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chainriskd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		configFile  = fs.String("config", "", "configuration `file` (none: built-in defaults, embedded store in ./data)")
		demo        = fs.Bool("demo", false, "load the demo dataset into an empty store and alert to the log")
		listen      = fs.String("listen", "", "API listen `address` (overrides the config's listen)")
		checkConfig = fs.Bool("check-config", false, "validate the configuration and exit 0 (valid) or 1")
		showVersion = fs.Bool("version", false, "print the version and exit")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "chainriskd: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, version.String("chainriskd"))
		return 0
	}
	// Load("") gives the built-in defaults with the environment's overrides applied.
	cfg, err := config.Load(*configFile)
	if err == nil {
		err = daemon.CheckConfig(cfg) // a job this build cannot run is a config error too
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *checkConfig {
		name := *configFile
		if name == "" {
			name = "built-in defaults"
		}
		fmt.Fprintf(stdout, "%s: ok\n", name)
		return 0
	}
	log := newLogger(cfg.Log, stderr)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()

	d, err := daemon.New(ctx, daemon.Options{
		Config: cfg, ConfigFile: *configFile, Demo: *demo, Listen: *listen, Logger: log, Reload: reload,
		Stdout: stdout,
	})
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	if err := d.Run(ctx); err != nil {
		log.Error("stopped with errors", "err", err)
		return 1
	}
	return 0
}

func newLogger(c config.LogConfig, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.SlogLevel()}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
