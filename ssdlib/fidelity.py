"""Which conventions reproduce the paper's Figures 1-3: fits to the plot readings.

The values read off the paper's plots, with their uncertainties, are in
:mod:`ssdlib.paper_readings`. This module compares flows of :func:`ssdlib.simulate`
with them and fits the free conventions: the data ``X, y`` (their scale in
particular), ``alpha``, the subgradient of ``Phi_0`` at ``beta_0 = 0`` used in
``E`` (eq. 22), and whether the figures show the flow (eq. 16) or discrete steps
(eq. 15). Every residual is ``(model - reading) / sigma``, so that ``|r| <= 1`` means
"within the reading uncertainty".

Main entry points
-----------------
* :func:`paper_instance` -- the seeded construction that reproduces the figures.
* :func:`figure1_residuals`, :func:`figure2_residuals`, :func:`figure3_residuals`
  -- an instance and conventions against the readings of one figure.
* :func:`fit_figure1`, :func:`fit_figures_2_3` -- least-squares fits of the data
  (and ``alpha``) to the readings; :func:`compare_subgradients` repeats the
  Figure 2-3 fit for each candidate subgradient of ``Phi_0``.
* :func:`figure3_discrete_residuals` -- Figure 3 with the discrete algorithm.

All fits return a :class:`FitResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, least_squares

from . import paper_readings as pr
from .flow import sign_descent, simulate_batch
from .mirror import potential
from .problem import Problem, check_assumptions

__all__ = [
    "SUBGRADIENTS",
    "COMPARISON_HEADER",
    "FitResult",
    "bregman_E_with",
    "compare_subgradients",
    "comparison_rows",
    "comparison_table",
    "figure1_residuals",
    "figure2_residuals",
    "figure3_discrete_residuals",
    "figure3_residuals",
    "fit_figure1",
    "fit_figures_2_3",
    "line_instance",
    "min_E_with",
    "paper_instance",
]

#: Candidate subgradients ``g`` of ``Phi_0`` at ``beta_0 = 0`` (``Phi_0`` has a kink
#: there; every ``g`` with ``|g_i| <= alpha`` is a subgradient). ``E(beta, 0) =
#: Phi_inf(beta) - Phi_0(0) - <g, beta>``.
SUBGRADIENTS = {
    "appendix_b1": "g = sgn(x_i y) alpha, the initial dual variable along the flow "
                   "(Appendix B.1; ssdlib.bregman_E)",
    "minus_alpha": "g = -alpha * 1",
    "plus_alpha": "g = +alpha * 1",
    "zero": "g = 0 (numpy's sign(0) = 0 in sgn(beta) sqrt(|beta| + v^2))",
}


def _subgradient(name, problem, alpha):
    if name not in SUBGRADIENTS:
        raise ValueError(f"`subgradient` must be one of {sorted(SUBGRADIENTS)}; got {name!r}.")
    D = problem.D
    if name == "appendix_b1":
        return problem.xy_sign * alpha
    if name == "minus_alpha":
        return np.full(D, -alpha)
    if name == "plus_alpha":
        return np.full(D, alpha)
    return np.zeros(D)


def bregman_E_with(beta, traj, subgradient="appendix_b1"):
    """``E(beta, beta_0)`` of eq. (22) with a chosen subgradient of ``Phi_0`` at ``0``.

    ``E = Phi_inf(beta) - Phi_0(0) - <g, beta>`` with ``Phi_inf`` built from
    ``traj.v_inf``, ``Phi_0(0) = 2/3 sum alpha^3`` and ``g`` from
    :data:`SUBGRADIENTS`; ``"appendix_b1"`` equals :func:`ssdlib.bregman_E`.

    Parameters
    ----------
    beta : array_like, shape (..., D)
    traj : Trajectory
        A depth-2 SSD trajectory (flow or discrete; negative discrete ``v`` enter
        through ``v^2``).
    subgradient : str

    Returns
    -------
    ndarray, shape (...)
    """
    beta = np.asarray(beta, dtype=float)
    g = _subgradient(subgradient, traj.problem, traj.alpha)
    v_inf = np.abs(traj.v_inf)
    phi0 = potential(np.zeros_like(v_inf), np.full_like(v_inf, traj.alpha))
    return potential(beta, v_inf) - phi0 - beta @ g


def min_E_with(problem, traj, subgradient="appendix_b1"):
    """Minimiser of :func:`bregman_E_with` over ``X beta = y`` (problem 23).

    KKT: ``sgn(beta) (|beta| + v_inf^2)^{1/2} = g + X^T nu``, i.e.
    ``beta_i = sgn(z_i) max(z_i^2 - v_i^2, 0)`` with ``z = g + X^T nu``; one monotone
    scalar equation per block (Assumption 3.2).

    Returns
    -------
    ndarray, shape (D,)
    """
    if problem.blocks is None:
        raise ValueError("`problem` must satisfy Assumption 3.2 (build it with "
                         "`Problem.random_blocks`, `Problem.from_angles` or `paper_instance`).")
    g = _subgradient(subgradient, problem, traj.alpha)
    v2 = np.abs(traj.v_inf) ** 2
    beta = np.zeros(problem.D)
    for n, b in enumerate(problem.blocks):
        x = problem.X[n, b]

        def bz(nu, x=x, b=b):
            z = g[b] + x * nu
            return np.sign(z) * np.maximum(z**2 - v2[b], 0.0)

        def F(nu, x=x, n=n, bz=bz):
            return x @ bz(nu) - problem.y[n]

        lo, hi = -1.0, 1.0
        while F(lo) > 0:
            lo *= 2
        while F(hi) < 0:
            hi *= 2
        beta[b] = bz(brentq(F, lo, hi, xtol=1e-15, rtol=1e-14))
    return beta


# ---------------------------------------------------------------------------
# instances


def paper_instance(figure):
    """The seeded data that reproduce the paper's figures.

    ``numpy.random.seed(42)`` (legacy ``RandomState``), then ``X`` of shape (N, D)
    and ``y`` of shape (N,) with i.i.d. entries uniform on ``[-1, 1)``, drawn in that
    order; for Figure 1 the entries outside the block pattern of the figure
    (columns 1, 3, 4 in row 1 and columns 2, 5 in row 2, 1-based) are set to 0.

    Parameters
    ----------
    figure : {1, 2, 3}
        1: ``N = 2, D = 5``; 2 and 3 (one instance): ``N = 1, D = 2``.

    Returns
    -------
    Problem
    """
    if figure not in (1, 2, 3):
        raise ValueError(f"`figure` must be 1, 2 or 3; got {figure!r}.")
    rng = np.random.RandomState(42)
    if figure == 1:
        X = rng.uniform(-1.0, 1.0, (2, 5))
        y = rng.uniform(-1.0, 1.0, 2)
        mask = np.zeros((2, 5), dtype=bool)
        for n, cols in enumerate(pr.FIGURE_1["blocks"]):
            mask[n, list(cols)] = True
        return Problem(np.where(mask, X, 0.0), y)
    X = rng.uniform(-1.0, 1.0, (1, 2))
    y = rng.uniform(-1.0, 1.0, 1)
    return Problem(X, y)


def line_instance(lam, slope, intercept):
    """``N = 1, D = 2`` data on the line ``beta_2 = intercept + slope * beta_1``.

    ``x = sqrt(lam) (cos th, sin th)`` with ``th = pi/2 + arctan(slope)`` (so
    ``x_1 / x_2 = -slope``) and ``y = intercept * x_2``: the line ``x . beta = y`` of
    Figure 2 is fixed by ``(slope, intercept)`` and ``lam`` sets the scale of ``x``
    and ``y`` together, which the flow (unlike the line) depends on.
    """
    th = np.pi / 2 + np.arctan(slope)
    y = intercept * np.sqrt(lam) * np.sin(th)
    return Problem.from_angles([th], [lam], [y])


# ---------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class FitResult:
    """Outcome of a comparison or fit against the plot readings.

    Attributes
    ----------
    figure : str
        Which figure(s) the readings come from.
    conventions : dict
        The conventions used or found (e.g. ``alpha``, ``subgradient``,
        ``dual``, ``method``) and, for fits, the fitted data.
    params : dict
        Fitted parameters (empty for a plain comparison).
    param_sigma : dict
        One-sigma uncertainties of ``params`` from the Gauss-Newton covariance
        ``(J^T J)^-1`` of the residuals in sigma units.
    residuals : dict of str -> ndarray
        ``(model - reading) / sigma`` per group of readings.
    problem : Problem
        The instance the residuals were computed on.
    assumption_3_3 : dict
        ``eps -> bool``: whether Assumption 3.3 holds at the figure's ``alpha``.
    success : bool
    message : str
    """

    figure: str
    conventions: dict
    params: dict
    param_sigma: dict
    residuals: dict
    problem: Problem
    assumption_3_3: dict
    success: bool = True
    message: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def all_residuals(self):
        """All residuals in one array (sigma units)."""
        return np.concatenate([np.ravel(r) for r in self.residuals.values()])

    @property
    def chi2(self):
        return float(np.sum(self.all_residuals**2))

    @property
    def n_readings(self):
        return int(self.all_residuals.size)

    @property
    def dof(self):
        return self.n_readings - len(self.params)

    @property
    def max_abs_residual(self):
        return float(np.max(np.abs(self.all_residuals)))

    def within(self, k=1.0):
        """True when every residual is within ``k`` reading uncertainties."""
        return self.max_abs_residual <= k

    def __str__(self):
        lines = [f"{self.figure}: chi2 = {self.chi2:.3g} for {self.n_readings} readings "
                 f"({len(self.params)} fitted), max |residual| = "
                 f"{self.max_abs_residual:.2f} sigma"]
        for k, v in self.params.items():
            s = self.param_sigma.get(k, np.nan)
            lines.append(f"  {k} = {v:.5g} +- {s:.2g}")
        for k, v in self.conventions.items():
            if k not in self.params:
                lines.append(f"  {k}: {v}")
        for k, r in self.residuals.items():
            lines.append(f"  residuals {k}: {np.round(np.ravel(r), 2).tolist()}")
        bad = [e for e, ok in self.assumption_3_3.items() if not ok]
        if bad:
            lines.append(f"  Assumption 3.3 fails at eps = {bad}")
        return "\n".join(lines)


def _a33(problem, alpha, eps_values):
    return {float(e): bool(check_assumptions(problem, alpha, e).a33) for e in eps_values}


def _param_sigma(res, names):
    J = res.jac
    try:
        cov = np.linalg.inv(J.T @ J)
    except np.linalg.LinAlgError:
        return dict.fromkeys(names, np.nan)
    return {n: float(np.sqrt(max(cov[i, i], 0.0))) for i, n in enumerate(names)}


# ---------------------------------------------------------------------------
# Figure 1


def figure1_residuals(problem, alpha=None, *, dual="magnitude", readings=None):
    """Compare the flow on ``problem`` with the readings of Figure 1.

    Simulates eq. (16) at the two ``eps`` of the figure and compares the stage
    times ``T0``, ``T``, the limits ``u_inf`` (dual panel) and ``beta_inf``
    (primal panel) and, for panel (b), the curves at ``t = 0.5`` and ``1.0``.

    Parameters
    ----------
    problem : Problem
        ``N = 2``, ``D = 5`` data, columns in the paper's legend order.
    alpha : float, optional
        Default: the figure's ``alpha = 0.1``.
    dual : {"magnitude", "signed"}
        What the dual panel is taken to show: ``|grad Phi_t(beta(t))| = u(t)`` or
        the signed ``sgn(x_i y) u(t)``.
    readings : dict, optional
        Default ``ssdlib.paper_readings.FIGURE_1``.

    Returns
    -------
    FitResult
        With ``params`` empty; residual groups ``"T0"``, ``"T"``, ``"u_inf"``,
        ``"beta_inf"`` (shape (2, D) or (2,)), ``"u_t"``, ``"beta_t"`` (shape (2, D)).
    """
    R = readings if readings is not None else pr.FIGURE_1
    alpha = R["alpha"] if alpha is None else alpha
    if dual not in ("magnitude", "signed"):
        raise ValueError(f"`dual` must be 'magnitude' or 'signed'; got {dual!r}.")
    eps = np.asarray(R["eps"], dtype=float)
    tb = R["panels"][R["eps"][1]]
    t_fan = list(tb["u_t"]["t"])
    runs = simulate_batch(problem, alpha, eps, t_eval=[0.0, *t_fan])
    res = {k: [] for k in ("T0", "T", "u_inf", "beta_inf")}
    for e, tr in zip(R["eps"], runs, strict=True):
        P = R["panels"][e]
        d_inf = tr.u_inf if dual == "magnitude" else tr.sign * tr.u_inf
        res["T0"].append((tr.T0 - P["T0"]["value"]) / P["T0"]["sigma"])
        res["T"].append((tr.T - P["T"]["value"]) / P["T"]["sigma"])
        res["u_inf"].append((d_inf - np.array(P["u_inf"]["value"])) / P["u_inf"]["sigma"])
        res["beta_inf"].append((tr.beta_inf - np.array(P["beta_inf"]["value"]))
                               / P["beta_inf"]["sigma"])
    tr = runs[1]
    d_t = tr.u[1:] if dual == "magnitude" else tr.sign * tr.u[1:]
    res = {k: np.array(v) for k, v in res.items()}
    res["u_t"] = (d_t - np.array(tb["u_t"]["value"])) / tb["u_t"]["sigma"]
    res["beta_t"] = (tr.beta[1:] - np.array(tb["beta_t"]["value"])) / tb["beta_t"]["sigma"]
    return FitResult(
        figure="Figure 1",
        conventions={"alpha": alpha, "dual": dual, "method": "flow (eq. 16)",
                     "t_max": R["t_max"]},
        params={}, param_sigma={}, residuals=res, problem=problem,
        assumption_3_3=_a33(problem, alpha, eps),
        extra={"runs": runs},
    )


def _figure1_problem(q, R):
    mags = np.exp(q)
    D = len(R["beta_sign"])
    N = len(R["blocks"])
    X = np.zeros((N, D))
    a = mags[:D]
    for n, cols in enumerate(R["blocks"]):
        cols = list(cols)
        X[n, cols] = np.array(R["beta_sign"], dtype=float)[cols] * a[cols]
    return Problem(X, mags[D:D + N])


def fit_figure1(readings=None, *, x0=None, alpha=None, max_nfev=60):
    """Fit the data of Figure 1 to its readings (flow, magnitudes in the dual panel).

    Free parameters: the magnitudes ``|x_i|`` (D of them) and ``|y_n|`` (N); the
    block pattern and the signs ``sgn(x_i y_n) = sgn(beta_inf_i)`` are read from the
    figure (``readings["blocks"]``, ``readings["beta_sign"]``). Each row ``(x_n, y_n)``
    and ``-(x_n, y_n)`` give the same flow, so ``y > 0`` is returned. ``alpha`` is
    fixed (default: the figure's 0.1). Fitted to every reading of
    :func:`figure1_residuals`.

    Parameters
    ----------
    readings : dict, optional
        Default ``ssdlib.paper_readings.FIGURE_1``.
    x0 : array_like, shape (D + N,), optional
        Starting magnitudes; default all 0.5 (``x``) and 1 (``y``).
    alpha : float, optional
    max_nfev : int

    Returns
    -------
    FitResult
        ``params``: ``|x_1| .. |x_D|``, ``|y_1| .. |y_N|``; ``problem``: the fitted
        instance; ``extra["derived"]``: ``9 eps / (4 |x_i y_n|)`` (the lower end of
        eq. 19 for ``alpha``) at the larger ``eps``, with its uncertainty.
    """
    R = readings if readings is not None else pr.FIGURE_1
    alpha = R["alpha"] if alpha is None else alpha
    D, N = len(R["beta_sign"]), len(R["blocks"])
    if x0 is None:
        x0 = np.r_[np.full(D, 0.5), np.ones(N)]
    x0 = np.log(np.asarray(x0, dtype=float))

    def fun(q):
        return figure1_residuals(_figure1_problem(q, R), alpha, readings=R).all_residuals

    res = least_squares(fun, x0, diff_step=1e-6, max_nfev=max_nfev, x_scale=1.0)
    names = [f"|x_{i + 1}|" for i in range(D)] + [f"|y_{n + 1}|" for n in range(N)]
    q_sig = _param_sigma(res, names)
    vals = np.exp(res.x)
    params = dict(zip(names, vals.tolist(), strict=True))
    sig = {n: params[n] * q_sig[n] for n in names}  # d|.| = |.| dq
    problem = _figure1_problem(res.x, R)
    out = figure1_residuals(problem, alpha, readings=R)
    # the lower end of eq. (19) at the larger eps, with its uncertainty
    e = max(R["eps"])
    J = res.jac
    cov = np.linalg.pinv(J.T @ J)
    derived = {}
    for n, cols in enumerate(R["blocks"]):
        for i in cols:
            lo = 9 * e / (4 * vals[i] * vals[D + n])
            grad = np.zeros(D + N)
            grad[i] = grad[D + n] = -lo  # d lo / d log|x_i| and d log|y_n|
            derived[f"alpha_lo_{i + 1}"] = (float(lo), float(np.sqrt(grad @ cov @ grad)))
    return FitResult(
        figure="Figure 1", conventions={**out.conventions, "fitted": "|x_i|, |y_n|"},
        params=params, param_sigma=sig, residuals=out.residuals, problem=problem,
        assumption_3_3=out.assumption_3_3, success=bool(res.success), message=res.message,
        extra={"derived": derived, "alpha_lo_eps": e},
    )


# ---------------------------------------------------------------------------
# Figures 2 and 3


def figure2_residuals(problem, alpha=0.1, subgradient="minus_alpha", *, readings=None):
    """Compare the flow on an ``N = 1, D = 2`` problem with the readings of Figure 2.

    Residual groups: ``"line"`` (slope and intercept of ``x . beta = y`` against
    the dashed line), ``"limits"`` (``beta_1`` of the five limits; ``beta_2`` follows
    from the line) and ``"min_E"`` (both coordinates of the minimiser of
    :func:`bregman_E_with` on the line, for the run with the largest ``eps``).

    Returns
    -------
    FitResult
    """
    R = readings if readings is not None else pr.FIGURE_2
    x = problem.X[0]
    y = problem.y[0]
    runs = simulate_batch(problem, alpha, np.asarray(R["eps"], dtype=float))
    b1 = np.array([tr.beta_inf[0] for tr in runs])
    star = min_E_with(problem, runs[-1], subgradient)
    L = R["line"]
    res = {
        "line": np.array([(-x[0] / x[1] - L["slope"]) / L["sigma"],
                          (y / x[1] - L["intercept"]) / L["sigma"]]),
        "limits": (b1 - np.array(R["limits"]["beta1"])) / R["limits"]["sigma"],
        "min_E": (star - np.array([R["min_E"]["beta1"], R["min_E"]["beta2"]]))
        / R["min_E"]["sigma"],
    }
    return FitResult(
        figure="Figure 2", conventions={"alpha": alpha, "subgradient": subgradient,
                                        "method": "flow (eq. 16)"},
        params={}, param_sigma={}, residuals=res, problem=problem,
        assumption_3_3=_a33(problem, alpha, R["eps"]),
        extra={"runs": runs, "min_E": star},
    )


def figure3_residuals(problem, alpha=0.1, subgradient="minus_alpha", *, readings=None):
    """Compare ``E(beta_inf, 0)`` of the flow with the readings of Figure 3.

    Residual group ``"E"``: ``(E_model - E_read) / sigma`` at the 20 ``eps`` of the
    figure, with ``E`` from :func:`bregman_E_with`.

    Returns
    -------
    FitResult
    """
    R = readings if readings is not None else pr.FIGURE_3
    runs = simulate_batch(problem, alpha, np.asarray(R["eps"], dtype=float))
    E = np.array([float(bregman_E_with(tr.beta_inf, tr, subgradient)) for tr in runs])
    return FitResult(
        figure="Figure 3", conventions={"alpha": alpha, "subgradient": subgradient,
                                        "method": "flow (eq. 16)"},
        params={}, param_sigma={}, residuals={"E": (E - np.array(R["E"])) / R["sigma"]},
        problem=problem, assumption_3_3=_a33(problem, alpha, R["eps"]),
        extra={"runs": runs, "E": E},
    )


def figure3_discrete_residuals(problem, alpha, eta, subgradient="minus_alpha", *,
                               eps_index=(0, 4, 9, 19), t_end=3.0, readings=None):
    """Figure 3 with the discrete algorithm (eq. 15) at step size ``eta``.

    Runs ``round(t_end / eta)`` steps for the ``eps`` of the figure selected by
    ``eps_index`` and compares ``E`` of the last iterate with the readings.

    Returns
    -------
    ndarray
        Residuals ``(E - E_read) / sigma``, one per selected ``eps``.
    """
    R = readings if readings is not None else pr.FIGURE_3
    steps = int(round(t_end / eta))
    out = []
    for k in eps_index:
        tr = sign_descent(problem, alpha, R["eps"][k], eta, steps, record_every=steps)
        E = float(bregman_E_with(tr.beta_inf, tr, subgradient))
        out.append((E - R["E"][k]) / R["sigma"])
    return np.array(out)


def fit_figures_2_3(subgradient="minus_alpha", *, readings2=None, readings3=None,
                    x0=(1.0, 0.1), fit_alpha=True, alpha=0.1, max_nfev=80):
    """Fit the scale of the Figure-2 data and ``alpha`` to the readings of Figures 2 and 3.

    The figures are taken to show one instance (the paper describes one
    randomly generated ``N = 1, D = 2`` data set; both use the same colour map).
    Parameters: ``lam`` (``|x|^2``, the scale of ``x`` and ``y`` together), ``alpha``
    (unless ``fit_alpha=False``) and the line's ``slope`` and ``intercept`` (tied to
    the dashed-line readings by their own residuals, see :func:`line_instance`).
    Readings: Figure 2's line, limits and min-E point and Figure 3's 20 values of
    ``E``; ``subgradient`` selects ``E`` (see :data:`SUBGRADIENTS`).

    Parameters
    ----------
    subgradient : str
    readings2, readings3 : dict, optional
        Default ``ssdlib.paper_readings.FIGURE_2`` and ``FIGURE_3``.
    x0 : tuple of float
        Starting ``(lam, alpha)``.
    fit_alpha : bool
    alpha : float
        Used when ``fit_alpha`` is False.
    max_nfev : int

    Returns
    -------
    FitResult
        ``params``: ``lam``, ``alpha`` (if fitted), ``slope``, ``intercept``;
        ``problem``: the fitted instance.
    """
    R2 = readings2 if readings2 is not None else pr.FIGURE_2
    R3 = readings3 if readings3 is not None else pr.FIGURE_3
    _subgradient(subgradient, Problem([[1.0]], [1.0]), 1.0)  # validate the name early
    s0, c0 = R2["line"]["slope"], R2["line"]["intercept"]

    def unpack(q):
        lam = np.exp(q[0])
        a = np.exp(q[1]) if fit_alpha else alpha
        return lam, a, q[-2], q[-1]

    def both(q):
        lam, a, s, c = unpack(q)
        p = line_instance(lam, s, c)
        return (figure2_residuals(p, a, subgradient, readings=R2),
                figure3_residuals(p, a, subgradient, readings=R3))

    def fun(q):
        f2, f3 = both(q)
        return np.concatenate([f2.all_residuals, f3.all_residuals])

    q0 = [np.log(x0[0])] + ([np.log(x0[1])] if fit_alpha else []) + [s0, c0]
    res = least_squares(fun, q0, diff_step=1e-6, max_nfev=max_nfev)
    names = ["lam"] + (["alpha"] if fit_alpha else []) + ["slope", "intercept"]
    qs = _param_sigma(res, names)
    lam, a, s, c = unpack(res.x)
    params = {"lam": lam, **({"alpha": a} if fit_alpha else {}), "slope": s, "intercept": c}
    sig = {"lam": lam * qs["lam"], "slope": qs["slope"], "intercept": qs["intercept"]}
    if fit_alpha:
        sig["alpha"] = a * qs["alpha"]
    f2, f3 = both(res.x)
    p = f2.problem
    return FitResult(
        figure="Figures 2 and 3",
        conventions={"alpha": a, "subgradient": subgradient, "method": "flow (eq. 16)",
                     "x": p.X[0].tolist(), "y": float(p.y[0])},
        params=params, param_sigma=sig,
        residuals={**{f"fig2 {k}": v for k, v in f2.residuals.items()},
                   "fig3 E": f3.residuals["E"]},
        problem=p, assumption_3_3=f2.assumption_3_3 | _a33(p, a, R3["eps"]),
        success=bool(res.success), message=res.message,
        extra={"min_E": f2.extra["min_E"], "E": f3.extra["E"]},
    )


def compare_subgradients(names=None, **kwargs):
    """:func:`fit_figures_2_3` for each candidate subgradient of ``Phi_0``.

    Returns
    -------
    dict of str -> FitResult
        Keyed by subgradient name; compare their ``chi2``.
    """
    names = list(SUBGRADIENTS) if names is None else list(names)
    return {n: fit_figures_2_3(n, **kwargs) for n in names}


# ---------------------------------------------------------------------------
# tables of the comparison


def _reading_groups(result):
    """``group -> (row labels, read values, sigma)`` for the residual groups of ``result``."""
    if result.figure == "Figure 1":
        R = pr.FIGURE_1
        eps = R["eps"]
        P = R["panels"]
        fan = P[eps[1]]
        out = {
            "T0": ([f"$T_0$, $\\varepsilon = {e:g}$" for e in eps],
                   np.array([P[e]["T0"]["value"] for e in eps]), P[eps[0]]["T0"]["sigma"]),
            "T": ([f"$T$, $\\varepsilon = {e:g}$" for e in eps],
                  np.array([P[e]["T"]["value"] for e in eps]), P[eps[0]]["T"]["sigma"]),
            "u_inf": ([f"$u^\\infty$, $\\varepsilon = {e:g}$" for e in eps],
                      np.array([P[e]["u_inf"]["value"] for e in eps]),
                      P[eps[0]]["u_inf"]["sigma"]),
            "beta_inf": ([f"$\\beta^\\infty$, $\\varepsilon = {e:g}$" for e in eps],
                         np.array([P[e]["beta_inf"]["value"] for e in eps]),
                         P[eps[0]]["beta_inf"]["sigma"]),
            "u_t": ([f"$u(t = {t:g})$, $\\varepsilon = {eps[1]:g}$" for t in fan["u_t"]["t"]],
                    np.array(fan["u_t"]["value"]), fan["u_t"]["sigma"]),
            "beta_t": ([f"$\\beta(t = {t:g})$, $\\varepsilon = {eps[1]:g}$"
                        for t in fan["beta_t"]["t"]],
                       np.array(fan["beta_t"]["value"]), fan["beta_t"]["sigma"]),
        }
    elif result.figure == "Figure 2":
        R = pr.FIGURE_2
        out = {
            "line": (["slope of the line", "intercept of the line"],
                     np.array([R["line"]["slope"], R["line"]["intercept"]]), R["line"]["sigma"]),
            "limits": ([f"$\\beta_1^\\infty$, $\\varepsilon = {e:g}$" for e in R["eps"]],
                       np.array(R["limits"]["beta1"]), R["limits"]["sigma"]),
            "min_E": (["min-$E$ point, $\\beta_1$", "min-$E$ point, $\\beta_2$"],
                      np.array([R["min_E"]["beta1"], R["min_E"]["beta2"]]), R["min_E"]["sigma"]),
        }
    elif result.figure == "Figure 3":
        R = pr.FIGURE_3
        out = {"E": ([f"$E$, $\\varepsilon = {e:g}$" for e in R["eps"]], np.array(R["E"]),
                     R["sigma"])}
    else:
        raise ValueError("`result` must come from figure1_residuals, figure2_residuals or "
                         "figure3_residuals.")
    return {k: v for k, v in out.items() if k in result.residuals}


def comparison_rows(result, *, every=1, digits=4):
    """Rows "quantity, paper (read +- sigma), book, (book - paper) / sigma" for a table.

    The book's value of each reading is ``read + sigma * residual``, so the table shows
    exactly what the residuals of ``result`` measure. A vector reading (the five
    coordinates of Figure 1) is one row, its values separated by commas.

    Parameters
    ----------
    result : FitResult
        From :func:`figure1_residuals`, :func:`figure2_residuals` or
        :func:`figure3_residuals`.
    every : int
        Keep every ``every``-th row of each group (Figure 3 has 20).
    digits : int
        Decimals of the values.

    Returns
    -------
    list of tuple of str
        For ``ssdlib.plotting.higher.markdown_table`` with header
        :data:`COMPARISON_HEADER`.
    """
    def show(v, d):
        return ", ".join(f"{x:.{d}f}" for x in np.ravel(v))

    rows = []
    for group, (labels, read, sigma) in _reading_groups(result).items():
        r = np.asarray(result.residuals[group], dtype=float).reshape(read.shape)
        book = read + sigma * r
        for k in range(0, len(labels), every):
            rows.append((labels[k], f"{show(read[k], digits)} ± {sigma:.{digits}f}",
                         show(book[k], digits), show(r[k], 1)))
    return rows


#: Header of the tables of :func:`comparison_rows`.
COMPARISON_HEADER = ("quantity", "paper (read ± σ)", "book", "(book − paper) / σ")


def comparison_table(result, *, every=1, digits=4):
    """:func:`comparison_rows` as a Markdown table (displayed as such by Jupyter and the book)."""
    from .plotting.higher import markdown_table

    return markdown_table(comparison_rows(result, every=every, digits=digits), COMPARISON_HEADER)
