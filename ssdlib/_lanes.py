r"""Compiled integration of the block flows, one lane after another.

A *lane* is the reduced system of one block of ``X`` for one pair ``(alpha, eps)``
(see :mod:`ssdlib.flow`): the state ``(psi_s, psi_v1..psi_vm, u_1..u_m)`` with
``x = c omega(psi / c - log c)`` for ``x = s, v_k`` (``omega`` is the Wright omega
function). Each lane is integrated on its own, with its own adaptive step size, by the
explicit Dormand-Prince 8(5,3) method (the tableau of :class:`scipy.integrate.DOP853`);
one trajectory and a sweep of thousands of lanes go through the same loop. The step size
control is that of :class:`scipy.integrate.DOP853` with Gustafsson's prediction from the
last two accepted steps, which follows the geometrically shrinking steps into a stage
transition without a rejection at every step; a lane stops once its residual has converged.

Outputs come from the 7th-order continuous extension of DOP853 (three extra stages per
step): the interpolants of the steps that contain a requested time are kept, or, without
requested times, those of every step, so that the outputs can be placed once the
convergence time is known (the default grid of :func:`ssdlib.simulate`). The stage times
``T0`` and ``T`` are the first downward zero crossings of ``max_k h_k - eps`` and
``min_k f_k - eps``, located on that interpolant (Illinois method), so to the accuracy of
the integration.

The loops are compiled with numba (cached on disk next to this file, or in numba's
user-wide cache directory when that is not writable; without any writable cache
directory they are compiled once per process). With ``NUMBA_DISABLE_JIT=1`` the same
code runs as plain Python, which is how the tests compare the two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from scipy.integrate._ivp import dop853_coefficients as _c

_NS = _c.N_STAGES
_A = np.ascontiguousarray(_c.A)
_B = np.ascontiguousarray(_c.B)
_E3 = np.ascontiguousarray(_c.E3)
_E5 = np.ascontiguousarray(_c.E5)
_D = np.ascontiguousarray(_c.D)
_SAFETY, _MIN_FACTOR, _MAX_FACTOR = 0.8, 0.2, 10.0
_EXPONENT = -1.0 / 8.0
_H_MAX = 1e6
_ROUNDOFF = 10 * np.finfo(float).eps

# status codes of a lane
OK, TOO_SMALL, TOO_MANY, TOO_LATE = 0, 1, 2, 3


def _jit(fn):
    """``numba.njit`` with an on-disk cache where one can be written."""
    try:
        return numba.njit(cache=True, error_model="numpy")(fn)
    except RuntimeError:  # no writable cache location
        return numba.njit(error_model="numpy")(fn)


# ----------------------------------------------------------------------------
# the flow of one lane


@_jit
def _omega(z):
    """Wright omega function of a real argument: ``w + log w = z``."""
    if z < -50.0:  # exp(z) is exact to double precision (and underflows to 0 below -745)
        return math.exp(z)
    if z > 1e20:
        return z
    if z < -2.0:
        w = math.exp(z)
    elif z < 1.0:
        w = math.exp(2.0 * (z - 1.0) / 3.0)
    else:
        lz = math.log(z)
        w = z - lz + lz / z
    for _ in range(2):  # Fritsch, Shafer and Crowley: each iteration is fourth order
        r = z - w - math.log(w)
        wp1 = w + 1.0
        q = 2.0 * wp1 * (wp1 + 2.0 * r / 3.0)
        w *= 1.0 + r / wp1 * (q - r) / (q - 2.0 * r)
    return w


@_jit
def _unpack(z, C, logC, x):
    """``x[0] = s``, ``x[1:] = v`` from the state ``z`` of a lane."""
    for k in range(x.size):
        x[k] = C[k] * _omega(z[k] / C[k] - logC[k])


@_jit
def _rhs(z, a, C, logC, eps, H, gd, x, dz):
    r"""``dz = F(z)`` for one lane; ``psi' = (log x)' (x + c)`` for ``x = s, v_k``."""
    m = a.size
    _unpack(z, C, logC, x)
    s = x[0]
    dlog_s = 0.0
    for k in range(m):
        u = z[m + 1 + k]
        v = x[1 + k]
        if H == 2:
            uh1, vh1, vh2 = u, v, 1.0
        else:
            uh1, vh1, vh2 = u ** (H - 1), v ** (H - 1), v ** (H - 2)
        has = 0.5 * H * a[k] * s
        ha2 = 0.5 * H * H * a[k] * a[k]
        f = has * uh1
        h = has * vh1
        if gd:
            dlog_s -= ha2 * (uh1 * uh1 + vh1 * vh1)
            dz[1 + k] = -has * vh2 * (v + C[1 + k])
            dz[m + 1 + k] = f
        else:
            inv_f = 1.0 / (f + eps)
            inv_h = 1.0 / (h + eps)
            dlog_s -= ha2 * (uh1 * uh1 * inv_f + vh1 * vh1 * inv_h)
            dz[1 + k] = -has * vh2 * inv_h * (v + C[1 + k])
            dz[m + 1 + k] = f * inv_f
    dz[0] = dlog_s * (s + C[0])


@_jit
def _event(j, z, x, a, eps, H):
    """``max_k h_k - eps`` (``j = 0``, stage T0) or ``min_k f_k - eps`` (``j = 1``, T).

    ``x`` holds ``s`` and the ``v_k`` of the state ``z`` (see :func:`_unpack`).
    """
    m = a.size
    g = -np.inf if j == 0 else np.inf
    for k in range(m):
        if a[k] > 0:
            w = x[1 + k] if j == 0 else z[m + 1 + k]
            val = 0.5 * H * a[k] * x[0] * w ** (H - 1)
            g = max(g, val) if j == 0 else min(g, val)
    return g - eps


# ----------------------------------------------------------------------------
# DOP853 on one lane


@_jit
def _stage(s, y, h, a, C, logC, eps, H, gd, K, x, tmp):
    """Stage ``s`` of DOP853: ``K[s] = F(y + h sum_j A[s, j] K[j])``."""
    for i in range(y.size):
        acc = 0.0
        for j in range(s):
            acc += _A[s, j] * K[j, i]
        tmp[i] = y[i] + h * acc
    _rhs(tmp, a, C, logC, eps, H, gd, x, K[s])


@_jit
def _step(y, f, h, a, C, logC, eps, H, gd, K, x, y_new):
    """One DOP853 step of size ``h``; stages in ``K`` (rows 0..12), ``K[12] = F(y_new)``."""
    n = y.size
    ns = K.shape[0] - 4  # the 12 stages (a run-time bound keeps the loops rolled)
    for i in range(n):
        K[0, i] = f[i]
    for s in range(1, ns):
        _stage(s, y, h, a, C, logC, eps, H, gd, K, x, y_new)
    for i in range(n):
        acc = 0.0
        for j in range(ns):
            acc += _B[j] * K[j, i]
        y_new[i] = y[i] + h * acc
    _rhs(y_new, a, C, logC, eps, H, gd, x, K[ns])


@_jit
def _error_norm(K, h, y, y_new, rtol, atol, n_eff):
    """Scaled error estimate of DOP853; ``n_eff`` counts the unknowns of the block (the
    padding of a block smaller than the largest one stays constant)."""
    n = y.size
    ns = K.shape[0] - 4
    e5 = 0.0
    e3 = 0.0
    for i in range(n):
        sc = atol[i] + rtol * max(abs(y[i]), abs(y_new[i]))
        d5 = 0.0
        d3 = 0.0
        for j in range(ns + 1):
            d5 += _E5[j] * K[j, i]
            d3 += _E3[j] * K[j, i]
        e5 += (d5 / sc) ** 2
        e3 += (d3 / sc) ** 2
    if e5 == 0.0 and e3 == 0.0:
        return 0.0
    return abs(h) * e5 / math.sqrt((e5 + 0.01 * e3) * n_eff)


@_jit
def _dense(y, y_new, h, a, C, logC, eps, H, gd, K, x, tmp, F):
    """Coefficients ``F`` (7, n) of the 7th-order interpolant of the step just taken."""
    n = y.size
    ns = K.shape[0] - 4
    for s in range(ns + 1, K.shape[0]):  # the 3 extra stages
        _stage(s, y, h, a, C, logC, eps, H, gd, K, x, tmp)
    for i in range(n):
        dy = y_new[i] - y[i]
        F[0, i] = dy
        F[1, i] = h * K[0, i] - dy
        F[2, i] = 2.0 * dy - h * (K[ns, i] + K[0, i])
        for r in range(4):
            acc = 0.0
            for j in range(K.shape[0]):
                acc += _D[r, j] * K[j, i]
            F[3 + r, i] = h * acc


@_jit
def _eval_dense(F, y, theta, out):
    n = y.size
    for i in range(n):
        acc = 0.0
        for r in range(6, -1, -1):
            acc += F[r, i]
            acc *= theta if r % 2 == 0 else 1.0 - theta
        out[i] = acc + y[i]


@_jit
def _locate(j, F, y, g_lo, g_hi, a, C, logC, eps, H, x, yc):
    """Fraction ``theta`` of the step at which event ``j`` crosses zero on the interpolant.

    Illinois method on ``g(theta)``, ``g(0) = g_lo > 0 >= g(1) = g_hi``; converged to
    round-off in ``theta``.
    """
    lo, hi = 0.0, 1.0
    side = 0
    for _ in range(100):
        if hi - lo <= 4e-16:
            break
        c = hi - g_hi * (hi - lo) / (g_hi - g_lo)
        if not (lo < c < hi):
            c = 0.5 * (lo + hi)
        _eval_dense(F, y, c, yc)
        _unpack(yc, C, logC, x)
        gc = _event(j, yc, x, a, eps, H)
        if gc <= 0:  # root in [lo, c]
            if side == 1:
                g_lo /= 2
            hi, g_hi = c, gc
            side = 1
        else:
            if side == -1:
                g_hi /= 2
            lo, g_lo = c, gc
            side = -1
    return hi


@_jit
def _lane(y0, t_out, every, a, C, logC, eps, H, gd, psi_stop, rtol, atol, events, t_max,
          max_steps, h0, t_event, y_stop, rec, cnt):
    """Integrate one lane until it has converged (``psi_s <= psi_stop``).

    The interpolant of every step that contains one of the times ``t_out`` (of every step
    if ``every``) is appended to the records ``rec`` from row ``cnt`` on: a row holds the
    start of the step, its size, the state there and the 7 x n interpolation coefficients.
    Returns (status, t_stop, accepted steps, evaluations, rows used, records).
    """
    n = y0.size
    n_eff = 1 + 2 * np.sum(a > 0)
    n_out = t_out.size
    K = np.empty((_NS + 4, n))
    F_tmp = np.empty((7, n))
    x = np.empty(a.size + 1)
    y = y0.copy()
    f = np.empty(n)
    y_new = np.empty(n)
    tmp = np.empty(n)
    g_old = np.empty(2)
    g_new = np.empty(2)
    _rhs(y, a, C, logC, eps, H, gd, x, f)
    nfev = 1
    t_event[:] = np.nan
    if events:
        for j in range(2):
            g_old[j] = _event(j, y, x, a, eps, H)
            if g_old[j] <= 0:
                t_event[j] = 0.0
    k = 0
    t = 0.0
    h = h0
    nsteps = 0
    rejected = False
    h_acc, err_acc = 0.0, 1.0
    while y[0] > psi_stop:
        if t > t_max:
            return TOO_LATE, t, nsteps, nfev, cnt, rec
        if h < _ROUNDOFF * abs(t):
            return TOO_SMALL, t, nsteps, nfev, cnt, rec
        _step(y, f, h, a, C, logC, eps, H, gd, K, x, y_new)
        nfev += _NS
        err = _error_norm(K, h, y, y_new, rtol, atol, n_eff)
        finite = math.isfinite(err)
        for i in range(n):
            finite = finite and math.isfinite(y_new[i])
        if not finite:
            factor = _MIN_FACTOR
        elif err == 0.0:
            factor = _MAX_FACTOR
        else:
            factor = _SAFETY * err**_EXPONENT
        if not (finite and err < 1.0):
            h *= max(_MIN_FACTOR, factor)
            rejected = True
            continue
        nsteps += 1
        if nsteps > max_steps:
            return TOO_MANY, t, nsteps, nfev, cnt, rec
        t_new = t + h
        # events, from s and v at y_new, which the last stage has left in x
        cross = False
        if events:
            for j in range(2):
                g_new[j] = _event(j, y_new, x, a, eps, H)
                cross = cross or (g_old[j] > 0 and g_new[j] <= 0 and math.isnan(t_event[j]))
        keep = every or (k < n_out and t_out[k] <= t_new)
        if keep or cross:
            F = F_tmp
            if keep:
                if cnt == rec.shape[0]:
                    bigger = np.empty((2 * cnt, rec.shape[1]))
                    bigger[:cnt] = rec
                    rec = bigger
                row = rec[cnt]
                row[0], row[1] = t, h
                row[2:2 + n] = y
                F = row[2 + n:].reshape((7, n))
                cnt += 1
                while k < n_out and t_out[k] <= t_new:
                    k += 1
            _dense(y, y_new, h, a, C, logC, eps, H, gd, K, x, tmp, F)
            nfev += 3
            if cross:
                for j in range(2):
                    if g_old[j] > 0 and g_new[j] <= 0 and math.isnan(t_event[j]):
                        t_event[j] = t + h * _locate(j, F, y, g_old[j], g_new[j], a, C, logC,
                                                     eps, H, x, tmp)
        g_old[:] = g_new
        t = t_new
        y[:] = y_new
        f[:] = K[_NS]
        # no growth right after a rejection, and Gustafsson's prediction from the last
        # two accepted steps: it follows the steadily shrinking steps on the way into a
        # stage transition without a rejection each time
        factor = min(1.0 if rejected else _MAX_FACTOR, factor)
        if h_acc > 0:
            factor = min(factor, _SAFETY * (h / h_acc) * (err_acc / max(err, 1e-10) ** 2)
                         ** -_EXPONENT)
        h_acc, err_acc = h, max(err, 1e-4)
        h = min(h * max(_MIN_FACTOR, factor), _H_MAX)
        rejected = False
    y_stop[:] = y
    return OK, t, nsteps, nfev, cnt, rec


@_jit
def _lanes(y0, t_out, every, a, C, logC, eps, H, gd, psi_stop, rtol, atol, events, t_max,
           max_steps, h0, t_event, t_stop, y_stop, nsteps, status, start):
    """:func:`_lane` for every lane; stops at the first failure.

    Returns the evaluations and the records, those of lane ``b`` in rows
    ``start[b]:start[b + 1]``.
    """
    B, n = y0.shape
    rec = np.empty((16 * B + 64, 2 + 8 * n))
    cnt = 0
    nfev = 0
    for b in range(B):
        start[b] = cnt
        st, tb, nb, ev, cnt, rec = _lane(
            y0[b], t_out[b], every, a[b], C[b], logC[b], eps[b], H, gd, psi_stop[b], rtol,
            atol[b], events, t_max, max_steps, h0[b], t_event[b], y_stop[b], rec, cnt)
        start[b + 1] = cnt
        t_stop[b], nsteps[b], status[b] = tb, nb, st
        nfev += ev
        if st != OK:
            break
    return nfev, rec[:cnt]


@_jit
def _evaluate(rec, start, y_stop, C, t_out, v, u):
    """``v`` and ``u`` (B, K, m) at the times ``t_out`` (B, K) from the records; after the
    last recorded step, at the state of convergence ``y_stop``."""
    B, n = y_stop.shape
    m = u.shape[2]
    y = np.empty(n)
    for b in range(B):
        j = start[b]
        end = start[b + 1]
        for k in range(t_out.shape[1]):
            t = t_out[b, k]
            while j < end and rec[j, 0] + rec[j, 1] < t:
                j += 1
            if j == end:  # converged: the lane stays where it stopped
                y[:] = y_stop[b]
            else:
                row = rec[j]
                theta = max(0.0, (t - row[0]) / row[1])
                _eval_dense(row[2 + n:].reshape((7, n)), row[2:2 + n], theta, y)
            for i in range(m):
                c = C[b, 1 + i]
                v[b, k, i] = c * _omega(y[1 + i] / c - math.log(c))
                u[b, k, i] = y[1 + m + i]


@dataclass
class LaneResult:
    """Raw output of :func:`integrate_lanes`.

    Attributes
    ----------
    t_stop : ndarray, shape (B,)
        Time at which each lane met its convergence criterion.
    y_stop : ndarray, shape (B, n)
        State at ``t_stop``.
    t_event : ndarray, shape (B, 2)
        First times of ``T0`` and ``T`` (NaN if never reached or not requested; 0 if the
        condition holds at the start).
    nfev : int
        Right-hand-side evaluations over all lanes.
    nsteps : ndarray, shape (B,)
        Accepted steps per lane.
    records, start : ndarray
        Interpolants of the recorded steps (see :meth:`at`).
    C : ndarray, shape (B, m + 1)
        Scales of the psi variables.
    """

    t_stop: np.ndarray
    y_stop: np.ndarray
    t_event: np.ndarray
    nfev: int
    nsteps: np.ndarray
    records: np.ndarray
    start: np.ndarray

    C: np.ndarray

    def at(self, t_out):
        """``v`` and ``u``, each of shape (B, K, m), at the times ``t_out`` (B, K), which
        the recorded steps must cover (the ``t_out`` of the integration, or any times if it
        had none)."""
        t_out = np.ascontiguousarray(t_out, dtype=np.float64)
        B, n = self.y_stop.shape
        v = np.empty((B, t_out.shape[1], (n - 1) // 2))
        u = np.empty_like(v)
        _evaluate(self.records, self.start, self.y_stop, self.C, t_out, v, u)
        return v, u

    def at_stop(self):
        """``v`` and ``u``, each of shape (B, m), at convergence."""
        v, u = self.at(np.full((self.y_stop.shape[0], 1), np.inf))
        return v[:, 0], u[:, 0]


def integrate_lanes(lanes, y0, t_out=None, *, rtol, atol, events=False, t_max=np.inf,
                    max_steps=200_000):
    """Integrate the ``B`` lanes of a block flow from ``y0`` at ``t = 0`` to convergence.

    Parameters
    ----------
    lanes : object
        With arrays ``a`` (B, m), ``C`` and ``log_C`` (B, m + 1), ``eps``, ``psi_stop``
        and ``alpha`` (B,), and attributes ``H`` (depth) and ``gd`` (gradient flow).
    y0 : ndarray, shape (B, 2m + 1)
    t_out : ndarray, shape (B, K), optional
        Output times per lane, non-decreasing: the interpolants of the steps that contain
        them are kept for :meth:`LaneResult.at`. Without ``t_out`` every step's is kept,
        so that outputs can be asked for at times chosen after the integration.
    rtol : float
    atol : ndarray, shape (B, 2m + 1)
    events : bool
        Locate the stage times ``T0`` and ``T``.
    t_max : float
        A lane that has not converged by ``t_max`` makes the call raise.
    max_steps : int
        Step budget per lane.

    Returns
    -------
    LaneResult

    Raises
    ------
    RuntimeError
        If a lane needs a step below the round-off limit, exceeds ``max_steps``, or has
        not converged by ``t_max``.
    """
    f8 = np.float64

    def arr(v):
        return np.ascontiguousarray(v, dtype=f8)

    y0 = arr(y0)
    B, n = y0.shape
    every = t_out is None
    t_out = np.zeros((B, 0)) if every else arr(np.reshape(t_out, (B, -1)))
    t_event = np.full((B, 2), np.nan)
    t_stop = np.full(B, np.nan)
    y_stop = np.full((B, n), np.nan)
    nsteps = np.zeros(B, dtype=np.int64)
    status = np.full(B, -1, dtype=np.int64)
    start = np.zeros(B + 1, dtype=np.int64)
    C, log_C = arr(lanes.C), arr(lanes.log_C)
    nfev, records = _lanes(
        y0, t_out, every, arr(lanes.a), C, log_C, arr(lanes.eps),
        int(lanes.H), bool(lanes.gd), arr(lanes.psi_stop), float(rtol),
        arr(np.broadcast_to(atol, (B, n))), bool(events), float(t_max), int(max_steps),
        arr(1e-3 * lanes.alpha), t_event, t_stop, y_stop, nsteps, status, start,
    )
    bad = np.flatnonzero(status != OK)
    if bad.size:
        lane = bad[0]
        st = status[lane]
        if st == TOO_SMALL:
            raise RuntimeError(
                f"step size fell below the round-off limit at t = {t_stop[lane]:.6g} in lane "
                f"{lane}; the flow is too stiff for the requested tolerance."
            )
        if st == TOO_MANY:
            raise RuntimeError(
                f"more than {max_steps} steps were needed; loosen `rtol`/`atol` or "
                "shorten the time span."
            )
        raise RuntimeError(
            f"the flow had not converged by t_max = {t_max:g} (lane {lane}); "
            "pass a larger `t_max`."
        )
    return LaneResult(t_stop, y_stop, t_event, int(nfev), nsteps, records, start, C)
