r"""Smoothed sign descent of depth :math:`H`: potentials, dual dynamics and the order of ``v``.

The last paragraph of Section 3 of the paper (Wang and Klabjan, UAI 2025) extends the mirror
picture from :math:`\beta = w_+^2 - w_-^2` to :math:`\beta = w_+^H - w_-^H` and states three
formulas without proof. The book's higher-order chapter checks them with the functions here:

* the potential the paper states, :func:`paper_potential` and its gradient
  :func:`paper_mirror_map`, against the dual dynamics, eq. (20) (:func:`dual_rhs`,
  :func:`dual_rate_error`, :func:`paper_rate_fit`, :func:`depth_dual_check`); the potential the
  flow follows is :func:`ssdlib.potential` (the book's eq. :eq:`eq-ho-potential`);
* the order of the non-dominating weight ``v`` in ``eps`` (book, Proposition ``prop-ho-v``):
  :func:`v_sweep` (``max_i v_i(T0)`` and ``v_inf`` over a sweep of ``eps``), the exact identity
  :eq:`eq-ho-vinf` (:func:`S_integral`, :func:`log_v_inf`, :func:`implied_S`,
  :func:`v_inf_identity_error`), its ``eps -> 0`` limit :eq:`eq-ho-S0` (:func:`sign_flow_S0`,
  :func:`S_convergence`); the rates themselves are fitted with :mod:`ssdlib.fits`;
* the limit :math:`H \to \infty` on one row (book, Proposition ``prop-ho-limit``):
  :func:`lp_minimiser`, :func:`top_share`, :func:`l1_over_l2`, :func:`relative_spread`;
* flows for the experiments: :func:`sign_start_alpha`, :func:`dense_flow`,
  :class:`DepthFlowCache`.

Equation numbers are those of the chapter on higher-order models.
Nothing here imports matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import trapezoid

from .flow import Trajectory, simulate, simulate_batch
from .mirror import _beta_v, mirror_map
from .problem import Problem, _check_depth, _check_positive, require

__all__ = [
    "DepthDualCheck",
    "DepthFlowCache",
    "PaperRateFit",
    "SConvergence",
    "VSweep",
    "S_convergence",
    "S_integral",
    "dense_flow",
    "depth_dual_check",
    "dual_rate_error",
    "dual_rhs",
    "implied_S",
    "l1_over_l2",
    "log_v_inf",
    "lp_minimiser",
    "paper_mirror_map",
    "paper_potential",
    "paper_rate_fit",
    "relative_spread",
    "sign_flow_S0",
    "sign_start_alpha",
    "top_share",
    "v_inf_identity_error",
    "v_sweep",
]

SKIP = 2
"""Central differences that use ``t = 0`` (where ``beta = 0`` is the kink of the potentials)
are left out: the first ``SKIP`` times, and the last time (a one-sided difference)."""


# ----------------------------------------------------------------------------------------
# validation


def _require_problem(problem):
    if not isinstance(problem, Problem):
        raise ValueError("`problem` must be an ssdlib.Problem; build one with Problem(X, y).")
    require(problem, "3.2")


def _require_traj(traj, *, dense=False):
    if not isinstance(traj, Trajectory):
        raise ValueError("`traj` must be an ssdlib Trajectory, the result of `simulate`.")
    if dense and traj.t.size < SKIP + 3:
        raise ValueError(
            f"`traj` must have at least {SKIP + 3} output times for central differences; "
            "simulate it on a dense grid, e.g. with `dense_flow`."
        )


def _as_eps(eps):
    eps = np.asarray(eps, dtype=float)
    if eps.ndim != 1 or eps.size < 2 or np.any(~np.isfinite(eps)) or np.any(eps <= 0):
        raise ValueError("`eps` must be a 1-D array of at least 2 finite values > 0.")
    return eps


def _column_scale(problem):
    """``|x_i|`` (the one non-zero entry of column ``i``), shape (D,)."""
    return np.abs(problem.X).max(axis=0)


def _row_of(problem):
    """The block (row) of every column, shape (D,)."""
    row = np.empty(problem.D, dtype=int)
    for n, b in enumerate(problem.blocks):
        row[b] = n
    return row


# ----------------------------------------------------------------------------------------
# flows for the experiments


def sign_start_alpha(problem, depth, eps, *, floor=0.1):
    r"""The smallest ``alpha >= floor`` (rounded up to 2 decimals) with a sign-descent start.

    At ``t = 0`` the gradient of the dominating weight is
    ``f_i(0) = H/2 |x_i| alpha^(H-1) |y_n|`` (eq. :eq:`eq-ho-uv`); the flow starts in the
    sign-descent regime of the paper's three stages when every ``f_i(0) >= 2 eps``.

    Parameters
    ----------
    problem : Problem
        Data satisfying Assumption 3.2.
    depth : int
        ``H >= 2``.
    eps : float
        ``> 0``.
    floor : float, optional
        Lower bound on ``alpha`` (default 0.1).

    Returns
    -------
    float
    """
    _require_problem(problem)
    H = _check_depth(depth)
    eps = _check_positive("eps", eps)
    floor = _check_positive("floor", floor)
    ay = min(np.abs(problem.X[n, b]).min() * abs(problem.y[n])
             for n, b in enumerate(problem.blocks))
    a = (2 * eps / (H / 2 * ay)) ** (1 / (H - 1))
    return max(floor, float(np.ceil(a * 100) / 100))


def dense_flow(problem, alpha, eps, depth, *, n=4001):
    """:func:`ssdlib.simulate` on ``n`` equally spaced times up to 1.1 times the convergence time.

    Two runs: the first finds the convergence time, the second outputs on the grid (for finite
    differences along the flow).

    Parameters
    ----------
    problem : Problem
    alpha, eps : float
    depth : int
    n : int, optional
        Number of output times (default 4001), at least 5.

    Returns
    -------
    Trajectory
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 5:
        raise ValueError("`n` must be an integer >= 5 (the number of output times).")
    t_c = simulate(problem, alpha, eps, depth=depth, t_eval=np.array([0.0])).t_converged
    return simulate(problem, alpha, eps, depth=depth, t_eval=np.linspace(0, 1.1 * t_c, n))


class DepthFlowCache:
    """Flows of several depths and values of ``eps`` on one problem, computed once.

    One :func:`ssdlib.simulate_batch` run per depth finds the convergence times, a second one
    outputs every flow of that depth on ``n`` times up to 1.1 times the largest of them. A
    widget then only looks flows up (:meth:`flow`).

    Parameters
    ----------
    problem : Problem
    alpha : float
    eps : array_like, shape (E,)
        Values of ``eps``, ``> 0``.
    depths : sequence of int
    n : int, optional
        Output times per flow (default 801).

    Attributes
    ----------
    problem : Problem
    eps : ndarray, shape (E,)
    depths : list of int
    """

    def __init__(self, problem, alpha, eps, depths, *, n=801):
        eps = np.atleast_1d(np.asarray(eps, dtype=float))
        if eps.ndim != 1 or np.any(~np.isfinite(eps)) or np.any(eps <= 0):
            raise ValueError("`eps` must be a 1-D array of finite values > 0.")
        self.problem, self.eps = problem, eps
        self.depths = [_check_depth(H) for H in depths]
        self._flows = {}
        for H in self.depths:
            t_c = max(tr.t_converged for tr in
                      simulate_batch(problem, alpha, eps, depth=H, t_eval=np.array([0.0])))
            grid = np.linspace(0, 1.1 * t_c, n)
            for k, tr in enumerate(simulate_batch(problem, alpha, eps, depth=H, t_eval=grid)):
                self._flows[H, k] = tr

    def flow(self, depth, eps):
        """The cached flow of this depth and ``eps`` (matched to a relative 1e-6).

        Raises
        ------
        KeyError
            If no flow of that depth and ``eps`` was computed.
        """
        k = np.flatnonzero(np.isclose(self.eps, eps, rtol=1e-6, atol=0))
        if k.size == 0 or (depth, int(k[0])) not in self._flows:
            raise KeyError(f"no cached flow for depth {depth} and eps {eps}; the cache holds "
                           f"depths {self.depths} and eps {self.eps.tolist()}.")
        return self._flows[depth, int(k[0])]


# ----------------------------------------------------------------------------------------
# the paper's potential and the dual dynamics


def paper_potential(beta, v, depth):
    r"""The potential the paper states for depth ``H``: ``sum_i (|beta_i| + v_i^H)^(2 - 1/H)``.

    Parameters
    ----------
    beta : array_like, shape (..., D)
    v : array_like, broadcastable to ``beta``, ``>= 0``
    depth : int

    Returns
    -------
    ndarray, shape (...)
    """
    beta, v, H = _beta_v(beta, v, depth)
    return np.sum((np.abs(beta) + v**H) ** (2 - 1 / H), axis=-1)


def paper_mirror_map(beta, v, depth):
    """Gradient of :func:`paper_potential`: ``(2 - 1/H) sgn(beta) (|beta| + v^H)^(1 - 1/H)``.

    Along the flow ``|beta| + v^H = u^H``, so this is ``(2 - 1/H) sgn(beta) u^(H-1)``
    (the book's eq. :eq:`eq-ho-paper-rate`); 0 where ``beta = 0``.

    Returns
    -------
    ndarray, same shape as ``beta``
    """
    beta, v, H = _beta_v(beta, v, depth)
    return (2 - 1 / H) * np.sign(beta) * (np.abs(beta) + v**H) ** (1 - 1 / H)


def dual_rhs(traj):
    """Right-hand side of eq. (20): ``-sgn(beta) grad_u L / (|grad_u L| + eps)``, shape (T, D).

    ``sgn(beta)`` is ``sgn(x_i y)`` for ``t > 0`` (``traj.sign``); at ``t = 0``, where
    ``beta = 0``, that is the sign the flow leaves 0 with.
    """
    _require_traj(traj)
    g = traj.grad_u
    return -traj.sign * g / (np.abs(g) + traj.eps)


def _rates(traj, z):
    """Central-difference rate of ``z`` (T, D) and eq. (20), on the inner times."""
    z = np.asarray(z, dtype=float)
    if z.shape != traj.beta.shape:
        raise ValueError(f"`z` must have the shape of `traj.beta`, {traj.beta.shape}; "
                         f"got {z.shape}.")
    inner = slice(SKIP, -1)
    return np.gradient(z, traj.t, axis=0)[inner], dual_rhs(traj)[inner]


def dual_rate_error(traj, z):
    """How far ``z(t)`` is from moving as eq. (20) says.

    ``max |dz/dt - rhs of (20)| / max |rhs|`` over the inner output times (see ``SKIP``),
    ``dz/dt`` by central differences (``numpy.gradient``).

    Parameters
    ----------
    traj : Trajectory
        On a dense time grid (e.g. :func:`dense_flow`).
    z : array_like, shape (T, D)
        A candidate dual variable along ``traj``, e.g. ``traj.dual`` or
        ``mirror_map(traj.beta, traj.v, traj.depth)``.

    Returns
    -------
    float
    """
    _require_traj(traj, dense=True)
    fd, r = _rates(traj, z)
    return float(np.abs(fd - r).max() / np.abs(r).max())


@dataclass(frozen=True)
class PaperRateFit:
    """The rate of a candidate mirror map, scaled by its best constant, against eq. (20).

    Attributes
    ----------
    c : float
        Least-squares constant: ``c * d/dt map`` closest to the right-hand side of (20).
    mismatch : float
        ``max |c * d/dt map - rhs| / max |rhs|``.
    ratio_min, ratio_max : float
        Range of ``(d/dt map) / rhs`` where ``|rhs| > 0.5`` (a constant ratio means the map is
        a multiple of the dual variable).
    """

    c: float
    mismatch: float
    ratio_min: float
    ratio_max: float


def paper_rate_fit(traj, paper_map=None):
    """Fit ``c * d/dt paper_map(beta(t), v(t), H)`` to eq. (20) along ``traj``.

    With the best constant ``c`` the mismatch cannot be blamed on a normalisation; for
    ``H = 2`` the paper's potential gives ``c = 2/3`` (Proposition 3.6) and no mismatch.

    Parameters
    ----------
    traj : Trajectory
        On a dense time grid.
    paper_map : callable, optional
        ``paper_map(beta, v, depth)``; default :func:`paper_mirror_map`.

    Returns
    -------
    PaperRateFit
    """
    _require_traj(traj, dense=True)
    paper_map = paper_mirror_map if paper_map is None else paper_map
    fp, r = _rates(traj, paper_map(traj.beta, traj.v, traj.depth))
    c = float(np.sum(fp * r) / np.sum(fp**2))
    big = np.abs(r) > 0.5
    ratio = fp[big] / r[big]
    return PaperRateFit(c=c, mismatch=float(np.abs(c * fp - r).max() / np.abs(r).max()),
                        ratio_min=float(ratio.min()), ratio_max=float(ratio.max()))


@dataclass(frozen=True)
class DepthDualCheck:
    """The dual dynamics of one depth-H flow (the book's Proposition ``prop-ho-dual``).

    Attributes
    ----------
    monotone : float
        Largest decrease of ``u`` or increase of ``v`` between output times (0 up to
        round-off when ``u`` grows and ``v`` shrinks).
    map_vs_dual : float
        ``max |mirror_map(beta, v, H) - traj.dual|`` over ``t > 0``.
    dual_error, map_error : float
        :func:`dual_rate_error` of ``traj.dual`` and of ``mirror_map(beta(t), v(t), H)``.
    paper : PaperRateFit
        The paper's mirror map against eq. (20).
    """

    monotone: float
    map_vs_dual: float
    dual_error: float
    map_error: float
    paper: PaperRateFit


def depth_dual_check(traj):
    """All checks of the dual dynamics of depth ``H`` along one dense flow.

    Parameters
    ----------
    traj : Trajectory
        A smoothed-sign-descent flow on a dense grid (:func:`dense_flow`).

    Returns
    -------
    DepthDualCheck
    """
    _require_traj(traj, dense=True)
    z = mirror_map(traj.beta, traj.v, traj.depth)
    monotone = max(-np.diff(traj.u, axis=0).min(), np.diff(traj.v, axis=0).max())
    return DepthDualCheck(
        monotone=float(monotone),
        map_vs_dual=float(np.abs(z - traj.dual)[1:].max()),
        dual_error=dual_rate_error(traj, traj.dual),
        map_error=dual_rate_error(traj, z),
        paper=paper_rate_fit(traj),
    )


# ----------------------------------------------------------------------------------------
# the order of v


@dataclass(frozen=True)
class VSweep:
    """The non-dominating weight over a sweep of ``eps`` (one depth, one ``alpha``).

    Attributes
    ----------
    problem : Problem
    alpha : float
    depth : int
    eps : ndarray, shape (E,)
    T0 : ndarray, shape (E,)
        Stage time ``T0`` of each flow.
    v_T0 : ndarray, shape (E,)
        ``max_i v_i(T0)``, the largest value of ``v`` on ``[T0, inf)``.
    v_inf : ndarray, shape (E, D)
        ``v_{i,inf}`` (0 where it underflows).
    """

    problem: Problem
    alpha: float
    depth: int
    eps: np.ndarray
    T0: np.ndarray
    v_T0: np.ndarray
    v_inf: np.ndarray


def v_sweep(problem, alpha, eps, depth):
    """``max_i v_i(T0)`` and ``v_inf`` for every ``eps``, from two vectorised runs.

    The first run finds ``T0`` and the limits; the second outputs exactly at the ``T0`` of
    each ``eps`` (the book's Proposition ``prop-ho-v``, part 1).

    Parameters
    ----------
    problem : Problem
    alpha : float
    eps : array_like, shape (E,)
    depth : int

    Returns
    -------
    VSweep
    """
    _require_problem(problem)
    eps = _as_eps(eps)
    runs = simulate_batch(problem, alpha, eps, depth=depth, t_eval=np.array([0.0]))
    T0 = np.array([tr.T0 for tr in runs])
    times = np.unique(T0)
    at_T0 = simulate_batch(problem, alpha, eps, depth=depth, t_eval=times)
    v_T0 = np.array([tr.v[np.searchsorted(times, t0)].max()
                     for tr, t0 in zip(at_T0, T0, strict=True)])
    return VSweep(problem=problem, alpha=float(alpha), depth=_check_depth(depth), eps=eps,
                  T0=T0, v_T0=v_T0, v_inf=np.array([tr.v_inf for tr in runs]))


def S_integral(traj):
    r"""``S_i = int_0^inf eps s_n(t) / (h_i(t) + eps) dt`` by the trapezoidal rule, shape (D,).

    ``s_n = |r_n|`` is the residual of the block of coordinate ``i`` and ``h_i = |grad_v L|_i``
    (the book's Proposition ``prop-ho-v``); ``traj`` must reach convergence on its grid.
    """
    _require_traj(traj, dense=True)
    require(traj.problem, "3.2")
    s = np.abs(traj.residual[:, _row_of(traj.problem)])
    return trapezoid(traj.eps * s / (np.abs(traj.grad_v) + traj.eps), traj.t, axis=0)


def log_v_inf(alpha, abs_x, S, eps, depth):
    r"""Logarithm of ``v_{i,inf}`` by the identity :eq:`eq-ho-vinf`.

    ``v_inf^-(H-2) = alpha^-(H-2) + H (H-2) |x_i| S_i / (2 eps)`` for ``H >= 3`` and
    ``v_inf = alpha exp(-|x_i| S_i / eps)`` for ``H = 2``.

    Parameters
    ----------
    alpha, eps : float
    abs_x, S : array_like, shape (D,)
        ``|x_i|`` and ``S_i`` (:func:`S_integral`, or :func:`sign_flow_S0` as ``eps -> 0``).
    depth : int

    Returns
    -------
    ndarray, shape (D,)
    """
    H = _check_depth(depth)
    alpha = _check_positive("alpha", alpha)
    eps = _check_positive("eps", eps)
    a, S = np.asarray(abs_x, dtype=float), np.asarray(S, dtype=float)
    if H == 2:
        return np.log(alpha) - a * S / eps
    return -np.log(alpha ** (-(H - 2)) + H * (H - 2) * a * S / (2 * eps)) / (H - 2)


def implied_S(v_inf, alpha, abs_x, eps, depth):
    """``S_i`` that the identity :eq:`eq-ho-vinf` implies for measured limits ``v_inf``.

    Parameters
    ----------
    v_inf : array_like, shape (..., D)
        ``> 0``.
    alpha : float
    abs_x : array_like, shape (D,)
    eps : float or array_like broadcastable against ``v_inf`` (e.g. shape (E, 1))
    depth : int

    Returns
    -------
    ndarray, shape of ``v_inf``
    """
    H = _check_depth(depth)
    alpha = _check_positive("alpha", alpha)
    v = np.asarray(v_inf, dtype=float)
    if np.any(~(v > 0)):
        raise ValueError("`v_inf` must be > 0; drop the values of eps where it underflows.")
    a, e = np.asarray(abs_x, dtype=float), np.asarray(eps, dtype=float)
    if H == 2:
        return e * (np.log(alpha) - np.log(v)) / a
    return 2 * e * (v ** (-(H - 2)) - alpha ** (-(H - 2))) / (H * (H - 2) * a)


def v_inf_identity_error(traj):
    """Largest relative error of the identity :eq:`eq-ho-vinf` along one dense flow.

    ``S_i`` by :func:`S_integral`; compared are ``v_inf`` for ``H >= 3`` and ``log v_inf``
    for ``H = 2`` (where ``v_inf`` is exponentially small).

    Returns
    -------
    float
    """
    _require_traj(traj, dense=True)
    pred = log_v_inf(traj.alpha, _column_scale(traj.problem), S_integral(traj), traj.eps,
                     traj.depth)
    if traj.depth == 2:
        got = np.log(traj.v_inf)
    else:
        pred, got = np.exp(pred), traj.v_inf
    return float(np.abs(pred / got - 1).max())


def sign_flow_S0(problem, alpha, depth):
    r"""``S^0_n`` of the sign flow (eq. :eq:`eq-ho-S0`), per coordinate, and where it applies.

    With ``A_n = sum_{k in block n} |x_k|`` and ``t*_n = (|y_n|/A_n)^(1/H) - alpha``,
    ``S^0_n = |y_n| (t*_n - alpha) - A_n ((alpha + t*_n)^(H+1) - (2 alpha)^(H+1)) / (H+1)``.

    Returns
    -------
    S0 : ndarray, shape (D,)
        The value of each coordinate's block.
    applies : ndarray of bool, shape (D,)
        ``t*_n > alpha``: the sign flow's residual is still positive at ``t = alpha``, the
        condition under which ``S_i -> S^0_n`` gives the orders of Proposition ``prop-ho-v``.
    """
    _require_problem(problem)
    H = _check_depth(depth)
    alpha = _check_positive("alpha", alpha)
    A = np.array([np.abs(problem.X[n, b]).sum() for n, b in enumerate(problem.blocks)])
    Y = np.abs(problem.y)
    ts = (Y / A) ** (1 / H) - alpha
    S0 = Y * (ts - alpha) - A / (H + 1) * ((alpha + ts) ** (H + 1) - (2 * alpha) ** (H + 1))
    row = _row_of(problem)
    return S0[row], (ts > alpha)[row]


@dataclass(frozen=True)
class SConvergence:
    """How close the implied ``S_i`` of a sweep come to the sign flow's ``S^0_n``.

    Attributes
    ----------
    eps : ndarray, shape (K,)
        The values of the sweep at which no ``v_{i,inf}`` underflowed, increasing.
    gap : ndarray, shape (K,)
        ``max_i |S_i / S^0_n - 1|`` at each of them.
    applies : bool
        Whether ``t*_n > alpha`` in every block (see :func:`sign_flow_S0`).
    """

    eps: np.ndarray
    gap: np.ndarray
    applies: bool

    @property
    def shrinks(self) -> bool:
        """The gap falls at every smaller ``eps`` (and the limit applies)."""
        return bool(self.applies and np.all(np.diff(self.gap) > 0))


def S_convergence(sweep):
    """The implied ``S_i`` of every ``eps`` of a :class:`VSweep` against ``S^0_n``.

    Returns
    -------
    SConvergence
    """
    if not isinstance(sweep, VSweep):
        raise ValueError("`sweep` must be a VSweep, the result of `v_sweep`.")
    ks = np.flatnonzero((sweep.v_inf > 0).all(axis=1))
    S_imp = implied_S(sweep.v_inf[ks], sweep.alpha, _column_scale(sweep.problem),
                      sweep.eps[ks, None], sweep.depth)
    S0, applies = sign_flow_S0(sweep.problem, sweep.alpha, sweep.depth)
    return SConvergence(eps=sweep.eps[ks], gap=np.abs(S_imp / S0 - 1).max(axis=1),
                        applies=bool(applies.all()))


# ----------------------------------------------------------------------------------------
# depth to infinity, sparsity


def lp_minimiser(x, y, p):
    r"""``argmin sum_i |beta_i|^p`` subject to ``x . beta = y`` on one row, ``p > 1``.

    The closed form of the book's Proposition ``prop-ho-limit``:
    ``beta_i = c sgn(x_i) |x_i|^(1/(p-1))`` with ``c`` fixed by the constraint.

    Parameters
    ----------
    x : array_like, shape (D,)
        Non-zero entries.
    y : float
    p : float
        ``> 1``; the corrected potential has ``p = 1 + 1/H``, the paper's ``2 - 1/H``.

    Returns
    -------
    ndarray, shape (D,)
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or np.any(x == 0) or np.any(~np.isfinite(x)):
        raise ValueError("`x` must be a 1-D array of finite non-zero entries (one row).")
    if not np.isfinite(p) or p <= 1:
        raise ValueError(f"`p` must be > 1 (the problem is not strictly convex otherwise); "
                         f"got {p!r}.")
    b = np.sign(x) * np.abs(x) ** (1 / (p - 1))
    return b * float(y) / (x @ b)


def _vector(b):
    b = np.abs(np.asarray(b, dtype=float))
    if b.ndim != 1 or not np.any(b > 0):
        raise ValueError("`b` must be a 1-D array with a non-zero entry.")
    return b


def top_share(b):
    """``max_i |b_i| / ||b||_1``: 1 when all mass is on one coordinate, ``1/D`` when spread."""
    b = _vector(b)
    return float(b.max() / b.sum())


def l1_over_l2(b):
    """``||b||_1 / ||b||_2``: 1 for one non-zero coordinate, ``sqrt(D)`` for equal ones."""
    b = _vector(b)
    return float(b.sum() / np.linalg.norm(b))


def relative_spread(b):
    """``(max_i |b_i| - min_i |b_i|) / mean_i |b_i|``: 0 when every ``|b_i|`` is the same."""
    b = _vector(b)
    return float(np.ptp(b) / b.mean())
