"""Tests of ssdlib.weight_decay against closed forms, series and independent computations."""

import numpy as np
import pytest
from scipy.integrate import quad

from ssdlib.steepest import steepest_flow
from ssdlib.weight_decay import (
    CosineDecay,
    coupled_regulariser,
    decay_minimiser,
    decoupled_regulariser,
    decoupled_zero_condition,
    one_sparse_residual,
    regularised_minimiser,
    steepest_regulariser,
)

ROW = (np.array([[0.6, -1.1]]), np.array([0.9]))        # |x_2| > |x_1|


def test_coupled_regulariser_values():
    s = np.array([0.0, 0.5, 2.0])
    assert np.array_equal(coupled_regulariser(s, 0.4), 0.2 * s)
    assert np.allclose(coupled_regulariser(s, 0.4, depth=3), 0.2 * np.cbrt(s) ** 2, rtol=1e-14)


def test_decoupled_regulariser_inverts_the_ssd_field():
    """r'(w) = eps lambda w / (1 - lambda w): the g with g / (|g| + eps) = lambda w."""
    lam, eps, h = 0.7, 0.05, 1e-6
    w = np.array([0.1, 0.5, 1.0, 1.3])
    dr = (decoupled_regulariser((w + h) ** 2, lam, eps)
          - decoupled_regulariser((w - h) ** 2, lam, eps)) / (2 * h)
    g = eps * lam * w / (1 - lam * w)
    assert np.allclose(g / (np.abs(g) + eps), lam * w, rtol=1e-12)
    assert np.max(np.abs(dr / g - 1)) < 1e-7


def test_decoupled_regulariser_series_and_barrier():
    lam, eps = 0.6, 0.05
    w = 1e-3
    series = eps * (lam * w**2 / 2 + lam**2 * w**3 / 3 + lam**3 * w**4 / 4)
    assert abs(decoupled_regulariser(w**2, lam, eps) / series - 1) < 1e-8
    assert np.isinf(decoupled_regulariser(1 / lam**2, lam, eps))
    assert np.isinf(decoupled_regulariser(2 / lam**2, lam, eps))
    s = np.array([0.3])
    assert np.allclose(decoupled_regulariser(s, lam, eps, depth=3),
                       -eps * (np.cbrt(s) + np.log1p(-lam * np.cbrt(s)) / lam), rtol=1e-14)


def test_steepest_regulariser_inverts_the_steepest_field():
    """r'(w) = (lambda w)^(1/(q-1)), the inverse of sign(g)|g|^(q-1) at lambda w."""
    lam, q, h = 0.6, 1.5, 1e-6
    w = np.array([0.2, 0.8])
    dr = (steepest_regulariser((w + h) ** 2, lam, q)
          - steepest_regulariser((w - h) ** 2, lam, q)) / (2 * h)
    assert np.max(np.abs(dr / (lam * w) ** (1 / (q - 1)) - 1)) < 1e-7
    assert np.allclose(steepest_regulariser(w**2, lam, 2.0), lam / 2 * w**2, rtol=1e-14)
    with pytest.raises(ValueError, match="`q` must be > 1"):
        steepest_regulariser(w, lam, 1.0)


@pytest.mark.parametrize("fn,args", [(coupled_regulariser, (0.5,)),
                                     (decoupled_regulariser, (0.5, 0.1)),
                                     (steepest_regulariser, (0.5, 1.5))])
def test_regularisers_validate(fn, args):
    with pytest.raises(ValueError, match="`s`"):
        fn(np.array([-1.0]), *args)
    with pytest.raises(ValueError, match="`lam`"):
        fn(np.array([1.0]), 0.0, *args[1:])


def test_regularised_minimiser_solves_the_one_row_lasso():
    """Lasso on one row: beta = (0, b) with residual lambda / |x_2| (optimality condition)."""
    X, y = ROW
    lam = 0.1
    beta = regularised_minimiser(ROW, lambda s: coupled_regulariser(s, lam))
    r = X[0] @ beta - y[0]
    assert abs(beta[0]) < 1e-7
    assert abs(abs(r) * abs(X[0, 1]) / lam - 1) < 1e-6
    with pytest.raises(ValueError, match="`R`"):
        regularised_minimiser(ROW, 3.0)
    with pytest.raises(ValueError, match="`upper`"):
        regularised_minimiser(ROW, lambda s: s, upper=0.0)


def test_decay_minimiser_is_the_limit_of_the_flows():
    lam, eps = 0.6, 0.05
    for q, e, dec in ((2.0, 0.0, False), (1.0, eps, True)):
        tr = steepest_flow(ROW, 0.1, q, eps=e, weight_decay=lam, decoupled=dec,
                           t_eval=np.array([0.0, 1e4]), rtol=1e-10, atol=1e-13)
        pred = decay_minimiser(ROW, lam, decoupled=dec, eps=e)
        assert np.max(np.abs(tr.beta[-1] - pred)) < 1e-6
    with pytest.raises(ValueError, match="`eps` must be > 0"):
        decay_minimiser(ROW, lam, decoupled=True)


def test_one_sparse_residual_and_zero_condition_against_the_minimiser():
    X, y = ROW
    eps = 0.05
    lams = np.array([0.1, 0.3, 1.0, 1.5])
    beta = np.array([decay_minimiser(ROW, lam, decoupled=True, eps=eps) for lam in lams])
    sparse = np.abs(beta[:, 0]) < 1e-7
    assert sparse.any() and not sparse.all()                 # both regimes are covered
    assert np.array_equal(decoupled_zero_condition(X[0], beta, lams), sparse)
    pred = one_sparse_residual(X[0], beta, lams, decoupled=True, eps=eps)
    res = np.abs(beta @ X[0] - y[0])
    assert np.max(np.abs(res / pred - 1)[sparse]) < 1e-5
    coupled = np.array([decay_minimiser(ROW, lam, decoupled=False) for lam in lams[:2]])
    pred_c = one_sparse_residual(X[0], coupled, lams[:2], decoupled=False)
    assert np.max(np.abs(np.abs(coupled @ X[0] - y[0]) / pred_c - 1)) < 1e-5
    with pytest.raises(ValueError, match="`x`"):
        one_sparse_residual(X[0], beta[:, :1], lams, decoupled=True, eps=eps)
    with pytest.raises(ValueError, match="`lam`"):
        decoupled_zero_condition(X[0], beta, -lams)


def test_cosine_decay_and_its_integral():
    sched = CosineDecay(0.2, 10.0)
    t = np.array([0.0, 2.5, 10.0, 13.0])
    assert np.allclose(sched(t), 0.2 * (1 + np.cos(np.pi * t / 10)), rtol=1e-15)
    exact = [quad(sched, 0, s, epsabs=1e-14)[0] for s in t]
    assert np.allclose(sched.integral(t), exact, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="`horizon`"):
        CosineDecay(0.2, 0.0)
