package noise

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// phases lists the phases of a result, in report order.
func (r *Result) phases() []string {
	if r.Options.Repeats == RepeatsDaily {
		return []string{PhaseLoad, PhaseMonth, PhaseRepeats}
	}
	return []string{PhaseLoad, PhaseMonth, PhaseLastRepeat}
}

// SubscriberDist is the distribution over a world's subscriptions of the messages
// each received in a phase (subscriptions that received none count as zero).
func (w *WorldResult) SubscriberDist(phase string) Dist {
	var v []int
	for _, s := range w.Subscriptions {
		v = append(v, w.Tally.Subs[phase][s].Messages)
	}
	return distOf(v)
}

// Messages is the number of messages every subscription received in a phase, in all;
// Alerts the alert changes they carried.
func (w *WorldResult) Messages(phase string) (messages, alerts int) {
	for _, d := range w.Tally.Subs[phase] {
		messages += d.Messages
		alerts += d.Alerts
	}
	return messages, alerts
}

func (w *WorldResult) raw(phase string) *Changes {
	if c := w.Changes[phase]; c != nil {
		return c
	}
	return &Changes{}
}

func ratio(a, b int) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

func num(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%.1f", f)
}

// loadAvg is the machine's load average over 1, 5 and 15 minutes: the run's time
// means little on a machine busy with other work.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

func repeatsNote(mode string) string {
	if mode == RepeatsDaily {
		return "every half hour of every simulated day"
	}
	return "once, at the end of the month: every firing announced alert is due, so it sends one day's repeats " +
		"(make noise NOISE_REPEATS=daily runs it through the month)"
}

// SummaryTable is the table of docs/alerts.md's Noise section: per world and phase,
// the raw alert changes, the messages sent and their spread over subscribers.
func (r *Result) SummaryTable() string {
	var b strings.Builder
	b.WriteString("| world | phase | raw alert changes | notifications | per subscriber median / p90 / max | notifications / raw |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: |\n")
	for _, w := range r.Worlds {
		for _, ph := range r.phases() {
			raw := w.raw(ph).Raw()
			msgs, _ := w.Messages(ph)
			d := w.SubscriberDist(ph)
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %s / %s / %s | %s |\n", w.Name, ph, raw, msgs,
				num(d.Median), num(d.P90), num(d.Max), ratio(msgs, raw))
		}
	}
	return b.String()
}

// Markdown is the whole report (bench/noise.md).
func (r *Result) Markdown() []byte {
	var b bytes.Buffer
	o := r.Options
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# chainrisk alert noise\n\n")
	fmt.Fprintf(&b, "- date: %s; %d cores (%s); %s; run took %s; load average (1, 5, 15 min) at the start "+
		"and at the end: %s; %s\n", time.Now().UTC().Format("2006-01-02T15:04Z"), runtime.NumCPU(), host,
		runtime.Version(), r.Elapsed.Round(time.Second), r.LoadStart, loadAvg())
	fmt.Fprintf(&b, "- simulated month: %d days; per firm and day %.5f new events (%.0f a day per 100,000 firms), "+
		"repairs %.0f %% of that, %.4f relation changes (half end, half new); seed %d\n", o.Days, eventsPerFirmDay,
		eventsPerFirmDay*100_000, repairsPerEvent*100, relationsPerFirmDay, o.Seed)
	fmt.Fprintf(&b, "- digest option: %s; resend_alerts: %s\n\n", r.DigestNote, repeatsNote(o.Repeats))
	b.WriteString("Raw alert changes: alerts fired (new episodes), severity changes, alerts announced again " +
		"(severe_event on a further severe event) and resolves, read from the " +
		"store's alerts after every step. Notifications: messages in the outbox, counted per subscription on its " +
		"busiest channel. Nothing is delivered; the outbox is read at the end.\n\n")
	b.WriteString(r.SummaryTable())
	for _, w := range r.Worlds {
		w.markdown(&b, r.phases())
	}
	return b.Bytes()
}

func (w *WorldResult) markdown(b *bytes.Buffer, phases []string) {
	fmt.Fprintf(b, "\n## %s\n\n%s. %d subscriptions; took %s.\n\n", w.Name, w.Describe, len(w.Subscriptions),
		w.Elapsed.Round(time.Second))
	b.WriteString("| phase | rows ingested (refused) | fired | severity changes | announced again | resolved | " +
		"quiet (baseline) | notifications | alert changes carried | subscribers reached |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, ph := range phases {
		c := w.raw(ph)
		msgs, carried := w.Messages(ph)
		reached := 0
		for _, d := range w.Tally.Subs[ph] {
			if d.Messages > 0 {
				reached++
			}
		}
		fmt.Fprintf(b, "| %s | %d (%d) | %d | %d | %d | %d | %d | %d | %d | %d |\n", ph, w.Accepted[ph],
			w.Rejected[ph], c.Fired, c.Severity, c.Renotified, c.Resolved, c.Quiet, msgs, carried, reached)
	}
	b.WriteString("\nBy rule (raw changes / outbox rows, by the rule of a message's first alert):\n\n")
	b.WriteString("| rule |")
	for _, ph := range phases {
		fmt.Fprintf(b, " %s |", ph)
	}
	b.WriteString("\n| --- |" + strings.Repeat(" ---: |", len(phases)) + "\n")
	rules := map[string]bool{}
	for _, ph := range phases {
		for r := range w.raw(ph).ByRule {
			rules[r] = true
		}
		for r := range w.Tally.ByRule[ph] {
			rules[r] = true
		}
	}
	for _, r := range slices.Sorted(maps.Keys(rules)) {
		fmt.Fprintf(b, "| %s |", r)
		for _, ph := range phases {
			fmt.Fprintf(b, " %d / %d |", w.raw(ph).ByRule[r], w.Tally.ByRule[ph][r])
		}
		b.WriteString("\n")
	}
	w.topSubscribers(b, phases)
}

// topSubscribers lists the five subscriptions that received the most messages over
// the whole run.
func (w *WorldResult) topSubscribers(b *bytes.Buffer, phases []string) {
	type row struct {
		name string
		per  []Delivered
		sum  int
	}
	var rows []row
	for _, s := range w.Subscriptions {
		r := row{name: s}
		for _, ph := range phases {
			d := w.Tally.Subs[ph][s]
			r.per = append(r.per, d)
			r.sum += d.Messages
		}
		rows = append(rows, r)
	}
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(b.sum, a.sum) })
	b.WriteString("\nBusiest subscriptions (messages / alert changes carried):\n\n| subscription |")
	for _, ph := range phases {
		fmt.Fprintf(b, " %s |", ph)
	}
	b.WriteString("\n| --- |" + strings.Repeat(" ---: |", len(phases)) + "\n")
	for _, r := range rows[:min(5, len(rows))] {
		fmt.Fprintf(b, "| %s |", r.name)
		for _, d := range r.per {
			fmt.Fprintf(b, " %d / %d |", d.Messages, d.Alerts)
		}
		b.WriteString("\n")
	}
}
