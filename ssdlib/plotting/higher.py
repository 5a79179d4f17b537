"""Figures of the higher-order chapter (depth-H diagonal networks, ``beta = u^H - v^H``).

The paper (Wang and Klabjan, UAI 2025) states its depth-H extension in the last paragraph of
Section 3 without proof or figure. These figures show the checks of that paragraph: the dual
dynamics (eq. 20) along depth-H flows, the potential the paper states against the one the flow
follows, the order of the parameter ``v`` in ``eps``, the limit ``H -> infinity`` and the
sparsity that depth brings, and the tables of computed values that go with them
(``markdown_table``). The numerics are in :mod:`ssdlib.depth`.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from ..claims import _Markdown
from ..depth import dual_rhs, paper_mirror_map, paper_rate_fit
from ..fits import loglog_slope
from ..interpolators import min_l1_solution
from ..mirror import min_E_solution
from .style import column_figure, legend_below

__all__ = [
    "depth_explorer",
    "plot_depth_dual_check",
    "plot_depth_explorer",
    "plot_depth_limit",
    "plot_depth_sparsity",
    "plot_depth_trajectories",
    "plot_v_orders",
]


def _depth_colors(depths):
    """One colour per depth (viridis), shared by all figures of the chapter.

    Parameters
    ----------
    depths : sequence of int

    Returns
    -------
    dict
        ``depth -> RGBA tuple``.
    """
    depths = list(depths)
    cmap = colormaps["viridis"]
    n = max(len(depths) - 1, 1)
    return {H: cmap(0.85 * i / n) for i, H in enumerate(depths)}


def _vlines(ax, traj):
    for val, style in ((traj.T0, ":"), (traj.T, "--")):
        if np.isfinite(val) and val > 0:
            ax.axvline(val, color="0.5", lw=0.8, ls=style)


def plot_depth_dual_check(trajs, paper_map=paper_mirror_map, *, coord=0, every=None):
    """Dual dynamics (eq. 20 of the paper) along depth-H flows, against the paper's potential.

    One panel per trajectory. Each shows, for coordinate ``coord``, the right-hand side of
    eq. (20), ``-sgn(beta) grad_u L / (|grad_u L| + eps)`` (solid line); the finite-difference
    derivative of the dual variable ``traj.dual = sgn(beta) u`` (markers); and the
    finite-difference derivative of ``c * paper_map(beta(t), v(t), H)`` (dashed), where ``c``
    is the least-squares best constant over all coordinates and times, so that the mismatch
    cannot be blamed on a normalisation. Central differences that use ``t = 0``, where
    ``beta = 0`` sits on the kink of the potentials, are left out (the first two times).
    Dotted and dashed grey verticals mark ``T0`` and ``T`` (Figure 1's stage times). Panels
    are laid out two per row, with one legend below them.

    Parameters
    ----------
    trajs : sequence of Trajectory
        Smoothed-sign-descent flows, typically of depths 2, 3, 4, 6, on dense time grids.
    paper_map : callable, optional
        ``paper_map(beta, v, depth)``, the gradient of the potential under test, arrays of
        shape (T, D); default the paper's, :func:`ssdlib.depth.paper_mirror_map`.
    coord : int
        Coordinate shown.
    every : int, optional
        Plot every ``every``-th finite-difference marker (default: about 40 markers).

    Returns
    -------
    matplotlib.figure.Figure
    """
    trajs = list(trajs)
    k = len(trajs)
    ncol = min(k, 2)
    nrow = -(-k // ncol)
    fig = column_figure(2.4 * nrow + 0.4, fraction=ncol / 2)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False).ravel())
    for ax in axes[k:]:
        ax.set_axis_off()
    for ax, tr in zip(axes[:k], trajs, strict=True):
        t = tr.t
        rhs = dual_rhs(tr)
        # beta(0) = 0 is the kink of both potentials: central differences that use
        # t = 0 (indices 0 and 1) are dropped
        k = slice(2, None)
        fd = np.gradient(tr.dual, t, axis=0)[k]
        fp = np.gradient(paper_map(tr.beta, tr.v, tr.depth), t, axis=0)[k]
        c = paper_rate_fit(tr, paper_map).c
        step = every or max(len(t) // 40, 1)
        ax.plot(t, rhs[:, coord], color="C0", lw=1.6, label="rhs of (20)")
        ax.plot(t[k][::step], fd[::step, coord], "o", ms=3.5, mfc="none", color="C1",
                label=r"$\frac{d}{dt}\,\mathrm{sgn}(\beta)u$")
        ax.plot(t[k], c * fp[:, coord], "--", color="C3", lw=1.4,
                label=r"$\frac{d}{dt}\,c\nabla\Phi^H_{\mathrm{paper}}$")
        _vlines(ax, tr)
        ax.set_title(f"H = {tr.depth}" + r", $\alpha$" + f" = {tr.alpha:g}", fontsize=10)
        ax.set_xlabel("t")
        ax.set_ylabel(f"rate of dual coord. {coord}")
    # below the panels: inside one, the legend would cover the start of its curves
    legend_below(fig, ncols=3)
    return fig


def plot_depth_trajectories(trajs):
    """Primal and dual trajectories of depth-H smoothed sign descent (cf. Figure 1 of the paper).

    One row per trajectory. Left column: ``beta_i(t)``; right column: the dual variable
    ``sgn(beta_i) u_i(t)`` (the mirror map of the corrected potential). Grey verticals mark
    ``T0`` (dotted) and ``T`` (dashed) when they are positive.

    Parameters
    ----------
    trajs : sequence of Trajectory

    Returns
    -------
    matplotlib.figure.Figure
    """
    trajs = list(trajs)
    k = len(trajs)
    fig = column_figure(1.75 * k + 0.6)
    axes = fig.subplots(k, 2, squeeze=False, sharex="row")
    for j, tr in enumerate(trajs):
        for i in range(tr.beta.shape[1]):
            axes[j, 0].plot(tr.t, tr.beta[:, i], lw=1.3, color=f"C{i}")
            axes[j, 1].plot(tr.t, tr.dual[:, i], lw=1.3, color=f"C{i}", label=f"i = {i}")
        for ax in axes[j]:
            _vlines(ax, tr)
        axes[j, 0].set_ylabel(f"H = {tr.depth}\n" + r"$\alpha$" + f" = {tr.alpha:g}")
    axes[0, 0].set_title(r"primal $\beta_i(t)$", fontsize=10)
    axes[0, 1].set_title(r"dual $\mathrm{sgn}(\beta_i)\,u_i(t)$", fontsize=10)
    axes[-1, 0].set_xlabel("t")
    axes[-1, 1].set_xlabel("t")
    legend_below(fig, ncols=trajs[0].beta.shape[1])  # the coordinates' colours, over no curve
    return fig


def _slope(x, y):
    """Log-log slope over the positive values (a legend label), NaN with fewer than two."""
    ok = (y > 0) & np.isfinite(y)
    return loglog_slope(x[ok], y[ok]).slope if ok.sum() >= 2 else np.nan


def plot_v_orders(eps, depths, v_T0, v_inf, alpha, *, h2_limit=None):
    """How small ``v`` is: ``max_i v_i(T0)`` and ``max_i v_i(inf)`` against ``eps``.

    The paper's last paragraph of Section 3 says ``v_{i,t} = O(eps)``. Panel (a): ``v`` at
    ``T0`` (its largest value on ``[T0, inf)``) with the fitted log-log slope and a reference
    slope ``1/(H-1)``. Panel (b): the limit ``v_inf`` for ``H >= 3`` with reference slope
    ``1/(H-2)`` and the paper's slope 1 (grey). Panel (c), below, when depth 2 is present:
    ``eps * log(alpha / v_inf)`` for ``H = 2``, flat when ``v_inf ~ alpha exp(-c / eps)``,
    over the values of ``eps`` at which ``v_inf`` has not underflowed to 0.

    Parameters
    ----------
    eps : array_like, shape (E,)
    depths : sequence of int, length K
    v_T0, v_inf : array_like, shape (K, E)
        ``max_i v_i(T0)`` and ``max_i v_i^inf``; zeros (underflow) are skipped.
    alpha : array_like, shape (K,)
        Initial scale per depth (for panel c).
    h2_limit : float, optional
        The predicted ``eps -> 0`` value of panel (c), drawn as a dashed line.

    Returns
    -------
    matplotlib.figure.Figure
    """
    eps = np.asarray(eps, dtype=float)
    depths = list(depths)
    v_T0 = np.asarray(v_T0, dtype=float)
    v_inf = np.asarray(v_inf, dtype=float)
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), (len(depths),))
    if v_T0.shape != (len(depths), eps.size) or v_inf.shape != v_T0.shape:
        raise ValueError("`v_T0` and `v_inf` must have shape (len(depths), len(eps)).")
    has2 = 2 in depths
    if has2:  # (a) and (b) side by side, (c) below them
        fig = column_figure(6.0)
        m = fig.subplot_mosaic([["a", "b"], ["c", "c"]], height_ratios=[1.25, 0.75])
        axes = [m["a"], m["b"], m["c"]]
    else:
        fig = column_figure(3.4)
        axes = list(fig.subplots(1, 2))
    col = _depth_colors(depths)

    def ref(ax, p, y0, **kw):
        ax.plot(eps, y0 * (eps / eps[-1]) ** p, **kw)

    for j, H in enumerate(depths):
        s = _slope(eps, v_T0[j])
        axes[0].loglog(eps, v_T0[j], "o-", color=col[H], ms=4, label=f"H = {H}: slope {s:.2f}")
        ref(axes[0], 1 / (H - 1), v_T0[j, -1] * 1.5, color=col[H], ls=":", lw=1)
        if H >= 3:
            s = _slope(eps, v_inf[j])
            axes[1].loglog(eps, v_inf[j], "s-", color=col[H], ms=4,
                           label=f"H = {H}: slope {s:.2f}")
            ref(axes[1], 1 / (H - 2), v_inf[j, -1] * 1.5, color=col[H], ls=":", lw=1)
    top = v_inf[[H >= 3 for H in depths]]
    if top.size:
        ref(axes[1], 1.0, np.nanmax(top[:, -1]) * 0.5, color="0.4", ls="--", lw=1.2,
            label=r"paper: $O(\varepsilon)$, slope 1")
    axes[0].set_title(r"(a) $\max_i v_i(T_0)$, dotted: slope $1/(H-1)$", fontsize=10)
    axes[1].set_title(r"(b) $\max_i v_i^\infty$, dotted: slope $1/(H-2)$", fontsize=10)
    for ax in axes[:2]:  # below the steepest line the lower right is empty
        ax.set_xlabel(r"$\varepsilon$")
        ax.legend(fontsize=7, loc="lower right")
    if has2:
        j = depths.index(2)
        ok = v_inf[j] > 0
        axes[2].semilogx(eps[ok], eps[ok] * (np.log(alpha[j]) - np.log(v_inf[j, ok])),
                         "o-", color=col[2], ms=4, label="H = 2")
        top = np.max(eps[ok] * (np.log(alpha[j]) - np.log(v_inf[j, ok])), initial=0.0)
        if h2_limit is not None:
            axes[2].axhline(h2_limit, color="0.4", ls="--", lw=1.2,
                            label=r"$\varepsilon\to 0$: $\min_i |x_i| S^0_i$")
            top = max(top, h2_limit)
        axes[2].set_ylim(0, 1.3 * top if top > 0 else 1.0)
        if ok.any():  # the eps without underflow, with a margin: the end markers stay whole
            axes[2].set_xlim(eps[ok].min() / 1.3, eps[ok].max() * 1.3)
        axes[2].set_title(r"(c) $H = 2$: $\varepsilon\log(\alpha/v^\infty)$", fontsize=10)
        axes[2].set_xlabel(r"$\varepsilon$")
        axes[2].legend(fontsize=7, loc="lower left")  # the curve is flat, well above
    return fig


def _unit_ball(p, n=721):
    th = np.linspace(0, 2 * np.pi, n)
    c, s = np.cos(th), np.sin(th)
    return (np.sign(c) * np.abs(c) ** (2 / p), np.sign(s) * np.abs(s) ** (2 / p))


def plot_depth_limit(depths, H_grid, top_corrected, top_paper, top_l1, top_l2):
    """The limit ``H -> infinity``: unit balls and minimisers of the two potentials.

    Panels (a) and (b) on top, (c) below.
    Panel (a): unit balls ``sum |b_i|^{1 + 1/H} = 1`` of the potential the flow follows, with
    the l1 ball dashed. Panel (b): unit balls ``sum |b_i|^{2 - 1/H} = 1`` of the paper's
    potential, with the l2 ball dashed. Panel (c): the fraction of ``||beta||_1`` on the
    largest coordinate of the minimiser of each potential over ``{X beta = y}`` against ``H``,
    with the min-l1 and min-l2 levels.

    Parameters
    ----------
    depths : sequence of int
        Depths whose unit balls are drawn.
    H_grid : array_like, shape (M,)
    top_corrected, top_paper : array_like, shape (M,)
    top_l1, top_l2 : float

    Returns
    -------
    matplotlib.figure.Figure
    """
    depths = list(depths)
    col = _depth_colors(depths)
    fig = column_figure(6.4)
    m = fig.subplot_mosaic([["a", "b"], ["c", "c"]], height_ratios=[1.1, 0.9])
    axes = [m["a"], m["b"], m["c"]]
    for ax, expo, ref_p, ref_lab, title in (
        (axes[0], lambda H: 1 + 1 / H, 1.0, r"$\ell_1$", r"(a) corrected: $p = 1 + 1/H$"),
        (axes[1], lambda H: 2 - 1 / H, 2.0, r"$\ell_2$", r"(b) paper: $p = 2 - 1/H$"),
    ):
        for H in depths:
            ax.plot(*_unit_ball(expo(H)), color=col[H], lw=1.5, label=f"H = {H}")
        ax.plot(*_unit_ball(ref_p), "k--", lw=1.1, label=ref_lab + r" ($H\to\infty$)")
        ax.set_aspect("equal")
        ax.set_xlim(-1.15, 1.15)
        ax.set_ylim(-1.15, 1.15)
        ax.set_title(title + r", $\sum|\beta_i|^p = 1$", fontsize=10)
        ax.set_xlabel(r"$\beta_1$")
    axes[0].set_ylabel(r"$\beta_2$")
    axes[0].legend(fontsize=7, loc="center", framealpha=0.9)
    H_grid = np.asarray(H_grid, dtype=float)
    ax = axes[2]
    ax.semilogx(H_grid, top_corrected, "o-", ms=3.5, color="C2",
                label=r"min $\sum|\beta_i|^{1+1/H}$ (corrected)")
    ax.semilogx(H_grid, top_paper, "s-", ms=3.5, color="C3",
                label=r"min $\sum|\beta_i|^{2-1/H}$ (paper)")
    ax.axhline(top_l1, color="k", ls="--", lw=1, label=r"min $\ell_1$")
    ax.axhline(top_l2, color="k", ls=":", lw=1, label=r"min $\ell_2$")
    ax.set_ylim(0, 1.05)
    ticks = [h for h in (2, 3, 5, 10, 20, 50, 100) if H_grid.min() <= h <= H_grid.max()]
    ax.set_xticks(ticks, [str(h) for h in ticks])
    ax.minorticks_off()
    ax.set_xlabel("depth H")
    ax.set_ylabel(r"$|\beta|_{\max} / \|\beta\|_1$")
    ax.set_title(r"(c) minimisers over $X\beta = y$", fontsize=10)
    ax.legend(fontsize=7, loc="center right")
    return fig


def plot_depth_sparsity(problem, trajs, betas_E, beta_l1):
    """Where the mass of the limit goes as the depth grows.

    Coordinates are ranked by ``|x_i|`` (largest first). Panel (a): ``|beta_inf,i| /
    ||beta_inf||_1`` of each flow; panel (b): the same for the minimisers of the corrected
    ``E`` of eq. (22) (one per flow) and the min-l1 solution (black crosses).

    Parameters
    ----------
    problem : Problem
    trajs : sequence of Trajectory
        Flows on ``problem``, one per depth.
    betas_E : sequence of ndarray, shape (D,)
        Minimisers of problem (23) for the flows (``ssdlib.min_E_solution``).
    beta_l1 : ndarray, shape (D,)

    Returns
    -------
    matplotlib.figure.Figure
    """
    trajs = list(trajs)
    betas_E = list(betas_E)
    if len(betas_E) != len(trajs):
        raise ValueError("`betas_E` must have one entry per trajectory.")
    order = np.argsort(-np.abs(problem.X).max(axis=0), kind="stable")
    rank = np.arange(1, problem.D + 1)
    col = _depth_colors([tr.depth for tr in trajs])
    fig = column_figure(3.0)
    axes = fig.subplots(1, 2, sharey=True)

    def share(b):
        b = np.abs(np.asarray(b, dtype=float))[order]
        return b / b.sum()

    for tr, bE in zip(trajs, betas_E, strict=True):
        lab = f"H = {tr.depth}"
        axes[0].plot(rank, share(tr.beta_inf), "o-", ms=4, color=col[tr.depth], label=lab)
        axes[1].plot(rank, share(bE), "o-", ms=4, color=col[tr.depth], label=lab)
    axes[1].plot(rank, share(beta_l1), "kx", ms=8, mew=2, label=r"min $\ell_1$")
    eps = {tr.eps for tr in trajs}
    alpha = {tr.alpha for tr in trajs}
    tag = ""
    if len(eps) == 1 and len(alpha) == 1:
        tag = r" ($\alpha$" + f" = {alpha.pop():g}, " + r"$\varepsilon$" + f" = {eps.pop():g})"
    axes[0].set_title("(a) limits of the flow" + tag, fontsize=10)
    axes[1].set_title(r"(b) minimisers of $E$ (23) and of $\ell_1$", fontsize=10)
    axes[0].set_ylabel(r"$|\beta_i| / \|\beta\|_1$")
    for ax in axes:
        ax.set_xlabel(r"coordinates ranked by $|x_i|$")
        ax.set_xticks(rank)
        ax.legend(fontsize=7)
    return fig


def plot_depth_explorer(traj, *, beta_E=None, beta_l1=None):
    """One depth-H flow on a one-row, two-column problem (the setting of Figure 2 of the paper).

    Panel (a): the path of ``beta(t)`` in the plane, the solution line ``x . beta = y``, the
    limit (filled circle), and optionally the minimiser of ``E`` (23) (diamond) and the min-l1
    solution (cross). Panel (b): ``beta_i(t)`` (solid) and the dual variable
    ``sgn(beta_i) u_i(t)`` (dashed) against ``t``. One legend below both panels.

    Parameters
    ----------
    traj : Trajectory
        On a problem with ``N = 1``, ``D = 2``.
    beta_E, beta_l1 : array_like, shape (2,), optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    pb = traj.problem
    if pb.X.shape != (1, 2):
        raise ValueError("`traj` must come from a problem with N = 1 and D = 2.")
    x, y = pb.X[0], pb.y[0]
    # the HTML book shows it with sliders inside a captioned figure, 16 px narrower than the
    # column: 95 % of the column's width keeps it from being shrunk there
    fig = column_figure(3.7, fraction=0.95)
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
    pts = [traj.beta, traj.beta_inf[None]]
    for extra in (beta_E, beta_l1):
        if extra is not None:
            pts.append(np.asarray(extra, dtype=float)[None])
    allp = np.concatenate(pts)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    pad = 0.15 * max(np.max(hi - lo), 1e-3)
    xl = (lo[0] - pad, hi[0] + pad)
    yl = (lo[1] - pad, hi[1] + pad)
    # the solution line x1 b1 + x2 b2 = y (x2 != 0 under Assumption 3.2)
    b1 = np.linspace(*xl, 50)
    ax.plot(b1, (y - x[0] * b1) / x[1], color="0.6", lw=1, label=r"$x\cdot\beta = y$")
    ax.plot(traj.beta[:, 0], traj.beta[:, 1], color="C0", lw=1.8, label="flow")
    ax.plot(*traj.beta_inf, "o", color="C0", ms=7, label=r"$\beta_\infty$")
    if beta_E is not None:
        ax.plot(*beta_E, "D", color="C2", ms=6, mfc="none", mew=1.5, label="min E (23)")
    if beta_l1 is not None:
        ax.plot(*beta_l1, "kx", ms=8, mew=2, label=r"min $\ell_1$")
    ax.set_xlim(*xl)
    ax.set_ylim(*yl)
    ax.set_xlabel(r"$\beta_1$")
    ax.set_ylabel(r"$\beta_2$")
    ax.set_title(f"(a) H = {traj.depth}, " + r"$\varepsilon$" + f" = {traj.eps:.3g}",
                 fontsize=10)
    for i in range(2):
        bx.plot(traj.t, traj.beta[:, i], color=f"C{i}", lw=1.5, label=rf"$\beta_{i + 1}$")
        bx.plot(traj.t, traj.dual[:, i], color=f"C{i}", lw=1.2, ls="--",
                label=rf"dual$_{i + 1}$")
    _vlines(bx, traj)
    bx.axhline(0, color="0.8", lw=0.8)
    if np.isfinite(traj.t_converged) and traj.t_converged > 0:
        bx.set_xlim(0, min(traj.t[-1], 1.25 * traj.t_converged))
    bx.set_xlabel("t")
    bx.set_title(r"(b) primal (solid) and dual $\mathrm{sgn}(\beta)u$ (dashed)", fontsize=10)
    # one legend below both panels: over no data, and in the same place for every depth and
    # eps (the frames of the HTML book's sliders)
    legend_below(fig, ncols=5)
    return fig


def depth_explorer(cache):
    """The redraw that the chapter's depth and ``eps`` sliders call.

    Parameters
    ----------
    cache : DepthFlowCache
        Flows on a problem with ``N = 1``, ``D = 2`` (:class:`ssdlib.depth.DepthFlowCache`).

    Returns
    -------
    callable
        ``explore(depth=4, eps=0.01)``: looks the flow of that depth and ``eps`` up in
        ``cache``, computes the minimiser of ``E`` (23) for it (:func:`ssdlib.min_E_solution`)
        and returns :func:`plot_depth_explorer` of the flow with that minimiser and the
        min-l1 solution of ``cache.problem`` (computed once). It raises ``KeyError`` for a
        depth or ``eps`` the cache does not hold.
    """
    beta_l1 = min_l1_solution(cache.problem)

    def explore(depth=4, eps=0.01):
        tr = cache.flow(depth, eps)
        return plot_depth_explorer(tr, beta_E=min_E_solution(cache.problem, tr), beta_l1=beta_l1)

    return explore


def markdown_table(rows, header):
    """A table of computed values (not of checks: those are shown by ``Ledger.table``).

    Parameters
    ----------
    rows : sequence of sequence
        One entry per row, each with one value per column (shown with ``str``).
    header : sequence of str

    Returns
    -------
    object
        Displayed as Markdown by Jupyter and the book.
    """
    header = [str(h) for h in header]
    rows = [[str(c) for c in r] for r in rows]
    if not header or any(len(r) != len(header) for r in rows):
        raise ValueError("every row of `rows` must have one value per column of `header`.")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return _Markdown("\n".join(lines))
