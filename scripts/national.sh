#!/usr/bin/env bash
# National scale (docs/scale.md): generate NATIONAL_FIRMS firms (5 relations and 3 events
# each), import them into PostgreSQL (schema chainrisk_national, dropped at the end),
# run one full scan under /usr/bin/time -v, and write DIR/national.md with the import
# rows/s per kind, the scan's stages, peak RSS and the store's size on disk.
#
#   make national                          # 5,000,000 firms: 25M relations, 15M events
#   NATIONAL_FIRMS=500000 make national
#
# Environment: NATIONAL_FIRMS (5000000), NATIONAL_DATA (a directory already holding the
# generated files, read instead of generating them), NATIONAL_DATABASE_URL (PostgreSQL),
# NATIONAL_KEEP=1 keeps the schema.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench}
firms=${NATIONAL_FIRMS:-5000000}
leaders=$(( firms / 1000 > 0 ? firms / 1000 : 1 ))
pg=${NATIONAL_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
schema=chainrisk_national
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$out/national
mkdir -p "$work"
go build -trimpath -o "$work/bin/" ./cmd/chainriskctl
ctl="$work/bin/chainriskctl"
parse() { python3 scripts/bench_parse.py "$@"; }
now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
if ! pg_isready -q -d "$pg" 2>/dev/null; then
	echo "national.sh: PostgreSQL is not reachable at the NATIONAL_DATABASE_URL" >&2
	exit 1
fi
load_start=$(load)

data=${NATIONAL_DATA:-$work/data}
gen_s=reused
if [ -z "${NATIONAL_DATA:-}" ]; then
	echo "== generating $firms firms"
	rm -rf "$data" && mkdir -p "$data"
	t0=$(now)
	"$ctl" gen --firms "$firms" --edges-per-firm 5 --events-per-firm 3 --leaders "$leaders" --seed 1 --out "$data" >/dev/null
	gen_s=$(printf '%.0f s' "$(echo "$(now) - $t0" | bc)")
fi

export PGOPTIONS='-c client_min_messages=warning'
psql -q "$pg" -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema;"
[ "${NATIONAL_KEEP:-0}" = 1 ] || trap 'psql -q "$pg" -c "DROP SCHEMA IF EXISTS $schema CASCADE;"' EXIT
sep='?'; case "$pg" in *\?*) sep='&';; esac
dsn="$pg${sep}search_path=$schema"

: > "$work/imports.md"
for kind in enterprises relations events repairs; do
	echo "== import $kind"
	/usr/bin/time -v "$ctl" import --output json --store "$dsn" "$kind" "$data/$kind.csv" \
		> "$work/import-$kind.json" 2> "$work/import-$kind.time"
	rows=$(parse import "$work/import-$kind.json")
	s=$(parse timev "$work/import-$kind.time" wall_s)
	printf '| %s | %s | %s | %.0f | %s s | %s |\n' "$kind" "$rows" "$s" "$(echo "$rows / $s" | bc -l)" \
		"$(parse timev "$work/import-$kind.time" cpu_s)" "$(load)" >> "$work/imports.md"
done

echo "== scan"
/usr/bin/time -v "$ctl" scan --store "$dsn" --output json > "$work/scan.json" 2> "$work/scan.time"
stages=$(python3 -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]["stats"]
st = r["stages_seconds"]
for k in ["load", "score", "lists", "propagate", "exposure", "observe", "persist"] + sorted(st):
    if k in st:
        print("| %s | %.2f |" % (k, st.pop(k)))
print("| total | %.1f |" % r["seconds"])
print("\nFirms %d, relations %d, active events %d, leaders %d, chains %d, results written %d." % (
    r["firms"], r["relations"], r["active_events"], r["leaders"], r["chains"], r["written"]))' "$work/scan.json")
disk=$(psql -qAt "$pg" -c "SELECT c.relname || '|' || pg_size_pretty(pg_total_relation_size(c.oid)) || '|' ||
	pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = '$schema' AND c.relkind = 'r' ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 8")
total=$(psql -qAt "$pg" -c "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c
	JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$schema' AND c.relkind = 'r'")

{
	echo "# chainrisk national-scale run"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "- machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
	echo "- go: $(go version | cut -d' ' -f3); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "- data: $firms firms, $leaders leaders, 5 relations and 3 events per firm (generated: $gen_s)"
	echo "- load average (1, 5, 15 min) at the start and at the end: $load_start; $(load)"
	echo
	echo "## Import into PostgreSQL (one batch per file)"
	echo
	echo "| kind | rows | seconds | rows/s | importer CPU | load average after |"
	echo "| --- | ---: | ---: | ---: | ---: | --- |"
	cat "$work/imports.md"
	echo
	echo "## One full scan (chainriskctl scan, a fresh process: load + scan + writes)"
	echo
	echo "Peak RSS $(parse timev "$work/scan.time" rss_gib) GiB, wall $(parse timev "$work/scan.time" wall_s) s," \
		"CPU (user + system) $(parse timev "$work/scan.time" cpu_s) s."
	echo
	echo "| stage | seconds |"
	echo "| --- | ---: |"
	echo "$stages"
	echo
	echo "## PostgreSQL on disk (tables with their indexes and TOAST): $total"
	echo
	echo "| table | size |"
	echo "| --- | ---: |"
	awk -F'|' '{print "| " $1 " | " $2 " |"}' <<< "$disk"
} > "$out/national.md"
echo "report: $out/national.md"
