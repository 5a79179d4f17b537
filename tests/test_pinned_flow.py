"""Trajectories of ssdlib.flow on the whole output grid, pinned to independent solutions.

* eps = 0: the sign flow on a hand-made instance whose hitting times are simple numbers
  (derived in the comments), compared entry by entry on every grid point, for depth 2 and 3;
  the discrete sign descent, which on that instance visits the flow's points exactly.
* eps > 0 and gradient flow: Radau at rtol 1e-13 on the 2D-dimensional system in ``w``, written
  here from eq. (8) alone; the stage times T0 and T located on that reference by root finding.

Errors are measured in tolerance units.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import warnings

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import ssdlib as S

# Two blocks. Block 0: x = (1.5, -0.5), |y| = 0.25, A = sum|x| = 2; block 1: x = (2,), y = -4.5.
# alpha = 1/4. Sign flow (H = 2): while t <= alpha, A((alpha+t)^2 - (alpha-t)^2) = 8 alpha t,
# so block 0 stops at t0* = 0.25 / 2 = 1/8; block 1 needs A (alpha+t)^2 = 4.5 after v = 0:
# alpha + t = 3/2, t1* = 5/4. X^T y = (0.375, -0.125, -9): u = w+ on column 0, w- on 1 and 2.
X_HAND = np.array([[1.5, -0.5, 0.0], [0.0, 0.0, 2.0]])
Y_HAND = np.array([0.25, -4.5])
ALPHA = 0.25
TSTAR = np.array([0.125, 1.25])


def hand_problem():
    return S.Problem(X_HAND, Y_HAND)


def grads(X, y, wp, wm, H=2):
    """dL/dw+ and dL/dw- of L = 1/4 |X (w+^H - w-^H) - y|^2, rows of wp, wm are points."""
    g_beta = 0.5 * ((wp**H - wm**H) @ X.T - y) @ X  # grad_beta L
    return H * wp ** (H - 1) * g_beta, -H * wm ** (H - 1) * g_beta


def check_fields(tr, X, y, wp, wm, H, tol, scale=1.0):
    """Every per-time field of ``tr`` against the weights wp, wm (T, D) of a reference."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    sign = np.where(X.T @ y > 0, 1.0, -1.0)
    dom = sign > 0
    beta = wp**H - wm**H
    gp, gm = grads(X, y, wp, wm, H)
    ref = {
        "w_plus": wp, "w_minus": wm, "beta": beta,
        "u": np.where(dom, wp, wm), "v": np.where(dom, wm, wp),
        "dual": sign * np.where(dom, wp, wm),
        "grad_u": np.where(dom, gp, gm), "grad_v": np.where(dom, gm, gp),
        "residual": y - beta @ X.T,
    }
    np.testing.assert_array_equal(tr.sign, sign)
    for name, val in ref.items():
        err = np.max(np.abs(getattr(tr, name) - val)) / (tol * scale)
        assert err < 1, f"{name}: {err:.2f} tolerance units"


def test_hand_instance_hitting_times():
    got = S.sign_flow_hitting_times(hand_problem(), ALPHA)
    assert np.max(np.abs(got - TSTAR)) < 1e-15


@pytest.mark.parametrize("t_eval", [np.linspace(0.0, 1.5, 13), np.linspace(0.0, 1.5, 301)])
def test_sign_flow_on_the_whole_grid(t_eval):
    tr = S.simulate(hand_problem(), ALPHA, 0.0, t_eval=t_eval)
    tau = np.minimum(t_eval[:, None], np.array([TSTAR[0], TSTAR[0], TSTAR[1]])[None, :])
    U, V = ALPHA + tau, np.maximum(ALPHA - tau, 0.0)
    dom = np.array([True, False, False])
    wp, wm = np.where(dom, U, V), np.where(dom, V, U)
    np.testing.assert_array_equal(tr.t, t_eval)
    assert np.all(tr.w_plus >= 0) and np.all(tr.w_minus >= 0)
    check_fields(tr, X_HAND, Y_HAND, wp, wm, 2, 1e-15, scale=10.0)
    # stage times: T0 = max_n min(alpha, t_n*) (v reaches 0 or the block stops), T = min t_n*
    assert tr.T0 == 0.25 and tr.T == 0.125
    assert tr.t_converged == 1.25 and tr.method == "sign" and tr.eps == 0.0 and tr.nfev == 0
    assert tr.message == "closed form (sign flow)"
    np.testing.assert_allclose(tr.w_plus_inf, [0.375, 0.125, 0.0], rtol=0, atol=1e-16)
    np.testing.assert_allclose(tr.w_minus_inf, [0.125, 0.375, 1.5], rtol=0, atol=1e-16)
    np.testing.assert_allclose(tr.u_inf, [0.375, 0.375, 1.5], rtol=0, atol=1e-16)
    np.testing.assert_allclose(tr.v_inf, [0.125, 0.125, 0.0], rtol=0, atol=1e-16)
    np.testing.assert_allclose(tr.beta_inf, [0.125, -0.125, -2.25], rtol=0, atol=1e-15)


def test_sign_flow_default_grids():
    P = hand_problem()
    tr = S.simulate(P, ALPHA, 0.0)
    np.testing.assert_array_equal(tr.t, np.linspace(0.0, 1.1 * 1.25, 401))
    tr = S.simulate(P, ALPHA, 0.0, t_max=2.0)
    np.testing.assert_array_equal(tr.t, np.linspace(0.0, 2.0, 401))
    np.testing.assert_allclose(tr.beta[-1], [0.125, -0.125, -2.25], rtol=0, atol=1e-15)


def test_sign_flow_depth_3_on_the_whole_grid():
    # H = 3: (alpha+t)^3 - (alpha-t)^3 = 6 alpha^2 t + 2 t^3 while t <= alpha.
    # Block 0 with |y| = 0.1: 2 (6/16 t + 2 t^3) = 0.1, i.e. 4 t^3 + 0.75 t - 0.1 = 0.
    # Block 1 (|y| = 4.5, A = 2): A (2 alpha)^3 = 0.25 < 4.5, so t1* = 2.25^(1/3) - 1/4.
    P = S.Problem(X_HAND, [0.1, -4.5])
    roots = np.roots([4.0, 0.0, 0.75, -0.1])
    t0 = float(roots[np.abs(roots.imag) < 1e-12].real.max())
    t1 = 2.25 ** (1 / 3) - 0.25
    assert 0 < t0 < ALPHA
    got = S.sign_flow_hitting_times(P, ALPHA, depth=3)
    assert np.max(np.abs(got - [t0, t1])) < 4e-16 * 4
    t_eval = np.linspace(0.0, 1.2, 97)
    tr = S.simulate(P, ALPHA, 0.0, depth=3, t_eval=t_eval)
    tau = np.minimum(t_eval[:, None], np.array([t0, t0, t1])[None, :])
    U, V = ALPHA + tau, np.maximum(ALPHA - tau, 0.0)
    dom = np.array([True, False, False])
    check_fields(tr, X_HAND, np.array([0.1, -4.5]), np.where(dom, U, V), np.where(dom, V, U), 3,
                 1e-14)
    assert abs(tr.T - t0) < 1e-15 and tr.T0 == ALPHA and tr.depth == 3


def test_sign_descent_visits_the_sign_flow_exactly():
    # eta = 1/8: block 0 reaches r = 0 after one step, block 1 after ten (w- = 1/4 + 10/8 = 3/2),
    # and both stay there (sign(0) = 0); before that every weight moves by exactly eta.
    P = hand_problem()
    d = S.sign_descent(P, ALPHA, 0.0, 0.125, 12, record_every=5)
    np.testing.assert_array_equal(d.t, [0.0, 0.625, 1.25, 1.5])
    f = S.simulate(P, ALPHA, 0.0, t_eval=d.t)
    for name in ("w_plus", "w_minus", "beta", "grad_u", "grad_v", "residual"):
        np.testing.assert_allclose(getattr(d, name), getattr(f, name), rtol=0, atol=1e-15)
    np.testing.assert_allclose(d.beta_inf, [0.125, -0.125, -2.25], rtol=0, atol=1e-15)
    assert d.nfev == 12 and d.message == "12 steps" and d.method == "discrete"
    # the first recorded times at which the stage conditions hold (eps = 0: gradients vanish)
    assert d.T0 == 0.625 and d.T == 0.625
    assert d.t_converged == 1.5


@pytest.mark.parametrize("steps,every,t", [(1, 1, [0, 1]), (3, 2, [0, 2, 3]), (4, 2, [0, 2, 4]),
                                           (5, 10, [0, 5])])
def test_sign_descent_step_counts(steps, every, t):
    d = S.sign_descent(hand_problem(), ALPHA, 0.01, 0.5, steps, record_every=every)
    np.testing.assert_array_equal(d.t, 0.5 * np.array(t, float))
    assert d.nfev == steps and d.beta.shape == (len(t), 3)


def test_sign_descent_one_smoothed_step_by_hand():
    # at w = alpha: grad_beta L = -X^T y / 2 = (-0.1875, 0.0625, 4.5);
    # dL/dw+ = 2 alpha grad_beta L, dL/dw- = -2 alpha grad_beta L
    eta, eps = 0.1, 0.05
    gb = np.array([-0.1875, 0.0625, 4.5])
    gp, gm = 2 * ALPHA * gb, -2 * ALPHA * gb
    wp1 = ALPHA - eta * gp / (np.abs(gp) + eps)
    wm1 = ALPHA - eta * gm / (np.abs(gm) + eps)
    d = S.sign_descent(hand_problem(), ALPHA, eps, eta, 1)
    np.testing.assert_allclose(d.w_plus, [np.full(3, ALPHA), wp1], rtol=1e-15)
    np.testing.assert_allclose(d.w_minus, [np.full(3, ALPHA), wm1], rtol=1e-15)
    # depth 3: dL/dw+ = 3 w+^2 grad_beta L
    g3 = 3 * ALPHA**2 * gb
    d3 = S.sign_descent(hand_problem(), ALPHA, eps, eta, 1, depth=3)
    np.testing.assert_allclose(d3.w_plus[1], ALPHA - eta * g3 / (np.abs(g3) + eps), rtol=1e-15)
    np.testing.assert_allclose(d3.w_minus[1], ALPHA + eta * g3 / (np.abs(g3) + eps), rtol=1e-15)


# ------------------------------------------------------------------------------ eps > 0, GD


def reference(X, y, alpha, eps, t_end, H=2, gd=False):
    """Radau at rtol 1e-13 on the 2D-dimensional system in w (dense output), for raw data.

    Cached: the reference depends on numpy and scipy only, so a process that has run the tests
    once (e.g. the parent of mutation-testing workers) keeps the solutions."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    return _reference(X.tobytes(), X.shape, y.tobytes(), float(alpha), float(eps), float(t_end),
                      H, gd)


@functools.cache
def _reference(Xb, shape, yb, alpha, eps, t_end, H, gd):
    X = np.frombuffer(Xb).reshape(shape)
    y = np.frombuffer(yb)
    D = shape[1]

    def rhs(t, w):
        gp, gm = grads(X, y, w[None, :D], w[None, D:], H)
        g = np.concatenate([gp[0], gm[0]])
        return -g if gd else -g / (np.abs(g) + eps)

    sol = solve_ivp(rhs, (0, t_end), np.full(2 * D, alpha), method="Radau", rtol=1e-13,
                    atol=1e-15, dense_output=True)
    assert sol.success
    return sol


def stage_time(sol, X, y, eps, H, which, cols=None):
    """First time max_i |dL/dv_i| (which = 0) or min_i |dL/du_i| (which = 1) reaches eps,
    over the columns ``cols`` (default all)."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    D = X.shape[1]
    cols = np.arange(D) if cols is None else np.asarray(cols)
    dom = X.T @ y > 0

    def g(t):
        w = sol.sol(t)
        gp, gm = grads(X, y, w[None, :D], w[None, D:], H)
        gu, gv = np.where(dom, gp, gm)[0, cols], np.where(dom, gm, gp)[0, cols]
        return (np.max(np.abs(gv)) if which == 0 else np.min(np.abs(gu))) - eps

    ts = np.linspace(0, sol.t[-1], 801)
    vals = np.array([g(t) for t in ts])
    k = int(np.argmax(vals <= 0))
    assert vals[k] <= 0 and k > 0 and vals[k - 1] > 0, (which, k, vals[:3])
    return brentq(g, ts[k - 1], ts[k], xtol=1e-14)


# Two blocks of Assumption 3.8, eq. (21): sqrt(lam) (cos theta, sin theta), theta = 0.3, -2.9,
# lam = 1, 3 (used for the limits and gradient flow).
X_P2 = np.array([[math.cos(0.3), math.sin(0.3), 0, 0],
                 [0, 0, math.sqrt(3) * math.cos(-2.9), math.sqrt(3) * math.sin(-2.9)]])
Y_P2 = np.array([1.0, -0.6])
P2 = S.Problem(X_P2, Y_P2)


@pytest.mark.parametrize("H", [2, 3])
def test_ssd_flow_on_the_whole_grid_and_per_block_stage_times(H):
    # the hand instance: block 0 converges near t = 1/8, block 1 near t = 5/4, so the blocks
    # reach both stage conditions at clearly different times
    P = hand_problem()
    alpha, eps = ALPHA, 0.002
    t_eval = np.linspace(0.0, 1.6, 33)
    sol = reference(X_HAND, Y_HAND, alpha, eps, t_eval[-1], H)
    W = sol.sol(t_eval).T
    tr = S.simulate(P, alpha, eps, depth=H, t_eval=t_eval)
    check_fields(tr, X_HAND, Y_HAND, W[:, :3], W[:, 3:], H, 1e-8)
    blocks = [[0, 1], [2]]
    T0s = [stage_time(sol, X_HAND, Y_HAND, eps, H, 0, b) for b in blocks]
    Ts = [stage_time(sol, X_HAND, Y_HAND, eps, H, 1, b) for b in blocks]
    assert abs(T0s[0] - T0s[1]) > 0.05 and abs(Ts[0] - Ts[1]) > 0.5
    # T0: every block past its first stage; T: the first block to reach the second
    assert abs(tr.T0 - max(T0s)) < 1e-7, (tr.T0, T0s)
    assert abs(tr.T - min(Ts)) < 1e-7, (tr.T, Ts)
    assert abs(stage_time(sol, X_HAND, Y_HAND, eps, H, 0) - max(T0s)) < 1e-9
    # a batch over (alpha, eps): each pair has its own stage times
    b = S.simulate_batch(P, [alpha, 0.8 * alpha], [eps, 2 * eps], depth=H, t_eval=t_eval)
    sol2 = reference(X_HAND, Y_HAND, 0.8 * alpha, 2 * eps, t_eval[-1], H)
    assert abs(b[0].T0 - tr.T0) < 1e-9 and abs(b[0].T - tr.T) < 1e-9
    assert abs(b[1].T0 - stage_time(sol2, X_HAND, Y_HAND, 2 * eps, H, 0)) < 1e-7
    assert abs(b[1].T - stage_time(sol2, X_HAND, Y_HAND, 2 * eps, H, 1)) < 1e-7
    assert b[1].alpha == 0.8 * alpha and b[1].eps == 2 * eps
    W2 = sol2.sol(t_eval).T
    check_fields(b[1], X_HAND, Y_HAND, W2[:, :3], W2[:, 3:], H, 1e-8)


def test_ssd_limits_and_default_grid():
    alpha, eps = 0.1, 0.01
    tr = S.simulate(P2, alpha, eps)
    sol = reference(X_P2, Y_P2, alpha, eps, 40.0)
    w_inf = sol.sol(40.0)
    np.testing.assert_allclose(tr.w_plus_inf, w_inf[:4], rtol=0, atol=1e-8)
    np.testing.assert_allclose(tr.w_minus_inf, w_inf[4:], rtol=0, atol=1e-8)
    assert tr.t[0] == 0 and tr.t.size == 401
    assert abs(tr.t[-1] - 1.1 * tr.t_converged) < 1e-12 * tr.t[-1]
    assert np.all(np.abs(tr.residual[-1]) <= 1e-9 * np.abs(Y_P2))
    # t_converged: the last block's residual reaches 1e-13 |y| there, not much earlier
    r = lambda t: np.abs(Y_P2 - X_P2 @ (sol.sol(t)[:4] ** 2 - sol.sol(t)[4:] ** 2))  # noqa: E731
    assert np.any(r(0.9 * tr.t_converged) > 1e-13 * np.abs(Y_P2))
    W = sol.sol(tr.t[:200]).T
    check_fields(S.simulate(P2, alpha, eps, t_eval=tr.t[:200]), X_P2, Y_P2, W[:, :4], W[:, 4:],
                 2, 1e-8)


@pytest.mark.parametrize("H", [2, 3])
def test_gradient_flow_on_the_whole_grid(H):
    alpha = 0.3
    t_eval = np.linspace(0.0, 6.0, 31)
    sol = reference(X_P2, Y_P2, alpha, 0.0, t_eval[-1], H, gd=True)
    W = sol.sol(t_eval).T
    tr = S.simulate(P2, alpha, 0.5, depth=H, method="gd", t_eval=t_eval)
    check_fields(tr, X_P2, Y_P2, W[:, :4], W[:, 4:], H, 1e-8)
    assert np.isnan(tr.T0) and np.isnan(tr.T) and tr.method == "gd"


def test_general_X_stage_times_and_grid():
    Xg, yg = [[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]], [1.0, -0.5]
    P = S.Problem(Xg, yg)
    assert P.blocks is None
    alpha, eps = 0.2, 0.02
    t_eval = np.linspace(0.0, 1.5, 31)
    sol = reference(Xg, yg, alpha, eps, t_eval[-1])
    W = sol.sol(t_eval).T
    tr = S.simulate(P, alpha, eps, t_eval=t_eval)
    check_fields(tr, Xg, yg, W[:, :3], W[:, 3:], 2, 1e-8)
    assert abs(tr.T0 - stage_time(sol, Xg, yg, eps, 2, 0)) < 1e-7
    assert abs(tr.T - stage_time(sol, Xg, yg, eps, 2, 1)) < 1e-7


def test_sign_flow_fields_with_many_blocks():
    # 10 rows (the fields of a trajectory are then assembled block by block): blocks of 1 to 3
    # columns with random entries; t* from the two cases of the closed form (H = 2)
    rng = np.random.default_rng(11)
    sizes = [1, 2, 3, 1, 2, 3, 1, 2, 3, 2]
    D = sum(sizes)
    X = np.zeros((10, D))
    y = rng.uniform(0.2, 3.0, 10) * rng.choice([-1.0, 1.0], 10)
    col_t = np.empty(D)
    alpha, start = 0.3, 0
    for n, d in enumerate(sizes):
        X[n, start:start + d] = rng.uniform(0.5, 1.5, d) * rng.choice([-1.0, 1.0], d)
        A, Y = np.abs(X[n]).sum(), abs(y[n])
        col_t[start:start + d] = Y / (4 * alpha * A) if A * (2 * alpha) ** 2 >= Y \
            else math.sqrt(Y / A) - alpha
        start += d
    assert np.any(col_t < alpha) and np.any(col_t > alpha)
    t_eval = np.linspace(0.0, col_t.max() + 0.1, 41)
    tr = S.simulate(S.Problem(X, y), alpha, 0.0, t_eval=t_eval)
    tau = np.minimum(t_eval[:, None], col_t[None, :])
    U, V = alpha + tau, np.maximum(alpha - tau, 0.0)
    dom = X.T @ y > 0
    check_fields(tr, X, y, np.where(dom, U, V), np.where(dom, V, U), 2, 1e-14)


def test_general_X_default_grid_past_convergence_and_stage_times_at_zero():
    Xg, yg = [[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]], [1.0, -0.5]
    P = S.Problem(Xg, yg)
    alpha, eps = 0.2, 0.02
    tr = S.simulate(P, alpha, eps)
    assert tr.t.size == 401 and tr.t[0] == 0.0
    assert abs(tr.t[-1] - 1.1 * tr.t_converged) <= 1e-12 * tr.t[-1]
    r = np.linalg.norm(np.asarray(yg) - np.asarray(Xg) @ tr.beta_inf)
    assert r <= 2e-13 * np.linalg.norm(yg)
    sol = reference(Xg, yg, alpha, eps, 1.5)  # as in test_general_X_stage_times_and_grid
    early = tr.t <= 1.5
    W = sol.sol(tr.t[early]).T
    check_fields(tr_slice(tr, early), Xg, yg, W[:, :3], W[:, 3:], 2, 1e-8)
    # after t_converged the output holds the limit
    late = tr.t > tr.t_converged
    assert late.sum() >= 30
    np.testing.assert_array_equal(tr.w_plus[late], np.broadcast_to(
        tr.w_plus_inf, tr.w_plus[late].shape))
    # an explicit grid reaching past t_converged
    t_eval = np.array([0.0, 0.5, tr.t_converged * 2, tr.t_converged * 3])
    tr2 = S.simulate(P, alpha, eps, t_eval=t_eval)
    np.testing.assert_allclose(tr2.w_plus[1], sol.sol(0.5)[:3], rtol=0, atol=1e-8)
    np.testing.assert_array_equal(tr2.w_minus[2:], [tr2.w_minus_inf, tr2.w_minus_inf])
    # eps above every initial gradient: both stage conditions hold at t = 0
    big = S.simulate(P, alpha, 5.0, t_eval=[0.0, 1.0])
    assert big.T0 == 0.0 and big.T == 0.0


def tr_slice(tr, mask):
    """The per-time fields of ``tr`` at the selected times, with the other attributes."""
    class View:
        pass
    v = View()
    for name in ("w_plus", "w_minus", "beta", "u", "v", "dual", "grad_u", "grad_v", "residual"):
        setattr(v, name, getattr(tr, name)[mask])
    v.sign = tr.sign
    return v


def test_validation_edges_and_batches_with_the_sign_flow():
    P = hand_problem()
    t = np.linspace(0.0, 1.5, 13)
    # rtol: 1e-14 is the smallest accepted
    S.simulate(P, ALPHA, 0.0, t_eval=t, rtol=1e-14)
    with pytest.raises(ValueError, match="`rtol` must be >= 1e-14"):
        S.simulate(P, ALPHA, 0.1, rtol=9e-15)
    # t_eval may start at 0 and must increase strictly; eps = 0 and alpha arrays
    with pytest.raises(ValueError, match="strictly increasing"):
        S.simulate(P, ALPHA, 0.1, t_eval=[0.0, 0.5, 0.5])
    with pytest.raises(ValueError, match="`t_eval` must be finite"):
        S.simulate(P, ALPHA, 0.1, t_eval=[-0.1, 0.5])
    with pytest.raises(ValueError, match="non-empty"):
        S.simulate(P, ALPHA, 0.1, t_eval=[])
    with pytest.raises(ValueError, match="simulate_batch"):
        S.simulate(P, [ALPHA, 0.5], 0.1)
    with pytest.raises(ValueError, match="1-dimensional"):
        S.simulate_batch(P, [[ALPHA]], [0.1])
    with pytest.raises(ValueError, match="`method`"):
        S.simulate(P, ALPHA, 0.1, method="adam")
    # a batch containing eps = 0 gives the closed form for that pair
    b = S.simulate_batch(P, ALPHA, [0.0, 0.002], t_eval=t)
    assert b[0].method == "sign" and b[1].method == "ssd"
    tau = np.minimum(t[:, None], np.array([0.125, 0.125, 1.25])[None, :])
    np.testing.assert_allclose(b[0].u, ALPHA + tau, rtol=0, atol=1e-15)
    sol = reference(X_HAND, Y_HAND, ALPHA, 0.002, 1.6)
    W = sol.sol(t).T
    check_fields(b[1], X_HAND, Y_HAND, W[:, :3], W[:, 3:], 2, 1e-8)
    # a batch on general data: one trajectory per pair
    G = S.Problem([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]], [1.0, -0.5])
    g = S.simulate_batch(G, [0.2, 0.3], 0.02, t_eval=[0.0, 0.5])
    assert [tr.alpha for tr in g] == [0.2, 0.3] and g[0].method == "ssd"
    np.testing.assert_allclose(g[0].w_plus[1], reference(
        [[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]], [1.0, -0.5], 0.2, 0.02, 1.5).sol(0.5)[:3],
        rtol=0, atol=1e-8)


def test_sign_descent_limits_are_the_last_iterate_and_unreached_stages_are_nan():
    d = S.sign_descent(hand_problem(), ALPHA, 0.001, 0.01, 3, record_every=2)
    np.testing.assert_array_equal(d.w_plus_inf, d.w_plus[-1])
    np.testing.assert_array_equal(d.w_minus_inf, d.w_minus[-1])
    assert not np.array_equal(d.w_plus[-1], d.w_plus[-2])
    # after three steps of 0.01 every |grad| is still far above eps = 0.001
    assert np.isnan(d.T0) and np.isnan(d.T)



# Four columns, two rows: no block structure (general path, Radau on the 2D system).
X_G4 = np.array([[1.0, 0.5, -0.3, 0.7], [0.2, -1.0, 0.8, 0.1]])
Y_G4 = np.array([1.0, -0.5])


@functools.cache
def lsoda_reference(alpha, eps, t_end, gd):
    """LSODA at rtol 1e-12 on the system in w of X_G4, Y_G4 (H = 2), dense output; the field
    written from eq. (8) as in ``reference`` (LSODA is much faster than Radau here)."""
    def rhs(t, w):
        gp, gm = grads(X_G4, Y_G4, w[None, :4], w[None, 4:])
        g = np.concatenate([gp[0], gm[0]])
        return -g if gd else -g / (np.abs(g) + eps)

    sol = solve_ivp(rhs, (0, t_end), np.full(8, alpha), method="LSODA", rtol=1e-12,
                    atol=1e-14, dense_output=True)
    assert sol.success
    return sol


@pytest.mark.parametrize("method,t_end", [("ssd", 1.0), ("gd", 40.0)])
def test_general_X_grids_with_zero_and_points_past_convergence(method, t_end):
    # t_eval = [0, t_end] with t_end past the convergence time: the only point at or before
    # t_converged is t = 0, where the weights are alpha; t_end holds the limit
    P = S.Problem(X_G4, Y_G4)
    assert P.blocks is None
    alpha, eps = 0.05, 0.01
    gd = method == "gd"
    sol = lsoda_reference(alpha, eps, t_end, gd)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = S.simulate(P, alpha, eps, method=method, t_eval=[0.0, t_end])
    assert 0.5 * t_end < tr.t_converged < t_end
    np.testing.assert_array_equal(tr.t, [0.0, t_end])
    np.testing.assert_array_equal(tr.w_plus[0], np.full(4, alpha))
    np.testing.assert_array_equal(tr.w_minus[0], np.full(4, alpha))
    np.testing.assert_array_equal(tr.w_plus[1], tr.w_plus_inf)
    np.testing.assert_array_equal(tr.w_minus[1], tr.w_minus_inf)
    assert tr.message == "converged" and tr.method == method
    # the flow stops where |y - X beta| first reaches 1e-13 |y| (an event located on Radau's
    # interpolant): the limit's residual is that, not much smaller
    rel = np.linalg.norm(Y_G4 - X_G4 @ tr.beta_inf) / np.linalg.norm(Y_G4)
    assert 0.95e-13 <= rel <= 1.05e-13, rel
    W = sol.sol(t_end)
    check_fields(tr_slice(tr, np.array([False, True])), X_G4, Y_G4, W[None, :4], W[None, 4:], 2,
                 1e-10)
    # a single point, t = 0
    tr0 = S.simulate(P, alpha, eps, method=method, t_eval=[0.0])
    check_fields(tr0, X_G4, Y_G4, np.full((1, 4), alpha), np.full((1, 4), alpha), 2, 1e-15)
    assert tr0.t_converged == tr.t_converged
    # a grid starting after 0: a point inside, t_converged itself and one past convergence
    t_eval = [0.5 * tr.t_converged, tr.t_converged, t_end]
    tr1 = S.simulate(P, alpha, eps, method=method, t_eval=t_eval)
    np.testing.assert_array_equal(tr1.t, t_eval)
    W1 = sol.sol(t_eval).T
    check_fields(tr1, X_G4, Y_G4, W1[:, :4], W1[:, 4:], 2, 1e-10)
    # a second Radau run, to t_converged, hits the output times; its evaluations are counted
    assert tr0.nfev == tr.nfev and tr1.nfev > 1.5 * tr.nfev


# ------------------------------------------------------------------------------ ssdlib._lanes


def test_jit_numpy_error_model_with_and_without_a_disk_cache(tmp_path):
    # _jit compiles with numba's numpy error model (1/0 is inf, not ZeroDivisionError) and a
    # disk cache next to the source file; a function without a source file has no cache
    # location and is compiled without one
    from ssdlib import _lanes

    src = tmp_path / "jit_kernel.py"
    src.write_text("def inv(x):\n    return 1.0 / x\n")
    spec = importlib.util.spec_from_file_location("jit_kernel", src)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    f = _lanes._jit(mod.inv)
    assert f.stats.cache_path == str(tmp_path / "__pycache__")
    assert f(4.0) == 0.25 and f(0.0) == math.inf and f(-0.0) == -math.inf
    ns = {}
    exec("def inv(x):\n    return 1.0 / x\n", ns)
    g = _lanes._jit(ns["inv"])
    assert g.stats.cache_path is None
    assert g(-2.0) == -0.5 and g(0.0) == math.inf


def test_integrate_lanes_records_and_events():
    # a direct call on the lanes of a batch: two pairs (alpha, eps) of the hand instance
    from ssdlib import _lanes
    from ssdlib.flow import _Lanes

    L = _Lanes(hand_problem(), np.array([ALPHA, 0.2]), np.array([0.002, 0.01]), 2, False)
    y0 = L.z0()
    res = _lanes.integrate_lanes(L, y0, rtol=1e-10, atol=1e-12)
    B = 4
    # stage times only when asked for
    assert res.t_event.shape == (B, 2) and np.all(np.isnan(res.t_event))
    ev = _lanes.integrate_lanes(L, y0, rtol=1e-10, atol=1e-12, events=True)
    assert np.all(ev.t_event > 0) and np.all(ev.t_event < ev.t_stop[:, None])
    # without output times every accepted step is recorded, lane after lane: rows
    # start[b]:start[b + 1], each starting where the previous one ended, the last ending at
    # t_stop; a step costs at least the 12 stages of DOP853 and 3 for its interpolant
    assert res.nsteps.dtype == np.int64 and res.nsteps.shape == (B,)
    assert np.all(res.nsteps >= 5)
    assert res.start.shape == (B + 1,) and res.start[0] == 0
    assert res.start[-1] == res.records.shape[0]
    np.testing.assert_array_equal(np.diff(res.start), res.nsteps)
    for b in range(B):
        rows = res.records[res.start[b]:res.start[b + 1]]
        assert rows[0, 0] == 0.0
        np.testing.assert_allclose(rows[1:, 0], rows[:-1, 0] + rows[:-1, 1], rtol=1e-15)
        assert abs(rows[-1, 0] + rows[-1, 1] - res.t_stop[b]) <= 1e-15 * res.t_stop[b]
    assert res.nfev >= B + 15 * res.nsteps.sum()


def test_integrate_lanes_reads_an_integer_state_as_float():
    # alpha = 1 and |y| = 1 make the start exactly integer: psi = x + c log x = 1 for s = |y|
    # and v = alpha, and u = alpha; the integer array must give the result of the float one
    from ssdlib import _lanes
    from ssdlib.flow import _Lanes

    L = _Lanes(S.Problem([[1.5, -0.5]], [-1.0]), np.array([1.0]), np.array([0.05]), 2, False)
    y0 = L.z0()
    np.testing.assert_array_equal(y0, np.ones((1, 5)))
    t_out = np.array([[0.1, 0.2]])
    ref = _lanes.integrate_lanes(L, y0, t_out, rtol=1e-10, atol=1e-12, events=True)
    got = _lanes.integrate_lanes(L, np.ones((1, 5), dtype=np.int64), t_out, rtol=1e-10,
                                 atol=1e-12, events=True)
    np.testing.assert_array_equal(got.y_stop, ref.y_stop)
    np.testing.assert_array_equal(got.t_event, ref.t_event)
    for a, b in zip(got.at(t_out), ref.at(t_out), strict=True):
        np.testing.assert_array_equal(a, b)


def test_sign_descent_defaults_and_step_count_type():
    # record_every defaults to 1: every iterate is kept
    d = S.sign_descent(hand_problem(), ALPHA, 0.0, 0.125, 3)
    np.testing.assert_array_equal(d.t, [0.0, 0.125, 0.25, 0.375])
    assert d.w_plus.shape == (4, 3)
    for steps in (2.5, 0, True):
        with pytest.raises(ValueError, match="`steps` must be an integer >= 1"):
            S.sign_descent(hand_problem(), ALPHA, 0.0, 0.125, steps)


def test_sign_flow_hitting_time_of_a_small_label_depth_3():
    # H = 3, |y| = 1e-4, A = 2: 2 (6 alpha^2 t + 2 t^3) = 1e-4, t* ~ 1.3e-4, solved here by
    # Newton's method on that cancellation-free form; the bracketing must reach relative
    # precision, not an absolute tolerance of ~1e-12
    P = S.Problem([[1.5, -0.5]], [1e-4])
    t = 1e-4 / (12 * ALPHA**2)
    for _ in range(4):
        t -= (2 * (6 * ALPHA**2 * t + 2 * t**3) - 1e-4) / (2 * (6 * ALPHA**2 + 6 * t**2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = S.sign_flow_hitting_times(P, ALPHA, depth=3)[0]
    assert abs(got - t) <= 1e-11 * t, (got, t)


@pytest.mark.parametrize("Y", [0.1, 1e-4, 1e-15, 1e-30, 1e-100])
def test_sign_flow_hitting_times_of_tiny_labels_depth_3_and_4(Y):
    # While t <= alpha the hitting time solves a depressed cubic t^3 + p t = q, whose real root
    # is 2 sqrt(p/3) sinh(asinh((3 q / 2 p) sqrt(3 / p)) / 3), accurate to a few ulps for any q:
    # H = 3: 2 A (3 alpha^2 t + t^3) = Y, p = 3 alpha^2, q = Y / (2 A);
    # H = 4: 8 A (alpha^3 t + alpha t^3) = Y, p = alpha^2, q = Y / (8 A alpha).
    A, ulp = 2.0, np.finfo(float).eps
    P = S.Problem([[1.5, -0.5]], [Y])
    for H, p, q in ((3, 3 * ALPHA**2, Y / (2 * A)), (4, ALPHA**2, Y / (8 * A * ALPHA))):
        ref = 2 * np.sqrt(p / 3) * np.sinh(np.arcsinh(1.5 * q / p * np.sqrt(3 / p)) / 3)
        got = S.sign_flow_hitting_times(P, ALPHA, depth=H)[0]
        assert 0 < got < ALPHA
        assert abs(got - ref) <= 8 * ulp * ref, (H, got, ref, (got - ref) / (ulp * ref))


def test_general_X_default_grid_up_to_t_max():
    Xg, yg = [[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]], [1.0, -0.5]
    tr = S.simulate(S.Problem(Xg, yg), 0.2, 0.02, t_max=3.0)
    np.testing.assert_array_equal(tr.t, np.linspace(0.0, 3.0, 401))
    assert tr.t_converged < 3.0
    np.testing.assert_array_equal(tr.beta[-1], tr.beta_inf)


def test_batches_pass_every_setting_on():
    P = hand_problem()
    # one pass over the lanes of every pair: each trajectory reports the evaluations of all
    b = S.simulate_batch(P, [ALPHA, 0.2], [0.002, 0.01], t_max=2.0)
    one = [S.simulate(P, a, e, t_max=2.0) for a, e in ((ALPHA, 0.002), (0.2, 0.01))]
    assert b[0].nfev == b[1].nfev == one[0].nfev + one[1].nfev
    assert [tr.message for tr in b + one] == ["converged"] * 4
    for tr in b:
        np.testing.assert_array_equal(tr.t, np.linspace(0.0, 2.0, 401))
    # gradient flow in a batch
    g = S.simulate_batch(P, [ALPHA, 0.2], 0.01, method="gd", t_eval=[0.0, 1.0])
    assert [tr.method for tr in g] == ["gd", "gd"] and np.isnan(g[1].T0)
    # a batch with eps = 0 is run pair by pair, with the depth, grid and tolerances given
    kw = dict(depth=3, t_max=2.0, rtol=1e-6, atol=1e-8)
    m = S.simulate_batch(P, ALPHA, [0.0, 0.01], **kw)
    assert [tr.depth for tr in m] == [3, 3] and m[0].method == "sign"
    for tr in m:
        np.testing.assert_array_equal(tr.t, np.linspace(0.0, 2.0, 401))
    assert m[1].nfev == S.simulate(P, ALPHA, 0.01, **kw).nfev
    assert m[1].nfev not in (S.simulate(P, ALPHA, 0.01, depth=3, rtol=1e-6).nfev,
                             S.simulate(P, ALPHA, 0.01, depth=3, atol=1e-8).nfev)
    # general data are run pair by pair too
    G = S.Problem([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]], [1.0, -0.5])
    gg = S.simulate_batch(G, 0.2, 0.02, method="gd", t_eval=[0.0, 1.0])
    assert gg[0].method == "gd" and np.isnan(gg[0].T0) and np.isnan(gg[0].T)


def test_general_X_stage_conditions_holding_with_equality_at_zero():
    # dyadic data: at w = alpha the gradients alpha |X^T y| are exact, and eps equal to their
    # smallest (largest) value makes min |grad_u| <= eps (max |grad_v| <= eps) hold at t = 0
    # with equality: that stage time is 0, although min |grad_u| first grows here
    X = np.array([[1.0, 0.5, -0.25], [0.25, -1.0, 0.75]])
    y = np.array([1.0, -0.5])
    P = S.Problem(X, y)
    assert P.blocks is None
    g = ALPHA * np.abs(X.T @ y)
    np.testing.assert_array_equal(g, [0.21875, 0.25, 0.15625])
    tr = S.simulate(P, ALPHA, g.min(), t_eval=[0.0, 0.5])
    assert tr.T == 0.0 and tr.T0 > 0.05
    np.testing.assert_array_equal(np.abs(tr.grad_u[0]), g)
    tr = S.simulate(P, ALPHA, g.max(), t_eval=[0.0, 0.5])
    assert tr.T0 == 0.0 and tr.T == 0.0


def test_fields_of_general_data_with_many_rows():
    # nine rows without block structure: the residual and the gradients of the recorded
    # iterates, against y - X beta and eq. (8) written here
    rng = np.random.default_rng(5)
    X = rng.normal(size=(9, 10))
    y = rng.normal(size=9)
    P = S.Problem(X, y)
    assert P.blocks is None
    d = S.sign_descent(P, 0.3, 0.05, 0.01, 3)
    assert d.success and d.message == "3 steps"
    check_fields(d, X, y, d.w_plus, d.w_minus, 2, 1e-14)
