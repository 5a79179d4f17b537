"""Speed of ssdlib against the best SciPy call at the same accuracy, reported as ratios.

Run with ``make bench``. Every ratio compares two timings taken in the same run on the same
machine, and every answer is checked against an independent high-precision solution
(Radau with the analytic Jacobian at rtol 1e-13 on the full system (16)). SciPy's solvers
run on the full system of each flow, the call a user who knows SciPy would make: LSODA with
and without the analytic Jacobian, and BDF and Radau with it. For each solver the tolerance
is tightened (rtol = 1e-7, 1e-8, ..., 1e-12, atol = rtol / 100) until its error is at most
that of ``ssdlib`` or 1e-9, whichever is larger (the accuracy the targets are stated at);
the ratio is SciPy's time at that tolerance over ssdlib's time with its default tolerances.

1. One trajectory (N = 2, D = 5, alpha = 0.1, eps = 1e-4, t in [0, 20], 201 outputs).
   Target: ``simulate`` at least 10x faster than LSODA.
2. 1000 blocks of 2 columns (D = 2000, alpha = 0.1, eps = 1e-3, t in [0, 20], 201 outputs):
   one ``simulate`` call against SciPy block by block. Target: at least 30x against LSODA.
3. The (alpha, eps) map of the KKT chapter (one block, 25 x 25 log-spaced pairs, each flow
   to convergence on ssdlib's default output grid): one ``simulate_batch`` call against SciPy
   flow by flow on the same grids. Target: at least 30x against LSODA.

Errors of the many-flow cases are measured on an evenly spaced subset of the flows (SciPy's
tolerance is chosen there); SciPy's time is then measured on all of them. The results are
written to ``benchmarks/ratios.json``, which the reproducibility page of the book shows.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

import ssdlib as S
from ssdlib.flow import _full_system

RESULTS = Path(__file__).with_name("ratios.json")
ERR_FLOOR = 1e-9
RTOLS = (1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12)
SOLVERS = {  # name -> (solve_ivp method, pass the analytic Jacobian)
    "LSODA": ("LSODA", False),
    "LSODA, jac": ("LSODA", True),
    "BDF, jac": ("BDF", True),
    "Radau, jac": ("Radau", True),
}
TARGETS = {"single": 10.0, "blocks": 30.0, "sweep": 30.0}


class Flow:
    """One flow on the full 2D-dimensional system: problem, alpha, eps, output times."""

    def __init__(self, problem, alpha, eps, t_eval):
        self.problem, self.alpha, self.eps, self.t_eval = problem, alpha, eps, t_eval
        self.fun, self.jac, _ = _full_system(problem, 2, eps, False)

    def solve(self, method, jac, rtol, atol):
        D = self.problem.D
        sol = solve_ivp(self.fun, (0.0, self.t_eval[-1]), np.full(2 * D, self.alpha),
                        method=method, jac=self.jac if jac else None, rtol=rtol, atol=atol,
                        t_eval=self.t_eval)
        if not sol.success:
            return np.full((self.t_eval.size, D), np.nan)
        return sol.y[:D].T ** 2 - sol.y[D:].T ** 2


def solve_all(flows, solver, rtol):
    method, jac = SOLVERS[solver]
    t0 = time.perf_counter()
    betas = [f.solve(method, jac, rtol, rtol / 100) for f in flows]
    return time.perf_counter() - t0, betas


def reference(flows):
    return [f.solve("Radau", True, 1e-13, 1e-16) for f in flows]


def error(betas, refs):
    """Largest error over the flows, each relative to the largest entry of its beta."""
    errs = [np.max(np.abs(b - r)) / np.max(np.abs(r)) for b, r in zip(betas, refs, strict=True)]
    return float(np.nan_to_num(np.max(errs), nan=np.inf))


def best_of(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def match(flows, refs, level, repeat=1):
    """Per solver: the loosest rtol whose error is <= level, its error and time on ``flows``."""
    rows = {}
    for solver in SOLVERS:
        for rtol in RTOLS:
            t, betas = best_of(lambda solver=solver, rtol=rtol: solve_all(flows, solver, rtol),
                               repeat)
            err = error(betas[1], refs)
            if err <= level or rtol == RTOLS[-1]:
                break
        rows[solver] = dict(rtol=rtol, err=err, matched=bool(err <= level), t_subset=t)
    return rows


def compare(name, t_ours, err_ours, flows_err, refs, flows_all=None, repeat=1):
    """Match SciPy's accuracy on ``flows_err``, time it on ``flows_all``, form the ratios."""
    level = max(err_ours, ERR_FLOOR)
    rows = match(flows_err, refs, level, repeat)
    for solver, row in rows.items():
        if flows_all is None:
            row["t"] = row["t_subset"]
        elif solver == "LSODA" or row["t_subset"] < rows["LSODA"]["t_subset"]:
            row["t"] = solve_all(flows_all, solver, row["rtol"])[0]  # all flows, one pass
        else:  # slower than LSODA on the subset: not run on all flows
            row["t"] = None
        row["ratio"] = None if row["t"] is None else row["t"] / t_ours
    timed = {k: r for k, r in rows.items() if r["t"] is not None and r["matched"]}
    best = min(timed, key=lambda k: timed[k]["t"]) if timed else "LSODA"
    return dict(name=name, t_ours=t_ours, err_ours=err_ours, level=level, scipy=rows,
                best=best, ratio_lsoda=rows["LSODA"]["ratio"], ratio_best=rows[best]["ratio"],
                target=TARGETS[name], n_flows=len(flows_all or flows_err),
                n_checked=len(flows_err))


def bench_single(repeat):
    P = S.Problem.random_blocks([3, 2], seed=1)
    alpha, eps = 0.1, 1e-4
    t_eval = np.linspace(0, 20, 201)
    flows = [Flow(P, alpha, eps, t_eval)]
    refs = reference(flows)
    t_ours, tr = best_of(lambda: S.simulate(P, alpha, eps, t_eval=t_eval), repeat)
    return compare("single", t_ours, error([tr.beta], refs), flows, refs, repeat=3)


def bench_blocks(n_blocks, repeat, n_check):
    P = S.Problem.random_blocks([2] * n_blocks, seed=0)
    alpha, eps = 0.1, 1e-3
    t_eval = np.linspace(0, 20, 201)
    t_ours, tr = best_of(lambda: S.simulate(P, alpha, eps, t_eval=t_eval), repeat)
    flows = [Flow(S.Problem(P.X[n:n + 1, b], P.y[n:n + 1]), alpha, eps, t_eval)
             for n, b in enumerate(P.blocks)]
    check = np.linspace(0, n_blocks - 1, n_check).round().astype(int)
    refs = reference([flows[n] for n in check])
    err = error([tr.beta[:, P.blocks[n]] for n in check], refs)
    return compare("blocks", t_ours, err, [flows[n] for n in check], refs, flows)


def kkt_map_problem():
    """The instance and the grid of the KKT chapter's map (book/kkt.md)."""
    prob = S.Problem.from_angles([1.83], [4.0], [1.0])
    AA, EE = np.meshgrid(np.geomspace(0.005, 0.6, 25), np.geomspace(1e-4, 0.2, 25))
    return prob, AA.ravel(), EE.ravel()


def bench_sweep(repeat, n_check):
    prob, al, ep = kkt_map_problem()
    t_ours, runs = best_of(lambda: S.simulate_batch(prob, al, ep), repeat)
    flows = [Flow(prob, tr.alpha, tr.eps, tr.t) for tr in runs]
    check = np.linspace(0, len(runs) - 1, n_check).round().astype(int)
    refs = reference([flows[i] for i in check])
    err = error([runs[i].beta for i in check], refs)
    return compare("sweep", t_ours, err, [flows[i] for i in check], refs, flows)


def scaling(sizes, repeat):
    times = []
    t_eval = np.linspace(0, 20, 201)
    for n in sizes:
        P = S.Problem.random_blocks([2] * n, seed=0)
        times.append(best_of(lambda P=P: S.simulate(P, 0.1, 1e-3, t_eval=t_eval), repeat)[0])
    slope = np.polyfit(np.log(sizes), np.log(times), 1)[0]
    return np.array(times), float(slope)


def first_call():
    """Import and first-call time of ssdlib in a fresh interpreter (compiled code cached)."""
    import subprocess
    import sys

    code = ("import time; t0 = time.perf_counter(); import ssdlib as S; t1 = time.perf_counter();"
            "P = S.Problem.random_blocks([3, 2], seed=1); S.simulate(P, 0.1, 1e-4);"
            "t2 = time.perf_counter(); print(t1 - t0, t2 - t1)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    t_import, t_first = map(float, out.stdout.split())
    return t_import, t_first


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return dict(cpu=cpu, cores=os.cpu_count(), system=platform.platform(),
                python=platform.python_version(),
                versions={p: version(p) for p in ("ssdlib", "numpy", "scipy", "numba")})


def report(r, title):
    print(title)
    print(f"   ssdlib                 {r['t_ours'] * 1e3:10.2f} ms   error {r['err_ours']:.1e}")
    for solver, row in r["scipy"].items():
        t = "  (slower on the subset)" if row["t"] is None else f"{row['t'] * 1e3:10.2f} ms"
        note = "" if row["matched"] else "   (error level not reached)"
        ratio = "" if row["ratio"] is None else f"   {row['ratio']:7.1f}x"
        print(f"   {solver:12s} rtol {row['rtol']:.0e} {t}   error {row['err']:.1e}{ratio}{note}")
    checked = "" if r["n_checked"] == r["n_flows"] else \
        f" (errors on {r['n_checked']} of {r['n_flows']} flows)"
    print(f"   at error <= {r['level']:.1e}{checked}: {r['ratio_lsoda']:.1f}x against LSODA "
          f"(target >= {r['target']:.0f}x), {r['ratio_best']:.1f}x against the fastest SciPy "
          f"call ({r['best']})")


def write_results(cases, t_import, t_first, ok):
    """The small data file shown by the reproducibility page of the book."""
    def sig(x):
        return None if x is None else float(f"{x:.3g}")

    def call(solver, row):
        return dict(solver=solver, rtol=row["rtol"], error=sig(row["err"]),
                    time_s=sig(row["t"]), ratio=sig(row["ratio"]), matched=row["matched"])

    data = dict(
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine(), import_s=sig(t_import), first_call_s=sig(t_first),
        targets_met=ok,
        cases={c["name"]: dict(
            flows=c["n_flows"], ssdlib_time_s=sig(c["t_ours"]), ssdlib_error=sig(c["err_ours"]),
            error_level=sig(c["level"]), target=c["target"],
            lsoda=call("LSODA", c["scipy"]["LSODA"]), fastest=call(c["best"],
                                                                   c["scipy"][c["best"]]))
            for c in cases},
    )
    RESULTS.write_text(json.dumps(data, indent=1) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timings per ssdlib measurement")
    parser.add_argument("--blocks", type=int, default=1000)
    parser.add_argument("--check", type=int, default=25, help="flows whose error is measured")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args(argv)

    t_import, t_first = first_call()
    print(f"0. import ssdlib {t_import * 1e3:.0f} ms; first simulate call {t_first * 1e3:.0f} ms "
          "(fresh interpreter)")
    s = bench_single(args.repeat)
    report(s, "1. one trajectory, N=2, D=5, alpha=0.1, eps=1e-4, t in [0, 20], 201 outputs")
    b = bench_blocks(args.blocks, args.repeat, args.check)
    report(b, f"2. {args.blocks} blocks of 2 columns, alpha=0.1, eps=1e-3, t in [0, 20], "
              "201 outputs (SciPy block by block)")
    w = bench_sweep(args.repeat, args.check)
    report(w, "3. the (alpha, eps) map of the KKT chapter, 25 x 25 flows to convergence "
              "(SciPy flow by flow)")
    sizes = np.array([args.blocks // 8, args.blocks // 4, args.blocks // 2, args.blocks])
    times, slope = scaling(sizes, args.repeat)
    print("4. time of simulate against the number of blocks: "
          + ", ".join(f"{n} -> {t * 1e3:.1f} ms" for n, t in zip(sizes, times, strict=True))
          + f"; log-log slope {slope:.2f} (1 = linear)")
    cases = [s, b, w]
    ok = all(c["ratio_lsoda"] >= c["target"] and c["err_ours"] <= ERR_FLOOR for c in cases)
    print("targets met" if ok else "TARGETS NOT MET")
    if not args.no_write:
        write_results(cases, t_import, t_first, ok)
        print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
