package daemon_test

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainrisk/chainrisk/loadgen"
	"github.com/chainrisk/chainrisk/monitor"
)

// The province latency benchmark's report (province_test.go).

// provinceLoad is one scan's load stage with the relations of the firm it read.
type provinceLoad struct {
	uscc          string
	at, relations int
	d             time.Duration
}

// provinceReport holds the figures of one run.
type provinceReport struct {
	Store                     string
	Firms, Relations, Leaders int
	Leader                    string
	ChainMembers              int
	Ready                     time.Duration
	Alert, Post               []time.Duration // per event: POST → webhook, POST round trip
	Stages                    map[string][]time.Duration
	Chains, Written           []int          // per scan: chains recomputed, firm results written
	Load                      []string       // load averages: before the events, before and after the GETs
	Loads                     []provinceLoad // per event, when every scan was recorded
	Deliveries                int
	Get                       *loadgen.Result
}

// provinceQuantile is the nearest-rank q-quantile.
func provinceQuantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[max(0, int(math.Ceil(q*float64(len(s))))-1)]
}

func provinceMs(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func (r *provinceReport) verdict(p99, target time.Duration, n int) string {
	if n == 0 {
		return "not measured"
	}
	if p99 <= target {
		return "met"
	}
	return "**missed**"
}

func (r *provinceReport) log(t *testing.T) {
	t.Helper()
	for _, line := range strings.Split(string(r.markdown()), "\n") {
		t.Log(line)
	}
	if p := provinceQuantile(r.Alert, 0.99); p > provinceAlertTarget {
		t.Logf("TARGET MISSED: event → webhook p99 %s > %s", provinceMs(p), provinceMs(provinceAlertTarget))
	}
	if p := r.Get.Quantile(0.99); r.Get != nil && p > provinceGetTarget {
		t.Logf("TARGET MISSED: GET /api/v1/enterprises/{uscc} p99 %s > %s at %d req/s", provinceMs(p),
			provinceMs(provinceGetTarget), provinceGetRate)
	}
}

// markdown renders the figures next to their targets.
func (r *provinceReport) markdown() []byte {
	var b bytes.Buffer
	q := func(d []time.Duration) string {
		return fmt.Sprintf("%s | %s | %s | %s", provinceMs(provinceQuantile(d, 0.5)), provinceMs(provinceQuantile(d, 0.9)),
			provinceMs(provinceQuantile(d, 0.99)), provinceMs(provinceQuantile(d, 1)))
	}
	fmt.Fprintf(&b, "### %s: %d firms, %d relations, %d leaders\n\n", r.Store, r.Firms, r.Relations, r.Leaders)
	fmt.Fprintf(&b, "Daemon ready (store load and first scan) in %.1f s. Subscription: the chain of %s (%d members), "+
		"one signed webhook; %d deliveries received. Load average (1, 5, 15 min) before the events, before and "+
		"after the GETs: %s (%d cores).\n\n", r.Ready.Seconds(), r.Leader, r.ChainMembers, r.Deliveries,
		strings.Join(r.Load, "; "), runtime.NumCPU())
	fmt.Fprintf(&b, "| measure | n | p50 | p90 | p99 | max | target | |\n| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |\n")
	fmt.Fprintf(&b, "| event POST → signed webhook received | %d | %s | p99 ≤ 500 ms | %s |\n", len(r.Alert), q(r.Alert),
		r.verdict(provinceQuantile(r.Alert, 0.99), provinceAlertTarget, len(r.Alert)))
	if g := r.Get; g != nil {
		fmt.Fprintf(&b, "| `GET /api/v1/enterprises/{uscc}` at %d req/s | %d | %s | p99 ≤ 20 ms | %s |\n", provinceGetRate,
			len(g.Latencies), q(g.Latencies), r.verdict(g.Quantile(0.99), provinceGetTarget, len(g.Latencies)))
		var status []string
		for _, c := range slices.Sorted(maps.Keys(g.ByStatus)) {
			status = append(status, fmt.Sprintf("%d × %d", g.ByStatus[c], c))
		}
		fmt.Fprintf(&b, "\nGETs: %d completed in %.1f s (%.0f req/s), statuses %s; %d transport errors, %d unsent "+
			"(in-flight bound reached).\n", g.Requests, g.Elapsed.Seconds(), g.Throughput(), strings.Join(status, ", "),
			g.Errors, g.Unsent)
	}
	fmt.Fprintf(&b, "\nWhere an event's time goes, from the scans' own records. Each event was posted once the "+
		"previous one's scan had finished. The delivery starts when the stage that evaluates the firm's rules "+
		"(observe_rescored, before the propagation) has written the outbox and woken the worker, and overlaps the "+
		"rest of the scan; its row also holds the scan's progress writes (store timestamps "+
		"are to the millisecond).\n\n")
	fmt.Fprintf(&b, "| step | n | p50 | p90 | p99 | max |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
	fmt.Fprintf(&b, "| POST round trip (parse, validate, commit, queue the scan) | %d | %s |\n", len(r.Post), q(r.Post))
	steps := []string{"queued", monitor.StageLoad, monitor.StageScore, monitor.StageLists, monitor.StageObserveRescored,
		"deliver", monitor.StagePropagate, monitor.StageExposure, monitor.StageObserve, monitor.StagePersist, "scan"}
	names := map[string]string{"queued": "scan queued → started", "scan": "whole scan (its record)",
		monitor.StageObserveRescored: "scan stage observe_rescored (the firm's alert rules, outbox write)",
		monitor.StageObserve:         "scan stage observe (the chain rules after the propagation)",
		"deliver":                    "the firm's alerts written → webhook received (outbox read, signed POST)"}
	for _, s := range steps {
		if d, ok := r.Stages[s]; ok {
			fmt.Fprintf(&b, "| %s | %d | %s |\n", cmp.Or(names[s], "scan stage "+s), len(d), q(d))
		}
	}
	counts := func(x []int) string {
		s := slices.Clone(x)
		slices.Sort(s)
		at := func(q float64) int { return s[max(0, int(math.Ceil(q*float64(len(s))))-1)] }
		return fmt.Sprintf("%d | %d | %d | %d", at(0.5), at(0.9), at(0.99), s[len(s)-1])
	}
	if len(r.Chains) > 0 {
		fmt.Fprintf(&b, "| chains recomputed per scan (of %d) | %d | %s |\n", r.Leaders, len(r.Chains), counts(r.Chains))
		fmt.Fprintf(&b, "| firm results written per scan | %d | %s |\n", len(r.Written), counts(r.Written))
	}
	if len(r.Loads) > 0 {
		slow := slices.SortedFunc(slices.Values(r.Loads), func(a, b provinceLoad) int { return cmp.Compare(b.d, a.d) })
		fmt.Fprintf(&b, "\nThe slowest load stages, with the relations of the firm read (event number, firm):\n\n")
		for _, l := range slow[:min(5, len(slow))] {
			fmt.Fprintf(&b, "- %s: %d relations (event %d, %s)\n", provinceMs(l.d), l.relations, l.at, l.uscc)
		}
	}
	return b.Bytes()
}
