"""Reference interpolators of ``X beta = y``: the minimum-l2 and the minimum-l1 solution.

The limit of gradient flow moves from the first to the second as the initialisation scale
alpha shrinks (eq. (14); Woodworth et al., 2020); the book measures that with these two.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from .problem import Problem

__all__ = ["min_l2_solution", "min_l1_solution"]


def _require_problem(problem):
    if not isinstance(problem, Problem):
        raise ValueError("`problem` must be an ssdlib.Problem; build one with Problem(X, y).")


def min_l2_solution(problem):
    """``argmin ||beta||_2 s.t. X beta = y``, the pseudo-inverse solution ``X^+ y``.

    Returns
    -------
    ndarray, shape (D,)
    """
    _require_problem(problem)
    return np.linalg.pinv(problem.X) @ problem.y


def min_l1_solution(problem):
    """``argmin ||beta||_1 s.t. X beta = y``, by the linear program over ``beta = b+ - b-``.

    ``min 1^T (b+ + b-)`` subject to ``X (b+ - b-) = y``, ``b+, b- >= 0`` (HiGHS).

    Returns
    -------
    ndarray, shape (D,)

    Raises
    ------
    RuntimeError
        If the linear program fails (it cannot for data with ``X`` of full row rank).
    """
    _require_problem(problem)
    X, y, D = problem.X, problem.y, problem.D
    lp = linprog(np.ones(2 * D), A_eq=np.hstack([X, -X]), b_eq=y,
                 bounds=[(0, None)] * (2 * D), method="highs")
    if not lp.success:
        raise RuntimeError(f"the l1 linear program failed: {lp.message}")
    return lp.x[:D] - lp.x[D:]
