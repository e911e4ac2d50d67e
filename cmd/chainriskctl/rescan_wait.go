package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/internal/progress"
)

// pollInterval is how often rescan --wait asks about its scan.
const pollInterval = 300 * time.Millisecond

// waitScan polls a scan until it ends, showing on a terminal its place in the queue
// and what runs ahead of it, then its progress; off a terminal one line at the end.
func waitScan(ctx context.Context, c *client, sc *scanJSON, stderr io.Writer) error {
	bar := progress.New(stderr, fmt.Sprintf("scan %d", sc.ID), "firms", 0)
	phase := ""
	for sc.Status == "queued" || sc.Status == "running" {
		if sc.Status == "queued" {
			bar.SetText(queueText(sc))
		} else {
			bar.SetText("")
			bar.SetTotal(sc.Progress.Total)
			bar.Set(sc.Progress.Done, 0)
		}
		if sc.Status != phase {
			phase = sc.Status
			bar.Phase(phase)
		}
		select {
		case <-ctx.Done():
			bar.Done("")
			return ctx.Err()
		case <-time.After(pollInterval):
		}
		var next scanJSON // fresh: a field the answer leaves out must not linger
		if err := c.getJSON(ctx, "/api/v1/rescans/"+strconv.FormatInt(sc.ID, 10), &next); err != nil {
			bar.Done("")
			return err
		}
		*sc = next
	}
	bar.Phase("")
	bar.SetTotal(sc.Progress.Total)
	bar.Set(sc.Progress.Done, 0)
	bar.SetText(sc.Status)
	bar.Done(fmt.Sprintf("scan %d %s after %s", sc.ID, sc.Status, progress.Duration(bar.Elapsed())))
	return nil
}

// queueText says where a queued scan stands: "2nd in the queue, behind scan 11
// (full all, cli:import: running 40%) and scan 12 (incremental chain:…, api:ops)".
func queueText(sc *scanJSON) string {
	if sc.Position == 0 {
		return "" // an older daemon: no queue position
	}
	s := ordinal(sc.Position) + " in the queue"
	if len(sc.Ahead) == 0 {
		return s + ", next to run"
	}
	var parts []string
	for _, a := range sc.Ahead {
		p := fmt.Sprintf("scan %d (%s %s, %s", a.ID, a.Kind, a.Scope, a.Trigger)
		if a.Status == "running" && a.Progress.Total > 0 {
			p += fmt.Sprintf(": running %d%%", 100*a.Progress.Done/a.Progress.Total)
		} else {
			p += ": " + a.Status
		}
		parts = append(parts, p+")")
	}
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("%d more", len(sc.Ahead)-3))
	}
	return s + ", behind " + strings.Join(parts, ", ")
}

// ordinal writes 1 as 1st, 2 as 2nd, 11 as 11th.
func ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.Itoa(n) + suffix
}
