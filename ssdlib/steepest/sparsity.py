r"""Sparse regressions and support recovery: does depth make the solution sparse?"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from ._model import _as_data, _check_fraction, _check_real
from .flows import steepest_flow

__all__ = [
    "SparseRegression",
    "SparsityExperiment",
    "active_share",
    "depth_sparsity_experiment",
    "ray_deviation",
    "sparse_regression",
    "support_recovery",
]


@dataclass(frozen=True, eq=False)
class SparseRegression:
    """A sparse-ground-truth regression ``y = X beta_star + noise`` (N < D).

    Attributes
    ----------
    X : ndarray, shape (N, D)
    y : ndarray, shape (N,)
    beta_star : ndarray, shape (D,)
    support : ndarray of int, shape (k,)
        Indices of the non-zero entries of ``beta_star``.
    """

    X: np.ndarray
    y: np.ndarray
    beta_star: np.ndarray
    support: np.ndarray



def sparse_regression(n_samples, n_features, n_nonzero, *, noise=0.0, seed=0):
    r"""A seeded sparse-ground-truth regression with ``N < D``.

    ``X`` has i.i.d. standard normal entries; ``beta_star`` has ``n_nonzero``
    entries at random positions with random signs and magnitudes uniform in
    [1, 2]; ``y = X beta_star + noise * N(0, 1)``.

    Parameters
    ----------
    n_samples, n_features, n_nonzero : int
        ``N < D`` and ``1 <= k <= D``.
    noise : float, default 0
    seed : int, default 0

    Returns
    -------
    SparseRegression
    """
    for name, val in (("n_samples", n_samples), ("n_features", n_features),
                      ("n_nonzero", n_nonzero)):
        if isinstance(val, bool) or not isinstance(val, Integral) or val < 1:
            raise ValueError(f"`{name}` must be an integer >= 1; got {val!r}.")
    if n_samples >= n_features:
        raise ValueError(f"`n_samples` must be < `n_features` (over-parameterised); "
                         f"got {n_samples} >= {n_features}.")
    if n_nonzero > n_features:
        raise ValueError(f"`n_nonzero` must be <= `n_features`; got {n_nonzero}.")
    noise = _check_real("noise", noise)
    if noise < 0:
        raise ValueError(f"`noise` must be >= 0; got {noise}.")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    support = np.sort(rng.choice(n_features, size=n_nonzero, replace=False))
    beta = np.zeros(n_features)
    beta[support] = rng.uniform(1.0, 2.0, n_nonzero) * rng.choice([-1.0, 1.0], n_nonzero)
    y = X @ beta + noise * rng.standard_normal(n_samples)
    return SparseRegression(X, y, beta, support)


def support_recovery(beta, beta_star):
    r"""Fraction of the true support among the ``k`` largest ``|beta_i|``.

    Parameters
    ----------
    beta : array_like, shape (D,) or (T, D)
        Estimate(s).
    beta_star : array_like, shape (D,)
        Ground truth with ``k >= 1`` non-zero entries.

    Returns
    -------
    float or ndarray, shape (T,)
        In [0, 1]; 1 means the top-``k`` entries of ``|beta|`` are exactly the support.
    """
    beta = np.asarray(beta, dtype=float)
    beta_star = np.asarray(beta_star, dtype=float)
    if beta_star.ndim != 1 or beta.shape[-1] != beta_star.shape[0]:
        raise ValueError("`beta` must have shape (D,) or (T, D) matching `beta_star` (D,).")
    true = beta_star != 0
    k = int(true.sum())
    if k == 0:
        raise ValueError("`beta_star` must have at least one non-zero entry.")
    top = np.argsort(-np.abs(beta), axis=-1, kind="stable")[..., :k]
    hits = true[top].sum(axis=-1) / k
    return float(hits) if np.ndim(hits) == 0 else hits


def active_share(traj, *, drop=0.1, rel=0.1):
    r"""Share of active coordinates when the loss has first fallen by the fraction ``drop``.

    A coordinate is active when ``|beta_i| > rel max_j |beta_j|``. Near 1 when every
    correlated coordinate grows at once (growth exponent ``m < 1``, book proposition
    "Learning all coordinates at once, or one at a time"), small when they are learned one at
    a time (``m >= 1``).

    Parameters
    ----------
    traj : trajectory with ``.beta`` (T, D) and ``.loss`` (T,)
    drop : float, default 0.1
        In (0, 1).
    rel : float, default 0.1
        In (0, 1).

    Returns
    -------
    float
        In (0, 1].

    Raises
    ------
    ValueError
        If the loss never falls by ``drop`` on the output times.
    """
    drop, rel = _check_fraction(drop, "drop"), _check_fraction(rel, "rel")
    reached = traj.loss <= (1 - drop) * traj.loss[0]
    if not reached.any():
        raise ValueError(f"the loss never falls by {drop:g} on the output times; extend "
                         "`t_eval` of the flow.")
    b = np.abs(traj.beta[int(np.argmax(reached))])
    return float(np.mean(b > rel * b.max()))


def ray_deviation(traj, problem):
    r"""Distance of the early direction of ``beta(t)`` from the ray ``sgn(X^T y)``.

    Sign flow moves every coordinate at unit speed until the first component of
    ``rho = grad_beta f`` changes sign (book proposition "Learning all coordinates at once, or
    one at a time"), so ``beta(t) / max|beta(t)| = sgn(X^T y)`` before that time. Returned is
    ``max_i |beta_i / max|beta| - sgn(X^T y)_i|`` at the output time half-way (by index) to the
    first sign change.

    Parameters
    ----------
    traj : trajectory with ``.t`` (T,) and ``.beta`` (T, D)
    problem : object with ``.X``, ``.y`` or a pair ``(X, y)``

    Returns
    -------
    float
    """
    X, y = _as_data(problem)
    rho_t = 0.5 * (traj.beta @ X.T - y) @ X
    flips = np.any(np.sign(rho_t) != np.sign(rho_t[0]), axis=1)
    k_flip = int(np.argmax(flips)) if flips.any() else len(traj.t)
    k_mid = max(k_flip // 2, 1)
    ray = traj.beta[k_mid] / np.abs(traj.beta[k_mid]).max()
    return float(np.abs(ray - np.sign(X.T @ y)).max())


@dataclass(frozen=True, eq=False)
class SparsityExperiment:
    """Result of :func:`depth_sparsity_experiment`; arrays have shape (seeds, depths).

    Attributes
    ----------
    depths : ndarray of int
    recovery, active : dict of ndarray
        Per method: :func:`support_recovery` of the limit and :func:`active_share`.
    ray : dict of ndarray
        Per method: :func:`ray_deviation`.
    g0_min, g0_max : ndarray
        ``min_i |g_i(0)|`` and ``max_i |g_i(0)|`` with ``g_i(0) = H alpha^(H-1) rho_0,i``, the
        initial gradients of the growing weights (tied model), to compare with ``eps``.
    """

    depths: np.ndarray
    recovery: dict
    active: dict
    ray: dict
    g0_min: np.ndarray
    g0_max: np.ndarray


def depth_sparsity_experiment(seeds, depths, methods, *, shape=(10, 30, 3), alpha=0.1,
                              t_eval=None, rtol=1e-7, atol=1e-12):
    r"""Does depth make the limit sparse? Steepest flows on seeded sparse regressions.

    For every seed, depth and method ``(q, eps)`` runs :func:`~ssdlib.steepest.flows.steepest_flow`
    (tied, ``w(0) = alpha``) on :func:`sparse_regression` and records the support recovery of
    the limit, the share of active coordinates at the first 10% loss decrease and the
    deviation of the early direction from the ray ``sgn(X^T y)``.

    Parameters
    ----------
    seeds : sequence of int
    depths : sequence of int
    methods : dict
        ``name -> (q, eps)``.
    shape : (int, int, int), default (10, 30, 3)
        ``(N, D, k)`` of :func:`sparse_regression`.
    alpha : float, default 0.1
    t_eval : array_like, optional
        Output times; default ``0`` and 400 times from ``1e-3`` to ``1e5``, log-spaced.
    rtol, atol : float
        Solver tolerances.

    Returns
    -------
    SparsityExperiment
    """
    seeds, depths = list(seeds), np.asarray(depths, dtype=int)
    if not seeds or depths.ndim != 1 or depths.size == 0:
        raise ValueError("`seeds` and `depths` must be non-empty sequences.")
    if not methods:
        raise ValueError("`methods` must map at least one name to (q, eps).")
    t_eval = np.r_[0, np.geomspace(1e-3, 1e5, 400)] if t_eval is None else t_eval
    size = (len(seeds), depths.size)
    recovery = {m: np.zeros(size) for m in methods}
    active = {m: np.zeros(size) for m in methods}
    ray = {m: np.zeros(size) for m in methods}
    g0_min, g0_max = np.zeros(size), np.zeros(size)
    for i, seed in enumerate(seeds):
        reg = sparse_regression(*shape, seed=seed)
        for j, H in enumerate(depths):
            g0_min[i, j] = H * alpha ** (H - 1) * np.abs(reg.X.T @ reg.y).min() / 2
            g0_max[i, j] = H * alpha ** (H - 1) * (np.abs(reg.X.T @ reg.y).max() / 2)
            for m, (q, e) in methods.items():
                tr = steepest_flow(reg, alpha, q, eps=e, depth=int(H), t_eval=t_eval,
                                   rtol=rtol, atol=atol)
                recovery[m][i, j] = support_recovery(tr.beta[-1], reg.beta_star)
                active[m][i, j] = active_share(tr)
                ray[m][i, j] = ray_deviation(tr, reg)
    return SparsityExperiment(depths, recovery, active, ray, g0_min, g0_max)
