"""Batched explicit Runge-Kutta integration with one step size per lane.

A *lane* is one independent ODE system of a fixed size ``n``; ``B`` lanes are
stepped together in vectorised NumPy, but every lane keeps its own time and its
own adaptive step size (Dormand-Prince 8(5,3), the tableau of
:class:`scipy.integrate.DOP853`). This is what makes a sweep over many blocks
or many values of ``eps`` cheap: a lane that is in a smooth phase takes large
steps while another resolves a stage transition.

Output times are evaluated with the 7th-order continuous extension of DOP853,
so they cost three extra stages per step that contains one, not a step each. Event
functions are located to machine precision by re-stepping from the start of
the step in which they change sign (Illinois method, vectorised over lanes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate._ivp import dop853_coefficients as _c

_NS = _c.N_STAGES
_A = _c.A[:_NS, :_NS]
_B = _c.B
_C = _c.C[:_NS]
_E3 = _c.E3
_E5 = _c.E5
_D = _c.D
_A_EXTRA = _c.A[_NS + 1:]
_SAFETY, _MIN_FACTOR, _MAX_FACTOR = 0.8, 0.2, 10.0
_EXPONENT = -1.0 / 8.0
_H_MAX = 1e6


@dataclass
class LaneResult:
    """Raw output of :func:`integrate_lanes`.

    Attributes
    ----------
    y_out : ndarray, shape (B, K, n)
        States at the requested output times.
    t_stop : ndarray, shape (B,)
        Time at which each lane stopped (the first time the stop condition
        held, or without one its last output time).
    y_stop : ndarray, shape (B, n)
        State at ``t_stop``.
    t_event : ndarray, shape (B, E)
        First time each event function crossed zero from above (NaN if never;
        0 if it was non-positive at the start).
    nfev : int
        Number of vectorised right-hand-side evaluations (over all lanes).
    nsteps : ndarray, shape (B,)
        Accepted steps per lane.
    """

    y_out: np.ndarray
    t_stop: np.ndarray
    y_stop: np.ndarray
    t_event: np.ndarray
    nfev: int
    nsteps: np.ndarray


def _rk_step(fun, idx, y, f, h):
    """One DOP853 step for the lanes ``idx`` (y, f: (b, n); h: (b,))."""
    b, n = y.shape
    K = np.empty((_NS + 1, b * n))
    K[0] = f.ravel()
    hh = h[:, None]
    for s in range(1, _NS):
        dy = (_A[s, :s] @ K[:s]).reshape(b, n) * hh
        K[s] = fun(idx, y + dy).ravel()
    y_new = y + (_B @ K[:_NS]).reshape(b, n) * hh
    f_new = fun(idx, y_new)
    K[_NS] = f_new.ravel()
    return y_new, f_new, K.reshape(_NS + 1, b, n)


def _error_norm(K, h, scale):
    shp = K.shape[1:]
    err5 = (_E5 @ K.reshape(K.shape[0], -1)).reshape(shp) / scale
    err3 = (_E3 @ K.reshape(K.shape[0], -1)).reshape(shp) / scale
    e5 = np.sum(err5**2, axis=1)
    e3 = np.sum(err3**2, axis=1)
    denom = e5 + 0.01 * e3
    n = scale.shape[1]
    out = np.zeros_like(e5)
    pos = denom > 0
    out[pos] = np.abs(h[pos]) * e5[pos] / np.sqrt(denom[pos] * n)
    return out


def _dense(fun, idx, y_old, y_new, f_old, f_new, K, h):
    """Coefficients (7, b, n) of the 7th-order DOP853 interpolant of a step."""
    b, n = y_old.shape
    Kx = np.empty((_NS + 4, b * n))
    Kx[: _NS + 1] = K.reshape(_NS + 1, -1)
    hh = h[:, None]
    for j, a in enumerate(_A_EXTRA):
        s = _NS + 1 + j
        dy = (a[:s] @ Kx[:s]).reshape(b, n) * hh
        Kx[s] = fun(idx, y_old + dy).ravel()
    dy = y_new - y_old
    F = np.empty((7, b, n))
    F[0] = dy
    F[1] = hh * f_old - dy
    F[2] = 2 * dy - hh * (f_new + f_old)
    F[3:] = (_D @ Kx).reshape(4, b, n) * hh
    return F


def _eval_dense(F, y_old, x):
    y = np.zeros_like(y_old)
    x = x[:, None]
    for i, f in enumerate(F[::-1]):
        y += f
        y *= x if i % 2 == 0 else 1 - x
    return y + y_old


def integrate_lanes(
    fun,
    y0,
    t_out,
    *,
    rtol,
    atol,
    events=None,
    stop=None,
    t_max=np.inf,
    max_steps=200_000,
    h0=1e-4,
):
    """Integrate ``B`` independent autonomous systems ``y' = fun(idx, y)``.

    Parameters
    ----------
    fun : callable
        ``fun(idx, y) -> dy`` with ``idx`` an integer array (b,) of lane
        indices and ``y`` of shape (b, n); must be vectorised over lanes.
    y0 : ndarray, shape (B, n)
        Initial states (at t = 0).
    t_out : ndarray, shape (B, K)
        Non-decreasing output times per lane (K may be 0), evaluated with the
        7th-order interpolant of DOP853 (its error is of the order of the local
        error the step was accepted with).
    rtol : float or ndarray, shape (n,)
    atol : float or ndarray, shape (n,) or (B, n)
        Tolerances, as in ``scipy.integrate.solve_ivp`` (``atol`` may
        differ between lanes).
    events : callable, optional
        ``events(idx, y) -> g`` of shape (b, E); the first downward zero
        crossing of each column is located.
    stop : callable, optional
        ``stop(idx, y) -> bool (b,)``: a lane stops at the first accepted step
        where this holds (convergence); its outputs at later times are set to
        the state there. Without ``stop`` a lane stops at its last output.
    t_max : float
        A lane that has not stopped by ``t_max`` makes the call raise.
    max_steps : int
        Step budget per lane; exceeding it raises.
    h0 : float
        Initial step size.

    Returns
    -------
    LaneResult

    Raises
    ------
    RuntimeError
        If a lane needs a step below the round-off limit, exceeds
        ``max_steps``, or has not met ``stop`` by ``t_max``.
    """
    y0 = np.asarray(y0, dtype=float)
    B, n = y0.shape
    t_out = np.asarray(t_out, dtype=float).reshape(B, -1)
    Kout = t_out.shape[1]
    # a sentinel column keeps the indexing below valid once outputs run out
    t_out = np.concatenate([t_out, np.full((B, 1), np.inf)], axis=1)
    t_last = t_out[:, Kout - 1] if Kout else np.zeros(B)
    y_out = np.full((B, Kout, n), np.nan)
    t = np.zeros(B)
    y = y0.copy()
    all_idx = np.arange(B)
    f = fun(all_idx, y)
    nfev = 1
    h = np.full(B, float(h0))
    k_next = np.zeros(B, dtype=int)
    while True:  # outputs requested at t = 0
        at0 = t_out[all_idx, k_next] <= 0.0
        if not at0.any():
            break
        y_out[at0, k_next[at0]] = y[at0]
        k_next[at0] += 1
    if stop is None:
        done = k_next >= Kout
    else:
        done = stop(all_idx, y)
        y_out[done] = y[done][:, None, :]
    t_stop = np.where(done, 0.0, np.nan)
    y_stop = np.where(done[:, None], y, np.nan)
    nsteps = np.zeros(B, dtype=int)

    g_old = None
    t_event = np.zeros((B, 0))
    brackets = []
    if events is not None:
        g_old = events(all_idx, y)
        t_event = np.where(g_old <= 0, 0.0, np.nan)
    atol = np.broadcast_to(np.asarray(atol, dtype=float), (B, n))
    rtol = np.broadcast_to(np.asarray(rtol, dtype=float), (n,))

    while not done.all():
        idx = np.flatnonzero(~done)
        ti, yi, fi, hi = t[idx], y[idx], f[idx], h[idx]
        if stop is None:  # do not step past the last output
            hi = np.minimum(hi, t_last[idx] - ti)
        min_step = 10 * np.abs(np.nextafter(ti, np.inf) - ti)
        if np.any(hi < min_step):
            bad = idx[hi < min_step][0]
            raise RuntimeError(
                f"step size fell below the round-off limit at t = {t[bad]:.6g} in lane "
                f"{bad}; the flow is too stiff for the requested tolerance."
            )
        y_new, f_new, K = _rk_step(fun, idx, yi, fi, hi)
        nfev += _NS
        scale = atol[idx] + np.maximum(np.abs(yi), np.abs(y_new)) * rtol
        err = _error_norm(K, hi, scale)
        ok = np.isfinite(err) & (err < 1) & np.all(np.isfinite(y_new), axis=1)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            grow = np.where(err == 0, _MAX_FACTOR,
                            np.minimum(_MAX_FACTOR, _SAFETY * err**_EXPONENT))
            shrink = np.maximum(_MIN_FACTOR, _SAFETY * err**_EXPONENT)
        shrink = np.where(np.isfinite(shrink), shrink, _MIN_FACTOR)
        h[idx] = np.minimum(np.where(ok, hi * grow, hi * shrink), _H_MAX)
        if not ok.any():
            continue
        acc = idx[ok]
        t_prev, y_prev, f_prev, h_used = ti[ok], yi[ok], fi[ok], hi[ok]
        t_new = t_prev + h_used
        t[acc] = t_new
        y[acc] = y_new[ok]
        f[acc] = f_new[ok]
        nsteps[acc] += 1
        if np.any(nsteps[acc] > max_steps):
            raise RuntimeError(
                f"more than {max_steps} steps were needed; loosen `rtol`/`atol` or "
                "shorten the time span."
            )
        # outputs inside this step, from the interpolant
        inside = t_out[acc, k_next[acc]] <= t_new
        if inside.any():
            sel = np.flatnonzero(inside)
            F = _dense(fun, acc[sel], y_prev[sel], y_new[ok][sel], f_prev[sel],
                       f_new[ok][sel], K[:, ok][:, sel], h_used[sel])
            nfev += 3
            while sel.size:
                lanes = acc[sel]
                x = (t_out[lanes, k_next[lanes]] - t_prev[sel]) / h_used[sel]
                y_out[lanes, k_next[lanes]] = _eval_dense(F, y_prev[sel], x)
                k_next[lanes] += 1
                more = t_out[lanes, k_next[lanes]] <= t_new[sel]
                sel, F = sel[more], F[:, more]
        # events
        if events is not None:
            g_new = events(acc, y[acc])
            cross = (g_old[acc] > 0) & (g_new <= 0) & np.isnan(t_event[acc])
            if cross.any():
                rows, cols = np.nonzero(cross)
                brackets.append(
                    (acc[rows], cols, t_prev[rows], y_prev[rows], f_prev[rows],
                     h_used[rows], g_old[acc][rows, cols])
                )
                t_event[acc[rows], cols] = -1.0  # placeholder: located below
            g_old[acc] = g_new
        # stopping: at the last output, or (with `stop`) when the lane has
        # converged; its remaining outputs then hold the converged state
        fin = k_next[acc] >= Kout if stop is None else stop(acc, y[acc])
        newly = acc[fin]
        done[newly] = True
        t_stop[newly] = t[newly]
        y_stop[newly] = y[newly]
        if stop is not None:
            for lane in newly:
                y_out[lane, k_next[lane]:] = y[lane]
        late = acc[~fin & (t[acc] > t_max)]
        if late.size:
            raise RuntimeError(
                f"the flow had not converged by t_max = {t_max:g} (lane {late[0]}); "
                "pass a larger `t_max`."
            )

    if brackets:
        lanes = np.concatenate([b[0] for b in brackets])
        cols = np.concatenate([b[1] for b in brackets])
        t0 = np.concatenate([b[2] for b in brackets])
        yb = np.concatenate([b[3] for b in brackets])
        fb = np.concatenate([b[4] for b in brackets])
        hb = np.concatenate([b[5] for b in brackets])
        ga = np.concatenate([b[6] for b in brackets])
        root, extra = _locate(fun, events, lanes, cols, t0, yb, fb, hb, ga)
        nfev += extra
        t_event[lanes, cols] = t0 + root * hb
    return LaneResult(y_out, t_stop, y_stop, t_event, nfev, nsteps)


def _locate(fun, events, lanes, cols, t0, y, f, h, g_a, iters=60):
    """Illinois root search of ``events`` along steps; returns theta in (0, 1]."""
    m = lanes.size
    a = np.zeros(m)
    b = np.ones(m)
    ga = g_a.copy()
    yb, _, _ = _rk_step(fun, lanes, y, f, h)
    gb = events(lanes, yb)[np.arange(m), cols]
    nfev = _NS
    side = np.zeros(m)
    for _ in range(iters):
        # stop once the bracket is below round-off of the event time
        if np.all((b - a) * np.abs(h) <= 1e-13 * (np.abs(t0) + np.abs(h))):
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            c = b - gb * (b - a) / (gb - ga)
        c = np.where(np.isfinite(c) & (c > a) & (c < b), c, 0.5 * (a + b))
        yc, _, _ = _rk_step(fun, lanes, y, f, c * h)
        nfev += _NS
        gc = events(lanes, yc)[np.arange(m), cols]
        right = gc <= 0  # root in [a, c]
        # Illinois modification
        ga = np.where(right & (side == 1), ga / 2, ga)
        gb = np.where(~right & (side == -1), gb / 2, gb)
        b = np.where(right, c, b)
        gb = np.where(right, gc, gb)
        a = np.where(right, a, c)
        ga = np.where(right, ga, gc)
        side = np.where(right, 1, -1)
    return b, nfev
