r"""Escape times from the saddle ``w = 0`` of the steepest flows.

Saddle escape
-------------
``w = 0`` is a saddle. From a balanced start of scale ``alpha`` and while
``x`` is small, ``rho ~ rho_0 = -X^T y / 2`` and the growing weight obeys
``du/dt = (C |rho_0|)^(q-1) u^m`` with ``m = (H-1)(q-1)``, ``C = H`` (tied) or
1 (untied). Integrating from ``alpha`` (the fastest coordinate
``|rho_0|_max`` wins):

* ``m > 1``: ``t_esc ~ alpha^(1-m) / ((m-1) (C|rho_0|_max)^(q-1))``; gradient
  flow (``q = 2``, ``m = H - 1``) slows like ``alpha^-(H-2)`` for ``H >= 3``;
* ``m = 1``: ``t_esc ~ log(1/alpha) / (C|rho_0|_max)^(q-1)``; gradient flow
  with ``H = 2``: ``log(1/alpha) / (2|rho_0|_max)`` (tied);
* ``m < 1`` (sign flow, and every ``q < H/(H-1)``): the time stays bounded as
  ``alpha -> 0`` (sign flow: the closed form above).

SSD (``q = 1, eps > 0``) near the saddle has ``|g| ~ alpha^(H-1) << eps`` so
``phi(g) ~ g / eps``: it is gradient flow slowed by ``eps`` until
``|g| ~ eps``, then sign flow, so its escape time is
``~ eps * t_GF(alpha) + O(1)`` and the log-log slope tends to ``-(H-2)`` as
``alpha -> 0`` at fixed ``eps``, with a prefactor ``eps``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from ..problem import _check_depth
from ._model import (
    _as_data,
    _check_alpha,
    _check_eps,
    _check_fraction,
    _check_q,
    _check_real,
    _forward,
)
from .flows import (
    _SIGN_FLOW_MSG,
    _closed_form_allowed,
    _gap,
    _integrate,
    _make_field,
    _sign_flow_setup,
    _validate_flow,
)

__all__ = ["escape_exponent", "escape_time_prediction", "escape_times", "fit_escape_slope"]


def _sign_flow_escape(X, y, alpha, depth, fraction):
    setup = _sign_flow_setup(X, y, alpha, depth)
    if setup is None:
        return None
    _, _, rows = setup
    loss0 = 0.25 * float(y @ y)
    target = fraction * loss0

    def loss(t):
        total = 0.0
        for n, a1, ts in rows:
            total += (a1 * _gap(min(t, ts), alpha, depth) - abs(y[n])) ** 2
        # rows without active columns keep their residual -y_n
        active = {n for n, _, _ in rows}
        total += sum(y[n] ** 2 for n in range(len(y)) if n not in active)
        return 0.25 * total

    t_end = max((ts for _, _, ts in rows), default=0.0)
    if loss(t_end) > target:
        return np.inf
    if loss0 <= target:
        return 0.0
    return brentq(lambda s: loss(s) - target, 0.0, t_end, xtol=1e-15,
                  rtol=4 * np.finfo(float).eps)


# ----------------------------------------------------------------------------------------
# the driver


def escape_times(problem, alphas, q, *, depth=2, eps=0.0, tied=True, init="balanced",
                 fraction=0.5, t_max=None, method="LSODA", rtol=1e-10, atol=1e-14):
    r"""First time the loss falls to ``fraction`` times its initial value, per ``alpha``.

    Root-located: by the solver's event location on the dense output for
    ``q > 1`` or ``eps > 0``, by Brent's method on the closed form for sign flow.

    Parameters
    ----------
    problem : object with ``.X``, ``.y`` or a pair ``(X, y)``
    alphas : array_like, shape (A,)
        Initialisation scales ``> 0``.
    q, depth, eps, tied, init :
        As in :func:`~ssdlib.steepest.flows.steepest_flow`.
    fraction : float, default 0.5
        In (0, 1).
    t_max : float, optional
        Give up (``inf``) after this time. Default: the horizon grows
        tenfold from 10 up to ``1e13``.
    method, rtol, atol :
        Solver settings, as in :func:`~ssdlib.steepest.flows.steepest_flow`.

    Returns
    -------
    ndarray, shape (A,)
        Escape times (``inf`` where the loss never reaches the level).
    """
    X, y = _as_data(problem)
    alphas = np.atleast_1d(np.asarray(alphas, dtype=float))
    if alphas.ndim != 1 or np.any(~np.isfinite(alphas)) or np.any(alphas <= 0):
        raise ValueError("`alphas` must be a 1-dimensional array of values > 0.")
    fraction = _check_fraction(fraction)
    if t_max is not None:
        t_max = _check_real("t_max", t_max)
        if t_max <= 0:
            raise ValueError(f"`t_max` must be > 0; got {t_max}.")
    out = np.empty(alphas.size)
    for a_idx, alpha in enumerate(alphas):
        X, y, alpha, q, depth, eps, lam, _, W0 = _validate_flow(
            (X, y), alpha, q, depth, eps, 0.0, tied, init)
        loss0 = 0.25 * float(np.sum((X @ _forward(W0, depth, tied)[0] - y) ** 2))
        if loss0 == 0.0:
            raise ValueError("the initial loss is 0 (`problem.y` is fitted at t = 0): "
                             "there is no saddle to escape.")
        if q == 1.0 and eps == 0.0:
            if not _closed_form_allowed(X, init, True):
                raise ValueError(_SIGN_FLOW_MSG)
            t_esc = _sign_flow_escape(X, y, alpha, depth, fraction)
            out[a_idx] = t_esc if t_max is None or t_esc <= t_max else np.inf
            continue
        rhs, jac = _make_field(X, y, q, eps, depth, bool(tied), lam, True, W0)
        level = fraction * loss0

        def event(t, w, _shape=W0.shape, _depth=depth, _level=level, _X=X, _y=y):
            x = _forward(w.reshape(_shape), _depth, tied)[0]
            return 0.25 * float(np.sum((_X @ x - _y) ** 2)) - _level

        event.terminal = True
        event.direction = -1
        t0, w0, horizon = 0.0, W0.reshape(-1), (t_max if t_max is not None else 10.0)
        t_esc = np.inf
        while True:
            sol = _integrate(rhs, jac, w0, (t0, horizon), None, method, rtol, atol,
                             events=[event])
            if sol.t_events[0].size:
                t_esc = float(sol.t_events[0][0])
                break
            if t_max is not None or horizon >= 1e13:
                break
            t0, w0, horizon = float(sol.t[-1]), sol.y[:, -1], 10.0 * horizon
        out[a_idx] = t_esc
    return out


def escape_exponent(q, depth, eps=0.0):
    r"""Predicted ``alpha -> 0`` log-log slope of the escape time.

    ``-((H-1)(q'-1) - 1)`` when positive-growth exponent ``m = (H-1)(q'-1) > 1``
    and 0 otherwise (``m = 1`` is logarithmic, ``m < 1`` bounded), with
    ``q' = q`` for ``eps = 0`` and ``q' = 2`` for ``eps > 0`` (a smoothed flow
    is gradient-flow-like near the saddle). Gradient flow: ``-(H-2)``; sign
    flow: 0.
    """
    q = _check_q(q)
    depth = _check_depth(depth)
    eps = _check_eps(eps)
    qq = 2.0 if eps > 0 else q
    m = (depth - 1) * (qq - 1.0)
    return -(m - 1.0) if m > 1 else 0.0


def escape_time_prediction(problem, alpha, q, *, depth=2, eps=0.0, tied=True, fraction=0.5):
    r"""Leading-order escape time as ``alpha -> 0`` (balanced start), see module docstring.

    * sign flow (``q = 1, eps = 0``): the exact closed-form time at ``alpha``;
    * ``m = (H-1)(q'-1) > 1``: ``eps' alpha^(1-m) / ((m-1) (C|rho_0|_max)^(q'-1))``;
    * ``m = 1``: ``eps' log(1/alpha) / (C|rho_0|_max)^(q'-1)``;

    where ``q' = q, eps' = 1`` for ``eps = 0`` and ``q' = 2, eps' = eps`` for
    ``eps > 0`` (SSD's slow first stage), ``C = H`` (tied) or 1, and
    ``rho_0 = -X^T y / 2``. The ``O(1)`` correction is not included.

    Raises
    ------
    ValueError
        For ``q > 1``, ``m < 1`` (the time tends to a finite limit with no
        simple formula: measure it with :func:`escape_times`).
    """
    X, y = _as_data(problem)
    alpha = _check_alpha(alpha)
    q = _check_q(q)
    depth = _check_depth(depth)
    eps = _check_eps(eps)
    if q == 1.0 and eps == 0.0:
        return float(escape_times((X, y), [alpha], 1.0, depth=depth, fraction=fraction)[0])
    qq, scale = (2.0, eps) if (eps > 0 and q < 2) else (q, 1.0)
    m = (depth - 1) * (qq - 1.0)
    C = depth if tied else 1.0
    c = (C * np.max(np.abs(0.5 * X.T @ y))) ** (qq - 1.0)
    if m > 1:
        return scale * alpha ** (1.0 - m) / ((m - 1.0) * c)
    if m == 1:
        return scale * np.log(1.0 / alpha) / c
    raise ValueError(
        f"no leading-order formula for `q` = {q} at depth {depth}: (H-1)(q-1) < 1, the escape "
        "time tends to a finite limit; measure it with escape_times."
    )


def fit_escape_slope(alphas, times, *, scale="loglog"):
    r"""Least-squares slope of escape times against ``alpha``.

    Parameters
    ----------
    alphas, times : array_like, shape (A,)
        Finite, positive.
    scale : {'loglog', 'semilog'}
        ``'loglog'``: fit ``log t = s log alpha + b`` (power laws);
        ``'semilog'``: fit ``t = s log(1/alpha) + b`` (depth-2 gradient flow).

    Returns
    -------
    slope, intercept : float
    """
    a = np.asarray(alphas, dtype=float)
    t = np.asarray(times, dtype=float)
    if a.shape != t.shape or a.ndim != 1 or a.size < 2:
        raise ValueError("`alphas` and `times` must be 1-dimensional of equal length >= 2.")
    if np.any(~np.isfinite(t)) or np.any(t <= 0) or np.any(a <= 0):
        raise ValueError("`times` and `alphas` must be finite and > 0 (drop inf escape times).")
    if scale == "loglog":
        s, b = np.polyfit(np.log(a), np.log(t), 1)
    elif scale == "semilog":
        s, b = np.polyfit(np.log(1.0 / a), t, 1)
    else:
        raise ValueError(f"`scale` must be 'loglog' or 'semilog'; got {scale!r}.")
    return float(s), float(b)


# ----------------------------------------------------------------------------------------
# mirror map
