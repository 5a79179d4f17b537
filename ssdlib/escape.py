r"""Saddle-escape experiments: the sign flow from the saddle, escape laws, learning-rate thresholds.

The book's chapter "Beyond the paper" asks how long the steepest flows take to leave the saddle
``w = 0`` of a deep diagonal network and how large a learning rate the discrete optimizers need
to leave it within a fixed number of steps. This module holds the experiments behind those
questions; the flows and their escape times themselves are in :mod:`ssdlib.steepest`.

* :func:`saddle_sign_flow`, :func:`saddle_sign_escape_time`: sign flow from the saddle start
  ``w_1 = 0``, ``w_l = alpha`` (proposition "Escape from w_1 = 0" of the chapter, part 2) in
  closed form.
* :func:`fit_escape_laws`: slopes of escape times against ``alpha`` with the derived ones.
* :func:`escape_run`, :func:`escape_threshold`: does a discrete optimizer halve the loss within
  ``K`` steps, and the smallest learning rate with which it does (a grid scan refined by
  bisection). A run that overflows is a result (:attr:`EscapeRun.diverged_at`), not an error.
* :func:`predicted_threshold`, :func:`stability_ceiling`: the derived thresholds and the largest
  step at which gradient descent can settle at the gradient-flow solution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from . import optim
from .problem import _check_depth
from .steepest import escape_exponent, escape_time_prediction, escape_times, fit_escape_slope
from .steepest import steepest_flow
from .steepest._model import (
    _as_data,
    _check_alpha,
    _check_fraction,
    _check_positive,
    _check_time_points,
    _forward,
)
from .steepest.flows import _row_blocks

__all__ = [
    "EscapeRun",
    "ThresholdGridError",
    "escape_run",
    "escape_threshold",
    "fit_escape_laws",
    "predicted_threshold",
    "saddle_sign_escape_time",
    "saddle_sign_flow",
    "stability_ceiling",
]


class ThresholdGridError(ValueError):
    """The first learning rate of the scan already escapes: the threshold lies below the grid.

    Start the grid lower (a smaller ``guess`` or a more negative ``start``).
    """


@dataclass(frozen=True)
class EscapeRun:
    """Result of :func:`escape_run`.

    Attributes
    ----------
    escaped : bool
        The loss fell to ``fraction`` times its start within ``steps`` steps, before any
        overflow.
    step : int or None
        The first step at which it did (None if it did not).
    diverged_at : int or None
        The step at which the weights became non-finite (None if they stayed finite while the
        run lasted; a run stops at its escape).
    """

    escaped: bool
    step: int | None
    diverged_at: int | None


def _blocks(X):
    blocks = _row_blocks(X)
    if blocks is None:
        raise ValueError(
            "`problem` violates Assumption 3.2 (a column of `X` is non-zero in several rows): "
            "sign flow from the saddle has no closed form; use steepest.escape_times with "
            "`eps` > 0."
        )
    return blocks


def _saddle_stop(A, y_n, alpha, depth):
    """Solve ``2 A t (alpha + t)^(H-1) = |y_n|`` for ``t >= 0``."""
    return brentq(lambda s: 2 * A * s * (alpha + s) ** (depth - 1) - abs(y_n), 0, 1e3,
                  xtol=1e-15)


def saddle_sign_flow(problem, alpha, t, *, depth=2):
    r"""``beta(t)`` of sign flow from the saddle start ``w_1 = 0``, ``w_l = alpha`` (untied).

    Under Assumption 3.2, with row ``n`` owning the columns ``I_n`` and
    ``A_n = sum_{i in I_n} |x_{ni}|``, every coordinate of row ``n`` is

    .. math:: \beta_i(t) = 2\,\mathrm{sgn}(x_{ni} y_n)\,\tau(\alpha + \tau)^{H-1},
              \qquad \tau = \min(t, t_n),

    where ``t_n`` solves ``2 A_n t_n (alpha + t_n)^(H-1) = |y_n|`` (the book's proposition
    "Escape from w_1 = 0", part 2).

    Parameters
    ----------
    problem : object with ``.X`` (N, D) and ``.y`` (N,), or a pair ``(X, y)``
    alpha : float
        Scale of the layers ``l >= 2``, ``> 0``.
    t : array_like, shape (T,)
        Times ``>= 0``.
    depth : int, default 2
        ``H >= 2``.

    Returns
    -------
    ndarray, shape (T, D)

    Raises
    ------
    ValueError
        If a column of ``X`` is non-zero in several rows, or on invalid arguments.
    """
    X, y = _as_data(problem)
    alpha = _check_alpha(alpha)
    depth = _check_depth(depth)
    t = _check_time_points(t)
    beta = np.zeros((t.size, X.shape[1]))
    for n, cols in enumerate(_blocks(X)):
        if cols.size == 0 or y[n] == 0:
            continue
        t_n = _saddle_stop(np.abs(X[n, cols]).sum(), y[n], alpha, depth)
        tau = np.minimum(t, t_n)[:, None]
        beta[:, cols] = np.sign(X[n, cols] * y[n]) * 2 * tau * (alpha + tau) ** (depth - 1)
    return beta


def saddle_sign_escape_time(problem, alpha, *, depth=2, fraction=0.5):
    r"""First time the loss of :func:`saddle_sign_flow` falls to ``fraction`` of its start.

    Parameters
    ----------
    problem, alpha, depth :
        As in :func:`saddle_sign_flow`.
    fraction : float, default 0.5
        In (0, 1).

    Returns
    -------
    float
        The escape time (Brent's method on the closed form).

    Raises
    ------
    ValueError
        If the loss never falls to the level (``y = 0``), or on invalid arguments.
    """
    X, y = _as_data(problem)
    fraction = _check_fraction(fraction)
    if not np.any(y):
        raise ValueError("`problem.y` is 0: the loss is 0 at the start, there is no saddle "
                         "to escape.")

    def loss(s):
        r = X @ saddle_sign_flow((X, y), alpha, s, depth=depth)[0] - y
        return 0.25 * r @ r

    level = fraction * 0.25 * y @ y
    return brentq(lambda s: loss(s) - level, 0, 1e3, xtol=1e-14)


def fit_escape_laws(alphas, times, methods, *, semilog=None, mask=None):
    r"""Fit each escape-time curve with the law that the book derives for it.

    Power laws ``t ~ alpha^s`` are fitted in log-log scale; the logarithmic laws
    ``t ~ s log(1/alpha)`` (gradient flow, and SSD, at ``m = 1``) in semilog scale
    (:func:`~ssdlib.steepest.saddle.fit_escape_slope`).

    Parameters
    ----------
    alphas : array_like, shape (A,)
        Initialisation scales.
    times : dict
        ``times[method][H]``: escape times, shape (A,).
    methods : dict
        ``methods[method] = (q, eps)`` of the flow (for the derived exponent,
        :func:`~ssdlib.steepest.saddle.escape_exponent`); missing methods count as sign flow.
    semilog : dict, optional
        ``semilog[method][H]``: the derived coefficient of ``log(1/alpha)`` for the curves
        with a logarithmic law.
    mask : array_like of bool, shape (A,), optional
        The ``alpha`` used in the fits (default: all).

    Returns
    -------
    fits : dict
        ``fits[method][H] = (slope, intercept, scale)`` with scale ``'loglog'`` or
        ``'semilog'``.
    derived : dict
        ``derived[method][H]``: the derived slope or coefficient, as text for a legend.
    """
    alphas = np.asarray(alphas, dtype=float)
    mask = np.ones(alphas.size, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if mask.shape != alphas.shape:
        raise ValueError(f"`mask` must have the shape of `alphas`, {alphas.shape}; got "
                         f"{mask.shape}.")
    semilog = semilog or {}
    fits, derived = {}, {}
    for m, inner in times.items():
        fits[m], derived[m] = {}, {}
        for H, t in inner.items():
            coef = semilog.get(m, {}).get(H)
            scale = "semilog" if coef is not None else "loglog"
            s, b = fit_escape_slope(alphas[mask], np.asarray(t)[mask], scale=scale)
            fits[m][H] = (s, b, scale)
            q, e = methods.get(m, (1.0, 0.0))
            derived[m][H] = (f"{coef:.3g}" if coef is not None
                             else f"{escape_exponent(q, H, eps=e):g}")
    return fits, derived


def _loss0(X, y, W0, depth, tied):
    r = X @ _forward(W0, depth, tied)[0] - y
    return 0.25 * float(r @ r)


def escape_run(problem, optimizer, alpha, eta, steps, *, depth=2, fraction=0.5, eps=1e-8,
               beta1=0.9, beta2=0.999, weight_decay=0.0, decoupled=None, tied=True,
               init="balanced"):
    r"""Does a discrete optimizer bring the loss to ``fraction`` of its start within ``steps``?

    Runs :func:`ssdlib.optim.optimize`'s update (same arguments) and stops at the first step
    whose loss is at most ``fraction`` times the initial loss (eq. 8), or when the weights
    overflow: an overflow is reported in :attr:`EscapeRun.diverged_at`, not raised.

    Parameters
    ----------
    problem : object with ``.X`` (N, D) and ``.y`` (N,), or a pair ``(X, y)``
    optimizer : {'gd', 'sign', 'ssd', 'rmsprop', 'adam', 'adamw'}
    alpha, eta : float
        Initialisation scale and learning rate, ``> 0``.
    steps : int
        ``K >= 1``.
    depth, eps, beta1, beta2, weight_decay, decoupled, tied, init :
        As in :func:`ssdlib.optim.optimize`.
    fraction : float, default 0.5
        In (0, 1).

    Returns
    -------
    EscapeRun
    """
    fraction = _check_fraction(fraction)
    X, y, optimizer, eta, steps, depth, eps, beta1, beta2, wd, decoupled, W0 = optim._validate(
        problem, optimizer, alpha, eta, steps, depth, eps, beta1, beta2, weight_decay,
        decoupled, init, tied)
    level = fraction * _loss0(X, y, W0, depth, bool(tied))
    with np.errstate(over="ignore", invalid="ignore"):
        for k, W, lo in optim._runner(X, y, optimizer, eta, depth, eps, beta1, beta2, wd,
                                      decoupled, bool(tied), W0):
            if W is None:
                return EscapeRun(False, None, k)
            if lo <= level:
                return EscapeRun(True, k, None)
            if k >= steps:
                return EscapeRun(False, None, None)
    raise AssertionError("unreachable: the runner stops only on overflow")  # pragma: no cover


def escape_threshold(problem, optimizer, alpha, guess, steps, *, start=-4.0, stop=14.0,
                     per_octave=4, rtol=0.01, **options):
    r"""Smallest learning rate with which ``optimizer`` escapes within ``steps`` (a scan).

    Above the stability ceiling the set of escaping learning rates need not be an interval, so
    a doubling search can step over a narrow window of success. This scan tries
    ``eta = guess * 2^(j / per_octave)`` for ``j / per_octave`` from ``start`` to ``stop``
    (exclusive), stops at the first success and bisects (geometrically) back to the last
    failure until ``hi / lo <= 1 + rtol``.

    Parameters
    ----------
    problem, optimizer, alpha, steps :
        As in :func:`escape_run`.
    guess : float
        The derived threshold, ``> 0``.
    start, stop : float
        Grid range in octaves around ``guess``.
    per_octave : int
        Grid points per factor 2.
    rtol : float
        Relative width at which the bisection stops, ``> 0``.
    **options
        Passed to :func:`escape_run` (``depth``, ``eps``, ``beta1``, ...).

    Returns
    -------
    float
        The smallest escaping learning rate found (the upper end of the bisection bracket);
        NaN if no learning rate of the grid escapes.

    Raises
    ------
    ThresholdGridError
        If the first learning rate of the grid already escapes.
    ValueError
        On invalid arguments.
    """
    guess = _check_positive("guess", guess, "a learning rate")
    rtol = _check_positive("rtol", rtol)
    if isinstance(per_octave, bool) or not isinstance(per_octave, int) or per_octave < 1:
        raise ValueError(f"`per_octave` must be an integer >= 1; got {per_octave!r}.")

    def escapes(eta):
        return escape_run(problem, optimizer, alpha, eta, steps, **options).escaped

    lo = None
    for eta in guess * 2.0 ** np.arange(start, stop, 1.0 / per_octave):
        if escapes(eta):
            if lo is None:
                raise ThresholdGridError(
                    f"`{optimizer}` already escapes at the first learning rate of the grid, "
                    f"{eta:g}; pass a smaller `guess` or a more negative `start`."
                )
            hi = eta
            while hi / lo > 1.0 + rtol:
                mid = np.sqrt(lo * hi)
                lo, hi = (lo, mid) if escapes(mid) else (mid, hi)
            return float(hi)
        lo = eta
    return float("nan")


def predicted_threshold(problem, alphas, steps, *, optimizer="gd", depth=2):
    r"""Derived learning-rate thresholds for escaping within ``steps`` steps.

    * ``'gd'``, ``H = 2``: ``(alpha^(-1/K) - 1) / (2 max_i |rho_0,i|)``, the exact threshold of
      the linear recursion ``u <- u + eta c u`` with ``c = H max_i |rho_0,i|``;
    * ``'gd'``, ``H >= 3``: ``t_esc^GF(alpha) / K`` with the leading term of
      :func:`~ssdlib.steepest.saddle.escape_time_prediction`;
    * ``'sign'``: ``t_esc^sign(alpha) / K`` with the exact sign-flow escape time.

    Parameters
    ----------
    problem : object with ``.X``, ``.y`` or a pair ``(X, y)``
    alphas : array_like, shape (A,)
    steps : int
        ``K >= 1``.
    optimizer : {'gd', 'sign'}
    depth : int, default 2

    Returns
    -------
    ndarray, shape (A,)
    """
    X, y = _as_data(problem)
    alphas = np.atleast_1d(np.asarray(alphas, dtype=float))
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"`steps` must be an integer >= 1; got {steps!r}.")
    depth = _check_depth(depth)
    if optimizer == "sign":
        return escape_times((X, y), alphas, 1.0, depth=depth) / steps
    if optimizer != "gd":
        raise ValueError(f"`optimizer` must be 'gd' or 'sign'; got {optimizer!r}.")
    if depth == 2:
        rho0 = float(np.max(np.abs(X.T @ y)) / 2)
        return (alphas ** (-1 / steps) - 1) / (2 * rho0)
    return np.array([escape_time_prediction((X, y), a, 2.0, depth=depth)
                     for a in alphas]) / steps


def stability_ceiling(problem, depth, *, alpha=0.01, t_end=1e5):
    r"""Largest gradient-descent step ``2 / lambda_max`` that can settle at a solution.

    At a solution with residual 0 the Hessian of the loss (eq. 8) in the weights is
    ``J^T (X^T X / 2) J`` with ``J = d beta / d w``; for the tied model ``J J^T`` is diagonal,
    ``H^2 (u^(2H-2) + v^(2H-2))``. The solution is the limit of gradient flow from
    ``w = alpha`` (:func:`~ssdlib.steepest.flows.steepest_flow` with ``q = 2`` at time ``t_end``).

    Parameters
    ----------
    problem : object with ``.X``, ``.y`` or a pair ``(X, y)``
    depth : int
        ``H >= 2``.
    alpha : float, default 0.01
    t_end : float, default 1e5
        Time at which the flow is taken as converged.

    Returns
    -------
    float
    """
    X, y = _as_data(problem)
    depth = _check_depth(depth)
    t_end = _check_positive("t_end", t_end)
    gf = steepest_flow((X, y), alpha, 2.0, depth=depth, t_eval=np.array([0.0, t_end]))
    u, v = gf.w[-1, 0, 0], gf.w[-1, 1, 0]
    JJ = depth**2 * (u ** (2 * depth - 2) + v ** (2 * depth - 2))
    A = 0.5 * X.T @ X
    return 2 / float(np.linalg.eigvalsh(np.sqrt(JJ)[:, None] * A * np.sqrt(JJ)[None]).max())
