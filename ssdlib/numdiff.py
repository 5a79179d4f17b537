"""Finite differences for checking derivatives along trajectories and of potentials.

The book tests statements about time derivatives (dual dynamics, eqs. (6), (13), (20)) and about
gradients of potentials by comparing them with finite differences. Two stencils:

* :func:`central_gradient`: second-order central differences of a function of a vector, one
  coordinate at a time (error ``O(h^2)``);
* :func:`stencil_times` and :func:`five_point_derivative`: the fourth-order five-point formula
  ``f'(t) ~ (f(t-2h) - 8 f(t-h) + 8 f(t+h) - f(t+2h)) / (12 h)`` (error ``O(h^4)``) on samples of
  a trajectory taken at ``t + k h``, ``k = -2..2``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["central_gradient", "stencil_times", "five_point_derivative"]

_FIVE = np.array([1.0, -8.0, 0.0, 8.0, -1.0]) / 12.0


def _positive_step(h):
    if not np.isscalar(h) or not np.isfinite(h) or h <= 0:
        raise ValueError("`h` must be a positive finite step, e.g. 1e-5.")
    return float(h)


def central_gradient(f, x, h=1e-5):
    """Central differences ``(f(x + h e_k) - f(x - h e_k)) / (2h)`` for every coordinate k.

    Parameters
    ----------
    f : callable
        Maps an array of shape (D,) to a scalar or to an array of shape (M,).
    x : array_like, shape (D,)
    h : float

    Returns
    -------
    ndarray, shape (D,) or (D, M)
        Row k is the derivative along coordinate k: the gradient of a scalar ``f``, the
        transposed Jacobian of a vector ``f``.
    """
    h = _positive_step(h)
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError("`x` must be a non-empty 1-D array (one point).")
    steps = h * np.eye(x.size)
    return np.array([np.asarray(f(x + e)) - np.asarray(f(x - e)) for e in steps]) / (2 * h)


def stencil_times(t, h):
    """The times ``t_j + k h``, ``k = -2..2``, at which to sample for :func:`five_point_derivative`.

    Parameters
    ----------
    t : array_like, shape (M,)
        Centres; they must satisfy ``t_j - 2h >= 0`` when the flow starts at 0.
    h : float

    Returns
    -------
    ndarray, shape (5 M,)
        Row-major: the five times of centre 0, then of centre 1, ...
    """
    h = _positive_step(h)
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise ValueError("`t` must be a non-empty 1-D array of centres.")
    return (t[:, None] + h * np.arange(-2, 3)[None, :]).ravel()


def five_point_derivative(samples, h):
    """Fourth-order derivative at the centres from samples on :func:`stencil_times`.

    Parameters
    ----------
    samples : array_like, shape (5 M, ...)
        Values at ``stencil_times(t, h)`` (e.g. ``trajectory.beta`` evaluated there).
    h : float

    Returns
    -------
    derivative : ndarray, shape (M, ...)
    centre : ndarray, shape (M, ...)
        The samples at the centres themselves.
    """
    h = _positive_step(h)
    samples = np.asarray(samples, dtype=float)
    if samples.ndim == 0 or samples.shape[0] % 5:
        raise ValueError("`samples` must have 5 M rows, one per time of `stencil_times`.")
    s = samples.reshape(samples.shape[0] // 5, 5, *samples.shape[1:])
    return np.tensordot(_FIVE, s, axes=(0, 1)) / h, s[:, 2]
