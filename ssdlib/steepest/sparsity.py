r"""Sparse regressions and support recovery: does depth make the solution sparse?"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from ._model import _check_real

__all__ = ["SparseRegression", "sparse_regression", "support_recovery"]


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
