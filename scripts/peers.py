#!/usr/bin/env python3
"""Whole-graph kernels in scipy.sparse, the peer of the Go kernels in risk/.

Usage:
    python3 scripts/peers.py DATA_DIR [--repeat N] [--sweeps N]

DATA_DIR is the output of `chainriskctl gen` (enterprises.csv, relations.csv).
Firms are numbered in enterprises.csv order and every row of relations.csv is
taken, whatever its validity dates -- as risk.TestPeersCheck and the
CHAINRISK_BENCH_DATA benchmarks of risk/ read the same files.

It prints one JSON object per line on stdout:
  {"name": "scipy_noisy_or_sweep", "seconds": S, "cpu_seconds": C, "firms": N,
   "edges": M, "terms": T}
      one Jacobi sweep of network distress (docs/models.md), best of --repeat:
      d_j = p_j + (1 - p_j)(1 - prod(1 - c * d_nbr)) over the 2M terms of the
      equations, the product taken as exp(sum(log1p(-c * d))) row by row
      through a CSR matrix.
  {"name": "scipy_debtrank_shock", "seconds": S, "cpu_seconds": C, "firms": N,
   "edges": W, "steps": K}
      one DebtRank shock (psi = 1) of the firm with the most entries in its row
      of W, best of --repeat: each step h += W^T h_D (a sparse matrix-vector
      product), capped at 1.
  {"name": "check_distress_sum", "sweeps": K, "sum_d": X}
  {"name": "check_debtrank", "firm": USCC, "steps": K, "reached": R,
   "sum_h": X, "R": Y}
      the figures `CHAINRISK_BENCH_DATA=DATA_DIR go test -run TestPeersCheck -v
      ./risk/` logs for the same input: equal to about 1e-9 (rounding order).

Coefficients are the Go kernel's: relation i -> j (supplier -> customer) gives
firm j the term a = 0.6 * purchase_share * (1 - substitutability) on d_i and
firm i the term b = 0.3 * sales_share on d_j (risk.NewPropagator, default
alphas). DebtRank's W_ij = min(1, purchase_share_ij * (1 - substitutability_ij)
+ sales_share_ji), entries > 0 only (risk.NewStressNetwork); values equal.
p is firm j's 0.01 + 0.03 * ((j * 7919 mod 1000) / 1000), 1 for every
hundredth firm (risk.peerP). Needs numpy and scipy (Debian: python3-numpy
python3-scipy); when the python3 found first lacks them it re-runs itself
with /usr/bin/python3.
"""

import argparse
import csv
import json
import os
import sys
import time
from array import array

try:
    import numpy as np
    import scipy.sparse as sp
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("peers.py: numpy and scipy are needed (apt-get install python3-numpy python3-scipy)")

ALPHA_UP, ALPHA_DOWN = 0.6, 0.3


def read(data_dir):
    """Returns the firm ids and the relation columns as numpy arrays."""
    index = {}
    ids = []
    with open(os.path.join(data_dir, "enterprises.csv"), newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        col = next(r).index("uscc")
        for rec in r:
            index[rec[col]] = len(ids)
            ids.append(rec[col])
    sup, cus = array("i"), array("i")
    ps, ss, sub = array("d"), array("d"), array("d")
    with open(os.path.join(data_dir, "relations.csv"), newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        head = next(r)
        c = [head.index(k) for k in ("supplier", "customer", "purchase_share", "sales_share", "substitutability")]
        for rec in r:
            for k in (c[0], c[1]):
                if rec[k] not in index:
                    index[rec[k]] = len(ids)
                    ids.append(rec[k])
            sup.append(index[rec[c[0]]])
            cus.append(index[rec[c[1]]])
            ps.append(float(rec[c[2]]))
            ss.append(float(rec[c[3]]))
            sub.append(float(rec[c[4]]))
    return ids, np.frombuffer(sup, dtype=np.int32), np.frombuffer(cus, dtype=np.int32), \
        np.frombuffer(ps), np.frombuffer(ss), np.frombuffer(sub)


def terms(n, sup, cus, ps, ss, sub):
    """CSR of the distress equations: row j holds c on column nbr."""
    rows = np.concatenate([cus, sup])
    cols = np.concatenate([sup, cus])
    coef = np.concatenate([ALPHA_UP * ps * (1 - sub), ALPHA_DOWN * ss])
    # Built from (data, indices, indptr), not from coordinates: a pair of firms
    # trading both ways gives two terms, which must stay two factors.
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return sp.csr_matrix((coef[order], cols[order], indptr), shape=(n, n))


def sweep(t, logs, p, x):
    """One Jacobi sweep: F(x). logs is t's structure, overwritten."""
    np.log1p(-t.data * x[t.indices], out=logs.data)
    prod = np.exp(np.asarray(logs.sum(axis=1)).ravel())
    return p + (1 - p) * (1 - prod)


def debtrank_matrix(n, sup, cus, ps, ss, sub):
    """W^T as CSR: row j holds W_ij on column i (W summed over both directions, capped)."""
    rows = np.concatenate([sup, cus])  # i: the firm in distress
    cols = np.concatenate([cus, sup])  # j: the firm it hurts
    w = np.concatenate([ps * (1 - sub), ss])
    wmat = sp.csr_matrix((w, (rows, cols)), shape=(n, n))  # duplicates summed
    wmat.data = np.minimum(wmat.data, 1)
    wmat.eliminate_zeros()
    return wmat, wmat.T.tocsr()


def debtrank(wt, shock, n):
    """One shock, psi = 1: returns h and the number of steps."""
    h = np.zeros(n)
    state = np.zeros(n, dtype=np.int8)  # 0 U, 1 D, 2 I
    h[shock] = 1
    state[shock] = 1
    steps = 0
    while True:
        d = state == 1
        if not d.any():
            return h, steps
        steps += 1
        hd = np.where(d, h, 0.0)
        h = np.minimum(h + wt @ hd, 1)
        state[d] = 2
        state[(state == 0) & (h > 0)] = 1


def best_of(repeat, fn):
    best = best_cpu = float("inf")
    out = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu, out


def main():
    ap = argparse.ArgumentParser(description="scipy.sparse peers of the whole-graph kernels")
    ap.add_argument("data_dir")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each timing; the best is printed")
    ap.add_argument("--sweeps", type=int, default=5, help="sweeps of the distress check")
    a = ap.parse_args()
    ids, sup, cus, ps, ss, sub = read(a.data_dir)
    n, m = len(ids), len(sup)
    j = np.arange(n)
    p = 0.01 + 0.03 * ((j * 7919) % 1000) / 1000
    p[j % 100 == 0] = 1

    t = terms(n, sup, cus, ps, ss, sub)
    logs = t.copy()
    x = p.copy()
    for _ in range(a.sweeps):
        x = sweep(t, logs, p, x)
    print(json.dumps({"name": "check_distress_sum", "sweeps": a.sweeps, "sum_d": round(float(x.sum()), 9)}))
    secs, cpu, _ = best_of(a.repeat, lambda: sweep(t, logs, p, x))
    print(json.dumps({"name": "scipy_noisy_or_sweep", "seconds": secs, "cpu_seconds": cpu,
                      "firms": n, "edges": m, "terms": int(t.nnz)}))
    del t, logs

    wmat, wt = debtrank_matrix(n, sup, cus, ps, ss, sub)
    rowlen = np.diff(wmat.indptr)
    shock = int(np.argmax(rowlen))  # first of the longest rows
    h, steps = debtrank(wt, shock, n)
    print(json.dumps({"name": "check_debtrank", "firm": ids[shock], "steps": steps,
                      "reached": int((h > 0).sum()), "sum_h": round(float(h.sum()), 9),
                      "R": round(float((h.sum() - 1) / n), 12)}))
    secs, cpu, _ = best_of(a.repeat, lambda: debtrank(wt, shock, n))
    print(json.dumps({"name": "scipy_debtrank_shock", "seconds": secs, "cpu_seconds": cpu,
                      "firms": n, "edges": int(wt.nnz), "steps": steps}))


if __name__ == "__main__":
    main()
