"""Rate and slope fits that test orders of convergence, and their verdicts.

The book tests statements such as "the KKT error is of order eps" (Corollary 3.12), "the
non-dominating weights decay like exp(-kappa / eps)" or "the gap to sign flow is
eps (a + b ln(1/eps))" by fitting a straight line (in suitable coordinates) to measured values.
Every fit here is an ordinary least-squares fit that also returns the standard errors of its
coefficients, so that a verdict can be stated in standard errors rather than by eye.

* :func:`linear_fit` -- ``y = intercept + slope * x`` with standard errors;
* :func:`loglog_slope` -- the order ``p`` in ``y ~ C x^p``;
* :func:`exp_rate_fit` -- ``ln v = a - kappa / eps`` (exponential decay in ``1/eps``);
* :func:`eps_log_fit` -- ``g = eps (a + b ln(1/eps))``, with its largest relative misfit;
* :func:`slope_verdict` -- whether a fitted slope agrees with an expected one;
* :func:`richardson_error` -- the error of a finite-difference or quadrature value of known
  order, estimated from the same value at twice the step.

Numerics only: this module does not import matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "EpsLogFit",
    "LinearFit",
    "SlopeVerdict",
    "eps_log_fit",
    "exp_rate_fit",
    "linear_fit",
    "loglog_slope",
    "richardson_error",
    "slope_verdict",
]


@dataclass(frozen=True)
class LinearFit:
    """A least-squares line ``y = intercept + slope * x``.

    Attributes
    ----------
    slope, intercept : float
    slope_se, intercept_se : float
        Standard errors (from the residual variance with ``n - 2`` degrees of freedom; 0 for
        two points or an exact fit).
    n : int
        Number of points fitted.
    """

    slope: float
    intercept: float
    slope_se: float
    intercept_se: float
    n: int


@dataclass(frozen=True)
class SlopeVerdict:
    """Whether a fitted slope agrees with an expected value.

    Attributes
    ----------
    holds : bool
        ``|slope - expected| <= max(n_se * slope_se, atol)``.
    deviation : float
        ``slope - expected``.
    tolerance : float
        ``max(n_se * slope_se, atol)``.
    """

    holds: bool
    deviation: float
    tolerance: float


@dataclass(frozen=True)
class EpsLogFit:
    """The fit ``g = eps (a + b ln(1/eps))`` of :func:`eps_log_fit`.

    Attributes
    ----------
    a, b : float
    max_rel_misfit : float
        ``max |g - fit| / |g|`` over the points.
    """

    a: float
    b: float
    max_rel_misfit: float


def _vectors(x, y, xname="x", yname="y"):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or y.shape != x.shape:
        raise ValueError(f"`{xname}` and `{yname}` must be 1-dimensional arrays of equal length.")
    if x.size < 2:
        raise ValueError(f"`{xname}` needs at least 2 points to fit a line.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError(f"`{xname}` and `{yname}` must be finite; drop NaN and infinite points.")
    if np.ptp(x) == 0:
        raise ValueError(f"`{xname}` must take at least two distinct values.")
    return x, y


def linear_fit(x, y):
    """Least-squares line ``y = intercept + slope * x`` with standard errors.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        ``n >= 2`` finite points, ``x`` not constant.

    Returns
    -------
    LinearFit

    Raises
    ------
    ValueError
        If the arrays differ in shape, hold fewer than 2 points, non-finite values, or a
        constant ``x``.
    """
    x, y = _vectors(x, y)
    n = x.size
    xm = x.mean()
    sxx = np.sum((x - xm) ** 2)
    slope = float(np.sum((x - xm) * (y - y.mean())) / sxx)
    intercept = float(y.mean() - slope * xm)
    if n > 2:
        resid = y - (intercept + slope * x)
        s2 = float(resid @ resid) / (n - 2)
    else:
        s2 = 0.0
    slope_se = float(np.sqrt(s2 / sxx))
    intercept_se = float(np.sqrt(s2 * (1.0 / n + xm**2 / sxx)))
    return LinearFit(slope, intercept, slope_se, intercept_se, n)


def loglog_slope(x, y):
    """The order ``p`` of ``y ~ C x^p``: a line through ``(ln x, ln y)``.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Positive values.

    Returns
    -------
    LinearFit
        ``slope`` is ``p``, ``intercept`` is ``ln C``.

    Raises
    ------
    ValueError
        If an entry of ``x`` or ``y`` is not positive (take absolute values first, or drop
        the zeros), or as in :func:`linear_fit`.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    for name, arr in (("x", x), ("y", y)):
        if np.any(~(arr > 0)):
            raise ValueError(f"`{name}` must be positive for a log-log fit; drop the points "
                             "that are zero or negative.")
    return linear_fit(np.log(x), np.log(y))


def exp_rate_fit(eps, v, *, floor=1e-300):
    """Fit ``ln v = a - kappa / eps`` (exponential decay of ``v`` in ``1/eps``).

    Points with ``v <= floor`` (underflow) are left out.

    Parameters
    ----------
    eps : array_like, shape (K,)
        Positive values of the stability constant.
    v : array_like, shape (K,) or (K, D)
        Non-negative values; each column is fitted on its own.
    floor : float, keyword-only
        Values at or below it are treated as underflow and skipped.

    Returns
    -------
    kappa, a : ndarray, shape (D,) (or floats for 1-dimensional ``v``)
        The rates and intercepts.
    fits : list of LinearFit
        The fits of ``ln v`` against ``1/eps`` (slope ``-kappa``), one per column.

    Raises
    ------
    ValueError
        If ``eps`` is not positive, shapes disagree, ``v`` is negative, or a column keeps
        fewer than 2 points above ``floor``.
    """
    eps = np.asarray(eps, dtype=float)
    v = np.asarray(v, dtype=float)
    if eps.ndim != 1 or np.any(~(eps > 0)):
        raise ValueError("`eps` must be a 1-dimensional array of positive values.")
    one = v.ndim == 1
    v2 = v[:, None] if one else v
    if v2.ndim != 2 or v2.shape[0] != eps.size:
        raise ValueError("`v` must have shape (K,) or (K, D) with K = len(eps).")
    if np.any(v2 < 0):
        raise ValueError("`v` must be non-negative (it is a non-dominating weight).")
    fits = []
    for col in v2.T:
        ok = col > floor
        if ok.sum() < 2:
            raise ValueError("a column of `v` has fewer than 2 values above `floor`; widen the "
                             "range of `eps` or lower `floor`.")
        fits.append(linear_fit(1.0 / eps[ok], np.log(col[ok])))
    kappa = np.array([-f.slope for f in fits])
    a = np.array([f.intercept for f in fits])
    if one:
        return float(kappa[0]), float(a[0]), fits
    return kappa, a, fits


def eps_log_fit(eps, gap):
    """Fit ``gap = eps (a + b ln(1/eps))`` by least squares, and measure the misfit.

    The form of the approach of smoothed sign descent to sign flow as ``eps -> 0`` (the book's
    KKT chapter); a good fit (small relative misfit) with ``b != 0`` rules out both a pure
    ``O(eps)`` and an ``O(sqrt(eps))`` law.

    Parameters
    ----------
    eps : array_like, shape (K,)
        Positive values, ``K >= 2``, not all equal.
    gap : array_like, shape (K,)
        Non-zero values.

    Returns
    -------
    EpsLogFit

    Raises
    ------
    ValueError
        If ``eps`` is not positive, ``gap`` has zeros, or shapes disagree.
    """
    eps, gap = _vectors(eps, gap, "eps", "gap")
    if np.any(eps <= 0):
        raise ValueError("`eps` must be positive.")
    if np.any(gap == 0):
        raise ValueError("`gap` must be non-zero (the misfit is relative).")
    A = np.column_stack([eps, eps * np.log(1.0 / eps)])
    coef, *_ = np.linalg.lstsq(A, gap, rcond=None)
    misfit = float(np.max(np.abs(gap - A @ coef) / np.abs(gap)))
    return EpsLogFit(float(coef[0]), float(coef[1]), misfit)


def slope_verdict(fit, expected, *, n_se=3.0, atol=0.0):
    """Whether ``fit.slope`` agrees with ``expected`` within ``n_se`` standard errors.

    Parameters
    ----------
    fit : LinearFit
    expected : float
        The slope (order) the statement predicts.
    n_se : float, keyword-only
        Allowed deviation in standard errors, ``> 0``.
    atol : float, keyword-only
        Smallest tolerance (for exact fits, whose standard error is 0), ``>= 0``.

    Returns
    -------
    SlopeVerdict

    Raises
    ------
    ValueError
        If ``fit`` is not a LinearFit, or ``n_se`` / ``atol`` are out of range.
    """
    if not isinstance(fit, LinearFit):
        raise ValueError("`fit` must be a LinearFit (from `linear_fit` or `loglog_slope`).")
    if not n_se > 0:
        raise ValueError("`n_se` must be positive.")
    if not atol >= 0:
        raise ValueError("`atol` must be non-negative.")
    deviation = fit.slope - float(expected)
    tolerance = max(n_se * fit.slope_se, atol)
    return SlopeVerdict(bool(abs(deviation) <= tolerance), float(deviation), float(tolerance))


def richardson_error(fine, coarse, order):
    """Error estimate of ``fine`` (step ``h``) from ``coarse`` (step ``2h``).

    For a method of order ``p`` the error of the step-``h`` value is about
    ``(coarse - fine) / (2**p - 1)`` (Richardson's rule); for central differences and the
    trapezoid rule ``p = 2``, so a third of the change.

    Parameters
    ----------
    fine, coarse : array_like
        The same quantity at steps ``h`` and ``2h``, of one shape.
    order : int or float
        The order ``p > 0`` of the method.

    Returns
    -------
    ndarray
        ``|coarse - fine| / (2**p - 1)``, element-wise.

    Raises
    ------
    ValueError
        If the shapes differ or ``order`` is not positive.
    """
    fine = np.asarray(fine, dtype=float)
    coarse = np.asarray(coarse, dtype=float)
    if fine.shape != coarse.shape:
        raise ValueError("`fine` and `coarse` must have the same shape; evaluate both at the "
                         "same points (e.g. every second point of the fine grid).")
    if not order > 0:
        raise ValueError("`order` must be positive (2 for central differences).")
    return np.abs(coarse - fine) / (2.0**order - 1.0)
