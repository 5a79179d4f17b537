"""Tests for ssdlib.bounds: Lemmas B.2-B.4, Theorem 3.9, Corollaries 3.10-3.12, Assumption 3.3.

The bounds are also checked against the flow itself: the N = 1, D = 2 smoothed sign descent flow
(eq. 16) is integrated with an implicit Radau method and ``Delta`` of Theorem 3.9 is compared
with ``M_-`` and ``M_+``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ssdlib.bounds import (
    assumption_3_3_intervals,
    corollary_3_10_bound,
    corollary_3_12_bound,
    kkt_bounds_block,
    kkt_bounds_leading,
    lemma_b2_intermediates,
    lemma_b4_terms,
    satisfies_assumption_3_3,
)

SQRT2 = np.sqrt(2.0)


def _block_intervals(lam, theta, y, eps=0.0):
    abs_x = np.sqrt(lam) * np.array([abs(np.cos(theta)), abs(np.sin(theta))])
    return assumption_3_3_intervals(abs_x, abs(y), eps)


def _admissible_grid(seed: int, n: int):
    """Random (lam, theta, y, alpha, eps) satisfying Assumptions 3.3 and 3.8."""
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.2, 5.0, n)
    base = rng.uniform(0.02, np.pi / 4 - 0.02, n)
    # all four equivalent quadrants: |cos| >= |sin| > 0 is what matters
    theta = rng.choice([-1.0, 1.0], n) * base + rng.integers(0, 2, n) * np.pi
    y = rng.choice([-1.0, 1.0], n) * rng.uniform(0.1, 5.0, n)
    c, s = np.abs(np.cos(theta)), np.abs(np.sin(theta))
    x1, x2 = np.sqrt(lam) * c, np.sqrt(lam) * s
    eps_max = x2 * np.abs(y) ** 1.5 / np.sqrt(2 * (x1 + x2)) / 9
    eps = eps_max * rng.uniform(0.0, 1.0, n)
    alpha_min = 9 * eps / (4 * x2 * np.abs(y))
    alpha_max = np.sqrt(np.abs(y) / (2 * (x1 + x2))) / 3
    alpha = np.maximum(alpha_min + (alpha_max - alpha_min) * rng.uniform(0.0, 1.0, n), 1e-8)
    assert np.all(satisfies_assumption_3_3(lam, theta, y, alpha, eps))
    return lam, theta, y, alpha, eps


# ---------------------------------------------------------------------------------------------
# (1) ordering of the bounds, Lemma B.2 intermediates
# ---------------------------------------------------------------------------------------------


def test_m_minus_below_m_plus_on_admissible_grid():
    lam, theta, y, alpha, eps = _admissible_grid(seed=20250701, n=4000)
    m_plus, m_minus = kkt_bounds_block(lam, theta, y, alpha, eps)
    assert m_plus.shape == m_minus.shape == lam.shape
    assert np.all(np.isfinite(m_plus)) and np.all(np.isfinite(m_minus))
    assert np.all(m_minus <= m_plus)


def test_repaired_lemma_b2_bound_is_below_stated_m_plus():
    lam, theta, y, alpha, eps = _admissible_grid(seed=7, n=4000)
    m_plus, _ = kkt_bounds_block(lam, theta, y, alpha, eps)
    inter = lemma_b2_intermediates(lam, theta, y, alpha, eps)
    assert np.all(np.isfinite(inter.U_hat))
    c = np.abs(np.cos(theta))
    s = np.abs(np.sin(theta))
    # M_+^cubic <= (c - s)(S - alpha) <= M_+ (module docstring, item 1)
    assert np.all(inter.M_plus_cubic <= (c - s) * (inter.S - alpha) + 1e-14)
    assert np.all((c - s) * (inter.S - alpha) <= m_plus + 1e-14)


def test_cubic_root_u_hat_is_the_largest_root():
    lam, theta, y, alpha, eps = _admissible_grid(seed=3, n=25)
    inter = lemma_b2_intermediates(lam, theta, y, alpha, eps)
    for k in range(lam.size):
        c, s = abs(np.cos(theta[k])), abs(np.sin(theta[k]))
        ybar = abs(y[k]) / np.sqrt(lam[k])
        a_coef, b_coef = ybar + (c + s) * alpha[k] ** 2, c + s
        # p(U) - eps = -lam s B U^3 + lam s A U - eps
        roots = np.roots([-lam[k] * s * b_coef, 0.0, lam[k] * s * a_coef, -eps[k]])
        largest = roots[np.abs(roots.imag) < 1e-9].real.max()
        assert inter.U_hat[k] == pytest.approx(largest, rel=1e-10, abs=1e-12)


def test_eq55_claim_u_hat_below_u2_tilde_fails_for_some_admissible_points():
    # Documents discrepancy 1 of the module docstring: eq. (55) claims U_hat < u~_2.
    lam, theta, y = 1.0, 0.3, 1.0
    iv = _block_intervals(lam, theta, y)
    eps = 1e-3 * iv.eps_max
    inter = lemma_b2_intermediates(lam, theta, y, iv.alpha_max, eps)
    assert satisfies_assumption_3_3(lam, theta, y, iv.alpha_max, eps)
    assert inter.U_hat > inter.u2_tilde
    # first-order expansion of page 19: U_hat = S - eps/(2 lam s A) + O(eps^2)
    s = abs(np.sin(theta))
    a_coef = y / np.sqrt(lam) + (abs(np.cos(theta)) + s) * iv.alpha_max**2
    first = inter.S - eps / (2 * lam * s * a_coef)
    assert inter.U_hat == pytest.approx(first, abs=1e-4 * eps)


# ---------------------------------------------------------------------------------------------
# (2) leading forms of Theorem 3.9: orders O(eps) and O(sqrt(eps))
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lam", "theta", "y"), [(1.0, 0.3, 1.0), (2.5, -0.7, -0.4), (0.3, np.pi + 0.1, 3.0)]
)
def test_exact_bounds_approach_leading_forms_with_the_stated_orders(lam, theta, y):
    iv = _block_intervals(lam, theta, y)
    alpha = 0.5 * iv.alpha_max
    eps = iv.eps_max * np.logspace(-9, -5, 9)
    m_plus, m_minus = kkt_bounds_block(lam, theta, y, alpha, eps)
    lead_plus, lead_minus = kkt_bounds_leading(lam, theta, y, alpha, eps)
    d_plus = lead_plus - m_plus
    d_minus = lead_minus - m_minus
    assert np.all(d_plus > 0) and np.all(d_minus > 0)
    slope_plus = np.polyfit(np.log(eps), np.log(d_plus), 1)[0]
    slope_minus = np.polyfit(np.log(eps), np.log(d_minus), 1)[0]
    assert slope_plus == pytest.approx(1.0, abs=1e-4)
    assert slope_minus == pytest.approx(0.5, abs=0.02)
    # the O(sqrt(eps)) constant is that of N_1 (Lemma B.4)
    s = abs(np.sin(theta))
    c1 = 2 * np.sqrt(2 / (lam**0.75 * s * abs(y) ** 0.5))
    assert d_minus[0] / np.sqrt(eps[0]) == pytest.approx(c1, rel=1e-3)


# ---------------------------------------------------------------------------------------------
# (3) Lemma B.4
# ---------------------------------------------------------------------------------------------


def test_lemma_b4_limit_positivity_and_strict_decrease():
    lam, theta, y, alpha, _ = _admissible_grid(seed=11, n=40)
    c, s = np.abs(np.cos(theta)), np.abs(np.sin(theta))
    ybar = np.abs(y) / np.sqrt(lam)
    n0_expected = (c - s) * (2**-0.25 * np.sqrt(ybar) - alpha)
    # the admissible alpha at eps -> 0 is any alpha in (0, alpha_max]
    _, m0 = kkt_bounds_block(lam, theta, y, alpha, 0.0)
    np.testing.assert_allclose(m0, n0_expected, rtol=1e-13)
    assert np.all(m0 > 0)
    _, m_tiny = kkt_bounds_block(lam, theta, y, alpha, 1e-16)
    np.testing.assert_allclose(m_tiny, m0, atol=1e-6)
    for k in range(lam.size):
        iv = _block_intervals(lam[k], theta[k], y[k])
        eps = np.linspace(0.0, iv.eps_max, 500)
        a_k = min(alpha[k], iv.alpha_max)
        # keep (alpha, eps) admissible: alpha >= alpha_min(eps_max)
        a_k = max(a_k, 9 * iv.eps_max / (4 * np.sqrt(lam[k]) * s[k] * abs(y[k])))
        _, m_minus = kkt_bounds_block(lam[k], theta[k], y[k], a_k, eps)
        assert np.all(np.diff(m_minus) < 0)
        n0, n1, n2 = lemma_b4_terms(lam[k], theta[k], y[k], a_k, eps)
        np.testing.assert_allclose(n0 + n1 + n2, m_minus, rtol=0, atol=1e-14)
        assert np.all(np.diff(n2) < 0) and np.all(np.diff(n1) < 0)


def test_lemma_b4_positivity_fails_at_theta_pi_over_4():
    # Documents discrepancy 3: Assumption 3.8 allows |cos| = |sin|, where M_-(0) = 0.
    m_plus, m0 = kkt_bounds_block(1.0, np.pi / 4, 1.0, 0.05, 0.0)
    assert m0 == pytest.approx(0.0, abs=1e-15) and m_plus == pytest.approx(0.0, abs=1e-15)


# ---------------------------------------------------------------------------------------------
# (4) M_+ is linear in eps with the slope of Lemma B.2
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lam", "theta", "y"), [(1.0, 0.3, 1.0), (4.0, 0.6, -2.0)])
def test_m_plus_linear_in_eps_with_lemma_b2_slope(lam, theta, y):
    iv = _block_intervals(lam, theta, y)
    eps = np.linspace(0.0, iv.eps_max, 50)
    m_plus, _ = kkt_bounds_block(lam, theta, y, iv.alpha_max, eps)
    slope, intercept = np.polyfit(eps, m_plus, 1)
    c, s = abs(np.cos(theta)), abs(np.sin(theta))
    assert slope == pytest.approx(-(c - s) * SQRT2 / (4 * np.sqrt(lam) * abs(y)), rel=1e-10)
    assert intercept == pytest.approx((c - s) * lam**-0.25 * abs(y) ** 0.5, rel=1e-12)
    np.testing.assert_allclose(np.diff(m_plus, 2), 0.0, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# Corollaries and Assumption 3.3
# ---------------------------------------------------------------------------------------------


def test_corollary_3_10_equals_m_plus_and_leading_at_zero():
    lam, theta, y, alpha, eps = _admissible_grid(seed=5, n=200)
    m_plus, _ = kkt_bounds_block(lam, theta, y, alpha, eps)
    np.testing.assert_allclose(corollary_3_10_bound(lam, theta, y, eps), m_plus, rtol=1e-14)
    lead_plus, _ = kkt_bounds_leading(lam, theta, y, alpha, eps)
    np.testing.assert_allclose(corollary_3_10_bound(lam, theta, y, 0.0), lead_plus, rtol=1e-14)


def test_corollary_3_12_is_sum_of_corollary_3_10():
    lams = np.array([1.0, 2.0, 0.5])
    thetas = np.array([0.3, -0.2, np.pi - 0.6])
    ys = np.array([1.0, -0.5, 2.0])
    eps = np.array([[0.0, 1e-3], [5e-3, 1e-2]])
    got = corollary_3_12_bound(lams, thetas, ys, eps)
    assert got.shape == eps.shape
    want = sum(corollary_3_10_bound(lams[n], thetas[n], ys[n], eps) for n in range(3))
    np.testing.assert_allclose(got, want, rtol=1e-14)
    assert corollary_3_12_bound(lams[:1], thetas[:1], ys[:1], 2e-3) == pytest.approx(
        corollary_3_10_bound(1.0, 0.3, 1.0, 2e-3), rel=1e-14
    )


def test_assumption_3_3_intervals_per_coordinate():
    abs_x = np.array([0.9, 0.2, 1.7])
    abs_y = 1.3
    total = abs_x.sum()
    eps_bounds = [xi * abs_y**1.5 / np.sqrt(2 * total) / 9 for xi in abs_x]  # eq. (18), each i
    iv = assumption_3_3_intervals(abs_x, abs_y, [0.0, 0.5 * min(eps_bounds), min(eps_bounds)])
    assert iv.eps_max == pytest.approx(min(eps_bounds), rel=1e-15)
    for e, a_min in zip([0.0, 0.5 * iv.eps_max, iv.eps_max], iv.alpha_min, strict=True):
        lows = [9 * e / (4 * xi * abs_y) for xi in abs_x]  # eq. (19), each i
        assert a_min == pytest.approx(max(lows), rel=1e-15, abs=0)
        assert a_min < iv.alpha_max  # never empty
    assert iv.alpha_max == pytest.approx(np.sqrt(abs_y / (2 * total)) / 3, rel=1e-15)
    # the block helper agrees with the interval function
    lam, theta, y = 2.0, 0.4, -0.8
    bv = _block_intervals(lam, theta, y, 0.5 * _block_intervals(lam, theta, y).eps_max)
    e = 0.5 * bv.eps_max
    assert satisfies_assumption_3_3(lam, theta, y, bv.alpha_min, e)
    assert satisfies_assumption_3_3(lam, theta, y, bv.alpha_max, e)
    assert not satisfies_assumption_3_3(lam, theta, y, 0.99 * bv.alpha_min, e)
    assert not satisfies_assumption_3_3(lam, theta, y, 1.01 * bv.alpha_max, e)
    assert not satisfies_assumption_3_3(lam, theta, y, bv.alpha_max, 1.01 * bv.eps_max)


# ---------------------------------------------------------------------------------------------
# (5) validation
# ---------------------------------------------------------------------------------------------

THETA_MSG = (
    r"`theta` must satisfy \|cos theta\| >= \|sin theta\| > 0 \(Assumption 3\.8\); "
    r"reorder the block's columns\."
)
GOOD = {"lam": 1.0, "theta": 0.3, "y": 1.0, "alpha": 0.05, "eps": 1e-3}


@pytest.mark.parametrize("func", [kkt_bounds_block, kkt_bounds_leading, lemma_b2_intermediates,
                                  lemma_b4_terms, satisfies_assumption_3_3])
@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("theta", 1.0, THETA_MSG),
        ("theta", 0.0, r"`theta` must satisfy .*reorder"),
        ("theta", np.pi, r"`theta` must satisfy"),
        ("theta", [0.3, np.pi / 2 - 0.1], r"`theta` must satisfy"),
        ("eps", -1e-9, r"`eps` must be non-negative \(eq\. 18\)"),
        ("alpha", 0.0, r"`alpha` must be positive"),
        ("alpha", -0.1, r"`alpha` must be positive"),
        ("lam", 0.0, r"`lam` must be positive"),
        ("lam", -1.0, r"`lam` must be positive"),
        ("y", 0.0, r"`y` must be non-zero \(Assumption 3\.2\)"),
        ("y", [1.0, 0.0], r"`y` must be non-zero"),
        ("lam", np.nan, r"`lam` must be finite"),
        ("theta", np.inf, r"`theta` must be finite"),
        ("y", -np.inf, r"`y` must be finite"),
        ("alpha", np.nan, r"`alpha` must be finite"),
        ("eps", np.inf, r"`eps` must be finite"),
        ("eps", "abc", r"`eps` must be a real number"),
    ],
)
def test_block_validation(func, name, value, match):
    kwargs = dict(GOOD, **{name: value})
    with pytest.raises(ValueError, match=match):
        func(**kwargs)


def test_theta_pi_over_4_is_accepted():
    kkt_bounds_block(1.0, np.pi / 4, 1.0, 0.05, 1e-3)
    kkt_bounds_block(1.0, 3 * np.pi / 4, 1.0, 0.05, 1e-3)


def test_broadcast_error():
    msg = r"`lam`, `theta`, `y`, `alpha`, `eps` must be broadcastable"
    with pytest.raises(ValueError, match=msg):
        kkt_bounds_block([1.0, 2.0], [0.1, 0.2, 0.3], 1.0, 0.05, 1e-3)


def test_corollary_validation():
    with pytest.raises(ValueError, match=r"`lam` must be positive"):
        corollary_3_10_bound(-1.0, 0.3, 1.0, 1e-3)
    with pytest.raises(ValueError, match=r"`eps` must be non-negative"):
        corollary_3_10_bound(1.0, 0.3, 1.0, -1e-3)
    with pytest.raises(ValueError, match=r"must have the same length N"):
        corollary_3_12_bound([1.0, 2.0], [0.3], [1.0, 1.0], 1e-3)
    with pytest.raises(ValueError, match=r"`thetas` must satisfy \|cos theta\| >= \|sin theta\|"):
        corollary_3_12_bound([1.0, 2.0], [0.3, 1.2], [1.0, 1.0], 1e-3)
    with pytest.raises(ValueError, match=r"`ys` must be non-zero"):
        corollary_3_12_bound([1.0, 2.0], [0.3, 0.2], [1.0, 0.0], 1e-3)
    with pytest.raises(ValueError, match=r"`lams` must be positive"):
        corollary_3_12_bound([1.0, 0.0], [0.3, 0.2], [1.0, 1.0], 1e-3)
    with pytest.raises(ValueError, match=r"`lams` must be a non-empty 1-dimensional array"):
        corollary_3_12_bound([[1.0]], [[0.3]], [[1.0]], 1e-3)
    with pytest.raises(ValueError, match=r"`eps` must be non-negative"):
        corollary_3_12_bound([1.0], [0.3], [1.0], [1e-3, -1e-3])


def test_assumption_intervals_validation():
    with pytest.raises(ValueError, match=r"`abs_x` must be a non-empty 1-dimensional array"):
        assumption_3_3_intervals([0.5, 0.0], 1.0)
    with pytest.raises(ValueError, match=r"`abs_x` must be a non-empty"):
        assumption_3_3_intervals([], 1.0)
    with pytest.raises(ValueError, match=r"`abs_y` must be a positive scalar"):
        assumption_3_3_intervals([0.5, 0.2], 0.0)
    with pytest.raises(ValueError, match=r"`abs_y` must be a positive scalar"):
        assumption_3_3_intervals([0.5, 0.2], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"`eps` must not exceed eps_max = .* \(eq\. 18\)"):
        assumption_3_3_intervals([0.5, 0.2], 1.0, 1.0)
    with pytest.raises(ValueError, match=r"`eps` must be non-negative"):
        assumption_3_3_intervals([0.5, 0.2], 1.0, -1.0)
    with pytest.raises(ValueError, match=r"`abs_x` must be finite"):
        assumption_3_3_intervals([0.5, np.nan], 1.0)


# ---------------------------------------------------------------------------------------------
# independent check: integrate the flow and compare Delta with the bounds
# ---------------------------------------------------------------------------------------------


def _integrate_block(lam, theta, y, alpha, eps, t_end=50.0):
    """Integrate eq. (16) for N = 1, D = 2 in (u1, u2, v1, v2); return Delta and diagnostics.

    Signs are absorbed (Prop. 3.4, eq. 29): with a_k = |x_k| and
    R = |y| - sum_k a_k (u_k^2 - v_k^2) (= sgn(y) r), the flow is
    u_k' = u_k a_k R / (u_k a_k |R| + eps), v_k' = -v_k a_k R / (v_k a_k |R| + eps),
    which is u_k' = u_k |x_k r| / (u_k |x_k r| + eps) etc. while R >= 0 (Lemma A.1), and keeps
    the sign of the true gradient if round-off pushes R below 0.
    """
    a = np.sqrt(lam) * np.array([abs(np.cos(theta)), abs(np.sin(theta))])
    abs_y = abs(y)

    def resid(z):
        return abs_y - a[0] * (z[0] ** 2 - z[2] ** 2) - a[1] * (z[1] ** 2 - z[3] ** 2)

    def rhs(_t, z):
        r = resid(z)
        fu, fv = z[:2] * a * r, z[2:] * a * r
        return np.concatenate([fu / (np.abs(fu) + eps), -fv / (np.abs(fv) + eps)])

    def jac(_t, z):
        r = resid(z)
        d_r = np.concatenate([-2 * a * z[:2], 2 * a * z[2:]])
        jm = np.zeros((4, 4))
        for k in range(2):
            for row, sign in ((k, 1.0), (k + 2, -1.0)):
                w = z[row]
                g = eps / (abs(w * a[k] * r) + eps) ** 2  # d/df [f / (|f| + eps)]
                jm[row] = sign * g * a[k] * w * d_r
                jm[row, row] += sign * g * a[k] * r
        return jm

    sol = solve_ivp(rhs, (0.0, t_end), np.full(4, alpha), method="Radau", rtol=1e-11,
                    atol=1e-13, jac=jac)
    assert sol.success, sol.message
    z = sol.y[:, -1]
    c, s = abs(np.cos(theta)), abs(np.sin(theta))
    delta = c * (z[1] - alpha) - s * (z[0] - alpha)
    r_path = np.array([resid(sol.y[:, i]) for i in range(sol.t.size)])
    return delta, resid(z), r_path.min(), rhs(0.0, z)


# (lam, theta, y, eps / eps_max, position of alpha in [alpha_min, alpha_max])
FLOW_CASES = [
    (1.0, 0.3, 1.0, 0.01, 0.1),
    (1.762, 0.27, -1.441, 0.05, 0.0),
    (2.0, 0.05, 1.5, 0.002, 0.5),
    (0.5, -0.7, 2.0, 0.3, 1.0),
    (3.0, np.pi + 0.5, -0.7, 1.0, 0.0),
    (1.2, 0.6, 0.8, 1.0, 1.0),
]


@pytest.mark.parametrize(("lam", "theta", "y", "eps_frac", "alpha_pos"), FLOW_CASES)
def test_flow_delta_between_bounds(lam, theta, y, eps_frac, alpha_pos):
    iv0 = _block_intervals(lam, theta, y)
    eps = eps_frac * iv0.eps_max
    iv = _block_intervals(lam, theta, y, eps)
    alpha = iv.alpha_min + alpha_pos * (iv.alpha_max - iv.alpha_min)
    assert satisfies_assumption_3_3(lam, theta, y, alpha, eps)
    delta, r_end, r_min, speed = _integrate_block(lam, theta, y, alpha, eps)
    assert abs(r_end) < 1e-13  # converged: residual
    assert np.max(np.abs(speed)) < 1e-10  # converged: weights at rest
    assert r_min > -1e-13  # Lemma A.1: the residual keeps its sign
    m_plus, m_minus = kkt_bounds_block(lam, theta, y, alpha, eps)
    assert m_minus <= delta <= m_plus
    # the repaired bound of Lemma B.2 (module docstring, item 1) holds as well
    assert delta <= lemma_b2_intermediates(lam, theta, y, alpha, eps).M_plus_cubic
