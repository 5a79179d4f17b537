"""Tests of the compiled lane integrator behind ``simulate`` for block data.

The compiled loop is checked against the same source run as plain Python
(``NUMBA_DISABLE_JIT=1``), its lanes against each other, its one-pass default grid against
an explicit grid, and its fallback when numba cannot write a cache. Differences are
measured in units of a stated tolerance.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy.special import wrightomega

import ssdlib as S
from ssdlib import _lanes

RUN = """
import json, numpy as np, ssdlib as S
P = S.Problem.random_blocks([3, 2], seed=1)
runs = S.simulate_batch(P, [0.1, 0.05], [1e-3, 1e-2], t_eval=np.linspace(0, 2, 41))
print(json.dumps([dict(beta=tr.beta.tolist(), T0=tr.T0, T=tr.T, t_conv=tr.t_converged,
                       beta_inf=tr.beta_inf.tolist()) for tr in runs]))
"""


def run_python(code, **env):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_compiled_equals_interpreted():
    compiled = json.loads(run_python(RUN))
    interpreted = json.loads(run_python(RUN, NUMBA_DISABLE_JIT="1"))
    tol = 1e-12
    for c, i in zip(compiled, interpreted, strict=True):
        for key in ("beta", "beta_inf"):
            err = np.max(np.abs(np.subtract(c[key], i[key])))
            assert err / tol < 1, f"{key}: {err:.1e} = {err / tol:.1f} tolerance units"
        for key in ("T0", "T", "t_conv"):
            err = abs(c[key] - i[key]) / c[key]
            assert err / tol < 1, f"{key}: {err:.1e} = {err / tol:.1f} tolerance units"


def test_omega_matches_scipy():
    z = np.concatenate([-np.geomspace(1e3, 1e-3, 300), [0.0], np.geomspace(1e-3, 1e22, 300)])
    ours = np.array([_lanes._omega(v) for v in z])
    ref = wrightomega(z)
    pos = ref > 0
    rel = np.abs(ours[pos] - ref[pos]) / ref[pos]
    assert np.max(rel) / 4e-16 < 10
    assert np.all(ours[~pos] == 0)


def test_lanes_are_independent():
    # every block is integrated on its own: alone or in a batch, the same numbers
    P = S.Problem.random_blocks([3, 2, 2], seed=4)
    t = np.linspace(0, 3, 31)
    together = S.simulate(P, 0.1, 1e-3, t_eval=t)
    for n, b in enumerate(P.blocks):
        alone = S.simulate(S.Problem(P.X[n:n + 1, b], P.y[n:n + 1]), 0.1, 1e-3, t_eval=t)
        np.testing.assert_array_equal(together.beta[:, b], alone.beta)
        np.testing.assert_array_equal(together.beta_inf[b], alone.beta_inf)


def test_batch_of_pairs_equals_single_runs_exactly():
    P = S.Problem.random_blocks([2, 2], seed=2)
    alpha = np.array([0.02, 0.1, 0.5])
    eps = np.array([1e-5, 1e-3, 0.1])
    for tb, a, e in zip(S.simulate_batch(P, alpha, eps), alpha, eps, strict=True):
        ts = S.simulate(P, a, e)
        np.testing.assert_array_equal(tb.t, ts.t)
        np.testing.assert_array_equal(tb.beta, ts.beta)
        assert (tb.T0, tb.T, tb.t_converged) == (ts.T0, ts.T, ts.t_converged)


@pytest.mark.parametrize("method", ["ssd", "gd"])
def test_default_grid_equals_explicit_grid(method):
    # the default grid is evaluated after the run from the kept interpolants: the same
    # steps as a run on that grid, so the same values up to round-off
    P = S.Problem.random_blocks([3, 2], seed=1)
    auto = S.simulate(P, 0.1, 1e-4, method=method)
    given = S.simulate(P, 0.1, 1e-4, method=method, t_eval=auto.t)
    tol = 1e-14
    err = np.max(np.abs(auto.beta - given.beta))
    assert err / tol < 1, f"{err:.1e} = {err / tol:.1f} tolerance units"
    assert auto.t_converged == given.t_converged


def test_event_times_located_on_the_interpolant():
    # T0 and T are where max h - eps and min f - eps vanish, to the integration accuracy
    # (the gradients below use the residual recomputed from beta, not the carried s)
    P = S.Problem.random_blocks([3, 2], seed=1)
    tr = S.simulate(P, 0.1, 1e-3)
    eps = tr.eps
    at = S.simulate(P, 0.1, 1e-3, t_eval=[tr.T0, tr.T])
    g0 = np.max(np.abs(at.grad_v[0])) - eps
    g1 = np.min(np.abs(at.grad_u[1])) - eps
    tol = 1e-8 * eps
    assert abs(g0) / tol < 1 and abs(g1) / tol < 1, (g0 / tol, g1 / tol)


def test_outputs_after_convergence_hold_the_limit():
    P = S.Problem.random_blocks([2, 3], seed=5)
    tr = S.simulate(P, 0.1, 1e-3, t_eval=[0.0, 1e3, 1e6])
    np.testing.assert_array_equal(tr.beta[1], tr.beta_inf)
    np.testing.assert_array_equal(tr.beta[2], tr.beta_inf)
    np.testing.assert_allclose(tr.beta[0], 0.0, atol=1e-15)  # v recovered from psi


def test_without_a_writable_cache_the_kernel_compiles_in_memory():
    # no cache locator applies (the zip locator only serves code imported from zip files)
    out = run_python(
        "from ssdlib import _lanes; print(type(_lanes._omega._cache).__name__,"
        " _lanes._omega(1.0))",
        NUMBA_CACHE_LOCATOR_CLASSES="ZipCacheLocator",
    )
    name, value = out.split()
    assert name == "NullCache"
    assert float(value) == pytest.approx(float(wrightomega(1.0)), rel=1e-15)
