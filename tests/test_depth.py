"""Tests of ssdlib.depth against closed forms and independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import trapezoid

from ssdlib import Problem, mirror_map, simulate
from ssdlib.depth import (
    DepthFlowCache,
    S_convergence,
    S_integral,
    dense_flow,
    depth_dual_check,
    dual_rate_error,
    dual_rhs,
    implied_S,
    l1_over_l2,
    log_v_inf,
    lp_minimiser,
    paper_mirror_map,
    paper_potential,
    paper_rate_fit,
    relative_spread,
    sign_flow_S0,
    sign_start_alpha,
    top_share,
    v_inf_identity_error,
    v_sweep,
)
from ssdlib.numdiff import central_gradient

RTOL = 1e-10  # the integrator's default relative tolerance


@pytest.fixture(scope="module")
def problem():
    return Problem.random_blocks([2, 3], seed=0)


@pytest.fixture(scope="module")
def flows(problem):
    """Dense flows of depth 2 and 3 at eps = 0.01 (the chapter's shared problem)."""
    return {H: dense_flow(problem, sign_start_alpha(problem, H, 0.01), 0.01, H, n=2001)
            for H in (2, 3)}


# ----------------------------------------------------------------------------------------
# flows for the experiments


def _f0(problem, alpha, H):
    """f_i(0) = H/2 |x_i| alpha^(H-1) |y_n|, computed column by column."""
    out = []
    for n, b in enumerate(problem.blocks):
        out += [H / 2 * abs(problem.X[n, i]) * alpha ** (H - 1) * abs(problem.y[n]) for i in b]
    return np.array(out)


@pytest.mark.parametrize("H, eps", [(2, 0.01), (3, 0.01), (6, 0.01), (4, 0.2)])
def test_sign_start_alpha_is_the_smallest_two_decimal_alpha(problem, H, eps):
    a = sign_start_alpha(problem, H, eps)
    assert a >= 0.1 and abs(a * 100 - round(a * 100)) < 1e-9
    assert _f0(problem, a, H).min() >= 2 * eps or a == 0.1
    if a > 0.1:  # one step smaller fails the sign-descent start
        assert _f0(problem, a - 0.01, H).min() < 2 * eps


def test_sign_start_alpha_floor_and_validation(problem):
    assert sign_start_alpha(problem, 2, 1e-6, floor=0.37) == 0.37
    with pytest.raises(ValueError, match="`depth`"):
        sign_start_alpha(problem, 1, 0.01)
    with pytest.raises(ValueError, match="`eps`"):
        sign_start_alpha(problem, 2, 0.0)
    general = Problem(np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 0.0]]).T, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="Assumption 3.2"):
        sign_start_alpha(general, 2, 0.01)
    with pytest.raises(ValueError, match="`problem`"):
        sign_start_alpha("data", 2, 0.01)


def test_dense_flow_grid(problem):
    tr = dense_flow(problem, 0.1, 0.01, 2, n=11)
    assert tr.t.size == 11
    np.testing.assert_allclose(tr.t[-1], 1.1 * tr.t_converged, rtol=1e-12)
    np.testing.assert_allclose(np.diff(tr.t), tr.t[-1] / 10, rtol=1e-9)
    with pytest.raises(ValueError, match="`n`"):
        dense_flow(problem, 0.1, 0.01, 2, n=3)


def test_flow_cache_looks_up_every_slider_value():
    plane = Problem.random_blocks([2], seed=3)
    eps = 10.0 ** np.arange(-2, -0.99, 0.5)
    cache = DepthFlowCache(plane, 0.2, eps, [2, 4], n=51)
    assert cache.problem is plane and cache.depths == [2, 4]
    for H in (2, 4):
        for x in np.arange(-2, -0.99, 0.5):  # what a FloatLogSlider hands back
            tr = cache.flow(H, 10.0**x)
            assert tr.depth == H and np.isclose(tr.eps, 10.0**x, rtol=1e-12)
            ref = simulate(plane, 0.2, 10.0**x, depth=H, t_eval=np.array([0.0]))
            np.testing.assert_allclose(tr.beta_inf, ref.beta_inf, rtol=1e3 * RTOL)
    with pytest.raises(KeyError, match="no cached flow"):
        cache.flow(3, 0.01)
    with pytest.raises(KeyError, match="no cached flow"):
        cache.flow(2, 0.02)
    with pytest.raises(ValueError, match="`eps`"):
        DepthFlowCache(plane, 0.2, [0.01, -1.0], [2])


# ----------------------------------------------------------------------------------------
# potentials and dual dynamics


def test_paper_potential_closed_form_and_gradient():
    beta, v = np.array([1.0, -2.0]), np.zeros(2)
    np.testing.assert_allclose(paper_potential(beta, v, 2), 1 + 2**1.5, rtol=1e-15)
    rng = np.random.default_rng(4)
    for H in (2, 3, 5):
        beta, v = rng.normal(size=5), rng.uniform(0.05, 0.5, size=5)
        h = 1e-6
        fd = central_gradient(lambda b, v=v, H=H: paper_potential(b, v, H), beta, h=h)
        np.testing.assert_allclose(fd, paper_mirror_map(beta, v, H), atol=1e-8)
    # H = 2: the paper's gradient is 3/2 times the corrected mirror map (Proposition 3.6)
    np.testing.assert_allclose(paper_mirror_map(beta, v, 2), 1.5 * mirror_map(beta, v, 2),
                               rtol=1e-14)
    with pytest.raises(ValueError, match="`v`"):
        paper_potential(beta, -v, 3)


def test_dual_rhs_from_the_loss_gradient(flows):
    for H, tr in flows.items():
        X, y = tr.problem.X, tr.problem.y
        r = y - tr.beta @ X.T
        g_plus = -(H / 2) * tr.w_plus ** (H - 1) * (r @ X)  # gradient in w+ of eq. (8)
        g_minus = (H / 2) * tr.w_minus ** (H - 1) * (r @ X)
        g_u = np.where(tr.sign > 0, g_plus, g_minus)
        expected = -tr.sign * g_u / (np.abs(g_u) + tr.eps)
        np.testing.assert_allclose(dual_rhs(tr), expected, atol=1e-9)


def test_dual_rate_error_small_for_the_dual_variable_large_otherwise(flows):
    for tr in flows.values():
        assert dual_rate_error(tr, tr.dual) < 1e-2
        assert dual_rate_error(tr, 1.2 * tr.dual) > 0.1  # a wrong constant is seen
        assert dual_rate_error(tr, tr.dual + tr.t[:, None] ** 2) > 0.1
    with pytest.raises(ValueError, match="shape"):
        dual_rate_error(tr, tr.dual[:, :2])
    short = simulate(tr.problem, 0.1, 0.01, t_eval=np.array([0.0, 0.1]))
    with pytest.raises(ValueError, match="dense"):
        dual_rate_error(short, short.dual)


def test_paper_rate_fit(flows):
    fit2 = paper_rate_fit(flows[2])
    assert abs(fit2.c - 2 / 3) < 1e-3 and fit2.mismatch < 1e-2
    np.testing.assert_allclose([fit2.ratio_min, fit2.ratio_max], 1.5, rtol=1e-2)
    fit3 = paper_rate_fit(flows[3])
    assert fit3.mismatch > 0.3 and fit3.ratio_max / fit3.ratio_min > 2
    # the corrected mirror map: best constant 1, no mismatch, constant ratio
    own = paper_rate_fit(flows[3], lambda b, v, H: mirror_map(b, v, H))
    assert abs(own.c - 1) < 1e-3 and own.mismatch < 1e-2


def test_depth_dual_check_fields(flows):
    for tr in flows.values():
        d = depth_dual_check(tr)
        assert d.monotone <= 1e-12 and d.map_vs_dual < 1e-12
        assert d.dual_error == dual_rate_error(tr, tr.dual)
        assert d.map_error < 1e-2
        assert d.paper == paper_rate_fit(tr)


# ----------------------------------------------------------------------------------------
# the order of v


@pytest.mark.parametrize("H", [2, 3, 5])
def test_log_v_inf_closed_form_and_inverse(H):
    a, S, alpha, eps = np.array([0.7, 1.3]), np.array([0.2, 0.05]), 0.3, 1e-2
    lv = log_v_inf(alpha, a, S, eps, H)
    if H == 2:
        expected = alpha * np.exp(-a * S / eps)
    else:
        expected = (alpha ** (2 - H) + H * (H - 2) * a * S / (2 * eps)) ** (-1 / (H - 2))
    np.testing.assert_allclose(np.exp(lv), expected, rtol=1e-13)
    np.testing.assert_allclose(implied_S(np.exp(lv), alpha, a, eps, H), S, rtol=1e-10)
    with pytest.raises(ValueError, match="underflows"):
        implied_S(np.zeros(2), alpha, a, eps, H)


@pytest.mark.parametrize("H", [2, 3, 4])
def test_v_inf_identity_holds_along_the_flow(problem, H):
    tr = dense_flow(problem, sign_start_alpha(problem, H, 1e-3), 1e-3, H)
    assert v_inf_identity_error(tr) < 1e4 * RTOL
    # a 1% error in S_i would be seen
    a = np.abs(problem.X).max(axis=0)
    lv = log_v_inf(tr.alpha, a, 1.01 * S_integral(tr), tr.eps, H)
    assert np.abs(lv / np.log(tr.v_inf) - 1).max() > 1e-4


@pytest.mark.parametrize("H", [2, 3])
def test_sign_flow_S0_against_the_integrated_sign_flow(problem, H):
    alpha = 0.1
    S0, applies = sign_flow_S0(problem, alpha, H)
    assert applies.all()
    t = np.linspace(0, 3, 300001)
    sign = simulate(problem, alpha, 0.0, depth=H, t_eval=t)  # closed form, eps = 0
    s = np.abs(sign.residual) * (t[:, None] >= alpha)
    row = np.concatenate([[n] * len(b) for n, b in enumerate(problem.blocks)])
    cols = np.concatenate(problem.blocks)
    expected = np.empty(problem.D)
    expected[cols] = trapezoid(s, t, axis=0)[row]
    np.testing.assert_allclose(S0, expected, rtol=1e-4)


def test_v_sweep_matches_single_runs_and_the_end_of_the_first_stage(problem):
    eps = np.array([1e-4, 1e-3])
    sw = v_sweep(problem, 0.1, eps, 3)
    assert sw.v_inf.shape == (2, problem.D) and sw.v_T0.shape == (2,)
    for k, e in enumerate(eps):
        tr = simulate(problem, 0.1, e, depth=3, t_eval=np.array([sw.T0[k]]))
        np.testing.assert_allclose(sw.v_T0[k], tr.v[0].max(), rtol=1e3 * RTOL)
        # at T0 the last coordinate reaches h_i = eps (Proposition prop-ho-v, part 1)
        np.testing.assert_allclose(np.abs(tr.grad_v[0]).max(), e, rtol=1e-6)
    with pytest.raises(ValueError, match="`eps`"):
        v_sweep(problem, 0.1, [1e-3], 3)


def test_S_convergence_gap_shrinks(problem):
    sw = v_sweep(problem, 0.1, np.geomspace(1e-5, 1e-3, 4), 3)
    conv = S_convergence(sw)
    assert conv.applies and conv.shrinks
    assert conv.gap.shape == conv.eps.shape == (4,)
    assert conv.gap[0] < 1e-2
    with pytest.raises(ValueError, match="VSweep"):
        S_convergence(sw.v_inf)


# ----------------------------------------------------------------------------------------
# depth to infinity


@pytest.mark.parametrize("p", [1.25, 1.75, 2.0, 3.0])
def test_lp_minimiser_is_feasible_and_stationary(p):
    x, y = np.array([0.6, -1.4, 0.9, 1.1]), -0.8
    b = lp_minimiser(x, y, p)
    np.testing.assert_allclose(x @ b, y, rtol=1e-14)
    # Lagrange condition: p sgn(b) |b|^(p-1) = nu x, with one nu for all coordinates
    nu = p * np.sign(b) * np.abs(b) ** (p - 1) / x
    np.testing.assert_allclose(nu, nu[0], rtol=1e-12)
    if p == 2.0:  # the minimum-l2 solution
        np.testing.assert_allclose(b, x * y / (x @ x), rtol=1e-14)
    with pytest.raises(ValueError, match="`p`"):
        lp_minimiser(x, y, 1.0)
    with pytest.raises(ValueError, match="`x`"):
        lp_minimiser(np.array([1.0, 0.0]), y, p)


def test_shares_and_spreads():
    b = np.array([3.0, -1.0, 0.0, 0.0])
    assert top_share(b) == 0.75
    assert l1_over_l2(b) == pytest.approx(4 / np.sqrt(10), rel=1e-15)
    assert relative_spread(b) == 3.0
    assert top_share(np.ones(5)) == 0.2 and relative_spread(-np.ones(5)) == 0.0
    assert l1_over_l2(np.ones(9)) == pytest.approx(3.0, rel=1e-15)
    with pytest.raises(ValueError, match="non-zero"):
        top_share(np.zeros(3))
