"""Tests for ssdlib.sweeps: admissible eps, the zero of M_-, random blocks, KKT sweeps and maps.

Closed forms used: eqs. (18)-(19) written out per coordinate for the admissible eps; the sign
flow (eps = 0) limit of one block, u_1 = u_2 = sqrt(ybar / (c + s)), so that
Delta(0) = (c - s)(sqrt(ybar / (c + s)) - alpha).
"""

from __future__ import annotations

import numpy as np
import pytest

import ssdlib.bounds
from ssdlib import Problem, check_assumptions, simulate
from ssdlib.bounds import kkt_bounds_block, satisfies_assumption_3_3
from ssdlib.sweeps import (
    block_margins,
    eps_upper,
    kkt_map,
    kkt_sweep,
    m_minus_root,
    random_admissible_blocks,
)

THETA, LAM, Y, ALPHA = 1.83, 4.0, 1.0, 0.1        # Problem.from_angles arguments
# the theorem's angle orders the columns so that |cos| >= |sin| (Assumption 3.8)
TH = float(Problem.from_angles([THETA], [LAM], [Y]).block_angles()[2][0])


@pytest.fixture(scope="module")
def prob():
    return Problem.from_angles([THETA], [LAM], [Y])


def _closed_form_eps_upper(theta, lam, y, alpha):
    x = np.sqrt(lam) * np.abs([np.cos(theta), np.sin(theta)])
    eps18 = x.min() * abs(y) ** 1.5 / (9 * np.sqrt(2 * x.sum()))   # eq. (18), smaller |x_i|
    eps19 = 4 * alpha * x.min() * abs(y) / 9                        # eq. (19), lower bound
    return min(eps18, eps19)


@pytest.mark.parametrize("alpha", [0.02, 0.1, 0.15])
def test_eps_upper_matches_eqs_18_19(prob, alpha):
    e = eps_upper(prob, alpha)
    assert e == pytest.approx(_closed_form_eps_upper(THETA, LAM, Y, alpha), rel=1e-11)
    assert check_assumptions(prob, alpha, e).a33
    assert not check_assumptions(prob, alpha, e * (1 + 1e-6)).a33


def test_eps_upper_validation(prob):
    with pytest.raises(ValueError, match="`alpha` must be positive"):
        eps_upper(prob, 0.0)
    with pytest.raises(ValueError, match="`margin`"):
        eps_upper(prob, 0.1, margin=1.0)
    with pytest.raises(ValueError, match="`problem` must be an ssdlib.Problem"):
        eps_upper("X", 0.1)


def test_m_minus_root_is_a_zero_of_m_minus(prob):
    hi = eps_upper(prob, ALPHA)
    root = m_minus_root(LAM, TH, Y, ALPHA, hi)
    assert 0 < root < hi
    assert abs(kkt_bounds_block(LAM, TH, Y, ALPHA, root)[1]) < 1e-12
    assert kkt_bounds_block(LAM, TH, Y, ALPHA, 0.99 * root)[1] > 0
    assert kkt_bounds_block(LAM, TH, Y, ALPHA, 1.01 * root)[1] < 0


def test_m_minus_root_returns_the_end_when_m_minus_stays_positive():
    tiny = 1e-9
    assert kkt_bounds_block(LAM, TH, Y, ALPHA, tiny)[1] > 0
    assert m_minus_root(LAM, TH, Y, ALPHA, tiny) == tiny


def test_m_minus_root_of_the_symmetric_block_is_zero():
    # |cos| = |sin|: M_-(0) = (c - s)(...) is zero up to round-off, the interval is a point
    assert abs(kkt_bounds_block(LAM, np.pi / 4, Y, ALPHA, 0.0)[1]) < 1e-12
    assert m_minus_root(LAM, np.pi / 4, Y, ALPHA, 0.01) == 0.0


def test_m_minus_root_validation():
    with pytest.raises(ValueError, match="`eps_hi`"):
        m_minus_root(LAM, TH, Y, ALPHA, 0.0)
    with pytest.raises(ValueError, match="`lam` must be a scalar"):
        m_minus_root([LAM, LAM], TH, Y, ALPHA, 0.01)
    # alpha far above eq. (19): M_-(0) = (c - s)(2**(-1/4) sqrt(ybar) - alpha) < 0
    with pytest.raises(ValueError, match="eq. \\(19\\)"):
        m_minus_root(LAM, TH, Y, 5.0, 0.01)


def test_random_admissible_blocks_are_admissible_and_reproducible():
    alpha, eps = np.repeat([0.05, 0.1], 2), np.tile([1e-4, 4e-3], 2)
    th, lam, y = random_admissible_blocks(12, alpha, eps, seed=3)
    assert th.shape == lam.shape == y.shape == (12,)
    assert np.all(np.abs(np.cos(th)) >= np.abs(np.sin(th)))
    assert np.all((0.5 <= lam) & (lam <= 5.0)) and np.all((0.3 <= np.abs(y)) & (np.abs(y) <= 3))
    for a, e in zip(alpha, eps, strict=True):
        assert np.all(satisfies_assumption_3_3(lam, th, y, a, e))
    again = random_admissible_blocks(12, alpha, eps, seed=3)
    for u, v in zip((th, lam, y), again, strict=True):
        np.testing.assert_array_equal(u, v)


def test_random_admissible_blocks_validation():
    with pytest.raises(ValueError, match="`n`"):
        random_admissible_blocks(0, 0.1, 1e-3)
    with pytest.raises(ValueError, match="`alpha`"):
        random_admissible_blocks(2, -0.1, 1e-3)
    with pytest.raises(ValueError, match="`lam_range`"):
        random_admissible_blocks(2, 0.1, 1e-3, lam_range=(2.0, 1.0))
    with pytest.raises(ValueError, match="admissible blocks"):
        random_admissible_blocks(1, 0.1, 10.0)   # eps far beyond eq. (18)


def test_kkt_sweep_at_eps_zero_matches_the_sign_flow_closed_form(prob):
    alphas = np.array([0.05, 0.1])
    sw = kkt_sweep(prob, alphas, 0.0)
    c, s = abs(np.cos(TH)), abs(np.sin(TH))
    ybar = abs(Y) / np.sqrt(LAM)
    expected = (c - s) * (np.sqrt(ybar / (c + s)) - alphas)
    np.testing.assert_allclose(sw.Delta[:, 0], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sw.delta, np.abs(expected), rtol=0, atol=1e-12)
    mp, mm = kkt_bounds_block(LAM, TH, Y, alphas, 0.0)
    np.testing.assert_array_equal(sw.M_plus[:, 0], mp)
    np.testing.assert_array_equal(sw.M_minus[:, 0], mm)


def test_kkt_sweep_shapes_and_agreement_with_simulate():
    prob2 = Problem.from_angles([1.83, 0.35], [4.0, 2.0], [1.0, -1.5])
    eps = np.array([1e-3, 5e-3, 1e-2])
    sw = kkt_sweep(prob2, 0.1, eps)
    assert sw.Delta.shape == sw.M_plus.shape == sw.M_minus.shape == (3, 2)
    assert sw.v_inf.shape == sw.u_inf.shape == (3, 4) and sw.delta.shape == (3,)
    np.testing.assert_allclose(sw.delta, np.linalg.norm(sw.Delta, axis=1), rtol=1e-12)
    one = simulate(prob2, 0.1, 5e-3)
    np.testing.assert_allclose(sw.u_inf[1], one.u_inf, rtol=1e-8)


def test_kkt_sweep_validation(prob):
    with pytest.raises(ValueError, match="Assumption 3.8"):
        kkt_sweep(Problem(np.array([[1.0, 2.0, 3.0]]), np.array([1.0])), 0.1, 0.01)
    with pytest.raises(ValueError, match="1-dimensional"):
        kkt_sweep(prob, np.ones((2, 2)) * 0.1, 0.01)
    with pytest.raises(ValueError, match="`alpha` must be positive"):
        kkt_sweep(prob, -0.1, 0.01)
    with pytest.raises(ValueError, match="broadcast to one shape"):
        kkt_sweep(prob, [0.1, 0.2], [0.01, 0.02, 0.03])


def test_block_margins_theorem_3_9_holds_and_follows_the_bounds(prob, monkeypatch):
    eps = np.linspace(0.002, eps_upper(prob, ALPHA), 4)
    sw = kkt_sweep(prob, ALPHA, eps)
    m = block_margins(prob, sw)
    assert m.lower == pytest.approx(np.min(sw.Delta - sw.M_minus), abs=0)
    assert m.lower > 0 and m.upper > 0 and m.repaired > 0
    assert m.lemma_b1 >= -1e-12
    # the repaired bound (c - s)(S - alpha) lies between Delta and M_+
    assert m.upper > m.repaired
    # the bounds are looked up at run time: a broken M_+ shows in the next sweep
    orig = ssdlib.bounds.kkt_bounds_block
    monkeypatch.setattr(ssdlib.bounds, "kkt_bounds_block",
                        lambda *a: (0.5 * orig(*a)[0], orig(*a)[1]))
    assert block_margins(prob, kkt_sweep(prob, ALPHA, eps)).upper < 0


def test_lemma_b1_margin_by_hand(prob):
    eps = 0.01
    sw = kkt_sweep(prob, ALPHA, eps)
    tr = sw.runs[0]
    cols = prob.block_angles()[0][0]
    c, s = abs(np.cos(TH)), abs(np.sin(TH))
    worst = np.inf
    for k in range(tr.t.size):
        f1, f2 = abs(tr.grad_u[k, cols[0]]), abs(tr.grad_u[k, cols[1]])
        d1, d2 = f1 / (f1 + eps), f2 / (f2 + eps)
        factor = 2 * (c / s) / (1 + c / s) if f2 <= eps else 1.0
        worst = min(worst, d1 - factor * d2)
    assert block_margins(prob, sw).lemma_b1 == pytest.approx(worst, abs=1e-15)


def test_block_margins_validation(prob):
    with pytest.raises(ValueError, match="KKTSweep"):
        block_margins(prob, [simulate(prob, ALPHA, 0.01)])
    with pytest.raises(ValueError, match="eps = 0"):
        block_margins(prob, kkt_sweep(prob, ALPHA, 0.0))
    other = Problem.from_angles([THETA], [LAM], [Y])
    with pytest.raises(ValueError, match="different problem"):
        block_margins(other, kkt_sweep(prob, ALPHA, 0.01))


def test_kkt_map_layout_and_agreement_with_the_sweep(prob):
    alphas, eps = np.array([0.05, 0.1, 0.2]), np.array([1e-3, 0.05])
    km = kkt_map(prob, alphas, eps)
    assert km.Delta.shape == km.M_plus.shape == km.admissible.shape == (2, 3)
    assert [(tr.eps, tr.alpha) for tr in km.runs[3:6]] == [(0.05, a) for a in alphas]
    sw = kkt_sweep(prob, alphas, 0.05)
    np.testing.assert_allclose(km.Delta[1], sw.Delta[:, 0], rtol=1e-9)
    pos = km.position[km.within]
    assert np.all((0 <= pos) & (pos <= 1))
    np.testing.assert_array_equal(km.admissible, satisfies_assumption_3_3(
        LAM, TH, Y, alphas[None, :], eps[:, None]))


def test_kkt_map_validation(prob):
    with pytest.raises(ValueError, match="one block"):
        kkt_map(Problem.from_angles([1.0, 0.3], [1.0, 1.0], [1.0, 1.0]), [0.1], [0.01])
    with pytest.raises(ValueError, match="`eps` must be"):
        kkt_map(prob, [0.1], [0.0])
