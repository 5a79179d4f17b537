"""Sweeps of smoothed sign descent over (alpha, eps), and the KKT error with its bounds.

Section 3.3.2 of the paper bounds the signed KKT error ``Delta`` of the limit (Theorem 3.9)
between ``M_-`` (Lemma B.3) and ``M_+`` (Lemma B.2) under Assumption 3.3 (eqs. 18-19). The
functions here run the flow for many values of ``(alpha, eps)`` in one vectorised
:func:`ssdlib.simulate_batch` call and put the measured ``Delta`` next to its bounds:

* :func:`eps_upper` -- the largest ``eps`` that Assumption 3.3 admits at a given ``alpha``;
* :func:`m_minus_root` -- the end ``eps*`` of the interval where ``M_- >= 0`` (the interval
  ``I'`` of Corollary 3.10 and, per block, ``J`` of Corollary 3.12);
* :func:`random_admissible_blocks` -- random blocks of Assumption 3.8 admissible for given
  pairs ``(alpha, eps)``;
* :func:`kkt_sweep` -- one problem, many ``eps`` (or pairs): ``Delta``, ``delta``, ``M_pm``;
* :func:`block_margins` -- the margins of Theorem 3.9, of the repaired Lemma B.2 and of
  Lemma B.1 over a list of runs;
* :func:`kkt_map` -- a map of ``Delta`` and its bounds over a grid of ``(alpha, eps)``.

The bounds are taken from :func:`ssdlib.bounds.kkt_bounds_block`, looked up when the functions
run, so that a test which replaces that function sees its effect here. Numerics only: this
module does not import matplotlib.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from . import bounds
from .flow import simulate_batch
from .mirror import kkt_Delta, kkt_error
from .problem import Problem, check_assumptions, require

__all__ = [
    "KKTMap",
    "KKTSweep",
    "BlockMargins",
    "block_margins",
    "eps_upper",
    "kkt_map",
    "kkt_sweep",
    "m_minus_root",
    "random_admissible_blocks",
]


def _require_problem(problem, which="3.8"):
    if not isinstance(problem, Problem):
        raise ValueError("`problem` must be an ssdlib.Problem; build one with "
                         "Problem.from_angles(thetas, lams, y).")
    require(problem, which)


def _positive(name, value):
    try:
        value = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`{name}` must be a real number.") from exc
    if not value > 0 or not np.isfinite(value):
        raise ValueError(f"`{name}` must be positive and finite.")
    return value


def _pairs(alpha, eps):
    """``alpha`` and ``eps`` broadcast to one 1-dimensional shape, validated."""
    try:
        alpha, eps = np.broadcast_arrays(np.atleast_1d(np.asarray(alpha, dtype=float)),
                                         np.atleast_1d(np.asarray(eps, dtype=float)))
    except ValueError as exc:
        raise ValueError("`alpha` and `eps` must broadcast to one shape.") from exc
    if alpha.ndim != 1:
        raise ValueError("`alpha` and `eps` must broadcast to a 1-dimensional array.")
    if np.any(~(alpha > 0)) or np.any(~(eps >= 0)):
        raise ValueError("`alpha` must be positive and `eps` non-negative.")
    return alpha, eps


def eps_upper(problem, alpha, *, margin=1e-12):
    """The largest ``eps`` such that ``(alpha, eps)`` satisfies Assumption 3.3.

    Eq. (18) bounds ``eps <= (1/9) |x_i| |y|^{3/2} / sqrt(2 sum_k |x_k|)`` and the lower bound of
    eq. (19), ``alpha >= 9 eps / (4 |x_i y|)``, gives ``eps <= 4 alpha |x_i y| / 9``, for every
    coordinate ``i``. The result is the smaller of the two, shrunk by the relative ``margin``
    so that it is admissible despite round-off.

    Parameters
    ----------
    problem : Problem
        Must satisfy Assumption 3.2.
    alpha : float
        Initialisation scale, ``> 0``. The upper bound of eq. (19) on ``alpha`` does not depend
        on ``eps``; it is not checked here (see :func:`ssdlib.check_assumptions`).
    margin : float, keyword-only
        Relative safety margin, in ``[0, 1)``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``problem`` is not a Problem under Assumption 3.2, ``alpha`` is not positive or
        ``margin`` is outside ``[0, 1)``.
    """
    _require_problem(problem, "3.2")
    alpha = _positive("alpha", alpha)
    if not 0 <= margin < 1:
        raise ValueError("`margin` must lie in [0, 1); it is a relative safety margin.")
    eps_max = check_assumptions(problem, alpha, 0.0).eps_interval[1]
    min_xy = min(np.abs(problem.X[n, b]).min() * abs(problem.y[n])
                 for n, b in enumerate(problem.blocks))
    return float(min(eps_max, 4 * alpha * min_xy / 9) * (1 - margin))


def m_minus_root(lam, theta, y, alpha, eps_hi, *, zero_tol=1e-12):
    """The end ``eps*`` of the interval ``[0, eps*]`` on which ``M_-(eps) >= 0``.

    ``M_-`` (Lemma B.3) decreases in ``eps`` (Lemma B.4), so ``M_- >= 0`` on an interval
    ``[0, eps*]``: the interval ``I'`` of Corollary 3.10 (and, per block, ``J`` of
    Corollary 3.12). ``eps*`` is the root of ``M_-`` found by Brent's method on
    ``(0, eps_hi]``, ``eps_hi`` when ``M_-(eps_hi) >= 0``, and ``0`` when ``M_-(0)`` is zero up
    to ``zero_tol`` (the symmetric block ``|cos theta| = |sin theta|``, where the interval is a
    point; see the KKT chapter on Lemma B.4).

    Parameters
    ----------
    lam, theta, y, alpha : float
        One block (eq. 21) and the initialisation scale, as in
        :func:`ssdlib.bounds.kkt_bounds_block`.
    eps_hi : float
        Right end of the admissible interval, ``> 0``.
    zero_tol : float, keyword-only
        ``|M_-(0)| <= zero_tol`` counts as ``M_-(0) = 0``.

    Returns
    -------
    float
        In ``[0, eps_hi]``.

    Raises
    ------
    ValueError
        If an argument is not a scalar, ``eps_hi`` is not positive, or ``M_-(0) < -zero_tol``
        (then ``M_-`` is negative for every ``eps``: ``alpha`` violates eq. (19)).
    """
    eps_hi = _positive("eps_hi", eps_hi)
    for name, value in (("lam", lam), ("theta", theta), ("y", y), ("alpha", alpha)):
        if np.ndim(value) != 0:
            raise ValueError(f"`{name}` must be a scalar; call `m_minus_root` once per block.")

    def m_minus(e):
        return float(bounds.kkt_bounds_block(lam, theta, y, alpha, e)[1])

    m0 = m_minus(0.0)
    if m0 < -zero_tol:
        raise ValueError(f"M_-(0) = {m0:.3g} < 0, so M_- < 0 for every eps; `alpha` violates the "
                         "upper bound of eq. (19) for this block.")
    if m0 <= zero_tol:
        return 0.0
    if m_minus(eps_hi) >= 0:
        return eps_hi
    return float(brentq(m_minus, 1e-14 * eps_hi, eps_hi, xtol=1e-15, rtol=1e-13))


def random_admissible_blocks(n, alpha, eps, *, seed=0, lam_range=(0.5, 5.0),
                             y_range=(0.3, 3.0), angle_min=0.02):
    """Random blocks of Assumption 3.8 that satisfy Assumption 3.3 at every pair ``(alpha, eps)``.

    Draws blocks one at a time and keeps those admissible for all pairs: per block
    ``lam ~ U(lam_range)``, ``theta = +-U(angle_min, pi/4) + {0 or pi}`` (so that
    ``|cos| >= |sin|``, in all four quadrants) and ``y = +-U(y_range)``, in that order.

    Parameters
    ----------
    n : int
        Number of blocks, ``>= 1``.
    alpha, eps : array_like, shape (P,)
        The pairs (broadcast against each other); ``alpha > 0``, ``eps >= 0``.
    seed : int, keyword-only
        Seed of ``numpy.random.default_rng``.
    lam_range, y_range : tuple of float, keyword-only
        Ranges of the eigenvalue and of ``|y|``, positive.
    angle_min : float, keyword-only
        Smallest ``|sin theta|``-angle, in ``(0, pi/4)``.

    Returns
    -------
    thetas, lams, ys : ndarray, shape (n,)
        Arguments of :meth:`ssdlib.Problem.from_angles`.

    Raises
    ------
    ValueError
        On invalid arguments, or if no admissible block is found in ``1000 n`` draws (the
        pairs are too restrictive; lower ``eps`` or change ``alpha``).
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError("`n` must be a positive integer.")
    alpha, eps = _pairs(alpha, eps)
    for name, (lo, hi) in (("lam_range", lam_range), ("y_range", y_range)):
        if not 0 < lo < hi:
            raise ValueError(f"`{name}` must be (low, high) with 0 < low < high.")
    if not 0 < angle_min < np.pi / 4:
        raise ValueError("`angle_min` must lie in (0, pi/4).")
    rng = np.random.default_rng(seed)
    blocks = []
    for _ in range(1000 * n):
        b_lam = rng.uniform(*lam_range)
        b_th = rng.choice([-1, 1]) * rng.uniform(angle_min, np.pi / 4) + rng.integers(0, 2) * np.pi
        b_y = rng.choice([-1, 1]) * rng.uniform(*y_range)
        if np.all(bounds.satisfies_assumption_3_3(b_lam, b_th, b_y, alpha, eps)):
            blocks.append((b_th, b_lam, b_y))
            if len(blocks) == n:
                return tuple(np.array(v) for v in zip(*blocks, strict=True))
    raise ValueError(f"found only {len(blocks)} of {n} admissible blocks in {1000 * n} draws; "
                     "lower `eps` or change `alpha`.")


@dataclass(frozen=True)
class KKTSweep:
    """The KKT error of the limit for many pairs ``(alpha, eps)`` on one problem.

    Attributes
    ----------
    alpha, eps : ndarray, shape (K,)
        The pairs, broadcast.
    runs : list of Trajectory, length K
    Delta : ndarray, shape (K, N)
        Signed KKT error per block (Theorem 3.9), ``kkt_Delta``.
    delta : ndarray, shape (K,)
        KKT error by least squares, ``kkt_error`` (``= |Delta|`` for ``N = 1``).
    M_plus, M_minus : ndarray, shape (K, N)
        The bounds of Lemmas B.2 and B.3 per block.
    seconds : float
        Wall time of the flows.
    """

    alpha: np.ndarray
    eps: np.ndarray
    runs: list
    Delta: np.ndarray
    delta: np.ndarray
    M_plus: np.ndarray
    M_minus: np.ndarray
    seconds: float

    @property
    def v_inf(self):
        """``v^inf`` of every run, shape (K, D)."""
        return np.array([tr.v_inf for tr in self.runs])

    @property
    def u_inf(self):
        """``u^inf`` of every run, shape (K, D)."""
        return np.array([tr.u_inf for tr in self.runs])


def kkt_sweep(problem, alpha, eps, **options):
    """Run the flow for every pair ``(alpha, eps)`` and measure ``Delta`` against ``M_pm``.

    Parameters
    ----------
    problem : Problem
        Must satisfy Assumption 3.8.
    alpha, eps : array_like
        Broadcast to shape (K,); ``alpha > 0``, ``eps >= 0`` (``eps = 0`` is sign flow).
    **options
        Passed to :func:`ssdlib.simulate_batch` (``rtol``, ``atol``, ...).

    Returns
    -------
    KKTSweep

    Raises
    ------
    ValueError
        If ``problem`` does not satisfy Assumption 3.8, or on invalid ``alpha``/``eps``.
    """
    _require_problem(problem)
    alpha, eps = _pairs(alpha, eps)
    t0 = time.perf_counter()
    runs = simulate_batch(problem, alpha, eps, **options)
    seconds = time.perf_counter() - t0
    _, lams, thetas = problem.block_angles()
    Delta = np.array([kkt_Delta(problem, tr) for tr in runs])
    delta = np.array([kkt_error(problem, tr) for tr in runs])
    mp, mm = bounds.kkt_bounds_block(lams[None, :], thetas[None, :], problem.y[None, :],
                                     alpha[:, None], eps[:, None])
    shape = Delta.shape
    return KKTSweep(alpha.copy(), eps.copy(), runs, Delta, delta,
                    np.broadcast_to(mp, shape).copy(), np.broadcast_to(mm, shape).copy(),
                    seconds)


@dataclass(frozen=True)
class BlockMargins:
    """Smallest margins of the inequalities checked on a sweep (negative: violated).

    Attributes
    ----------
    lower : float
        ``min (Delta - M_-)`` (Theorem 3.9, Lemma B.3).
    upper : float
        ``min (M_+ - Delta)`` (Theorem 3.9, Lemma B.2).
    repaired : float
        ``min ((c - s)(S - alpha) - Delta)``, the bound of the repaired proof of Lemma B.2,
        ``S = sqrt(|ybar|/(c+s) + alpha**2)``.
    lemma_b1 : float
        ``min (u_1' - u_2')`` before ``T`` and ``min (u_1' - 2|cot| u_2' / (1 + |cot|))``
        after it (Lemma B.1), over every output time, with ``u_i' = f_i/(f_i + eps)``,
        ``f_i = |grad_u L|_i``, and "after ``T``" read per block as ``f_2 <= eps``.
    """

    lower: float
    upper: float
    repaired: float
    lemma_b1: float


def block_margins(problem, sweep):
    """The margins of Theorem 3.9, the repaired Lemma B.2 and Lemma B.1 over a sweep.

    Parameters
    ----------
    problem : Problem
        Must satisfy Assumption 3.8.
    sweep : KKTSweep
        From :func:`kkt_sweep` on ``problem`` (with ``eps > 0``).

    Returns
    -------
    BlockMargins

    Raises
    ------
    ValueError
        If ``sweep`` is not a KKTSweep of ``problem`` or holds a sign-flow run (``eps = 0``).
    """
    _require_problem(problem)
    if not isinstance(sweep, KKTSweep):
        raise ValueError("`sweep` must be a KKTSweep returned by `kkt_sweep`.")
    if any(tr.problem is not problem for tr in sweep.runs):
        raise ValueError("`sweep` was computed for a different problem.")
    if np.any(sweep.eps <= 0):
        raise ValueError("`sweep` holds runs with eps = 0, where Lemma B.1's u' = f/(f + eps) "
                         "is undefined; drop them.")
    cols, lams, thetas = problem.block_angles()
    c, s = np.abs(np.cos(thetas)), np.abs(np.sin(thetas))
    S = bounds.lemma_b2_intermediates(lams[None, :], thetas[None, :], problem.y[None, :],
                                      sweep.alpha[:, None], sweep.eps[:, None]).S
    repaired = (c - s) * (S - sweep.alpha[:, None]) - sweep.Delta
    ratio = 2 * (c / s) / (1 + c / s)
    b1 = np.inf
    for tr in sweep.runs:
        f = np.abs(tr.grad_u)
        du = f / (f + tr.eps)
        du1, du2 = du[:, cols[:, 0]], du[:, cols[:, 1]]
        after_T = f[:, cols[:, 1]] <= tr.eps
        b1 = min(b1, float(np.min(np.where(after_T, du1 - ratio * du2, du1 - du2))))
    return BlockMargins(float(np.min(sweep.Delta - sweep.M_minus)),
                        float(np.min(sweep.M_plus - sweep.Delta)),
                        float(np.min(repaired)), b1)


@dataclass(frozen=True)
class KKTMap:
    """``Delta`` and its bounds over a grid of ``(alpha, eps)`` for a one-block problem.

    Attributes
    ----------
    alpha, eps : ndarray, shape (A,) and (E,)
        The grid axes.
    runs : list of Trajectory, length E * A
        Row-major over ``(eps, alpha)``: run ``i * A + j`` has ``eps[i]``, ``alpha[j]``.
    Delta, M_plus, M_minus : ndarray, shape (E, A)
    admissible : ndarray of bool, shape (E, A)
        Assumption 3.3 holds.
    seconds : float
        Wall time of the flows.
    """

    alpha: np.ndarray
    eps: np.ndarray
    runs: list
    Delta: np.ndarray
    M_plus: np.ndarray
    M_minus: np.ndarray
    admissible: np.ndarray
    seconds: float

    @property
    def within(self):
        """``M_- <= Delta <= M_+``, shape (E, A)."""
        return (self.M_minus <= self.Delta) & (self.Delta <= self.M_plus)

    @property
    def position(self):
        """``(Delta - M_-) / (M_+ - M_-)``, in ``[0, 1]`` exactly where the bounds hold."""
        return (self.Delta - self.M_minus) / (self.M_plus - self.M_minus)


def kkt_map(problem, alpha, eps, **options):
    """Run the flow on the grid ``alpha x eps`` (one batch) and measure ``Delta``.

    Parameters
    ----------
    problem : Problem
        One block of Assumption 3.8 (``N = 1``, ``D = 2``).
    alpha : array_like, shape (A,)
        Positive values.
    eps : array_like, shape (E,)
        Positive values.
    **options
        Passed to :func:`ssdlib.simulate_batch`.

    Returns
    -------
    KKTMap

    Raises
    ------
    ValueError
        If ``problem`` is not a single block of Assumption 3.8 or the axes are not
        1-dimensional arrays of positive values.
    """
    _require_problem(problem)
    if problem.N != 1:
        raise ValueError("`problem` must have one block (N = 1); run one map per block.")
    axes = []
    for name, arr in (("alpha", alpha), ("eps", eps)):
        arr = np.asarray(arr, dtype=float)
        if arr.ndim != 1 or arr.size == 0 or np.any(~(arr > 0)):
            raise ValueError(f"`{name}` must be a non-empty 1-dimensional array of positive "
                             "values.")
        axes.append(arr)
    alpha, eps = axes
    AA, EE = np.meshgrid(alpha, eps)
    t0 = time.perf_counter()
    runs = simulate_batch(problem, AA.ravel(), EE.ravel(), **options)
    seconds = time.perf_counter() - t0
    _, lams, thetas = problem.block_angles()
    lam, th, y = lams[0], thetas[0], problem.y[0]
    Delta = np.array([kkt_Delta(problem, tr)[0] for tr in runs]).reshape(AA.shape)
    mp, mm = bounds.kkt_bounds_block(lam, th, y, AA, EE)
    adm = bounds.satisfies_assumption_3_3(lam, th, y, AA, EE)
    return KKTMap(alpha, eps, runs, Delta, np.asarray(mp), np.asarray(mm), np.asarray(adm),
                  seconds)
