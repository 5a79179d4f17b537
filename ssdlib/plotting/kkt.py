"""Figures of the KKT chapter: the limit of smoothed sign descent as an approximate KKT point.

Each function draws one figure of the chapter "The limit as an approximate KKT point" and returns
a new :class:`matplotlib.figure.Figure` (built without ``matplotlib.pyplot``, so nothing is
shown twice in a notebook and no global state is kept). Regenerated figures of the paper
(Wang and Klabjan, UAI 2025): :func:`plot_trajectories_2d` (Figure 2) and
:func:`plot_E_against_eps` and :func:`plot_figure3_pair` (Figure 3). :func:`plot_figure2_for_eps`
runs the flow for one ``eps`` and draws it: the figure of the chapter's slider. Every figure is
at most the text column wide (:mod:`ssdlib.plotting.style`), with its legend over no data.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..flow import simulate
from ..mirror import min_E_solution
from ..problem import check_assumptions
from .style import COLUMN_WIDTH, legend_below
__all__ = [
    "plot_E_against_eps",
    "plot_corollary_3_12",
    "plot_delta_map",
    "plot_figure2_for_eps",
    "plot_figure3_pair",
    "plot_kkt_bounds",
    "plot_trajectories_2d",
    "plot_v_inf_decay",
]


def _vec(name, value):
    arr = np.asarray(value, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-dimensional array.")
    return arr


def _same_length(ref_name, ref, **arrays):
    out = {}
    for name, value in arrays.items():
        if value is None:
            out[name] = None
            continue
        arr = np.broadcast_to(np.asarray(value, dtype=float), ref.shape) if np.ndim(value) == 0 \
            else _vec(name, value)
        if arr.shape != ref.shape:
            raise ValueError(
                f"`{name}` must have the length of `{ref_name}` ({ref.size}); got {arr.size}."
            )
        out[name] = arr
    return out


def plot_trajectories_2d(problem, trajs, min_E_points=None, *, labels=None, cmap="winter",
                         readings=None, legend_loc="lower left", title=None,
                         figsize=(6.6, 4.6)):
    r"""Figure 2 of the paper: trajectories :math:`\beta(t)` in the plane, ``N = 1, D = 2``.

    Drawn as the paper draws it: one line per trajectory (the curve ``traj.beta``, from
    ``beta(0) = 0`` to its limit, marked by a dot) in the colours ``cmap(k / K)``, the solution
    line ``X beta = y`` (grey, dashed, "all solutions") and the minimiser(s) of problem (23)
    (orange star, "minimal E solution"). The default size is the width of the book's text
    column at 100 dpi.

    Parameters
    ----------
    problem : ssdlib.Problem
        An instance with ``N = 1`` and ``D = 2``.
    trajs : sequence of ssdlib.Trajectory
        Flows of ``problem`` (for instance one per value of ``eps``).
    min_E_points : array_like, shape (2,) or (len(trajs), 2), optional
        Minimiser of ``E(beta, beta_0)`` on the line (``ssdlib.min_E_solution``): one point, or
        one per trajectory (``E`` depends on the run through ``v_inf``).
    labels : sequence of str, optional
        Legend entries of the trajectories; default ``"ε = <traj.eps>"``. Plain text (no
        mathtext) keeps a widget redraw fast.
    cmap : str
        Colour map from which the trajectory colours are taken.
    readings : dict, optional
        ``ssdlib.paper_readings.FIGURE_2``: its limits and min-E point are drawn as open
        black circles and an open black square.
    legend_loc : str
        Where the legend goes (the paper's is at the lower left, where no data are).
    title : str, optional
    figsize : tuple of float

    Returns
    -------
    matplotlib.figure.Figure
        One axes; ``ax.lines[:len(trajs)]`` are the trajectories (in order), followed by the
        solution line.
    """
    if problem.N != 1 or problem.D != 2:
        raise ValueError(
            f"`problem` must have N = 1 and D = 2 (Figure 2); got N = {problem.N}, "
            f"D = {problem.D}."
        )
    trajs = list(trajs)
    if not trajs:
        raise ValueError("`trajs` must contain at least one Trajectory.")
    if labels is None:
        labels = [f"ε = {tr.eps:g}" for tr in trajs]
    if len(labels) != len(trajs):
        raise ValueError("`labels` must have one entry per trajectory.")
    if min_E_points is not None:
        pts = np.atleast_2d(np.asarray(min_E_points, dtype=float))
        if pts.shape[1] != 2 or pts.shape[0] not in (1, len(trajs)):
            raise ValueError(
                "`min_E_points` must have shape (2,) or (len(trajs), 2); got "
                f"{np.shape(min_E_points)}."
            )
    # fixed margins instead of a layout engine: this figure is redrawn by a widget
    fig = Figure(figsize=figsize)
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.12, top=0.97)
    ax = fig.add_subplot()
    cm = colormaps[cmap]
    shades = cm(np.arange(len(trajs)) / len(trajs))
    for tr, lab, col in zip(trajs, labels, shades, strict=True):
        ax.plot(tr.beta[:, 0], tr.beta[:, 1], color=col, lw=1.6, label=lab)
    for tr, col in zip(trajs, shades, strict=True):
        ax.plot(*tr.beta_inf, "o", color=col, ms=5, zorder=3)
    # the line x1 b1 + x2 b2 = y over the visible range of b1
    ends = np.array([tr.beta_inf for tr in trajs])
    b1_all = np.concatenate([ends[:, 0], [0.0]] + ([pts[:, 0]] if min_E_points is not None
                                                   else []))
    span = b1_all.max() - b1_all.min()
    b1 = np.linspace(b1_all.min() - 0.25 * span, b1_all.max() + 0.35 * span, 2)
    x1, x2 = problem.X[0]
    y = problem.y[0]
    if abs(x2) > 0:
        line_b1, line_b2 = b1, (y - x1 * b1) / x2
    else:  # vertical line
        line_b1, line_b2 = np.full(2, y / x1), np.array([ends[:, 1].min(), ends[:, 1].max()])
    ax.plot(line_b1, line_b2, "--", color="grey", lw=1.2, label="all solutions", zorder=1)
    if min_E_points is not None:
        if pts.shape[0] == 1:
            ax.plot(*pts[0], "*", color="C1", ms=11, zorder=4, label="minimal E solution")
        else:
            for k, (p, col) in enumerate(zip(pts, shades, strict=True)):
                ax.plot(*p, "*", color=col, ms=12, mec="k", mew=0.5, zorder=4,
                        label="min-E solutions" if k == 0 else None)
    if readings is not None:
        ax.plot(readings["limits"]["beta1"], readings["limits"]["beta2"], "o", ms=9, mfc="none",
                mec="k", mew=1.0, zorder=5, label="paper (read)")
        ax.plot(readings["min_E"]["beta1"], readings["min_E"]["beta2"], "s", ms=10, mfc="none",
                mec="k", mew=1.0, zorder=5, label="paper's star (read)")
    ax.set_xlabel("β₁")
    ax.set_ylabel("β₂")
    ax.legend(loc=legend_loc, fontsize=8, frameon=True)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


FIGURE2_T = np.linspace(0.0, 1.0, 120)
"""Output times of :func:`plot_figure2_for_eps` (the flows of Figure 2 converge before 1)."""


def plot_figure2_for_eps(problem, eps, alpha, *, t_eval=FIGURE2_T):
    r"""Figure 2 of the paper for one :math:`\varepsilon`: run the flow, then draw it.

    One pass of the flow on the output grid ``t_eval`` at a loose tolerance (``rtol=1e-7``,
    fast enough for a slider), the minimiser of :math:`E` for that run, and
    :func:`plot_trajectories_2d`. The legend says when ``(alpha, eps)`` lies outside
    Assumption 3.3.

    Parameters
    ----------
    problem : ssdlib.Problem
        An instance with ``N = 1`` and ``D = 2``.
    eps : float
        Stability constant, ``> 0``.
    alpha : float
        Initialisation scale, ``> 0``.
    t_eval : array_like, shape (T,)
        Output times of the flow.

    Returns
    -------
    matplotlib.figure.Figure
        As :func:`plot_trajectories_2d`, with one trajectory.
    """
    tr = simulate(problem, alpha, eps, t_eval=t_eval, rtol=1e-7, atol=1e-9)
    inside = check_assumptions(problem, alpha, eps).a33
    label = f"ε = {eps:.4g}" + ("" if inside else " (outside Assumption 3.3)")
    return plot_trajectories_2d(problem, [tr], min_E_solution(problem, tr), labels=[label])


def plot_kkt_bounds(eps, Delta, M_plus, M_minus, *, eps_bounds=None, M_plus_lead=None,
                    M_minus_lead=None, repaired=None, Delta_sign_flow=None,
                    figsize=(COLUMN_WIDTH, 4.6)):
    r"""Theorem 3.9: the signed KKT error :math:`\Delta(\varepsilon)` between its bounds.

    Parameters
    ----------
    eps : array_like, shape (K,)
        Stability constants (increasing), within the interval admitted by Assumption 3.3.
    Delta : array_like, shape (K,)
        Measured ``Delta`` of each run (``ssdlib.kkt_Delta``), drawn as dots.
    M_plus, M_minus : array_like, shape (K,) or (L,)
        Exact bounds of Lemmas B.2 and B.3 (``ssdlib.bounds``), solid lines; at ``eps`` or,
        if given, at ``eps_bounds``.
    eps_bounds : array_like, shape (L,), optional
        A (finer) grid on which all the bounds below are given; default ``eps``.
    M_plus_lead, M_minus_lead : float or array_like, optional
        Leading forms quoted in Theorem 3.9 (``kkt_bounds_leading``), dashed lines.
    repaired : float or array_like, optional
        The bound ``(c - s)(S - alpha)`` of the repaired proof of Lemma B.2, dotted.
    Delta_sign_flow : float, optional
        ``Delta`` of the exact sign flow (``eps = 0``), drawn as a square at ``eps = 0``.
    figsize : tuple of float

    Returns
    -------
    matplotlib.figure.Figure
        One axes; the first line holds ``(eps, Delta)``, then ``M_plus``, ``M_minus`` and the
        optional lines in the order of the arguments. The legend is below the axes.
    """
    eps = _vec("eps", eps)
    (Delta,) = _same_length("eps", eps, Delta=Delta).values()
    eb = eps if eps_bounds is None else _vec("eps_bounds", eps_bounds)
    arrs = _same_length("eps_bounds" if eps_bounds is not None else "eps", eb, M_plus=M_plus,
                        M_minus=M_minus, M_plus_lead=M_plus_lead, M_minus_lead=M_minus_lead,
                        repaired=repaired)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    ax.plot(eps, Delta, "o", color="k", ms=3.5, label=r"$\Delta(\varepsilon)$ (flow)", zorder=4)
    ax.plot(eb, arrs["M_plus"], "-", color="C3", lw=1.8, label=r"$M_+$ (Lemma B.2)")
    ax.plot(eb, arrs["M_minus"], "-", color="C0", lw=1.8, label=r"$M_-$ (Lemma B.3)")
    if arrs["M_plus_lead"] is not None:
        ax.plot(eb, arrs["M_plus_lead"], "--", color="C3", lw=1.2, label=r"leading form of $M_+$")
    if arrs["M_minus_lead"] is not None:
        ax.plot(eb, arrs["M_minus_lead"], "--", color="C0", lw=1.2,
                label=r"leading form of $M_-$")
    if arrs["repaired"] is not None:
        ax.plot(eb, arrs["repaired"], ":", color="C2", lw=2.0,
                label=r"$(c-s)(S-\alpha)$ (repaired B.2)")
    ax.fill_between(eb, arrs["M_minus"], arrs["M_plus"], color="0.6", alpha=0.15, lw=0)
    if Delta_sign_flow is not None:
        ax.plot([0.0], [float(Delta_sign_flow)], "s", color="C1", ms=7, mec="k", mew=0.5,
                label=r"sign flow, $\varepsilon = 0$", zorder=5)
    ax.axhline(0.0, color="0.3", lw=0.6)
    ax.set_xlabel(r"stability constant $\varepsilon$")
    ax.set_ylabel(r"signed KKT error $\Delta$ and its bounds")
    ax.set_xlim(left=-0.02 * max(eps.max(), eb.max()))
    ax.grid(alpha=0.3)
    legend_below(fig, ncols=3)  # below the axes: over no curve and no shading
    return fig


def plot_E_against_eps(eps, E_inf, E_min=None, *, readings=None, ax=None, title=None,
                       figsize=(6.6, 4.0)):
    r"""Figure 3 of the paper: :math:`E(\beta^\infty, \beta_0)` against :math:`\varepsilon`.

    Drawn as the paper draws it: dots in the colours ``winter(k / K)`` joined by a line.

    Parameters
    ----------
    eps : array_like, shape (K,)
        Stability constants.
    E_inf : array_like, shape (K,)
        ``E(beta_inf, beta_0)`` of each run.
    E_min : array_like, shape (K,), optional
        ``min E`` over the solution line for the same runs, dashed.
    readings : dict, optional
        ``ssdlib.paper_readings.FIGURE_3``: drawn as open black circles.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.
    title : str, optional
    figsize : tuple of float

    Returns
    -------
    matplotlib.figure.Figure
        The axes' first line is ``(eps, E_inf)``, then ``(eps, E_min)`` if given.
    """
    eps = _vec("eps", eps)
    arrs = _same_length("eps", eps, E_inf=E_inf, **({} if E_min is None else {"E_min": E_min}))
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    ax.plot(eps, arrs["E_inf"], "-", color="C0", alpha=0.8, lw=1.2,
            label=r"$E(\beta^\infty, \beta_0)$")
    ax.scatter(eps, arrs["E_inf"], c=colormaps["winter"](np.arange(eps.size) / eps.size), s=22,
               zorder=3)
    if E_min is not None:
        ax.plot(eps, arrs["E_min"], "--", color="C1", lw=1.5,
                label=r"$\min_{X\beta = y} E(\beta, \beta_0)$")
    if readings is not None:
        ax.plot(readings["eps"], readings["E"], "o", ms=8, mfc="none", mec="k", mew=1.0,
                zorder=4, label="paper (read)")
    ax.set_xlabel(r"$\varepsilon$")
    ax.set_ylabel(r"Value of $E(\beta^\infty, \beta_0)$")
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def plot_figure3_pair(eps, E_paper, E_theorem, E_min, *, readings=None, titles=None,
                      figsize=(6.6, 3.4)):
    r"""Figure 3 twice, side by side: the paper's convention (left) and the theorem's (right).

    Parameters
    ----------
    eps : array_like, shape (K,)
    E_paper : array_like, shape (K,)
        ``E`` as the paper's figure computes it (left, with ``readings``).
    E_theorem, E_min : array_like, shape (K,)
        ``E`` of the limits and its minimum on the line as the theorem uses it (right).
    readings : dict, optional
        ``ssdlib.paper_readings.FIGURE_3``, drawn on the left.
    titles : pair of str, optional
    figsize : tuple of float

    Returns
    -------
    matplotlib.figure.Figure
        Two axes drawn by :func:`plot_E_against_eps`.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    left, right = fig.subplots(1, 2)
    titles = titles or (None, None)
    plot_E_against_eps(eps, E_paper, readings=readings, ax=left, title=titles[0])
    plot_E_against_eps(eps, E_theorem, E_min, ax=right, title=titles[1])
    right.set_ylabel("")
    for ax in (left, right):
        ax.tick_params(labelsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    return fig


def plot_v_inf_decay(eps, v_inf, labels=None, *, fit=None, figsize=(5.6, 3.6)):
    r"""Size of the non-dominating weights at the limit, :math:`\ln v_i^\infty` against
    :math:`1/\varepsilon`.

    Parameters
    ----------
    eps : array_like, shape (K,)
    v_inf : array_like, shape (K, D)
        ``traj.v_inf`` of each run; zero entries (underflow) are not drawn.
    labels : sequence of str, optional
        One per coordinate.
    fit : array_like, shape (D, 2), optional
        Straight lines ``ln v = a + b / eps`` (rows ``(b, a)``, as from ``np.polyfit``), dashed.
    figsize : tuple of float

    Returns
    -------
    matplotlib.figure.Figure
        One axes; the first ``D`` lines are the measured ``(1/eps, ln v_i)``.
    """
    eps = _vec("eps", eps)
    v_inf = np.asarray(v_inf, dtype=float)
    if v_inf.ndim != 2 or v_inf.shape[0] != eps.size:
        raise ValueError("`v_inf` must have shape (len(eps), D).")
    D = v_inf.shape[1]
    if labels is None:
        labels = [rf"$v_{i + 1}^\infty$" for i in range(D)]
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    inv = 1.0 / eps
    for i in range(D):
        ok = v_inf[:, i] > 0
        ax.plot(inv[ok], np.log(v_inf[ok, i]), "o", color=f"C{i}", ms=4, label=labels[i])
    if fit is not None:
        fit = np.asarray(fit, dtype=float)
        grid = np.linspace(inv.min(), inv.max(), 50)
        for i in range(D):
            ax.plot(grid, fit[i, 0] * grid + fit[i, 1], "--", color=f"C{i}", lw=1)
    ax.set_xlabel(r"$1/\varepsilon$")
    ax.set_ylabel(r"$\ln v_i^\infty$")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_delta_map(alpha, eps, delta, admissible, position=None, *,
                   figsize=(COLUMN_WIDTH, 3.3)):
    r"""The KKT error over a grid of :math:`(\alpha, \varepsilon)`, with Assumption 3.3 outlined.

    Parameters
    ----------
    alpha : array_like, shape (A,)
        Initialisation scales (log-spaced; log axis).
    eps : array_like, shape (E,)
        Stability constants (log-spaced; log axis).
    delta : array_like, shape (E, A)
        KKT error ``delta = |Delta|`` of the run at ``(alpha[j], eps[i])``.
    admissible : array_like of bool, shape (E, A)
        Whether Assumption 3.3 holds there; its boundary is drawn as a white contour.
    position : array_like, shape (E, A), optional
        ``(Delta - M_-) / (M_+ - M_-)``: 0 on the lower and 1 on the upper bound of Theorem 3.9,
        in ``[0, 1]`` where the bounds hold. Drawn in a second panel.
    figsize : tuple of float

    Returns
    -------
    matplotlib.figure.Figure
        One panel (two with ``position``), each with a colour bar.
    """
    alpha = _vec("alpha", alpha)
    eps = _vec("eps", eps)
    delta = np.asarray(delta, dtype=float)
    admissible = np.asarray(admissible, dtype=bool)
    shape = (eps.size, alpha.size)
    if delta.shape != shape or admissible.shape != shape:
        raise ValueError(f"`delta` and `admissible` must have shape (len(eps), len(alpha)) = "
                         f"{shape}.")
    panels = [(delta, r"KKT error $\delta = |\Delta|$", "viridis", None)]
    if position is not None:
        position = np.asarray(position, dtype=float)
        if position.shape != shape:
            raise ValueError(f"`position` must have shape {shape}.")
        panels.append((position, "$(\\Delta - M_-)/(M_+ - M_-)$\n(red, magenta: outside)",
                       colormaps["cividis"].with_extremes(under="red", over="magenta"),
                       Normalize(0.0, 1.0)))
    fig = Figure(figsize=figsize if position is not None else (figsize[0] / 2 + 0.4,
                                                                figsize[1]),
                 layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    A, E = np.meshgrid(alpha, eps)
    for ax, (Z, title, cmap, norm) in zip(axes, panels, strict=True):
        mesh = ax.pcolormesh(A, E, Z, cmap=cmap, norm=norm, shading="nearest")
        fig.colorbar(mesh, ax=ax, extend="both" if norm is not None else "neither")
        if admissible.any() and not admissible.all():
            ax.contour(A, E, admissible.astype(float), levels=[0.5], colors="w",
                       linewidths=2.0)
        if admissible.any():
            ax.text(np.exp(np.log(A[admissible]).mean()), np.exp(np.log(E[admissible]).mean()),
                    "Assumption 3.3", color="k", ha="center", va="center", fontsize=8,
                    bbox=dict(facecolor="w", alpha=0.75, lw=0, boxstyle="round"))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"initialisation scale $\alpha$")
        ax.set_title(title, fontsize=9.5)
    axes[0].set_ylabel(r"stability constant $\varepsilon$")
    return fig


def plot_corollary_3_12(eps, delta_bar, sum_max, bound_3_12, J_end=None, *,
                        figsize=(COLUMN_WIDTH, 4.3)):
    r"""Corollaries 3.11 and 3.12 for ``N > 1``: the KKT error and its two upper bounds.

    Parameters
    ----------
    eps : array_like, shape (K,)
    delta_bar : array_like, shape (K,)
        ``ssdlib.kkt_error`` of each run, i.e. ``sqrt(sum_n Delta_n**2)``.
    sum_max : array_like, shape (K,)
        ``sum_n max(|M_+^(n)|, |M_-^(n)|)`` (Corollary 3.11).
    bound_3_12 : array_like, shape (K,)
        Right-hand side of eqs. (25)-(26) (``corollary_3_12_bound``).
    J_end : float, optional
        Right end of the interval ``J`` on which all ``M_-^(n) >= 0``; shaded.
    figsize : tuple of float

    Returns
    -------
    matplotlib.figure.Figure
        One axes with the three lines in the order of the arguments; the legend below it.
    """
    eps = _vec("eps", eps)
    arrs = _same_length("eps", eps, delta_bar=delta_bar, sum_max=sum_max, bound_3_12=bound_3_12)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    ax.plot(eps, arrs["delta_bar"], "o-", color="k", ms=3.5, lw=1,
            label=r"$\bar\delta(\varepsilon)$ (flow)")
    ax.plot(eps, arrs["sum_max"], "-", color="C3", lw=1.8,
            label=r"$\sum_n \max(|M_+^{(n)}|, |M_-^{(n)}|)$ (Cor. 3.11)")
    ax.plot(eps, arrs["bound_3_12"], "--", color="C2", lw=1.8, label="eqs. (25)-(26) (Cor. 3.12)")
    if J_end is not None:
        ax.axvspan(0.0, float(J_end), color="C2", alpha=0.12, lw=0,
                   label=r"$\mathcal{J}$: all $M_-^{(n)} \geq 0$")
    ax.set_xscale("log")
    ax.set_xlabel(r"stability constant $\varepsilon$")
    ax.set_ylabel("KKT error and bounds")
    ax.grid(alpha=0.3)
    legend_below(fig, ncols=2)  # below the axes: over no curve and not over the interval J
    return fig
