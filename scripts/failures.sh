#!/usr/bin/env bash
# failures.sh LOG: prints, for every failed test in a `go test -v` log, the lines it
# logged (from its last "=== RUN" up to its "--- FAIL"), so a run that shows only the
# summary still says why it failed.
set -euo pipefail
awk '
/^=== (RUN|CONT|PAUSE|NAME)/ { buf = ""; next }
/^[[:space:]]*--- FAIL/ { if (buf != "") { printf "%s", buf; buf = "" } print; next }
{ buf = buf $0 "\n" }
' "$1"
