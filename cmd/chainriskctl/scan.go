package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/internal/table"
	"github.com/chainrisk/chainrisk/monitor"
	"github.com/chainrisk/chainrisk/store"
	"github.com/chainrisk/chainrisk/store/backend"
)

// runScan runs one full scan in-process against a store (batch runs and benchmarks).
func runScan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("store", os.Getenv("CHAINRISK_STORE"), "store `DSN`: a postgres:// URL or a SQLite database file (env CHAINRISK_STORE)")
	output := outputFlag(fs, "table", "json")
	configFile := fs.String("config", "", "daemon config `file` whose model, chain and metrics settings apply")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the scan to `file`")
	repeat := fs.Int("repeat", 1, "run `N` full scans, one after the other in one process: after the first, each re-reads only what changed, as a leader's scheduled full scans do")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chainriskctl scan --store DSN [--create] [-o table|json] [--config FILE] [--cpuprofile FILE] [--repeat N]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return parseExit(err)
	}
	if fs.NArg() > 0 || *dsn == "" {
		fs.Usage()
		return exitUsage
	}
	if !checkOutput(fs, *output, "table", "json") {
		return exitUsage
	}
	if *repeat < 1 {
		fmt.Fprintln(stderr, "chainriskctl scan: --repeat must be at least 1")
		return exitUsage
	}
	if !storeOK(fs) {
		return exitError
	}
	cfg, err := config.Load(*configFile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	db, err := backend.Open(ctx, *dsn, backend.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "chainriskctl scan: %v\n", err)
		return exitError
	}
	defer db.Close()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "chainriskctl scan: %v\n", err)
			return exitError
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "chainriskctl scan: %v\n", err)
			return exitError
		}
		defer pprof.StopCPUProfile()
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e := monitor.NewEngine(monitor.EngineOptions{Store: db, Params: monitor.ParamsFromConfig(cfg), Logger: log,
		FullReread: monitor.FullRereadOf(cfg)})
	for range *repeat {
		sc, err := e.Run(ctx, monitor.Request{Kind: monitor.ScanFull, Trigger: "cli"})
		if err != nil {
			fmt.Fprintf(stderr, "chainriskctl scan: %v\n", err)
			return exitError
		}
		printScan(stdout, sc, *output)
	}
	return exitOK
}

// printScan writes one scan's outcome and stats.
func printScan(stdout io.Writer, sc *store.Scan, output string) {
	var stats monitor.ScanStats
	_ = json.Unmarshal(sc.Stats, &stats)
	if output == "json" {
		_ = json.NewEncoder(stdout).Encode(struct {
			ID     int64             `json:"id"`
			Status string            `json:"status"`
			Stats  monitor.ScanStats `json:"stats"`
		}{sc.ID, sc.Status, stats})
		return
	}
	tw := table.NewWriter(stdout)
	fmt.Fprintf(tw, "scan\t%d (%s)\n", sc.ID, sc.Status)
	fmt.Fprintf(tw, "firms\t%s\n", groupDigits(stats.Firms))
	fmt.Fprintf(tw, "relations\t%s\n", groupDigits(stats.Relations))
	fmt.Fprintf(tw, "active events\t%s\n", groupDigits(stats.ActiveEvents))
	fmt.Fprintf(tw, "leaders\t%s\n", groupDigits(stats.Leaders))
	fmt.Fprintf(tw, "distress\t%d iterations, residual %.2g (%s)\n", stats.Iterations, stats.Residual, stats.DistressMode)
	fmt.Fprintf(tw, "results written\t%s\n", groupDigits(stats.Written))
	if stats.Read != "" {
		fmt.Fprintf(tw, "store read\t%s, %s firms\n", stats.Read, groupDigits(stats.ReadFirms))
	}
	for _, stage := range []string{monitor.StageLoad, monitor.StageScore, monitor.StageLists, monitor.StagePropagate, monitor.StageExposure,
		monitor.StageObserve, monitor.StagePersist} {
		if secs, ok := stats.Stages[stage]; ok {
			fmt.Fprintf(tw, "  %s\t%.3f s\n", stage, secs)
		}
	}
	fmt.Fprintf(tw, "total\t%.3f s\n", stats.Seconds)
	_ = tw.Flush()
}
