#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given time each (default 60s).
# FUZZMINIMIZE bounds the shrinking of each new input (default 10s): the targets that
# commit to a store would otherwise spend most of their time minimising.
set -euo pipefail
fuzztime=${1:-60s}
minimize=${FUZZMINIMIZE:-10s}
cd "$(dirname "$0")/.."
status=0
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
	for t in $targets; do
		echo "== $pkg $t ($fuzztime)"
		if ! go test "$pkg" -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize"; then
			status=1
		fi
	done
done
exit $status
