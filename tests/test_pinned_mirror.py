"""Absolute values of the analysis functions of ssdlib.mirror on hand-derived instances.

The trajectories used are sign flows (eps = 0), whose limits are simple numbers
(``u_inf = alpha + t*``, ``v_inf = max(alpha - t*, 0)``, see tests/test_pinned_flow.py), so the
potentials, E, the KKT error and Delta have closed-form values; the minimisers of problems (14)
and (23) are checked against a one-dimensional root found here by bracketing.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import brentq

import ssdlib as S

# Sign flow on the hand instance of test_pinned_flow: alpha = 1/4, t* = (1/8, 5/4),
# sgn(x_i y) = (+, -, -), u_inf = (3/8, 3/8, 3/2), v_inf = (1/8, 1/8, 0).
X_HAND = [[1.5, -0.5, 0.0], [0.0, 0.0, 2.0]]
Y_HAND = [0.25, -4.5]
ALPHA = 0.25


@pytest.fixture(scope="module")
def hand():
    P = S.Problem(X_HAND, Y_HAND)
    return P, S.simulate(P, ALPHA, 0.0)


def test_potential_and_mirror_map_hand_values():
    # H = 2: 2/3 ((0.75 + 0.5^2)^(3/2) + (0 + 1^2)^(3/2)) = 2/3 (1 + 1) = 4/3
    beta, v = np.array([-0.75, 0.0]), np.array([0.5, 1.0])
    assert abs(S.potential(beta, v) - 4.0 / 3.0) < 1e-15
    np.testing.assert_array_equal(S.mirror_map(beta, v), [-1.0, 0.0])
    # H = 3: 3/4 (|beta| + v^3)^(4/3) with |beta| + v^3 = 8 and 1: 3/4 (16 + 1)
    beta, v = np.array([7.0, -0.875]), np.array([1.0, 0.5])
    assert abs(S.potential(beta, v, depth=3) - 0.75 * 17.0) < 1e-14
    np.testing.assert_allclose(S.mirror_map(beta, v, depth=3), [2.0, -1.0], rtol=1e-15)
    # batches over the leading axis
    got = S.potential(np.array([[7.0, -0.875], [0.0, 0.0]]), v, depth=3)
    np.testing.assert_allclose(got, [12.75, 0.75 * (1.0 + 0.125**(4 / 3))], rtol=1e-15)


def test_woodworth_potential_and_mirror_map_hand_values():
    # alpha^2 = 1/2: 2 alpha^2 = 1, beta = sinh 1 gives arcsinh = 1 and sqrt(beta^2 + 1) = cosh 1
    alpha = math.sqrt(0.5)
    beta = np.array([math.sinh(1.0), 0.0, -math.sinh(2.0)])
    expected = 0.25 * ((math.sinh(1) - math.cosh(1)) - 1.0
                       + (2 * math.sinh(2) - math.cosh(2)))
    assert abs(S.woodworth_potential(beta, alpha) - expected) < 1e-14
    np.testing.assert_allclose(S.woodworth_mirror_map(beta, alpha), [0.25, 0.0, -0.5],
                               rtol=1e-15, atol=1e-16)


def test_bregman_E_hand_values(hand):
    _, tr = hand
    np.testing.assert_allclose(tr.v_inf, [0.125, 0.125, 0.0], atol=1e-16)
    # E(beta) = 2/3 sum(|beta| + v_inf^2)^(3/2) - Phi_0(0) - alpha sum sgn(x_i y) beta_i,
    # Phi_0(0) = 2/3 * 3 * alpha^3 = 1/32.
    # beta_inf = (1/8, -1/8, -9/4): |beta| + v^2 = (3/8)^2, (3/8)^2, (3/2)^2
    #   2/3 (2 (3/8)^3 + (3/2)^3) = 2.3203125; -alpha (1/8 + 1/8 + 9/4) = -0.625
    # beta = (3/64, -3/64, 1): |beta| + v^2 = 1/16, 1/16, 1:
    #   2/3 (2/64 + 1) = 0.6875; -alpha (3/64 + 3/64 - 1) = 0.2265625
    betas = np.array([tr.beta_inf, [3 / 64, -3 / 64, 1.0], [0.0, 0.0, 0.0]])
    expected = [2.3203125 - 1 / 32 - 0.625, 0.6875 - 1 / 32 + 0.2265625,
                2 / 3 * (2 * 0.125**3) - 1 / 32]
    np.testing.assert_allclose(S.bregman_E(betas, tr), expected, rtol=1e-15, atol=1e-16)
    assert abs(S.bregman_E(betas[1], tr) - expected[1]) < 1e-15
    # the gradient of E is grad Phi_inf(beta) - grad Phi_0(beta_0), zero along X beta = y
    # exactly when beta minimises problem (23); at beta_inf it is sgn(beta)(|beta| + v^2)^(1/2) -
    # sgn(x_i y) alpha = (3/8 - 1/4, -(3/8 - 1/4), -(3/2 - 1/4))
    grad = S.mirror_map(tr.beta_inf, tr.v_inf) - tr.sign * tr.alpha
    np.testing.assert_allclose(grad, [0.125, -0.125, -1.25], rtol=1e-15)


def test_kkt_error_hand_value(hand):
    P, tr = hand
    # V = sgn(x y)(u_inf - alpha) = (1/8, -1/8, -5/4); block 1 has one column (distance 0);
    # block 0: (1/8, -1/8) minus its projection 0.1 (1.5, -0.5) on the row is (-1/40, -3/40)
    assert abs(S.kkt_error(P, tr) - math.sqrt(0.00625)) < 1e-15


def one_block(y=0.35):
    # x = sqrt(4) (0.8, 0.6) = (1.6, 1.2), A = 2.8; alpha = 1/4 and |y| = 0.35 <= A (2 alpha)^2
    # give t* = |y| / (4 alpha A) = 1/8 and u_inf = 3/8, v_inf = 1/8 on both columns.
    return S.Problem.from_angles([math.atan2(0.6, 0.8)], [4.0], [y])


def test_kkt_Delta_and_bounds_hand_values():
    P = one_block()
    tr = S.simulate(P, ALPHA, 0.0)
    np.testing.assert_allclose(tr.u_inf, [0.375, 0.375], rtol=1e-15)
    # Delta = |cos| (u_2 - alpha) - |sin| (u_1 - alpha) = (0.8 - 0.6) / 8, delta = |Delta|
    np.testing.assert_allclose(S.kkt_Delta(P, tr), [0.025], rtol=1e-13)
    assert abs(S.kkt_error(P, tr) - 0.025) < 1e-15
    # with eps > 0 the two columns differ: Delta weights the |sin| column's u by |cos|
    P2 = S.Problem.from_angles([math.atan2(0.6, 0.8), math.pi + math.atan2(0.3, -0.9)],
                               [4.0, 1.0], [0.35, -1.0])
    tr = S.simulate(P2, ALPHA, 0.01)
    cols, _, th = P2.block_angles()
    expected = [abs(math.cos(th[n])) * (tr.u_inf[cols[n, 1]] - ALPHA)
                - abs(math.sin(th[n])) * (tr.u_inf[cols[n, 0]] - ALPHA) for n in range(2)]
    np.testing.assert_allclose(S.kkt_Delta(P2, tr), expected, rtol=1e-13)
    assert abs(np.linalg.norm(expected) - S.kkt_error(P2, tr)) < 1e-12
    # kkt_bounds: block 0 is block A of test_pinned_bounds with |y| = 0.35 instead of 2
    lam, c, s, yy = 4.0, 0.8, 0.6, 0.35
    eps = 0.001
    m_plus = (c - s) * (lam**-0.25 * yy**0.5 - math.sqrt(2) * eps / (4 * lam**0.5 * yy))
    ep = math.sqrt(2) * eps / (lam * s * yy / 2)
    m_minus = ((c - s) * ((2 * lam) ** -0.25 * yy**0.5 - ALPHA)
               - 2 * math.sqrt(2 * eps / (lam**0.75 * s * yy**0.5))
               - 3 * ep * math.log(math.sqrt(yy / 2) / ep))
    got = S.kkt_bounds(P2, ALPHA, eps)
    assert got.shape == (2, 2)
    np.testing.assert_allclose(got[0], [m_plus, m_minus], rtol=1e-13)


def test_min_E_solution_against_a_bracketed_root():
    P = one_block()
    tr = S.simulate(P, ALPHA, 0.0)
    x, v = np.array([1.6, 1.2]), 0.125

    def beta(nu):
        z = ALPHA + x * nu
        return np.sign(z) * np.maximum(z**2 - v**2, 0.0)

    nu = brentq(lambda n: x @ beta(n) - 0.35, -1.0, 1.0, xtol=1e-16)
    expected = beta(nu)
    got = S.min_E_solution(P, tr)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert S.bregman_E(got, tr) <= S.bregman_E(tr.beta_inf, tr)


def test_min_E_solution_with_a_clamped_coordinate(hand):
    # block 0 of the hand instance with v_inf = 1/8: z = sgn(x y) alpha + x nu; the minimiser
    # sets beta_i = 0 where |z_i| <= v_i
    P, tr = hand
    x = np.array([1.5, -0.5])
    sgn = np.array([1.0, -1.0])

    def beta(nu):
        z = sgn * ALPHA + x * nu
        return np.sign(z) * np.maximum(z**2 - 0.125**2, 0.0)

    nu = brentq(lambda n: x @ beta(n) - 0.25, -1.0, 1.0, xtol=1e-16)
    got = S.min_E_solution(P, tr)
    np.testing.assert_allclose(got[:2], beta(nu), rtol=1e-12, atol=1e-15)
    # block 1 (one column, v_inf = 0): beta = y / x exactly
    assert abs(got[2] + 2.25) < 1e-14


def test_min_bregman_solution_against_a_bracketed_root():
    P = one_block(0.9)
    x = np.array([1.6, 1.2])
    for alpha in (0.05, 0.5):
        c = 2 * alpha**2
        nu = brentq(lambda n, c=c: x @ (c * np.sinh(4 * x * n)) - 0.9, -5.0, 5.0, xtol=1e-16)
        np.testing.assert_allclose(S.min_bregman_solution(P, alpha), c * np.sinh(4 * x * nu),
                                   rtol=1e-12)
    # a general X: beta = 2 alpha^2 sinh(4 X^T nu) with X beta = y (two equations in nu)
    G = S.Problem([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]], [1.0, -0.5])
    b = S.min_bregman_solution(G, 0.3)
    assert np.linalg.norm(G.X @ b - G.y) < 1e-12
    z = np.arcsinh(b / (2 * 0.3**2)) / 4
    nu = np.linalg.lstsq(G.X.T, z, rcond=None)[0]
    assert np.linalg.norm(G.X.T @ nu - z) < 1e-12


def test_min_E_solution_general_X_satisfies_its_kkt_conditions():
    # without the block structure min_E_solution runs Newton's method on the dual; its KKT
    # conditions are checked here: X beta = y, and z = sgn(x y) alpha + X^T nu with
    # beta_i = sgn(z_i) max(z_i^2 - v_i^2, 0) for one nu
    Xg = np.array([[1.0, 0.5, -0.3, 0.7], [0.2, -1.0, 0.8, 0.1]])
    yg = np.array([1.0, -0.5])
    G = S.Problem(Xg, yg)
    tr = S.simulate(G, 0.3, 0.05, t_eval=[0.0, 1.0])
    v = tr.v_inf
    assert np.all(v > 1e-3)
    b = S.min_E_solution(G, tr)
    assert np.linalg.norm(Xg @ b - yg) < 1e-12
    on = b != 0
    assert on.sum() >= 2
    z_on = np.sign(b[on]) * np.sqrt(np.abs(b[on]) + v[on] ** 2)
    nu = np.linalg.lstsq(Xg.T[on], z_on - tr.sign[on] * 0.3, rcond=None)[0]
    z = tr.sign * 0.3 + Xg.T @ nu
    np.testing.assert_allclose(z[on], z_on, rtol=1e-10)
    assert np.all(np.abs(z[~on]) <= v[~on] + 1e-12)
    # and it is a minimum of E on X beta = y: no null-space step decreases E
    null = np.linalg.svd(Xg)[2][2:]
    E0 = S.bregman_E(b, tr)
    for d in np.random.default_rng(0).normal(size=(20, 2)) @ null:
        assert S.bregman_E(b + 1e-3 * d, tr) >= E0


def test_potentials_reject_and_broadcast():
    got = S.woodworth_potential(np.array([[1.0, 0.0], [0.0, 1.0]]), 1.0)
    assert got.shape == (2,) and got[0] == got[1]
    # Psi(0) = -1/4 sum sqrt(4 alpha^4) = -alpha^2 / 2 per coordinate
    assert abs(S.woodworth_potential(np.zeros(3), 1.0) + 1.5) < 1e-15


def test_integer_input_is_taken_as_float():
    # 10**10 squared overflows int64; the potentials must compute in floating point
    assert S.woodworth_potential([10**10], 1.0) == S.woodworth_potential([1e10], 1.0)
    assert S.potential([10**10], [10**10]) == S.potential([1e10], [1e10])


def test_min_bregman_general_X_small_alpha_without_warnings():
    # the Newton iteration may overshoot to where sinh overflows; that is handled, not warned
    G = S.Problem([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]], [1.0, -0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = S.min_bregman_solution(G, 1e-4)
    assert np.linalg.norm(G.X @ b - G.y) < 1e-12


# --- the pieces handed to the dual solver, and the solver's exact brackets -------------------


def _captured(monkeypatch, call):
    """The callables (beta_of_z, dbeta_of_z, conj, z0) that ``call`` hands to the dual solver."""
    import ssdlib.mirror as M

    seen = []

    def capture(problem, beta_of_z, dbeta_of_z, conj, z0, max_dz=np.inf):
        seen.append((beta_of_z, dbeta_of_z, conj, np.array(z0)))
        return np.zeros(problem.D)

    monkeypatch.setattr(M, "_solve_dual", capture)
    call()
    assert len(seen) == 1
    return seen[0]


def _check_inverse_map_pieces(pieces, beta_ref, z_pts, z_pairs):
    """dbeta against central differences of the hand-written inverse map ``beta_ref``, beta
    against ``beta_ref``, and differences of conj against quadrature of ``beta_ref``."""
    from scipy.integrate import quad

    beta_of_z, dbeta_of_z, conj, _ = pieces
    D = z_pts.shape[1]
    allb = np.arange(D)
    for z in z_pts:
        np.testing.assert_allclose(beta_of_z(z, allb), beta_ref(z), rtol=1e-14, atol=1e-300)
        h = 1e-6 * np.maximum(np.abs(z), 1e-3)
        fd = (beta_ref(z + h) - beta_ref(z - h)) / (2 * h)
        np.testing.assert_allclose(dbeta_of_z(z, allb), fd, rtol=1e-7, atol=1e-9)
    for z1, z2 in z_pairs:
        got = conj(z2, allb) - conj(z1, allb)
        for i in range(D):
            ref = quad(lambda s, i=i: beta_ref(np.full(D, s))[i], z1[i], z2[i],
                       epsabs=1e-13, epsrel=1e-12)[0]
            assert abs(got[i] - ref) <= 1e-10 * (1 + abs(ref))


def test_min_E_inverse_mirror_map_derivative_and_conjugate(monkeypatch, hand):
    # depth 2 on the hand flow, v_inf = (1/8, 1/8, 0): beta(z) = sgn(z) max(z^2 - v^2, 0) is
    # flat for |z| < v (0.1 is clamped: 0.1^2 < 1/64 although 2 * 0.1 > 1/64)
    P, tr = hand
    v = np.array([0.125, 0.125, 0.0])

    def beta2(z):
        return np.sign(z) * np.maximum(z * z - v * v, 0.0)

    pieces = _captured(monkeypatch, lambda: S.min_E_solution(P, tr))
    np.testing.assert_array_equal(pieces[3], [0.25, -0.25, -0.25])  # sgn(x_i y) alpha
    z_pts = np.array([[0.1, -0.1, 0.3], [0.7, -0.3, -1.1], [-0.05, 0.6, 2.0]])
    pairs = [(np.array([0.2, -0.2, 0.1]), np.array([0.9, -1.3, 1.7])),
             (np.array([0.05, -0.1, -0.4]), np.array([0.6, 0.4, -2.0]))]
    _check_inverse_map_pieces(pieces, beta2, z_pts, pairs)


def test_min_E_inverse_mirror_map_depth_3(monkeypatch):
    # depth 3: beta(z) = sgn(z) max(|z|^3 - v^3, 0) with the flow's own v_inf
    P = S.Problem([[1.5, -0.5, 0.0], [0.0, 0.0, 2.0]], [0.25, -4.5])
    tr = S.simulate(P, ALPHA, 0.0, depth=3)
    v = np.array(tr.v_inf)

    def beta3(z):
        return np.sign(z) * np.maximum(np.abs(z) ** 3 - v**3, 0.0)

    pieces = _captured(monkeypatch, lambda: S.min_E_solution(P, tr))
    z_pts = np.array([[0.4, -0.7, 0.3], [1.2, -0.5, -1.1], [-0.9, 0.6, 2.0]])
    pairs = [(np.array([0.3, -0.3, 0.1]), np.array([0.9, -1.3, 1.7])),
             (np.array([0.5, -0.4, -0.4]), np.array([1.6, 0.8, -2.0]))]
    _check_inverse_map_pieces(pieces, beta3, z_pts, pairs)


def test_min_bregman_inverse_mirror_map_derivative_and_conjugate(monkeypatch):
    # eq. (14): 1/4 arcsinh(beta / c) = z inverts to beta = c sinh(4 z), c = 2 alpha^2 = 1/8
    P = S.Problem([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]], [1.0, -0.5])

    def beta_sinh(z):
        return 0.125 * np.sinh(4 * z)

    pieces = _captured(monkeypatch, lambda: S.min_bregman_solution(P, 0.25))
    np.testing.assert_array_equal(pieces[3], np.zeros(3))
    z_pts = np.array([[0.1, -0.2, 0.3], [0.7, -0.3, -1.1]])
    pairs = [(np.array([0.0, -0.2, 0.1]), np.array([0.9, -1.3, 1.2]))]
    _check_inverse_map_pieces(pieces, beta_sinh, z_pts, pairs)


def test_block_dual_roots_on_the_doubling_grid_are_returned_exactly():
    # one scalar equation per row, x . c sinh(4 x t) = y_n, with y_n built so that the root is
    # exactly t = 1, -1, -2, 4, 2: the bracket search [-1, 1] doubled stops on the root itself,
    # so the solver returns it without rounding and beta = c sinh(4 x t) bit for bit
    alpha = 0.5
    c = 2 * alpha**2
    rows = [(np.array([0.3, -0.2]), 1.0), (np.array([0.3, -0.2]), -1.0), (np.array([0.25]), -1.0),
            (np.array([0.15, 0.1]), -2.0), (np.array([0.2]), 4.0), (np.array([0.1125]), 4.0),
            (np.array([0.3, 0.2]), 2.0)]
    D = sum(len(x) for x, _ in rows)
    X = np.zeros((len(rows), D))
    y, expected, j = [], [], 0
    for n, (x, t) in enumerate(rows):
        X[n, j:j + len(x)] = x
        b = c * np.sinh(4 * (0.0 + x * t))
        y.append(x @ b)
        expected.extend(b)
        j += len(x)
    P = S.Problem(X, y)
    assert P.blocks is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = S.min_bregman_solution(P, alpha)
    np.testing.assert_array_equal(got, expected)


def test_block_dual_small_root_to_full_relative_precision():
    # one column: x c sinh(4 x t) = y has the root t = arcsinh(y / (x c)) / (4 x) ~ 1e-9, so
    # beta = y / x; an absolute tolerance on t of 1e-12 would leave a relative error ~1e-3
    for y in (1e-9, -3e-10):
        P = S.Problem([[0.5]], [y])
        got = S.min_bregman_solution(P, 0.5)
        assert abs(got[0] - y / 0.5) <= 1e-14 * abs(y / 0.5)


def test_block_dual_bracket_search_overflow_is_silent():
    # x = 100, root 4 x t = 600: doubling the bracket to t = 2 overflows sinh(800), which is
    # not a failure; beta = y / x (to the condition number 4 x t = 600 times the root's 4 eps)
    x, alpha = 100.0, 0.5
    y = x * (2 * alpha**2) * math.sinh(600.0)
    P = S.Problem([[x]], [y])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = S.min_bregman_solution(P, alpha)
    assert abs(got[0] - y / x) <= 1e-12 * (y / x)


def test_general_dual_zero_labels_and_large_scale():
    X = [[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]]
    # y = 0: beta = 0 satisfies X beta = y and 1/4 arcsinh(0) = X^T 0, so it is the minimiser
    np.testing.assert_array_equal(S.min_bregman_solution(S.Problem(X, [0.0, 0.0]), 0.3),
                                  np.zeros(3))
    # y of size 1e6: the solution is found to the relative round-off of X beta
    y = np.array([2e6, -1e6])
    G = S.Problem(X, y)
    b = S.min_bregman_solution(G, 0.3)
    assert np.linalg.norm(G.X @ b - y) < 1e-12 * np.linalg.norm(y)
    z = np.arcsinh(b / (2 * 0.3**2)) / 4
    nu = np.linalg.lstsq(G.X.T, z, rcond=None)[0]
    assert np.linalg.norm(G.X.T @ nu - z) < 1e-10 * np.linalg.norm(z)


def test_bregman_E_depth_3():
    # eq. (22) written out for H = 3: 3/4 sum(|b| + v_inf^3)^(4/3) - 3/4 D alpha^4
    # - alpha sum sgn(x_i y) b_i
    P = S.Problem([[1.5, -0.5, 0.0], [0.0, 0.0, 2.0]], [0.25, -4.5])
    tr = S.simulate(P, ALPHA, 0.0, depth=3)
    betas = np.array([[0.3, -0.2, 1.0], [0.0, 0.0, 0.0], [-1.0, 2.0, -2.25]])
    expected = [0.75 * np.sum((np.abs(b) + tr.v_inf**3) ** (4 / 3)) - 0.75 * 3 * ALPHA**4
                - ALPHA * np.sum(tr.sign * b) for b in betas]
    np.testing.assert_allclose(S.bregman_E(betas, tr), expected, rtol=1e-14, atol=1e-16)


def test_potential_of_python_integers_beyond_int64():
    # 10**30 does not fit an int64; it must be read as the float 1e30:
    # Phi = 2/3 (1e30)^(3/2) = 2/3 1e45, grad Phi = sqrt(1e30) = 1e15
    assert abs(S.potential([10**30, 0], [0.0, 0.0]) - 2e45 / 3) <= 1e-14 * 2e45 / 3
    np.testing.assert_allclose(S.mirror_map([10**30, -(10**30)], [0.0, 0.0]), [1e15, -1e15],
                               rtol=1e-15)


def test_kkt_bounds_at_eps_zero():
    # eps = 0 (the sign flow) is allowed; the eps terms vanish (ep log ep -> 0):
    # M_plus = (c - s) lam^(-1/4) y^(1/2), M_minus = (c - s)((2 lam)^(-1/4) y^(1/2) - alpha)
    P = one_block()
    got = S.kkt_bounds(P, ALPHA, 0.0)
    lam, c, s, yy = 4.0, 0.8, 0.6, 0.35
    np.testing.assert_allclose(
        got, [[(c - s) * lam**-0.25 * yy**0.5, (c - s) * ((2 * lam) ** -0.25 * yy**0.5 - ALPHA)]],
        rtol=1e-13)


@pytest.mark.parametrize("X, y, alpha", [
    ([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]], [1.0, -0.5], 3.0),
    ([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]], [1e-6, 2e-6], 1e-4),
    ([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]], [1e-6, 2e-6], 1e-8),
    ([[1.0, 1.0, 0.0], [1.0, 1.0 + 1e-4, 1e-4]], [1000.0, 2000.0], 1e-5),
])
def test_general_dual_kkt_across_scales(X, y, alpha):
    # the KKT conditions of eq. (14) for large and tiny alpha, tiny labels and nearly parallel
    # rows: X beta = y up to round-off, and 1/4 arcsinh(beta / (2 alpha^2)) in the row space
    G = S.Problem(X, y)
    b = S.min_bregman_solution(G, alpha)
    y = np.asarray(y)
    assert np.linalg.norm(G.X @ b - y) <= 1e-12 * (np.linalg.norm(y)
                                                   + np.linalg.norm(G.X) * np.linalg.norm(b))
    z = np.arcsinh(b / (2 * alpha**2)) / 4
    nu = np.linalg.lstsq(G.X.T, z, rcond=None)[0]
    assert np.linalg.norm(G.X.T @ nu - z) <= 1e-10 * np.linalg.norm(z)


def test_bregman_E_of_python_integers_beyond_int64(hand):
    # a batch with 10**30 (no int64) is read as floats: the result is a float64 array equal to
    # eq. (22) written out, 2/3 sum(|b| + v_inf^2)^(3/2) - 1/32 - alpha sum sgn(x_i y) b_i
    _, tr = hand
    betas = [[10**30, 0, 1], [2, 3, 4]]
    got = S.bregman_E(betas, tr)
    assert got.dtype == np.float64
    b = np.array(betas, dtype=float)
    expected = (2 / 3 * np.sum((np.abs(b) + tr.v_inf**2) ** 1.5, axis=1) - 1 / 32
                - ALPHA * (b @ tr.sign))
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_min_bregman_general_X_tiny_alpha_against_the_null_space_root():
    # D = N + 1: X beta = y is the line beta = b_p + s n (n spans the null space of X), and
    # D_Psi(beta, 0) = Psi(beta) - Psi(0) is convex along it with derivative
    # 1/4 n . arcsinh(beta / c), c = 2 alpha^2: its root s, bracketed here, is the minimiser.
    # For tiny alpha the dual variable 1/4 arcsinh(beta / c) ~ 1/4 log(|beta| / alpha^2) is far
    # from the solver's start 0 (alpha = 1e-10 used to stop after 500 Newton steps).
    X = np.array([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]])
    n = np.linalg.svd(X)[2][-1]
    # the smallest alpha accepted: 2 alpha^2 is the smallest normal float (with |y| small
    # enough that c sinh(4 z) stays finite at the solution)
    a_min = 1.0547686614863e-154
    assert 2 * a_min**2 == np.finfo(float).tiny
    cases = [([30.0, 20.0], alpha) for alpha in (1e-10, 1e-30, 1e-100, 1e-150)]
    for y, alpha in cases + [([1e-3, 1e-3], a_min)]:
        y = np.array(y)
        G = S.Problem(X, y)
        bp = np.linalg.lstsq(X, y, rcond=None)[0]
        c = 2 * alpha**2
        r = 10 * np.linalg.norm(bp)
        s = brentq(lambda s, c=c, bp=bp: n @ np.arcsinh((bp + s * n) / c), -r, r,
                   xtol=1e-15 * r, rtol=1e-15)
        ref = bp + s * n
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            b = S.min_bregman_solution(G, alpha)
        assert np.linalg.norm(b - ref) <= 1e-12 * np.linalg.norm(ref), alpha
        assert np.linalg.norm(X @ b - y) <= 1e-13 * np.linalg.norm(X) * np.linalg.norm(b)
        # stationarity: the dual variable is orthogonal to the null space
        z = np.arcsinh(b / c) / 4
        assert abs(n @ z) <= 1e-14 * np.linalg.norm(z), alpha
    # below a_min, 2 alpha^2 is no longer a normal float
    G = S.Problem(X, [1e-3, 1e-3])
    for alpha in (np.nextafter(np.nextafter(a_min, 0), 0), 1e-170):
        assert 2 * alpha**2 < np.finfo(float).tiny
        with pytest.raises(ValueError, match="`alpha` = .* is too small"):
            S.min_bregman_solution(G, alpha)


# alpha just above the floor 1.1e-154 of min_bregman_solution: c = 2 alpha^2 ~ 3e-308, so
# |beta| ~ 10 needs sinh(4 X^T nu) ~ 3e309, beyond the largest float, although beta is not
ALPHA_FLOOR = 1.2e-154


@pytest.mark.parametrize("y", [10.0, 1e6])
def test_min_bregman_solution_near_the_alpha_floor_block(y):
    # block x = (3/2, -1/2): 3/2 c sinh(6 t) + 1/2 c sinh(2 t) = y with t ~ 120, where
    # sinh(s) = e^s / 2 to the relative e^(-2 s): beta_1 = y / (3/2) and
    # beta_2 = -c sinh(2 t) = -(c / 2) (2 y / (3/2 c))^(1/3), evaluated here in logarithms
    c = 2 * ALPHA_FLOOR**2
    P = S.Problem([[1.5, -0.5]], [y])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = S.min_bregman_solution(P, ALPHA_FLOOR)
    b2 = -math.exp(math.log(c / 2) + (math.log(2 * y / 1.5) - math.log(c)) / 3)
    # the root t is bracketed to 4 ulps, which beta_1 = c/2 e^(6 t) magnifies by 6 t
    t = (math.log(2 * y / 1.5) - math.log(c)) / 6
    tol = 2 * (6 * t) * 4 * np.finfo(float).eps
    assert abs(got[0] - y / 1.5) <= tol * (y / 1.5)
    assert abs(got[1] - b2) <= 1e-12 * abs(b2), (got, b2)


@pytest.mark.parametrize("scale", [10.0, 1e6])
def test_min_bregman_solution_near_the_alpha_floor_general(scale):
    # For c -> 0 the minimiser of (14) takes the support {1, 2} (the least l1 interpolant):
    # beta_12 solves the 2x2 system; z_i = 1/4 arcsinh(beta_i / c) = 1/4 log(2 beta_i / c) there
    # fixes nu = X_12^-T z_12, and beta_3 = c sinh(4 z_3) = sgn(z_3) exp(4 |z_3| + log(c / 2))
    X = np.array([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]])
    y = scale * np.array([1.0, -0.5])
    c = 2 * ALPHA_FLOOR**2
    G = S.Problem(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = S.min_bregman_solution(G, ALPHA_FLOOR)
    b12 = np.linalg.solve(X[:, :2], y)
    assert np.all(b12 > 0)
    z12 = (np.log(2 * b12) - math.log(c)) / 4
    z3 = X[:, 2] @ np.linalg.solve(X[:, :2].T, z12)
    b3 = np.sign(z3) * math.exp(4 * abs(z3) + math.log(c / 2))
    np.testing.assert_allclose(got[:2], b12, rtol=1e-13)
    assert abs(got[2] - b3) <= 1e-9 * abs(b3), (got[2], b3)


def test_block_dual_beyond_the_largest_float_raises():
    # x = (1e-300, 1e-300): by symmetry beta = y / (2 x) in both entries, 5e304 for y = 1e5;
    # for y = 1e10 that is 5e309, which no float holds: the sign change that bracketing finds
    # where beta overflows is no root, and the solver must say so instead of returning it
    P = S.Problem([[1e-300, 1e-300]], [1e5])
    np.testing.assert_allclose(S.min_bregman_solution(P, 0.5), [5e304, 5e304], rtol=1e-13)
    for y in (1e10, -1e10):
        with pytest.raises(RuntimeError, match="row 0 of X beta = y has no solution"):
            S.min_bregman_solution(S.Problem([[1e-300, 1e-300]], [y]), 0.5)
