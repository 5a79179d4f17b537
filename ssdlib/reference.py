r"""Independent reference solutions of the flows, from the loss of eq. (8) and nothing else.

:func:`ssdlib.simulate` integrates the flows block by block, in transformed variables, with a
stopping rule. The functions here solve the same equations the plain way, so that the book can
test it (and the statements built on it) against something that shares none of its machinery:

* :func:`loss` and :func:`loss_gradient`: the loss of eq. (8) and its gradient in the weights,
  for depth :math:`H` (:math:`\beta = w_+^H - w_-^H`);
* :func:`weight_velocity`: the right-hand side of the smoothed-sign-descent flow, eq. (16), or
  of the gradient flow, eqs. (9)-(10);
* :func:`reference_flow`: that flow on given output times, integrated on the full coupled
  system of all :math:`2D` weights (no block decomposition) by SciPy's implicit Radau method,
  in the variables :math:`\ln w_\pm`, so that weights far below the tolerance (the
  non-dominating weights decay like :math:`e^{-c/\varepsilon}`) keep their relative accuracy;
* :func:`reference_limit`: the same integration run until the residual vanishes, for the
  limit :math:`w_\infty`.

They are meant for small problems (the exact Jacobian, a dense matrix of size :math:`2D`, is
formed at every Jacobian update) and tight tolerances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from .problem import Problem, _check_depth, _check_positive

__all__ = [
    "ReferenceFlow",
    "ReferenceFlowError",
    "ReferenceLimit",
    "loss",
    "loss_gradient",
    "reference_flow",
    "reference_limit",
    "weight_velocity",
]

_METHODS = ("ssd", "gd")


class ReferenceFlowError(RuntimeError):
    """The Radau integration did not reach the end of the time grid, or did not converge."""


def _weights(problem, w_plus, w_minus):
    if not isinstance(problem, Problem):
        raise ValueError("`problem` must be an ssdlib.Problem; build it with `Problem(X, y)`.")
    wp = np.asarray(w_plus, dtype=float)
    wm = np.asarray(w_minus, dtype=float)
    if wp.shape != wm.shape or wp.ndim == 0 or wp.shape[-1] != problem.D:
        raise ValueError(
            f"`w_plus` and `w_minus` must have the same shape (..., D) with D = {problem.D}; "
            f"got {wp.shape} and {wm.shape}."
        )
    return wp, wm


def loss(problem, w_plus, w_minus, depth=2):
    r"""The loss of eq. (8), :math:`L(w) = \tfrac14\lVert X(w_+^H - w_-^H) - y\rVert^2`.

    Parameters
    ----------
    problem : Problem
        Data ``X`` (N, D), ``y`` (N,).
    w_plus, w_minus : array_like, shape (..., D)
        Weights (any leading shape; evaluated point by point).
    depth : int
        :math:`H \ge 2`; the paper's main results use :math:`H = 2`.

    Returns
    -------
    float or ndarray, shape (...)
    """
    H = _check_depth(depth)
    wp, wm = _weights(problem, w_plus, w_minus)
    r = (wp**H - wm**H) @ problem.X.T - problem.y
    return 0.25 * np.sum(r**2, axis=-1)


def loss_gradient(problem, w_plus, w_minus, depth=2):
    r"""The gradient of :func:`loss` in the weights.

    With :math:`q = X^\top(X\beta - y)`,
    :math:`\nabla_{w_+}L = \tfrac H2\, w_+^{H-1} \odot q` and
    :math:`\nabla_{w_-}L = -\tfrac H2\, w_-^{H-1} \odot q` (for :math:`H = 2`,
    :math:`\pm w_\pm \odot q`).

    Parameters
    ----------
    problem : Problem
    w_plus, w_minus : array_like, shape (..., D)
    depth : int

    Returns
    -------
    grad_plus, grad_minus : ndarray, shape (..., D)
    """
    H = _check_depth(depth)
    wp, wm = _weights(problem, w_plus, w_minus)
    q = ((wp**H - wm**H) @ problem.X.T - problem.y) @ problem.X
    return (H / 2) * wp ** (H - 1) * q, -(H / 2) * wm ** (H - 1) * q


def _check_method(method, eps):
    if method not in _METHODS:
        raise ValueError(f"`method` must be one of {_METHODS}; got {method!r}.")
    if method == "gd":
        return 0.0
    eps = _check_positive("eps", eps)
    return eps


def weight_velocity(problem, w_plus, w_minus, eps, *, depth=2, method="ssd"):
    r"""The right-hand side of the flow: eq. (16) for ``"ssd"``, eqs. (9)-(10) for ``"gd"``.

    ``"ssd"``: :math:`\dot w = -g / (\lvert g\rvert + \varepsilon)`, ``"gd"``: :math:`\dot w = -g`,
    with :math:`g = \nabla_w L(w)` of :func:`loss_gradient`, element-wise.

    Parameters
    ----------
    problem : Problem
    w_plus, w_minus : array_like, shape (..., D)
    eps : float
        Stability constant, ``> 0`` for ``"ssd"`` (ignored for ``"gd"``).
    depth : int, keyword-only
    method : {"ssd", "gd"}, keyword-only

    Returns
    -------
    dw_plus, dw_minus : ndarray, shape (..., D)
    """
    eps = _check_method(method, eps)
    gp, gm = loss_gradient(problem, w_plus, w_minus, depth)
    if method == "gd":
        return -gp, -gm
    return -gp / (np.abs(gp) + eps), -gm / (np.abs(gm) + eps)


@dataclass(frozen=True, eq=False)
class ReferenceFlow:
    r"""A reference solution of the flow on given output times.

    Attributes
    ----------
    t : ndarray, shape (T,)
    w_plus, w_minus : ndarray, shape (T, D)
    beta : ndarray, shape (T, D)
        :math:`w_+^H - w_-^H`.
    residual : ndarray, shape (T, N)
        :math:`y - X\beta`.
    grad_w : ndarray, shape (T, 2D)
        :math:`(\nabla_{w_+}L, \nabla_{w_-}L)`.
    sign : ndarray, shape (D,)
        :math:`\operatorname{sgn}((X^\top y)_i)`, i.e. :math:`\operatorname{sgn}(x_i y)` under
        Assumption 3.2.
    alpha, eps : float
    depth : int
    method : str
    nfev : int
        Right-hand-side evaluations.
    """

    t: np.ndarray
    w_plus: np.ndarray
    w_minus: np.ndarray
    beta: np.ndarray
    residual: np.ndarray
    grad_w: np.ndarray
    sign: np.ndarray
    alpha: float
    eps: float
    depth: int
    method: str
    nfev: int

    @property
    def u(self) -> np.ndarray:
        """Shape (..., D): the dominating weights of Proposition 3.4 (:math:`w_+` where
        :math:`x_i y > 0`, else :math:`w_-`)."""
        return np.where(self.sign > 0, self.w_plus, self.w_minus)

    @property
    def v(self) -> np.ndarray:
        """Shape (..., D): the non-dominating weights (the other weight of each coordinate)."""
        return np.where(self.sign > 0, self.w_minus, self.w_plus)


@dataclass(frozen=True, eq=False)
class ReferenceLimit(ReferenceFlow):
    """The limit of the flow: a :class:`ReferenceFlow` whose arrays have shape (D,), (N,) or
    (2D,) (no time axis) and ``t`` is the time at which the residual met the tolerance."""


def _setup(problem, alpha, eps, depth, method, rtol, atol):
    if not isinstance(problem, Problem):
        raise ValueError("`problem` must be an ssdlib.Problem; build it with `Problem(X, y)`.")
    alpha = _check_positive("alpha", alpha)
    H = _check_depth(depth)
    if method == "ssd" and np.isscalar(eps) and float(eps) == 0:
        raise ValueError(
            "`eps` must be > 0: at eps = 0 the flow is sign flow, whose field is discontinuous; "
            "use ssdlib.simulate, which solves it in closed form."
        )
    eps = _check_method(method, eps)
    rtol = _check_positive("rtol", rtol)
    atol = _check_positive("atol", atol)
    X, y, D = problem.X, problem.y, problem.D
    G, Xty = X.T @ X, X.T @ y

    def parts(z):
        # with w = exp(z): s = (H/2) w^(H-2), k = s w = |grad_w L| / |q|
        w = np.exp(z)
        q = G @ (w[:D] ** H - w[D:] ** H) - Xty
        s = (H / 2) * w ** (H - 2)
        k = s * w
        sign = np.concatenate([-np.ones(D), np.ones(D)])  # d ln w+ ~ -q, d ln w- ~ +q
        return w, np.concatenate([q, q]), s, k, sign

    def rhs(_t, z):
        # d ln w / dt = (dw/dt) / w, written without dividing by w
        _, qq, s, k, sign = parts(z)
        if method == "gd":
            return sign * s * qq
        return sign * s * qq / (k * np.abs(qq) + eps)

    def jac(_t, z):
        w, qq, s, k, sign = parts(z)
        dq = np.concatenate([G * (H * w[:D] ** H), -G * (H * w[D:] ** H)], axis=1)  # dq/dz
        if method == "gd":
            direct, by_q = sign * (H - 2) * s * qq, sign * s
        else:
            den = k * np.abs(qq) + eps
            direct = sign * s * qq * ((H - 2) / den - (H - 1) * k * np.abs(qq) / den**2)
            by_q = sign * s * eps / den**2
        return np.diag(direct) + by_q[:, None] * np.concatenate([dq, dq], axis=0)

    return alpha, eps, H, rtol, atol, rhs, jac


def _result(cls, problem, t, z, *, alpha, eps, H, method, nfev):
    D = problem.D
    wp, wm = np.exp(z[..., :D]), np.exp(z[..., D:])
    beta = wp**H - wm**H
    gp, gm = loss_gradient(problem, wp, wm, H)
    return cls(t=t, w_plus=wp, w_minus=wm, beta=beta, residual=problem.y - beta @ problem.X.T,
               grad_w=np.concatenate([gp, gm], axis=-1), sign=np.sign(problem.X.T @ problem.y),
               alpha=alpha, eps=eps, depth=H, method=method, nfev=nfev)


def reference_flow(problem, alpha, eps, t_eval, *, depth=2, method="ssd", rtol=1e-12,
                   atol=1e-12):
    r"""Solve the flow of eq. (16) (or the gradient flow) on ``t_eval``, as a reference.

    Integrates :math:`\ln w_\pm` from :math:`w(0) = \alpha\mathbf 1` with the Radau method of
    ``scipy.integrate.solve_ivp``, on the full coupled system (no block decomposition, no
    stopping rule), so its error is that of a tight-tolerance implicit solve and independent of
    :func:`ssdlib.simulate`.

    Parameters
    ----------
    problem : Problem
        Data ``X`` (N, D), ``y`` (N,); any ``X`` (Assumption 3.2 is not used).
    alpha : float
        Initialisation scale, ``> 0``.
    eps : float
        Stability constant, ``> 0`` for ``"ssd"`` (``eps = 0`` is sign flow: use
        :func:`ssdlib.simulate`); ignored for ``"gd"``.
    t_eval : array_like, shape (T,)
        Strictly increasing output times, ``t_eval[0] >= 0``, ``t_eval[-1] > 0``.
    depth : int, keyword-only
        :math:`H \ge 2`.
    method : {"ssd", "gd"}, keyword-only
        Eq. (16) or eqs. (9)-(10).
    rtol, atol : float, keyword-only
        Tolerances of the integrator on :math:`\ln w` (``atol`` is thus a relative accuracy
        of the weights).

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
    alpha, eps, H, rtol, atol, rhs, jac = _setup(problem, alpha, eps, depth, method, rtol, atol)
    try:
        t_eval = np.asarray(t_eval, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("`t_eval` must be an array of times.") from exc
    if t_eval.ndim != 1 or t_eval.size == 0:
        raise ValueError("`t_eval` must be 1-dimensional and non-empty.")
    if (not np.all(np.isfinite(t_eval)) or t_eval[0] < 0 or t_eval[-1] <= 0
            or np.any(np.diff(t_eval) <= 0)):
        raise ValueError(
            "`t_eval` must be finite, strictly increasing, start at a time >= 0 and end at a "
            "time > 0."
        )
    z0 = np.full(2 * problem.D, np.log(alpha))
    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), z0, method="Radau", t_eval=t_eval,
                    jac=jac, rtol=rtol, atol=atol)
    if sol.status != 0:
        raise ReferenceFlowError(
            f"Radau stopped at t = {sol.t[-1] if sol.t.size else 0.0:.4g} before "
            f"t_eval[-1] = {t_eval[-1]:.4g} ({sol.message}); loosen `rtol` or shorten `t_eval`."
        )
    return _result(ReferenceFlow, problem, sol.t, sol.y.T, alpha=alpha, eps=eps, H=H,
                   method=method, nfev=int(sol.nfev))


def reference_limit(problem, alpha, eps, *, depth=2, method="ssd", tol=1e-12, t_max=1e3,
                    rtol=1e-12, atol=1e-12):
    r"""The limit :math:`w_\infty` of the flow, integrated as in :func:`reference_flow`.

    Runs until the residual is small in every row, :math:`\lvert y_n - (X\beta)_n\rvert \le
    \mathrm{tol}\,\lvert y_n\rvert`. After that time :math:`\beta` moves by less than about
    ``tol`` relative, and the logarithms of the weights by about ``tol`` (in the gradient
    regime the weights move at a rate proportional to the residual).

    Parameters
    ----------
    problem, alpha, eps, depth, method, rtol, atol
        As in :func:`reference_flow`.
    tol : float, keyword-only
        Relative residual at which the flow counts as converged, ``> 0``.
    t_max : float, keyword-only
        Give up at this time, ``> 0``.

    Returns
    -------
    ReferenceLimit
        Arrays without time axis; ``t`` is the convergence time (a float).

    Raises
    ------
    ValueError
        On invalid arguments (also when ``problem`` has a zero label).
    ReferenceFlowError
        When the residual does not reach ``tol`` by ``t_max`` or the integrator fails.
    """
    alpha, eps, H, rtol, atol, rhs, jac = _setup(problem, alpha, eps, depth, method, rtol, atol)
    tol = _check_positive("tol", tol)
    t_max = _check_positive("t_max", t_max)
    if np.any(problem.y == 0):
        raise ValueError("`problem` must have non-zero labels: the tolerance is relative to |y|.")
    X, y, D = problem.X, problem.y, problem.D

    def converged(_t, z):
        beta = np.exp(H * z[:D]) - np.exp(H * z[D:])
        return float(np.max(np.abs(y - X @ beta) / np.abs(y))) - tol

    converged.terminal = True
    converged.direction = -1
    z0 = np.full(2 * D, np.log(alpha))
    sol = solve_ivp(rhs, (0.0, t_max), z0, method="Radau", events=converged, jac=jac,
                    rtol=rtol, atol=atol)
    if sol.status != 1:
        why = sol.message if sol.status < 0 else "the residual is still above `tol` at t_max"
        raise ReferenceFlowError(
            f"the flow did not converge to relative residual {tol:g} by t = {sol.t[-1]:.4g} "
            f"({why}); raise `t_max` or `tol`."
        )
    return _result(ReferenceLimit, problem, float(sol.t_events[0][0]), sol.y_events[0][0],
                   alpha=alpha, eps=eps, H=H, method=method, nfev=int(sol.nfev))
