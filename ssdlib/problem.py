"""Data of the regression problem (Section 3.2) and its assumptions (3.2, 3.3, 3.8)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Problem", "AssumptionReport", "check_assumptions"]


def _as_float_array(name, value, ndim):
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`{name}` must be a numeric array; got {type(value).__name__}.") from exc
    if arr.ndim != ndim:
        raise ValueError(f"`{name}` must be {ndim}-dimensional; got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` contains NaN or inf; pass finite values.")
    return arr


def _check_positive(name, value, *, allow_zero=False):
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`{name}` must be a real number; got {value!r}.") from exc
    if not np.isfinite(v) or (v < 0 if allow_zero else v <= 0):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"`{name}` must be finite and {bound}; got {value!r}.")
    return v


def _check_depth(depth):
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 2:
        raise ValueError(f"`depth` must be an integer >= 2; got {depth!r}.")
    return int(depth)


@dataclass(frozen=True, eq=False)
class Problem:
    """An over-parameterised regression problem ``X beta = y`` (eqs. 7-8).

    Parameters
    ----------
    X : array_like, shape (N, D)
        Data matrix, one example per row.
    y : array_like, shape (N,)
        Labels.

    Attributes
    ----------
    X, y : ndarray
        Read-only copies of the data.
    N, D : int
        Number of examples and of features.
    blocks : list of ndarray or None
        When Assumption 3.2 holds (every column is non-zero in exactly one row,
        every row and every label is non-zero), ``blocks[n]`` holds the column
        indices of row ``n`` (the set ``I^(n)`` of eq. 27); otherwise ``None``.
    """

    X: np.ndarray
    y: np.ndarray
    blocks: list | None = field(init=False, repr=False)

    def __post_init__(self):
        X = _as_float_array("X", self.X, 2)
        y = _as_float_array("y", self.y, 1)
        if X.shape[0] != y.shape[0]:
            raise ValueError(
                f"`y` must have one entry per row of `X`: X has {X.shape[0]} rows, "
                f"y has {y.shape[0]} entries."
            )
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"`X` must have at least one row and one column; got {X.shape}.")
        X.setflags(write=False)
        y.setflags(write=False)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "blocks", _find_blocks(X, y))

    @property
    def N(self) -> int:
        return self.X.shape[0]

    @property
    def D(self) -> int:
        return self.X.shape[1]

    @property
    def xy_sign(self) -> np.ndarray:
        """sgn((X^T y)_i), shape (D,): +1 where w+ dominates (Prop. 3.4), else -1."""
        return np.where(self.X.T @ self.y > 0, 1.0, -1.0)

    @classmethod
    def random_blocks(cls, sizes, seed=0, *, low=0.5, high=1.5, shuffle=False):
        """A random instance of Assumption 3.2 with blocks of the given sizes.

        Entries of ``X`` in a block and the labels have magnitudes uniform in
        ``[low, high]`` (bounded away from 0) and random signs.

        Parameters
        ----------
        sizes : sequence of int
            Block sizes ``D_n >= 1``; ``N = len(sizes)``, ``D = sum(sizes)``.
        seed : int
            Seed of ``numpy.random.default_rng``.
        low, high : float
            Range of the magnitudes, ``0 < low <= high``.
        shuffle : bool
            Permute the columns (the block structure is then hidden and
            recovered by :attr:`blocks`).
        """
        sizes = np.asarray(sizes)
        if sizes.ndim != 1 or sizes.size == 0 or np.any(sizes < 1) or np.any(sizes % 1):
            raise ValueError("`sizes` must be a non-empty sequence of integers >= 1.")
        if not 0 < low <= high:
            raise ValueError("`low` and `high` must satisfy 0 < low <= high.")
        rng = np.random.default_rng(seed)
        N, D = sizes.size, int(sizes.sum())
        X = np.zeros((N, D))
        start = 0
        for n, d in enumerate(sizes.astype(int)):
            X[n, start:start + d] = rng.uniform(low, high, d) * rng.choice([-1.0, 1.0], d)
            start += d
        y = rng.uniform(low, high, N) * rng.choice([-1.0, 1.0], N)
        if shuffle:
            X = X[:, rng.permutation(D)]
        return cls(X, y)

    @classmethod
    def from_angles(cls, thetas, lams, y):
        """An instance of Assumption 3.8 from eq. (21).

        Row ``n`` is ``sqrt(lams[n]) * (cos thetas[n], sin thetas[n])`` on
        columns ``2n, 2n+1``, so the ``n``-th block of ``X^T X`` is
        ``lams[n] * q q^T`` with ``q = (cos, sin)``.

        Parameters
        ----------
        thetas, lams, y : array_like, shape (N,)
            Angles (``cos`` and ``sin`` non-zero), eigenvalues ``> 0``, labels.
        """
        thetas = np.atleast_1d(np.asarray(thetas, dtype=float))
        lams = np.atleast_1d(np.asarray(lams, dtype=float))
        y = np.atleast_1d(np.asarray(y, dtype=float))
        if not (thetas.shape == lams.shape == y.shape and thetas.ndim == 1):
            raise ValueError("`thetas`, `lams` and `y` must be 1-dimensional of equal length.")
        if np.any(lams <= 0):
            raise ValueError("`lams` must be > 0 (they are eigenvalues of X^T X, eq. 21).")
        N = thetas.size
        X = np.zeros((N, 2 * N))
        X[np.arange(N), 2 * np.arange(N)] = np.sqrt(lams) * np.cos(thetas)
        X[np.arange(N), 2 * np.arange(N) + 1] = np.sqrt(lams) * np.sin(thetas)
        return cls(X, y)

    def block_angles(self):
        """Eq. (21) parameters of an Assumption 3.8 instance.

        Returns
        -------
        cols : ndarray, shape (N, 2)
            Column indices of each block ordered so that ``|cos| >= |sin|``.
        lams : ndarray, shape (N,)
        thetas : ndarray, shape (N,)
            With ``|cos theta| >= |sin theta| > 0``.

        Raises
        ------
        ValueError
            If Assumption 3.8 does not hold.
        """
        require(self, "3.8")
        cols = np.empty((self.N, 2), dtype=int)
        lams = np.empty(self.N)
        thetas = np.empty(self.N)
        for n, b in enumerate(self.blocks):
            x = self.X[n, b]
            order = np.argsort(-np.abs(x), kind="stable")
            cols[n] = b[order]
            xs = x[order]
            lams[n] = xs @ xs
            thetas[n] = np.arctan2(xs[1], xs[0])
        return cols, lams, thetas


def _find_blocks(X, y):
    nz = X != 0
    if np.any(y == 0) or np.any(nz.sum(axis=0) != 1) or np.any(nz.sum(axis=1) == 0):
        return None
    return [np.flatnonzero(nz[n]) for n in range(X.shape[0])]


_ASSUMPTION_TEXT = {
    "3.2": "Assumption 3.2 (each column non-zero in exactly one row, non-zero labels)",
    "3.8": "Assumption 3.8 (Assumption 3.2 with blocks of exactly 2 columns)",
}


def require(problem, which):
    """Raise a ValueError citing the assumption when ``problem`` violates it."""
    if problem.blocks is None:
        raise ValueError(
            f"this analysis needs {_ASSUMPTION_TEXT[which]}, which the data violate; "
            "build the data with `Problem.random_blocks` or `Problem.from_angles`."
        )
    if which == "3.8" and any(len(b) != 2 for b in problem.blocks):
        raise ValueError(
            f"this analysis needs {_ASSUMPTION_TEXT['3.8']}; the block sizes are "
            f"{[len(b) for b in problem.blocks]}. Use `Problem.from_angles`."
        )


def assumption_3_3_terms(abs_x, abs_y, block_sum, eps):
    """The sides of eqs. (18)-(19) for coordinates with ``|x_i|``, element-wise.

    Parameters
    ----------
    abs_x : array_like
        ``|x_i^(n)|``.
    abs_y : array_like
        ``|y^(n)|`` of the coordinate's block.
    block_sum : array_like
        ``sum_k |x_k^(n)|`` over the coordinate's block.
    eps : array_like
        Stability constant.

    Returns
    -------
    eps_max, alpha_lo, alpha_hi : ndarray
        ``(1/9) |x_i| |y|^{3/2} / sqrt(2 sum_k |x_k|)`` (eq. 18),
        ``9 eps / (4 |x_i y|)`` and ``(1/3) sqrt(|y| / (2 sum_k |x_k|))`` (eq. 19), broadcast.
    """
    abs_x, abs_y, block_sum, eps = np.broadcast_arrays(abs_x, abs_y, block_sum, eps)
    eps_max = abs_x * abs_y**1.5 / (9.0 * np.sqrt(2.0 * block_sum))
    alpha_lo = 9.0 * eps / (4.0 * abs_x * abs_y)
    alpha_hi = np.sqrt(abs_y / (2.0 * block_sum)) / 3.0
    return eps_max, alpha_lo, alpha_hi


def assumption_3_3_bounds(problem, eps):
    """Per-coordinate sides of eqs. (18)-(19) for a problem under Assumption 3.2.

    Returns
    -------
    eps_max, alpha_lo, alpha_hi : ndarray, shape (D,)
        See :func:`assumption_3_3_terms`.
    """
    require(problem, "3.2")
    abs_x = np.abs(problem.X).sum(axis=0)  # one non-zero entry per column
    row = np.abs(problem.X).argmax(axis=0)
    abs_y = np.abs(problem.y)[row]
    block_sum = np.abs(problem.X).sum(axis=1)[row]
    return assumption_3_3_terms(abs_x, abs_y, block_sum, eps)


@dataclass(frozen=True)
class AssumptionReport:
    """What :func:`check_assumptions` found.

    Attributes
    ----------
    a32, a33, a38 : bool
        Whether Assumptions 3.2, 3.3 (at the given alpha, eps) and 3.8 hold.
    eps_ok, alpha_ok : ndarray of bool, shape (D,) or None
        Eq. (18) and eq. (19) per coordinate (None without Assumption 3.2).
    eps_interval : tuple of float or None
        Admissible ``[0, eps_max]`` over all coordinates (eq. 18).
    alpha_interval : tuple of float or None
        Admissible ``[alpha_lo, alpha_hi]`` at this eps (eq. 19); empty when
        ``alpha_lo > alpha_hi``.
    alpha, eps : float
    block_sizes : list of int or None
    """

    a32: bool
    a33: bool
    a38: bool
    eps_ok: np.ndarray | None
    alpha_ok: np.ndarray | None
    eps_interval: tuple | None
    alpha_interval: tuple | None
    alpha: float
    eps: float
    block_sizes: list | None

    def __str__(self):
        mark = {True: "holds", False: "fails"}
        lines = [f"Assumptions at alpha = {self.alpha:g}, eps = {self.eps:g}:"]
        if not self.a32:
            lines.append("  3.2 (block structure): fails; 3.3 and 3.8 are not defined.")
            return "\n".join(lines)
        lines.append(f"  3.2 (block structure): holds, block sizes {self.block_sizes}")
        lines.append(
            f"  3.3 (eqs. 18-19):      {mark[self.a33]}; eps must lie in "
            f"[0, {self.eps_interval[1]:.4g}], alpha in "
            f"[{self.alpha_interval[0]:.4g}, {self.alpha_interval[1]:.4g}]"
        )
        if not self.a33:
            bad_e = np.flatnonzero(~self.eps_ok)
            bad_a = np.flatnonzero(~self.alpha_ok)
            if bad_e.size:
                lines.append(f"      eq. (18) fails at coordinates {bad_e.tolist()}")
            if bad_a.size:
                lines.append(f"      eq. (19) fails at coordinates {bad_a.tolist()}")
        lines.append(f"  3.8 (blocks of size 2): {mark[self.a38]}")
        return "\n".join(lines)


def check_assumptions(problem, alpha, eps):
    """Report on Assumptions 3.2, 3.3 (eqs. 18-19, per coordinate) and 3.8.

    Parameters
    ----------
    problem : Problem
    alpha : float
        Initialisation scale, ``> 0``.
    eps : float
        Stability constant, ``>= 0``.

    Returns
    -------
    AssumptionReport
        ``str(report)`` is a readable summary.
    """
    alpha = _check_positive("alpha", alpha)
    eps = _check_positive("eps", eps, allow_zero=True)
    if problem.blocks is None:
        return AssumptionReport(False, False, False, None, None, None, None, alpha, eps, None)
    eps_max, a_lo, a_hi = assumption_3_3_bounds(problem, eps)
    eps_ok = eps <= eps_max
    alpha_ok = (a_lo <= alpha) & (alpha <= a_hi)
    sizes = [len(b) for b in problem.blocks]
    return AssumptionReport(
        True,
        bool(eps_ok.all() and alpha_ok.all()),
        all(s == 2 for s in sizes),
        eps_ok,
        alpha_ok,
        (0.0, float(eps_max.min())),
        (float(a_lo.max()), float(a_hi.min())),
        alpha,
        eps,
        sizes,
    )
