"""Absolute values of the bounds of Appendix B and of the intervals of Assumption 3.3.

Every expected number is derived by hand on instances with simple numbers (the derivation is in
the comments), or from an independent computation (roots of the cubic of Lemma B.2 with
``numpy.roots``). Errors are measured in units of a relative tolerance ``RTOL``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ssdlib import Problem, check_assumptions
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

RTOL = 1e-13

# Block A: lam = 4, |cos| = 0.8, |sin| = 0.6, |y| = 2, so sqrt(lam) = 2, lam**(1/4) = sqrt 2,
# ybar = |y| / sqrt(lam) = 1, c - s = 1/5, c + s = 7/5, |x| = (1.6, 1.2).
LAM, C, S, Y = 4.0, 0.8, 0.6, 2.0
THETA = math.atan2(S, C)
R2 = math.sqrt(2.0)


def close(actual, expected, rtol=RTOL):
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    err = np.abs(actual - expected) / (rtol * np.maximum(np.abs(expected), 1e-300))
    return bool(np.all(err <= 1.0))


@pytest.mark.parametrize("eps", [0.0, 1e-4, 3e-3])
@pytest.mark.parametrize("sign_y", [1.0, -1.0])
def test_lemma_b2_b3_b4_constants_on_a_hand_instance(eps, sign_y):
    alpha = 0.05
    # M+ = (c - s)(lam^(-1/4)|y|^(1/2) - sqrt2 eps/(4 lam^(1/2)|y|)) = (1/5)(1 - sqrt2 eps/16)
    m_plus = 0.2 * (1.0 - R2 * eps / 16.0)
    # N0 = (c - s)((2 lam)^(-1/4)|y|^(1/2) - alpha) = (1/5)(2^(-3/4) 2^(1/2) - alpha)
    n0 = 0.2 * (2.0**-0.25 - alpha)
    # N1 = -2 sqrt(2 eps/(lam^(3/4) s |y|^(1/2))) = -2 sqrt(2 eps/(2^(3/2) 0.6 2^(1/2)))
    n1 = -2.0 * math.sqrt(eps / 1.2)
    # N2 = -3 eps' ln(ybar^(1/2)/eps'), eps' = sqrt2 eps/(lam s ybar) = sqrt2 eps/2.4
    ep = R2 * eps / 2.4
    n2 = -3.0 * ep * math.log(1.0 / ep) if eps > 0 else 0.0
    terms = lemma_b4_terms(LAM, THETA, sign_y * Y, alpha, eps)
    assert close(terms.N0, n0)
    assert close(terms.N1, n1) if eps > 0 else terms.N1 == 0.0
    assert close(terms.N2, n2) if eps > 0 else terms.N2 == 0.0
    mp, mm = kkt_bounds_block(LAM, THETA, sign_y * Y, alpha, eps)
    assert close(mp, m_plus)
    assert close(mm, n0 + n1 + n2)
    lead_p, lead_m = kkt_bounds_leading(LAM, THETA, sign_y * Y, alpha, eps)
    assert close(lead_p, 0.2)
    assert close(lead_m, n0)
    assert close(corollary_3_10_bound(LAM, THETA, sign_y * Y, eps), m_plus)


def test_bounds_use_the_absolute_angle_and_broadcast():
    """theta in the other quadrants (|cos| >= |sin| kept) gives the same bounds, element-wise."""
    thetas = np.array([THETA, -THETA, math.pi - THETA, math.pi + THETA])
    eps = np.array([0.0, 1e-4, 2e-3, 5e-3])
    mp, mm = kkt_bounds_block(LAM, thetas, Y, 0.05, eps)
    assert mp.shape == mm.shape == (4,)
    for k in range(4):
        one = kkt_bounds_block(LAM, THETA, Y, 0.05, eps[k])
        assert close(mp[k], one[0]) and close(mm[k], one[1])
    # theta = pi/4: c = s, every (c - s) term vanishes exactly
    mp, mm = kkt_bounds_block(LAM, math.pi / 4, Y, 0.05, 1e-3)
    assert abs(mp) <= 1e-15
    assert close(mm, -2.0 * math.sqrt(2e-3 / (2**1.5 * math.sin(math.pi / 4) * R2))
                 - 3 * (R2 * 1e-3 / (4 * math.sin(math.pi / 4)))
                 * math.log(4 * math.sin(math.pi / 4) / (R2 * 1e-3)))


def test_corollary_3_12_sums_the_blocks():
    # block A: const (1/5) * 1, slope (1/5) sqrt2 / (4 * 2 * 2) = sqrt2/80
    # block B: lam = 1, (c, s) = (0.8, 0.6), y = -1: const 1/5, slope (1/5) sqrt2/4 = sqrt2/20
    lams = [LAM, 1.0]
    thetas = [THETA, math.atan2(-S, C)]
    ys = [Y, -1.0]
    eps = np.array([0.0, 1e-3, 0.01])
    expected = 0.4 - (R2 / 80 + R2 / 20) * eps
    assert close(corollary_3_12_bound(lams, thetas, ys, eps), expected)
    # one block is Corollary 3.10
    assert close(corollary_3_12_bound([LAM], [THETA], [Y], 1e-3),
                 corollary_3_10_bound(LAM, THETA, Y, 1e-3))


@pytest.mark.parametrize("alpha,eps", [(0.05, 1e-4), (0.1, 1e-3), (0.02, 0.0)])
def test_lemma_b2_cubic_root_against_numpy_roots(alpha, eps):
    # p(U) = lam s U (ybar + (c+s) alpha^2 - (c+s) U^2) = eps, largest real root
    A = 1.0 + 1.4 * alpha**2
    coeffs = [-LAM * S * 1.4, 0.0, LAM * S * A, -eps]
    roots = np.roots(coeffs)
    real = roots[np.abs(roots.imag) < 1e-9].real
    u_hat = real.max()
    big_s = math.sqrt(A / 1.4)
    k = C * (C - S) / (C + S)
    got = lemma_b2_intermediates(LAM, THETA, Y, alpha, eps)
    assert close(got.U_hat, u_hat, 1e-12)
    assert close(got.S, big_s)
    assert close(got.u2_tilde, big_s - eps / (2 * LAM * S * 1.0))
    assert close(got.M_plus_cubic, k * (big_s - u_hat) + (C - S) * (u_hat - alpha), 1e-11)


def test_lemma_b2_u2_tilde_with_ybar_not_1():
    # |y| = 1/2: ybar = 1/4, S = sqrt((1/4)/(7/5) + alpha^2), u~_2 = S - eps/(2 lam s ybar)
    alpha, eps = 0.05, 1e-4
    got = lemma_b2_intermediates(LAM, THETA, 0.5, alpha, eps)
    big_s = math.sqrt(0.25 / 1.4 + alpha**2)
    assert close(got.S, big_s)
    assert close(got.u2_tilde, big_s - eps / (2 * LAM * S * 0.25))


def test_lemma_b2_no_root_above_the_maximum_of_the_cubic():
    alpha = 0.05
    A, B = 1.0 + 1.4 * alpha**2, 1.4
    u_star = math.sqrt(A / (3 * B))  # argmax of p
    p_max = LAM * S * u_star * (A - B * u_star**2)
    below = lemma_b2_intermediates(LAM, THETA, Y, alpha, p_max * (1 - 1e-9))
    above = lemma_b2_intermediates(LAM, THETA, Y, alpha, p_max * (1 + 1e-6))
    assert np.isfinite(below.U_hat) and abs(below.U_hat - u_star) < 1e-3
    assert np.isnan(above.U_hat) and np.isnan(above.M_plus_cubic)


# Assumption 3.3 on the block |x| = (3, 1), |y| = 2: sum |x_k| = 4, sqrt(2 * 4) = 2 sqrt2.
#   eq. (18): eps_max_i = |x_i| |y|^(3/2) / (9 * 2 sqrt2) = |x_i| / 9          -> min 1/9
#   eq. (19): alpha_lo_i = 9 eps / (4 |x_i| * 2) = 9 eps / (8 |x_i|)            -> max 9 eps / 8
#             alpha_hi  = (1/3) sqrt(2 / 8) = 1/6
# eps = 1/32 makes alpha_lo = 9/256 exactly representable.
EPS_A = 1.0 / 32.0
ALO_A = 9.0 / 256.0
AHI_A = 1.0 / 6.0


def test_assumption_3_3_intervals_hand_values():
    got = assumption_3_3_intervals([3.0, 1.0], 2.0, EPS_A)
    assert close(got.eps_max, 1.0 / 9.0)
    assert close(got.alpha_min, ALO_A)
    assert close(got.alpha_max, AHI_A)
    many = assumption_3_3_intervals([1.0, 3.0], 2.0, [0.0, EPS_A, 0.1])
    assert close(many.alpha_min, [0.0, ALO_A, 0.9 / 8.0])
    # eps at the upper end is admissible, just above it is not
    assumption_3_3_intervals([3.0, 1.0], 2.0, 1.0 / 9.0)
    with pytest.raises(ValueError, match="eps_max"):
        assumption_3_3_intervals([3.0, 1.0], 2.0, (1.0 / 9.0) * (1 + 1e-9))


def test_check_assumptions_both_ends_of_both_intervals():
    # one block, columns (3, 1) with signs, label -2
    problem = Problem([[3.0, -1.0]], [-2.0])
    rep = check_assumptions(problem, ALO_A, EPS_A)
    assert close(rep.eps_interval, (0.0, 1.0 / 9.0))
    assert rep.eps_interval[0] == 0.0
    assert close(rep.alpha_interval, (ALO_A, AHI_A))
    assert rep.a32 and rep.a33 and rep.a38
    assert rep.block_sizes == [2]
    # alpha at both ends is admissible (closed interval), just outside is not
    for alpha, ok in [(ALO_A, True), (ALO_A * (1 - 1e-12), False), (AHI_A, True),
                      (AHI_A * (1 + 1e-12), False), (0.1, True)]:
        rep = check_assumptions(problem, alpha, EPS_A)
        assert rep.a33 is ok, alpha
        # coordinate 1 (|x| = 1) sets the lower end; coordinate 0 has alpha_lo = 9 eps/24
        assert rep.alpha_ok.tolist() == [alpha <= AHI_A, ok]
        assert rep.eps_ok.tolist() == [True, True]
    # eps: [0, 1/9]; eps = 1/9 itself lies inside, above it eq. (18) fails on coordinate 1
    e_max = rep.eps_interval[1]
    alpha = 9.0 * e_max / 8.0 * 1.01  # admissible for that eps
    assert check_assumptions(problem, min(alpha, AHI_A), e_max).eps_ok.tolist() == [True, True]
    over = check_assumptions(problem, AHI_A, e_max * (1 + 1e-9))
    assert over.eps_ok.tolist() == [True, False] and not over.a33
    # eps = 0 is allowed (the sign flow)
    assert check_assumptions(problem, 0.1, 0.0).a33


def test_check_assumptions_takes_the_extremes_over_blocks_and_coordinates():
    # block 0: |x| = (3, 1), |y| = 2 (as above); block 1: |x| = (2,), |y| = 8:
    #   eps_max = 2 * 8^(3/2) / (9 sqrt(2 * 2)) = 16 sqrt2 / 9; alpha_lo = 9 eps / 64;
    #   alpha_hi = (1/3) sqrt(8 / 4) = sqrt2 / 3
    problem = Problem([[3.0, 0.0, 1.0], [0.0, -2.0, 0.0]], [2.0, 8.0])
    eps = 0.05
    rep = check_assumptions(problem, 0.1, eps)
    assert close(rep.eps_interval[1], 1.0 / 9.0)
    assert close(rep.alpha_interval, (9 * eps / 8, 1.0 / 6.0))
    assert rep.block_sizes == [2, 1] and rep.a32 and not rep.a38
    assert rep.alpha_ok.tolist() == [True, True, True]
    # alpha = 0.3 is above 1/6 (block 0) but below sqrt2/3 (block 1)
    rep = check_assumptions(problem, 0.3, eps)
    assert rep.alpha_ok.tolist() == [False, True, False] and not rep.a33
    text = str(rep)
    assert "3.3 (eqs. 18-19):      fails" in text
    assert "eq. (19) fails at coordinates [0, 2]" in text
    assert "eq. (18)" not in text.split("fails;")[1]
    assert "3.8 (blocks of size 2): fails" in text
    assert "block sizes [2, 1]" in text
    # eps_max_i = |x_i| / 9 in block 0: eps = 0.2 breaks eq. (18) on the |x| = 1 column only
    rep = check_assumptions(problem, 1.0, 0.2)
    assert rep.eps_ok.tolist() == [True, True, False]
    assert "eq. (18) fails at coordinates [2]" in str(rep)


def test_satisfies_assumption_3_3_both_ends():
    # block lam = 4, (c, s) = (0.8, 0.6), |y| = 2: |x| = (1.6, 1.2), sum 2.8
    #   eps_max = 1.2 * 2^(3/2) / (9 sqrt(5.6)); alpha_lo = 9 eps / (4 * 1.2 * 2) = 15 eps / 16;
    #   alpha_hi = (1/3) sqrt(2 / 5.6)
    eps_max = 1.2 * 2**1.5 / (9 * math.sqrt(5.6))
    a_hi = math.sqrt(2 / 5.6) / 3
    eps = 0.016  # alpha_lo = 0.015
    cases = [(0.015 * (1 + 1e-9), eps, True), (0.015 * (1 - 1e-9), eps, False),
             (a_hi * (1 - 1e-9), eps, True), (a_hi * (1 + 1e-9), eps, False),
             (0.18, eps_max * (1 - 1e-9), True), (0.18, eps_max * (1 + 1e-9), False),
             (0.1, 0.0, True)]
    alpha = np.array([c[0] for c in cases])
    e = np.array([c[1] for c in cases])
    got = satisfies_assumption_3_3(LAM, THETA, -Y, alpha, e)
    assert got.tolist() == [c[2] for c in cases]
    # eps_max sits at alpha in its own (non-empty) interval
    assert 9 * eps_max / (4 * 1.2 * 2) < a_hi


def test_c_minus_s_is_never_negative_at_the_diagonal():
    # at theta = 3 pi/4, |sin| exceeds |cos| in the last bit; the bounds use c - s = 0 there
    theta = 3 * math.pi / 4
    assert abs(math.sin(theta)) > abs(math.cos(theta))
    mp, _ = kkt_bounds_block(LAM, theta, Y, 0.05, 1e-3)
    assert mp == 0.0
    lead_p, lead_m = kkt_bounds_leading(LAM, theta, Y, 0.05, 1e-3)
    assert lead_p == 0.0 and lead_m == 0.0
    assert lemma_b4_terms(LAM, theta, Y, 0.05, 1e-3).N0 == 0.0
    assert corollary_3_10_bound(LAM, theta, Y, 1e-3) == 0.0
    assert corollary_3_12_bound([LAM], [theta], [Y], 1e-3) == 0.0
    assert lemma_b2_intermediates(LAM, theta, Y, 0.05, 1e-3).M_plus_cubic == 0.0
