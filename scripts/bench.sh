#!/usr/bin/env bash
# Province-scale benchmark (docs/performance.md): one run, one report, DIR/report.md, whose
# first table puts each headline figure beside its peer or limit and its goal. It
# generates a synthetic province, imports it into SQLite (and PostgreSQL when reachable),
# scans it, runs the kernels' benchmarks beside scipy.sparse (scripts/peers.py), the
# event → webhook and GET latency runs (scripts/province.sh), the chain endpoint's
# benchmarks beside a recursive CTE (scripts/chain_cte.sql), and the micro-benchmarks.
# A figure whose tool or benchmark is absent is reported as "n/a", never estimated.
#
#   make bench                        # 1,000,000 firms
#   BENCH_FIRMS=20000 make bench      # a small province (a check of the script)
#
# Environment: BENCH_FIRMS (1000000), BENCH_LEADERS (firms/1000), BENCH_CHAIN_FIRMS
# (200000: the chain endpoint's province), BENCH_PROVINCE=0 skips the latency runs,
# BENCH_MICRO=0 the micro-benchmarks, BENCH_FLOOR (the memory-bandwidth floor's
# benchmark in ./risk, ^BenchmarkSweepFloor$), BENCH_DATABASE_URL (PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench}
firms=${BENCH_FIRMS:-1000000}
leaders=${BENCH_LEADERS:-$(( firms / 1000 > 0 ? firms / 1000 : 1 ))}
chain_firms=${BENCH_CHAIN_FIRMS:-200000}
floor_re=${BENCH_FLOOR:-^BenchmarkSweepFloor\$}
pg=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
mkdir -p "$out"
out=$(cd "$out" && pwd)
report="$out/report.md"
parse() { python3 scripts/bench_parse.py "$@"; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
fig() { printf '%s\t%s\n' "$1" "$2" >> "$out/figures.tsv"; }

# step NAME CMD...: runs CMD, recording its wall time and the load average before and
# after it in steps.md; a failing step is recorded and the run goes on.
step() {
	local name=$1 t0 l0 rc=0
	shift
	echo "== $name"
	t0=$(now) l0=$(load)
	"$@" || rc=$?
	printf '| %s | %.1f | %s | %s | %s |\n' "$name" "$(secs "$t0" "$(now)")" "$l0" "$(load)" \
		"$([ $rc -eq 0 ] && echo ok || echo "**failed ($rc)**")" >> "$out/steps.md"
}

: > "$out/figures.tsv"; : > "$out/steps.md"; : > "$out/imports.md"; : > "$out/scans.md"
fig firms "$firms"; fig chain_firms "$chain_firms"
load_start=$(load)
go build -trimpath -o "$out/bin/" ./cmd/...
ctl="$out/bin/chainriskctl"

generate() { # generate FIRMS DIR
	rm -rf "$2" && mkdir -p "$2"
	"$ctl" gen --firms "$1" --edges-per-firm 5 --events-per-firm 3 --leaders $(( $1 / 1000 > 0 ? $1 / 1000 : 1 )) \
		--seed 1 --out "$2" >/dev/null
}
step "generate $firms firms" generate "$firms" "$out/data"

# scipy_ready sets py to a python3 with numpy and scipy, installing Debian's when
# neither the python3 on PATH nor the system's has them.
py=python3
scipy_ready() {
	local p
	for p in python3 /usr/bin/python3; do
		"$p" -c 'import scipy, numpy' 2>/dev/null && { py=$p; return 0; }
	done
	{ apt-get install -y python3-numpy python3-scipy || { apt-get update && apt-get install -y python3-numpy python3-scipy; }; } \
		> "$out/apt.log" 2>&1 || true
	for p in python3 /usr/bin/python3; do
		"$p" -c 'import scipy, numpy' 2>/dev/null && { py=$p; return 0; }
	done
	return 1
}

# import_into DSN LABEL: the four files, one batch each; rows/s per file.
import_into() {
	local dsn=$1 label=$2 kind t0 s rows rate
	for kind in enterprises relations events repairs; do
		t0=$(now)
		"$ctl" import --output json --store "$dsn" --create "$kind" "$out/data/$kind.csv" > "$out/import-$label-$kind.json"
		s=$(secs "$t0" "$(now)")
		rows=$(parse import "$out/import-$label-$kind.json")
		rate=n/a
		[ "$rows" != n/a ] && rate=$(printf '%.0f' "$(echo "$rows / $s" | bc -l)")
		printf '| %s | %s | %s | %.1f | %s | %s |\n' "$label" "$kind" "$rows" "$s" "$rate" "$(load)" >> "$out/imports.md"
		fig "import_${label}_$kind" "$rate"
	done
}

# scan_on DSN LABEL [FLAGS...]: one scan process under /usr/bin/time -v.
scan_on() {
	local dsn=$1 label=$2
	shift 2
	/usr/bin/time -v "$ctl" scan --store "$dsn" --output json --cpuprofile "$out/scan-$label.prof" "$@" \
		> "$out/scan-$label.json" 2> "$out/scan-$label.time"
	printf '| %s | %s s | %s s | %s | %s | %s GiB | %s |\n' "$label" "$(parse timev "$out/scan-$label.time" wall_s)" \
		"$(parse timev "$out/scan-$label.time" cpu_s)" \
		"$(printf '%.1f' "$(parse scan "$out/scan-$label.json")" 2>/dev/null || echo n/a)" "$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    l=l.strip()
    if l.startswith("{"): r=json.loads(l)
print(", ".join("%s %.2f" % kv for kv in r["stats"].get("stages_seconds", {}).items()))' "$out/scan-$label.json" 2>/dev/null || echo n/a)" \
		"$(parse timev "$out/scan-$label.time" rss_gib)" "$(load)" >> "$out/scans.md"
}

sqlite_steady() {
	if "$ctl" scan -h 2>&1 | grep -q -- '-repeat'; then
		fig scan_sqlite_how "second scan in one process, --repeat 2"
		scan_on "$out/bench.db" sqlite-repeat2 --repeat 2
		fig scan_sqlite_s "$(parse scan "$out/scan-sqlite-repeat2.json")"
	else
		fig scan_sqlite_how "second scan process: scan has no --repeat"
		scan_on "$out/bench.db" sqlite-first && scan_on "$out/bench.db" sqlite-second
		fig scan_sqlite_s "$(parse scan "$out/scan-sqlite-second.json")"
	fi
}

rm -f "$out/bench.db" "$out/bench.db-wal" "$out/bench.db-shm"
step "import into SQLite" import_into "$out/bench.db" sqlite
sqlite_imported=$(date +%s)

# settled: waits until the SQLite import is older than the margin a full scan re-reads
# behind its last read (10 min, docs/operations.md "Full scans"): rows stamped within it
# are read again, so a scan right after a province-sized import reads the store whole,
# as it must, and would not show a scheduled scan's steady state.
settled() {
	local left=$(( sqlite_imported + 660 - $(date +%s) ))
	[ $left -le 0 ] || { echo "waiting ${left}s for the import to leave the read margin"; sleep $left; }
}

pgdsn=
if pg_isready -q -d "$pg" 2>/dev/null; then
	export PGOPTIONS='-c client_min_messages=warning'
	schema=chainrisk_bench
	psql -q "$pg" -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema;"
	sep='?'; case "$pg" in *\?*) sep='&';; esac
	pgdsn="$pg${sep}search_path=$schema"
	step "import into PostgreSQL" import_into "$pgdsn" postgres
	cold_start() {
		scan_on "$pgdsn" postgres-cold
		fig cold_pg_s "$(parse timev "$out/scan-postgres-cold.time" wall_s)"
	}
	step "cold start, PostgreSQL" cold_start
fi

# The kernels, the full noisy-OR computation and DebtRank, on the generated province.
kernels() {
	local list
	list=$(go test -list '^Benchmark' ./risk/ 2>/dev/null || true)
	export CHAINRISK_BENCH_DATA="$out/data" CHAINRISK_BENCH_FIRMS="$firms"
	if grep -qx BenchmarkSweep <<< "$list"; then
		go test -run '^$' -bench '^BenchmarkSweep$' -benchtime 5x ./risk/ > "$out/kernels-sweep.txt" 2>&1 || true
		fig sweep_src "BenchmarkSweep"
		fig sweep_ms "$(parse gobench "$out/kernels-sweep.txt" '^BenchmarkSweep$' ms/sweep)"
	else
		go test -run '^$' -bench '^BenchmarkDistressFull$' -benchtime 3x ./risk/ > "$out/kernels-sweep.txt" 2>&1 || true
		fig sweep_src "BenchmarkDistressFull ÷ sweeps"
		fig sweep_ms "$(python3 -c 'import sys
ns, it = float(sys.argv[1]), float(sys.argv[2])
print(ns / it / 1e6)' "$(parse gobench "$out/kernels-sweep.txt" DistressFull ns/op)" \
			"$(parse gobench "$out/kernels-sweep.txt" DistressFull iterations)" 2>/dev/null || echo n/a)"
	fi
	if grep -Eq "$floor_re" <<< "$list"; then
		go test -run '^$' -bench "$floor_re" -benchtime 5x ./risk/ > "$out/kernels-floor.txt" 2>&1 || true
		fig floor_ms "$(parse gobench "$out/kernels-floor.txt" "${floor_re#^}" ms/sweep)"
	else
		fig floor_ms n/a # no floor benchmark in ./risk: BENCH_FLOOR names it
	fi
	# DebtRank on the generated province's matrix, the one scripts/peers.py shocks.
	go test -run '^$' -bench '^BenchmarkDebtRankData$' -benchtime 5x ./risk/ > "$out/kernels-debtrank.txt" 2>&1 || true
	fig debtrank_src "BenchmarkDebtRankData, $firms firms"
	fig debtrank_s "$(python3 -c 'import sys; print(float(sys.argv[1]) / 1e9)' \
		"$(parse gobench "$out/kernels-debtrank.txt" "DebtRankData" ns/op)" 2>/dev/null || echo n/a)"
}
step "kernels (./risk benchmarks)" kernels

peers() {
	if [ ! -e scripts/peers.py ]; then
		echo "scripts/peers.py absent" > "$out/peers.jsonl"
	elif scipy_ready; then
		"$py" scripts/peers.py "$out/data" > "$out/peers.jsonl" 2> "$out/peers.log" || true
	else
		echo "scipy not installed (see apt.log)" > "$out/peers.jsonl"
	fi
	fig scipy_sweep_ms "$(python3 -c 'import sys
v = sys.argv[1]
print(v if v == "n/a" else float(v) * 1e3)' "$(parse persweep "$out/peers.jsonl" sweep)")"
	fig scipy_debtrank_s "$(parse peers "$out/peers.jsonl" debtrank)"
}
step "peers (scripts/peers.py, scipy.sparse)" peers

# The chain endpoint at BENCH_CHAIN_FIRMS: its Go benchmarks over the province imported
# into PostgreSQL (CHAINRISK_BENCH_CHAIN_STORE), and the recursive CTE over the same
# tables — BenchmarkChainCTE when ./api has it, else scripts/chain_cte.sql through psql.
chain() {
	local list data=$out/data cschema=chainrisk_bench_chain cdsn k
	[ -n "$pgdsn" ] || return 0
	list=$(go test -list '^Benchmark' ./api/ 2>/dev/null || true)
	if [ "$chain_firms" != "$firms" ]; then
		data=$out/chaindata
		generate "$chain_firms" "$data"
	fi
	psql -q "$pg" -c "DROP SCHEMA IF EXISTS $cschema CASCADE; CREATE SCHEMA $cschema;"
	sep='?'; case "$pg" in *\?*) sep='&';; esac
	cdsn="$pg${sep}search_path=$cschema"
	for k in enterprises relations events; do
		"$ctl" import --store "$cdsn" "$k" "$data/$k.csv" > /dev/null
	done
	: > "$out/chain-bench.txt"
	if grep -qx BenchmarkChainSummary <<< "$list"; then
		CHAINRISK_BENCH_CHAIN_STORE="$cdsn" go test -run '^$' -bench '^BenchmarkChainSummary$' -benchtime 200x \
			./api/ >> "$out/chain-bench.txt" 2>&1 || true
	fi
	if grep -Eqx 'BenchmarkChain(Export|CTE)' <<< "$list"; then
		CHAINRISK_BENCH_CHAIN_STORE="$cdsn" go test -run '^$' -bench '^BenchmarkChain(Export|CTE)$' -benchtime 10x \
			./api/ >> "$out/chain-bench.txt" 2>&1 || true
	fi
	fig chain_summary_p99_ms "$(parse gobench "$out/chain-bench.txt" ChainSummary 'p99[-_]?ms|ms/p99')"
	fig chain_export_mps "$(parse gobench "$out/chain-bench.txt" 'ChainExport/ndjson$' 'members/s')"
	fig chain_export_cold_mps "$(parse gobench "$out/chain-bench.txt" 'ChainExport/ndjson-cold' 'members/s')"
	local cte
	cte=$(parse gobench "$out/chain-bench.txt" ChainCTE 'members/s')
	if [ "$cte" = n/a ] && [ -e scripts/chain_cte.sql ]; then
		local leader best=0 t0 n s i
		leader=$(awk -F, 'NR > 1 && $5 ~ /leading/ {print $1; exit}' "$data/enterprises.csv")
		for i in 1 2 3; do
			t0=$(now)
			n=$(PGOPTIONS="$PGOPTIONS -c search_path=$cschema" psql -qAt "$pg" -v leader="$leader" -v depth_up=3 \
				-v depth_down=1 -v now_ms="$(date +%s000)" -f scripts/chain_cte.sql | wc -l)
			s=$(secs "$t0" "$(now)")
			echo "cte run $i: leader $leader, $n members in $s s" >> "$out/chain-cte.txt"
			best=$(python3 -c 'import sys; print(max(float(sys.argv[1]), float(sys.argv[2]) / float(sys.argv[3])))' "$best" "$n" "$s")
		done
		cte=$best
	fi
	fig cte_mps "$cte"
	psql -q "$pg" -c "DROP SCHEMA $cschema CASCADE;"
}
step "chain endpoint at $chain_firms firms" chain
settled
step "full scans, SQLite" sqlite_steady
[ -n "$pgdsn" ] && psql -q "$pg" -c "DROP SCHEMA $schema CASCADE;"

if [ "${BENCH_PROVINCE:-1}" != 0 ]; then
	step "event → webhook and GET latency (scripts/province.sh)" \
		env PROVINCE_DATA="$out/data" PROVINCE_DATABASE_URL="$pg" scripts/province.sh "$out/province" "$firms"
	for label in sqlite postgres; do
		f=$out/province/latency-$label.md
		[ -e "$f" ] || continue
		fig "alert_p99_$label" "$(parse province "$f" alert)"
		fig "get_p99_$label" "$(parse province "$f" get)"
	done
fi

if [ "${BENCH_MICRO:-1}" != 0 ]; then
	step "micro-benchmarks" sh -c "go test -run '^\$' -bench . -benchmem -benchtime 3x ./risk/ ./graph/ ./ingest/ > '$out/micro.txt' 2>&1 || true"
fi

{
	echo "# chainrisk benchmark report"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "- machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
	echo "- go: $(go version | cut -d' ' -f3); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "- data: $firms firms, $leaders leaders, 5 relations and 3 events per firm"
	echo "- load average (1, 5, 15 min) at the start and at the end: $load_start; $(load)"
	echo
	echo "## Against peers and goals"
	echo
	parse table "$out/figures.tsv"
	echo
	echo "n/a: not measured in this run (the benchmark, peer or store was absent; see the files beside this report)."
	echo "Ratios are chainrisk ÷ peer. The DebtRank benchmark runs on a synthetic network of the same size, the"
	echo "scipy peer on the generated province."
	echo
	echo "## Steps"
	echo
	echo "| step | wall s | load average before | after | |"
	echo "| --- | ---: | --- | --- | --- |"
	cat "$out/steps.md"
	echo
	echo "## Imports (one batch per file)"
	echo
	echo "| store | kind | rows | seconds | rows/s | load average after |"
	echo "| --- | --- | ---: | ---: | ---: | --- |"
	cat "$out/imports.md"
	echo
	echo "## Full scans (chainriskctl scan)"
	echo
	echo "| run | process wall | process CPU | scan seconds (last) | stages (s) | peak RSS | load average after |"
	echo "| --- | ---: | ---: | ---: | --- | ---: | --- |"
	cat "$out/scans.md"
	if [ -e "$out/province/province.md" ]; then
		echo
		echo "## Latency (scripts/province.sh)"
		echo
		sed -n '/^## Latency/,$p' "$out/province/province.md" | tail -n +2
	fi
	if [ -e "$out/micro.txt" ]; then
		echo
		echo "## Micro-benchmarks"
		echo
		echo '```'
		grep -E '^(Benchmark|ok|PASS)' "$out/micro.txt" || true
		echo '```'
	fi
} > "$report"
echo "report: $report"
