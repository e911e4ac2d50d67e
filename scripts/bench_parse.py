#!/usr/bin/env python3
"""Reads the figures of scripts/bench.sh out of the tools' own outputs.

Each command prints one value, or "n/a" when the input does not hold it: a figure
that was not measured is never made up.

  gobench FILE NAME_RE UNIT_RE   the value before the unit matching UNIT_RE on the last
                                 `go test -bench` line whose name (without -N) matches
                                 NAME_RE
  peers FILE NAME_RE [FIELD]     FIELD (default seconds) of the last JSON line of
                                 scripts/peers.py whose name matches NAME_RE
  persweep FILE NAME_RE          seconds per sweep of a peers.py line: seconds, divided
                                 by its sweeps or iterations when it gives them
  scan FILE [KEY]                KEY (default seconds; a stage as stages.NAME) of the
                                 last scan JSON line of `chainriskctl scan -o json`
  import FILE                    accepted rows of `chainriskctl import -o json`
  timev FILE rss_gib|wall_s|cpu_s  peak RSS, wall or CPU (user + system) seconds from
                                 `/usr/bin/time -v`
  province FILE alert|get        p99 in ms of a TestProvinceLatency report
  table FIGURES                  the main table of the report from KEY<TAB>VALUE lines
"""
import json
import re
import sys

NA = "n/a"


def gobench(path, name_re, unit):
    val = NA
    pat = re.compile(name_re)
    for line in open(path, errors="replace"):
        f = line.split()
        if not f or not f[0].startswith("Benchmark"):
            continue
        name = re.sub(r"-\d+$", "", f[0])
        if not pat.search(name):
            continue
        for i in range(2, len(f)):
            if re.fullmatch(unit, f[i]):
                val = f[i - 1]
    return val


def _jsonl(path):
    for line in open(path, errors="replace"):
        line = line.strip()
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except ValueError:
                pass


def peers(path, name_re, field="seconds"):
    val = NA
    for rec in _jsonl(path):
        if re.search(name_re, str(rec.get("name", "")), re.I) and field in rec:
            val = rec[field]
    return val


def persweep(path, name_re):
    val = NA
    for rec in _jsonl(path):
        if not re.search(name_re, str(rec.get("name", "")), re.I) or "seconds" not in rec:
            continue
        n = rec.get("sweeps") or rec.get("iterations") or 1
        val = float(rec["seconds"]) / float(n)
    return val


def scan(path, key="seconds"):
    val = NA
    for rec in _jsonl(path):
        stats = rec.get("stats")
        if not isinstance(stats, dict):
            continue
        v = stats
        for part in key.replace("stages.", "stages_seconds.").split("."):
            v = v.get(part) if isinstance(v, dict) else None
        val = NA if v is None else v
    return val


def import_rows(path):
    val = NA
    for rec in _jsonl(path):
        if "accepted" in rec:
            val = rec["accepted"]
    return val


def timev(path, what):
    cpu = []
    for line in open(path, errors="replace"):
        line = line.strip()
        if what == "rss_gib" and line.startswith("Maximum resident set size"):
            return "%.2f" % (int(line.split(":")[1]) / 1048576)
        if what == "cpu_s" and line.startswith(("User time", "System time")):
            cpu.append(float(line.split(":")[1]))
            if len(cpu) == 2:
                return "%.1f" % sum(cpu)
        if what == "wall_s" and line.startswith("Elapsed (wall clock) time"):
            t = line.rsplit(" ", 1)[1].split(":")
            s = 0.0
            for x in t:
                s = s * 60 + float(x)
            return "%.1f" % s
    return NA


def province(path, what):
    start = {"alert": "| event POST", "get": "| `GET /api/v1/enterprises/{uscc}`"}[what]
    for line in open(path, errors="replace"):
        if line.startswith(start):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            # measure | n | p50 | p90 | p99 | max | target | verdict
            m = re.match(r"([0-9.]+)\s*(ms|s|µs)", cells[4])
            if not m:
                return NA
            v = float(m.group(1)) * {"ms": 1, "s": 1000, "µs": 0.001}[m.group(2)]
            return "%.1f" % v
    return NA


if __name__ == "__main__" and sys.argv[1:2] == ["table"]:
    from bench_table import table

    print(table(sys.argv[2]))
elif __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"gobench": gobench, "peers": peers, "persweep": persweep, "scan": scan,
          "import": import_rows, "timev": timev, "province": province}[cmd]
    try:
        print(fn(*args))
    except (OSError, IndexError, ValueError, KeyError):
        print(NA)
