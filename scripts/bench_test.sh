#!/usr/bin/env bash
# Checks scripts/bench_parse.py against the output formats scripts/bench.sh reads:
# `go test -bench` lines, scripts/peers.py JSON lines, `chainriskctl scan -o json`
# (one scan, or several with --repeat), `chainriskctl import -o json`,
# `/usr/bin/time -v`, and TestProvinceLatency's report; then renders the main table.
set -euo pipefail
cd "$(dirname "$0")"
bash -n bench.sh
bash -n province.sh
bash -n national.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # expect WANT CMD...
	local want=$1 got
	shift
	got=$(python3 bench_parse.py "$@")
	if [ "$got" != "$want" ]; then
		echo "bench_parse.py $*: got '$got', want '$want'" >&2
		fail=1
	fi
}

cat > "$tmp/bench.txt" <<'EOF'
goos: linux
BenchmarkDistressFull-2   	       3	 412345678 ns/op	        82.50 ns/edge	        23.00 iterations	         1.790 ns/edge-sweep	  123 B/op	 4 allocs/op
BenchmarkSweep-2          	       5	  18000000 ns/op	        18.20 ms/sweep
BenchmarkSweepFloor-2     	       5	   9000000 ns/op	         9.100 ms/sweep
BenchmarkDebtRank/100k-2  	       3	  26800000 ns/op	        53.60 ns/edge	     99000 reached
BenchmarkChainSummary-2   	     200	   1200000 ns/op	         1.100 p50-ms	         4.500 p99-ms	     12000 bytes/answer	     35557 members
BenchmarkChainExport/ndjson-2    	      10	  90000000 ns/op	    480000 members/s	   4000000 bytes/answer
BenchmarkChainExport/ndjson-cold-2    	      10	  900000000 ns/op	    48000 members/s	   4000000 bytes/answer
BenchmarkChainCTE-2       	      10	 300000000 ns/op	    118000 members/s	     35557 members
PASS
EOF
expect 412345678 gobench "$tmp/bench.txt" DistressFull ns/op
expect 23.00 gobench "$tmp/bench.txt" DistressFull iterations
expect 18.20 gobench "$tmp/bench.txt" '^BenchmarkSweep$' ms/sweep
expect 9.100 gobench "$tmp/bench.txt" 'BenchmarkSweepFloor$' ms/sweep
expect 26800000 gobench "$tmp/bench.txt" DebtRank/100k ns/op
expect 4.500 gobench "$tmp/bench.txt" ChainSummary 'p99[-_]?ms|ms/p99'
expect 480000 gobench "$tmp/bench.txt" 'ChainExport/ndjson$' members/s
expect 48000 gobench "$tmp/bench.txt" 'ChainExport/ndjson-cold' members/s
expect 118000 gobench "$tmp/bench.txt" ChainCTE members/s
expect n/a gobench "$tmp/bench.txt" Absent ns/op

cat > "$tmp/peers.jsonl" <<'EOF'
{"name": "check_distress_sum", "sweeps": 5, "sum_d": 1234.5}
{"name": "scipy_noisy_or_sweep", "seconds": 0.025, "cpu_seconds": 0.024, "firms": 20000, "edges": 99786, "terms": 199572}
{"name": "check_debtrank", "firm": "91230100MA0000000X", "steps": 9, "reached": 100, "sum_h": 3.5, "R": 0.0001}
{"name": "scipy_debtrank_shock", "seconds": 1.25, "cpu_seconds": 1.2, "firms": 20000, "edges": 99000, "steps": 9}
EOF
expect 0.025 persweep "$tmp/peers.jsonl" sweep
expect 1.25 peers "$tmp/peers.jsonl" debtrank
expect n/a peers "$tmp/peers.jsonl" esri
echo '{"name": "a sweep timed over many", "seconds": 0.5, "sweeps": 20}' > "$tmp/many.jsonl"
expect 0.025 persweep "$tmp/many.jsonl" sweep
echo "scripts/peers.py absent" > "$tmp/none.jsonl"
expect n/a persweep "$tmp/none.jsonl" sweep

cat > "$tmp/scan.json" <<'EOF'
{"id":1,"status":"done","stats":{"firms":20000,"seconds":12.5,"stages_seconds":{"load":8.25,"score":0.1}}}
{"id":2,"status":"done","stats":{"firms":20000,"seconds":7.5,"stages_seconds":{"load":3.5,"score":0.1}}}
EOF
expect 7.5 scan "$tmp/scan.json"
expect 3.5 scan "$tmp/scan.json" stages.load
expect n/a scan "$tmp/scan.json" stages.absent

echo '{"accepted":20000,"rejected":0,"errors":[],"committed":true,"changed":20000,"scan_id":1}' > "$tmp/import.json"
expect 20000 import "$tmp/import.json"

cat > "$tmp/time.txt" <<'EOF'
	Command being timed: "chainriskctl scan"
	User time (seconds): 70.25
	System time (seconds): 4.50
	Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.50
	Maximum resident set size (kbytes): 1677722
EOF
expect 62.5 timev "$tmp/time.txt" wall_s
expect 1.60 timev "$tmp/time.txt" rss_gib
expect 74.8 timev "$tmp/time.txt" cpu_s

cat > "$tmp/latency.md" <<'EOF'
### postgres: 20000 firms, 99786 relations, 20 leaders

| measure | n | p50 | p90 | p99 | max | target | |
| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |
| event POST → signed webhook received | 100 | 30.1 ms | 49.0 ms | 64.2 ms | 70.0 ms | p99 ≤ 500 ms | met |
| `GET /api/v1/enterprises/{uscc}` at 500 req/s | 7500 | 1.5 ms | 3.0 ms | 5.7 ms | 30.0 ms | p99 ≤ 20 ms | met |
EOF
expect 64.2 province "$tmp/latency.md" alert
expect 5.7 province "$tmp/latency.md" get

printf 'firms\t20000\nscan_sqlite_s\t12.5\nsweep_ms\t18.2\nscipy_sweep_ms\t25\nfloor_ms\tn/a\nimport_postgres_relations\t65000\n' > "$tmp/fig.tsv"
printf 'chain_firms\t200000\nchain_export_mps\t5000000\nchain_export_cold_mps\t40000\ncte_mps\t36000\n' >> "$tmp/fig.tsv"
table=$(python3 bench_parse.py table "$tmp/fig.tsv")
for want in '| noisy-OR sweep, 20000 firms (?) | 18.2 ms | scipy.sparse sweep: 25 ms | 0.73× | ≤ scipy | met |' \
	'| noisy-OR sweep, 20000 firms | 18.2 ms | memory-bandwidth floor: n/a | n/a | ≤ 2× the floor | n/a |' \
	'| chain export, 200000 firms, a chain exported before in this scan | 5,000,000 members/s | recursive CTE (scripts/chain_cte.sql): 36,000 members/s | 138.89× | ≥ 50× CTE | met |' \
	'| chain export, 200000 firms, the first export of a scan | 40,000 members/s | recursive CTE (scripts/chain_cte.sql): 36,000 members/s | 1.11× | ≥ 50× CTE | **missed** |' \
	'| full scheduled scan, SQLite, steady (?) | 12.5 s | — | — | ≤ 10 s | **missed** |' \
	'| import relations, PostgreSQL | 65,000 rows/s | — | — | ≥ 100,000 | **missed** |' \
	'| cold start from PostgreSQL (load + first scan) | n/a | — | — | ≤ 30 s | n/a |'; do
	if ! grep -qxF -- "$want" <<< "$table"; then
		echo "table lacks: $want" >&2
		echo "$table" >&2
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "bench_test.sh: ok"
exit $fail
