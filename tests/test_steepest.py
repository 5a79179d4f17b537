"""Tests of ssdlib.steepest against closed forms; errors are measured in tolerance units."""

import numpy as np
import pytest
from scipy.integrate import quad

from ssdlib import Problem as CoreProblem
from ssdlib import sign_descent
from ssdlib.steepest import (
    SteepestTrajectory,
    active_share,
    balance,
    balance_deviation,
    depth_sparsity_experiment,
    dual_dynamics_check,
    escape_exponent,
    escape_time_prediction,
    escape_times,
    explore_flow,
    final_iterate,
    fit_escape_slope,
    mirror_map,
    mirror_potential,
    paper_mirror_map,
    paper_potential,
    ray_deviation,
    sign_flow_closed_form,
    sparse_regression,
    steepest_flow,
    support_recovery,
)

RTOL = 1e-10
ROW = (np.array([[1.0, -0.5, 0.3, 0.0]]), np.array([1.0]))  # one row, one inactive column
TWO = (np.array([[1.0, -0.5, 0.3, 0.0], [0.0, 0.0, 0.0, 0.7]]), np.array([1.0, -0.6]))


class Problem:
    """A duck-typed problem object (attributes .X, .y)."""

    def __init__(self, X, y):
        self.X, self.y = np.asarray(X, float), np.asarray(y, float)


# --------------------------------------------------------------------------- conservation law


@pytest.mark.parametrize("q", [1.3, 1.7, 2.0])
def test_balance_conserved_untied(q):
    init = np.random.default_rng(3).uniform(0.5, 1.5, (2, 3, 4))
    tr = steepest_flow(TWO, 0.3, q, depth=3, tied=False, init=init, t_max=10.0, rtol=RTOL)
    assert tr.loss[-1] < 0.2 * tr.loss[0]  # the weights moved a lot
    for branch in (0, 1):
        b = balance(tr, 0, 2, branch=branch)
        drift = np.max(np.abs(b - b[0])) / np.max(np.abs(b[0]))
        assert drift < 1e3 * RTOL, drift  # measured <= 5e-9 (regularised Hoelder field)


def test_saddle_start_balance_and_escape():
    """From w_1 = 0, w_l = alpha: |w_1|^q - |w_2|^q = -alpha^q throughout, and the flow escapes."""
    tr = steepest_flow(ROW, 0.2, 1.5, depth=3, tied=False, init="saddle", t_max=20.0, rtol=RTOL)
    b = balance(tr, 0, 1)
    assert np.allclose(b[0], -(0.2**1.5))
    assert np.max(np.abs(b - b[0])) < 1e3 * RTOL * 0.2**1.5
    assert tr.loss[-1] < 1e-20
    alphas = np.geomspace(1e-2, 1e-3, 3)
    slope, _ = fit_escape_slope(alphas, escape_times(ROW, alphas, 2.0, depth=4, tied=False,
                                                     init="saddle"))
    assert abs(slope + 2) < 0.15  # like the balanced start: alpha^-(L-2)


def test_balance_not_conserved_with_eps():
    """The law needs eps = 0: the smoothed field depends on |g_i|, not only on w_i g_i."""
    init = np.random.default_rng(3).uniform(0.5, 1.5, (2, 3, 4))
    tr = steepest_flow(TWO, 0.3, 1.3, eps=0.05, depth=3, tied=False, init=init, t_max=10.0)
    b = balance(tr, 0, 2, branch=1)
    assert np.max(np.abs(b - b[0])) / np.max(np.abs(b[0])) > 0.1


@pytest.mark.parametrize("q", [1.3, 2.0])
def test_balance_decays_exponentially_under_decoupled_decay(q):
    init = np.random.default_rng(3).uniform(0.5, 1.5, (2, 3, 4))

    def lam(t):
        return 0.2 * (1.0 + np.sin(t))

    tr = steepest_flow(TWO, 0.3, q, depth=3, tied=False, init=init, t_max=10.0,
                       weight_decay=lam, rtol=RTOL)
    integral = 0.2 * (tr.t + 1.0 - np.cos(tr.t))
    b = balance(tr, 0, 2, branch=1)
    err = np.max(np.abs(b - b[0] * np.exp(-q * integral)[:, None])) / np.max(np.abs(b[0]))
    assert err < 1e3 * RTOL, err


def test_coupled_decay_breaks_the_law_for_q_below_2():
    init = np.random.default_rng(3).uniform(0.5, 1.5, (2, 3, 4))
    res = {}
    for q in (1.5, 2.0):
        tr = steepest_flow(TWO, 0.3, q, depth=3, tied=False, init=init, t_max=10.0,
                           weight_decay=0.2, decoupled=False, rtol=RTOL)
        b = balance(tr, 0, 2, branch=1)
        res[q] = np.max(np.abs(b - b[0] * np.exp(-q * 0.2 * tr.t)[:, None])) / np.abs(b[0]).max()
    assert res[2.0] < 1e3 * RTOL  # q = 2: coupled == decoupled
    assert res[1.5] > 1e-2


# --------------------------------------------------------------------------- q = 2: gradient flow


def _gf_closed_form(a, y, alpha, S):
    """Depth-2 tied GF on one row: u = alpha e^{|a|S}, v = alpha e^{-|a|S}, S' = |r|."""
    def absr(s):
        return abs(y) - np.sum(np.abs(a) * 2 * alpha**2 * np.sinh(2 * np.abs(a) * s))

    t = np.array([quad(lambda s: 1.0 / absr(s), 0.0, Sk, epsabs=1e-14, epsrel=1e-13)[0]
                  for Sk in S])
    up = alpha * np.exp(np.abs(a)[None, :] * S[:, None])
    dn = alpha * np.exp(-np.abs(a)[None, :] * S[:, None])
    dom = np.sign(a * y) > 0
    wp = np.where(dom, up, dn)
    wm = np.where(dom, dn, up)
    return t, wp, wm


@pytest.mark.parametrize("method", ["LSODA", "Radau"])
def test_q2_is_gradient_flow_closed_form(method):
    a, y, alpha = np.array([1.0, -0.5, 0.3]), 1.0, 0.1
    S_star = 2.0  # |r(S)| > 0 on [0, S_star]
    assert abs(y) - np.sum(np.abs(a) * 2 * alpha**2 * np.sinh(2 * np.abs(a) * S_star)) > 0.1
    t, wp, wm = _gf_closed_form(a, y, alpha, np.linspace(0.0, S_star, 21))
    tr = steepest_flow(Problem(a[None, :], [y]), alpha, 2.0, t_eval=t, method=method, rtol=RTOL,
                       atol=1e-14)
    err = max(np.max(np.abs(tr.w_plus[:, 0] - wp) / wp), np.max(np.abs(tr.w_minus[:, 0] - wm) / wm))
    assert err < 1e3 * RTOL, err


def test_q2_mirror_map_is_woodworth():
    """Along GF, mirror_map(beta; v) - sgn(beta) log(alpha)/2 = arcsinh(beta / 2 alpha^2) / 4."""
    a, y, alpha = np.array([1.0, -0.5, 0.3]), 1.0, 0.1
    _, wp, wm = _gf_closed_form(a, y, alpha, np.linspace(0.05, 2.0, 9))
    beta = wp**2 - wm**2
    theta = mirror_map(beta, 2.0, 2, v=np.minimum(wp, wm))
    woodworth = np.arcsinh(beta / (2 * alpha**2)) / 4
    assert np.max(np.abs(theta - np.sign(beta) * np.log(alpha) / 2 - woodworth)) < 1e-12


# --------------------------------------------------------------------------- q = 1: sign flow


def test_sign_flow_closed_form_structure():
    X, y = TWO
    t = np.linspace(0.0, 2.0, 401)
    w, beta, t_stop = sign_flow_closed_form(TWO, 0.1, t, depth=3)
    r = beta @ X.T - y
    assert np.max(np.abs(r[-1])) < 1e-14  # both rows interpolated
    # dominating weights move at unit speed until their row stops, the others stop at 0
    dom = np.where(np.sign(X.T @ y) > 0, 0, 1)
    u = w[:, dom, np.arange(4)]
    moving = t[:, None] < t_stop[None, :]
    assert np.allclose(u, np.where(moving, 0.1 + t[:, None], 0.1 + t_stop[None, :]), atol=1e-15)
    assert np.all(w >= 0)


@pytest.mark.parametrize("depth", [2, 3])
def test_ssd_converges_to_sign_flow_linearly_in_eps(depth):
    t = np.linspace(0.0, 3.0, 61)
    cf = steepest_flow(TWO, 0.1, 1.0, depth=depth, t_eval=t)
    assert cf.closed_form and cf.nfev == 0
    errs = []
    for eps in (1e-3, 1e-4):
        s = steepest_flow(TWO, 0.1, 1.0, eps=eps, depth=depth, t_eval=t, rtol=1e-8, atol=1e-12)
        errs.append(np.max(np.abs(s.beta - cf.beta)))
    assert errs[1] < 50 * 1e-4  # O(eps) with a moderate constant (measured 16 and 45)
    assert 5 < errs[0] / errs[1] < 20  # first order in eps


def test_sign_flow_escape_time_limit():
    """As alpha -> 0, t_esc -> ((1 - sqrt(1/2)) |y| / ||a||_1)^(1/L)."""
    a, y = ROW[0][0], ROW[1][0]
    for L in (2, 3, 4):
        t = escape_times(ROW, [1e-9], 1.0, depth=L)[0]
        limit = ((1 - np.sqrt(0.5)) * abs(y) / np.abs(a).sum()) ** (1.0 / L)
        assert abs(t - (limit - 1e-9)) < 1e-12


# --------------------------------------------------------------------------- tied vs untied


@pytest.mark.parametrize("q,eps,depth", [(2.0, 0.0, 2), (2.0, 0.0, 3), (1.0, 1e-2, 3),
                                         (1.5, 0.0, 3)])
def test_tied_is_untied_with_rescaled_time_and_eps(q, eps, depth):
    t = np.linspace(0.0, 3.0, 31)
    a = steepest_flow(TWO, 0.1, q, eps=eps, depth=depth, t_eval=t)
    b = steepest_flow(TWO, 0.1, q, eps=eps / depth, depth=depth, tied=False,
                      t_eval=t * depth ** (q - 1))
    assert np.max(np.abs(a.beta - b.beta)) < 1e3 * RTOL


# --------------------------------------------------------------------------- saddle escape


def test_gradient_flow_escape_slopes():
    alphas = np.geomspace(1e-2, 1e-4, 5)
    for L in (3, 4):
        slope, _ = fit_escape_slope(alphas, escape_times(ROW, alphas, 2.0, depth=L))
        assert abs(slope - escape_exponent(2.0, L)) < 0.15  # measured -1.002, -2.000
        assert escape_exponent(2.0, L) == -(L - 2)
    # L = 2: t ~ log(1/alpha) / (2 |rho_0|_max)
    times = escape_times(ROW, alphas, 2.0, depth=2)
    slope, _ = fit_escape_slope(alphas, times, scale="semilog")
    rho0 = np.max(np.abs(ROW[0].T @ ROW[1])) / 2
    assert abs(slope * 2 * rho0 - 1) < 0.01


def test_sign_flow_escape_is_alpha_independent():
    alphas = np.geomspace(1e-2, 1e-4, 5)
    for L in (2, 3, 4):
        slope, _ = fit_escape_slope(alphas, escape_times(ROW, alphas, 1.0, depth=L))
        assert abs(slope) < 0.02  # measured <= 0.007
        assert escape_exponent(1.0, L) == 0.0


def test_escape_prediction_leading_order():
    for L in (3, 4):
        t = escape_times(ROW, [1e-4], 2.0, depth=L)[0]
        assert abs(t / escape_time_prediction(ROW, 1e-4, 2.0, depth=L) - 1) < 1e-3
    # SSD near the saddle is gradient flow slowed by eps
    t = escape_times(ROW, [1e-4], 1.0, eps=1e-3, depth=4)[0]
    assert abs(t / escape_time_prediction(ROW, 1e-4, 1.0, eps=1e-3, depth=4) - 1) < 1e-3
    assert escape_exponent(1.0, 4, eps=1e-3) == -2.0
    with pytest.raises(ValueError, match="no leading-order formula"):
        escape_time_prediction(ROW, 1e-3, 1.3, depth=2)


# --------------------------------------------------------------------------- mirror maps


@pytest.mark.parametrize("q,L", [(1.0, 2), (1.0, 3), (1.5, 3), (2.0, 2), (2.0, 4), (1.5, 2)])
def test_mirror_potential_gradient_is_mirror_map(q, L):
    rng = np.random.default_rng(0)
    beta = rng.uniform(-2, 2, 6)
    v = rng.uniform(0.01, 0.5, 6)
    h = 1e-6
    fd = np.array([(mirror_potential(beta + h * e, q, L, v=v)
                    - mirror_potential(beta - h * e, q, L, v=v)) / (2 * h) for e in np.eye(6)])
    assert np.max(np.abs(fd - mirror_map(beta, q, L, v=v))) < 1e-7


def test_depth2_potential_is_proposition_3_6():
    beta = np.array([-1.5, 0.2, 0.7])
    v = np.array([0.01, 0.02, 0.03])
    prop36 = 2 / 3 * np.sum((np.abs(beta) + v**2) ** 1.5 - v**3)
    assert abs(mirror_potential(beta, 1.0, 2, v=v) - prop36) < 1e-14
    assert np.allclose(mirror_map(beta, 1.0, 2, v=v), np.sign(beta) * np.sqrt(np.abs(beta) + v**2))
    # the paper's depth-H formula at H = 2 is 3/2 times Prop. 3.6 up to a constant
    assert abs(paper_potential(beta, 2, v=v) - 1.5 * prop36 - np.sum(v**3)) < 1e-14


@pytest.mark.parametrize("L", [2, 3, 4])
def test_dual_dynamics_sign_flow(L):
    t = np.linspace(0.0, 1.5, 1501)
    cf = steepest_flow(TWO, 0.1, 1.0, depth=L, t_eval=t)
    ours = dual_dynamics_check(cf, TWO)
    assert abs(ours.scale - 1) < 1e-12 and ours.error < 1e-12
    paper = dual_dynamics_check(cf, TWO, potential="paper")
    if L == 2:  # right exponent 3/2, constant 3/2 instead of 1
        assert abs(paper.scale - 1.5) < 1e-12 and paper.error_fitted < 1e-12
    else:  # no constant rescues it: (2 - 1/H) u^(H-1) does not move at a constant rate
        assert paper.error_fitted > 0.5


@pytest.mark.parametrize("q,L", [(1.5, 2), (1.5, 3), (2.0, 3)])
def test_dual_dynamics_steepest_flow(q, L):
    tr = steepest_flow(TWO, 0.1, q, depth=L, t_eval=np.linspace(0.0, 10.0, 2001))
    chk = dual_dynamics_check(tr, TWO)
    assert chk.mask.sum() > 1000
    assert chk.error < 1e-4  # central differences, dt = 5e-3 (measured <= 1e-5)


def test_dual_dynamics_ssd_is_approximate():
    t = np.linspace(0.0, 1.5, 1501)
    tr = steepest_flow(TWO, 0.1, 1.0, eps=1e-4, depth=3, t_eval=t)
    chk = dual_dynamics_check(tr, TWO, rho_min=100 * 1e-4)
    assert abs(chk.scale - 1) < 0.01
    assert 1e-4 < chk.error < 0.2


# --------------------------------------------------------------------------- sparse regression


def test_sparse_regression_and_support_recovery():
    reg = sparse_regression(20, 50, 3, seed=1)
    assert reg.X.shape == (20, 50) and reg.y.shape == (20,)
    assert np.flatnonzero(reg.beta_star).tolist() == reg.support.tolist()
    assert np.allclose(reg.X @ reg.beta_star, reg.y)
    again = sparse_regression(20, 50, 3, seed=1)
    assert np.array_equal(again.X, reg.X)
    assert support_recovery(reg.beta_star, reg.beta_star) == 1.0
    wrong = np.zeros(50)
    wrong[np.setdiff1d(np.arange(50), reg.support)[:3]] = 1.0
    assert support_recovery(wrong, reg.beta_star) == 0.0
    both = support_recovery(np.stack([reg.beta_star, wrong]), reg.beta_star)
    assert both.tolist() == [1.0, 0.0]


def test_trajectory_fields():
    tr = steepest_flow(Problem(*TWO), 0.1, 1.0, eps=1e-3, depth=3, t_max=1.0)
    assert isinstance(tr, SteepestTrajectory) and tr.success
    T = tr.t.size
    assert tr.w.shape == (T, 2, 3, 4) and tr.beta.shape == (T, 4) and tr.loss.shape == (T,)
    assert np.allclose(tr.beta, tr.w_plus[:, 0] ** 3 - tr.w_minus[:, 0] ** 3)
    with pytest.raises(AttributeError):
        tr.q = 2.0  # frozen


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("kwargs,match", [
    ({"q": 0.5}, r"`q` must lie in \[1, 2\]; got 0.5"),
    ({"q": 2.5}, r"`q` must lie in \[1, 2\]"),
    ({"q": "a"}, r"`q` must be a real number"),
    ({"alpha": 0.0}, r"`alpha` must be > 0"),
    ({"alpha": -1.0}, r"`alpha` must be > 0"),
    ({"depth": 1}, r"`depth` must be an integer >= 2"),
    ({"depth": 2.5}, r"`depth` must be an integer >= 2"),
    ({"eps": -1e-3}, r"`eps` must be >= 0"),
    ({"weight_decay": -0.1}, r"`weight_decay` must be >= 0"),
    ({"init": "zeros"}, r"`init` must be 'balanced', 'saddle' or an array"),
    ({"init": np.ones((3, 3))}, r"`init` array must broadcast to shape \(2, 1, 4\)"),
    ({"init": "saddle"}, r"`init`='saddle'.*`tied=False`"),
    ({"t_max": -1.0}, r"`t_max` must be > 0"),
    ({"t_eval": [[0.0, 1.0]]}, r"`t_eval` must be 1-dimensional"),
    ({"t_eval": [1.0, 0.0]}, r"`t_eval` must be finite, >= 0 and non-decreasing"),
    ({"t_eval": [0.0, 5.0], "t_max": 1.0}, r"`t_eval` must end at or before `t_max`"),
])
def test_flow_validation(kwargs, match):
    args = {"alpha": 0.1, "q": 1.5}
    args.update(kwargs)
    alpha, q = args.pop("alpha"), args.pop("q")
    with pytest.raises(ValueError, match=match):
        steepest_flow(TWO, alpha, q, **args)


@pytest.mark.parametrize("problem,match", [
    (np.ones((2, 3)), r"`problem` must have attributes `.X`"),
    ((np.ones(3), np.ones(3)), r"`problem.X` must be a 2-dimensional"),
    ((np.ones((2, 3)), np.ones(3)), r"`problem.y` must have shape \(N,\) = \(2,\)"),
    ((np.array([[1.0, np.nan]]), np.ones(1)), r"must be finite"),
    (Problem([[1.0, 2.0]], [np.inf]), r"must be finite"),
])
def test_problem_validation(problem, match):
    with pytest.raises(ValueError, match=match):
        steepest_flow(problem, 0.1, 2.0)


def test_sign_flow_outside_closed_form_raises():
    dense = (np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([1.0, 0.0]))
    msg = r"`q` = 1 with `eps` = 0 is sign flow.*Pass `eps` > 0 .* or `q` > 1"
    with pytest.raises(ValueError, match=msg):
        steepest_flow(dense, 0.1, 1.0)
    with pytest.raises(ValueError, match=msg):
        steepest_flow(TWO, 0.1, 1.0, weight_decay=0.1)
    with pytest.raises(ValueError, match=msg):
        steepest_flow(TWO, 0.1, 1.0, tied=False, depth=3, init="saddle")
    with pytest.raises(ValueError, match=msg):
        escape_times(dense, [0.1], 1.0)
    with pytest.raises(ValueError, match="violates Assumption 3.2"):
        sign_flow_closed_form(dense, 0.1, [0.0, 1.0])


@pytest.mark.parametrize("method", ["LSODA", "Radau"])
def test_solver_failure_raises(method):
    def bad(t):
        return np.nan if t > 0.5 else 0.0

    with pytest.raises(RuntimeError, match=rf"solve_ivp \({method}\) failed"):
        steepest_flow(TWO, 0.1, 2.0, weight_decay=bad, method=method, t_max=1.0)


def test_helper_validation():
    with pytest.raises(ValueError, match=r"`alphas` must be a 1-dimensional array of values > 0"):
        escape_times(ROW, [0.1, -1.0], 2.0)
    with pytest.raises(ValueError, match=r"`fraction` must lie in \(0, 1\)"):
        escape_times(ROW, [0.1], 2.0, fraction=1.5)
    with pytest.raises(ValueError, match="initial loss is 0"):
        escape_times((ROW[0], np.zeros(1)), [0.1], 2.0)
    with pytest.raises(ValueError, match=r"`times` and `alphas` must be finite and > 0"):
        fit_escape_slope([0.1, 0.01], [1.0, np.inf])
    with pytest.raises(ValueError, match=r"`scale` must be 'loglog' or 'semilog'"):
        fit_escape_slope([0.1, 0.01], [1.0, 2.0], scale="log")
    with pytest.raises(ValueError, match=r"`potential` must be 'steepest', 'paper' or a callable"):
        dual_dynamics_check(steepest_flow(TWO, 0.1, 2.0, t_max=1.0), TWO, potential="x")
    with pytest.raises(ValueError, match=r"`n_samples` must be < `n_features`"):
        sparse_regression(10, 5, 2)
    with pytest.raises(ValueError, match=r"`n_nonzero` must be an integer >= 1"):
        sparse_regression(3, 5, 0)
    with pytest.raises(ValueError, match=r"`beta_star` must have at least one non-zero"):
        support_recovery(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"`q` must lie in \[1, 2\]"):
        mirror_map(np.ones(2), 3.0, 2)
    with pytest.raises(ValueError, match=r"`depth` must be an integer >= 2"):
        paper_mirror_map(np.ones(2), 1)


# --------------------------------------------------------------------------- chapter experiments


def test_balance_deviation_against_balance():
    init = np.random.default_rng(3).uniform(0.5, 1.5, (2, 3, 4))
    lam = 0.3
    tr = steepest_flow(TWO, 0.3, 1.5, depth=3, tied=False, init=init, weight_decay=lam,
                       t_eval=np.linspace(0, 5, 51), rtol=RTOL)
    law = np.exp(-1.5 * lam * tr.t)
    assert balance_deviation(tr, law, i=0, j=2, branch=1) < 1e3 * RTOL
    # without the decay factor the deviation is the decay itself: 1 - exp(-q lambda t_end)
    b = balance(tr, 0, 2, branch=1)
    ref = np.max(np.abs(b - b[0])) / np.max(np.abs(b[0]))
    assert balance_deviation(tr, i=0, j=2, branch=1) == ref
    assert abs(ref - (1 - law[-1])) < 1e-3
    with pytest.raises(ValueError, match="`factor`"):
        balance_deviation(tr, law[:3], i=0, j=2)
    balanced = steepest_flow(TWO, 0.3, 1.5, depth=3, tied=False, t_eval=[0.0, 1.0], rtol=RTOL)
    with pytest.raises(ValueError, match="balanced"):
        balance_deviation(balanced, i=0, j=2)


class _Traj:
    def __init__(self, t, beta, loss):
        self.t, self.beta, self.loss = np.asarray(t), np.asarray(beta), np.asarray(loss)


def test_active_share_on_a_constructed_trajectory():
    beta = np.array([[0, 0, 0, 0], [1.0, 0.05, 0.5, 0.0], [1, 1, 1, 1]], dtype=float)
    tr = _Traj([0, 1, 2], beta, [1.0, 0.85, 0.0])
    assert active_share(tr) == 0.5                      # 1.0 and 0.5 exceed 0.1 max
    assert active_share(tr, rel=0.01) == 0.75
    with pytest.raises(ValueError, match="never falls"):
        active_share(_Traj([0, 1], beta[:2], [1.0, 0.95]))
    with pytest.raises(ValueError, match="`drop`"):
        active_share(tr, drop=1.0)


def test_ray_deviation_is_zero_for_sign_flow_and_not_for_gradient_flow():
    alpha = 0.01
    t = np.linspace(0, 2, 201)
    sign = steepest_flow(TWO, alpha, 1.0, t_eval=t)               # exact sign flow
    assert ray_deviation(sign, TWO) < 1e-12
    gf = steepest_flow(TWO, alpha, 2.0, t_eval=np.linspace(0, 20, 201), rtol=RTOL)
    assert ray_deviation(gf, TWO) > 0.1


def test_depth_sparsity_experiment_matches_single_runs():
    methods = {"sign": (1.0, 1e-5), "gradient flow": (2.0, 0.0)}
    t = np.r_[0, np.geomspace(1e-3, 1e4, 120)]
    exp = depth_sparsity_experiment([0], [2, 3], methods, shape=(4, 8, 2), t_eval=t)
    reg = sparse_regression(4, 8, 2, seed=0)
    tr = steepest_flow(reg, 0.1, 2.0, depth=3, t_eval=t, rtol=1e-7, atol=1e-12)
    assert exp.recovery["gradient flow"][0, 1] == support_recovery(tr.beta[-1], reg.beta_star)
    assert exp.active["gradient flow"][0, 1] == active_share(tr)
    assert exp.ray["gradient flow"][0, 1] == ray_deviation(tr, reg)
    g = 3 * 0.1**2 * np.abs(reg.X.T @ reg.y) / 2
    assert np.isclose(exp.g0_min[0, 1], g.min(), rtol=1e-15)
    assert np.isclose(exp.g0_max[0, 1], g.max(), rtol=1e-15)
    assert exp.active["sign"][0, 0] > exp.active["gradient flow"][0, 1]
    with pytest.raises(ValueError, match="`methods`"):
        depth_sparsity_experiment([0], [2], {})


def test_final_iterate_of_adam_without_moments_is_discrete_ssd():
    eta, T = 1e-2, 0.5
    beta, loss = final_iterate(TWO, "adam", 0.1, eta, T, eps=0.01, beta1=0.0, beta2=0.0)
    sd = sign_descent(CoreProblem(*TWO), 0.1, 0.01, eta, int(np.ceil(T / eta)))
    assert np.max(np.abs(beta - sd.beta[-1])) < 1e-14
    r = TWO[0] @ beta - TWO[1]
    assert abs(loss - 0.25 * r @ r) < 1e-15
    with pytest.raises(ValueError, match="`horizon`"):
        final_iterate(TWO, "adam", 0.1, eta, 0.0)


def test_explore_flow_reference_is_the_exact_sign_flow():
    t = np.r_[0.0, np.geomspace(1e-3, 10, 50)]
    tr, ref = explore_flow(TWO, 0.1, 1.0, depth=3, t_eval=t)       # q = 1, eps = 0: exact
    assert np.max(np.abs(tr.loss - ref)) < 1e-15
    tr, ref = explore_flow(TWO, 0.1, 1.0, depth=3, eps=1e-5, t_eval=t, rtol=1e-8)
    assert np.max(np.abs(tr.loss - ref)) / ref[0] < 1e-3        # SSD is O(eps) from it
    X = np.array([[1.0, 0.5], [0.3, 1.0]])
    tr, ref = explore_flow((X, np.ones(2)), 0.1, 2.0, t_eval=[0.0, 1.0])
    assert ref is None and tr.t.size == 2
