r"""Mirror maps and potentials of the steepest flows.

Mirror map and implicit bias
----------------------------
Let ``u`` be the dominating weight of a coordinate (``x_i = sgn(x_i) (u^H - v^H)``
with ``v`` the non-dominating one, balanced layers). With eps = 0,
``du/dt = -sgn(x_i) sign(rho_i) (C|rho_i|)^(q-1) u^m`` exactly. Define
``h(u) = u^k / (k C^(q-1))`` with ``k = 1 - (H-1)(q-1)`` (``log(u)/C^(q-1)`` if
``k = 0``); then ``d/dt [sgn(x_i) h(u)] = -sign(rho_i)|rho_i|^(q-1)``: the dual
variable ``theta = sgn(x) h((|x| + v^H)^(1/H))`` follows the *steepest mirror
flow* ``d theta / dt = -sign(grad_x f)|grad_x f|^(q-1)``. It is the gradient of
the (time-dependent through ``v``) potential

.. math::

   \begin{aligned}
   \Phi_t(x) &= \sum_i \int_{v_i}^{u_i} h(z)\,H z^{H-1}\,dz
              = \sum_i \frac{H}{k C^{q-1} (H+k)}\bigl(u_i^{H+k} - v_i^{H+k}\bigr),\\
   u_i &= (|x_i| + v_i^H)^{1/H}.
   \end{aligned}

In terms of ``x`` with ``v -> 0``: ``dx/dt = -C^(q-1) H |x|^gamma sign(rho)|rho|^(q-1)``,
metric exponent ``gamma = q (H-1)/H``, and ``Phi(x) ~ |x|^(2-gamma)``.

For ``q = 1`` (sign flow; SSD after its first stage) ``k = 1``, ``C^0 = 1``:

.. math::  \Phi^H_t(x) = \frac{H}{H+1}\sum_i \bigl(|x_i| + v_i^H\bigr)^{1+1/H}
           \quad(\text{up to an } x\text{-independent constant}),

whose gradient ``sgn(x)(|x| + v^H)^(1/H) = sgn(x) u`` is the dominating weight.
For ``H = 2`` this is Prop. 3.6, ``2/3 (|x| + v^2)^(3/2)``. The paper's
higher-order paragraph states ``sum (|beta_i| + v_i^H)^(2 - 1/H)``: the
exponent agrees only at ``H = 2`` (where it lacks the factor ``2/3``, i.e. its
dual moves ``3/2`` times too fast); for ``H >= 3`` its gradient
``(2 - 1/H) u^(H-1)`` does not move at a constant rate and the dual-dynamics
check of :func:`dual_dynamics_check` fails. The correct exponent
``1 + 1/H`` decreases to 1 as ``H -> infinity``: depth drives sign descent
toward an l1-like (sparsity) bias, not toward the squared l2 norm the paper
states.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..problem import _check_depth
from ._model import _as_data, _check_q
from .flows import SteepestTrajectory

__all__ = ["DualCheck", "dual_dynamics_check", "mirror_map", "mirror_potential",
           "paper_mirror_map", "paper_potential"]


@dataclass(frozen=True, eq=False)
class DualCheck:
    """Result of :func:`dual_dynamics_check`.

    Attributes
    ----------
    t : ndarray, shape (M,)
        Interior output times where the central differences are taken.
    dtheta : ndarray, shape (M, D)
        Finite-difference ``d theta / dt`` of the dual variable.
    predicted : ndarray, shape (M, D)
        ``-sign(rho)|rho|^(q-1)`` with ``rho = grad_beta f(beta(t))``.
    mask : ndarray of bool, shape (M, D)
        Entries used (dominance fixed, prediction smooth across the stencil).
    scale : float
        Least-squares ``c`` in ``dtheta ~ c * predicted``.
    error : float
        ``max |dtheta - predicted| / max |predicted|`` over the mask.
    error_fitted : float
        The same with ``c * predicted``.
    """

    t: np.ndarray
    dtheta: np.ndarray
    predicted: np.ndarray
    mask: np.ndarray
    scale: float
    error: float
    error_fitted: float



def _h(z, q, depth, tied):
    C = float(depth) ** (q - 1.0) if tied else 1.0
    k = 1.0 - (depth - 1) * (q - 1.0)
    if abs(k) < 1e-12:
        with np.errstate(divide="ignore"):
            return np.log(z) / C
    with np.errstate(divide="ignore"):
        return z**k / (k * C)


def mirror_map(beta, q, depth, *, v=0.0, tied=True):
    r"""Dual variable ``theta = grad Phi_t(beta) = sgn(beta) h((|beta| + v^H)^(1/H))``.

    ``h(u) = u^k / (k C^(q-1))``, ``k = 1 - (H-1)(q-1)``, ``C = H`` (tied) or 1
    (``log(u)/C^(q-1)`` for ``k = 0``). Along the steepest flow (eps = 0,
    balanced layers) ``d theta/dt = -sign(rho)|rho|^(q-1)`` exactly, ``rho =
    grad_beta f``. For ``q = 1``: ``sgn(beta)(|beta| + v^H)^(1/H)``, the
    dominating weight.

    Parameters
    ----------
    beta : array_like, shape (..., D)
    q : float in [1, 2]
    depth : int >= 2
    v : float or array_like broadcastable to ``beta``
        Non-dominating weight ``v_t >= 0`` (0 for the ``v -> 0`` limit).
    tied : bool

    Returns
    -------
    ndarray, same shape as ``beta``
    """
    q = _check_q(q)
    depth = _check_depth(depth)
    beta = np.asarray(beta, dtype=float)
    u = (np.abs(beta) + np.asarray(v, dtype=float) ** depth) ** (1.0 / depth)
    return np.sign(beta) * _h(u, q, depth, tied)


def mirror_potential(beta, q, depth, *, v=0.0, tied=True):
    r"""``Phi_t(beta) = sum_i int_{v_i}^{u_i} h(z) H z^(H-1) dz`` (0 at ``beta = 0``).

    Closed form ``H (u^(H+k) - v^(H+k)) / (k C^(q-1) (H+k))`` (``k != 0``); for
    ``q = 1``: ``H/(H+1) ((|beta| + v^H)^(1+1/H) - v^(H+1))``. Its gradient is
    :func:`mirror_map`. Sums over the last axis.
    """
    q = _check_q(q)
    depth = _check_depth(depth)
    beta = np.asarray(beta, dtype=float)
    v = np.broadcast_to(np.asarray(v, dtype=float), beta.shape)
    u = (np.abs(beta) + v**depth) ** (1.0 / depth)
    C = float(depth) ** (q - 1.0) if tied else 1.0
    k = 1.0 - (depth - 1) * (q - 1.0)
    H = depth
    if abs(k) < 1e-12:
        def F(z):
            with np.errstate(divide="ignore", invalid="ignore"):
                val = z**H * np.log(z) - z**H / H
            return np.where(z > 0, val, 0.0) / C
    else:
        def F(z):
            return H * z ** (H + k) / (k * C * (H + k))
    return np.sum(F(u) - F(v), axis=-1)


def paper_potential(beta, depth, *, v=0.0):
    r"""The paper's stated depth-``H`` potential ``sum_i (|beta_i| + v_i^H)^(2 - 1/H)``."""
    depth = _check_depth(depth)
    beta = np.asarray(beta, dtype=float)
    return np.sum((np.abs(beta) + np.asarray(v, dtype=float) ** depth) ** (2.0 - 1.0 / depth),
                  axis=-1)


def paper_mirror_map(beta, depth, *, v=0.0):
    r"""Gradient of :func:`paper_potential`: ``(2 - 1/H) sgn(beta)(|beta| + v^H)^(1 - 1/H)``."""
    depth = _check_depth(depth)
    beta = np.asarray(beta, dtype=float)
    s = np.abs(beta) + np.asarray(v, dtype=float) ** depth
    return (2.0 - 1.0 / depth) * np.sign(beta) * s ** (1.0 - 1.0 / depth)


def dual_dynamics_check(traj, problem, *, potential="steepest", smooth_tol=0.05, rho_min=None):
    r"""Finite-difference check that the dual variable moves as ``-sign(rho)|rho|^(q-1)``.

    The dual variable ``theta(t) = M(beta(t); v(t))`` is evaluated along the
    trajectory with ``v`` the non-dominating branch (geometric mean of its
    layers) and differentiated by central differences; the prediction is
    ``-sign(rho)|rho|^(q-1)``, ``rho = grad_beta f(beta(t)) = X^T(X beta - y)/2``.

    Parameters
    ----------
    traj : SteepestTrajectory
        Balanced layers (tied, or untied from ``init='balanced'``).
    problem : object with ``.X``, ``.y`` or a pair ``(X, y)``
    potential : {'steepest', 'paper'} or callable
        ``'steepest'``: :func:`mirror_map` with the trajectory's ``q``,
        ``depth``, ``tied``; ``'paper'``: :func:`paper_mirror_map` (the
        paper's ``sum (|beta| + v^H)^(2-1/H)``); or ``M(beta, v) -> theta``.
    smooth_tol : float
        Stencils where the prediction jumps by more than this fraction of its
        maximum (kinks, e.g. when a residual reaches 0) are masked.
    rho_min : float, optional
        Entries with ``|rho| < rho_min`` anywhere on the stencil are masked
        (converged coordinates, where ``sign(rho)`` is round-off). Default
        ``1e-6 max|rho(0)|``; for SSD pass a multiple of ``eps`` to keep only
        the sign-like regime ``|grad_w f| >> eps``.

    Returns
    -------
    DualCheck
    """
    X, y = _as_data(problem)
    if not isinstance(traj, SteepestTrajectory):
        raise ValueError("`traj` must be a SteepestTrajectory from steepest_flow.")  # noqa: TRY004
    if traj.t.size < 3:
        raise ValueError("`traj` needs at least 3 output times for central differences.")
    H = traj.depth
    if potential == "steepest":
        def M(b, v):
            return mirror_map(b, traj.q, H, v=v, tied=traj.tied)
    elif potential == "paper":
        def M(b, v):
            return paper_mirror_map(b, H, v=v)
    elif callable(potential):
        M = potential
    else:
        raise ValueError(
            f"`potential` must be 'steepest', 'paper' or a callable; got {potential!r}."
        )
    P = np.abs(np.prod(traj.w, axis=2)) ** (1.0 / H)  # (T, 2, D)
    U, V = P[:, 0], P[:, 1]
    s = np.sign(U - V)
    v_nd = np.minimum(U, V)
    theta = M(traj.beta, v_nd)
    t = traj.t
    dtheta = (theta[2:] - theta[:-2]) / (t[2:] - t[:-2])[:, None]
    rho = 0.5 * (traj.beta @ X.T - y) @ X
    pred = -np.sign(rho) * np.abs(rho) ** (traj.q - 1.0)
    pmax = np.max(np.abs(pred))
    mask = (s[:-2] == s[1:-1]) & (s[1:-1] == s[2:]) & (s[1:-1] != 0)
    mask &= np.abs(pred[2:] - pred[:-2]) <= smooth_tol * pmax
    mask &= np.abs(pred[1:-1] - pred[:-2]) <= smooth_tol * pmax
    mask &= np.abs(pred[2:] - pred[1:-1]) <= smooth_tol * pmax
    if rho_min is None:
        rho_min = 1e-6 * float(np.max(np.abs(rho[0])))
    big = np.abs(rho) >= rho_min
    mask &= big[:-2] & big[1:-1] & big[2:]
    mask &= np.isfinite(dtheta)
    pc = pred[1:-1]
    if not mask.any():
        raise ValueError("no usable stencil: the trajectory has no coordinate with fixed "
                         "dominance and a smooth prediction; use a finer `t_eval`.")
    d, p = dtheta[mask], pc[mask]
    scale = float(d @ p / (p @ p)) if p @ p > 0 else np.nan
    denom = np.max(np.abs(p))
    err = float(np.max(np.abs(d - p)) / denom)
    err_fit = float(np.max(np.abs(d - scale * p)) / denom)
    return DualCheck(t[1:-1], dtheta, pc, mask, scale, err, err_fit)


