"""Tests for ssdlib.fits: fits against exact data and scipy's regression, verdicts, Richardson."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import linregress

from ssdlib.fits import (
    LinearFit,
    eps_log_fit,
    exp_rate_fit,
    linear_fit,
    loglog_slope,
    richardson_error,
    slope_verdict,
)


def test_linear_fit_recovers_an_exact_line():
    x = np.linspace(-2.0, 3.0, 11)
    fit = linear_fit(x, 0.7 - 1.9 * x)
    assert fit.slope == pytest.approx(-1.9, abs=1e-13)
    assert fit.intercept == pytest.approx(0.7, abs=1e-13)
    assert fit.slope_se < 1e-13 and fit.intercept_se < 1e-13
    assert fit.n == 11


def test_linear_fit_standard_errors_match_scipy_linregress():
    rng = np.random.default_rng(5)
    x = rng.uniform(0.0, 4.0, 40)
    y = 2.0 + 0.5 * x + rng.normal(0.0, 0.3, x.size)
    fit, ref = linear_fit(x, y), linregress(x, y)
    assert fit.slope == pytest.approx(ref.slope, rel=1e-12)
    assert fit.intercept == pytest.approx(ref.intercept, rel=1e-12)
    assert fit.slope_se == pytest.approx(ref.stderr, rel=1e-10)
    assert fit.intercept_se == pytest.approx(ref.intercept_stderr, rel=1e-10)


def test_two_points_give_zero_standard_error():
    fit = linear_fit([0.0, 2.0], [1.0, 5.0])
    assert (fit.slope, fit.intercept, fit.slope_se) == (2.0, 1.0, 0.0)


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        ([1.0, 2.0], [1.0], "equal length"),
        ([1.0], [1.0], "at least 2 points"),
        ([1.0, np.nan], [1.0, 2.0], "finite"),
        ([1.0, 1.0], [1.0, 2.0], "two distinct"),
    ],
)
def test_linear_fit_rejects_bad_input(x, y, match):
    with pytest.raises(ValueError, match=match):
        linear_fit(x, y)


def test_loglog_slope_of_a_power_law():
    x = np.geomspace(1e-4, 1e-1, 9)
    fit = loglog_slope(x, 3.0 * x**1.5)
    assert fit.slope == pytest.approx(1.5, abs=1e-12)
    assert np.exp(fit.intercept) == pytest.approx(3.0, rel=1e-11)


def test_loglog_slope_rejects_non_positive_values():
    with pytest.raises(ValueError, match="`y` must be positive"):
        loglog_slope([1.0, 2.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="`x` must be positive"):
        loglog_slope([-1.0, 2.0], [1.0, 2.0])


def test_exp_rate_fit_recovers_rates_and_skips_underflow():
    eps = np.linspace(0.002, 0.02, 15)
    kappa, a = np.array([0.12, 0.45]), np.array([-1.0, 0.5])
    v = np.exp(a - kappa / eps[:, None])           # column 2 underflows below ~0.0006: not here
    v[0, 1] = 0.0                                   # an underflowed value is skipped
    k_fit, a_fit, fits = exp_rate_fit(eps, v)
    np.testing.assert_allclose(k_fit, kappa, rtol=1e-10)
    np.testing.assert_allclose(a_fit, a, rtol=1e-9, atol=1e-10)
    assert [f.n for f in fits] == [15, 14]
    k1, a1, _ = exp_rate_fit(eps, v[:, 0])
    assert k1 == pytest.approx(0.12, rel=1e-10) and a1 == pytest.approx(-1.0, rel=1e-10)


def test_exp_rate_fit_validation():
    with pytest.raises(ValueError, match="`eps` must be"):
        exp_rate_fit([0.0, 0.1], [1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        exp_rate_fit([0.1, 0.2], np.ones((3, 2)))
    with pytest.raises(ValueError, match="non-negative"):
        exp_rate_fit([0.1, 0.2], [-1.0, 1.0])
    with pytest.raises(ValueError, match="fewer than 2"):
        exp_rate_fit([0.1, 0.2], [0.0, 1.0])


def test_eps_log_fit_recovers_coefficients_and_rejects_sqrt_law():
    eps = np.geomspace(1e-6, 1e-3, 7)
    fit = eps_log_fit(eps, eps * (1.64 + 0.58 * np.log(1 / eps)))
    assert fit.a == pytest.approx(1.64, rel=1e-9)
    assert fit.b == pytest.approx(0.58, rel=1e-9)
    assert fit.max_rel_misfit < 1e-10
    assert eps_log_fit(eps, np.sqrt(eps)).max_rel_misfit > 0.05
    with pytest.raises(ValueError, match="non-zero"):
        eps_log_fit(eps, np.zeros_like(eps))


def test_slope_verdict_in_standard_errors():
    rng = np.random.default_rng(11)
    x = np.linspace(0.0, 1.0, 50)
    fit = linear_fit(x, 2.0 * x + rng.normal(0.0, 0.05, x.size))
    good = slope_verdict(fit, 2.0, n_se=4)
    assert good.holds and good.tolerance == pytest.approx(4 * fit.slope_se)
    bad = slope_verdict(fit, 2.0 + 10 * fit.slope_se, n_se=4)
    assert not bad.holds
    assert bad.deviation == pytest.approx(fit.slope - 2.0 - 10 * fit.slope_se, abs=1e-14)
    exact = linear_fit(x, 2.0 * x)
    assert slope_verdict(exact, 2.0, atol=1e-12).holds
    assert not slope_verdict(exact, 2.1, atol=1e-12).holds


def test_slope_verdict_validation():
    fit = LinearFit(1.0, 0.0, 0.1, 0.1, 5)
    with pytest.raises(ValueError, match="LinearFit"):
        slope_verdict((1.0, 0.1), 1.0)
    with pytest.raises(ValueError, match="`n_se`"):
        slope_verdict(fit, 1.0, n_se=0)
    with pytest.raises(ValueError, match="`atol`"):
        slope_verdict(fit, 1.0, atol=-1)


def test_richardson_estimates_the_central_difference_error():
    t, h = np.linspace(0.2, 1.2, 6), 1e-2
    fine = (np.sin(t + h) - np.sin(t - h)) / (2 * h)
    coarse = (np.sin(t + 2 * h) - np.sin(t - 2 * h)) / (4 * h)
    est = richardson_error(fine, coarse, order=2)
    true = np.abs(fine - np.cos(t))
    np.testing.assert_allclose(est, true, rtol=1e-3)
    with pytest.raises(ValueError, match="same shape"):
        richardson_error(fine, coarse[:-1], 2)
    with pytest.raises(ValueError, match="`order`"):
        richardson_error(fine, coarse, 0)
