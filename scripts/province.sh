#!/usr/bin/env bash
# Event-to-alert and GET latency at province scale (docs/performance.md): generate a synthetic
# province, import it into SQLite (and PostgreSQL when reachable) recording rows/s per
# file, run TestProvinceLatency (daemon/province_test.go) on each store, and write
# DIR/province.md with every figure next to its target.
#
#   scripts/province.sh DIR [FIRMS]      # FIRMS defaults to 1,000,000
#
# PROVINCE_DATABASE_URL names the PostgreSQL database (the province goes into schema
# chainrisk_province, dropped at the end). PROVINCE_DATA names a directory already
# holding the generated files of FIRMS firms (as scripts/bench.sh has), read instead of
# generating them again.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
	echo "usage: scripts/province.sh DIR [FIRMS]" >&2
	exit 2
fi
out=$1
firms=${2:-1000000}
leaders=$(( firms / 1000 > 0 ? firms / 1000 : 1 ))
pg=${PROVINCE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
schema=chainrisk_province
mkdir -p "$out"
out=$(cd "$out" && pwd)
go build -trimpath -o "$out/bin/" ./cmd/chainriskctl
ctl="$out/bin/chainriskctl"
now() { date +%s.%N; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
data=$out/data
t0=$(now)
if [ -n "${PROVINCE_DATA:-}" ]; then
	data=$PROVINCE_DATA
else
	echo "== generating $firms firms"
	rm -rf "$data"
	"$ctl" gen --firms "$firms" --edges-per-firm 5 --events-per-firm 3 --leaders "$leaders" --seed 1 --out "$data" >/dev/null
fi
gen_s=$(printf '%.1f' "$(echo "$(now) - $t0" | bc)")

# import_into DSN LABEL TARGET: imports the four files, one batch each, and appends
# rows/s per file next to the target to imports.md.
import_into() {
	local dsn=$1 label=$2 target=$3 kind t0 rows s rate
	for kind in enterprises relations events repairs; do
		t0=$(now)
		rows=$("$ctl" import --output json --store "$dsn" --create "$kind" "$data/$kind.csv" | jq -r .accepted)
		s=$(echo "$(now) - $t0" | bc)
		rate=$(echo "$rows / $s" | bc)
		printf '| %s | %s | %s | %.1f | %s | ≥ %s | %s |\n' "$label" "$kind" "$rows" "$s" "$rate" "$target" \
			"$([ "$rate" -ge "$target" ] && echo met || echo '**missed**')" >> "$out/imports.md"
	done
}

# latency DSN LABEL: runs the test on the store; its figures land in latency-LABEL.md.
labels=() failed=()
latency() {
	local dsn=$1 label=$2
	echo "== latency on $label"
	labels+=("$label")
	mkdir -p "$out/profiles-$label"
	if ! CHAINRISK_PROVINCE_STORE=$dsn CHAINRISK_PROVINCE_REPORT="$out/latency-$label.md" \
		CHAINRISK_PROVINCE_PROFILES="$out/profiles-$label" \
		go test ./daemon -run '^TestProvinceLatency$' -count=1 -timeout 30m -v > "$out/test-$label.log" 2>&1; then
		failed+=("$label")
		echo "TestProvinceLatency failed on $label: see $out/test-$label.log" >&2
	fi
	grep -E 'TARGET MISSED|FAIL|ready in' "$out/test-$label.log" || true
}

: > "$out/imports.md"
rm -f "$out"/latency-*.md
echo "== SQLite"
rm -rf "$out/sqlite"
import_into "$out/sqlite/chainrisk.db" sqlite 30000
latency "$out/sqlite" sqlite

if pg_isready -q -d "$pg" 2>/dev/null; then
	echo "== PostgreSQL"
	export PGOPTIONS='-c client_min_messages=warning'
	psql -q "$pg" -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema;"
	sep='?'; case "$pg" in *\?*) sep='&';; esac
	pgdsn="$pg${sep}search_path=$schema"
	import_into "$pgdsn" postgres 100000
	latency "$pgdsn" postgres
	psql -q "$pg" -c "DROP SCHEMA $schema CASCADE;"
fi

{
	echo "# chainrisk province latency report"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "- machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
	echo "- go: $(go version | cut -d' ' -f3)"
	echo "- load average (1, 5, 15 min) at the start and at the end: $load_start; $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- data: $firms firms, $leaders leaders, 5 relations and 3 events per firm (generated in ${gen_s}s)"
	echo
	echo "## Imports (one batch per file)"
	echo
	echo "| store | kind | rows | seconds | rows/s | target | |"
	echo "| --- | --- | ---: | ---: | ---: | --- | --- |"
	cat "$out/imports.md"
	echo
	echo "## Latency (TestProvinceLatency)"
	echo
	for label in "${labels[@]}"; do
		if [ -e "$out/latency-$label.md" ]; then
			cat "$out/latency-$label.md"
			echo
		fi
	done
	for label in "${failed[@]}"; do
		echo "**TestProvinceLatency failed on $label**: see test-$label.log."
		echo
	done
	echo 'CPU profiles of the events phase and of the GETs: profiles-*/events-cpu.prof, profiles-*/get-cpu.prof'
	echo '(`go tool pprof -top profiles-sqlite/events-cpu.prof`).'
} > "$out/province.md"
echo "report: $out/province.md"
[ ${#failed[@]} -eq 0 ]
