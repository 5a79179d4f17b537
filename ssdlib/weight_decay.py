r"""Weight decay on deep diagonal networks: induced regularisers, their minimisers, schedules.

The book's proposition "Stationary points and induced regularisers" (chapter "Beyond the
paper") derives which penalty on ``beta`` the stationary points of a steepest flow with weight
decay of rate ``lambda`` minimise, per coordinate and with ``s = |beta_i|``:

* coupled decay (``g -> g + lambda w``, an L2 penalty in the loss), any ``q`` and ``eps``:
  ``R_c(s) = lambda / 2 s^(2/H)`` (:func:`coupled_regulariser`; the lasso at ``H = 2``);
* decoupled decay (``dw/dt = -phi(g) - lambda w``, AdamW-style) with SSD (``q = 1``,
  ``eps > 0``): ``R_d(s) = r(s^(1/H))`` with
  ``r(w) = -eps (w + log(1 - lambda w) / lambda)`` for ``w < 1/lambda``, the book's
  eq. :eq:`eq-bp-rdec` (:func:`decoupled_regulariser`);
* decoupled decay with ``eps = 0``, ``1 < q <= 2``:
  ``r(w) = (q-1)/q lambda^(1/(q-1)) w^(q/(q-1))`` (:func:`steepest_regulariser`).

:func:`regularised_minimiser` minimises ``f(beta) + sum_i R(|beta_i|)`` (``f`` the loss of
eq. 8) and :func:`decay_minimiser` puts the two together. :class:`CosineDecay` is a decay
schedule ``lambda(t)`` with its integral, for the balance equations of
:func:`~ssdlib.steepest.flows.balance`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from .problem import _check_depth
from .steepest._model import _as_data, _check_eps, _check_positive, _check_q

__all__ = [
    "CosineDecay",
    "coupled_regulariser",
    "decay_minimiser",
    "decoupled_regulariser",
    "decoupled_zero_condition",
    "one_sparse_residual",
    "regularised_minimiser",
    "steepest_regulariser",
]


def _check_rate(lam):
    return _check_positive("lam", lam, "the decay rate")


def _check_s(s):
    s = np.asarray(s, dtype=float)
    if np.any(s < 0):
        raise ValueError("`s` must be >= 0 (it is |beta_i|); pass np.abs(beta).")
    return s


def coupled_regulariser(s, lam, *, depth=2):
    r"""Regulariser of coupled decay, ``lambda / 2 s^(2/H)`` per coordinate, ``s = |beta_i|``.

    Minimising ``lambda/2 (u^2 + v^2)`` subject to ``u^H - v^H = s`` gives ``v = 0`` (book,
    proposition "Stationary points and induced regularisers", part 1).

    Parameters
    ----------
    s : array_like
        ``|beta_i| >= 0``, any shape.
    lam : float
        Decay rate ``> 0``.
    depth : int, default 2

    Returns
    -------
    ndarray, shape of ``s``
    """
    s = _check_s(s)
    lam = _check_rate(lam)
    depth = _check_depth(depth)
    if depth == 2:
        return lam / 2 * s
    return lam / 2 * s ** (2.0 / depth)


def decoupled_regulariser(s, lam, eps, *, depth=2):
    r"""Regulariser of decoupled decay with SSD, ``r_{eps,lambda}(s^(1/H))``: eq. :eq:`eq-bp-rdec`.

    ``r(w) = -eps (w + log(1 - lambda w) / lambda)``, whose derivative
    ``eps lambda w / (1 - lambda w)`` is the inverse of the SSD field ``g / (|g| + eps)``
    applied to ``lambda w``; a barrier at ``w = 1/lambda``.

    Parameters
    ----------
    s : array_like
        ``|beta_i| >= 0``, any shape.
    lam : float
        Decay rate ``> 0``.
    eps : float
        SSD's ``eps >= 0``.
    depth : int, default 2

    Returns
    -------
    ndarray, shape of ``s``
        ``inf`` at and beyond the barrier ``s >= lambda^(-H)``.
    """
    s = _check_s(s)
    lam = _check_rate(lam)
    eps = _check_eps(eps)
    depth = _check_depth(depth)
    w = np.sqrt(s) if depth == 2 else s ** (1.0 / depth)
    inside = lam * w < 1
    with np.errstate(divide="ignore", invalid="ignore"):
        val = -eps * (w + np.log1p(-lam * w) / lam)
    return np.where(inside, val, np.inf)


def steepest_regulariser(s, lam, q, *, depth=2):
    r"""Regulariser of decoupled decay for the steepest flow with ``eps = 0``, ``1 < q <= 2``.

    ``r(w) = (q-1)/q lambda^(1/(q-1)) w^(q/(q-1))`` at ``w = s^(1/H)``; ``q = 2`` gives
    ``lambda/2 w^2``, the same as coupled decay.

    Parameters
    ----------
    s : array_like
        ``|beta_i| >= 0``.
    lam : float
        Decay rate ``> 0``.
    q : float
        In (1, 2].
    depth : int, default 2

    Returns
    -------
    ndarray, shape of ``s``
    """
    s = _check_s(s)
    lam = _check_rate(lam)
    q = _check_q(q)
    if q == 1.0:
        raise ValueError("`q` must be > 1: sign flow with decoupled decay induces a box, not a "
                         "penalty; use decoupled_regulariser with `eps` > 0.")
    depth = _check_depth(depth)
    w = s ** (1.0 / depth)
    return (q - 1) / q * lam ** (1 / (q - 1)) * w ** (q / (q - 1))


def regularised_minimiser(problem, R, *, upper=np.inf):
    r"""``argmin_beta f(beta) + sum_i R(|beta_i|)``, ``f = 1/4 |X beta - y|^2`` (eq. 8).

    L-BFGS-B on ``beta = p - n`` with ``0 <= p, n <= upper``, from two starts (near 0, and
    ``p`` at half of ``min(upper, 1)``); the better minimum is returned. Exact for convex
    ``f + R`` (e.g. ``H = 2`` and the regularisers of this module).

    Parameters
    ----------
    problem : object with ``.X`` (N, D) and ``.y`` (N,), or a pair ``(X, y)``
    R : callable
        ``R(s)`` for ``s >= 0`` element-wise, vectorised over an array of shape (D,).
    upper : float, default inf
        Bound on ``|beta_i|`` (below a barrier of ``R``).

    Returns
    -------
    ndarray, shape (D,)
    """
    X, y = _as_data(problem)
    if not callable(R):
        raise ValueError("`R` must be a callable R(s) of |beta_i| (e.g. coupled_regulariser).")
    upper = float(upper)
    if not upper > 0:
        raise ValueError(f"`upper` must be > 0; got {upper}.")
    D = X.shape[1]

    def F(z):
        r = X @ (z[:D] - z[D:]) - y
        return 0.25 * r @ r + np.sum(R(z[:D]) + R(z[D:]))

    best = None
    for z0 in (np.full(2 * D, 1e-3), np.r_[np.full(D, 0.5 * min(upper, 1.0)), np.zeros(D)]):
        res = minimize(F, z0, method="L-BFGS-B", bounds=[(0, upper)] * (2 * D),
                       options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
        best = res if best is None or res.fun < best.fun else best
    return best.x[:D] - best.x[D:]


def decay_minimiser(problem, lam, *, decoupled, eps=0.0):
    r"""The minimiser of ``f + R`` that a flow with weight decay ``lam`` converges to, ``H = 2``.

    ``decoupled=False``: the lasso :func:`coupled_regulariser` (gradient flow and SSD alike);
    ``decoupled=True``: SSD's :func:`decoupled_regulariser`, with ``|beta_i|`` bounded just
    below the barrier ``lambda^(-2)``.

    Parameters
    ----------
    problem : object with ``.X``, ``.y`` or a pair ``(X, y)``
    lam : float
        Decay rate ``> 0``.
    decoupled : bool
    eps : float, default 0
        SSD's ``eps`` (used when ``decoupled``).

    Returns
    -------
    ndarray, shape (D,)
    """
    lam = _check_rate(lam)
    eps = _check_eps(eps)
    if decoupled:
        if eps == 0:
            raise ValueError("`eps` must be > 0 with `decoupled`=True (decoupled sign flow "
                             "induces a box, not a penalty).")
        return regularised_minimiser(problem, lambda s: decoupled_regulariser(s, lam, eps),
                                     upper=(1 / lam) ** 2 * (1 - 1e-12))
    return regularised_minimiser(problem, lambda s: coupled_regulariser(s, lam))


@dataclass(frozen=True)
class CosineDecay:
    r"""Cosine decay schedule ``lambda(t) = rate (1 + cos(pi t / horizon))``.

    Calling it gives ``lambda(t)``; :meth:`integral` gives
    ``int_0^t lambda = rate (t + horizon/pi sin(pi t / horizon))``, the exponent of the balance
    equations under decoupled decay (book, proposition "Balance equations").

    Parameters
    ----------
    rate : float
        ``> 0``; the schedule starts at ``2 rate``.
    horizon : float
        ``> 0``; ``lambda(horizon) = 0``.
    """

    rate: float
    horizon: float

    def __post_init__(self):
        for name in ("rate", "horizon"):
            _check_positive(name, getattr(self, name))

    def __call__(self, t):
        return self.rate * (1 + np.cos(np.pi * t / self.horizon))

    def integral(self, t):
        """``int_0^t lambda(s) ds``, same shape as ``t``."""
        t = np.asarray(t, dtype=float)
        return self.rate * (t + self.horizon / np.pi * np.sin(np.pi * t / self.horizon))


def _one_row(x, beta, lam):
    x = np.asarray(x, dtype=float)
    beta = np.asarray(beta, dtype=float)
    if x.ndim != 1 or x.size < 2 or beta.shape[-1] != x.size:
        raise ValueError("`x` must be the row of X, shape (D,) with D >= 2, and `beta` of shape "
                         "(..., D) to match it.")
    lam = np.asarray(lam, dtype=float)
    if np.any(lam <= 0):
        raise ValueError("`lam` must be > 0 (the decay rates).")
    big = int(np.argmax(np.abs(x)))
    return x, beta, lam, big, int(np.argmin(np.abs(x)))


def one_sparse_residual(x, beta, lam, *, decoupled, eps=0.0):
    r"""Residual ``|x^T beta - y|`` of a 1-sparse minimiser of ``f + R`` on one row, ``H = 2``.

    If only the coordinate with the largest ``|x_i|`` is non-zero, the optimality condition of
    ``f + R`` (book, after the proposition "Stationary points and induced regularisers") gives

    * coupled decay: ``|r| = lambda / |x_big|``;
    * decoupled decay with SSD:
      ``|r| = eps lambda / (|x_big| (1 - lambda sqrt|beta_big|))``.

    Parameters
    ----------
    x : array_like, shape (D,)
        The row of ``X``.
    beta : array_like, shape (..., D)
        The limits (only ``beta_big`` enters).
    lam : float or array_like broadcastable to ``beta[..., 0]``
        Decay rates ``> 0``.
    decoupled : bool
    eps : float, default 0
        SSD's ``eps`` (decoupled decay).

    Returns
    -------
    ndarray, shape ``beta.shape[:-1]``
    """
    x, beta, lam, big, _ = _one_row(x, beta, lam)
    if not decoupled:
        return lam / abs(x[big]) + np.zeros(beta.shape[:-1])
    eps = _check_eps(eps)
    root_b2 = np.sqrt(np.abs(beta[..., big]))
    return eps * lam / (abs(x[big]) * (1 - lam * root_b2))


def decoupled_zero_condition(x, beta, lam):
    r"""Whether the smaller coordinate of a decoupled-SSD minimiser on one row stays at 0.

    The subgradient condition ``1/2 |x_small r| <= R_d'(0) = eps lambda / 2`` with the residual
    of :func:`one_sparse_residual` holds exactly when
    ``|x_small| / |x_big| <= 1 - lambda sqrt|beta_big|``.

    Parameters
    ----------
    x : array_like, shape (D,)
    beta : array_like, shape (..., D)
    lam : float or array_like broadcastable to ``beta[..., 0]``

    Returns
    -------
    ndarray of bool, shape ``beta.shape[:-1]``
    """
    x, beta, lam, big, small = _one_row(x, beta, lam)
    return abs(x[small]) / abs(x[big]) <= 1 - lam * np.sqrt(np.abs(beta[..., big]))
