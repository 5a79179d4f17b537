"""The deep diagonal model shared by the steepest flows and ssdlib.optim: validation,
initial weights, the forward map ``x(w)`` with its derivatives, the field ``phi``."""

from __future__ import annotations

import numpy as np

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
        if np.iscomplexobj(X) or np.iscomplexobj(y):
            raise TypeError("complex data")
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("`problem.X` and `problem.y` must be real numeric arrays.") from exc
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


def _check_positive(name, value, what=""):
    """A finite real number ``> 0``; ``what`` says what it is, for the message."""
    value = _check_real(name, value)
    if value <= 0:
        raise ValueError(f"`{name}` must be > 0{f' ({what})' if what else ''}; got {value}.")
    return value


def _check_fraction(fraction, name="fraction"):
    """A number in the open interval (0, 1), e.g. the loss level that counts as an escape."""
    fraction = _check_real(name, fraction)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"`{name}` must lie in (0, 1); got {fraction}.")
    return fraction


def _check_alpha(alpha):
    return _check_positive("alpha", alpha, "the initialisation scale")


def _check_time_points(t):
    """Times as a 1-dimensional float array of finite values ``>= 0``."""
    t = np.atleast_1d(np.asarray(t, dtype=float))
    if t.ndim != 1 or np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ValueError("`t` must be a 1-dimensional array of finite times >= 0.")
    return t


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
    """``E[p, l] = prod_{k != l} W[p, k]`` (works with zeros), W of shape (2, H, D)."""
    K = W.shape[1]
    ones = np.ones_like(W[:, :1])
    pre = np.concatenate([ones, np.cumprod(W[:, :-1], axis=1)], axis=1)
    suf = np.concatenate([np.cumprod(W[:, :0:-1], axis=1)[:, ::-1], ones], axis=1)
    assert pre.shape[1] == K
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
    K, D = W.shape[1], W.shape[2]
    S = np.zeros((2, K, K, D))
    for k in range(K):
        for m in range(k + 1, K):
            keep = [j for j in range(K) if j not in (k, m)]
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
    """Views of the weights ``w`` (T, 2, H, D) by branch."""

    @property
    def w_plus(self):
        """Plus-branch weights, shape (T, H, D)."""
        return self.w[:, 0]

    @property
    def w_minus(self):
        """Minus-branch weights, shape (T, H, D)."""
        return self.w[:, 1]


