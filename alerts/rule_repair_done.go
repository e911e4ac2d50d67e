package alerts

import (
	"context"
	"fmt"
	"time"

	"github.com/chainrisk/chainrisk/config"
	"github.com/chainrisk/chainrisk/store"
)

// RuleRepairDone announces a credit repair approved for a specialized SME.
const RuleRepairDone = "repair_done"

func init() {
	register(&rule{name: RuleRepairDone, order: 60, enabled: true, oneOff: true,
		title:    [2]string{"信用修复已通过", "Credit repair approved"},
		evaluate: (*evaluation).repairDone})
}

// repairDone: a repair recorded since the last evaluation was approved for a
// specialized SME (info). It is a one-off: the alert is notified once, never
// repeated, and resolves without a notification at the next full scan.
func (e *evaluation) repairDone(ctx context.Context, emit func(*candidate)) error {
	rule := RuleRepairDone
	if e.full {
		e.judgeAll(rule) // resolves what fired before, quietly
	}
	since, err := e.repairCursor(ctx)
	if err != nil || since.IsZero() {
		return err
	}
	repairs, err := e.m.db.RepairsSince(ctx, since)
	if err != nil {
		return fmt.Errorf("repair_done: %w", err)
	}
	byFirm := make(map[int32][]store.RepairedEvent)
	var firms []int32
	for _, r := range repairs {
		e.repairsSeen = maxTime(e.repairsSeen, r.RecordedAt)
		v, ok := e.next.Index(r.USCC)
		if !ok || !e.next.Firms[v].Specialized || !r.RecordedAt.After(e.announced[r.USCC]) {
			continue
		}
		if byFirm[v] == nil {
			firms = append(firms, v)
		}
		byFirm[v] = append(byFirm[v], r)
	}
	for _, v := range firms {
		prevGrade := ""
		if g, ok := e.prevGrade(v); ok && g != e.next.Grade[v] {
			prevGrade = g.String()
		}
		c := e.firmCandidate(rule, v, config.AlertInfo, prevGrade)
		c.det.Reasons = nil
		for _, r := range byFirm[v] {
			c.det.Reasons = append(c.det.Reasons, reason{Kind: reasonRepair, Type: r.Type, At: r.RepairedAt, By: r.DecidedBy})
		}
		c.det.Reasons = c.det.Reasons[:min(maxReasons, len(c.det.Reasons))]
		c.det.Announced = byFirm[v][len(byFirm[v])-1].RecordedAt // RepairsSince's order
		c.renotify = true
		emit(c)
	}
	return nil
}

// repairCursor is the time after which repairs are new to repair_done. The first
// evaluation of a process starts from the last successful scan (its evaluation saw
// the repairs recorded before it); a baseline skips the repairs already held. That
// start may lie behind what was announced — the scan's evaluation also saw repairs
// recorded while it ran, and a process killed after writing its alerts left no
// successful scan — so the first evaluation also skips, per firm, the repairs its
// repair_done alert announced already.
func (e *evaluation) repairCursor(ctx context.Context) (time.Time, error) {
	if !e.repairsSeen.IsZero() {
		return e.repairsSeen, nil
	}
	if e.baseline {
		e.repairsSeen = e.now
		return time.Time{}, nil
	}
	scans, err := e.m.db.Scans(ctx, 100)
	if err != nil {
		return time.Time{}, fmt.Errorf("repair_done: %w", err)
	}
	done, err := e.m.db.Alerts(ctx, store.AlertFilter{Rule: RuleRepairDone})
	if err != nil {
		return time.Time{}, fmt.Errorf("repair_done: %w", err)
	}
	e.announced = make(map[string]time.Time, len(done))
	for _, a := range done {
		c, err := decodeAlert(a)
		if err != nil {
			return time.Time{}, err
		}
		e.announced[a.USCC] = c.det.Announced
	}
	for _, sc := range scans {
		if sc.Status == store.ScanSucceeded && sc.ID != e.next.ScanID && !sc.StartedAt.IsZero() {
			e.repairsSeen = sc.StartedAt
			return sc.StartedAt, nil
		}
	}
	e.repairsSeen = e.now
	return time.Time{}, nil
}
