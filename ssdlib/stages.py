r"""The three stages of smoothed sign descent (Section 3.3.1 and Appendix A of the paper).

Numerics behind the checks of Propositions 3.4-3.7 and Lemmas A.1-A.3 along trajectories:

* :func:`reference_flow` integrates the flow of eq. (16) directly in the weights
  :math:`w = (w_+, w_-)`, with no change of variables and no stopping rule, as an independent
  reference for :func:`ssdlib.simulate` (which integrates the dominating and non-dominating
  weights block by block).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from .problem import Problem, _check_positive

__all__ = ["ReferenceFlow", "ReferenceFlowError", "reference_flow"]


class ReferenceFlowError(RuntimeError):
    """The integrator of :func:`reference_flow` did not reach the end of the time grid."""


@dataclass(frozen=True, eq=False)
class ReferenceFlow:
    r"""The flow of eq. (16) integrated directly in the weights.

    Attributes
    ----------
    t : ndarray, shape (T,)
        Output times.
    w_plus, w_minus : ndarray, shape (T, D)
        The weights :math:`w_+` and :math:`w_-`.
    residual : ndarray, shape (T, N)
        :math:`y - X(w_+^2 - w_-^2)`.
    grad_w : ndarray, shape (T, 2D)
        :math:`\nabla_w L = (-w_+ \odot X^\top r,\ w_- \odot X^\top r)`, the gradient of the
        loss of eq. (8).
    sign : ndarray, shape (D,)
        :math:`\operatorname{sgn}((X^\top y)_i)`, i.e. :math:`\operatorname{sgn}(x_i y)` under
        Assumption 3.2.
    alpha, eps : float
    nfev : int
        Right-hand-side evaluations.
    """

    t: np.ndarray
    w_plus: np.ndarray
    w_minus: np.ndarray
    residual: np.ndarray
    grad_w: np.ndarray
    sign: np.ndarray
    alpha: float
    eps: float
    nfev: int

    @property
    def u(self) -> np.ndarray:
        """Shape (T, D): :math:`w_{+,i}` where :math:`x_i y > 0`, else :math:`w_{-,i}`."""
        return np.where(self.sign > 0, self.w_plus, self.w_minus)

    @property
    def v(self) -> np.ndarray:
        """Shape (T, D): the other weight of each coordinate."""
        return np.where(self.sign > 0, self.w_minus, self.w_plus)


def _loss_gradient(X, y, wp, wm):
    """``grad_w L`` of eq. (8) for weights of shape (..., D), returned as (grad+, grad-)."""
    q = (y - (wp**2 - wm**2) @ X.T) @ X
    return -wp * q, wm * q


def reference_flow(problem, alpha, eps, t_eval, *, rtol=1e-10, atol=1e-14):
    r"""Integrate the smoothed-sign-descent flow, eq. (16), directly in the weights.

    Solves :math:`\dot w = -\nabla_w L(w) / (\lvert\nabla_w L(w)\rvert + \eps)`,
    :math:`w(0) = \alpha\mathbf 1`, with :math:`L` of eq. (8), by the implicit Radau method of
    :func:`scipy.integrate.solve_ivp` on the full vector :math:`w \in \mathbb R^{2D}`: no block
    decomposition, no change of variables, no stopping rule. It is slower than
    :func:`ssdlib.simulate` and meant as an independent reference for it.

    Parameters
    ----------
    problem : Problem
        Data ``X`` (N, D) and ``y`` (N,); any ``X``.
    alpha : float
        Initialisation scale, ``> 0``.
    eps : float
        Stability constant, ``> 0`` (``eps = 0`` is sign flow, a discontinuous field; use
        :func:`ssdlib.simulate`, which solves it in closed form).
    t_eval : array_like, shape (T,)
        Strictly increasing output times, ``t_eval[0] >= 0``.
    rtol, atol : float, keyword-only
        Tolerances of the integrator.

    Returns
    -------
    ReferenceFlow

    Raises
    ------
    ValueError
        On invalid arguments.
    ReferenceFlowError
        When the integrator stops before ``t_eval[-1]``.
    """
    if not isinstance(problem, Problem):
        raise ValueError("`problem` must be an ssdlib.Problem; build it with `Problem(X, y)`.")
    alpha = _check_positive("alpha", alpha)
    eps = _check_positive("eps", eps)
    rtol = _check_positive("rtol", rtol)
    atol = _check_positive("atol", atol)
    t_eval = np.asarray(t_eval, dtype=float)
    if t_eval.ndim != 1 or t_eval.size < 2:
        raise ValueError("`t_eval` must be 1-dimensional with at least 2 times.")
    if not np.all(np.isfinite(t_eval)) or t_eval[0] < 0 or np.any(np.diff(t_eval) <= 0):
        raise ValueError("`t_eval` must be finite, strictly increasing and start at a time >= 0.")
    X, y, D = problem.X, problem.y, problem.D

    def rhs(_t, w):
        gp, gm = _loss_gradient(X, y, w[:D], w[D:])
        g = np.concatenate([gp, gm])
        return -g / (np.abs(g) + eps)

    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), np.full(2 * D, alpha), method="Radau",
                    t_eval=t_eval, rtol=rtol, atol=atol)
    if sol.status != 0:
        raise ReferenceFlowError(
            f"Radau stopped at t = {sol.t[-1] if sol.t.size else 0.0:.4g} before "
            f"t_eval[-1] = {t_eval[-1]:.4g} ({sol.message}); loosen `rtol` or shorten `t_eval`."
        )
    wp, wm = sol.y[:D].T, sol.y[D:].T
    gp, gm = _loss_gradient(X, y, wp, wm)
    return ReferenceFlow(t=sol.t, w_plus=wp, w_minus=wm, residual=y - (wp**2 - wm**2) @ X.T,
                         grad_w=np.concatenate([gp, gm], axis=1), sign=np.sign(X.T @ y),
                         alpha=alpha, eps=eps, nfev=int(sol.nfev))
