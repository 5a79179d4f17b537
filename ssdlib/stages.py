r"""The three stages of smoothed sign descent (Section 3.3.1 and Appendix A of the paper).

Numerics behind the checks of Propositions 3.4-3.7 and Lemmas A.1-A.3 along trajectories:

* :func:`weight_flow` integrates the flow of eq. (16) in the weights :math:`w = (w_+, w_-)`
  themselves. :func:`ssdlib.simulate` integrates the dominating and non-dominating weights, and
  :func:`ssdlib.reference.reference_flow` their logarithms; in both the weights cannot change
  sign, so neither can test the first claim of Proposition 3.4. Here they can.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from .problem import Problem, _check_positive
from .reference import ReferenceFlow, ReferenceFlowError, loss_gradient, weight_velocity

__all__ = ["weight_flow"]


def weight_flow(problem, alpha, eps, t_eval, *, rtol=1e-10, atol=1e-14):
    r"""Integrate the smoothed-sign-descent flow, eq. (16), in the weights themselves.

    Solves :math:`\dot w = -\nabla_w L(w) / (\lvert\nabla_w L(w)\rvert + \eps)`,
    :math:`w(0) = \alpha\mathbf 1`, with :math:`L` of eq. (8) (the right-hand side is
    :func:`ssdlib.reference.weight_velocity`), by the implicit Radau method of
    :func:`scipy.integrate.solve_ivp` on the full vector :math:`w \in \mathbb R^{2D}`: no block
    decomposition, no change of variables (a weight is free to cross zero), no stopping rule.

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
        Strictly increasing output times, ``t_eval[0] >= 0``, at least two of them.
    rtol, atol : float, keyword-only
        Tolerances of the integrator on :math:`w` (``atol`` is an absolute accuracy of the
        weights, so weights below it are not resolved).

    Returns
    -------
    ssdlib.reference.ReferenceFlow
        Depth 2, method ``"ssd"``; ``u`` and ``v`` are the weights chosen by
        :math:`\operatorname{sgn}(x_i y)` as in Proposition 3.4.

    Raises
    ------
    ValueError
        On invalid arguments.
    ssdlib.reference.ReferenceFlowError
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
    D = problem.D

    def rhs(_t, w):
        return np.concatenate(weight_velocity(problem, w[:D], w[D:], eps))

    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), np.full(2 * D, alpha), method="Radau",
                    t_eval=t_eval, rtol=rtol, atol=atol)
    if sol.status != 0:
        raise ReferenceFlowError(
            f"Radau stopped at t = {sol.t[-1] if sol.t.size else 0.0:.4g} before "
            f"t_eval[-1] = {t_eval[-1]:.4g} ({sol.message}); loosen `rtol` or shorten `t_eval`."
        )
    wp, wm = sol.y[:D].T, sol.y[D:].T
    beta = wp**2 - wm**2
    return ReferenceFlow(
        t=sol.t, w_plus=wp, w_minus=wm, beta=beta, residual=problem.y - beta @ problem.X.T,
        grad_w=np.concatenate(loss_gradient(problem, wp, wm), axis=1),
        sign=np.sign(problem.X.T @ problem.y), alpha=alpha, eps=eps, depth=2, method="ssd",
        nfev=int(sol.nfev),
    )
