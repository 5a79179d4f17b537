r"""Discrete optimizers on the deep diagonal regression model.

The model, loss and parameter layout are those of :mod:`ssdlib.steepest`:
``beta = u^H - v^H`` (``tied=True``, for ``H = 2`` exactly eq. 8 of the paper
with ``w = (w+, w-)``) or ``beta = prod_l w_l^+ - prod_l w_l^-`` (``tied=False``),
loss ``1/4 |X beta - y|^2``, start ``w = alpha`` (or the saddle start
``w_1 = 0``, ``w_l = alpha``). With ``g = grad_w L`` (plus ``lambda w`` for
coupled weight decay) and step ``k = 1, 2, ...``, element-wise:

=============  =========================================================================
``"gd"``       ``w <- w - eta g``
``"sign"``     ``w <- w - eta sign(g)``
``"ssd"``      ``w <- w - eta g / (|g| + eps)``  (eq. 15)
``"rmsprop"``  ``s <- beta2 s + (1 - beta2) g^2``; ``w <- w - eta g / (sqrt(s) + eps)``
``"adam"``     ``m <- beta1 m + (1 - beta1) g``, ``s <- beta2 s + (1 - beta2) g^2``,
               ``w <- w - eta m_hat / (sqrt(s_hat) + eps)``, ``m_hat = m / (1 - beta1^k)``,
               ``s_hat = s / (1 - beta2^k)``
``"adamw"``    ``"adam"`` with decoupled weight decay
=============  =========================================================================

Weight decay ``lambda``: *coupled* (L2 in the loss; the default for every optimizer
except ``"adamw"``, as in PyTorch) adds ``lambda w`` to ``g`` before the
normalisation; *decoupled* (AdamW) uses ``w <- w - eta (update + lambda w)``.
RMSProp has no bias correction (PyTorch convention). Adam with ``beta1 = 0`` and
``beta2 = 0`` is exactly SSD with the same ``eps``, and as ``eps -> 0`` sign
descent; SSD with step ``eta`` is the explicit Euler scheme of the SSD flow
(:func:`~ssdlib.steepest.flows.steepest_flow` with ``q = 1``), first-order accurate.

Everything is vectorised over coordinates and layers; the only Python loop is
over the steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .problem import _check_depth
from .steepest import (
    _Branches,
    _as_data,
    _check_alpha,
    _check_eps,
    _check_real,
    _forward,
    _initial_weights,
    _loss_grad,
)

__all__ = ["OPTIMIZERS", "OptimTrajectory", "escape_learning_rate", "optimize"]

OPTIMIZERS = ("gd", "sign", "ssd", "rmsprop", "adam", "adamw")


@dataclass(frozen=True, eq=False)
class OptimTrajectory(_Branches):
    """Result of :func:`optimize`.

    Attributes
    ----------
    steps : ndarray of int, shape (T,)
        Recorded step numbers (0, ``record_every``, ..., and always the last).
    w : ndarray, shape (T, 2, H, D)
        Weights ``w[:, p, l, i]`` (branch ``p``: 0 plus, 1 minus; tied models
        repeat ``u``/``v`` over the layers).
    beta : ndarray, shape (T, D)
        Regression vector.
    loss : ndarray, shape (T,)
        ``1/4 |X beta - y|^2`` (eq. 8, without the weight-decay penalty).
    optimizer : str
    eta, eps, beta1, beta2, weight_decay : float
    decoupled, tied : bool
    depth : int
    """

    steps: np.ndarray
    w: np.ndarray
    beta: np.ndarray
    loss: np.ndarray
    optimizer: str
    eta: float
    eps: float
    beta1: float
    beta2: float
    weight_decay: float
    decoupled: bool
    depth: int
    tied: bool

    @property
    def t(self):
        """Flow time ``eta * steps``, shape (T,), to compare with a flow."""
        return self.eta * self.steps



def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _check_unit(name, value):
    value = _check_real(name, value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"`{name}` must lie in [0, 1); got {value}.")
    return value


def _validate(problem, optimizer, alpha, eta, steps, depth, eps, beta1, beta2, weight_decay,
              decoupled, init, tied):
    X, y = _as_data(problem)
    if not isinstance(optimizer, str) or optimizer.lower() not in OPTIMIZERS:
        raise ValueError(
            f"`optimizer` must be one of {', '.join(repr(o) for o in OPTIMIZERS)}; "
            f"got {optimizer!r}."
        )
    optimizer = optimizer.lower()
    alpha = _check_alpha(alpha)
    eta = _check_real("eta", eta)
    if eta <= 0:
        raise ValueError(f"`eta` must be > 0 (the learning rate); got {eta}.")
    steps = _check_int("steps", steps, 1)
    depth = _check_depth(depth)
    eps = _check_eps(eps)
    beta1 = _check_unit("beta1", beta1)
    beta2 = _check_unit("beta2", beta2)
    wd = _check_real("weight_decay", weight_decay)
    if wd < 0:
        raise ValueError(f"`weight_decay` must be >= 0; got {wd}.")
    if decoupled is None:
        decoupled = optimizer == "adamw"
    elif optimizer == "adamw" and not decoupled:
        raise ValueError("`decoupled`=False contradicts `optimizer`='adamw' (AdamW is Adam "
                         "with decoupled decay); use `optimizer`='adam' for coupled decay.")
    W0 = _initial_weights(init, alpha, depth, X.shape[1], bool(tied))
    return X, y, optimizer, eta, steps, depth, eps, beta1, beta2, wd, bool(decoupled), W0


def _runner(X, y, optimizer, eta, depth, eps, beta1, beta2, wd, decoupled, tied, W0):
    """Generator of ``(k, W, loss)`` after each step ``k >= 1``; stops on non-finite weights."""
    W = W0.copy()
    m = np.zeros_like(W)
    s = np.zeros_like(W)
    k = 0
    while True:
        k += 1
        _, _, G, _, _ = _loss_grad(W, X, y, depth, tied)
        if wd and not decoupled:
            G = G + wd * W
        if optimizer == "gd":
            upd = G
        elif optimizer == "sign":
            upd = np.sign(G)
        elif optimizer == "ssd":
            upd = G / (np.abs(G) + eps)
        elif optimizer == "rmsprop":
            s = beta2 * s + (1.0 - beta2) * G * G
            upd = G / (np.sqrt(s) + eps)
        else:
            m = beta1 * m + (1.0 - beta1) * G
            s = beta2 * s + (1.0 - beta2) * G * G
            m_hat = m / (1.0 - beta1**k)
            s_hat = s / (1.0 - beta2**k)
            upd = m_hat / (np.sqrt(s_hat) + eps)
        if wd and decoupled:
            upd = upd + wd * W
        W = W - eta * upd
        if not np.all(np.isfinite(W)):
            yield k, None, np.inf
            return
        x = _forward(W, depth, tied)[0]
        r = X @ x - y
        yield k, W, 0.25 * float(r @ r)


def optimize(problem, optimizer, alpha, eta, steps, *, depth=2, eps=1e-8, beta1=0.9,
             beta2=0.999, weight_decay=0.0, decoupled=None, tied=True, init="balanced",
             record_every=1):
    r"""Run a discrete optimizer on the deep diagonal model from ``w(0) = alpha``.

    Parameters
    ----------
    problem : object with ``.X`` (N, D) and ``.y`` (N,), or a pair ``(X, y)``
    optimizer : {'gd', 'sign', 'ssd', 'rmsprop', 'adam', 'adamw'}
        See the module docstring for the update rules.
    alpha : float
        Initialisation scale ``> 0``.
    eta : float
        Learning rate ``> 0``.
    steps : int
        Number of steps ``>= 1``.
    depth : int, default 2
        ``H >= 2``.
    eps : float, default 1e-8
        Stability constant of SSD, RMSProp, Adam(W), ``>= 0``.
    beta1, beta2 : float in [0, 1)
        Moment decay rates (Adam: both; RMSProp: ``beta2``).
    weight_decay : float, default 0
        ``lambda >= 0``.
    decoupled : bool, optional
        Default: True for 'adamw', False (coupled L2) otherwise.
    tied : bool, default True
        The paper's model ``u^H - v^H`` or independent layers.
    init : {'balanced', 'saddle'} or array_like
        As in :func:`~ssdlib.steepest.flows.steepest_flow`.
    record_every : int, default 1
        Stride of the recorded trajectory; the last step is always recorded.

    Returns
    -------
    OptimTrajectory

    Raises
    ------
    ValueError
        Invalid arguments.
    RuntimeError
        If the iterates overflow (reduce ``eta``).
    """
    X, y, optimizer, eta, steps, depth, eps, beta1, beta2, wd, decoupled, W0 = _validate(
        problem, optimizer, alpha, eta, steps, depth, eps, beta1, beta2, weight_decay,
        decoupled, init, tied)
    record_every = _check_int("record_every", record_every, 1)
    rec = np.unique(np.r_[np.arange(0, steps + 1, record_every), steps])
    Ws = np.empty((rec.size,) + W0.shape)
    loss = np.empty(rec.size)
    Ws[0] = W0
    r0 = X @ _forward(W0, depth, tied)[0] - y
    loss[0] = 0.25 * float(r0 @ r0)
    j = 1
    with np.errstate(over="ignore", invalid="ignore"):
        for k, W, lo in _runner(X, y, optimizer, eta, depth, eps, beta1, beta2, wd, decoupled,
                                tied, W0):
            if W is None:
                raise RuntimeError(
                    f"`{optimizer}` diverged at step {k} (non-finite weights) with `eta` = {eta}; "
                    "reduce `eta`."
                )
            if k == rec[j]:
                Ws[j] = W
                loss[j] = lo
                j += 1
            if k == steps:
                break
    if tied:
        Ws = np.repeat(Ws, depth, axis=2)
        beta = Ws[:, 0, 0] ** depth - Ws[:, 1, 0] ** depth
    else:
        beta = np.prod(Ws[:, 0], axis=1) - np.prod(Ws[:, 1], axis=1)
    return OptimTrajectory(rec, Ws, beta, loss, optimizer, eta, eps, beta1, beta2, wd,
                           decoupled, depth, bool(tied))


def _escapes(X, y, optimizer, eta, steps, depth, eps, beta1, beta2, wd, decoupled, tied, W0,
             level):
    """1 if the loss reaches ``level`` within ``steps``, 0 if not, -1 if the run overflows first."""
    with np.errstate(over="ignore", invalid="ignore"):
        for k, W, lo in _runner(X, y, optimizer, eta, depth, eps, beta1, beta2, wd, decoupled,
                                tied, W0):
            if W is None or not np.isfinite(lo):
                return -1
            if lo <= level:
                return 1
            if k >= steps:
                return 0
    return 0  # pragma: no cover


def escape_learning_rate(problem, alpha, steps, *, optimizer="gd", depth=2, fraction=0.5,
                         eps=1e-8, beta1=0.9, beta2=0.999, weight_decay=0.0, decoupled=None,
                         tied=True, init="balanced", eta_start=1e-8, rtol=1e-3,
                         max_doublings=200):
    r"""Smallest learning rate with which the loss falls to ``fraction`` of its start in ``steps``.

    Starting from a small ``eta_start`` (which must fail), ``eta`` is doubled
    until the first success; the bracket ``[eta_lo, eta_hi]`` (failure,
    success) is then bisected in ``log eta`` until ``eta_hi / eta_lo < 1 +
    rtol`` and ``eta_hi`` is returned. A run that overflows counts as a
    failure. Success need not be monotone in ``eta`` (sign descent with a
    large step makes the non-dominating weight overshoot 0 and oscillate with
    amplitude ``eta``, which cancels most of ``beta``), which is why the search
    goes upward from below. The result is the threshold of the first
    doubling interval that contains a success: above the stability limit of
    gradient descent the working rates can form narrow windows, and a window
    that lies inside a doubling step is missed (scan a grid of ``eta`` with
    :func:`optimize` when that matters).

    For gradient descent near the saddle the iterates follow
    ``u <- u + eta C|rho_0| u^(H-1)``, so ``eta`` must grow like
    ``alpha^-(H-2) / steps`` for ``H >= 3`` and like
    ``(alpha^(-1/steps) - 1) / (2|rho_0|)`` for ``H = 2`` (tied); sign descent
    needs ``eta ~ 1 / steps`` independently of ``alpha``.

    Parameters
    ----------
    problem : object with ``.X``, ``.y`` or a pair ``(X, y)``
    alpha : float
        Initialisation scale ``> 0``.
    steps : int
        Step budget ``K >= 1``.
    optimizer, depth, eps, beta1, beta2, weight_decay, decoupled, tied, init :
        As in :func:`optimize`.
    fraction : float in (0, 1)
    eta_start : float, default 1e-8
        First trial learning rate ``> 0``; it must fail to escape.
    rtol : float
        Relative width of the final bracket, ``> 0``.
    max_doublings : int
        Give up (``RuntimeError``) after this many doublings.

    Returns
    -------
    float
    """
    X, y, optimizer, _, steps, depth, eps, beta1, beta2, wd, decoupled, W0 = _validate(
        problem, optimizer, alpha, 1.0, steps, depth, eps, beta1, beta2, weight_decay,
        decoupled, init, tied)
    fraction = _check_real("fraction", fraction)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"`fraction` must lie in (0, 1); got {fraction}.")
    eta = _check_real("eta_start", eta_start)
    if eta <= 0:
        raise ValueError(f"`eta_start` must be > 0; got {eta}.")
    rtol = _check_real("rtol", rtol)
    if rtol <= 0:
        raise ValueError(f"`rtol` must be > 0; got {rtol}.")
    max_doublings = _check_int("max_doublings", max_doublings, 1)
    r0 = X @ _forward(W0, depth, tied)[0] - y
    level = fraction * 0.25 * float(r0 @ r0)
    if level == 0.0:
        raise ValueError(
            "the initial loss is 0 (`problem.y` is fitted at w(0)); nothing to escape."
        )

    def run(e):
        return _escapes(X, y, optimizer, e, steps, depth, eps, beta1, beta2, wd, decoupled,
                        bool(tied), W0, level)

    if run(eta) == 1:
        raise ValueError(f"`eta_start` = {eta:g} already escapes; pass a smaller `eta_start`.")
    lo, hi = eta, 2.0 * eta
    diverged = 0
    for _ in range(max_doublings):
        status = run(hi)
        if status == 1:
            break
        diverged = diverged + 1 if status < 0 else 0
        if diverged >= 8:
            raise RuntimeError(
                f"`{optimizer}` never escapes within {steps} steps: every `eta` from "
                f"{hi / 2**7:g} to {hi:g} overflows before the loss falls to {fraction:g} of its "
                "start (the step that leaves the saddle overshoots the solution); raise `steps`."
            )
        lo, hi = hi, 2.0 * hi
    else:
        raise RuntimeError(f"`{optimizer}` does not escape within {steps} steps for any "
                           f"`eta` <= {lo:g}; raise `steps` or `max_doublings`.")
    while hi / lo > 1.0 + rtol:
        mid = np.sqrt(lo * hi)
        if run(mid) == 1:
            hi = mid
        else:
            lo = mid
    return float(hi)
