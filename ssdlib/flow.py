r"""Smoothed sign descent and gradient descent flows on the diagonal network.

The flow of smoothed sign descent (SSD), eq. (16),

.. math:: \dot w = -\frac{\nabla_w L(w)}{|\nabla_w L(w)| + \varepsilon},
   \qquad L(w) = \tfrac14 |X\beta - y|^2,\ \beta = w_+^H - w_-^H,

and the gradient flow, eqs. (9)-(10), are solved by ``simulate``.

How it is solved
----------------
*Under Assumption 3.2* the flow splits into one autonomous system per row of
``X`` (eq. 28). In block ``n`` with ``a_k = |x_k|`` and ``s = |r|`` (eq. 33,
``s = |y| - sum_k a_k (u_k^H - v_k^H)``) the dominating and non-dominating
weights of Prop. 3.4 obey

.. math:: u_k' = \frac{f_k}{f_k + \varepsilon},\quad
          v_k' = -\frac{h_k}{h_k + \varepsilon},\quad
          f_k = \tfrac H2 a_k u_k^{H-1} s,\ h_k = \tfrac H2 a_k v_k^{H-1} s .

As ``eps -> 0`` these are stiff in two places: the residual decays like
``exp(-c t / eps)`` once the gradients fall below ``eps`` (Prop. 3.7), and so do
the ``v_k`` after ``T0`` (Prop. 3.5). Both fast modes are decays that turn from
linear to exponential when ``x`` (``s`` or ``v_k``) reaches a scale ``c``
(``s ~ eps / (a u^{H-1})``, ``v_k ~ (2 eps / (H a_k |y|))^{1/(H-1)}``). In the variable

.. math:: \psi = x + c \log x, \qquad \psi' = (\log x)' \, (x + c),

both regimes are nearly straight lines, which an explicit 8th-order method
(DOP853) follows with large steps; ``x = c\,\omega(\psi / c - \log c)`` with the
Wright omega function. The state of a block is ``(psi_s, psi_v1..psi_vm,
u_1..u_m)``; ``s`` is carried besides the ``u`` and ``v`` it is a function of
(eq. 33), because recovering a small ``s`` from eq. (33) cancels digits; the two
representations agree to the integration tolerance. Blocks, and values of
``alpha`` and ``eps`` in a sweep, are integrated as independent lanes, one after
another in one compiled loop, each with its own step sizes (module ``ssdlib._lanes``).
Gradient flow uses the same variables with the ``eps``-free right-hand side.

*With eps = 0* (sign flow) every weight moves at unit speed, ``u = alpha + t``
and ``v = max(alpha - t, 0)``, until the residual of its block vanishes at the
root ``t*`` of ``|y| = sum_k a_k ((alpha + t)^H - max(alpha - t, 0)^H)``, and then
stops (the eps -> 0 limit of the smoothed flow moves by O(eps) after its residual
reaches O(eps)). This closed form is used; no discontinuous field is integrated.

*Without Assumption 3.2* the full ``2D``-dimensional system in ``w`` is solved
with the implicit Radau method and its analytic Jacobian.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from ._lanes import integrate_lanes
from .problem import Problem, _check_depth, _check_positive

__all__ = ["Trajectory", "simulate", "simulate_batch", "sign_descent"]

_METHODS = ("ssd", "gd")
_STOP_REL = 1e-13  # converged when |r_n| <= _STOP_REL * |y_n| in every block


@dataclass(frozen=True, eq=False)
class Trajectory:
    """A solution of the SSD flow (eq. 16), the gradient flow (eqs. 9-10) or of
    the discrete algorithm (eq. 15).

    Attributes
    ----------
    t : ndarray, shape (T,)
        Times (for the discrete algorithm ``k * eta``).
    w_plus, w_minus : ndarray, shape (T, D)
        The weights ``w+`` and ``w-``.
    beta : ndarray, shape (T, D)
        ``w+^H - w-^H``.
    u, v : ndarray, shape (T, D)
        Dominating and non-dominating weights (Prop. 3.4): ``u = w+`` where
        ``(X^T y)_i > 0`` and ``u = w-`` elsewhere; eq. (29) gives
        ``beta = sgn(x_i y) (u^H - v^H)``.
    dual : ndarray, shape (T, D)
        The dual variable ``grad Phi_t(beta(t)) = sgn(x_i y) u_i(t)`` of
        Prop. 3.6 (at ``t = 0``, where ``Phi_0`` has a kink at ``beta = 0``, this
        is the subgradient used in Appendix B.1).
    grad_u, grad_v : ndarray, shape (T, D)
        ``grad_u L`` and ``grad_v L`` (``f_i`` and ``h_i`` of Appendix A).
    residual : ndarray, shape (T, N)
        ``y - X beta``.
    T0, T : float
        Stage times as in Figure 1: first time ``max_i |grad_v L|_i <= eps``
        and first time ``min_i |grad_u L|_i <= eps``; NaN when not reached
        (always NaN for gradient descent).
    beta_inf, u_inf, v_inf, w_plus_inf, w_minus_inf : ndarray, shape (D,)
        Limits as ``t -> infinity`` (the flow is run until the residual is
        below 1e-13 relative to ``|y|`` in every block).
    t_converged : float
        Time at which that convergence criterion was met.
    sign : ndarray, shape (D,)
        ``sgn(x_i y)``: +1 where ``u = w+``.
    problem : Problem
    alpha, eps : float
    depth : int
    method : str
        ``"ssd"``, ``"gd"``, ``"sign"`` (eps = 0 closed form) or
        ``"discrete"``.
    success : bool
    message : str
    nfev : int
        Right-hand-side evaluations (for a batch, summed over its blocks and pairs).
    """

    t: np.ndarray
    w_plus: np.ndarray
    w_minus: np.ndarray
    beta: np.ndarray
    u: np.ndarray
    v: np.ndarray
    dual: np.ndarray
    grad_u: np.ndarray
    grad_v: np.ndarray
    residual: np.ndarray
    T0: float
    T: float
    beta_inf: np.ndarray
    u_inf: np.ndarray
    v_inf: np.ndarray
    w_plus_inf: np.ndarray
    w_minus_inf: np.ndarray
    t_converged: float
    sign: np.ndarray
    problem: Problem
    alpha: float
    eps: float
    depth: int
    method: str
    success: bool
    message: str
    nfev: int


# ----------------------------------------------------------------------------
# validation


def _validate(problem, alpha, eps, depth, method, t_eval, t_max, rtol, atol):
    if not isinstance(problem, Problem):
        raise ValueError(
            "`problem` must be an ssdlib.Problem; build one with Problem(X, y)."
        )
    alpha = np.asarray(alpha, dtype=float)
    eps = np.asarray(eps, dtype=float)
    if not np.all(np.isfinite(alpha)) or np.any(alpha <= 0):
        raise ValueError(f"`alpha` must be finite and > 0; got {alpha.tolist()!r}.")
    if not np.all(np.isfinite(eps)) or np.any(eps < 0):
        raise ValueError(f"`eps` must be finite and >= 0; got {eps.tolist()!r}.")
    depth = _check_depth(depth)
    if method not in _METHODS:
        raise ValueError(f"`method` must be one of {_METHODS}; got {method!r}.")
    if t_eval is not None:
        t_eval = np.asarray(t_eval, dtype=float)
        if t_eval.ndim != 1 or t_eval.size == 0:
            raise ValueError("`t_eval` must be a non-empty 1-dimensional array.")
        if not np.all(np.isfinite(t_eval)) or np.any(t_eval < 0):
            raise ValueError("`t_eval` must be finite and >= 0 (the flow starts at t = 0).")
        if np.any(np.diff(t_eval) <= 0):
            raise ValueError("`t_eval` must be strictly increasing.")
    if t_max is not None:
        t_max = _check_positive("t_max", t_max)
    rtol = _check_positive("rtol", rtol)
    atol = _check_positive("atol", atol)
    if rtol < 1e-14:
        raise ValueError("`rtol` must be >= 1e-14 (below that round-off dominates).")
    return alpha, eps, depth, t_eval, t_max, rtol, atol


# ----------------------------------------------------------------------------
# assembling results


def _residual_and_q(problem, beta):
    """``y - X beta`` and ``X^T (y - X beta)`` for the rows of ``beta`` (T, D); under
    Assumption 3.2 block by block, in O(T D) rather than O(T N D)."""
    X, y = problem.X, problem.y
    if problem.blocks is None or problem.N <= 8:
        residual = y - beta @ X.T
        return residual, residual @ X
    cols = np.concatenate(problem.blocks)
    rows = np.repeat(np.arange(problem.N), [b.size for b in problem.blocks])
    x = X[rows, cols]
    starts = np.cumsum([0] + [b.size for b in problem.blocks[:-1]])
    residual = y - np.add.reduceat(beta[:, cols] * x, starts, axis=1)
    q = np.zeros_like(beta)
    q[:, cols] = residual[:, rows] * x
    return residual, q


def _assemble(problem, t, wp, wm, wp_inf, wm_inf, *, alpha, eps, depth, method, T0, T,
              t_conv, success=True, message="", nfev=0):
    H = depth
    sign = problem.xy_sign
    beta = wp**H - wm**H
    dom = sign > 0
    u = np.where(dom, wp, wm)
    v = np.where(dom, wm, wp)
    residual, q = _residual_and_q(problem, beta)
    gp = -(H / 2) * wp ** (H - 1) * q
    gm = (H / 2) * wm ** (H - 1) * q
    arrays = dict(
        t=np.asarray(t, dtype=float), w_plus=wp, w_minus=wm, beta=beta, u=u, v=v,
        dual=sign * u, grad_u=np.where(dom, gp, gm), grad_v=np.where(dom, gm, gp),
        residual=residual, beta_inf=wp_inf**H - wm_inf**H,
        u_inf=np.where(dom, wp_inf, wm_inf), v_inf=np.where(dom, wm_inf, wp_inf),
        w_plus_inf=wp_inf, w_minus_inf=wm_inf, sign=sign,
    )
    for a in arrays.values():
        a.setflags(write=False)
    return Trajectory(
        **arrays, T0=float(T0), T=float(T), t_converged=float(t_conv), problem=problem,
        alpha=float(alpha), eps=float(eps), depth=H, method=method, success=success,
        message=message, nfev=int(nfev),
    )


def _default_grid(t_end, n=401):
    return np.linspace(0.0, t_end, n)


# ----------------------------------------------------------------------------
# block (Assumption 3.2) solver


class _Lanes:
    """Per-block reduced systems for a batch of (alpha, eps) values."""

    def __init__(self, problem, alpha, eps, H, gd):
        blocks = problem.blocks
        N = len(blocks)
        P = alpha.size
        m = max(len(b) for b in blocks)
        self.m, self.N, self.P, self.H, self.gd = m, N, P, H, gd
        # columns of each block by decreasing |x_k| (ties in column order), padded with -1
        sizes = np.array([b.size for b in blocks])
        rows = np.repeat(np.arange(N), sizes)
        flat = np.concatenate(blocks)
        ax = np.abs(problem.X[rows, flat])
        order = np.lexsort((-ax, rows))
        k = np.arange(flat.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        a = np.zeros((N, m))
        cols = np.full((N, m), -1)
        a[rows, k] = ax[order]
        cols[rows, k] = flat[order]
        self.cols = cols
        self.dom = problem.xy_sign > 0
        self.a = np.tile(a, (P, 1))  # lane = p * N + n
        self.Y = np.tile(np.abs(problem.y), P)
        self.alpha = np.repeat(alpha, N)
        self.eps = np.repeat(eps, N)
        mask = self.a > 0
        # psi = x + c log x is used for x = s and x = v_k (see the module
        # docstring): c is about the value of x at which the decay of x turns
        # from linear to exponential (for v_k: h_k = eps at s = |y|).
        A = self.a.sum(axis=1)
        amax = self.a[:, 0]
        safe_a = np.where(mask, self.a, 1.0)
        if gd:
            self.c_s = self.Y.copy()
            c_v = np.repeat(self.alpha[:, None], m, axis=1)
        else:
            u_end = (self.Y / A) ** (1.0 / H)
            self.c_s = self.eps / (amax * u_end ** (H - 1))
            c_v = (2 * self.eps[:, None] / (H * safe_a * self.Y[:, None])) ** (1.0 / (H - 1))
        self.c_v = np.where(mask, c_v, 1.0)
        self.C = np.column_stack([self.c_s, self.c_v])  # scales of (s, v_1..v_m)
        self.log_C = np.log(self.C)
        self.psi_stop = self._psi(_STOP_REL * self.Y, self.c_s)

    @staticmethod
    def _psi(x, c):
        return x + c * np.log(x)

    def z0(self):
        B, m = self.a.shape
        z = np.empty((B, 2 * m + 1))
        z[:, 0] = self._psi(self.Y, self.c_s)
        z[:, 1:m + 1] = self._psi(self.alpha[:, None], self.c_v)
        z[:, m + 1:] = self.alpha[:, None]
        return z

    def to_weights(self, problem, U, V):
        """(..., B, m) lane arrays -> w+, w- of shape (..., P, D)."""
        P, N, m = self.P, self.N, self.m
        D = problem.D
        lead = U.shape[:-2]
        U = U.reshape(lead + (P, N, m))
        V = V.reshape(lead + (P, N, m))
        uu = np.zeros(lead + (P, D))
        vv = np.zeros(lead + (P, D))
        k = self.cols >= 0
        uu[..., self.cols[k]] = U[..., k]
        vv[..., self.cols[k]] = V[..., k]
        return np.where(self.dom, uu, vv), np.where(self.dom, vv, uu)


def _simulate_blocks(problem, alpha, eps, H, method, t_eval, t_max, rtol, atol):
    gd = method == "gd"
    lanes = _Lanes(problem, alpha, eps, H, gd)
    P, N = lanes.P, lanes.N
    B = P * N
    n = 2 * lanes.m + 1
    # psi ~ c log x once x << c: an absolute tolerance rtol * c on psi is a
    # relative one on s and v; u keeps the caller's atol
    atol_vec = np.empty((P * N, n))
    atol_vec[:, 0] = rtol * lanes.c_s
    atol_vec[:, 1:lanes.m + 1] = rtol * lanes.c_v
    atol_vec[:, lanes.m + 1:] = atol
    # one pass: with the default grid, whose end depends on the convergence time, the
    # interpolants of all steps are kept and evaluated once that time is known
    res = integrate_lanes(lanes, lanes.z0(), None if t_eval is None else np.tile(t_eval, (B, 1)),
                          rtol=rtol, atol=atol_vec, events=not gd, t_max=1e12)
    nfev = res.nfev
    t_conv = res.t_stop.reshape(P, N).max(axis=1)
    if t_eval is None:
        grids = [_default_grid(t_max if t_max is not None else 1.1 * t_conv[p])
                 for p in range(P)]
    else:
        grids = [t_eval] * P
    V, U = res.at(np.repeat(np.array(grids), N, axis=0))  # (B, K, m)
    wp, wm = lanes.to_weights(problem, np.moveaxis(U, 1, 0), np.moveaxis(V, 1, 0))  # (K, P, D)
    V, U = res.at_stop()
    wp_inf, wm_inf = lanes.to_weights(problem, U, V)  # (P, D)
    if gd:
        T0 = np.full(P, np.nan)
        T = np.full(P, np.nan)
    else:
        te = res.t_event.reshape(P, N, 2)
        T0 = np.where(np.isnan(te[..., 0]).any(axis=1), np.nan, te[..., 0].max(axis=1))
        T = np.nanmin(np.where(np.isnan(te[..., 1]), np.inf, te[..., 1]), axis=1)
        T = np.where(np.isfinite(T), T, np.nan)
    out = []
    for p in range(P):
        out.append(
            _assemble(
                problem, grids[p], wp[:, p], wm[:, p], wp_inf[p], wm_inf[p], alpha=alpha[p],
                eps=eps[p], depth=H, method=method, T0=T0[p], T=T[p], t_conv=t_conv[p],
                message="converged", nfev=nfev,
            )
        )
    return out


# ----------------------------------------------------------------------------
# eps = 0: sign flow in closed form


def _sign_stop_time(alpha, H, target):
    """The ``t >= 0`` at which ``(alpha + t)^H - max(alpha - t, 0)^H = target >= 0``.

    While ``t <= alpha`` the difference is written ``2 sum_{k odd} C(H, k) alpha^(H-k) t^k``, a sum
    of positive terms, so the root keeps full relative precision for any small ``target``.
    """
    if target <= 0:
        return 0.0
    if (2 * alpha) ** H <= target:  # the stop comes after alpha - t has reached 0
        return target ** (1.0 / H) - alpha
    if H == 2:
        return target / (4 * alpha)
    coef = [(k, 2 * comb(H, k) * alpha ** (H - k)) for k in range(1, H + 1, 2)]
    return brentq(lambda t: sum(c * t ** k for k, c in coef) - target, 0.0, alpha,
                  xtol=1e-300, rtol=4 * np.finfo(float).eps)


def sign_flow_hitting_times(problem, alpha, depth=2):
    """Times ``t*_n`` at which the sign flow's residual of block ``n`` vanishes.

    ``t*`` solves ``|y_n| = sum_k |x_k| ((alpha + t)^H - max(alpha - t, 0)^H)``;
    for ``H = 2`` it is ``|y|/(4 alpha A)`` when that is ``<= alpha`` and
    ``sqrt(|y|/A) - alpha`` otherwise, ``A = sum_k |x_k|``.

    Returns
    -------
    ndarray, shape (N,)
    """
    H = _check_depth(depth)
    alpha = _check_positive("alpha", alpha)
    if problem.blocks is None:
        raise ValueError(
            "`eps` = 0 (sign flow) is solved in closed form only under Assumption 3.2; "
            "use eps > 0 for data without the block structure."
        )
    out = np.empty(problem.N)
    for n, b in enumerate(problem.blocks):
        out[n] = _sign_stop_time(alpha, H, abs(problem.y[n]) / np.abs(problem.X[n, b]).sum())
    return out


def _simulate_sign(problem, alpha, H, t_eval, t_max):
    tstar = sign_flow_hitting_times(problem, alpha, H)
    col_t = np.empty(problem.D)
    for n, b in enumerate(problem.blocks):
        col_t[b] = tstar[n]
    t_end_conv = tstar.max()
    if t_eval is None:
        t_eval = _default_grid(t_max if t_max is not None else 1.1 * t_end_conv)
    tt = np.minimum(t_eval[:, None], col_t[None, :])
    U = alpha + tt
    V = np.maximum(alpha - tt, 0.0)
    dom = problem.xy_sign > 0
    wp, wm = np.where(dom, U, V), np.where(dom, V, U)
    Ui = alpha + col_t
    Vi = np.maximum(alpha - col_t, 0.0)
    wp_inf, wm_inf = np.where(dom, Ui, Vi), np.where(dom, Vi, Ui)
    T0 = np.max(np.minimum(alpha, tstar))
    T = np.min(tstar)
    return _assemble(problem, t_eval, wp, wm, wp_inf, wm_inf, alpha=alpha, eps=0.0, depth=H,
                     method="sign", T0=T0, T=T, t_conv=t_end_conv,
                     message="closed form (sign flow)", nfev=0)


# ----------------------------------------------------------------------------
# general X: the full 2D system with Radau


def _full_system(problem, H, eps, gd):
    X, y = problem.X, problem.y
    D = problem.D
    G = X.T @ X

    def grads(w):
        wp, wm = w[:D], w[D:]
        r = y - X @ (wp**H - wm**H)
        q = X.T @ r
        return wp, wm, q, -(H / 2) * wp ** (H - 1) * q, (H / 2) * wm ** (H - 1) * q

    def fun(t, w):
        _, _, _, gp, gm = grads(w)
        g = np.concatenate([gp, gm])
        return -g if gd else -g / (np.abs(g) + eps)

    def jac(t, w):
        wp, wm, q, gp, gm = grads(w)
        dq_dp = -G * (H * wp ** (H - 1))[None, :]
        dq_dm = G * (H * wm ** (H - 1))[None, :]
        cp = (H / 2) * wp ** (H - 1)
        cm = (H / 2) * wm ** (H - 1)
        J = np.empty((2 * D, 2 * D))
        J[:D, :D] = -cp[:, None] * dq_dp
        J[:D, D:] = -cp[:, None] * dq_dm
        J[D:, :D] = cm[:, None] * dq_dp
        J[D:, D:] = cm[:, None] * dq_dm
        J[np.arange(D), np.arange(D)] -= (H / 2) * (H - 1) * wp ** (H - 2) * q
        J[D + np.arange(D), D + np.arange(D)] += (H / 2) * (H - 1) * wm ** (H - 2) * q
        if gd:
            return -J
        g = np.concatenate([gp, gm])
        return (-eps / (np.abs(g) + eps) ** 2)[:, None] * J

    return fun, jac, grads


def _simulate_general(problem, alpha, eps, H, method, t_eval, t_max, rtol, atol):
    gd = method == "gd"
    fun, jac, grads = _full_system(problem, H, eps, gd)
    D = problem.D
    dom = problem.xy_sign > 0
    ynorm = np.linalg.norm(problem.y)

    def ev_T0(t, w):
        _, _, _, gp, gm = grads(w)
        return np.max(np.abs(np.where(dom, gm, gp))) - eps

    def ev_T(t, w):
        _, _, _, gp, gm = grads(w)
        return np.min(np.abs(np.where(dom, gp, gm))) - eps

    def ev_stop(t, w):
        return np.linalg.norm(problem.y - problem.X @ (w[:D] ** H - w[D:] ** H)) - _STOP_REL * ynorm

    ev_stop.terminal = True
    ev_T0.direction = ev_T.direction = ev_stop.direction = -1
    events = [ev_stop] if gd else [ev_stop, ev_T0, ev_T]
    w0 = np.full(2 * D, alpha)
    kw = dict(method="Radau", jac=jac, rtol=rtol, atol=atol, events=events)
    t_horizon = 1e12
    sol = solve_ivp(fun, (0.0, t_horizon), w0, dense_output=t_eval is None, **kw)
    if sol.status == -1:
        raise RuntimeError(f"the Radau solver failed: {sol.message}")
    if sol.status == 0:
        raise RuntimeError(
            f"the flow had not converged by t = {t_horizon:g}; check the data or pass a "
            "larger `alpha`."
        )
    nfev = sol.nfev
    t_conv = sol.t[-1]
    w_inf = sol.y[:, -1]
    if gd:
        T0 = T = np.nan
    else:
        T0 = 0.0 if ev_T0(0, w0) <= 0 else (sol.t_events[1][0] if sol.t_events[1].size else np.nan)
        T = 0.0 if ev_T(0, w0) <= 0 else (sol.t_events[2][0] if sol.t_events[2].size else np.nan)
    if t_eval is None:
        t_eval = _default_grid(t_max if t_max is not None else 1.1 * t_conv)
        inside = t_eval <= t_conv
        W = np.empty((t_eval.size, 2 * D))
        W[inside] = sol.sol(t_eval[inside]).T
        W[~inside] = w_inf
    else:
        # t = 0 is the initial point; the times in (0, t_conv] are integrated to (a span
        # (0, 0) would take no step and return no points); later ones hold the limit
        inside = (t_eval > 0) & (t_eval <= t_conv)
        W = np.empty((t_eval.size, 2 * D))
        W[t_eval == 0] = w0
        if inside.any():
            sol2 = solve_ivp(fun, (0.0, t_eval[inside][-1]), w0, t_eval=t_eval[inside],
                             method="Radau", jac=jac, rtol=rtol, atol=atol)
            if sol2.status != 0:
                raise RuntimeError(f"the Radau solver failed: {sol2.message}")
            nfev += sol2.nfev
            W[inside] = sol2.y.T
        W[t_eval > t_conv] = w_inf
    return _assemble(problem, t_eval, W[:, :D], W[:, D:], w_inf[:D], w_inf[D:], alpha=alpha,
                     eps=eps, depth=H, method=method, T0=T0, T=T, t_conv=t_conv,
                     message="converged", nfev=nfev)


# ----------------------------------------------------------------------------
# public drivers


def simulate(problem, alpha, eps, *, depth=2, method="ssd", t_eval=None, t_max=None,
             rtol=1e-10, atol=1e-12):
    """Solve the SSD flow, eq. (16), or the gradient flow, eqs. (9)-(10).

    Parameters
    ----------
    problem : Problem
        Data ``X`` (N, D), ``y`` (N,). Any ``X`` works; under Assumption 3.2 the
        blocks are detected and integrated as a batch of small systems.
    alpha : float
        Initialisation scale, ``w(0) = alpha * 1``, ``> 0``.
    eps : float
        Stability constant, ``>= 0``; ``eps = 0`` is sign flow, solved in
        closed form (needs Assumption 3.2). Ignored by ``method="gd"``.
    depth : int, keyword-only
        ``H >= 2`` in ``beta = w+^H - w-^H`` (Section 3.3, last paragraph).
    method : {"ssd", "gd"}, keyword-only
    t_eval : array_like, shape (T,), optional
        Strictly increasing output times ``>= 0``, hit exactly. Default: 401
        points on ``[0, t_max]`` or, without ``t_max``, on ``[0, 1.1 t_c]`` with
        ``t_c`` the convergence time.
    t_max : float, optional
        End of the default output grid.
    rtol, atol : float
        Tolerances of the integrator.

    Returns
    -------
    Trajectory

    Raises
    ------
    ValueError
        On invalid arguments.
    RuntimeError
        When the integrator fails; no partial result is returned.
    """
    alpha, eps, depth, t_eval, t_max, rtol, atol = _validate(
        problem, alpha, eps, depth, method, t_eval, t_max, rtol, atol
    )
    if alpha.ndim or eps.ndim:
        raise ValueError("`alpha` and `eps` must be scalars; use `simulate_batch` for sweeps.")
    if method == "ssd" and eps == 0:
        return _simulate_sign(problem, float(alpha), depth, t_eval, t_max)
    if problem.blocks is None:
        return _simulate_general(problem, float(alpha), float(eps), depth, method, t_eval,
                                 t_max, rtol, atol)
    return _simulate_blocks(problem, alpha.reshape(1), eps.reshape(1), depth, method, t_eval,
                            t_max, rtol, atol)[0]


def simulate_batch(problem, alpha, eps, *, depth=2, method="ssd", t_eval=None, t_max=None,
                   rtol=1e-10, atol=1e-12):
    """:func:`simulate` for many ``(alpha, eps)`` pairs in one vectorised run.

    ``alpha`` and ``eps`` are broadcast against each other to shape (P,);
    every pair and every block is an independent lane with its own step size.

    Returns
    -------
    list of Trajectory, length P
    """
    alpha, eps, depth, t_eval, t_max, rtol, atol = _validate(
        problem, alpha, eps, depth, method, t_eval, t_max, rtol, atol
    )
    alpha, eps = np.broadcast_arrays(np.atleast_1d(alpha), np.atleast_1d(eps))
    if alpha.ndim != 1:
        raise ValueError("`alpha` and `eps` must broadcast to a 1-dimensional array.")
    alpha, eps = alpha.astype(float).copy(), eps.astype(float).copy()
    sign = (eps == 0) & (method == "ssd")
    if problem.blocks is None or sign.any():
        return [simulate(problem, a, e, depth=depth, method=method, t_eval=t_eval, t_max=t_max,
                         rtol=rtol, atol=atol) for a, e in zip(alpha, eps, strict=True)]
    return _simulate_blocks(problem, alpha, eps, depth, method, t_eval, t_max, rtol, atol)


def sign_descent(problem, alpha, eps, eta, steps, *, depth=2, record_every=1):
    """The discrete smoothed sign descent of eq. (15).

    ``w <- w - eta * g / (|g| + eps)`` with ``g = grad_w L(w)``, ``w(0) = alpha``;
    ``eps = 0`` is plain sign descent (``sign(0) = 0``).

    Parameters
    ----------
    problem : Problem
    alpha : float
        ``> 0``.
    eps : float
        ``>= 0``.
    eta : float
        Step size, ``> 0``.
    steps : int
        Number of iterations, ``>= 1``.
    depth : int, keyword-only
    record_every : int, keyword-only
        Keep every ``record_every``-th iterate (the last one is always kept).

    Returns
    -------
    Trajectory
        With ``t = k * eta`` so that it can be laid over the flow; the
        ``*_inf`` fields hold the last iterate and ``T0``, ``T`` the first
        recorded times at which the stage conditions hold.
    """
    alpha, eps, depth, _, _, _, _ = _validate(problem, alpha, eps, depth, "ssd", None, None,
                                              1e-10, 1e-12)
    alpha, eps = float(alpha), float(eps)
    eta = _check_positive("eta", eta)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"`steps` must be an integer >= 1; got {steps!r}.")
    if isinstance(record_every, bool) or not isinstance(record_every, (int, np.integer)) \
            or record_every < 1:
        raise ValueError(f"`record_every` must be an integer >= 1; got {record_every!r}.")
    H = depth
    X, y = problem.X, problem.y
    D = problem.D
    wp = np.full(D, alpha)
    wm = np.full(D, alpha)
    keep = list(range(0, steps + 1, record_every))
    if keep[-1] != steps:
        keep.append(steps)
    WP = np.empty((len(keep), D))
    WM = np.empty((len(keep), D))
    j = 0
    for k in range(steps + 1):
        if k == keep[j]:
            WP[j], WM[j] = wp, wm
            j += 1
            if j == len(keep):
                break
        q = X.T @ (y - X @ (wp**H - wm**H))
        gp = -(H / 2) * wp ** (H - 1) * q
        gm = (H / 2) * wm ** (H - 1) * q
        if eps == 0:
            wp = wp - eta * np.sign(gp)
            wm = wm - eta * np.sign(gm)
        else:
            wp = wp - eta * gp / (np.abs(gp) + eps)
            wm = wm - eta * gm / (np.abs(gm) + eps)
    t = eta * np.asarray(keep, dtype=float)
    traj = _assemble(problem, t, WP, WM, WP[-1], WM[-1], alpha=alpha, eps=eps, depth=H,
                     method="discrete", T0=np.nan, T=np.nan, t_conv=t[-1],
                     message=f"{steps} steps", nfev=steps)
    hv = np.max(np.abs(traj.grad_v), axis=1)
    fu = np.min(np.abs(traj.grad_u), axis=1)
    T0 = t[np.argmax(hv <= eps)] if np.any(hv <= eps) else np.nan
    T = t[np.argmax(fu <= eps)] if np.any(fu <= eps) else np.nan
    object.__setattr__(traj, "T0", float(T0))
    object.__setattr__(traj, "T", float(T))
    return traj
