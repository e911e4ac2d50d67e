"""The main table of bench/report.md (scripts/bench.sh), from KEY<TAB>VALUE lines.

A row whose figure is "n/a" (not measured, or its benchmark absent) says so; its
ratio and verdict are "n/a" too.
"""

NA = "n/a"

KINDS = ("enterprises", "relations", "events", "repairs")


def _num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _fmt(v, unit):
    x = _num(v)
    if x is None:
        return NA
    if unit == "rows/s" or unit == "members/s":
        return "{:,.0f} {}".format(x, unit)
    if x >= 100:
        return "{:,.0f} {}".format(x, unit)
    return "{:.3g} {}".format(x, unit)


def rows(fig):
    """Each row: figure, key, unit, peer label, peer key, goal text, goal test."""
    n = fig.get("firms", "?")
    cn = fig.get("chain_firms", "?")
    le = lambda lim: (lambda x, p: x <= lim)
    ge = lambda lim: (lambda x, p: x >= lim)
    out = [
        ("noisy-OR sweep, %s firms (%s)" % (n, fig.get("sweep_src", "?")), "sweep_ms", "ms",
         "scipy.sparse sweep", "scipy_sweep_ms", "≤ scipy", lambda x, p: None if p is None else x <= p),
        ("noisy-OR sweep, %s firms" % n, "sweep_ms", "ms",
         "memory-bandwidth floor", "floor_ms", "≤ 2× the floor", lambda x, p: None if p is None else x <= 2 * p),
        ("full scheduled scan, SQLite, steady (%s)" % fig.get("scan_sqlite_how", "?"), "scan_sqlite_s", "s",
         "", "", "≤ 10 s", le(10)),
        ("cold start from PostgreSQL (load + first scan)", "cold_pg_s", "s", "", "", "≤ 30 s", le(30)),
        ("event → webhook p99, SQLite", "alert_p99_sqlite", "ms", "", "", "≤ 250 ms", le(250)),
        ("event → webhook p99, PostgreSQL", "alert_p99_postgres", "ms", "", "", "≤ 250 ms", le(250)),
        ("chain summary p99, %s firms" % cn, "chain_summary_p99_ms", "ms", "", "", "≤ 10 ms", le(10)),
        ("chain export, %s firms, a chain exported before in this scan" % cn, "chain_export_mps", "members/s",
         "recursive CTE (scripts/chain_cte.sql)", "cte_mps", "≥ 50× CTE",
         lambda x, p: None if p is None else x >= 50 * p),
        ("chain export, %s firms, the first export of a scan" % cn, "chain_export_cold_mps", "members/s",
         "recursive CTE (scripts/chain_cte.sql)", "cte_mps", "≥ 50× CTE",
         lambda x, p: None if p is None else x >= 50 * p),
        ("DebtRank, one shock, %s" % fig.get("debtrank_src", "?"), "debtrank_s", "s",
         "scipy.sparse DebtRank", "scipy_debtrank_s", "< scipy", lambda x, p: None if p is None else x < p),
    ]
    for store, goal in (("sqlite", 30000), ("postgres", 100000)):
        for kind in KINDS:
            out.append(("import %s, %s" % (kind, "SQLite" if store == "sqlite" else "PostgreSQL"),
                        "import_%s_%s" % (store, kind), "rows/s", "", "", "≥ {:,}".format(goal), ge(goal)))
    out.append(("`GET /api/v1/enterprises/{uscc}` p99 @ 500 rps, PostgreSQL", "get_p99_postgres", "ms",
                "", "", "≤ 20 ms", le(20)))
    out.append(("`GET /api/v1/enterprises/{uscc}` p99 @ 500 rps, SQLite", "get_p99_sqlite", "ms",
                "", "", "≤ 20 ms", le(20)))
    return out


def table(path):
    fig = {}
    for line in open(path, errors="replace"):
        k, _, v = line.rstrip("\n").partition("\t")
        if k:
            fig[k] = v
    lines = ["| figure | chainrisk | peer or limit | ratio | goal | met? |",
             "| --- | ---: | --- | ---: | --- | --- |"]
    for label, key, unit, plabel, pkey, goal, test in rows(fig):
        x = _num(fig.get(key))
        p = _num(fig.get(pkey)) if pkey else None
        peer = "—"
        if pkey:
            peer = "%s: %s" % (plabel, _fmt(fig.get(pkey), unit))
        ratio = "—"
        if pkey:
            ratio = "%.2f×" % (x / p) if x is not None and p else NA
        met = "—"
        if test is not None:
            if x is None:
                met = NA
            else:
                ok = test(x, p)
                met = NA if ok is None else "met" if ok else "**missed**"
        lines.append("| %s | %s | %s | %s | %s | %s |" % (label, _fmt(fig.get(key), unit), peer, ratio, goal, met))
    return "\n".join(lines)
