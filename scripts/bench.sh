#!/usr/bin/env bash
# Province-scale benchmark (docs/performance.md): generate a synthetic province, import it into
# SQLite (and PostgreSQL when reachable), run one full scan under /usr/bin/time, run the
# micro-benchmarks, and write DIR/report.md.
#
#   make bench                      # 1,000,000 firms
#   BENCH_FIRMS=100000 make bench   # a smaller province
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench}
firms=${BENCH_FIRMS:-1000000}
leaders=${BENCH_LEADERS:-$(( firms / 1000 > 0 ? firms / 1000 : 1 ))}
pg=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
mkdir -p "$out"
report="$out/report.md"
go build -trimpath -o "$out/bin/" ./cmd/...
ctl="$out/bin/chainriskctl"
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }

echo "== generating $firms firms"
rm -rf "$out/data" && mkdir -p "$out/data"
t0=$(now)
"$ctl" gen --firms "$firms" --edges-per-firm 5 --events-per-firm 3 --leaders "$leaders" --seed 1 --out "$out/data" >/dev/null
gen_s=$(secs "$t0" "$(now)")

# import_into DSN LABEL: imports the four files, one batch each, and records rows/s.
import_into() {
	local dsn=$1 label=$2
	for kind in enterprises relations events repairs; do
		local t0 t1 rows
		t0=$(now)
		rows=$("$ctl" import --output json --store "$dsn" --create "$kind" "$out/data/$kind.csv" | sed -E 's/.*"accepted":([0-9]+).*/\1/')
		t1=$(now)
		local s
		s=$(secs "$t0" "$t1")
		printf '| %s | %s | %s | %.1f | %.0f |\n' "$label" "$kind" "$rows" "$s" "$(echo "$rows / $s" | bc -l)" >> "$out/imports.md"
	done
}

# scan_on DSN LABEL: one full scan with peak RSS.
scan_on() {
	local dsn=$1 label=$2
	/usr/bin/time -v "$ctl" scan --store "$dsn" --output json --cpuprofile "$out/scan-$label.prof" \
		> "$out/scan-$label.json" 2> "$out/scan-$label.time"
	local rss
	rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$out/scan-$label.time")
	echo "| $label | $(cat "$out/scan-$label.json") | $(echo "scale=2; $rss / 1048576" | bc) GiB |" >> "$out/scans.md"
}

: > "$out/imports.md"; : > "$out/scans.md"
echo "== SQLite"
rm -f "$out/bench.db" "$out/bench.db-wal" "$out/bench.db-shm"
import_into "$out/bench.db" sqlite
scan_on "$out/bench.db" sqlite

if pg_isready -q -d "$pg" 2>/dev/null; then
	echo "== PostgreSQL"
	schema=chainrisk_bench
	psql -q "$pg" -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema;"
	sep='?'; case "$pg" in *\?*) sep='&';; esac
	pgdsn="$pg${sep}search_path=$schema"
	import_into "$pgdsn" postgres
	scan_on "$pgdsn" postgres
	psql -q "$pg" -c "DROP SCHEMA $schema CASCADE;"
fi

echo "== micro-benchmarks"
go test -run '^$' -bench . -benchmem -benchtime 3x ./risk/ ./graph/ ./ingest/ > "$out/micro.txt" 2>&1 || true

{
	echo "# chainrisk benchmark report"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "- machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
	echo "- go: $(go version | cut -d' ' -f3)"
	echo "- data: $firms firms, $leaders leaders, 5 relations and 3 events per firm (generated in ${gen_s}s)"
	echo
	echo "## Imports (one batch per file)"
	echo
	echo "| store | kind | rows | seconds | rows/s |"
	echo "| --- | --- | ---: | ---: | ---: |"
	cat "$out/imports.md"
	echo
	echo "## Full scan (chainriskctl scan)"
	echo
	echo "| store | result | peak RSS |"
	echo "| --- | --- | --- |"
	cat "$out/scans.md"
	echo
	echo "## Micro-benchmarks"
	echo
	echo '```'
	grep -E '^(Benchmark|ok|PASS)' "$out/micro.txt" || true
	echo '```'
} > "$report"
echo "report: $report"
