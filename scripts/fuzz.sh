#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given time each (default 60s).
set -euo pipefail
fuzztime=${1:-60s}
cd "$(dirname "$0")/.."
status=0
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
	for t in $targets; do
		echo "== $pkg $t ($fuzztime)"
		if ! go test "$pkg" -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime"; then
			status=1
		fi
	done
done
exit $status
