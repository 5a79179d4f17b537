r"""The three stages of smoothed sign descent (Section 3.3.1 and Appendix A of the paper).

Numerics behind the stages chapter: its instances, the measurements along trajectories by which
it checks Propositions 3.4-3.7 and Lemmas A.1-A.3, and the dispersion measures of Figure 1.
Every measurement takes a :class:`ssdlib.Trajectory` of a problem under Assumption 3.2 and
returns the worst case over times and coordinates, so that a chapter compares it with the
criterion of the claim.

* Instances: :func:`admissible_instance`, :func:`fine_run`,
  :func:`flow_grid`; the block structure :func:`abs_xy`, :func:`block_index`.
* :func:`weight_flow` integrates the flow of eq. (16) in the weights :math:`w = (w_+, w_-)`
  themselves. :func:`ssdlib.simulate` integrates the dominating and non-dominating weights, and
  :func:`ssdlib.reference.reference_flow` their logarithms; in both the weights cannot change
  sign, so neither can test the first claim of Proposition 3.4. Here they can.
* Measurements: :func:`wrong_way_step` (Proposition 3.4), :func:`residual_sign_margin` and
  :func:`residual_increase` (Lemma A.1), :func:`order_gap` (Lemma A.2),
  :func:`v_bound_ratio` and :func:`residual_at` (Proposition 3.5), :func:`decay_exponent_ratio`
  and :func:`scaled_v_inf` (the book's remark on the decay of :math:`v`), :func:`dual_fd_error`
  and :func:`hessian_errors` (Proposition 3.6, eq. (20)), :func:`coordinate_stage_index` and
  :func:`convergence_stage` (Proposition 3.7), :func:`u_bound_ratio` (Lemma A.3).
* Figure 1: :func:`sd_slope`, :func:`initial_deviation`, :func:`block_spread`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.integrate import cumulative_trapezoid, solve_ivp

from .flow import Trajectory, simulate, simulate_batch
from .instances import NoAdmissibleSeedError
from .mirror import mirror_map
from .problem import Problem, _check_positive, check_assumptions, require
from .reference import ReferenceFlow, ReferenceFlowError, loss_gradient, weight_velocity

__all__ = [
    "AdmissibleInstance",
    "FineRun",
    "HessianErrors",
    "StageChecks",
    "abs_xy",
    "admissible_instance",
    "block_index",
    "block_spread",
    "convergence_stage",
    "coordinate_stage_index",
    "decay_exponent_ratio",
    "dual_fd_error",
    "fine_run",
    "flow_grid",
    "hessian_errors",
    "initial_deviation",
    "limit_gap",
    "order_gap",
    "residual_at",
    "residual_increase",
    "residual_sign_margin",
    "scaled_v_inf",
    "sd_slope",
    "u_bound_ratio",
    "v_bound_ratio",
    "weight_flow",
    "wrong_way_step",
]


def weight_flow(problem, alpha, eps, t_eval, *, rtol=1e-10, atol=1e-14):
    r"""Integrate the smoothed-sign-descent flow, eq. (16), in the weights themselves.

    Solves :math:`\dot w = -\nabla_w L(w) / (\lvert\nabla_w L(w)\rvert + \varepsilon)`,
    :math:`w(0) = \alpha\mathbf 1`, with :math:`L` of eq. (8) (the right-hand side is
    :func:`ssdlib.reference.weight_velocity`), by the implicit Radau method of
    ``scipy.integrate.solve_ivp`` on the full vector :math:`w \in \mathbb R^{2D}`: no block
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


# ----------------------------------------------------------------------------
# block structure and instances


def _blocks(problem):
    if not isinstance(problem, Problem):
        raise ValueError("`problem` must be an ssdlib.Problem; build it with `Problem(X, y)`.")
    require(problem, "3.2")
    return problem.blocks


def _traj(traj):
    if not isinstance(traj, Trajectory):
        raise ValueError("`traj` must be a Trajectory returned by `ssdlib.simulate`.")
    _blocks(traj.problem)
    return traj


def abs_xy(problem):
    r"""Shape (D,): :math:`\lvert x_i y^{(n)}\rvert` for every coordinate :math:`i` (block
    :math:`n`), the rate that appears in Assumption 3.3 and Proposition 3.5.

    Under Assumption 3.2 every column has one non-zero entry, so this is
    :math:`\lvert (X^\top y)_i\rvert`.

    Raises
    ------
    ValueError
        If ``problem`` violates Assumption 3.2.
    """
    _blocks(problem)
    return np.abs(problem.X.T @ problem.y)


def block_index(problem):
    """Shape (D,), int: the block ``n`` (row of ``X``) that holds each coordinate.

    Raises
    ------
    ValueError
        If ``problem`` violates Assumption 3.2.
    """
    blocks = _blocks(problem)
    out = np.empty(problem.D, dtype=int)
    for n, b in enumerate(blocks):
        out[b] = n
    return out


class AdmissibleInstance(NamedTuple):
    """Result of :func:`admissible_instance`."""

    problem: Problem
    sizes: list
    seed: int
    alpha: float
    eps: float


def admissible_instance(sizes, eps, *, seeds=range(1, 200)):
    r"""The first ``Problem.random_blocks(sizes, seed)`` that admits ``eps``, at the middle
    :math:`\alpha`.

    A seed qualifies when eq. (18) holds at ``eps`` for every coordinate and the interval of
    eq. (19) for :math:`\alpha` is not empty; :math:`\alpha` is its geometric mean, so that
    Assumption 3.3 holds with room on both sides.

    Parameters
    ----------
    sizes : list of int
        Block sizes.
    eps : float
        Stability constant, ``> 0``.
    seeds : iterable of int, keyword-only

    Returns
    -------
    AdmissibleInstance

    Raises
    ------
    ssdlib.instances.NoAdmissibleSeedError
        If no seed qualifies.
    """
    eps = _check_positive("eps", eps)
    for seed in seeds:
        prob = Problem.random_blocks(sizes, seed)
        rep = check_assumptions(prob, 1.0, eps)  # eq. (18) and the interval do not use alpha
        lo, hi = rep.alpha_interval
        if rep.eps_ok.all() and lo < hi:
            alpha = float(np.sqrt(lo * hi))
            return AdmissibleInstance(prob, list(sizes), int(seed), alpha, eps)
    raise NoAdmissibleSeedError(
        f"no seed gives blocks {list(sizes)} that admit eps = {eps:g}; try more `seeds` or a "
        "smaller `eps`."
    )


class FineRun(NamedTuple):
    """Result of :func:`fine_run`: the trajectory and, shape (3, K), the grid indices of the
    times :math:`s - \\delta, s, s + \\delta` of the central differences."""

    traj: Trajectory
    fd_index: np.ndarray


def fine_run(problem, alpha, eps, *, n_grid=2001, n_fd=200, delta=1e-6, extend=1.05):
    r"""A trajectory for the checks: a fine grid past convergence plus difference triplets.

    The grid has ``n_grid`` points on :math:`[0, \mathrm{extend}\cdot t_c]` (:math:`t_c`: the
    convergence time of :func:`ssdlib.simulate`) and ``n_fd`` triplets
    :math:`s - \delta, s, s + \delta` with :math:`s` spread over :math:`(0, t_c)`, between the
    grid points, for central differences of the dual variable.

    Parameters
    ----------
    problem : Problem
    alpha : float
    eps : float
        ``> 0``.
    n_grid, n_fd : int, keyword-only
        ``>= 2`` and ``>= 1``.
    delta : float, keyword-only
        Half-width of the central differences, ``> 0`` and small against ``t_c / n_fd``.
    extend : float, keyword-only
        ``>= 1``.

    Returns
    -------
    FineRun
    """
    if int(n_grid) < 2 or int(n_fd) < 1 or float(extend) < 1:
        raise ValueError("`n_grid` must be >= 2, `n_fd` >= 1 and `extend` >= 1.")
    delta = _check_positive("delta", delta)
    t_c = simulate(problem, alpha, eps).t_converged
    if delta >= 0.1 * t_c / n_fd:
        raise ValueError(f"`delta` must be small against t_c / n_fd = {t_c / n_fd:.3g}.")
    base = np.linspace(0.0, extend * t_c, int(n_grid))
    s = np.linspace(0.0, t_c, int(n_fd) + 1)[1:] - 0.37 * t_c / n_fd  # between grid points
    t = np.unique(np.concatenate([base, s - delta, s, s + delta]))
    traj = simulate(problem, alpha, eps, t_eval=t)
    return FineRun(traj, np.array([np.searchsorted(t, s + d) for d in (-delta, 0.0, delta)]))


def flow_grid(problem, alphas, epss, t_eval):
    """Trajectories for every pair of ``alphas`` x ``epss``, from one :func:`ssdlib.simulate_batch`
    call, as a dict keyed by ``(alpha, eps)``."""
    a, e = np.meshgrid(np.asarray(alphas, float), np.asarray(epss, float), indexing="ij")
    trajs = simulate_batch(problem, a.ravel(), e.ravel(), t_eval=t_eval)
    return dict(zip(zip(a.ravel().tolist(), e.ravel().tolist(), strict=True), trajs,
                    strict=True))


# ----------------------------------------------------------------------------
# measurements along trajectories (worst case over times and coordinates)


def wrong_way_step(u, v):
    r"""Largest step against Proposition 3.4: :math:`\max(-\min \Delta u, \max \Delta v)` over
    consecutive rows of ``u`` and ``v`` (shape (T, D)); :math:`\le 0` when :math:`u` never
    decreases and :math:`v` never increases."""
    u, v = np.asarray(u, float), np.asarray(v, float)
    if u.ndim != 2 or u.shape != v.shape or u.shape[0] < 2:
        raise ValueError("`u` and `v` must have the same shape (T, D) with T >= 2.")
    return float(max(-np.diff(u, axis=0).min(), np.diff(v, axis=0).max()))


def residual_sign_margin(traj):
    r"""Lemma A.1: :math:`\min_{t,n} \operatorname{sgn}(y_n) r_n(t) / \lvert y_n\rvert`
    (:math:`\ge 0` when no residual changes sign)."""
    y = _traj(traj).problem.y
    return float((traj.residual * np.sign(y) / np.abs(y)).min())


def residual_increase(traj):
    r"""Lemma A.1: the largest increase of :math:`\lvert r_n\rvert / \lvert y_n\rvert` between
    consecutive grid points (:math:`\le 0` when every :math:`\lvert r_n\rvert` is
    non-increasing)."""
    y = _traj(traj).problem.y
    return float((np.diff(np.abs(traj.residual), axis=0) / np.abs(y)).max())


def order_gap(traj):
    r"""Lemma A.2: :math:`\min (u_i(t) - u_j(t))` over times and ordered pairs :math:`i \ne j`
    of one block with :math:`\lvert x_i\rvert \ge \lvert x_j\rvert` (:math:`+\infty` without
    such pairs; :math:`0` at :math:`t = 0`)."""
    prob = _traj(traj).problem
    gap = np.inf
    for n, b in enumerate(prob.blocks):
        ax = np.abs(prob.X[n, b])
        for a, i in enumerate(b):
            for c, j in enumerate(b):
                if i != j and ax[a] >= ax[c]:
                    gap = min(gap, float((traj.u[:, i] - traj.u[:, j]).min()))
    return gap


def v_bound_ratio(traj):
    r"""Proposition 3.5: :math:`\max_{t \ge T_0,\,i} v_i(t)\lvert x_i y\rvert / (2\varepsilon)`
    (:math:`\le 1` when the bound holds)."""
    _traj(traj)
    after = traj.t >= traj.T0
    return float((traj.v[after] * abs_xy(traj.problem) / (2 * traj.eps)).max())


def residual_at(traj, t):
    r"""Shape (N,): :math:`\lvert r_n(t)\rvert / \lvert y_n\rvert`, interpolated linearly on the
    grid (the proof of Proposition 3.5 needs it :math:`\ge 1/2` at :math:`t = 2\alpha`)."""
    y = _traj(traj).problem.y
    if not traj.t[0] <= t <= traj.t[-1]:
        raise ValueError(f"`t` must lie on the grid [{traj.t[0]:g}, {traj.t[-1]:g}].")
    return np.abs([np.interp(t, traj.t, r) for r in traj.residual.T]) / np.abs(y)


def decay_exponent_ratio(traj, *, min_exponent=1e-2, v_floor=1e-250):
    r"""The book's remark on the decay of :math:`v`: the range of
    :math:`\log(v_i(T_0)/v_i(t)) \big/ \bigl(\tfrac{\lvert x_i\rvert}{2\varepsilon}\int_{T_0}^t
    \lvert r_n\rvert\bigr)` over :math:`t \ge T_0` and :math:`i` (the remark puts it in
    :math:`[1, 2]`).

    The integral is the trapezoidal rule on the grid. Points where the exponent is below
    ``min_exponent`` (where the ratio is 0/0) or :math:`v_i < ` ``v_floor`` (near underflow)
    are left out.

    Returns
    -------
    lo, hi : float
        Smallest and largest ratio (NaN if no point is left).
    """
    prob = _traj(traj).problem
    after = traj.t >= traj.T0
    integral = cumulative_trapezoid(np.abs(traj.residual[after]), traj.t[after], axis=0,
                                    initial=0)
    exponent = np.abs(prob.X).sum(axis=0) * integral[:, block_index(prob)] / (2 * traj.eps)
    v = traj.v[after]
    ok = (exponent > min_exponent) & (v > v_floor)
    if not ok.any():
        return float("nan"), float("nan")
    ratio = np.log(v[0] / np.where(ok, v, 1.0))[ok] / exponent[ok]
    return float(ratio.min()), float(ratio.max())


def scaled_v_inf(traj):
    r""":math:`\max_i v_i^\infty \lvert x_i y\rvert / (2\varepsilon)`: the limit of the
    non-dominating weights in units of the bound of Proposition 3.5."""
    _traj(traj)
    return float((traj.v_inf * abs_xy(traj.problem) / (2 * traj.eps)).max())


def dual_fd_error(run):
    r"""Eq. (20): the largest difference between a central difference of the dual variable
    :math:`\nabla\Phi_t(\beta(t))` (from ``mirror_map(beta, v)``, eq. of Proposition 3.6) and
    the right-hand side :math:`-\operatorname{sgn}(\beta)\odot\nabla_u L/(\lvert\nabla_u L
    \rvert + \varepsilon)`, over the triplets of a :func:`fine_run`.

    The error of the difference is :math:`O(\delta^2)` plus the integration error over
    :math:`\delta`, about ``rtol`` / :math:`\delta`.
    """
    if not isinstance(run, FineRun):
        raise ValueError("`run` must be a FineRun returned by `fine_run`.")
    tr, (km, k0, kp) = _traj(run.traj), run.fd_index
    dual = mirror_map(tr.beta, tr.v)
    fd = (dual[kp] - dual[km]) / (tr.t[kp] - tr.t[km])[:, None]
    g = tr.grad_u[k0]
    rhs = -np.sign(tr.beta[k0]) * g / (np.abs(g) + tr.eps)
    return float(np.abs(fd - rhs).max())


class HessianErrors(NamedTuple):
    """Result of :func:`hessian_errors`."""

    book: float
    paper: float
    n_negative: int


def hessian_errors(traj, *, t_min=0.2, h=1e-7):
    r"""The Hessian of :math:`\Phi_t` in the proof of Proposition 3.6, by central differences
    of ``mirror_map`` in :math:`\beta` at the states of ``traj`` with :math:`t > t_{\min}`.

    Returns
    -------
    HessianErrors
        ``book``: largest relative error against :math:`\frac12(\lvert\beta_i\rvert +
        v_i^2)^{-1/2}`; ``paper``: against the proof's :math:`\operatorname{sgn}(\beta_i)
        \frac12(\lvert\beta_i\rvert + v_i^2)^{-1/2}` (2 where :math:`\beta_i < 0`);
        ``n_negative``: how many entries have :math:`\beta_i < 0`.
    """
    _traj(traj)
    h = _check_positive("h", h)
    k = traj.t > t_min
    if not k.any():
        raise ValueError(f"`t_min` must be below the end of the grid, {traj.t[-1]:g}.")
    beta, v = traj.beta[k], traj.v[k]
    fd = (mirror_map(beta + h, v) - mirror_map(beta - h, v)) / (2 * h)
    book = 1 / (2 * np.sqrt(np.abs(beta) + v**2))
    return HessianErrors(float(np.abs(fd / book - 1).max()),
                         float(np.abs(fd / (np.sign(beta) * book) - 1).max()),
                         int(np.sum(beta < 0)))


def coordinate_stage_index(traj):
    r"""Shape (D,), int: per coordinate the first grid index with :math:`\lvert\nabla_u L
    \rvert_i \le \varepsilon` (the grid version of :math:`T_i` in the proof of Proposition 3.7).

    Raises
    ------
    ValueError
        If some coordinate never reaches :math:`\varepsilon` on the grid.
    """
    f = np.abs(_traj(traj).grad_u) / traj.eps
    reached = f <= 1
    if not reached.any(axis=0).all():
        raise ValueError("`traj` ends before every |grad_u L|_i reaches eps; extend its grid.")
    return np.argmax(reached, axis=0)


class StageChecks(NamedTuple):
    """Result of :func:`convergence_stage`."""

    after_max: float
    eq51_ratio: float
    grid_offset: float


def convergence_stage(traj):
    r"""Proposition 3.7 on the grid, with :math:`T_i` from :func:`coordinate_stage_index`.

    Returns
    -------
    StageChecks
        ``after_max``: :math:`\max_{i,\,t \ge T_i} \lvert\nabla_u L\rvert_i / \varepsilon` (the
        proposition: :math:`\le 1`); ``eq51_ratio``: the largest :math:`\lvert r(T_i)\rvert`
        over the bound :math:`\frac{m}{2\lvert x_i\rvert}\lvert y\rvert` of eq. (51),
        :math:`m = \min_j \lvert x_j\rvert` over the block, at the grid point before
        :math:`T_i` (where :math:`\lvert r\rvert` is larger; the proof: :math:`< 1`);
        ``grid_offset``: :math:`\lvert \min_i T_i - T\rvert` in (largest) grid steps, for the
        event time ``traj.T``.
    """
    first = coordinate_stage_index(traj)
    prob = traj.problem
    f = np.abs(traj.grad_u) / traj.eps
    after_max = max(float(f[k:, i].max()) for i, k in enumerate(first))
    n_of, ax = block_index(prob), np.abs(prob.X).sum(axis=0)
    m = np.array([ax[b].min() for b in prob.blocks])[n_of]
    r_before = np.abs(traj.residual[np.maximum(first - 1, 0), n_of]) / np.abs(prob.y[n_of])
    offset = abs(traj.t[first].min() - traj.T) / np.diff(traj.t).max()
    return StageChecks(after_max, float((r_before / (m / (2 * ax))).max()), float(offset))


def u_bound_ratio(traj):
    r"""Proof of Lemma A.3: :math:`\max_{t,n} \sum_{k} \lvert x_k\rvert u_k^2 \big/
    (\lvert y_n\rvert + \alpha^2 \sum_k \lvert x_k\rvert)` over the blocks (:math:`\le 1`)."""
    ax = np.abs(_traj(traj).problem.X)  # (N, D)
    lhs = traj.u**2 @ ax.T  # (T, N)
    return float((lhs / (np.abs(traj.problem.y) + traj.alpha**2 * ax.sum(axis=1))).max())


# ----------------------------------------------------------------------------
# Figure 1: speeds and dispersion


def sd_slope(traj):
    r"""Shape (D,): the average slope of :math:`\lvert\nabla\Phi_t\rvert_i = u_i` over the sign
    descent stage :math:`[T_0, T]` (by eq. (20) it lies in :math:`(\frac12, 1)`; 1 for sign
    flow)."""
    _traj(traj)
    if not traj.T > traj.T0:
        raise ValueError("`traj` has no sign descent stage (T <= T0 or NaN).")
    ud = np.abs(traj.dual)
    at = [np.array([np.interp(s, traj.t, ud[:, i]) for i in range(ud.shape[1])])
          for s in (traj.T0, traj.T)]
    return (at[1] - at[0]) / (traj.T - traj.T0)


def initial_deviation(traj):
    r""":math:`\max_{t \le T_0} \lvert\beta - \operatorname{sgn}(x_i y)\, 4\alpha t\rvert`
    relative to :math:`4\alpha T_0`: how far the initial stage is from the sign-flow line
    (0 for sign flow when :math:`T_0 = \alpha`)."""
    _traj(traj)
    m = traj.t <= traj.T0
    line = traj.sign * 4 * traj.alpha * traj.t[m, None]
    return float(np.abs(traj.beta[m] - line).max() / (4 * traj.alpha * traj.T0))


def block_spread(traj):
    r"""Shape (N,): the spread (max - min) of the limits :math:`u_i^\infty =
    \lvert\nabla\Phi_\infty\rvert_i` within each block (0 for sign flow)."""
    _traj(traj)
    return np.array([np.ptp(traj.u_inf[b]) for b in traj.problem.blocks])


def limit_gap(traj, flow):
    r"""The largest difference between the limit :math:`w^\infty` of ``traj`` (a
    :class:`ssdlib.Trajectory`) and the last state of ``flow`` (a
    :class:`ssdlib.reference.ReferenceFlow`, e.g. from :func:`weight_flow`), relative to
    :math:`\max_i \lvert w_i^\infty\rvert`."""
    _traj(traj)
    if not isinstance(flow, ReferenceFlow):
        raise ValueError("`flow` must be a ReferenceFlow, e.g. from `weight_flow`.")
    if flow.w_plus.shape[-1] != traj.problem.D:
        raise ValueError("`flow` and `traj` must solve the same problem (same D).")
    w_inf = np.concatenate([traj.w_plus_inf, traj.w_minus_inf])
    w_end = np.concatenate([flow.w_plus[-1], flow.w_minus[-1]])
    return float(np.abs(w_end - w_inf).max() / np.abs(w_inf).max())
