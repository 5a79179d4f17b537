r"""Steepest flows on deep diagonal models: the "beyond the paper" numerics.
This module connects smoothed sign descent (SSD, eqs. 15-16 of Wang and
Klabjan, UAI 2025) with the *steepest mirror flows* of Zhou, Burkholz and
Jacobs ("Never Saddle for Reparameterized Steepest Descent as Mirror Flow",
ICLR 2026, arXiv:2603.02064). Every statement below is derived here and checked numerically in
``tests/test_steepest.py``; nothing is taken from the ICLR paper on trust.

Model
-----
Data ``X`` (N, D), ``y`` (N,), loss ``f(x) = 1/4 |X x - y|^2`` (eq. 8, note the
1/4), so ``rho := grad_x f = X^T (X x - y) / 2`` and ``grad_x^2 f = X^T X / 2``.
The regression vector ``x`` (the paper's ``beta``) is a deep diagonal network
of depth ``H`` with a positive and a negative branch:

* ``tied=True`` (default, the paper's depth-``H`` model):
  ``x = u^H - v^H`` element-wise, parameters ``w = (u, v)``; for ``H = 2``
  this is exactly eq. (8), ``beta = w+ (.) w+ - w- (.) w-``, and
  ``grad_u f = H rho u^(H-1)``, ``grad_v f = -H rho v^(H-1)``.
* ``tied=False``: ``x = prod_l w_l^+ - prod_l w_l^-`` with ``H`` independent
  layers per branch, ``grad_{w_l^+} f = rho prod_{k != l} w_k^+``.

Parameters are stored as ``w[p, l, i]``: branch ``p`` (0 = plus, 1 = minus),
layer ``l``, coordinate ``i``; tied trajectories repeat ``u`` and ``v`` over
the ``H`` layers. With a balanced start (all layers equal) the untied layers
stay equal and the two models have the same ``x`` but gradients that differ
by the factor ``H``. For the smoothed family below this means exactly::

    tied flow (q, eps) at time t  ==  untied balanced flow (q, eps / H) at time H^(q-1) t,

so sign flow (q = 1, eps = 0) is the same in both, gradient flow of the tied
model runs ``H`` times faster, and SSD of the tied model with ``eps`` is the
untied one with ``eps / H``.

Steepest flows
--------------
For ``q`` in [1, 2] and ``eps >= 0`` the flow is, element-wise,

.. math::  \dot w = -\varphi(g), \qquad
           \varphi(g) = g\,(|g| + \varepsilon)^{q-2}, \qquad g = \nabla_w f,

so ``eps = 0`` gives the steepest family ``-sign(g)|g|^(q-1)`` (``q = 2``:
gradient flow, eqs. 9-10; ``q = 1``: sign flow) and ``q = 1, eps > 0`` is the
SSD flow eq. (16). ``phi`` is smooth for ``eps > 0`` with
``phi'(g) = (|g| + eps)^(q-3) ((q-1)|g| + eps)``; this is the analytic
Jacobian handed to Radau. Weight decay of rate ``lambda(t)``: *coupled* adds
``lambda w`` to ``g`` before ``phi`` (L2 penalty ``lambda/2 |w|^2`` in the
loss); *decoupled* (AdamW-style) adds ``-lambda w`` to ``dw/dt`` after it.

Numerics. The flows are integrated by ``solve_ivp`` (LSODA by default, Radau
or BDF on request) with the analytic Jacobian ``-diag(phi'(g)) Hess_w f``. For
``eps = 0`` and ``1 < q < 2`` the field is only Hoelder continuous where a
residual ``rho_i`` or a layer product ``J = dx/dw`` vanishes (converged
coordinates; a non-dominating weight reaching 0 in finite time, which happens
whenever ``(H-1)(q-1) < 1``), and every solver stalls there. With ``g = J rho``
the field factorises as ``-sign(J)|J|^(q-1) sign(rho)|rho|^(q-1)``; it is
integrated as ``-J(|J| + dJ)^(q-2) rho(|rho| + dr)^(q-2)`` with
``dJ = 1e-10 max|J(0)|`` and ``dr = 1e-8 max|rho(0)|`` (the exact field wherever
``|J| >> dJ`` and ``|rho| >> dr``, linear below; relative to the start, so the
saddle phase is untouched; coupled decay uses a constant floor
``1e-8 max|g(0)|``). The conservation law below then holds to ~1e-8 relative.

Untied caveat. The balanced manifold (all layers of a branch equal) is
invariant, but for even ``H`` the point where the non-dominating layers reach 0
is a saddle of the layer dynamics: with layers ``(a, b)`` near 0,
``(a, b)' ~ -c (b, a)``, so the mode ``a = -b`` grows (at rate ``~ rho/eps``
for SSD, instantly for ``q < 2``, ``eps = 0``) and the "minus" branch then
also fits the data with the opposite sign. Round-off can trigger this split;
the tied model excludes it. Use ``tied=True`` for the paper's model.

Modules
-------
:mod:`ssdlib.steepest.flows`
    :func:`~ssdlib.steepest.flows.steepest_flow` (the integrator, with the exact sign flow),
    :func:`~ssdlib.steepest.flows.balance`.
:mod:`ssdlib.steepest.saddle`
    Escape times from the saddle ``w = 0`` and their derived exponents.
:mod:`ssdlib.steepest.mirror`
    The mirror maps and potentials of the steepest flows, the dual-dynamics check.
:mod:`ssdlib.steepest.sparsity`
    Sparse regressions, support recovery and the depth-and-sparsity experiment.
:mod:`ssdlib.steepest.discrete`
    The discrete optimizers of :mod:`ssdlib.optim` at the time horizon of a flow.

Every public name is importable from ``ssdlib.steepest``.
"""

from ._model import (  # noqa: F401  (shared with ssdlib.optim)
    _as_data,
    _Branches,
    _check_alpha,
    _check_eps,
    _check_real,
    _forward,
    _initial_weights,
    _loss_grad,
)
from .discrete import final_iterate
from .flows import (
    SteepestTrajectory,
    balance,
    balance_deviation,
    explore_flow,
    sign_flow_closed_form,
    steepest_flow,
)
from .mirror import (
    DualCheck,
    dual_dynamics_check,
    mirror_map,
    mirror_potential,
    paper_mirror_map,
    paper_potential,
)
from .saddle import escape_exponent, escape_time_prediction, escape_times, fit_escape_slope
from .sparsity import (
    SparseRegression,
    SparsityExperiment,
    active_share,
    depth_sparsity_experiment,
    ray_deviation,
    sparse_regression,
    support_recovery,
)

__all__ = [
    "DualCheck",
    "SparseRegression",
    "SparsityExperiment",
    "SteepestTrajectory",
    "active_share",
    "balance",
    "balance_deviation",
    "depth_sparsity_experiment",
    "dual_dynamics_check",
    "escape_exponent",
    "escape_time_prediction",
    "escape_times",
    "explore_flow",
    "final_iterate",
    "fit_escape_slope",
    "mirror_map",
    "mirror_potential",
    "paper_mirror_map",
    "paper_potential",
    "ray_deviation",
    "sign_flow_closed_form",
    "sparse_regression",
    "steepest_flow",
    "support_recovery",
]
