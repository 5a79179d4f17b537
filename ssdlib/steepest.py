r"""Steepest flows on deep diagonal models: the "beyond the paper" numerics.

This module connects smoothed sign descent (SSD, eqs. 15-16 of Wang and
Klabjan, UAI 2025) with the *steepest mirror flows* of Jacobs, Zhou and
Burkholz ("Never Saddle for Reparameterized Steepest Descent as Mirror Flow",
ICLR 2026). Every statement below is derived here and checked numerically in
``tests/test_steepest.py``; nothing is taken from the ICLR paper on trust.

Model
-----
Data ``X`` (N, D), ``y`` (N,), loss ``f(x) = 1/4 |X x - y|^2`` (eq. 8, note the
1/4), so ``rho := grad_x f = X^T (X x - y) / 2`` and ``grad_x^2 f = X^T X / 2``.
The regression vector ``x`` (the paper's ``beta``) is a deep diagonal network
of depth ``L`` with a positive and a negative branch:

* ``tied=True`` (default, the paper's depth-``H`` model with ``H = L``):
  ``x = u^L - v^L`` element-wise, parameters ``w = (u, v)``; for ``L = 2``
  this is exactly eq. (8), ``beta = w+ (.) w+ - w- (.) w-``, and
  ``grad_u f = L rho u^(L-1)``, ``grad_v f = -L rho v^(L-1)``.
* ``tied=False``: ``x = prod_l w_l^+ - prod_l w_l^-`` with ``L`` independent
  layers per branch, ``grad_{w_l^+} f = rho prod_{k != l} w_k^+``.

Parameters are stored as ``w[p, l, i]``: branch ``p`` (0 = plus, 1 = minus),
layer ``l``, coordinate ``i``; tied trajectories repeat ``u`` and ``v`` over
the ``L`` layers. With a balanced start (all layers equal) the untied layers
stay equal and the two models have the same ``x`` but gradients that differ
by the factor ``L``. For the smoothed family below this means exactly::

    tied flow (q, eps) at time t  ==  untied balanced flow (q, eps / L) at time L^(q-1) t,

so sign flow (q = 1, eps = 0) is the same in both, gradient flow of the tied
model runs ``L`` times faster, and SSD of the tied model with ``eps`` is the
untied one with ``eps / L``.

Steepest flows
--------------
For ``q`` in [1, 2] and ``eps >= 0`` the flow is, element-wise,

.. math::  \dot w = -\varphi(g), \qquad
           \varphi(g) = g\,(|g| + \varepsilon)^{q-2}, \qquad g = \nabla_w f,

so ``eps = 0`` gives the steepest family ``-sign(g)|g|^(q-1)`` (``q = 2``:
gradient flow, eqs. 9-10; ``q = 1``: sign flow) and ``q = 1, eps > 0`` is the
SSD flow eq. (16). ``phi`` is smooth for ``eps > 0`` with
``phi'(g) = (|g| + eps)^(q-3) ((q-1)|g| + eps)``; this is the analytic
Jacobian handed to Radau. Weight decay of rate ``lambda(t)``: *coupled* adds
``lambda w`` to ``g`` before ``phi`` (L2 penalty ``lambda/2 |w|^2`` in the
loss); *decoupled* (AdamW-style) adds ``-lambda w`` to ``dw/dt`` after it.

Numerics. The flows are integrated by ``solve_ivp`` (LSODA by default, Radau
or BDF on request) with the analytic Jacobian ``-diag(phi'(g)) Hess_w f``. For
``eps = 0`` and ``1 < q < 2`` the field is only Hoelder continuous where a
residual ``rho_i`` or a layer product ``J = dx/dw`` vanishes (converged
coordinates; a non-dominating weight reaching 0 in finite time, which happens
whenever ``(L-1)(q-1) < 1``), and every solver stalls there. With ``g = J rho``
the field factorises as ``-sign(J)|J|^(q-1) sign(rho)|rho|^(q-1)``; it is
integrated as ``-J(|J| + dJ)^(q-2) rho(|rho| + dr)^(q-2)`` with
``dJ = 1e-10 max|J(0)|`` and ``dr = 1e-8 max|rho(0)|`` (the exact field wherever
``|J| >> dJ`` and ``|rho| >> dr``, linear below; relative to the start, so the
saddle phase is untouched; coupled decay uses a constant floor
``1e-8 max|g(0)|``). The conservation law below then holds to ~1e-8 relative.

Untied caveat. The balanced manifold (all layers of a branch equal) is
invariant, but for even ``L`` the point where the non-dominating layers reach 0
is a saddle of the layer dynamics: with layers ``(a, b)`` near 0,
``(a, b)' ~ -c (b, a)``, so the mode ``a = -b`` grows (at rate ``~ rho/eps``
for SSD, instantly for ``q < 2``, ``eps = 0``) and the "minus" branch then
also fits the data with the opposite sign. Round-off can trigger this split;
the tied model excludes it. Use ``tied=True`` for the paper's model.

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
at unit speed to 0, where it stays (the field vanishes there for ``L >= 2``,
and this is the ``eps -> 0+`` limit of SSD). With ``U = alpha + t`` and
``V = max(alpha - t, 0)``,

.. math::  x_i(t) = \operatorname{sgn}(a_i y_n)\,(U^L - V^L), \qquad
           r_n(t) = \operatorname{sgn}(y_n)\,\|a\|_1\,(U^L - V^L) - y_n,

piecewise polynomial, until ``t_n^*`` where ``||a||_1 (U^L - V^L) = |y_n|``;
after it everything stops (Filippov sliding on ``r_n = 0`` has zero velocity).
The loss first falls to ``c`` times its initial value (one row) when
``||a||_1 (U^L - V^L) = (1 - sqrt c)|y|``; as ``alpha -> 0``,
``t -> ((1 - sqrt c)|y| / ||a||_1)^(1/L)``, independent of ``alpha``.

Saddle escape
-------------
``w = 0`` is a saddle. From a balanced start of scale ``alpha`` and while
``x`` is small, ``rho ~ rho_0 = -X^T y / 2`` and the growing weight obeys
``du/dt = (C |rho_0|)^(q-1) u^m`` with ``m = (L-1)(q-1)``, ``C = L`` (tied) or
1 (untied). Integrating from ``alpha`` (the fastest coordinate
``|rho_0|_max`` wins):

* ``m > 1``: ``t_esc ~ alpha^(1-m) / ((m-1) (C|rho_0|_max)^(q-1))``; gradient
  flow (``q = 2``, ``m = L - 1``) slows like ``alpha^-(L-2)`` for ``L >= 3``;
* ``m = 1``: ``t_esc ~ log(1/alpha) / (C|rho_0|_max)^(q-1)``; gradient flow
  with ``L = 2``: ``log(1/alpha) / (2|rho_0|_max)`` (tied);
* ``m < 1`` (sign flow, and every ``q < L/(L-1)``): the time stays bounded as
  ``alpha -> 0`` (sign flow: the closed form above).

SSD (``q = 1, eps > 0``) near the saddle has ``|g| ~ alpha^(L-1) << eps`` so
``phi(g) ~ g / eps``: it is gradient flow slowed by ``eps`` until
``|g| ~ eps``, then sign flow, so its escape time is
``~ eps * t_GF(alpha) + O(1)`` and the log-log slope tends to ``-(L-2)`` as
``alpha -> 0`` at fixed ``eps``, with a prefactor ``eps``.

Mirror map and implicit bias
----------------------------
Let ``u`` be the dominating weight of a coordinate (``x_i = sgn(x_i) (u^L - v^L)``
with ``v`` the non-dominating one, balanced layers). With eps = 0,
``du/dt = -sgn(x_i) sign(rho_i) (C|rho_i|)^(q-1) u^m`` exactly. Define
``h(u) = u^k / (k C^(q-1))`` with ``k = 1 - (L-1)(q-1)`` (``log(u)/C^(q-1)`` if
``k = 0``); then ``d/dt [sgn(x_i) h(u)] = -sign(rho_i)|rho_i|^(q-1)``: the dual
variable ``theta = sgn(x) h((|x| + v^L)^(1/L))`` follows the *steepest mirror
flow* ``d theta / dt = -sign(grad_x f)|grad_x f|^(q-1)``. It is the gradient of
the (time-dependent through ``v``) potential

.. math::  \Phi_t(x) = \sum_i \int_{v_i}^{u_i} h(z)\,L z^{L-1}\,dz
           = \sum_i \frac{L}{k C^{q-1} (L+k)}\bigl(u_i^{L+k} - v_i^{L+k}\bigr),
           \quad u_i = (|x_i| + v_i^L)^{1/L}.

In terms of ``x`` with ``v -> 0``: ``dx/dt = -C^(q-1) L |x|^gamma sign(rho)|rho|^(q-1)``,
metric exponent ``gamma = q (L-1)/L``, and ``Phi(x) ~ |x|^(2-gamma)``.

For ``q = 1`` (sign flow; SSD after its first stage) ``k = 1``, ``C^0 = 1``:

.. math::  \Phi^L_t(x) = \frac{L}{L+1}\sum_i \bigl(|x_i| + v_i^L\bigr)^{1+1/L}
           \quad(\text{up to an } x\text{-independent constant}),

whose gradient ``sgn(x)(|x| + v^L)^(1/L) = sgn(x) u`` is the dominating weight.
For ``L = 2`` this is Prop. 3.6, ``2/3 (|x| + v^2)^(3/2)``. The paper's
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
from numbers import Integral

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from .problem import _check_depth

__all__ = [
    "DualCheck",
    "SparseRegression",
    "SteepestTrajectory",
    "balance",
    "dual_dynamics_check",
    "escape_exponent",
    "escape_time_prediction",
    "escape_times",
    "fit_escape_slope",
    "mirror_map",
    "mirror_potential",
    "paper_mirror_map",
    "paper_potential",
    "sign_flow_closed_form",
    "sparse_regression",
    "steepest_flow",
    "support_recovery",
]

_SIGNS = np.array([1.0, -1.0])


# ----------------------------------------------------------------------------------------
# validation helpers (shared with ssdlib.optim)


def _as_data(problem):
    """Return ``(X, y)`` as float arrays from a problem object or a pair ``(X, y)``."""
    if hasattr(problem, "X") and hasattr(problem, "y"):
        X, y = problem.X, problem.y
    elif isinstance(problem, (tuple, list)) and len(problem) == 2:
        X, y = problem
    else:
        raise ValueError(
            "`problem` must have attributes `.X` (N, D) and `.y` (N,) or be a pair (X, y); "
            f"got {type(problem).__name__}."
        )
    try:
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("`problem.X` and `problem.y` must be numeric arrays.") from exc
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"`problem.X` must be a 2-dimensional (N, D) array; got shape {X.shape}.")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"`problem.y` must have shape (N,) = ({X.shape[0]},) to match `X`; got {y.shape}."
        )
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("`problem.X` and `problem.y` must be finite; remove NaN/inf entries.")
    return X, y


def _check_real(name, value):
    try:
        ok = not isinstance(value, (bool, str)) and np.ndim(value) == 0
        out = float(value) if ok else None
    except (TypeError, ValueError):
        out = None
    if out is None:
        raise ValueError(f"`{name}` must be a real number; got {value!r}.")
    value = out
    if not np.isfinite(value):
        raise ValueError(f"`{name}` must be finite; got {value!r}.")
    return value


def _check_q(q):
    q = _check_real("q", q)
    if not 1.0 <= q <= 2.0:
        raise ValueError(f"`q` must lie in [1, 2]; got {q}.")
    return q


def _check_alpha(alpha):
    alpha = _check_real("alpha", alpha)
    if alpha <= 0:
        raise ValueError(f"`alpha` must be > 0 (the initialisation scale); got {alpha}.")
    return alpha


def _check_eps(eps):
    eps = _check_real("eps", eps)
    if eps < 0:
        raise ValueError(f"`eps` must be >= 0; got {eps}.")
    return eps


def _check_weight_decay(weight_decay):
    """Return a callable ``lambda(t)`` and a flag telling whether it is identically 0."""
    if callable(weight_decay):
        return weight_decay, False
    wd = _check_real("weight_decay", weight_decay)
    if wd < 0:
        raise ValueError(f"`weight_decay` must be >= 0 or a callable of t; got {wd}.")
    return (lambda t: wd), wd == 0.0


def _initial_weights(init, alpha, depth, D, tied):
    """Initial parameters, shape (2, K, D) with K = 1 (tied) or depth (untied)."""
    K = 1 if tied else depth
    if isinstance(init, str):
        if init == "balanced":
            return np.full((2, K, D), alpha)
        if init == "saddle":
            if tied:
                raise ValueError(
                    "`init`='saddle' (w_1 = 0, w_l = alpha for l > 1) needs independent "
                    "layers; pass `tied=False`."
                )
            W = np.full((2, K, D), alpha)
            W[:, 0, :] = 0.0
            return W
        raise ValueError(
            f"`init` must be 'balanced', 'saddle' or an array; got {init!r}."
        )
    W = np.asarray(init, dtype=float)
    try:
        W = np.broadcast_to(W, (2, K, D)).copy()
    except ValueError as exc:
        raise ValueError(
            f"`init` array must broadcast to shape (2, {K}, {D}) (branch, layer, coordinate); "
            f"got {W.shape}."
        ) from exc
    if not np.all(np.isfinite(W)):
        raise ValueError("`init` must be finite.")
    return alpha * W


# ----------------------------------------------------------------------------------------
# the model


def _excl_prod(W):
    """``E[p, l] = prod_{k != l} W[p, k]`` (works with zeros), W of shape (2, L, D)."""
    L = W.shape[1]
    ones = np.ones_like(W[:, :1])
    pre = np.concatenate([ones, np.cumprod(W[:, :-1], axis=1)], axis=1)
    suf = np.concatenate([np.cumprod(W[:, :0:-1], axis=1)[:, ::-1], ones], axis=1)
    assert pre.shape[1] == L
    return pre * suf


def _forward(W, depth, tied):
    """x (D,) and J[p, k, i] = d x_i / d W[p, k, i], shape (2, K, D)."""
    if tied:
        x = W[0, 0] ** depth - W[1, 0] ** depth
        J = _SIGNS[:, None, None] * depth * W ** (depth - 1)
    else:
        P = np.prod(W, axis=1)
        x = P[0] - P[1]
        J = _SIGNS[:, None, None] * _excl_prod(W)
    return x, J


def _second(W, depth, tied):
    """S[p, k, m, i] = d^2 x_i / dW[p, k, i] dW[p, m, i], shape (2, K, K, D)."""
    if tied:
        return (_SIGNS[:, None, None] * depth * (depth - 1) * W ** (depth - 2))[:, :, None, :]
    L, D = W.shape[1], W.shape[2]
    S = np.zeros((2, L, L, D))
    for k in range(L):
        for m in range(k + 1, L):
            keep = [j for j in range(L) if j not in (k, m)]
            val = np.prod(W[:, keep], axis=1) if keep else np.ones((2, D))
            S[:, k, m] = S[:, m, k] = _SIGNS[:, None] * val
    return S


def _loss_grad(W, X, y, depth, tied):
    x, J = _forward(W, depth, tied)
    r = X @ x - y
    rho = 0.5 * (X.T @ r)
    return x, 0.25 * float(r @ r), J * rho, rho, J


def _hessian(W, X, depth, tied, rho, J):
    """Hessian of f with respect to the flattened W (2 K D, 2 K D)."""
    _, K, D = W.shape
    A = 0.5 * (X.T @ X)
    Jf = J.reshape(-1)
    idx = np.tile(np.arange(D), 2 * K)
    H = Jf[:, None] * A[np.ix_(idx, idx)] * Jf[None, :]
    S = _second(W, depth, tied)
    ar = np.arange(D)
    for p in range(2):
        for k in range(K):
            for m in range(K):
                H[p * K * D + k * D + ar, p * K * D + m * D + ar] += rho * S[p, k, m]
    return H


def _phi(g, q, e):
    """``g (|g| + e)^(q-2)`` element-wise (``e`` >= 0, ``0`` where ``g = 0``)."""
    if q == 2.0:
        return g
    with np.errstate(divide="ignore", invalid="ignore"):
        out = g * (np.abs(g) + e) ** (q - 2.0)
    return np.where(g == 0, 0.0, out)


def _dphi(g, q, e):
    """Partial derivatives of :func:`_phi` with respect to ``g`` and to ``e``."""
    if q == 2.0:
        return np.ones_like(g), np.zeros_like(g)
    a = np.abs(g)
    # At g = e = 0 the field is only Hoelder; a floor keeps the Newton matrix finite, which the
    # implicit solver needs only approximately.
    s = np.maximum(a + e, 1e-14)
    return s ** (q - 3.0) * ((q - 1.0) * a + e), (q - 2.0) * g * s ** (q - 3.0)


# ----------------------------------------------------------------------------------------
# results


class _Branches:
    """Views of the weights ``w`` (T, 2, L, D) by branch."""

    @property
    def w_plus(self):
        """Plus-branch weights, shape (T, L, D)."""
        return self.w[:, 0]

    @property
    def w_minus(self):
        """Minus-branch weights, shape (T, L, D)."""
        return self.w[:, 1]


@dataclass(frozen=True, eq=False)
class SteepestTrajectory(_Branches):
    """Result of :func:`steepest_flow`.

    Attributes
    ----------
    t : ndarray, shape (T,)
        Output times.
    w : ndarray, shape (T, 2, L, D)
        Weights ``w[:, p, l, i]``: branch ``p`` (0 plus, 1 minus), layer ``l``.
        Tied models repeat ``u``/``v`` over the ``L`` layers.
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


# ----------------------------------------------------------------------------------------
# sign flow in closed form


def _row_blocks(X):
    """Column sets of the rows if every column is non-zero in at most one row, else None."""
    nz = X != 0
    if np.any(nz.sum(axis=0) > 1):
        return None
    return [np.flatnonzero(nz[n]) for n in range(X.shape[0])]


def _gap(t, alpha, depth):
    """``U^L - V^L`` with ``U = alpha + t``, ``V = max(alpha - t, 0)``."""
    return (alpha + t) ** depth - np.maximum(alpha - t, 0.0) ** depth


def _stop_time(alpha, depth, target):
    """Solve ``_gap(t) = target`` (>= 0) for t >= 0."""
    if target <= 0:
        return 0.0
    if (2.0 * alpha) ** depth <= target:  # the stop happens after V has reached 0
        return target ** (1.0 / depth) - alpha
    return brentq(lambda s: _gap(s, alpha, depth) - target, 0.0, alpha,
                  xtol=1e-15, rtol=4 * np.finfo(float).eps)


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
        ts = _stop_time(alpha, depth, abs(y[n]) / a1)
        direction[cols] = np.sign(X[n, cols] * y[n])
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
        ``L >= 2``.

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
    t = np.atleast_1d(np.asarray(t, dtype=float))
    if t.ndim != 1 or np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ValueError("`t` must be a 1-dimensional array of finite times >= 0.")
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


def _sign_flow_escape(X, y, alpha, depth, fraction):
    setup = _sign_flow_setup(X, y, alpha, depth)
    if setup is None:
        return None
    _, _, rows = setup
    loss0 = 0.25 * float(y @ y)
    target = fraction * loss0

    def loss(t):
        total = 0.0
        for n, a1, ts in rows:
            total += (a1 * _gap(min(t, ts), alpha, depth) - abs(y[n])) ** 2
        # rows without active columns keep their residual -y_n
        active = {n for n, _, _ in rows}
        total += sum(y[n] ** 2 for n in range(len(y)) if n not in active)
        return 0.25 * total

    t_end = max((ts for _, _, ts in rows), default=0.0)
    if loss(t_end) > target:
        return np.inf
    if loss0 <= target:
        return 0.0
    return brentq(lambda s: loss(s) - target, 0.0, t_end, xtol=1e-15,
                  rtol=4 * np.finfo(float).eps)


# ----------------------------------------------------------------------------------------
# the driver


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
    sol = solve_ivp(rhs, t_span, w0, method=method, t_eval=t_eval, rtol=rtol, atol=atol,
                    events=events, **kwargs)
    if sol.status < 0:
        raise RuntimeError(f"solve_ivp ({method}) failed: {sol.message}")
    if not np.all(np.isfinite(sol.y)):
        raise RuntimeError(f"solve_ivp ({method}) failed: the solution became non-finite "
                           f"(solver message: {sol.message})")
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
        ``L >= 2``.
    eps : float, default 0
        Smoothing ``>= 0``.
    weight_decay : float or callable, default 0
        Rate ``lambda >= 0`` or a function ``lambda(t)``.
    decoupled : bool, default True
        Decoupled (``dw/dt -= lambda w``, AdamW-style) or coupled (``g += lambda w``).
    tied : bool, default True
        ``beta = u^L - v^L`` (the paper's model) or independent layers.
    init : {'balanced', 'saddle'} or array_like
        ``'balanced'``: all weights ``alpha``; ``'saddle'`` (untied only):
        ``w_1 = 0``, ``w_l = alpha`` for ``l > 1``; an array broadcastable to
        ``(2, K, D)`` (``K = 1`` tied, ``L`` untied) is multiplied by ``alpha``.
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
    ``L`` may split their non-dominating layers (module docstring, "Untied
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


# ----------------------------------------------------------------------------------------
# saddle escape


def escape_times(problem, alphas, q, *, depth=2, eps=0.0, tied=True, init="balanced",
                 fraction=0.5, t_max=None, method="LSODA", rtol=1e-10, atol=1e-14):
    r"""First time the loss falls to ``fraction`` times its initial value, per ``alpha``.

    Root-located: by the solver's event location on the dense output for
    ``q > 1`` or ``eps > 0``, by Brent's method on the closed form for sign flow.

    Parameters
    ----------
    problem : object with ``.X``, ``.y`` or a pair ``(X, y)``
    alphas : array_like, shape (A,)
        Initialisation scales ``> 0``.
    q, depth, eps, tied, init :
        As in :func:`steepest_flow`.
    fraction : float, default 0.5
        In (0, 1).
    t_max : float, optional
        Give up (``inf``) after this time. Default: the horizon grows
        tenfold from 10 up to ``1e13``.
    method, rtol, atol :
        Solver settings, as in :func:`steepest_flow`.

    Returns
    -------
    ndarray, shape (A,)
        Escape times (``inf`` where the loss never reaches the level).
    """
    X, y = _as_data(problem)
    alphas = np.atleast_1d(np.asarray(alphas, dtype=float))
    if alphas.ndim != 1 or np.any(~np.isfinite(alphas)) or np.any(alphas <= 0):
        raise ValueError("`alphas` must be a 1-dimensional array of values > 0.")
    fraction = _check_real("fraction", fraction)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"`fraction` must lie in (0, 1); got {fraction}.")
    if t_max is not None:
        t_max = _check_real("t_max", t_max)
        if t_max <= 0:
            raise ValueError(f"`t_max` must be > 0; got {t_max}.")
    out = np.empty(alphas.size)
    for a_idx, alpha in enumerate(alphas):
        X, y, alpha, q, depth, eps, lam, _, W0 = _validate_flow(
            (X, y), alpha, q, depth, eps, 0.0, tied, init)
        loss0 = 0.25 * float(np.sum((X @ _forward(W0, depth, tied)[0] - y) ** 2))
        if loss0 == 0.0:
            raise ValueError("the initial loss is 0 (`problem.y` is fitted at t = 0): "
                             "there is no saddle to escape.")
        if q == 1.0 and eps == 0.0:
            if not _closed_form_allowed(X, init, True):
                raise ValueError(_SIGN_FLOW_MSG)
            t_esc = _sign_flow_escape(X, y, alpha, depth, fraction)
            out[a_idx] = t_esc if t_max is None or t_esc <= t_max else np.inf
            continue
        rhs, jac = _make_field(X, y, q, eps, depth, bool(tied), lam, True, W0)
        level = fraction * loss0

        def event(t, w, _shape=W0.shape, _depth=depth, _level=level, _X=X, _y=y):
            x = _forward(w.reshape(_shape), _depth, tied)[0]
            return 0.25 * float(np.sum((_X @ x - _y) ** 2)) - _level

        event.terminal = True
        event.direction = -1
        t0, w0, horizon = 0.0, W0.reshape(-1), (t_max if t_max is not None else 10.0)
        t_esc = np.inf
        while True:
            sol = _integrate(rhs, jac, w0, (t0, horizon), None, method, rtol, atol,
                             events=[event])
            if sol.t_events[0].size:
                t_esc = float(sol.t_events[0][0])
                break
            if t_max is not None or horizon >= 1e13:
                break
            t0, w0, horizon = float(sol.t[-1]), sol.y[:, -1], 10.0 * horizon
        out[a_idx] = t_esc
    return out


def escape_exponent(q, depth, eps=0.0):
    r"""Predicted ``alpha -> 0`` log-log slope of the escape time.

    ``-((L-1)(q'-1) - 1)`` when positive-growth exponent ``m = (L-1)(q'-1) > 1``
    and 0 otherwise (``m = 1`` is logarithmic, ``m < 1`` bounded), with
    ``q' = q`` for ``eps = 0`` and ``q' = 2`` for ``eps > 0`` (a smoothed flow
    is gradient-flow-like near the saddle). Gradient flow: ``-(L-2)``; sign
    flow: 0.
    """
    q = _check_q(q)
    depth = _check_depth(depth)
    eps = _check_eps(eps)
    qq = 2.0 if eps > 0 else q
    m = (depth - 1) * (qq - 1.0)
    return -(m - 1.0) if m > 1 else 0.0


def escape_time_prediction(problem, alpha, q, *, depth=2, eps=0.0, tied=True, fraction=0.5):
    r"""Leading-order escape time as ``alpha -> 0`` (balanced start), see module docstring.

    * sign flow (``q = 1, eps = 0``): the exact closed-form time at ``alpha``;
    * ``m = (L-1)(q'-1) > 1``: ``eps' alpha^(1-m) / ((m-1) (C|rho_0|_max)^(q'-1))``;
    * ``m = 1``: ``eps' log(1/alpha) / (C|rho_0|_max)^(q'-1)``;

    where ``q' = q, eps' = 1`` for ``eps = 0`` and ``q' = 2, eps' = eps`` for
    ``eps > 0`` (SSD's slow first stage), ``C = L`` (tied) or 1, and
    ``rho_0 = -X^T y / 2``. The ``O(1)`` correction is not included.

    Raises
    ------
    ValueError
        For ``q > 1``, ``m < 1`` (the time tends to a finite limit with no
        simple formula: measure it with :func:`escape_times`).
    """
    X, y = _as_data(problem)
    alpha = _check_alpha(alpha)
    q = _check_q(q)
    depth = _check_depth(depth)
    eps = _check_eps(eps)
    if q == 1.0 and eps == 0.0:
        return float(escape_times((X, y), [alpha], 1.0, depth=depth, fraction=fraction)[0])
    qq, scale = (2.0, eps) if (eps > 0 and q < 2) else (q, 1.0)
    m = (depth - 1) * (qq - 1.0)
    C = depth if tied else 1.0
    c = (C * np.max(np.abs(0.5 * X.T @ y))) ** (qq - 1.0)
    if m > 1:
        return scale * alpha ** (1.0 - m) / ((m - 1.0) * c)
    if m == 1:
        return scale * np.log(1.0 / alpha) / c
    raise ValueError(
        f"no leading-order formula for `q` = {q} at depth {depth}: (L-1)(q-1) < 1, the escape "
        "time tends to a finite limit; measure it with escape_times."
    )


def fit_escape_slope(alphas, times, *, scale="loglog"):
    r"""Least-squares slope of escape times against ``alpha``.

    Parameters
    ----------
    alphas, times : array_like, shape (A,)
        Finite, positive.
    scale : {'loglog', 'semilog'}
        ``'loglog'``: fit ``log t = s log alpha + b`` (power laws);
        ``'semilog'``: fit ``t = s log(1/alpha) + b`` (depth-2 gradient flow).

    Returns
    -------
    slope, intercept : float
    """
    a = np.asarray(alphas, dtype=float)
    t = np.asarray(times, dtype=float)
    if a.shape != t.shape or a.ndim != 1 or a.size < 2:
        raise ValueError("`alphas` and `times` must be 1-dimensional of equal length >= 2.")
    if np.any(~np.isfinite(t)) or np.any(t <= 0) or np.any(a <= 0):
        raise ValueError("`times` and `alphas` must be finite and > 0 (drop inf escape times).")
    if scale == "loglog":
        s, b = np.polyfit(np.log(a), np.log(t), 1)
    elif scale == "semilog":
        s, b = np.polyfit(np.log(1.0 / a), t, 1)
    else:
        raise ValueError(f"`scale` must be 'loglog' or 'semilog'; got {scale!r}.")
    return float(s), float(b)


# ----------------------------------------------------------------------------------------
# mirror map


def _h(z, q, depth, tied):
    C = float(depth) ** (q - 1.0) if tied else 1.0
    k = 1.0 - (depth - 1) * (q - 1.0)
    if abs(k) < 1e-12:
        with np.errstate(divide="ignore"):
            return np.log(z) / C
    with np.errstate(divide="ignore"):
        return z**k / (k * C)


def mirror_map(beta, q, depth, *, v=0.0, tied=True):
    r"""Dual variable ``theta = grad Phi_t(beta) = sgn(beta) h((|beta| + v^L)^(1/L))``.

    ``h(u) = u^k / (k C^(q-1))``, ``k = 1 - (L-1)(q-1)``, ``C = L`` (tied) or 1
    (``log(u)/C^(q-1)`` for ``k = 0``). Along the steepest flow (eps = 0,
    balanced layers) ``d theta/dt = -sign(rho)|rho|^(q-1)`` exactly, ``rho =
    grad_beta f``. For ``q = 1``: ``sgn(beta)(|beta| + v^L)^(1/L)``, the
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
    r"""``Phi_t(beta) = sum_i int_{v_i}^{u_i} h(z) L z^(L-1) dz`` (0 at ``beta = 0``).

    Closed form ``L (u^(L+k) - v^(L+k)) / (k C^(q-1) (L+k))`` (``k != 0``); for
    ``q = 1``: ``L/(L+1) ((|beta| + v^L)^(1+1/L) - v^(L+1))``. Its gradient is
    :func:`mirror_map`. Sums over the last axis.
    """
    q = _check_q(q)
    depth = _check_depth(depth)
    beta = np.asarray(beta, dtype=float)
    v = np.broadcast_to(np.asarray(v, dtype=float), beta.shape)
    u = (np.abs(beta) + v**depth) ** (1.0 / depth)
    C = float(depth) ** (q - 1.0) if tied else 1.0
    k = 1.0 - (depth - 1) * (q - 1.0)
    L = depth
    if abs(k) < 1e-12:
        def F(z):
            with np.errstate(divide="ignore", invalid="ignore"):
                val = z**L * np.log(z) - z**L / L
            return np.where(z > 0, val, 0.0) / C
    else:
        def F(z):
            return L * z ** (L + k) / (k * C * (L + k))
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
    L = traj.depth
    if potential == "steepest":
        def M(b, v):
            return mirror_map(b, traj.q, L, v=v, tied=traj.tied)
    elif potential == "paper":
        def M(b, v):
            return paper_mirror_map(b, L, v=v)
    elif callable(potential):
        M = potential
    else:
        raise ValueError(
            f"`potential` must be 'steepest', 'paper' or a callable; got {potential!r}."
        )
    P = np.abs(np.prod(traj.w, axis=2)) ** (1.0 / L)  # (T, 2, D)
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


# ----------------------------------------------------------------------------------------
# sparse regression


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
