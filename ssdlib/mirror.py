r"""Mirror maps, Bregman functions and the KKT characterisation of the limits.

* Gradient descent (Section 3.2): Woodworth's potential, eq. (12),
  ``Psi_alpha(beta) = 1/4 sum(beta_i arcsinh(beta_i / (2 alpha^2)) - sqrt(beta_i^2 + 4 alpha^4))``,
  whose mirror map is ``grad Psi_alpha(beta) = 1/4 arcsinh(beta / (2 alpha^2))``; the limit of
  the gradient flow minimises ``D_Psi(beta, 0)`` over ``X beta = y`` (eq. 14).
* Smoothed sign descent (Prop. 3.6): the time-varying potential
  ``Phi_t(beta) = H/(H+1) sum (|beta_i| + v_i(t)^H)^{(H+1)/H}`` with mirror map
  ``grad Phi_t(beta) = sgn(beta) (|beta| + v^H)^{1/H} = sgn(beta) u``. For ``H = 2`` this is the
  paper's ``2/3 sum(|beta_i| + v_i^2)^{3/2}``. For ``H >= 3`` the exponent is ``1 + 1/H``, not the
  ``2 - 1/H`` stated in the paper's last paragraph (the two agree only at ``H = 2``); the book
  checks both numerically.
* ``E(beta, beta_bar) = Phi_inf(beta) - Phi_0(beta_bar) + <grad Phi_0(beta_bar), beta_bar - beta>``
  (eq. 22) with ``grad Phi_0(beta_0)`` the initial dual variable along the flow,
  ``sgn(x_i y) u_i(0) = sgn(x_i y) alpha`` (Appendix B.1), problem (23) and its delta-KKT error
  (Theorem 3.9).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from .flow import Trajectory
from .bounds import kkt_bounds_block
from .problem import Problem, _check_depth, _check_positive, require

__all__ = [
    "bregman_E",
    "kkt_Delta",
    "kkt_bounds",
    "kkt_error",
    "min_E_solution",
    "min_bregman_solution",
    "mirror_map",
    "potential",
    "woodworth_mirror_map",
    "woodworth_potential",
]


def _beta_v(beta, v, depth):
    H = _check_depth(depth)
    beta = np.asarray(beta, dtype=float)
    v = np.asarray(v, dtype=float)
    if not np.all(np.isfinite(beta)):
        raise ValueError("`beta` contains NaN or inf; pass finite values.")
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ValueError("`v` must be finite and >= 0 (it is a non-dominating weight).")
    return beta, v, H


def potential(beta, v, depth=2):
    """The SSD potential ``Phi_t(beta)`` of Prop. 3.6 (depth ``H``).

    ``Phi(beta) = H/(H+1) sum_i (|beta_i| + v_i^H)^{(H+1)/H}``; for ``H = 2``,
    ``2/3 sum (|beta_i| + v_i^2)^{3/2}``.

    Parameters
    ----------
    beta : array_like, shape (..., D)
    v : array_like, shape (D,) or broadcastable
        The parameter ``v(t) >= 0`` of the time-varying potential.
    depth : int

    Returns
    -------
    ndarray, shape (...)
    """
    beta, v, H = _beta_v(beta, v, depth)
    return (H / (H + 1)) * np.sum((np.abs(beta) + v**H) ** ((H + 1) / H), axis=-1)


def mirror_map(beta, v, depth=2):
    """The mirror map ``grad Phi_t(beta) = sgn(beta) (|beta| + v^H)^{1/H}``.

    At ``beta_i = 0`` the potential has a kink (subdifferential
    ``[-v_i, v_i]``); this function returns 0 there. Along the flow the book
    uses the subgradient ``sgn(x_i y) u_i(0) = sgn(x_i y) alpha`` instead
    (``Trajectory.dual``).

    Returns
    -------
    ndarray, same shape as ``beta``
    """
    beta, v, H = _beta_v(beta, v, depth)
    return np.sign(beta) * (np.abs(beta) + v**H) ** (1.0 / H)


def woodworth_potential(beta, alpha):
    """Woodworth's potential ``Psi_alpha(beta)`` of eq. (12); shape (...,) for ``beta`` (..., D)."""
    alpha = _check_positive("alpha", alpha)
    beta = np.asarray(beta, dtype=float)
    c = 2 * alpha**2
    return 0.25 * np.sum(beta * np.arcsinh(beta / c) - np.sqrt(beta**2 + c**2), axis=-1)


def woodworth_mirror_map(beta, alpha):
    """``grad Psi_alpha(beta) = 1/4 arcsinh(beta / (2 alpha^2))`` (eq. 12)."""
    alpha = _check_positive("alpha", alpha)
    return 0.25 * np.arcsinh(np.asarray(beta, dtype=float) / (2 * alpha**2))


def _solve_dual(problem, beta_of_z, dbeta_of_z, conj, z0, max_dz=np.inf):
    """Solve ``X beta(z0 + X^T nu) = y`` for ``nu``; returns ``beta``.

    ``beta_of_z`` is the inverse mirror map (monotone, element-wise) and
    ``conj`` its antiderivative (the convex conjugate of the potential), so
    ``nu`` minimises the convex dual ``G(nu) = sum conj(z0 + X^T nu) - <nu, y>``.
    Under Assumption 3.2 the equations decouple into one monotone scalar
    equation per row, solved by bracketing; otherwise by Newton's method on
    ``G`` with backtracking, each step shortened so that it changes no ``z_i`` by
    more than ``max_dz``.
    """
    X, y = problem.X, problem.y
    allb = np.arange(problem.D)
    if problem.blocks is not None:
        nu = np.empty(problem.N)
        for n, b in enumerate(problem.blocks):
            x = X[n, b]
            g0 = z0[b]

            def F(t, x=x, g0=g0, yn=y[n], b=b):
                return x @ beta_of_z(g0 + x * t, b) - yn

            # the doubling bracket search may overshoot to where beta(z) overflows to +-inf,
            # which only tells it that the root is closer: no warning for that
            with np.errstate(over="ignore"):
                lo, hi = -1.0, 1.0
                while F(lo) > 0:
                    lo *= 2
                while F(hi) < 0:
                    hi *= 2
                nu[n], info = brentq(F, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                                     maxiter=500, full_output=True, disp=False)
                # a sign change of F where beta overflows is no root
                scale = abs(y[n]) + np.abs(x) @ np.abs(beta_of_z(g0 + x * nu[n], b))
                if not (info.converged and abs(F(nu[n])) <= 1e-6 * scale):
                    raise RuntimeError(
                        f"row {n} of X beta = y has no solution in floating point: beta would "
                        "exceed the largest float (1.8e308); rescale X or y."
                    )
    else:
        def G(nu):
            return np.sum(conj(z0 + X.T @ nu, allb)) - nu @ y

        def grad(nu):
            b = beta_of_z(z0 + X.T @ nu, allb)
            # round-off floor of X @ b - y, below which no step can make progress
            floor = 1e-13 * (np.linalg.norm(y) + np.linalg.norm(X) * np.linalg.norm(b))
            return X @ b - y, floor

        nu = np.zeros(problem.N)
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(500):
                g, floor = grad(nu)
                gn = np.linalg.norm(g)
                if gn <= floor:
                    break
                Hm = (X * dbeta_of_z(z0 + X.T @ nu, allb)) @ X.T
                # Newton's step Hm^-1 g = d / s, solved on Hm / s with entries of order one:
                # Hm itself can be as small as alpha^2 and its step beyond the largest float
                s = np.trace(Hm) / problem.N
                d = np.linalg.solve(Hm / s + 1e-14 * np.eye(problem.N), g)
                dz = np.max(np.abs(X.T @ d))
                step = d * (max_dz / dz) if dz > max_dz * s else d / s
                g0, t = G(nu), 1.0
                while t > 1e-16:
                    new = nu - t * step
                    Gn = G(new)
                    if np.isfinite(Gn) and Gn <= g0 - 1e-4 * t * (g @ step):
                        break
                    # near the solution G changes at round-off level: accept any step
                    # that halves the gradient instead
                    gnew = np.linalg.norm(grad(new)[0])
                    if np.isfinite(gnew) and gnew <= 0.5 * gn:
                        break
                    t /= 2
                nu = new
            else:
                raise RuntimeError(
                    "the constrained minimisation did not converge in 500 Newton steps; "
                    "the data may be ill-conditioned."
                )
    return beta_of_z(z0 + X.T @ nu, allb)


def min_bregman_solution(problem, alpha):
    """``argmin D_Psi(beta, 0) s.t. X beta = y`` (eq. 14): the limit of gradient flow.

    The KKT conditions read ``1/4 arcsinh(beta / (2 alpha^2)) = X^T nu``, so
    ``beta = 2 alpha^2 sinh(4 X^T nu)`` with ``nu`` solving ``X beta(nu) = y``.
    For small ``alpha`` the solution has ``|X^T nu| ~ 1/4 log(|beta| / alpha^2)``, far from the
    start ``nu = 0``, where the quadratic model of the dual is too flat by the factor
    ``cosh(4 X^T nu)`` and Newton's step overshoots by orders of magnitude: each step changes
    ``X^T nu`` by at most 16 (``beta`` by a factor of at most ``e^64``). ``2 alpha^2 sinh`` is
    evaluated without overflow of ``sinh`` alone, so ``alpha`` may go down to 1.1e-154.

    Returns
    -------
    ndarray, shape (D,)

    Raises
    ------
    RuntimeError
        If the solution has an entry beyond the largest float, or Newton's method stalls.
    """
    _require_problem(problem)
    alpha = _check_positive("alpha", alpha)
    c = 2 * alpha**2
    if c < np.finfo(float).tiny:
        raise ValueError(
            f"`alpha` = {alpha:g} is too small: 2 alpha^2 underflows (below 2.2e-308), so "
            "beta = 2 alpha^2 sinh(4 X^T nu) cannot be evaluated; pass alpha >= 1.1e-154."
        )
    return _solve_dual(
        problem,
        lambda z, b: _c_times(np.sinh, c, 4 * z),
        lambda z, b: 4 * _c_times(np.cosh, c, 4 * z),
        lambda z, b: _c_times(np.cosh, c, 4 * z) / 4,
        np.zeros(problem.D),
        max_dz=16.0,
    )


def _c_times(f, c, w, cut=700.0):
    """``c f(w)`` for ``f`` = sinh or cosh, finite wherever the product is.

    For ``|w| > cut`` (where ``f(w)`` alone may overflow although ``c f(w)`` does not, as for a
    small ``c = 2 alpha^2``) it is ``+-exp(|w| + log c) / 2``, which leaves out only the relative
    ``exp(-2 |w|) < 1e-608``; below it is ``c f(w)`` itself.
    """
    w = np.asarray(w, dtype=float)
    with np.errstate(over="ignore"):
        far = 0.5 * np.exp(np.abs(w) + np.log(c))
    if f is np.sinh:
        far = np.sign(w) * far
    return np.where(np.abs(w) > cut, far, c * f(np.clip(w, -cut, cut)))


def _require_problem(problem):
    if not isinstance(problem, Problem):
        raise ValueError("`problem` must be an ssdlib.Problem; build one with Problem(X, y).")


def _require_traj(traj):
    if not isinstance(traj, Trajectory):
        raise ValueError("`traj` must be a Trajectory returned by `simulate`.")
    if traj.method == "gd":
        raise ValueError(
            "`traj` comes from gradient descent; E and the KKT error describe smoothed sign "
            "descent (method='ssd')."
        )


def _grad_phi0(traj):
    """``grad Phi_0(beta_0) = sgn(x_i y) u_i(0) = sgn(x_i y) alpha`` (Appendix B.1)."""
    return traj.sign * traj.alpha


def bregman_E(beta, traj):
    """``E(beta, beta_0)`` of eq. (22) for the flow ``traj``.

    ``E(beta, beta_0) = Phi_inf(beta) - Phi_0(beta_0) + <grad Phi_0(beta_0), beta_0 - beta>``
    with ``beta_0 = 0``, ``Phi_inf`` built from ``traj.v_inf`` and ``Phi_0``
    from ``v(0) = alpha``.

    Parameters
    ----------
    beta : array_like, shape (..., D)
    traj : Trajectory

    Returns
    -------
    ndarray, shape (...)
    """
    _require_traj(traj)
    beta = np.asarray(beta, dtype=float)
    if beta.shape[-1] != traj.beta_inf.size:
        raise ValueError(f"`beta` must have last dimension D = {traj.beta_inf.size}.")
    H = traj.depth
    beta0 = np.zeros_like(traj.beta_inf)
    phi0 = potential(beta0, np.full_like(beta0, traj.alpha), H)
    return (potential(beta, traj.v_inf, H) - phi0
            + np.sum(_grad_phi0(traj) * (beta0 - beta), axis=-1))


def min_E_solution(problem, traj):
    """The minimiser of problem (23): ``min E(beta, beta_0) s.t. X beta = y``.

    KKT: ``grad Phi_inf(beta) - grad Phi_0(beta_0) = X^T nu``; inverting the
    mirror map, ``beta_i = sgn(z_i) max(|z_i|^H - v_i^H, 0)`` with
    ``z = grad Phi_0(beta_0) + X^T nu``.

    Returns
    -------
    ndarray, shape (D,)
    """
    _require_problem(problem)
    _require_traj(traj)
    H = traj.depth
    vH = traj.v_inf**H

    def beta_of_z(z, b):
        return np.sign(z) * np.maximum(np.abs(z) ** H - vH[b], 0.0)

    def dbeta_of_z(z, b):
        return np.where(np.abs(z) ** H > vH[b], H * np.abs(z) ** (H - 1), 0.0)

    def conj(z, b):
        v = traj.v_inf[b]
        az = np.maximum(np.abs(z), v)
        return (az ** (H + 1) - v ** (H + 1)) / (H + 1) - vH[b] * (az - v)

    return _solve_dual(problem, beta_of_z, dbeta_of_z, conj, _grad_phi0(traj))


def _kkt_residual_vector(problem, traj):
    require(problem, "3.2")
    _require_traj(traj)
    if traj.problem is not problem:
        raise ValueError("`traj` was computed for a different problem.")
    return traj.sign * (traj.u_inf - traj.alpha)


def kkt_error(problem, traj):
    """The KKT error ``delta`` of Theorem 3.9, computed as in Appendix B.1.

    ``delta = min_nu |grad Phi_inf(beta_inf) - grad Phi_0(beta_0) - X^T nu|``
    with ``grad Phi_inf(beta_inf) = sgn(x_i y) u_i^inf`` and
    ``grad Phi_0(beta_0) = sgn(x_i y) alpha``: the distance of
    ``V = sgn(x y) (u_inf - alpha)`` from the row space of ``X``. Needs
    Assumption 3.2 (where Prop. 3.4 defines ``u``).

    Returns
    -------
    float
    """
    V = _kkt_residual_vector(problem, traj)
    X = problem.X
    nu, *_ = np.linalg.lstsq(X.T, V, rcond=None)
    return float(np.linalg.norm(V - X.T @ nu))


def kkt_Delta(problem, traj):
    """Signed ``Delta_n = |cos th_n| (u_2^inf - alpha) - |sin th_n| (u_1^inf - alpha)`` per block.

    Coordinates are ordered as in Assumption 3.8 (``|cos| >= |sin|``); Theorem 3.9
    bounds ``M_minus <= Delta_n <= M_plus`` and ``delta = sqrt(sum Delta_n^2)``.

    Returns
    -------
    ndarray, shape (N,)
    """
    _kkt_residual_vector(problem, traj)
    cols, _, thetas = problem.block_angles()
    du = traj.u_inf[cols] - traj.alpha  # (N, 2): column 0 is the |cos| coordinate
    return np.abs(np.cos(thetas)) * du[:, 1] - np.abs(np.sin(thetas)) * du[:, 0]


def kkt_bounds(problem, alpha, eps):
    """``(M_plus, M_minus)`` per block, the exact bounds of Lemmas B.2 and B.3.

    Parameters
    ----------
    problem : Problem
        Must satisfy Assumption 3.8.
    alpha, eps : float

    Returns
    -------
    ndarray, shape (N, 2)
        Columns ``M_plus``, ``M_minus``.
    """
    _require_problem(problem)
    alpha = _check_positive("alpha", alpha)
    eps = _check_positive("eps", eps, allow_zero=True)
    _, lams, thetas = problem.block_angles()
    mp, mm = kkt_bounds_block(lams, thetas, problem.y, alpha, eps)
    return np.column_stack([np.broadcast_to(mp, lams.shape), np.broadcast_to(mm, lams.shape)])
