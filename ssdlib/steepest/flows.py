r"""The steepest flows and the exact sign flow.

Conservation law (untied, eps = 0)
----------------------------------
For layers ``i, j`` of the same branch, ``w_i g_i = +-rho prod_k w_k =: a``
is the same for every layer. With ``d|w|^q/dt = q |w|^(q-1) sign(w) dw/dt``
and ``|w|^(q-1)|g|^(q-1) sign(w g) = phi(w g)`` (eps = 0),

.. math::  \frac{d}{dt}|w_i|^q = -q\,\varphi(a) - q\,\lambda(t)\,|w_i|^q
           \quad\text{(decoupled decay)},

so the first term cancels in the difference and

.. math::  |w_i(t)|^q - |w_j(t)|^q
           = \bigl(|w_i(0)|^q - |w_j(0)|^q\bigr)\,
             \exp\Bigl(-q\int_0^t \lambda(s)\,ds\Bigr).

Without decay the balance is conserved. It fails for ``eps > 0`` (``phi``
then depends on ``|g_i|``, not only on ``w_i g_i``) and for coupled decay with
``q < 2`` (``d|w_i|^q/dt = -q phi(a + lambda w_i^2)``); for ``q = 2`` the two
decays coincide.

Sign flow in closed form (q = 1, eps = 0)
-----------------------------------------
The field ``-sign(g)`` is discontinuous and is not integrated. Take a balanced
start ``w = alpha`` and data whose columns are each non-zero in at most one
row (Assumption 3.2). Row ``n`` with columns ``S_n``, entries ``a_i`` and label
``y_n`` is then independent of the others; ``sign(rho_i) = sign(a_i r_n)`` with
``r_n = -y_n`` at ``t = 0`` and ``|r_n|`` decreasing, so the dominating weight
of coordinate ``i`` (Prop. 3.4) grows at unit speed and the other one shrinks
at unit speed to 0, where it stays (the field vanishes there for ``H >= 2``,
and this is the ``eps -> 0+`` limit of SSD). With ``U = alpha + t`` and
``V = max(alpha - t, 0)``,

.. math::  x_i(t) = \operatorname{sgn}(a_i y_n)\,(U^H - V^H), \qquad
           r_n(t) = \operatorname{sgn}(y_n)\,\|a\|_1\,(U^H - V^H) - y_n,

piecewise polynomial, until ``t_n^*`` where ``||a||_1 (U^H - V^H) = |y_n|``;
after it everything stops (Filippov sliding on ``r_n = 0`` has zero velocity).
The loss first falls to ``c`` times its initial value (one row) when
``||a||_1 (U^H - V^H) = (1 - sqrt c)|y|``; as ``alpha -> 0``,
``t -> ((1 - sqrt c)|y| / ||a||_1)^(1/H)``, independent of ``alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from ..flow import _sign_stop_time
from ..problem import _check_depth
from ._model import (
    _as_data,
    _Branches,
    _check_alpha,
    _check_eps,
    _check_q,
    _check_real,
    _check_time_points,
    _check_weight_decay,
    _dphi,
    _hessian,
    _initial_weights,
    _loss_grad,
    _phi,
    _second,
)

__all__ = [
    "SteepestTrajectory",
    "balance",
    "balance_deviation",
    "explore_flow",
    "sign_flow_closed_form",
    "steepest_flow",
]


@dataclass(frozen=True, eq=False)
class SteepestTrajectory(_Branches):
    """Result of :func:`steepest_flow`.

    Attributes
    ----------
    t : ndarray, shape (T,)
        Output times.
    w : ndarray, shape (T, 2, H, D)
        Weights ``w[:, p, l, i]``: branch ``p`` (0 plus, 1 minus), layer ``l``.
        Tied models repeat ``u``/``v`` over the ``H`` layers.
    beta : ndarray, shape (T, D)
        Regression vector ``x = prod_l w_l^+ - prod_l w_l^-``.
    loss : ndarray, shape (T,)
        ``1/4 |X beta - y|^2`` (eq. 8).
    success : bool
        Always True (a failure raises).
    message : str
        Solver message, or the closed form used.
    nfev, njev : int
        Right-hand side and Jacobian evaluations (0 for the closed form).
    q, depth, eps, tied, decoupled : parameters of the flow.
    closed_form : bool
        True for the exact sign flow (``q = 1``, ``eps = 0``).
    """

    t: np.ndarray
    w: np.ndarray
    beta: np.ndarray
    loss: np.ndarray
    success: bool
    message: str
    nfev: int
    njev: int
    q: float
    depth: int
    eps: float
    tied: bool
    decoupled: bool
    closed_form: bool


    @property
    def x(self):
        """Alias of :attr:`beta`."""
        return self.beta



# sign flow in closed form


def _row_blocks(X):
    """Column sets of the rows if every column is non-zero in at most one row, else None."""
    nz = X != 0
    if np.any(nz.sum(axis=0) > 1):
        return None
    return [np.flatnonzero(nz[n]) for n in range(X.shape[0])]


def _gap(t, alpha, depth):
    """``U^H - V^H`` with ``U = alpha + t``, ``V = max(alpha - t, 0)``."""
    return (alpha + t) ** depth - np.maximum(alpha - t, 0.0) ** depth


def _sign_flow_setup(X, y, alpha, depth):
    blocks = _row_blocks(X)
    if blocks is None:
        return None
    D = X.shape[1]
    direction = np.zeros(D)
    t_stop = np.zeros(D)
    rows = []
    for n, cols in enumerate(blocks):
        if cols.size == 0 or y[n] == 0:
            continue
        a1 = np.abs(X[n, cols]).sum()
        ts = _sign_stop_time(alpha, depth, abs(y[n]) / a1)
        direction[cols] = np.sign(X[n, cols]) * np.sign(y[n])  # no underflow of the product
        t_stop[cols] = ts
        rows.append((n, a1, ts))
    return direction, t_stop, rows


def sign_flow_closed_form(problem, alpha, t, *, depth=2):
    r"""Exact sign flow (``q = 1``, ``eps = 0``) from the balanced start ``w = alpha``.

    Valid for data whose columns are each non-zero in at most one row
    (Assumption 3.2, zero columns and zero labels allowed); see the module
    docstring for the derivation. Tied and untied models coincide.

    Parameters
    ----------
    problem : object with ``.X`` (N, D) and ``.y`` (N,), or a pair ``(X, y)``
    alpha : float
        Initialisation scale, ``> 0``.
    t : array_like, shape (T,)
        Times ``>= 0``.
    depth : int
        ``H >= 2``.

    Returns
    -------
    w : ndarray, shape (T, 2, D)
        ``(w+, w-)`` at the times ``t``.
    beta : ndarray, shape (T, D)
    t_stop : ndarray, shape (D,)
        Time at which the residual of the coordinate's row reaches 0.

    Raises
    ------
    ValueError
        If a column of ``X`` is non-zero in more than one row.
    """
    X, y = _as_data(problem)
    alpha = _check_alpha(alpha)
    depth = _check_depth(depth)
    t = _check_time_points(t)
    setup = _sign_flow_setup(X, y, alpha, depth)
    if setup is None:
        raise ValueError(
            "`problem` violates Assumption 3.2 (a column of `X` is non-zero in several rows): "
            "sign flow has no closed form here; pass `eps` > 0 or `q` > 1 to steepest_flow."
        )
    direction, t_stop, _ = setup
    tau = np.minimum(t[:, None], t_stop[None, :])
    U = alpha + tau
    V = np.maximum(alpha - tau, 0.0)
    wp = np.where(direction > 0, U, np.where(direction < 0, V, alpha))
    wm = np.where(direction < 0, U, np.where(direction > 0, V, alpha))
    w = np.stack([wp, wm], axis=1)
    beta = wp**depth - wm**depth
    return w, beta, t_stop





def _validate_flow(problem, alpha, q, depth, eps, weight_decay, tied, init):
    X, y = _as_data(problem)
    alpha = _check_alpha(alpha)
    q = _check_q(q)
    depth = _check_depth(depth)
    eps = _check_eps(eps)
    lam, no_decay = _check_weight_decay(weight_decay)
    W0 = _initial_weights(init, alpha, depth, X.shape[1], bool(tied))
    return X, y, alpha, q, depth, eps, lam, no_decay, W0


def _closed_form_allowed(X, init, no_decay):
    return isinstance(init, str) and init == "balanced" and no_decay and _row_blocks(X) is not None


_SIGN_FLOW_MSG = (
    "`q` = 1 with `eps` = 0 is sign flow, whose field is discontinuous; it is solved in closed "
    "form only for init='balanced', weight_decay=0 and data whose columns are each non-zero in "
    "at most one row (Assumption 3.2). Pass `eps` > 0 (smoothed sign descent) or `q` > 1."
)


_DELTA_J = 1e-10
_DELTA_R = 1e-8
_DELTA_C = 1e-8


def _freg(z, q, d):
    """``z (|z| + d)^(q-2)`` and its derivative (the Hoelder power regularised at 0)."""
    s = np.abs(z) + d
    return z * s ** (q - 2.0), s ** (q - 3.0) * ((q - 1.0) * np.abs(z) + d)


def _make_field(X, y, q, eps, depth, tied, lam, decoupled, W0):
    """Right-hand side and analytic Jacobian of the steepest flow.

    The field is ``-g (|g| + eps)^(q-2)`` (minus ``lambda w`` if decoupled). For ``eps = 0``
    and ``q < 2`` the exact field ``-sign(g)|g|^(q-1) = -sign(J)|J|^(q-1) sign(rho)|rho|^(q-1)``
    (``g = J rho``, ``J = dx/dw``) is only Hoelder where a residual or a layer product vanishes
    (converged coordinates; a non-dominating weight reaching 0 in finite time) and every solver
    stalls there. It is then integrated as ``-J (|J| + dJ)^(q-2) rho (|rho| + dr)^(q-2)`` with
    ``dJ = 1e-10 max|J(0)|`` and ``dr = 1e-8 max|rho(0)|``: the exact field wherever
    ``|J| >> dJ`` and ``|rho| >> dr`` (relative to the start, so the saddle phase is unaffected),
    linear below. Coupled weight decay uses ``-phi(J rho + lambda w)`` with ``e = dJ dr``.
    """
    shape = W0.shape
    K, D = shape[1], shape[2]
    n = 2 * K * D
    A = 0.5 * (X.T @ X)
    idx = np.tile(np.arange(D), 2 * K)
    reg = eps == 0.0 and q < 2.0
    if reg:
        _, _, _, rho0, J0 = _loss_grad(W0, X, y, depth, tied)
        d_J = _DELTA_J * max(float(np.max(np.abs(J0))), 1e-300)
        d_r = _DELTA_R * max(float(np.max(np.abs(rho0))), 1e-300)
    factorised = reg and decoupled
    e_const = eps
    if reg and not decoupled:
        G0 = _loss_grad(W0, X, y, depth, tied)[2] + lam(0.0) * W0
        e_const = _DELTA_C * max(float(np.max(np.abs(G0))), 1e-300)

    def rhs(t, w):
        W = w.reshape(shape)
        _, _, G, rho, J = _loss_grad(W, X, y, depth, tied)
        lt = lam(t)
        if factorised:
            out = -_freg(J, q, d_J)[0] * _freg(rho, q, d_r)[0] - lt * W
        elif decoupled:
            out = -_phi(G, q, e_const) - lt * W
        else:
            out = -_phi(G + lt * W, q, e_const)
        return out.reshape(-1)

    def jac(t, w):
        W = w.reshape(shape)
        _, _, G, rho, J = _loss_grad(W, X, y, depth, tied)
        lt = lam(t)
        if factorised:
            fJ, dfJ = _freg(J, q, d_J)
            fr, dfr = _freg(rho, q, d_r)
            # d rho_i / d W[p,m,j] = A[i, j] J[p,m,j]: dense part
            row = (fJ.reshape(-1) * dfr[idx])[:, None]
            out = -row * A[np.ix_(idx, idx)] * J.reshape(-1)[None, :]
            # d J[p,k,i] / d W[p,m,i] = S[p,k,m,i]: block part
            S = _second(W, depth, tied)
            c = dfJ * fr
            ar = np.arange(D)
            for p in range(2):
                for k in range(K):
                    for m in range(K):
                        out[p * K * D + k * D + ar, p * K * D + m * D + ar] -= c[p, k] * S[p, k, m]
        else:
            H = _hessian(W, X, depth, tied, rho, J)
            if not decoupled:
                H[np.diag_indices(n)] += lt
            dg, _ = _dphi(G if decoupled else G + lt * W, q, e_const)
            out = -dg.reshape(-1)[:, None] * H
        if decoupled:
            out[np.diag_indices(n)] -= lt
        return out

    return rhs, jac


def _integrate(rhs, jac, w0, t_span, t_eval, method, rtol, atol, events=None):
    kwargs = {"jac": jac} if method in ("Radau", "BDF", "LSODA") else {}
    repeat = None
    if t_eval is not None and events is None:  # solve_ivp wants distinct times
        t_eval, repeat = np.unique(t_eval, return_inverse=True)
    sol = solve_ivp(rhs, t_span, w0, method=method, t_eval=t_eval, rtol=rtol, atol=atol,
                    events=events, **kwargs)
    if sol.status < 0:
        raise RuntimeError(f"solve_ivp ({method}) failed: {sol.message}")
    if not np.all(np.isfinite(sol.y)):
        raise RuntimeError(f"solve_ivp ({method}) failed: the solution became non-finite "
                           f"(solver message: {sol.message})")
    if repeat is not None:
        sol.t, sol.y = sol.t[repeat], sol.y[:, repeat]
    return sol


def _check_times(t_eval, t_max):
    if t_max is not None:
        t_max = _check_real("t_max", t_max)
        if t_max <= 0:
            raise ValueError(f"`t_max` must be > 0; got {t_max}.")
    if t_eval is None:
        t_max = 10.0 if t_max is None else t_max
        return np.linspace(0.0, t_max, 501), t_max
    t_eval = np.asarray(t_eval, dtype=float)
    if t_eval.ndim != 1 or t_eval.size < 1:
        raise ValueError("`t_eval` must be 1-dimensional and non-empty.")
    if np.any(~np.isfinite(t_eval)) or np.any(t_eval < 0) or np.any(np.diff(t_eval) < 0):
        raise ValueError("`t_eval` must be finite, >= 0 and non-decreasing.")
    if t_max is None:
        t_max = max(float(t_eval[-1]), 1e-300)
    elif t_eval[-1] > t_max:
        raise ValueError(f"`t_eval` must end at or before `t_max` = {t_max}.")
    return t_eval, t_max


def steepest_flow(problem, alpha, q, *, depth=2, eps=0.0, weight_decay=0.0, decoupled=True,
                  tied=True, init="balanced", t_eval=None, t_max=None, method="LSODA",
                  rtol=1e-10, atol=1e-12):
    r"""Integrate the steepest flow ``dw/dt = -g (|g| + eps)^(q-2)`` on a deep diagonal model.

    ``q = 2``: gradient flow (eqs. 9-10); ``q = 1, eps > 0``: the SSD flow
    eq. (16); ``q = 1, eps = 0``: sign flow, returned in closed form.

    Parameters
    ----------
    problem : object with ``.X`` (N, D) and ``.y`` (N,), or a pair ``(X, y)``
        Loss ``1/4 |X beta - y|^2`` (eq. 8).
    alpha : float
        Initialisation scale ``> 0``.
    q : float
        Exponent in [1, 2].
    depth : int, default 2
        ``H >= 2``.
    eps : float, default 0
        Smoothing ``>= 0``.
    weight_decay : float or callable, default 0
        Rate ``lambda >= 0`` or a function ``lambda(t)``.
    decoupled : bool, default True
        Decoupled (``dw/dt -= lambda w``, AdamW-style) or coupled (``g += lambda w``).
    tied : bool, default True
        ``beta = u^H - v^H`` (the paper's model) or independent layers.
    init : {'balanced', 'saddle'} or array_like
        ``'balanced'``: all weights ``alpha``; ``'saddle'`` (untied only):
        ``w_1 = 0``, ``w_l = alpha`` for ``l > 1``; an array broadcastable to
        ``(2, K, D)`` (``K = 1`` tied, ``H`` untied) is multiplied by ``alpha``.
    t_eval : array_like, shape (T,), optional
        Output times; default 501 points on ``[0, t_max]``.
    t_max : float, optional
        End time; default ``t_eval[-1]`` or 10.
    method : str, default 'LSODA'
        ``scipy.integrate.solve_ivp`` method; 'LSODA', 'Radau' and 'BDF'
        get the analytic Jacobian (LSODA was 3-10 times cheaper than Radau on
        these flows at equal tolerance).
    rtol, atol : float
        Solver tolerances.

    Returns
    -------
    SteepestTrajectory

    Raises
    ------
    ValueError
        Invalid arguments, or sign flow outside the closed-form case.
    RuntimeError
        If the solver fails or the solution becomes non-finite.

    Notes
    -----
    For ``eps = 0`` and ``1 < q < 2`` the Hoelder field is regularised below
    ``1e-10`` of the initial layer products and ``1e-8`` of the initial
    ``|grad_beta f|`` (module docstring, "Numerics"); untied models with even
    ``H`` may split their non-dominating layers (module docstring, "Untied
    caveat").
    """
    X, y, alpha, q, depth, eps, lam, no_decay, W0 = _validate_flow(
        problem, alpha, q, depth, eps, weight_decay, tied, init)
    tied = bool(tied)
    decoupled = bool(decoupled)
    t_eval, t_max = _check_times(t_eval, t_max)
    D = X.shape[1]
    if q == 1.0 and eps == 0.0:
        if not _closed_form_allowed(X, init, no_decay):
            raise ValueError(_SIGN_FLOW_MSG)
        w2, beta, _ = sign_flow_closed_form((X, y), alpha, t_eval, depth=depth)
        w = np.repeat(w2[:, :, None, :], depth, axis=2)
        r = beta @ X.T - y
        return SteepestTrajectory(t_eval, w, beta, 0.25 * np.sum(r**2, axis=1), True,
                                  "closed-form sign flow (q = 1, eps = 0)", 0, 0, q, depth, eps,
                                  tied, decoupled, True)
    rhs, jac = _make_field(X, y, q, eps, depth, tied, lam, decoupled, W0)
    sol = _integrate(rhs, jac, W0.reshape(-1), (0.0, t_max), t_eval, method, rtol, atol)
    t_out, W_out, message = sol.t, sol.y.T, sol.message
    Ws = W_out.reshape((-1,) + W0.shape)
    if tied:
        Ws = np.repeat(Ws, depth, axis=2)
        beta = Ws[:, 0, 0] ** depth - Ws[:, 1, 0] ** depth
    else:
        beta = np.prod(Ws[:, 0], axis=1) - np.prod(Ws[:, 1], axis=1)
    r = beta @ X.T - y
    assert beta.shape == (len(t_out), D)
    return SteepestTrajectory(t_out, Ws, beta, 0.25 * np.sum(r**2, axis=1), True, message,
                              int(sol.nfev), int(sol.njev), q, depth, eps, tied, decoupled, False)


def balance(traj, i=0, j=1, *, branch=0):
    r"""``|w_i|^q - |w_j|^q`` between layers ``i`` and ``j`` of one branch, shape (T, D).

    Conserved by the untied steepest flow with ``eps = 0``; multiplied by
    ``exp(-q int lambda)`` under decoupled weight decay (module docstring).
    """
    q = traj.q
    return np.abs(traj.w[:, branch, i]) ** q - np.abs(traj.w[:, branch, j]) ** q



def balance_deviation(traj, factor=None, *, i=0, j=1, branch=0):
    r"""Largest deviation of the balance from the law of the proposition "Balance equations".

    The balance ``b(t) = |w_i(t)|^q - |w_j(t)|^q`` (:func:`balance`) should equal
    ``b(0) factor(t)``, with ``factor = exp(-q int_0^t lambda)`` under decoupled decay and
    ``factor = 1`` without decay. Returned is
    ``max_{t, k} |b_k(t) - b_k(0) factor(t)| / max_k |b_k(0)|``.

    Parameters
    ----------
    traj : SteepestTrajectory
        An untied flow from an unbalanced start.
    factor : array_like, shape (T,), optional
        The predicted factor at ``traj.t`` (default: 1, conservation).
    i, j : int
        Layers.
    branch : {0, 1}

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``factor`` has the wrong shape or the start is balanced (``b(0) = 0``).
    """
    b = balance(traj, i, j, branch=branch)
    f = np.ones_like(traj.t) if factor is None else np.asarray(factor, dtype=float)
    if f.shape != traj.t.shape:
        raise ValueError(f"`factor` must have the shape of `traj.t`, {traj.t.shape}; "
                         f"got {f.shape}.")
    scale = np.abs(b[0]).max()
    if scale == 0:
        raise ValueError("the start is balanced (b(0) = 0 between these layers): pass an "
                         "unbalanced `init` to steepest_flow.")
    return float(np.abs(b - b[0] * f[:, None]).max() / scale)


def explore_flow(problem, alpha, q, *, depth=2, eps=0.0, t_eval=None, rtol=1e-10, atol=1e-12):
    r"""One steepest flow on a logarithmic time grid, with the exact sign flow as reference.

    Runs :func:`steepest_flow` (tied model, balanced start ``alpha``) with LSODA, or BDF if
    LSODA fails (it can on the regularised Hoelder field of ``eps = 0``, ``1 < q < 2``), and
    the closed-form sign flow (:func:`sign_flow_closed_form`) on the same times when the data
    satisfy Assumption 3.2. This is what the chapter's widget draws.

    Parameters
    ----------
    problem : object with ``.X`` (N, D) and ``.y`` (N,), or a pair ``(X, y)``
    alpha, q, depth, eps :
        As in :func:`steepest_flow`.
    t_eval : array_like, optional
        Default ``[0] + geomspace(1e-3, 1e5, 240)``.
    rtol, atol : float
        Solver tolerances.

    Returns
    -------
    traj : SteepestTrajectory
    sign_loss : ndarray, shape (T,), or None
        Loss (eq. 8) of the exact sign flow at ``traj.t``; None without a closed form.
    """
    X, y = _as_data(problem)
    if t_eval is None:
        t_eval = np.r_[0.0, np.geomspace(1e-3, 1e5, 240)]
    kw = {"depth": depth, "eps": eps, "t_eval": t_eval, "rtol": rtol, "atol": atol}
    try:
        traj = steepest_flow((X, y), alpha, q, **kw)
    except RuntimeError:
        traj = steepest_flow((X, y), alpha, q, method="BDF", **kw)
    try:
        _, beta_sf, _ = sign_flow_closed_form((X, y), alpha, traj.t, depth=depth)
    except ValueError:
        return traj, None
    r = beta_sf @ X.T - y
    return traj, 0.25 * np.sum(r**2, axis=1)
