"""Values of ssdlib.steepest pinned to hand derivations and to independent reference solutions.

Closed forms: the sign flow on the hand instance of tests/test_pinned_flow.py, mirror maps and
potentials at points where the powers are integers, escape-time formulas on X = [[1]], y = [1]
(rho_0 = -1/2). References: Radau at rtol 1e-13 on the steepest flow written here from its
definition ``dw/dt = -g (|g| + eps)^(q-2)``, and a quadrature of the separable depth-2 gradient
flow. Errors are measured in tolerance units.
"""

from __future__ import annotations

import functools
import math
import warnings
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp

from ssdlib import steepest as st
from ssdlib.steepest._model import _check_positive, _dphi, _phi
from ssdlib.steepest.flows import _make_field

X_HAND = np.array([[1.5, -0.5, 0.0], [0.0, 0.0, 2.0]])
Y_HAND = np.array([0.25, -4.5])
ALPHA = 0.25
ONE = (np.array([[1.0]]), np.array([1.0]))


def test_sign_flow_closed_form_on_the_whole_grid():
    # t* = (1/8, 5/4) (tests/test_pinned_flow.py); sgn(x_i y) = (+, -, -); a zero column keeps
    # its weights at alpha
    X = np.hstack([X_HAND, np.zeros((2, 1))])
    t = np.linspace(0.0, 1.5, 25)
    w, beta, t_stop = st.sign_flow_closed_form((X, Y_HAND), ALPHA, t)
    np.testing.assert_allclose(t_stop, [0.125, 0.125, 1.25, 0.0], rtol=0, atol=1e-16)
    tau = np.minimum(t[:, None], np.array([0.125, 0.125, 1.25]))
    U, V = ALPHA + tau, np.maximum(ALPHA - tau, 0.0)
    wp = np.column_stack([U[:, 0], V[:, 1], V[:, 2], np.full(t.size, ALPHA)])
    wm = np.column_stack([V[:, 0], U[:, 1], U[:, 2], np.full(t.size, ALPHA)])
    np.testing.assert_allclose(w[:, 0], wp, rtol=0, atol=1e-15)
    np.testing.assert_allclose(w[:, 1], wm, rtol=0, atol=1e-15)
    np.testing.assert_allclose(beta, wp**2 - wm**2, rtol=0, atol=1e-15)
    # through steepest_flow (tied and untied agree; layers repeated)
    for tied in (True, False):
        tr = st.steepest_flow((X, Y_HAND), ALPHA, 1.0, t_eval=t, tied=tied)
        assert tr.closed_form and tr.nfev == 0 and tr.njev == 0 and tr.w.shape == (25, 2, 2, 4)
        assert tr.message == "closed-form sign flow (q = 1, eps = 0)" and tr.success
        np.testing.assert_allclose(tr.w[:, :, 1], w, rtol=0, atol=1e-15)
        r = beta @ X.T - Y_HAND
        np.testing.assert_allclose(tr.loss, 0.25 * np.sum(r**2, axis=1), rtol=1e-14, atol=1e-17)
        np.testing.assert_array_equal(tr.x, tr.beta)
    # depth 3: block 1 stops at 2.25^(1/3) - 1/4 after v = 0
    _, _, ts = st.sign_flow_closed_form((X_HAND, Y_HAND), ALPHA, [0.0], depth=3)
    assert abs(ts[2] - (2.25 ** (1 / 3) - 0.25)) < 1e-15


def reference(X, y, alpha, q, eps, t, *, L=2, tied=True, lam=0.0, decoupled=True):
    """Radau (rtol 1e-13) on dw/dt = -phi(g) with phi(g) = g (|g| + eps)^(q-2).

    Cached: it depends on numpy and scipy only, so a process that has run the tests once
    (e.g. the parent of mutation-testing workers) keeps the solutions."""
    X, y, t = (np.asarray(a, dtype=float) for a in (X, y, t))
    return _reference(X.tobytes(), X.shape, y.tobytes(), alpha, q, eps, t.tobytes(), L, tied,
                      lam, decoupled).copy()


@functools.cache
def _reference(Xb, shape, yb, alpha, q, eps, tb, L, tied, lam, decoupled):
    X, y, t = np.frombuffer(Xb).reshape(shape), np.frombuffer(yb), np.frombuffer(tb)
    D = X.shape[1]
    K = 1 if tied else L

    def grad(W):
        if tied:
            x = W[0, 0] ** L - W[1, 0] ** L
        else:
            x = np.prod(W[0], axis=0) - np.prod(W[1], axis=0)
        rho = 0.5 * X.T @ (X @ x - y)
        G = np.empty_like(W)
        for p, sgn in ((0, 1.0), (1, -1.0)):
            for k in range(K):
                others = L * W[p, 0] ** (L - 1) if tied else np.prod(np.delete(W[p], k, 0), 0)
                G[p, k] = sgn * others * rho
        return G

    def phi(g):
        return g * (np.abs(g) + eps) ** (q - 2.0)

    def rhs(_t, w):
        W = w.reshape(2, K, D)
        G = grad(W)
        out = -phi(G) - lam * W if decoupled else -phi(G + lam * W)
        return out.reshape(-1)

    sol = solve_ivp(rhs, (0, t[-1]), np.full(2 * K * D, alpha), method="Radau", rtol=1e-13,
                    atol=1e-15, t_eval=t)
    assert sol.success
    return sol.y.T.reshape(len(t), 2, K, D)


PROB = (np.array([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]]), np.array([1.0, -0.5]))


@pytest.mark.parametrize("q,eps,L,tied,lam,decoupled", [
    (2.0, 0.0, 2, True, 0.0, True),     # gradient flow, eqs. (9)-(10)
    (1.0, 0.05, 2, True, 0.0, True),    # the SSD flow, eq. (16)
    (1.5, 0.1, 3, True, 0.0, True),
    (2.0, 0.0, 2, False, 0.0, True),    # independent layers
    (1.0, 0.05, 2, True, 0.2, True),    # decoupled weight decay
    (1.0, 0.05, 2, True, 0.2, False),   # coupled weight decay
])
def test_steepest_flow_against_radau(q, eps, L, tied, lam, decoupled):
    X, y = PROB
    t = np.linspace(0.0, 1.0, 11)
    ref = reference(X, y, 0.3, q, eps, t, L=L, tied=tied, lam=lam, decoupled=decoupled)
    tr = st.steepest_flow(PROB, 0.3, q, depth=L, eps=eps, tied=tied, weight_decay=lam,
                          decoupled=decoupled, t_eval=t, method="Radau", rtol=1e-11,
                          atol=1e-13)
    W = tr.w if not tied else tr.w[:, :, :1]
    err = np.max(np.abs(W - ref)) / 1e-8
    assert err < 1, f"{err:.2f} tolerance units"
    if tied:
        beta = ref[:, 0, 0] ** L - ref[:, 1, 0] ** L
    else:
        beta = np.prod(ref[:, 0], axis=1) - np.prod(ref[:, 1], axis=1)
    assert np.max(np.abs(tr.beta - beta)) < 1e-8
    r = beta @ X.T - y
    assert np.max(np.abs(tr.loss - 0.25 * np.sum(r**2, axis=1))) < 1e-8
    assert tr.q == q and tr.eps == eps and tr.depth == L and not tr.closed_form
    assert tr.tied is tied and tr.decoupled is decoupled
    assert isinstance(tr.njev, int) and tr.njev >= 1 and tr.nfev > tr.njev


def test_balance_is_conserved_from_an_unbalanced_start():
    # untied gradient flow (q = 2, eps = 0): |w_0|^2 - |w_1|^2 stays at its start,
    # alpha^2 (1 - 4) = -3/4 for layers (alpha, 2 alpha), alpha = 1/2; the minus branch is balanced
    init = np.array([[[1.0], [2.0]], [[1.0], [1.0]]])
    tr = st.steepest_flow(ONE, 0.5, 2.0, tied=False, init=init, t_eval=np.linspace(0, 3, 7))
    np.testing.assert_allclose(st.balance(tr), -0.75, rtol=0, atol=1e-8)
    np.testing.assert_allclose(st.balance(tr, 1, 0), 0.75, rtol=0, atol=1e-8)
    np.testing.assert_allclose(st.balance(tr, branch=1), 0.0, rtol=0, atol=1e-8)


def test_escape_exponent_table():
    # m = (L-1)(q'-1), q' = 2 when eps > 0; slope -(m - 1) if m > 1 else 0
    cases = [((2.0, 3), -1.0), ((2.0, 2), 0.0), ((1.0, 3), 0.0), ((1.5, 5), -1.0),
             ((1.5, 2), 0.0), ((2.0, 6), -4.0)]
    for (q, L), slope in cases:
        assert st.escape_exponent(q, L) == slope, (q, L)
    assert st.escape_exponent(1.0, 4, eps=0.1) == -2.0
    assert st.escape_exponent(1.0, 2, eps=0.1) == 0.0


def test_escape_time_prediction_hand_values():
    alpha = 0.1
    # q = 2, L = 3: m = 2, C|rho_0| = 3/2 (tied) or 1/2: t = alpha^-1 / (C|rho_0|)
    assert abs(st.escape_time_prediction(ONE, alpha, 2.0, depth=3) - 10 / 1.5) < 1e-12
    assert abs(st.escape_time_prediction(ONE, alpha, 2.0, depth=3, tied=False) - 20) < 1e-12
    # q = 2, L = 2: m = 1, t = log(1/alpha) / (2 * 1/2)
    assert abs(st.escape_time_prediction(ONE, alpha, 2.0) - math.log(10)) < 1e-12
    # SSD: gradient-flow-like with the prefactor eps
    assert abs(st.escape_time_prediction(ONE, alpha, 1.0, depth=3, eps=0.01) - 0.1 / 1.5) < 1e-12
    # q = 1.5, L = 3: m = 1, C^(q-1) = sqrt(3 * 1/2)
    assert abs(st.escape_time_prediction(ONE, alpha, 1.5, depth=3)
               - math.log(10) / math.sqrt(1.5)) < 1e-12
    # sign flow: the exact time, (alpha + t)^2 = 1 - sqrt(1/2) once v = 0 (2 alpha < that root)
    t_sign = math.sqrt(1 - math.sqrt(0.5)) - alpha
    assert abs(st.escape_time_prediction(ONE, alpha, 1.0) - t_sign) < 1e-12
    with pytest.raises(ValueError, match="no leading-order formula"):
        st.escape_time_prediction(ONE, alpha, 1.5, depth=2)


def test_escape_times_sign_flow_and_gradient_flow():
    # sign flow, two alphas: 2 alpha = 0.6 > sqrt(1 - sqrt(1/2)) = 0.541 for alpha = 0.3, so the
    # level is reached while v > 0: 4 alpha t = 1 - sqrt(1/2)
    got = st.escape_times(ONE, [0.1, 0.3], 1.0)
    np.testing.assert_allclose(got, [math.sqrt(1 - math.sqrt(0.5)) - 0.1,
                                     (1 - math.sqrt(0.5)) / 1.2], rtol=1e-13)
    # t_max below the escape time: inf
    assert np.isinf(st.escape_times(ONE, [0.1], 1.0, t_max=0.3)[0])
    # gradient flow, L = 2 tied: u v = alpha^2, dx/dt = -2 (x - 1) sqrt(x^2 + 4 alpha^4);
    # the loss halves at x = 1 - sqrt(1/2). With x = 2 alpha^2 sinh(s):
    # t = int_0^asinh(x / (2 alpha^2)) ds / (2 (1 - 2 alpha^2 sinh s)).
    # alpha = 1e-6 escapes after t = 14.6, past the first horizon (10) of the search.
    x_end = 1 - math.sqrt(0.5)
    for alpha in (0.1, 1e-6):
        c = 2 * alpha**2
        t_ref, _ = quad(lambda s, c=c: 1 / (2 * (1 - c * math.sinh(s))), 0, math.asinh(x_end / c),
                        epsabs=1e-14, epsrel=1e-13)
        got = st.escape_times(ONE, [alpha], 2.0, method="Radau")[0]
        assert abs(got / t_ref - 1) < 1e-7, (alpha, got, t_ref)


def test_fit_escape_slope_recovers_exact_laws():
    a = np.array([1e-3, 1e-2, 1e-1])
    s, b = st.fit_escape_slope(a, 3.0 * a**-2.0)
    assert abs(s + 2.0) < 1e-12 and abs(b - math.log(3.0)) < 1e-12
    s, b = st.fit_escape_slope(a, 2.0 * np.log(1 / a) + 5.0, scale="semilog")
    assert abs(s - 2.0) < 1e-12 and abs(b - 5.0) < 1e-12


def test_mirror_maps_and_potentials_hand_values():
    # beta = 7, v = 1, L = 3: u = (7 + 1)^(1/3) = 2
    b, v = np.array([7.0, -7.0]), np.array([1.0, 1.0])
    # q = 1: h(u) = u, Phi = L/(L+1) (u^4 - v^4) per coordinate
    np.testing.assert_allclose(st.mirror_map(b, 1.0, 3, v=v), [2.0, -2.0], rtol=1e-15)
    assert abs(st.mirror_potential(b, 1.0, 3, v=v) - 2 * 0.75 * 15) < 1e-13
    # q = 2, L = 3: k = -1, h = u^-1 / (-C), C = 3 (tied) or 1; Phi = L (u^2 - v^2)/(k C 2)
    np.testing.assert_allclose(st.mirror_map(b, 2.0, 3, v=v), [-1 / 6, 1 / 6], rtol=1e-15)
    np.testing.assert_allclose(st.mirror_map(b, 2.0, 3, v=v, tied=False), [-0.5, 0.5],
                               rtol=1e-15)
    assert abs(st.mirror_potential(b, 2.0, 3, v=v) - 2 * (-1.5)) < 1e-13
    assert abs(st.mirror_potential(b, 2.0, 3, v=v, tied=False) - 2 * (-4.5)) < 1e-13
    # q = 2, L = 2: k = 0, h = log(u) / C, C = 2; Phi = (u^2 log u - u^2/2 - (v^2 log v - v^2/2))/C
    b2 = np.array([math.e**2 - 1.0])
    np.testing.assert_allclose(st.mirror_map(b2, 2.0, 2, v=1.0), [0.5], rtol=1e-15)
    expected = ((math.e**2 * 1.0 - math.e**2 / 2) - (0.0 - 0.5)) / 2
    assert abs(st.mirror_potential(b2, 2.0, 2, v=1.0) - expected) < 1e-13
    # v = 0 at k = 0: the v-term is the limit 0
    assert abs(st.mirror_potential(b2 + 1.0, 2.0, 2) - (math.e**2 / 2) / 2) < 1e-13
    # the paper's potential (|beta| + v^H)^(2 - 1/H) and its gradient
    assert abs(st.paper_potential(b, 3, v=v) - 2 * 32.0) < 1e-12
    np.testing.assert_allclose(st.paper_mirror_map(b, 3, v=v), [20 / 3, -20 / 3], rtol=1e-15)


def test_dual_dynamics_check_on_the_exact_sign_flow():
    # along the closed-form sign flow the dual variable u moves at unit speed against sign(rho):
    # the check of the correct potential is exact; the paper's depth-3 potential is not
    t = np.linspace(0.0, 0.1, 11)
    tr = st.steepest_flow((X_HAND, Y_HAND), ALPHA, 1.0, depth=3, t_eval=t)
    good = st.dual_dynamics_check(tr, (X_HAND, Y_HAND))
    assert good.error < 1e-12 and abs(good.scale - 1) < 1e-12 and good.mask.any()
    bad = st.dual_dynamics_check(tr, (X_HAND, Y_HAND), potential="paper")
    assert bad.error > 0.1


def test_sparse_regression_and_support_recovery():
    sr = st.sparse_regression(4, 9, 3, seed=5)
    assert sr.X.shape == (4, 9) and sr.support.tolist() == sorted(sr.support.tolist())
    assert np.count_nonzero(sr.beta_star) == 3
    assert np.all((np.abs(sr.beta_star[sr.support]) >= 1) & (np.abs(sr.beta_star[sr.support]) <= 2))
    np.testing.assert_allclose(sr.y, sr.X @ sr.beta_star, rtol=1e-14)
    noisy = st.sparse_regression(4, 9, 3, seed=5, noise=0.5)
    np.testing.assert_array_equal(noisy.X, sr.X)
    assert np.max(np.abs(noisy.y - sr.y)) > 1e-3
    star = np.array([1.0, 0.0, -2.0, 0.0])
    assert st.support_recovery([3.0, -0.1, 2.0, 0.0], star) == 1.0
    assert st.support_recovery([3.0, 2.5, 0.1, 0.0], star) == 0.5
    np.testing.assert_array_equal(
        st.support_recovery([[3.0, 2.5, 0.1, 0.0], [0.0, 0.0, 1.0, 1.0]], star), [0.5, 0.5])


def test_final_iterate_takes_ceil_of_the_horizon_steps():
    # sign descent on X = [[1]], y = [1] from 1/2 with eta = 1/10: ceil(0.25 / 0.1) = 3 steps,
    # u = 0.8, v = 0.2, beta = 0.6, loss 1/4 (0.4)^2
    beta, loss = st.final_iterate(ONE, "sign", 0.5, 0.1, 0.25)
    assert abs(beta[0] - 0.6) < 1e-14 and abs(loss - 0.04) < 1e-14
    beta, _ = st.final_iterate(ONE, "sign", 0.5, 0.1, 0.2000001)
    assert abs(beta[0] - 0.6) < 1e-14


def test_potentials_batch_defaults_and_no_warnings():
    # a batch of two points; v = 0 by default: paper (|beta|)^(2 - 1/H), steepest q = 1:
    # L/(L+1) |beta|^(1 + 1/L)
    b = np.array([[8.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(st.paper_potential(b, 3), [32.0, 2.0], rtol=1e-15)
    np.testing.assert_allclose(st.mirror_potential(b, 1.0, 3), [0.75 * 16, 1.5], rtol=1e-15)
    np.testing.assert_allclose(st.paper_mirror_map(b, 3), [[20 / 3, 0.0], [5 / 3, 5 / 3]],
                               rtol=1e-15)
    # k = 0 (q = 2, L = 2) with v = 0 and a zero coordinate: the limits, without warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = st.mirror_potential(np.array([[0.0, math.e**2]]), 2.0, 2)
    np.testing.assert_allclose(got, [(math.e**2 / 2) / 2], rtol=1e-14)


def test_integer_input_is_taken_as_float():
    # 10**10 squared overflows int64; the potentials must compute in floating point
    big = 10**10
    assert st.paper_potential([1.0], 2, v=big) == st.paper_potential([1.0], 2, v=1e10)
    assert st.mirror_potential([1.0], 1.0, 2, v=big) == st.mirror_potential([1.0], 1.0, 2, v=1e10)
    assert st.paper_potential([big], 2) == st.paper_potential([1e10], 2)
    assert st.mirror_map([1.0], 1.0, 2, v=big) == st.mirror_map([1.0], 1.0, 2, v=1e10)


def test_sign_flow_stop_time_before_v_vanishes_depth_3():
    # block 0 of the hand data with |y| = 0.1 and depth 3 stops while v > 0, at the root of
    # 4 t^3 + 0.75 t - 0.1 = 0 (tests/test_pinned_flow.py)
    roots = np.roots([4.0, 0.0, 0.75, -0.1])
    t0 = float(roots[np.abs(roots.imag) < 1e-12].real.max())
    _, _, ts = st.sign_flow_closed_form((X_HAND, [0.1, -4.5]), ALPHA, [0.0], depth=3)
    assert abs(ts[0] - t0) < 1e-15


def test_escape_times_more_rows_fraction_and_t_max():
    # two identical rows: the loss is twice one row's, its level too, so the time is that of
    # one row; the sign flow closed form (alpha = 0.1, v = 0 before the level)
    got = st.escape_times((np.eye(2), np.ones(2)), [0.1], 1.0)
    assert abs(got[0] - (math.sqrt(1 - math.sqrt(0.5)) - 0.1)) < 1e-13
    # fraction 1/4: (alpha + t)^2 = 1 - 1/2
    t_q = st.escape_time_prediction(ONE, 0.1, 1.0, fraction=0.25)
    assert abs(t_q - (math.sqrt(0.5) - 0.1)) < 1e-13
    # q = 2 ignores eps (phi(g) = g): the gradient-flow prediction
    assert abs(st.escape_time_prediction(ONE, 0.1, 2.0, depth=3, eps=0.5) - 10 / 1.5) < 1e-12
    # gradient flow escapes at t = 2.3 (alpha = 0.1): not within t_max = 1
    assert np.isinf(st.escape_times(ONE, [0.1], 2.0, t_max=1.0)[0])
    assert np.isfinite(st.escape_times(ONE, [0.1], 2.0, t_max=3.0)[0])


def test_dual_dynamics_check_prediction_and_noise_of_sparse_regression():
    t = np.linspace(0.0, 0.1, 11)
    tr = st.steepest_flow((X_HAND, Y_HAND), ALPHA, 1.0, t_eval=t)
    chk = st.dual_dynamics_check(tr, (X_HAND, Y_HAND))
    rho = 0.5 * (tr.beta @ X_HAND.T - Y_HAND) @ X_HAND
    np.testing.assert_array_equal(chk.predicted, -np.sign(rho[1:-1]))
    np.testing.assert_array_equal(chk.t, t[1:-1])
    noisy = st.sparse_regression(4, 9, 3, seed=5, noise=0.5)
    clean = st.sparse_regression(4, 9, 3, seed=5)
    assert np.ptp(noisy.y - clean.y) > 1e-3


def test_explore_flow_with_its_sign_flow_reference():
    traj, sign_loss = st.explore_flow(ONE, 0.5, 2.0)
    np.testing.assert_array_equal(traj.t, np.r_[0.0, np.geomspace(1e-3, 1e5, 240)])
    ref = st.steepest_flow(ONE, 0.5, 2.0, t_eval=traj.t)
    np.testing.assert_allclose(traj.loss, ref.loss, rtol=1e-9, atol=1e-15)
    # the sign flow from alpha = 1/2: (1/2 + t)^2 - max(1/2 - t, 0)^2 = 2t while t <= 1/2,
    # reaching x = 1 at t = 1/2
    x = np.where(traj.t < 0.5, 2 * traj.t, 1.0)
    np.testing.assert_allclose(sign_loss, 0.25 * (x - 1) ** 2, rtol=1e-12, atol=1e-15)
    # without a closed form (a column in two rows) there is no reference
    _, none = st.explore_flow((np.array([[1.0, 1.0], [1.0, -1.0]]), np.ones(2)), 0.5, 2.0,
                              t_eval=[0.0, 1.0])
    assert none is None


def test_depth_sparsity_experiment_records_per_seed_and_depth():
    methods = {"gd": (2.0, 0.0)}
    ex = st.depth_sparsity_experiment([3, 4], [2, 3], methods, shape=(2, 4, 1), alpha=0.3,
                                      t_eval=np.r_[0.0, np.geomspace(1e-2, 1e3, 60)])
    assert ex.recovery["gd"].shape == ex.active["gd"].shape == ex.ray["gd"].shape == (2, 2)
    np.testing.assert_array_equal(ex.depths, [2, 3])
    for i, seed in enumerate([3, 4]):
        reg = st.sparse_regression(2, 4, 1, seed=seed)
        c = np.abs(reg.X.T @ reg.y) / 2  # |rho_0|
        for j, L in enumerate([2, 3]):
            assert abs(ex.g0_min[i, j] - L * 0.3 ** (L - 1) * c.min()) < 1e-14
            assert abs(ex.g0_max[i, j] - L * 0.3 ** (L - 1) * c.max()) < 1e-14
    assert np.all((ex.recovery["gd"] >= 0) & (ex.recovery["gd"] <= 1))


def test_sign_flow_escape_with_a_row_without_active_columns():
    # X = [[1, 0], [0, 0]]: row 1 has no active column and keeps its residual -y_1 = -2.
    # loss(t) = ((g - 1)^2 + 4) / 4 with g = (alpha + t)^2 once v = 0; loss0 = 5/4.
    # fraction 0.9: (g - 1)^2 = 4 (0.9 * 5/4) - 4 = 1/2, g = 1 - sqrt(1/2) > (2 alpha)^2
    X = np.array([[1.0, 0.0], [0.0, 0.0]])
    got = st.escape_times((X, np.array([1.0, 2.0])), [0.1], 1.0, fraction=0.9)
    assert abs(got[0] - (math.sqrt(1 - math.sqrt(4 * 0.9 * 1.25 - 4)) - 0.1)) < 1e-13
    # label 1 instead of 2: loss0 = 1/2, the loss ends at exactly 1/4 at the stop time
    # t* = 1 - alpha (g = 1): fraction 1/2 is reached there, and nowhere before
    y = np.array([1.0, 1.0])
    assert st.escape_times((X, y), [0.1], 1.0)[0] == 1.0 - 0.1
    # t_max equal to the escape time is within the horizon, just below it is not
    assert st.escape_times((X, y), [0.1], 1.0, t_max=1.0 - 0.1)[0] == 1.0 - 0.1
    assert np.isinf(st.escape_times((X, y), [0.1], 1.0, t_max=0.8999)[0])
    # no active column at all: the loss never moves
    assert np.isinf(st.escape_times((np.zeros((1, 1)), [1.0]), [0.1], 1.0)[0])
    # Brent's method on the closed form runs without warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st.escape_times(ONE, [0.1, 0.3], 1.0)


def test_escape_times_input_checks_and_unbalanced_start():
    for bad in ([0.0], [-0.1], [np.nan], [np.inf], [[0.1]]):
        with pytest.raises(ValueError, match=r"`alphas` must be a 1-dimensional array"):
            st.escape_times(ONE, bad, 2.0)
    with pytest.raises(ValueError, match=r"`t_max` must be a real number"):
        st.escape_times(ONE, [0.1], 2.0, t_max="a")
    with pytest.raises(ValueError, match=r"`t_max` must be > 0; got 0.0"):
        st.escape_times(ONE, [0.1], 1.0, t_max=0.0)
    # fraction in the open interval (0, 1)
    for f in (0.0, 1.0):
        with pytest.raises(ValueError, match=r"`fraction` must lie in \(0, 1\)"):
            st.escape_times(ONE, [0.1], 1.0, fraction=f)
    # an unbalanced start: x(0) = (alpha u)^2 - (alpha v)^2 = 4 = y fits the data at t = 0
    init = np.array([[[2.0]], [[0.0]]])
    with pytest.raises(ValueError, match="initial loss is 0"):
        st.escape_times((np.array([[1.0]]), np.array([4.0])), [1.0], 2.0, init=init)


def test_escape_times_horizon_grows_tenfold_to_1e13():
    # tied gradient flow, depth 3, X = [[1]], y = [1]: u' = 3/2 u^2 near the saddle, so the
    # escape time is 1/(1.5 alpha) - O(1); the search horizon grows 10, 100, ..., 1e13
    T = 0.9e13
    got = st.escape_times(ONE, [1 / (1.5 * T)], 2.0, depth=3, atol=1e-30)[0]
    assert abs(got / T - 1) < 1e-6
    assert np.isinf(st.escape_times(ONE, [1 / (1.5 * 1.05e13)], 2.0, depth=3, atol=1e-30)[0])


def test_escape_exponent_and_prediction_edge_cases():
    # m = 1 (q = 2, H = 2; q = 1.5, H = 3): logarithmic, slope +0.0
    for q, L in ((2.0, 2), (1.5, 3)):
        s = st.escape_exponent(q, L)
        assert s == 0.0 and math.copysign(1.0, s) == 1.0
    # sign flow at depth 3 from alpha = 0.1: (alpha + t)^3 = 1 - sqrt(1/2) once v = 0
    # ((2 alpha)^3 = 0.008 is below it)
    t_sign = (1 - math.sqrt(0.5)) ** (1 / 3) - 0.1
    assert abs(st.escape_time_prediction(ONE, 0.1, 1.0, depth=3) - t_sign) < 1e-13


def test_fit_escape_slope_input_checks():
    # two points suffice: the line through them
    s, b = st.fit_escape_slope([0.01, 0.1], [100.0, 10.0])
    assert abs(s + 1.0) < 1e-12 and abs(b) < 1e-12
    for a, t in (([0.1], [1.0]), ([[0.1, 0.2], [0.3, 0.4]], [[1.0, 2.0], [3.0, 4.0]]),
                 ([0.1, 0.2], [1.0, 2.0, 3.0]), ([0.1, 0.2, 0.3], [1.0, 2.0])):
        with pytest.raises(ValueError, match=r"`alphas` and `times` must be 1-dimensional"):
            st.fit_escape_slope(a, t)
    for a, t in (([0.0, 0.1], [1.0, 2.0]), ([-0.1, 0.1], [1.0, 2.0]), ([0.1, 0.2], [0.0, 1.0]),
                 ([0.1, 0.2], [-1.0, 1.0])):
        with pytest.raises(ValueError, match=r"`times` and `alphas` must be finite and > 0"):
            st.fit_escape_slope(a, t)


def test_sparse_regression_follows_its_recipe_and_checks_its_arguments():
    # the documented recipe, drawn here from the same seeded generator
    for seed, noise in ((0, 0.0), (7, 0.3)):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((3, 6))
        support = np.sort(rng.choice(6, size=2, replace=False))
        beta = np.zeros(6)
        beta[support] = rng.uniform(1.0, 2.0, 2) * rng.choice([-1.0, 1.0], 2)
        y = X @ beta + noise * rng.standard_normal(3)
        kw = {"noise": noise, "seed": seed} if seed else {}  # seed 0, noise 0: the defaults
        sr = st.sparse_regression(3, 6, 2, **kw)
        np.testing.assert_array_equal(sr.X, X)
        np.testing.assert_array_equal(sr.support, support)
        np.testing.assert_array_equal(sr.beta_star, beta)
        np.testing.assert_array_equal(sr.y, y)
    # k distinct positions, magnitudes in [1, 2], both signs over many draws
    big = st.sparse_regression(5, 40, 40, seed=1)
    np.testing.assert_array_equal(big.support, np.arange(40))
    mag = np.abs(big.beta_star)
    assert mag.min() >= 1.0 and mag.max() <= 2.0 and np.ptp(mag) > 0.5
    assert (big.beta_star > 0).any() and (big.beta_star < 0).any()
    # N < D and k <= D: the boundary values are accepted, one beyond is not
    assert st.sparse_regression(4, 5, 5).X.shape == (4, 5)
    with pytest.raises(ValueError, match=r"`n_samples` must be < `n_features`"):
        st.sparse_regression(5, 5, 2)
    with pytest.raises(ValueError, match=r"`n_nonzero` must be <= `n_features`; got 6"):
        st.sparse_regression(2, 5, 6)
    with pytest.raises(ValueError, match=r"`n_features` must be an integer >= 1"):
        st.sparse_regression(3, 0, 1)
    with pytest.raises(ValueError, match=r"`noise` must be a real number"):
        st.sparse_regression(3, 5, 1, noise="a")
    with pytest.raises(ValueError, match=r"`noise` must be >= 0"):
        st.sparse_regression(3, 5, 1, noise=-0.1)


def test_support_recovery_ties_shapes_and_types():
    # ties in |beta| go to the lower index (a stable sort, also beyond 16 entries)
    beta = np.tile([1.0, 2.0], 9)
    star = np.zeros(18)
    star[[1, 3, 5]] = 1.0
    assert st.support_recovery(beta, star) == 1.0
    star[5], star[7] = 0.0, 1.0
    assert st.support_recovery(beta, star) == 2 / 3
    # a single estimate gives a Python float
    assert type(st.support_recovery([0.0, 3.0], [0.0, 1.0])) is float
    # estimates of unsigned or boolean type are taken as numbers
    assert st.support_recovery(np.array([0, 5], dtype=np.uint8), [0.0, 1.0]) == 1.0
    assert st.support_recovery(np.array([False, True, True]), [0.0, 1.0, 1.0]) == 1.0
    # beta_star must be one-dimensional even when its first axis matches
    with pytest.raises(ValueError, match=r"`beta` must have shape \(D,\) or \(T, D\)"):
        st.support_recovery(np.ones(3), np.eye(3))


def test_active_share_boundaries():
    # the loss first falls by half (4 -> 2, reached with equality) at index 1, where only
    # |beta| = 1 exceeds rel * max = 1/2 (1/2 itself does not)
    beta = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 0.5, 0.25, 0.0], [1.0, 1.0, 1.0, 1.0]])
    tr = SimpleNamespace(t=np.arange(3.0), beta=beta, loss=np.array([4.0, 2.0, 0.0]))
    assert st.active_share(tr, drop=0.5, rel=0.5) == 0.25
    assert st.active_share(tr, drop=0.5, rel=0.2) == 0.75
    for name, kw in (("drop", {"drop": 0.0}), ("drop", {"drop": 1.0}), ("rel", {"rel": 0.0}),
                     ("rel", {"rel": 1.0})):
        with pytest.raises(ValueError, match=rf"`{name}` must lie in \(0, 1\)"):
            st.active_share(tr, **kw)


def test_ray_deviation_on_a_constructed_path():
    # X = [[1, 1], [0, 1]], y = (1, 1): sgn(X^T y) = (1, 1), rho = X^T r / 2 with
    # r = (b0 + b1 - 1, b1 - 1), so sign(rho) = (sign r0, sign(r0 + r1)) = (-, -) at the start
    X, y = np.array([[1.0, 1.0], [0.0, 1.0]]), np.array([1.0, 1.0])
    rows = np.array([[0.0, 0.0], [0.1, 0.2], [-1.5, 1.5], [0.3, 0.1], [0.2, 0.3], [0.3, 0.3],
                     [1.2, 0.2]])
    # r at the rows: (-1, -1), (-.7, -.8), (-1, .5), (-.6, -.9), (-.5, -.7), (-.4, -.7),
    # (.4, -.8): rho first changes sign at index 6; half-way is index 3, beta / max = (1, 1/3)
    tr = SimpleNamespace(t=np.arange(7.0), beta=rows)
    assert abs(st.ray_deviation(tr, (X, y)) - 2 / 3) < 1e-15
    # no sign change on the first six rows: half-way through them, index 3
    tr = SimpleNamespace(t=np.arange(6.0), beta=rows[:6])
    assert abs(st.ray_deviation(tr, (X, y)) - 2 / 3) < 1e-15
    # a change at index 2: index max(2 // 2, 1) = 1, beta / max = (1/2, 1)
    tr = SimpleNamespace(t=np.arange(4.0), beta=rows[[0, 1, 6, 3]])
    assert abs(st.ray_deviation(tr, (X, y)) - 0.5) < 1e-15


def test_depth_sparsity_experiment_grid_and_solver_settings():
    # the default grid is 0 and 400 log-spaced times on [1e-3, 1e5]
    grid = np.r_[0.0, np.geomspace(1e-3, 1e5, 400)]
    reg = st.sparse_regression(2, 4, 1, seed=3)
    ex = st.depth_sparsity_experiment([3], [2.0], {"gd": (2.0, 0.0)}, shape=(2, 4, 1), alpha=0.3)
    assert ex.depths.dtype.kind == "i"
    tr = st.steepest_flow(reg, 0.3, 2.0, depth=2, t_eval=grid, rtol=1e-7, atol=1e-12)
    assert ex.ray["gd"][0, 0] == st.ray_deviation(tr, reg)
    assert ex.active["gd"][0, 0] == st.active_share(tr)
    # tolerances are passed on to the flow
    ex = st.depth_sparsity_experiment([3], [2], {"gd": (2.0, 0.0)}, shape=(2, 4, 1), alpha=0.3,
                                      rtol=1e-4, atol=1e-3)
    tr = st.steepest_flow(reg, 0.3, 2.0, depth=2, t_eval=grid, rtol=1e-4, atol=1e-3)
    assert ex.ray["gd"][0, 0] == st.ray_deviation(tr, reg)
    # the recovery is that of the last output time: seed 18 puts the early direction off the
    # support (0) and the limit on it (1)
    t = [0.0, 1e-3, 1e3]
    reg = st.sparse_regression(2, 4, 1, seed=18)
    tr = st.steepest_flow(reg, 0.3, 2.0, depth=2, t_eval=t, rtol=1e-7, atol=1e-12)
    assert st.support_recovery(tr.beta[1], reg.beta_star) == 0.0
    ex = st.depth_sparsity_experiment([18], [2], {"gd": (2.0, 0.0)}, shape=(2, 4, 1), alpha=0.3,
                                      t_eval=t)
    assert ex.recovery["gd"][0, 0] == 1.0


def test_mirror_map_defaults_integers_and_silent_poles():
    # v = 0 by default: q = 1, H = 3 maps 8 to 8^(1/3) = 2
    np.testing.assert_allclose(st.mirror_map([8.0, -8.0], 1.0, 3), [2.0, -2.0], rtol=1e-15)
    # v = 10^10 as a Python int: v^H must not overflow int64
    big = 10**10
    assert st.paper_mirror_map([1.0], 2, v=big) == st.paper_mirror_map([1.0], 2, v=1e10)
    np.testing.assert_allclose(st.paper_mirror_map([1.0], 2, v=big), [1.5 * math.sqrt(1 + 1e20)],
                               rtol=1e-15)
    # boolean estimates are taken as the numbers 0 and 1
    np.testing.assert_array_equal(st.mirror_map(np.array([True, False]), 1.0, 2), [1.0, 0.0])
    np.testing.assert_array_equal(st.paper_mirror_map(np.array([True, False]), 2), [1.5, 0.0])
    # at beta = v = 0, h(0) = log 0 (k = 0) or 0^(-1) (k = -1): the pole itself is silent, only
    # the undefined product sgn(0) h(0) is reported
    for q, L in ((2.0, 2), (2.0, 3)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = st.mirror_map([0.0, 1.0], q, L)
        assert np.isnan(got[0]) and np.isfinite(got[1])
        assert not [w for w in caught if "divide by zero" in str(w.message)], (q, L)


def _handmade(beta, u, v, q, L, tied):
    """A SteepestTrajectory with given beta and branch weights u, v (all layers equal)."""
    beta = np.asarray(beta, dtype=float)
    T, D = beta.shape
    w = np.empty((T, 2, L, D))
    w[:, 0], w[:, 1] = np.asarray(u)[:, None], np.asarray(v)[:, None]
    return st.SteepestTrajectory(np.arange(float(T)), w, beta, np.zeros(T), True, "", 0, 0,
                                 q, L, 0.0, tied, True, False)


def test_dual_dynamics_check_on_a_constructed_trajectory():
    # X = I, y = (4, 2, 0), q = 2: the prediction is -rho = (y - beta)/2; with the identity
    # potential, dtheta is the central difference of beta (times 0..5)
    X, y = np.eye(3), np.array([4.0, 2.0, 0.0])
    pred = np.array([[2.0, 0.5, 1.9e-6], [1.875, 0.5, 1.9e-6], [1.75, 1.0, 1.9e-6],
                     [1.625, 1.0, 1.9e-6], [1.5, 1.0, 1.9e-6], [1.375, 2.0, 1.9e-6]])
    beta = y - 2 * pred
    tr = _handmade(beta, np.full((6, 3), 2.0), np.full((6, 3), 1.0), 2.0, 2, True)
    chk = st.dual_dynamics_check(tr, (X, y), potential=lambda b, v: b, smooth_tol=0.25)
    np.testing.assert_array_equal(chk.t, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(chk.predicted, pred[1:-1])
    np.testing.assert_allclose(chk.dtheta, [[0.25, -0.5, 0.0], [0.25, -0.5, 0.0],
                                            [0.25, 0.0, 0.0], [0.25, -1.0, 0.0]], atol=1e-15)
    # max |pred| = 2, so stencils whose prediction moves by at most 0.25 * 2 = 1/2 are kept
    # (column 1 at t = 1, 2 moves by exactly 1/2; at t = 4 by 1); column 2 is below
    # rho_min = 1e-6 max |rho(0)| = 2e-6
    np.testing.assert_array_equal(chk.mask, [[True, True, False], [True, True, False],
                                             [True, True, False], [True, False, False]])
    d = np.array([0.25, -0.5, 0.25, -0.5, 0.25, 0.0, 0.25])
    p = np.array([1.875, 0.5, 1.75, 1.0, 1.625, 1.0, 1.5])
    scale = (d @ p) / (p @ p)
    assert abs(chk.scale - scale) < 1e-15
    assert abs(chk.error - np.max(np.abs(d - p)) / 1.875) < 1e-15
    assert abs(chk.error_fitted - np.max(np.abs(d - scale * p)) / 1.875) < 1e-15
    # the default smooth_tol 0.05 keeps only stencils moving by at most 0.1
    chk = st.dual_dynamics_check(tr, (X, y), potential=lambda b, v: b)
    np.testing.assert_array_equal(chk.mask[:, 1], [False, False, True, False])
    assert not chk.mask[:, 0].any()
    # rho_min given: |rho| = 1/2 at t = 0, 1 in column 1 is kept (>=)
    chk = st.dual_dynamics_check(tr, (X, y), potential=lambda b, v: b, smooth_tol=1.0,
                                 rho_min=0.5)
    np.testing.assert_array_equal(chk.mask[:, 1], [True, True, True, True])
    np.testing.assert_array_equal(chk.mask[:, 2], [False] * 4)


def test_dual_dynamics_check_untied_and_three_times():
    # untied, q = 2, H = 2: k = 0, C = 1, theta = log(u) with u = (beta + v^2)^(1/2), v = 1/2
    beta = np.array([[1.0], [2.0], [3.0]])
    u = np.sqrt(beta + 0.25)
    tr = _handmade(beta, u, np.full((3, 1), 0.5), 2.0, 2, False)
    chk = st.dual_dynamics_check(tr, (np.eye(1), np.array([10.0])), smooth_tol=1.0)
    assert abs(chk.dtheta[0, 0] - (math.log(math.sqrt(3.25)) - math.log(math.sqrt(1.25))) / 2) \
        < 1e-15
    assert chk.mask.tolist() == [[True]]
    # three output times are enough: the exact sign flow on X = [[1]], y = [1] from alpha = 1/2
    # at t = 0.1, 0.2, 0.3, where u = 1/2 + t moves at unit speed and -sign(rho) = 1
    tr = st.steepest_flow(ONE, 0.5, 1.0, t_eval=[0.1, 0.2, 0.3])
    chk = st.dual_dynamics_check(tr, ONE)
    assert abs(chk.scale - 1) < 1e-12 and abs(chk.error) < 1e-12
    with pytest.raises(ValueError, match="at least 3 output times"):
        st.dual_dynamics_check(st.steepest_flow(ONE, 0.5, 1.0, t_eval=[0.1, 0.2]), ONE)


def test_phi_and_its_partial_derivatives():
    # phi(g) = g (|g| + e)^(q-2); at q = 3/2, g = 1, e = 3: phi = 1/2, d/dg = s^(q-3) ((q-1)|g| + e)
    # = (1/2 + 3)/8, d/de = (q-2) g s^(q-3) = -1/16 (s = 4)
    assert _phi(np.array([1.0]), 1.5, 3.0)[0] == 0.5
    dg, de = _dphi(np.array([1.0]), 1.5, 3.0)
    assert dg[0] == 3.5 / 8 and de[0] == -1 / 16
    # central differences at several points, both signs of g
    g, h = np.array([-2.0, -0.7, 0.3, 1.0, 2.5]), 1e-6
    for q, e in ((1.0, 0.3), (1.3, 0.05), (1.7, 1.0)):
        dg, de = _dphi(g, q, e)
        fd_g = (_phi(g + h, q, e) - _phi(g - h, q, e)) / (2 * h)
        fd_e = (_phi(g, q, e + h) - _phi(g, q, e - h)) / (2 * h)
        np.testing.assert_allclose(dg, fd_g, rtol=1e-7)
        np.testing.assert_allclose(de, fd_e, rtol=1e-7, atol=1e-9)
    # q = 2: phi(g) = g, derivatives 1 and 0 everywhere, also at g = e = 0, in g's shape
    dg, de = _dphi(np.zeros(3), 2.0, 0.0)
    assert dg.shape == de.shape == (3,) and de.dtype == float
    np.testing.assert_array_equal(dg, np.ones(3))
    np.testing.assert_array_equal(de, np.zeros(3))
    # e = 0, q < 2: phi(0) = 0 without warnings (0 * 0^(q-2) is not evaluated as 0 * inf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(_phi(np.array([0.0, -4.0]), 1.5, 0.0), [0.0, -2.0])


def test_flow_time_grid_defaults_and_boundaries():
    # default: 501 times on [0, 10]; with t_max only: 501 times on [0, t_max]
    tr = st.steepest_flow(ONE, 0.5, 2.0)
    np.testing.assert_allclose(tr.t, np.arange(501) / 50, rtol=1e-15, atol=1e-15)
    tr = st.steepest_flow(ONE, 0.5, 2.0, t_max=2.0)
    np.testing.assert_allclose(tr.t, np.arange(501) / 250, rtol=1e-15, atol=1e-15)
    # a single output time, and t_eval ending exactly at t_max, are accepted
    ref = reference(ONE[0], ONE[1], 0.5, 2.0, 0.0, [0.0, 0.5])
    tr = st.steepest_flow(ONE, 0.5, 2.0, t_eval=[0.5], method="Radau", rtol=1e-12, atol=1e-14)
    assert tr.t.tolist() == [0.5] and abs(tr.w[0, 0, 0, 0] - ref[1, 0, 0, 0]) < 1e-9
    tr = st.steepest_flow(ONE, 0.5, 2.0, t_eval=[0.0, 0.5], t_max=0.5)
    assert tr.t.tolist() == [0.0, 0.5]
    # the flow is integrated up to the last output time only: a decay that is NaN later is
    # never evaluated
    def decay(t):
        return 0.0 if t <= 0.5 else np.nan

    tr = st.steepest_flow(ONE, 0.5, 2.0, weight_decay=decay, t_eval=[0.0, 0.25, 0.5])
    assert np.all(np.isfinite(tr.w))
    # integer times are returned as floats (closed form), repeated times are allowed there
    tr = st.steepest_flow((X_HAND, Y_HAND), ALPHA, 1.0, t_eval=[0, 1, 1, 2])
    assert tr.t.dtype == float and tr.t.tolist() == [0.0, 1.0, 1.0, 2.0]
    np.testing.assert_array_equal(tr.w[1], tr.w[2])
    # bad times name the argument
    for bad in ([], [[0.0, 1.0]]):
        with pytest.raises(ValueError, match=r"`t_eval` must be 1-dimensional and non-empty"):
            st.steepest_flow(ONE, 0.5, 2.0, t_eval=bad)
    for bad in ([0.0, np.nan], [0.0, np.inf], [-0.1, 1.0], [0.0, 2.0, 1.0]):
        with pytest.raises(ValueError, match=r"`t_eval` must be finite, >= 0 and non-decreasing"):
            st.steepest_flow(ONE, 0.5, 2.0, t_eval=bad)
    with pytest.raises(ValueError, match=r"`t_eval` must end at or before `t_max` = 1.0"):
        st.steepest_flow(ONE, 0.5, 2.0, t_eval=[0.0, 0.5, 2.0], t_max=1.0)
    with pytest.raises(ValueError, match=r"`t_max` must be a real number"):
        st.steepest_flow(ONE, 0.5, 2.0, t_max="a")
    with pytest.raises(ValueError, match=r"`t_max` must be > 0; got 0.0"):
        st.steepest_flow(ONE, 0.5, 2.0, t_max=0.0)
    # sign_flow_closed_form: times >= 0 in a 1-dimensional array
    for bad in ([[0.1]], [np.nan], [np.inf], [-0.1]):
        with pytest.raises(ValueError, match=r"`t` must be a 1-dimensional array of finite"):
            st.sign_flow_closed_form(ONE, 0.5, bad)
    assert st.sign_flow_closed_form(ONE, 0.5, 0.0)[0].shape == (1, 2, 1)


def test_trajectory_records_its_parameters():
    for tied in (True, False):
        for q in (1.0, 2.0):  # the closed form and an integrated flow
            tr = st.steepest_flow((X_HAND, Y_HAND), ALPHA, q, tied=tied, decoupled=False,
                                  t_eval=[0.0, 0.1])
            assert tr.tied is tied and tr.decoupled is False and tr.eps == 0.0
            assert tr.closed_form is (q == 1.0)
            assert isinstance(tr.message, str) and tr.message
    # no warning about a Jacobian for an explicit method
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = st.steepest_flow(ONE, 0.5, 2.0, method="RK45", t_eval=[0.0, 0.5], rtol=1e-10,
                              atol=1e-12)
    ref = reference(ONE[0], ONE[1], 0.5, 2.0, 0.0, [0.0, 0.5])
    assert abs(tr.w[1, 0, 0, 0] - ref[1, 0, 0, 0]) < 1e-8


def test_sign_flow_stop_times_around_the_vanishing_of_v():
    # X = [[1]], alpha = 1/4, H = 2: v reaches 0 at t = alpha, where the gap is (2 alpha)^2 = 1/4.
    # |y| = 0.3 > 1/4: after that, (alpha + t)^2 = 0.3; |y| = 0.2: before, 4 alpha t = 0.2
    X = np.array([[1.0]])
    for yv, ts in ((0.3, math.sqrt(0.3) - 0.25), (0.2, 0.2), (0.25, 0.25)):
        _, _, t_stop = st.sign_flow_closed_form((X, [yv]), 0.25, [0.0])
        assert abs(t_stop[0] - ts) < 1e-15, yv
    # a label negligible against its row (|y| / ||a||_1 underflows to 0) stops at once
    _, _, t_stop = st.sign_flow_closed_form((np.array([[4.0]]), [5e-324]), 0.25, [0.0])
    assert t_stop[0] == 0.0
    # a zero label in the first row leaves its columns at alpha; the other rows still move
    w, _, t_stop = st.sign_flow_closed_form((X_HAND, [0.0, -4.5]), ALPHA, [0.0, 2.0])
    np.testing.assert_allclose(t_stop, [0.0, 0.0, 1.25], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(w[1, :, :2], ALPHA)
    np.testing.assert_allclose(w[1, :, 2], [0.0, ALPHA + 1.25], rtol=0, atol=1e-15)
    # Brent's method (the stop before v = 0, here 4 alpha t = 0.2) runs without warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, t_stop = st.sign_flow_closed_form((X, [0.2]), 0.25, [0.0])
    assert abs(t_stop[0] - 0.2) < 1e-15


def test_explore_flow_falls_back_to_bdf():
    # eps = 0, q = 1.1: LSODA fails on the regularised Hoelder field here; BDF is used instead
    t = np.r_[0.0, np.geomspace(1e-3, 1.0, 20)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match=r"solve_ivp \(LSODA\) failed"):
            st.steepest_flow(ONE, 0.01, 1.1, t_eval=t)
        traj, sign_loss = st.explore_flow(ONE, 0.01, 1.1, t_eval=t)
    bdf = st.steepest_flow(ONE, 0.01, 1.1, t_eval=t, method="BDF")
    np.testing.assert_array_equal(traj.t, t)
    np.testing.assert_array_equal(traj.w, bdf.w)
    # the loss falls from 1/4 and stays above the sign flow's (which is 0 from t = 1 - alpha)
    assert traj.loss[0] == 0.25 and np.all(np.diff(traj.loss) <= 0)
    assert np.all(traj.loss >= sign_loss - 1e-12)


def test_balance_deviation_defaults_on_a_constructed_trajectory():
    # untied, H = 3, q = 2, one coordinate; layers (1, 2, 3) -> (1, 1.5, 3) on the plus branch,
    # (2, 1, 1) throughout on the minus branch. Default layers 0, 1 of branch 0:
    # b = 1 - 4 = -3 -> 1 - 2.25 = -1.25, deviation |(-1.25) - (-3)| / 3 = 7/12
    w = np.empty((2, 2, 3, 1))
    w[:, 0, :, 0] = [[1.0, 2.0, 3.0], [1.0, 1.5, 3.0]]
    w[:, 1, :, 0] = [2.0, 1.0, 1.0]
    beta = np.prod(w[:, 0], axis=1) - np.prod(w[:, 1], axis=1)
    tr = st.SteepestTrajectory(np.array([0.0, 1.0]), w, beta, np.zeros(2), True, "", 0, 0, 2.0,
                               3, 0.0, False, True, False)
    assert abs(st.balance_deviation(tr) - 7 / 12) < 1e-15
    # with the predicted factor (1, 5/12) the law holds exactly
    assert abs(st.balance_deviation(tr, [1.0, 1.25 / 3])) < 1e-15
    # layers 0, 2 of branch 0 and branch 1 are conserved here
    assert st.balance_deviation(tr, i=0, j=2) == 0.0
    assert st.balance_deviation(tr, branch=1) == 0.0


def test_data_and_scalar_checks_name_the_argument_at_both_ends():
    def run(problem=ONE, alpha=0.5, q=1.0, **kw):
        return st.steepest_flow(problem, alpha, q, t_eval=[0.0, 0.1], **kw)

    # the data: an object with .X and .y, or a pair (tuple or list) of numeric arrays
    tr = run([[[2.0]], [1.0]])
    assert abs(tr.beta[1, 0] - 4 * 0.5 * 0.1) < 1e-15  # sign flow: (a + t)^2 - (a - t)^2
    for bad in (SimpleNamespace(X=np.ones((1, 1))), (np.ones((1, 1)), np.ones(1), np.ones(1)),
                np.ones((2, 2))):
        with pytest.raises(ValueError, match=r"`problem` must have attributes `.X` \(N, D\)"):
            run(bad)
    for bad in (([["a"]], np.ones(1)), (np.ones((1, 1)), ["a"]), ([[1.0, [2.0]]], np.ones(1))):
        with pytest.raises(ValueError, match=r"`problem.X` and `problem.y` must be real numeric"):
            run(bad)
    for shape in ((0, 1), (1, 0), (1,), (1, 1, 1)):
        with pytest.raises(ValueError, match=r"`problem.X` must be a 2-dimensional \(N, D\)"):
            run((np.ones(shape), np.ones(1)))
    for y in (np.ones((1, 1)), np.ones(2), np.ones(0)):
        with pytest.raises(ValueError, match=r"`problem.y` must have shape \(N,\) = \(1,\)"):
            run((np.ones((1, 1)), y))
    # alpha > 0: the smallest positive float is accepted, 0 is not
    assert run(alpha=5e-324).w[0, 0, 0, 0] == 5e-324
    for bad, msg in ((0.0, r"`alpha` must be > 0 \(the initialisation scale\); got 0.0"),
                     (np.inf, r"`alpha` must be finite"), (True, r"`alpha` must be a real number"),
                     (np.ones(1), r"`alpha` must be a real number"),
                     (1j, r"`alpha` must be a real number")):
        with pytest.raises(ValueError, match=msg):
            run(alpha=bad)
    # q in [1, 2]: both ends accepted, the neighbouring floats outside are not
    for q in (1.0, 2.0):
        assert run(q=q).q == q
    for q in (np.nextafter(1.0, 0.0), np.nextafter(2.0, 3.0)):
        with pytest.raises(ValueError, match=r"`q` must lie in \[1, 2\]"):
            run(q=q)
    # eps >= 0 and weight_decay >= 0: 0 accepted, the largest negative float is not
    assert run(q=2.0, eps=0.0).eps == 0.0 and run(q=2.0, weight_decay=0.0).success
    for name in ("eps", "weight_decay"):
        with pytest.raises(ValueError, match=rf"`{name}` must be >= 0"):
            run(q=2.0, **{name: -5e-324})
        for bad, msg in (("a", "a real number"), (np.nan, "finite")):
            with pytest.raises(ValueError, match=rf"`{name}` must be {msg}"):
                run(q=2.0, **{name: bad})
    # a callable weight decay counts as decay: no closed-form sign flow
    with pytest.raises(ValueError, match=r"`q` = 1 with `eps` = 0 is sign flow"):
        run(weight_decay=lambda t: 0.1)
    # without a description, the message is just the bound
    with pytest.raises(ValueError, match=r"^`h` must be > 0; got 0.0\.$"):
        _check_positive("h", 0.0)
    assert _check_positive("h", 5e-324) == 5e-324
    # fraction in (0, 1), named in escape_times
    with pytest.raises(ValueError, match=r"`fraction` must be a real number"):
        st.escape_times(ONE, [0.1], 1.0, fraction="a")


def test_regularised_fields_use_the_documented_floors():
    # eps = 0, q = 3/2 (tied, H = 2). Decoupled: -J (|J| + dJ)^(q-2) rho (|rho| + dr)^(q-2) with
    # dJ = 1e-10 max|J(0)| and dr = 1e-8 max|rho(0)|; coupled: -z (|z| + e)^(q-2),
    # z = G + lambda(t) w, e = 1e-8 max|G(0) + lambda(0) w(0)|
    X, y = np.array([[1.0, 0.5], [0.0, 1.0]]), np.array([1.0, -0.5])
    W0 = np.array([[[0.4, 0.25]], [[0.2, 0.3]]])  # max|J(0)| = 0.8

    def parts(W):
        x = W[0, 0] ** 2 - W[1, 0] ** 2
        rho = 0.5 * X.T @ (X @ x - y)
        J = np.array([[2 * W[0, 0]], [-2 * W[1, 0]]])
        return J * rho, rho, J

    G0, rho0, J0 = parts(W0)
    # at a point with a tiny weight (J ~ dJ) and a nearly fitted row (rho ~ dr)
    W = W0.copy()
    W[1, 0, 0] = 1e-11  # v_0, so J = -2 v_0 there
    x1 = W[0, 0, 1] ** 2 - W[1, 0, 1] ** 2
    W[0, 0, 0] = math.sqrt(1 - 0.5 * x1 + 2e-9)  # r_0 = x_0 + x_1 / 2 - 1 = 2e-9
    G, rho, J = parts(W)
    dJ, dr = 1e-10 * np.max(np.abs(J0)), 1e-8 * np.max(np.abs(rho0))
    rhs, _ = _make_field(X, y, 1.5, 0.0, 2, True, lambda t: 0.0, True, W0)
    want = -J * (np.abs(J) + dJ) ** -0.5 * rho * (np.abs(rho) + dr) ** -0.5
    np.testing.assert_allclose(rhs(0.0, W.reshape(-1)), want.reshape(-1), rtol=1e-12)

    def lam(t):
        return 0.3 + t

    rhs, _ = _make_field(X, y, 1.5, 0.0, 2, True, lam, False, W0)
    e = 1e-8 * np.max(np.abs(G0 + lam(0.0) * W0))
    for t, Wt in ((0.1, W0), (0.5, W)):
        G, _, _ = parts(Wt)
        z = G + lam(t) * Wt
        np.testing.assert_allclose(rhs(t, Wt.reshape(-1)), (-z * (np.abs(z) + e) ** -0.5).ravel(),
                                   rtol=1e-12)


def test_regularised_field_jacobian_tied_against_differences():
    # the tied, decoupled eps = 0 field (q = 3/2, H = 3): the Jacobian handed to the implicit
    # solvers, including its block part d J / d w = H (H-1) w^(H-2), against central differences
    X, y = np.array([[1.0, 0.5], [0.0, 1.0]]), np.array([1.0, -0.5])
    W0 = np.array([[[0.4, 0.25]], [[0.2, 0.3]]])
    rhs, jac = _make_field(X, y, 1.5, 0.0, 3, True, lambda t: 0.0, True, W0)
    w = np.array([0.7, 0.35, 0.15, 0.45])
    h = 1e-6
    fd = np.column_stack([(rhs(0.0, w + h * e) - rhs(0.0, w - h * e)) / (2 * h)
                          for e in np.eye(4)])
    np.testing.assert_allclose(jac(0.0, w), fd, rtol=1e-6, atol=1e-8)


def test_exact_rational_inputs_are_taken_as_floats():
    F = Fraction
    # fit_escape_slope: t = 3 alpha^-2 through two points
    s, b = st.fit_escape_slope([F(1, 100), F(1, 10)], [F(30000), F(300)])
    assert abs(s + 2.0) < 1e-12 and abs(b - math.log(3.0)) < 1e-12
    s, _ = st.fit_escape_slope([F(1, 100), F(1, 10)], [F(4), F(2)], scale="semilog")
    assert abs(s - 2 / math.log(10)) < 1e-12
    # escape_times: the sign-flow time on X = [[1]], y = [1] (as in the tests above)
    got = st.escape_times(ONE, [F(1, 10)], 1.0)
    assert abs(got[0] - (math.sqrt(1 - math.sqrt(0.5)) - 0.1)) < 1e-13
    # sign_flow_closed_form: times; steepest_flow: an init array (here the balanced start)
    w, _, _ = st.sign_flow_closed_form(ONE, 0.5, [F(0), F(1, 4)])
    np.testing.assert_array_equal(w[:, :, 0], [[0.5, 0.5], [0.75, 0.25]])
    tr = st.steepest_flow(ONE, 0.5, 2.0, init=np.array([F(1), F(1)]).reshape(2, 1, 1),
                          t_eval=[0.0, 0.5])
    ref = st.steepest_flow(ONE, 0.5, 2.0, t_eval=[0.0, 0.5])
    np.testing.assert_array_equal(tr.w, ref.w)


def test_sign_flow_on_data_whose_product_underflows():
    # x = y = 1e-200: |y| / |x| = 1 as for X = [[1]], y = [1], but x * y underflows to 0. By
    # hand, u = alpha + t and v = alpha - t until beta = 4 alpha t = 1 at t = 0.5, then stop.
    tiny = (np.array([[1e-200]]), np.array([1e-200]))
    t = np.array([0.0, 0.25, 1.0])
    w, beta, t_stop = st.sign_flow_closed_form(tiny, 0.5, t)
    assert np.allclose(w[:, 0, 0], [0.5, 0.75, 1.0], rtol=0, atol=1e-15)
    assert np.allclose(w[:, 1, 0], [0.5, 0.25, 0.0], rtol=0, atol=1e-15)
    assert np.allclose(beta[:, 0], [0.0, 0.5, 1.0], rtol=0, atol=1e-15)
    assert abs(float(np.ravel(t_stop)[0]) - 0.5) < 1e-12


def test_complex_data_rejected():
    for bad in ((1j * np.ones((1, 1)), np.ones(1)), (np.ones((1, 1)), np.array([1 + 0j]))):
        with pytest.raises(ValueError, match="real numeric arrays"):
            st.steepest_flow(bad, 0.5, 1.0)


@pytest.mark.parametrize("q,eps", [(2.0, 0.0), (1.0, 0.1)])
def test_repeated_output_times(q, eps):
    # a non-decreasing grid with a repeat gives the rows of the distinct grid, repeated; and
    # q = 2 on X = [[1]], y = [1] (u' = u (1 - beta), v' = -v (1 - beta), tied, depth 2)
    # agrees with an independent Radau solution of the same two equations
    tr = st.steepest_flow(ONE, 0.5, q, eps=eps, t_eval=[0.0, 1.0, 1.0, 2.0])
    ref = st.steepest_flow(ONE, 0.5, q, eps=eps, t_eval=[0.0, 1.0, 2.0])
    assert np.array_equal(tr.t, [0.0, 1.0, 1.0, 2.0])
    assert np.array_equal(tr.beta, ref.beta[[0, 1, 1, 2]])
    if q == 2.0:
        def f(_, w):
            r = (1.0 - (w[0] ** 2 - w[1] ** 2)) / 2.0
            return [2.0 * w[0] * r, -2.0 * w[1] * r]
        sol = solve_ivp(f, (0, 2), [0.5, 0.5], method="Radau", t_eval=[0.0, 1.0, 2.0],
                        rtol=1e-12, atol=1e-14)
        beta = sol.y[0] ** 2 - sol.y[1] ** 2
        assert np.max(np.abs(tr.beta[[0, 1, 3], 0] - beta)) < 1e-8
