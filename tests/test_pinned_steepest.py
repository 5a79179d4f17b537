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

import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp

from ssdlib import steepest as st

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
