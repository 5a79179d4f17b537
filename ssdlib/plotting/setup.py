"""Figures of the problem-setup chapter (Section 3.2 and Assumptions 3.2-3.3 of the paper).

The paper has no figures for this material; these illustrate Assumption 3.2 (block structure of
``X^T X``), Assumption 3.3 (eqs. 18-19, the admissible ``(alpha, eps)`` region) and the relation
between the discrete algorithm, eq. (15), and its flow, eq. (16).
"""

from __future__ import annotations

import numpy as np

from ..problem import assumption_3_3_bounds, check_assumptions
from ..flow import sign_descent, sign_flow_hitting_times, simulate
from .style import column_figure, legend_below

__all__ = [
    "EXPLORE_RANGES",
    "flow_explorer",
    "plot_assumption_region",
    "plot_discretisation",
    "plot_flow_and_discrete",
    "plot_gram_blocks",
]

EXPLORE_RANGES = {"eps": (1e-4, 1.0), "alpha": (10**-2.5, 1.0)}
"""Ranges of the chapter's sliders for :func:`flow_explorer` (both on a log scale)."""


def plot_gram_blocks(problem):
    """``|X^T X|`` before and after permuting the columns into blocks (Assumption 3.2).

    Parameters
    ----------
    problem : Problem
        Data satisfying Assumption 3.2 (``problem.blocks`` is not None).

    Returns
    -------
    matplotlib.figure.Figure
        Two image panels; the right one has the block boundaries drawn as lines.
    """
    if problem.blocks is None:
        raise ValueError("`problem` must satisfy Assumption 3.2 (problem.blocks is None).")
    G = problem.X.T @ problem.X
    perm = np.concatenate(problem.blocks)
    Gp = G[np.ix_(perm, perm)]
    vmax = float(np.abs(G).max())
    D = problem.D
    fig = column_figure(3.0)
    axes = fig.subplots(1, 2)
    for ax, M, labels, title in (
        (axes[0], G, np.arange(D), r"$|X^\top X|$, columns as given"),
        (axes[1], Gp, perm, r"columns permuted into blocks"),
    ):
        im = ax.imshow(np.abs(M), cmap="Blues", vmin=0, vmax=vmax)
        ax.set_xticks(np.arange(D), [str(i) for i in labels])
        ax.set_yticks(np.arange(D), [str(i) for i in labels])
        ax.set_title(title)
        ax.set_xlabel("column")
    axes[0].set_ylabel("column")
    edge = -0.5
    for b in problem.blocks[:-1]:
        edge += len(b)
        axes[1].axhline(edge, color="C3", lw=1)
        axes[1].axvline(edge, color="C3", lw=1)
    fig.colorbar(im, ax=list(axes), shrink=0.8)
    return fig


def plot_assumption_region(problem, *, alpha_range=(1e-3, 1.0), eps_range=(1e-4, 0.1),
                           points=(), n=400):
    """The admissible region of Assumption 3.3 in the ``(alpha, eps)`` plane (log-log).

    Eq. (18) is the horizontal line ``eps = min_i eps_max,i``; eq. (19) gives two
    curves, the line ``alpha = 9 eps / (4 min_i |x_i y|)`` (lower bound on
    ``alpha``) and the vertical line ``alpha = min_n alpha_hi,n`` (upper bound).
    The admissible set (all coordinates) is shaded.

    Parameters
    ----------
    problem : Problem
        Data satisfying Assumption 3.2.
    alpha_range, eps_range : tuple of float
        Axis limits.
    points : sequence of (alpha, eps, label)
        Points to mark.
    n : int
        Grid points of the shading.

    Returns
    -------
    matplotlib.figure.Figure
    """
    eps_max, _, alpha_hi = assumption_3_3_bounds(problem, 0.0)
    xy = np.abs(problem.X.T @ problem.y)  # |x_i y^(n)| for the row n of column i
    e_max = float(eps_max.min())
    a_hi = float(alpha_hi.min())
    m = float(xy.min())
    a = np.geomspace(*alpha_range, n)
    fig = column_figure(4.0)
    ax = fig.subplots()
    upper = np.minimum(e_max, 4 * a * m / 9)
    ok = a <= a_hi
    ax.fill_between(a[ok], eps_range[0], upper[ok], color="C2", alpha=0.2, lw=0,
                    label="Assumption 3.3 holds")
    ax.axhline(e_max, color="C0", lw=1.5, label="eq. (18): upper bound on $\\varepsilon$")
    ax.plot(a, 4 * a * m / 9, color="C1", lw=1.5,
            label=r"eq. (19): lower bound on $\alpha$")
    ax.axvline(a_hi, color="C3", lw=1.5, label=r"eq. (19): upper bound on $\alpha$")
    for pa, pe, lab in points:
        ax.plot(pa, pe, "o", color="k", ms=5, zorder=5)
        ax.annotate(lab, (pa, pe), textcoords="offset points", xytext=(-6, -3),
                    ha="right")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*alpha_range)
    ax.set_ylim(*eps_range)
    ax.set_xlabel(r"initialisation scale $\alpha$")
    ax.set_ylabel(r"stability constant $\varepsilon$")
    legend_below(fig, ncols=2, frameon=False)  # below the axes: over no line or region
    return fig


def _draw_beta(ax, flow, run=None, *, every=1):
    D = flow.beta.shape[1]
    for i in range(D):
        ax.plot(flow.t, flow.beta[:, i], "-", color=f"C{i % 10}", lw=1.5)
    if run is not None:
        for i in range(D):
            ax.plot(run.t[::every], run.beta[::every, i], "o", mfc="none", ms=3.5,
                    color=f"C{i % 10}")
    ax.axhline(0, color="0.8", lw=0.6, zorder=0)
    ax.set_xlabel("$t$")
    ax.set_ylabel(r"$\beta_i(t)$")
    # short tick labels for tiny beta (large eps, small alpha): the axes have a fixed position
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))


def plot_flow_and_discrete(flow, run=None, *, every=1, title=None):
    """``beta(t)`` of the SSD flow (lines, eq. 16) and a discrete run (circles, eq. 15).

    Parameters
    ----------
    flow : Trajectory
        From ``simulate``.
    run : Trajectory, optional
        From ``sign_descent`` (``t = k * eta``).
    every : int
        Draw every ``every``-th iterate of ``run``.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes with ``D`` lines for the flow and ``D`` marker lines for the run.
    """
    # no layout engine: this function backs an interactive widget and must redraw fast
    fig = column_figure(3.4, layout=None)
    ax = fig.add_axes((0.1, 0.15, 0.87, 0.75))
    _draw_beta(ax, flow, run, every=every)
    if title is not None:
        # an explicit y skips Matplotlib's automatic title placement (a third of the draw time)
        ax.set_title(title, y=1.01)
    return fig


def flow_explorer(problem, *, eta=0.01):
    """The redraw that the chapter's ``eps`` and ``alpha`` sliders call.

    Parameters
    ----------
    problem : Problem
        Data satisfying Assumption 3.2 (the chapter uses the Figure-2 data, ``N = 1``,
        ``D = 2``).
    eta : float, keyword-only
        Step size of the discrete algorithm, ``> 0``.

    Returns
    -------
    callable
        ``explore(eps=0.01, alpha=0.1)``: solves the flow (eq. 16, loose tolerance
        ``rtol = 1e-6``, enough for a picture) and runs the algorithm (eq. 15) with step
        ``eta`` over 1.5 times the time at which sign flow (``eps = 0``) interpolates, and
        returns :func:`plot_flow_and_discrete` of both (60 markers or fewer), titled with
        ``eps``, ``alpha``, ``eta`` and whether Assumption 3.3 holds there.
        :data:`EXPLORE_RANGES` holds the ranges of the chapter's sliders.
    """
    if problem.blocks is None:
        raise ValueError("`problem` must satisfy Assumption 3.2 (problem.blocks is None).")
    if not eta > 0:
        raise ValueError("`eta` must be a positive step size.")

    def explore(eps=0.01, alpha=0.1):
        t_end = 1.5 * float(sign_flow_hitting_times(problem, alpha).max())
        flow = simulate(problem, alpha, eps, t_eval=np.linspace(0, t_end, 101), rtol=1e-6,
                        atol=1e-9)
        run = sign_descent(problem, alpha, eps, eta, int(np.ceil(t_end / eta)))
        ok = "holds" if check_assumptions(problem, alpha, eps).a33 else "fails"
        title = (rf"$\varepsilon = {eps:.3g}$, $\alpha = {alpha:.3g}$, $\eta = {eta:g}$ "
                 f"(Assumption 3.3 {ok})")
        return plot_flow_and_discrete(flow, run, every=max(1, run.t.size // 60), title=title)

    return explore


def plot_discretisation(etas, errors, flow, runs, *, fit=None, labels=None,
                        series_labels=None):
    """Discrete smoothed sign descent (eq. 15) against its flow (eq. 16) as ``eta -> 0``.

    Left: ``max_t |beta_eta(t) - beta(t)|`` against ``eta`` (log-log) with the
    fitted power law. Right: ``beta(t)`` of the flow (lines) and of the discrete
    runs (markers, one marker style per run).

    Parameters
    ----------
    etas : array_like, shape (K,)
    errors : array_like, shape (K,) or (S, K)
        One row per series (e.g. per ``eps``).
    flow : Trajectory
    runs : sequence of Trajectory
        Discrete runs to overlay (a few, coarse ``eta``).
    fit : tuple (slope, intercept) or sequence of them, optional
        ``log(error) = slope * log(eta) + intercept`` per series; dashed lines.
    labels : sequence of str, optional
        Legend entries of the runs; default ``eta = <spacing of run.t>``.
    series_labels : sequence of str, optional
        Legend entries of the error series.

    Returns
    -------
    matplotlib.figure.Figure
    """
    etas = np.asarray(etas, dtype=float)
    errors = np.atleast_2d(np.asarray(errors, dtype=float))
    if errors.shape[1] != etas.size:
        raise ValueError("`errors` must have shape (len(etas),) or (S, len(etas)).")
    if fit is not None and np.ndim(fit[0]) == 0:
        fit = [fit]
    fig = column_figure(3.6)
    ax0, ax1 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    for k, err in enumerate(errors):
        lab = series_labels[k] if series_labels is not None else "measured"
        ax0.loglog(etas, err, "os^Dv"[k % 5], color=f"C{k % 10}", mfc="none", label=lab)
        if fit is not None:
            slope, icpt = fit[k]
            ax0.loglog(etas, np.exp(icpt) * etas**slope, "--", color=f"C{k % 10}", lw=1,
                       label=f"fit: slope {slope:.3f}")
    ax0.set_xlabel(r"step size $\eta$")
    ax0.set_ylabel(r"$\max_t \|\beta_\eta(t) - \beta(t)\|_\infty$")
    ax0.legend(frameon=False, loc="upper left")  # the errors rise to the right: empty there
    ax0.set_title("distance to the flow")
    D = flow.beta.shape[1]
    for i in range(D):
        ax1.plot(flow.t, flow.beta[:, i], "-", color=f"C{i % 10}", lw=1.3)
    markers = ["o", "s", "^", "D", "v"]
    for k, run in enumerate(runs):
        mk = markers[k % len(markers)]
        lab = labels[k] if labels is not None else rf"$\eta = {run.t[1] - run.t[0]:g}$"
        for i in range(D):
            ax1.plot(run.t, run.beta[:, i], mk, mfc="none", ms=4, color=f"C{i % 10}",
                     label=lab if i == 0 else None)
    ax1.axhline(0, color="0.8", lw=0.6, zorder=0)
    ax1.set_xlabel("$t$")
    ax1.set_ylabel(r"$\beta_i(t)$")
    # every beta_i starts at 0 and moves slowly at first: the upper left corner is empty
    ax1.legend(frameon=False, title="lines: flow", loc="upper left")
    ax1.set_title("trajectories")
    return fig
