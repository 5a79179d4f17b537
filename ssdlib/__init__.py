"""ssdlib: the numerical core of the smoothed-sign-descent book.

Smoothed sign descent on a 2-layer (or depth-H) diagonal linear network, its
mirror-descent description, and the Bregman/KKT characterisation of its limit
(Wang and Klabjan, UAI 2025).
"""

from . import optim, steepest
from .flow import Trajectory, sign_descent, sign_flow_hitting_times, simulate, simulate_batch
from .mirror import (
    bregman_E,
    kkt_bounds,
    kkt_Delta,
    kkt_error,
    min_bregman_solution,
    min_E_solution,
    mirror_map,
    potential,
    woodworth_mirror_map,
    woodworth_potential,
)
from .problem import AssumptionReport, Problem, check_assumptions

__all__ = [
    "AssumptionReport",
    "Problem",
    "Trajectory",
    "bregman_E",
    "check_assumptions",
    "kkt_Delta",
    "kkt_bounds",
    "kkt_error",
    "min_E_solution",
    "min_bregman_solution",
    "optim",
    "mirror_map",
    "potential",
    "woodworth_mirror_map",
    "woodworth_potential",
    "sign_descent",
    "sign_flow_hitting_times",
    "simulate",
    "simulate_batch",
    "steepest",
]
__version__ = "0.1.0"
# `ssdlib.steepest` (steepest mirror flows on deep diagonal models) and `ssdlib.optim` (discrete
# optimizers) hold the numerics of the "beyond the paper" chapter.
