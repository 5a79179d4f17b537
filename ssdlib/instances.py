r"""The book's named instances: how they are built and why they were chosen.

The paper's figures use random data that satisfy its assumptions, without giving the data. The
book regenerates them with fixed seeds: it takes the first seed whose draw satisfies
Assumption 3.3 (eqs. (18)-(19)) at every setting the figure uses
(:func:`first_admissible_seed`).

* :func:`figure1_instance`: :math:`N = 2`, :math:`D = 5` (blocks of 3 and 2 columns,
  Assumption 3.2), :math:`\alpha = 0.1`, :math:`\eps \in \{0.002, 0.01\}` (Figure 1);
* :func:`figure2_instance`: :math:`N = 1`, :math:`D = 2` (Assumption 3.8, eq. (21)),
  :math:`\alpha = 0.1`, :math:`\eps \in \{0.001, 0.002, 0.005, 0.01, 0.02\}` (Figures 2-3),
  drawn by :func:`figure2_draw`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .problem import Problem, check_assumptions

__all__ = [
    "Figure2Draw",
    "NamedInstance",
    "NoAdmissibleSeedError",
    "figure1_instance",
    "figure2_draw",
    "figure2_instance",
    "first_admissible_seed",
]

ALPHA = 0.1
EPS_FIGURE1 = (0.002, 0.01)
EPS_FIGURE2 = (0.001, 0.002, 0.005, 0.01, 0.02)


class NoAdmissibleSeedError(LookupError):
    """No seed of the range gives data that satisfy Assumption 3.3 at every setting."""


def first_admissible_seed(build: Callable[[int], Problem], alpha, eps: Iterable[float], *,
                          seeds: Iterable[int] = range(1000)) -> int:
    """The first seed whose data satisfy Assumptions 3.2 and 3.3 at ``alpha`` and every ``eps``.

    Parameters
    ----------
    build : callable
        ``build(seed)`` returns a :class:`~ssdlib.Problem`.
    alpha : float
        Initialisation scale, ``> 0``.
    eps : iterable of float
        Stability constants, each ``>= 0``; the data must satisfy eqs. (18)-(19) at all of them.
    seeds : iterable of int, keyword-only
        The seeds to try, in order.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``build`` is not callable, ``eps`` is empty or ``build`` returns no Problem.
    NoAdmissibleSeedError
        If no seed qualifies.
    """
    if not callable(build):
        raise ValueError("`build` must be a callable seed -> Problem, e.g. "
                         "`lambda s: Problem.random_blocks([3, 2], s)`.")
    eps = tuple(eps)
    if not eps:
        raise ValueError("`eps` must hold at least one stability constant.")
    for seed in seeds:
        problem = build(seed)
        if not isinstance(problem, Problem):
            raise ValueError(
                f"`build` must return an ssdlib.Problem; got {type(problem).__name__}."
            )
        if all(check_assumptions(problem, alpha, e).a33 for e in eps):
            return int(seed)
    raise NoAdmissibleSeedError(
        f"no seed satisfies Assumption 3.3 at alpha = {alpha:g} and eps = {eps}; try more "
        "`seeds`, a smaller `alpha` range or smaller `eps`."
    )


class Figure2Draw(NamedTuple):
    """One draw of the Figure-2 data: the problem and its eq. (21) parameters."""

    problem: Problem
    theta: float
    lam: float
    y: float


def figure2_draw(seed) -> Figure2Draw:
    r"""A seeded instance of Assumption 3.8 with one block, in the parameters of eq. (21).

    Draws :math:`\theta \sim U(0.1, \pi/4)` (so that :math:`\lvert\cos\theta\rvert \ge
    \lvert\sin\theta\rvert`), :math:`\lambda \sim U(0.5, 2)` and :math:`y = \pm U(0.5, 2)`
    from ``numpy.random.default_rng(seed)``, and builds
    :math:`x = \sqrt\lambda(\cos\theta, \sin\theta)`.

    Returns
    -------
    Figure2Draw
        ``(problem, theta, lam, y)``; ``problem.X`` has shape (1, 2).
    """
    rng = np.random.default_rng(seed)
    theta, lam = rng.uniform(0.1, np.pi / 4), rng.uniform(0.5, 2.0)
    y = rng.uniform(0.5, 2.0) * rng.choice([-1.0, 1.0])
    return Figure2Draw(Problem.from_angles([theta], [lam], [y]), float(theta), float(lam),
                       float(y))


@dataclass(frozen=True, eq=False)
class NamedInstance:
    """A named instance of the book.

    Attributes
    ----------
    name : str
    problem : Problem
    seed : int
    alpha : float
    eps : tuple of float
        The settings the instance is used at; Assumption 3.3 holds at each.
    assumptions : tuple of str
        The paper's assumptions it satisfies.
    construction : str
        The call that rebuilds it.
    why : str
        One sentence on why it was chosen.
    """

    name: str
    problem: Problem
    seed: int
    alpha: float
    eps: tuple
    assumptions: tuple
    construction: str
    why: str

    @property
    def label(self) -> str:
        """How the claims tables name it, e.g. ``Figure-1 instance (`random_blocks(...)`)``."""
        return f"{self.name} (`{self.construction}`)"


def figure1_instance() -> NamedInstance:
    """The data of Figure 1: the first ``Problem.random_blocks([3, 2], seed)`` that satisfies
    Assumption 3.3 at ``alpha = 0.1`` and both ``eps`` of the figure."""
    seed = first_admissible_seed(lambda s: Problem.random_blocks([3, 2], s), ALPHA, EPS_FIGURE1)
    return NamedInstance(
        name="Figure-1 instance", problem=Problem.random_blocks([3, 2], seed), seed=seed,
        alpha=ALPHA, eps=EPS_FIGURE1, assumptions=("3.2", "3.3"),
        construction=f"random_blocks([3, 2], seed={seed})",
        why="Figure 1 of the paper uses N = 2, D = 5, alpha = 0.1 and eps = 0.002, 0.01 on "
            "random data that satisfy Assumptions 3.2-3.3.",
    )


def figure2_instance() -> NamedInstance:
    """The data of Figures 2-3: the first :func:`figure2_draw` that satisfies Assumption 3.3
    at ``alpha = 0.1`` and all five ``eps`` of the figures."""
    seed = first_admissible_seed(lambda s: figure2_draw(s).problem, ALPHA, EPS_FIGURE2)
    return NamedInstance(
        name="Figure-2 instance", problem=figure2_draw(seed).problem, seed=seed, alpha=ALPHA,
        eps=EPS_FIGURE2, assumptions=("3.2", "3.3", "3.8"),
        construction=f"figure2_draw({seed})",
        why="Figures 2-3 of the paper use one block of two columns (N = 1, D = 2) and five "
            "values of eps; the paper gives no alpha, and the book uses 0.1 as in Figure 1.",
    )
