"""Figures of the stages chapter (Section 3.3.1 of the paper, Figure 1).

Every function takes :class:`ssdlib.Trajectory` objects computed by the caller
(so that the chapter, the tests and the widget can check the drawn data
against them) and returns a new :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .style import COLUMN_WIDTH, column_figure, legend_below

# Share of the column for the constrained figures: the inline backend's tight bounding box
# adds about 0.1 in on each side, which a full-width figure would push past the column.
_FRACTION = 0.96

__all__ = ["figure1", "figure1_explore", "figure1_panel", "figure1_paper_panel",
           "gradient_stages"]

_STAGE_STYLE = dict(color="tab:red", linestyle="--", linewidth=1.0)
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(i):
    """Unicode subscript digits (plain text draws much faster than mathtext)."""
    return str(i).translate(_SUB)


def _check_traj(traj):
    for name in ("t", "beta", "dual", "T0", "T", "eps"):
        if not hasattr(traj, name):
            raise ValueError("`traj` must be a Trajectory returned by `ssdlib.simulate`.")


def _mark_stages(ax, traj, label=True):
    """Vertical lines at T0 and T (skipped when NaN or outside the time axis)."""
    t_end = traj.t[-1]
    for name, value in (("T" + _sub(0), traj.T0), ("T", traj.T)):
        if np.isfinite(value) and value <= t_end:
            ax.axvline(value, **_STAGE_STYLE)
            if label:
                ax.annotate(name, xy=(value, 0.0), xycoords=("data", "axes fraction"),
                            xytext=(3, 3), textcoords="offset points", color="tab:red",
                            fontsize=9)


def _draw_panel(ax_primal, ax_dual, traj, *, legend=True, absolute=False):
    D = traj.beta.shape[1]
    colors = [f"C{i % 10}" for i in range(D)]
    for i in range(D):
        ax_primal.plot(traj.t, traj.beta[:, i], color=colors[i], lw=1.4,
                       label="β" + _sub(i + 1))
        dual = np.abs(traj.dual[:, i]) if absolute else traj.dual[:, i]
        ax_dual.plot(traj.t, dual, color=colors[i], lw=1.4,
                     label="[∇Φₜ(β)]" + _sub(i + 1))
    ax_primal.set_title("Primal dynamics", fontsize=10)
    ax_dual.set_title("Dual dynamics", fontsize=10)
    ax_primal.set_ylabel("β(t)")
    ax_dual.set_ylabel("|∇Φₜ(β(t))|" if absolute else "∇Φₜ(β(t))")
    ax_dual.set_xlabel("t")
    for ax in (ax_primal, ax_dual):
        ax.axhline(0.0, color="0.6", lw=0.6, zorder=0)
        ax.set_xlim(traj.t[0], traj.t[-1])
        ax.grid(alpha=0.25)
        _mark_stages(ax, traj, label=ax is ax_dual)
        if legend:
            ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8,
                      frameon=False, handlelength=1.5)


def figure1_panel(traj, *, title=None, absolute=False, legend=True,
                  figsize=(0.95 * COLUMN_WIDTH, 4.6)):
    """One panel of Figure 1 of the paper: primal (top) and dual (bottom) variables.

    Parameters
    ----------
    traj : Trajectory
        A trajectory of :func:`ssdlib.simulate` (any ``eps >= 0``; for
        ``eps = 0`` the closed-form sign flow).
    title : str, optional
        Figure title; default ``"eps = ..."``.
    absolute : bool
        Plot ``|grad Phi_t(beta(t))| = u(t)`` instead of the signed dual
        variable (the paper's Figure 1 shows the magnitudes).
    legend : bool
        Legends ``beta_1..beta_D`` and ``[grad Phi_t]_1..D`` right of the axes.
    figsize : tuple of float
        At most the column's width (:data:`ssdlib.plotting.style.COLUMN_WIDTH`).

    Returns
    -------
    matplotlib.figure.Figure
        Two axes sharing the time axis: ``traj.beta`` per coordinate on top,
        ``traj.dual`` per coordinate below, dashed vertical lines at ``traj.T0``
        and ``traj.T`` (omitted when NaN).
    """
    _check_traj(traj)
    # fixed margins instead of a layout engine: this figure is redrawn by the
    # chapter's widget, and constrained layout triples the drawing time
    fig = Figure(figsize=figsize)
    ax_p, ax_d = fig.subplots(2, 1, sharex=True)
    w, h = figsize
    fig.subplots_adjust(left=0.75 / w, right=1 - (1.55 if legend else 0.2) / w,
                        bottom=0.5 / h, top=1 - 0.55 / h, hspace=0.3)
    _draw_panel(ax_p, ax_d, traj, legend=legend, absolute=absolute)
    fig.suptitle(title if title is not None else f"ε = {traj.eps:g}", fontsize=11)
    return fig


_READ_STYLE = dict(marker="o", ms=6.5, mfc="none", mec="black", mew=1.1, ls="none", zorder=5)


def _mark_readings(ax_primal, ax_dual, readings):
    """The values read off the paper's panel: open black circles (plateaus at the middle of
    the columns they were read over, the fan-out at its times) and black triangles on the
    time axis at the read ``T0`` and ``T``."""
    for ax, key, t_read in ((ax_primal, "beta", 1.135), (ax_dual, "u", 1.175)):
        vals = np.asarray(readings[f"{key}_inf"]["value"])
        ax.plot(np.full(vals.size, t_read), vals, **_READ_STYLE)
        if f"{key}_t" in readings:
            fan = readings[f"{key}_t"]
            for t, v in zip(fan["t"], fan["value"], strict=True):
                ax.plot(np.full(len(v), t), v, **_READ_STYLE)
    for name in ("T0", "T"):
        ax_dual.plot([readings[name]["value"]], [0.0], marker="^", ms=7, color="black",
                     ls="none", transform=ax_dual.get_xaxis_transform(), clip_on=False,
                     zorder=6)
    ax_primal.plot([], [], label="paper (read)", **_READ_STYLE)


def figure1_paper_panel(traj, *, readings=None, title=None, height=4.6):
    """One panel of Figure 1 drawn as the paper draws it, with the values read off the paper.

    As the paper: "Primal Dynamics" on top, "Dual Dynamics" (the magnitudes
    ``|grad Phi_t(beta(t))| = u(t)``) below, red dashed lines at ``T0`` and ``T``
    labelled at the bottom, no grid. The figure is as wide as the book's text column
    (:func:`ssdlib.plotting.style.column_figure`), with one legend below the axes, where
    it covers no curve (the paper's legends sit inside the axes).

    Parameters
    ----------
    traj : Trajectory
        A trajectory of :func:`ssdlib.simulate` on ``t`` in ``[0, 1.2]``.
    readings : dict, optional
        One panel of ``ssdlib.paper_readings.FIGURE_1`` (``FIGURE_1["panels"][eps]``):
        drawn as open black circles (``u_inf``, ``beta_inf`` and, if present, the curves at
        the times of ``u_t``, ``beta_t``) and black triangles on the time axis (``T0``,
        ``T``).
    title : str, optional
    height : float
        Height in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Axes ``[primal, dual]``; the data lines come first in each axes, one per coordinate.
    """
    _check_traj(traj)
    fig = column_figure(height, fraction=_FRACTION)
    ax_p, ax_d = fig.subplots(2, 1, sharex=True)
    D = traj.beta.shape[1]
    for i in range(D):
        ax_p.plot(traj.t, traj.beta[:, i], color=f"C{i % 10}", lw=1.5,
                  label=rf"$\beta_{i + 1}$, $|\nabla\Phi_t|_{i + 1}$")
        ax_d.plot(traj.t, np.abs(traj.dual[:, i]), color=f"C{i % 10}", lw=1.5)
    ax_p.set_title("Primal Dynamics", fontsize=10)
    ax_d.set_title("Dual Dynamics", fontsize=10)
    ax_d.set_xlabel("$t$")
    for ax in (ax_p, ax_d):
        for name, value in (("$T_0$", traj.T0), ("$T$", traj.T)):
            if np.isfinite(value):
                ax.axvline(value, color="red", ls="--", lw=1.4)
                if ax is ax_d:
                    ax.annotate(name, xy=(value, 0.02), xycoords=("data", "axes fraction"),
                                xytext=(4, 0), textcoords="offset points", color="red",
                                fontsize=9)
    if readings is not None:
        _mark_readings(ax_p, ax_d, readings)
    legend_below(fig, *ax_p.get_legend_handles_labels(), ncols=3)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def figure1(trajs, *, absolute=False, height=4.8):
    """Figure 1 of the paper: one column of primal/dual panels per trajectory.

    Parameters
    ----------
    trajs : sequence of Trajectory
        Typically the same problem and ``alpha`` at ``eps = 0.002`` and
        ``eps = 0.01`` (panels (a) and (b) of the paper).
    absolute : bool
        As in :func:`figure1_panel`.
    height : float
        Height in inches; the width is that of the book's text column.

    Returns
    -------
    matplotlib.figure.Figure
        A ``2 x len(trajs)`` grid of axes; column ``k`` shows ``trajs[k]``,
        titled "(a) eps = ...", "(b) eps = ...", ...; one legend of the
        coordinates' colours below the axes.
    """
    trajs = list(trajs)
    if not trajs:
        raise ValueError("`trajs` must contain at least one Trajectory.")
    for tr in trajs:
        _check_traj(tr)
    K = len(trajs)
    fig = column_figure(height, fraction=_FRACTION)
    axes = fig.subplots(2, K, sharex="col", squeeze=False)
    for k, tr in enumerate(trajs):
        _draw_panel(axes[0, k], axes[1, k], tr, legend=False, absolute=absolute)
        axes[0, k].set_title(f"({chr(97 + k)}) ε = {tr.eps:g}: primal", fontsize=10)
        axes[1, k].set_title("dual", fontsize=10)
        if k:
            axes[0, k].set_ylabel("")
            axes[1, k].set_ylabel("")
    handles, _ = axes[0, 0].get_legend_handles_labels()
    legend_below(fig, handles, [f"$i = {i + 1}$" for i in range(len(handles))], ncols=5)
    return fig


def gradient_stages(traj, *, figsize=(0.95 * COLUMN_WIDTH, 4.6)):
    """The gradient magnitudes that define the three stages (Props. 3.5 and 3.7).

    Parameters
    ----------
    traj : Trajectory
        A trajectory with ``eps > 0``.
    figsize : tuple of float

    Returns
    -------
    matplotlib.figure.Figure
        Top: ``|grad_v L|_i`` (non-dominating weights), bottom: ``|grad_u L|_i``
        (dominating weights), both on a log scale against ``t``, with the
        level ``eps`` (horizontal) and ``T0``, ``T`` (vertical dashed lines).
        ``T0`` is where the top curves have all crossed ``eps``, ``T`` where the
        first bottom curve crosses it.
    """
    _check_traj(traj)
    if not traj.eps > 0:
        raise ValueError("`traj` must have eps > 0: the stages are defined by |grad| = eps.")
    D = traj.beta.shape[1]
    fig = Figure(figsize=figsize, layout="constrained")
    ax_v, ax_u = fig.subplots(2, 1, sharex=True)
    floor = 1e-6 * traj.eps
    for i in range(D):
        ax_v.semilogy(traj.t, np.maximum(np.abs(traj.grad_v[:, i]), floor), color=f"C{i % 10}",
                      lw=1.4, label=rf"$i = {i + 1}$")
        ax_u.semilogy(traj.t, np.maximum(np.abs(traj.grad_u[:, i]), floor), color=f"C{i % 10}",
                      lw=1.4, label=rf"$i = {i + 1}$")
    ax_v.set_ylabel(r"$|\nabla_v L(w(t))|_i$")
    ax_u.set_ylabel(r"$|\nabla_u L(w(t))|_i$")
    ax_u.set_xlabel("$t$")
    for ax in (ax_v, ax_u):
        ax.axhline(traj.eps, color="k", lw=0.9, ls=":")
        ax.annotate(r"$\varepsilon$", xy=(1.0, traj.eps), xycoords=("axes fraction", "data"),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=10)
        ax.set_xlim(traj.t[0], traj.t[-1])
        ax.set_ylim(bottom=max(floor, 1e-3 * traj.eps))
        ax.grid(alpha=0.25, which="both")
        _mark_stages(ax, traj, label=ax is ax_u)
    ax_v.legend(loc="center left", bbox_to_anchor=(1.06, 0.5), fontsize=8, frameon=False)
    fig.suptitle(rf"Stage-defining gradients, $\varepsilon = {traj.eps:g}$", fontsize=11)
    return fig


def figure1_explore(problem, eps=0.002, alpha=0.1, *, flows=None, t_eval=None):
    """One signed Figure-1 panel of ``problem`` at ``eps`` and ``alpha``: the chapter's widget.

    The title gives both values and says whether Assumption 3.3 of the paper holds there.

    Parameters
    ----------
    problem : Problem
        A block problem (Assumption 3.2).
    eps, alpha : float
        The smoothing constant (``eps >= 0``) and the initial scale (``alpha > 0``).
    flows : dict, optional
        ``(alpha, eps) -> Trajectory`` computed beforehand (``ssdlib.stages.flow_grid``); a pair
        not in it is integrated here.
    t_eval : array_like, optional
        Times of a flow integrated here (default: 241 points on ``[0, 1.2]``).

    Returns
    -------
    matplotlib.figure.Figure
        As :func:`figure1_panel` without legend.
    """
    from ..flow import simulate
    from ..problem import check_assumptions

    tr = (flows or {}).get((alpha, eps))
    if tr is None:
        t = np.linspace(0.0, 1.2, 241) if t_eval is None else t_eval
        tr = simulate(problem, alpha, eps, t_eval=t)
    holds = check_assumptions(problem, alpha, eps).a33
    return figure1_panel(tr, legend=False, title=f"ε = {eps:.3g}, α = {alpha:.3g} "
                         f"(Assumption 3.3 {'holds' if holds else 'fails'})")
