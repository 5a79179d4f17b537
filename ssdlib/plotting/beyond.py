"""Figures of the "beyond the paper" chapter (steepest mirror flows, saddles, weight decay, Adam).

The chapter connects smoothed sign descent (Wang and Klabjan, UAI 2025, eqs. 15-16) with the
steepest mirror flows of Zhou, Burkholz and Jacobs (ICLR 2026, arXiv:2603.02064). None of these
figures regenerates a figure of the paper: they show checks of statements derived in the
chapter. The numerics are in :mod:`ssdlib.steepest` and :mod:`ssdlib.optim`; these functions
only draw (except :func:`plot_steepest_explorer`, which solves one flow per call for the widget).
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from .. import steepest
from ..claims import fmt
from .higher import markdown_table
from .style import column_figure, legend_below

__all__ = [
    "escape_law_table",
    "plot_adam_vs_ssd",
    "plot_balance",
    "plot_depth_support",
    "plot_escape_learning_rate",
    "plot_escape_times",
    "plot_steepest_explorer",
    "plot_weight_decay",
]


def _colors(keys):
    """One colour per key (tab10, in order), shared across panels of a figure."""
    return {k: f"C{i % 10}" for i, k in enumerate(keys)}


def _depth_keys(nested):
    """Sorted union of the inner keys of ``{outer: {depth: ...}}``."""
    return sorted({d for inner in nested.values() for d in inner})


def _grid_with_legend_slot(fig, n):
    """``n`` panels two per row; with an odd ``n`` the last cell holds the legend, not data.

    Returns the data axes and the legend cell (an axes without frame), or None for even ``n``.
    """
    if n == 1:
        return [fig.subplots()], None
    rows = (n + 1) // 2
    axes = list(np.ravel(fig.subplots(rows, 2)))
    slot = None
    if n % 2:
        slot = axes.pop()
        slot.set_axis_off()
    return axes, slot


def _unique_handles(axes):
    """Legend handles and labels of ``axes``, each label once, in order of appearance."""
    seen = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if not lab.startswith("_"):
                seen.setdefault(lab, h)
    return list(seen.values()), list(seen)


# ----------------------------------------------------------------------------------------
# conservation law


def plot_balance(trajs, factors, *, labels=None, i=0, j=2, branch=1, coord=0, eps_drift=None):
    r"""The balance ``|w_i|^q - |w_j|^q`` between two layers along steepest flows.

    Panel (a): the balance of coordinate ``coord`` divided by its initial value, for each
    trajectory (solid), with the derived factor ``exp(-q int lambda)`` (dashed, black) where one
    is given. Panel (b): the deviation ``max_k |b_k(t) - b_k(0) factor(t)| / max_k |b_k(0)|``
    over all coordinates, on a log scale (for trajectories without a factor, the factor 1 is
    used: the law says the balance is conserved). Optional panel (c): the drift of the balance
    for smoothed flows (``eps > 0``) against ``eps``.

    Panels two per row, the legend of (a) and (b) in the free cell next to (c), or below.
    Not a figure of the paper: the conservation law is derived in the chapter (it extends the
    invariant ``w_+^2 - w_-^2``-type identities behind the paper's Prop. 3.4).

    Parameters
    ----------
    trajs : sequence of SteepestTrajectory
        Untied flows (``tied=False``) with at least ``max(i, j) + 1`` layers.
    factors : sequence of (ndarray of shape (T,) or None)
        Derived factor per trajectory on its time grid (None: conserved, factor 1).
    labels : sequence of str, optional
        Legend labels; default ``"q = ..."``.
    i, j : int
        Layers compared.
    branch : int
        0 (plus) or 1 (minus).
    coord : int
        Coordinate drawn in panel (a).
    eps_drift : tuple (eps, drift) of arrays, optional
        Drift of the balance of smoothed flows, drawn log-log in panel (c) with a slope-1 guide.

    Returns
    -------
    matplotlib.figure.Figure
    """
    trajs = list(trajs)
    factors = list(factors)
    if len(factors) != len(trajs):
        raise ValueError("`factors` must have one entry (array or None) per trajectory.")
    if labels is None:
        labels = [f"q = {tr.q:g}" for tr in trajs]
    labels = list(labels)
    if len(labels) != len(trajs):
        raise ValueError("`labels` must have one entry per trajectory.")
    npanel = 3 if eps_drift is not None else 2
    fig = column_figure(5.4 if npanel == 3 else 3.2)
    (ax, bx, *rest), slot = _grid_with_legend_slot(fig, npanel)
    for k, (tr, fac, lab) in enumerate(zip(trajs, factors, labels, strict=True)):
        b = steepest.balance(tr, i, j, branch=branch)
        col = f"C{k}"
        ax.plot(tr.t, b[:, coord] / b[0, coord], color=col, lw=1.8, label=lab)
        f = np.ones_like(tr.t) if fac is None else np.asarray(fac, dtype=float)
        if fac is not None:
            ax.plot(tr.t, f, color="k", lw=1.0, ls="--", label="_derived")
        dev = np.max(np.abs(b - b[0] * f[:, None]), axis=1) / np.max(np.abs(b[0]))
        bx.semilogy(tr.t, np.maximum(dev, 1e-17), color=col, lw=1.5, label=lab)
    ax.plot([], [], color="k", lw=1.0, ls="--", label=r"derived factor $e^{-q\int\lambda}$")
    ax.set_xlabel("t")
    ax.set_ylabel(rf"$b(t)/b(0)$, $b = |w_{i + 1}|^q - |w_{j + 1}|^q$")
    ax.set_title("(a) balance of one coordinate")
    bx.set_xlabel("t")
    bx.set_ylabel("deviation from the derived law")
    bx.set_title("(b) max over coordinates, relative")
    handles, names = _unique_handles([ax])
    if eps_drift is not None:
        e, d = (np.asarray(a, dtype=float) for a in eps_drift)
        cx = rest[0]
        cx.loglog(e, d, "o-", color="C3", label=r"SSD ($q = 1$)")
        cx.loglog(e, d[-1] * e / e[-1], color="0.5", ls=":", label="slope 1")
        cx.set_xlabel(r"$\varepsilon$")
        cx.set_ylabel("max relative drift")
        cx.set_title(r"(c) smoothed flows: drift $O(\varepsilon)$")
        cx.legend(loc="upper left")  # the points rise to the right, the corner stays empty
        slot.legend(handles, names, loc="center", title="runs of (a) and (b)")
    else:
        legend_below(fig, handles, names, ncols=3)
    return fig


# ----------------------------------------------------------------------------------------
# saddle escape


def plot_escape_times(alphas, times, *, fits=None, fit_mask=None, title="", labels=None):
    r"""Escape times (loss halves) against the initialisation scale, log-log, one panel per depth.

    Markers: the measured times; dashed: the fitted law over ``alphas[fit_mask]`` (a power law
    ``t = e^b alpha^s`` or, for ``scale='semilog'``, ``t = s log(1/alpha) + b``). Panels two per
    row; one legend, in the free cell of an odd number of panels or below them. The fitted and
    derived slopes go in a table beside the figure (:func:`escape_law_table`). Not a figure of
    the paper.

    Parameters
    ----------
    alphas : array_like, shape (A,)
    times : dict
        ``{method: {depth: ndarray (A,)}}``; non-finite times are not drawn.
    fits : dict, optional
        ``{method: {depth: (slope, intercept, scale)}}`` with ``scale`` in
        ``{'loglog', 'semilog'}`` (see :func:`~ssdlib.steepest.saddle.fit_escape_slope`).
    fit_mask : array_like of bool, shape (A,), optional
        Where the fit was made (default: everywhere).
    title : str
        Figure title.
    labels : dict, optional
        ``{method: legend label}`` (typeset math allowed); default the keys.

    Returns
    -------
    matplotlib.figure.Figure
    """
    alphas = np.asarray(alphas, dtype=float)
    depths = _depth_keys(times)
    cols = _colors(times)
    mask = np.ones(alphas.size, bool) if fit_mask is None else np.asarray(fit_mask, bool)
    nd = len(depths)
    fig = column_figure(2.7 * ((nd + 1) // 2) + (0.3 if title else 0.0)
                        + (0.4 if nd % 2 == 0 else 0.0))
    axes, slot = _grid_with_legend_slot(fig, nd)
    for ax, H in zip(axes, depths, strict=True):
        for method, inner in times.items():
            if H not in inner:
                continue
            t = np.asarray(inner[H], dtype=float)
            ok = np.isfinite(t)
            ax.loglog(alphas[ok], t[ok], "o", color=cols[method], ms=5,
                      label=(labels or {}).get(method, method))
            fit = (fits or {}).get(method, {}).get(H)
            if fit is not None:
                s, b, scale = fit
                a = alphas[mask]
                tf = np.exp(b) * a**s if scale == "loglog" else s * np.log(1.0 / a) + b
                ax.loglog(a, tf, "--", color=cols[method], lw=1.2, label="_fit")
        ax.set_xlabel(r"initialisation scale $\alpha$")
        ax.set_ylabel("escape time (loss halves)")
        ax.set_title(f"H = {H}")
    handles, names = _unique_handles(axes)
    if fits:
        handles.append(Line2D([], [], color="0.3", ls="--", lw=1.2))
        names.append(r"fitted law (over the fit range)")
    if slot is not None:
        slot.legend(handles, names, loc="center")
    else:
        legend_below(fig, handles, names, ncols=2)
    if title:
        fig.suptitle(title)
    return fig


def escape_law_table(fits, derived=None, *, labels=None):
    r"""The fitted and the derived escape laws, one row per method and one column per depth.

    A power law shows its log-log slope, a logarithmic law its coefficient of
    ``log(1/alpha)`` (``0.496 per log(1/alpha)``), as typeset math; the derived value follows in
    parentheses (a number is typeset, other text is shown as it is).

    Parameters
    ----------
    fits : dict
        ``{method: {depth: (slope, intercept, scale)}}`` (:func:`ssdlib.escape.fit_escape_laws`).
    derived : dict, optional
        ``{method: {depth: str}}``, the derived slope or coefficient as text.
    labels : dict, optional
        ``{method: row label}`` (typeset math allowed); default the keys.

    Returns
    -------
    object
        Displayed as a Markdown table by Jupyter and the book.
    """
    depths = _depth_keys(fits)
    rows = []
    for method, inner in fits.items():
        cells = [(labels or {}).get(method, method)]
        for H in depths:
            if H not in inner:
                cells.append("")
                continue
            s, _, scale = inner[H]
            txt = fmt(s, 3) + r" per $\log(1/\alpha)$" if scale == "semilog" else fmt(s, 2)
            der = (derived or {}).get(method, {}).get(H)
            cells.append(txt if der is None else f"{txt} ({_typeset(der)})")
        rows.append(cells)
    return markdown_table(rows, ["method"] + [f"$H = {H}$: fitted (derived)" for H in depths])


def _typeset(text):
    """A number given as text as typeset math (``"-1"`` becomes ``$-1$``); other text as it is."""
    try:
        return fmt(float(text), 3)
    except ValueError:
        return text


def plot_escape_learning_rate(alphas, etas, *, predicted=None, stability=None, steps=None,
                              stability_of="gd", labels=None):
    r"""Smallest learning rate that halves the loss in a fixed number of steps, per depth.

    Markers: the measured threshold (filled; for the optimizer ``stability_of``, hollow where it
    lies above the stability line of its panel, where success is erratic); a missing value
    (NaN: no learning rate tried escapes) is drawn as a cross on the top edge, with a legend
    entry only where one is drawn. Dashed: the derived
    threshold. Dotted grey: the largest stable gradient-descent step ``2 / lambda_max`` at the
    solution. Not a figure of the paper.

    Parameters
    ----------
    alphas : array_like, shape (A,)
    etas : dict
        ``{optimizer: {depth: ndarray (A,)}}``.
    predicted : dict, optional
        ``{optimizer: {depth: ndarray (A,)}}``.
    stability : dict, optional
        ``{depth: float}``.
    steps : int, optional
        Step budget, for the title.
    stability_of : str
        The optimizer whose thresholds are compared with ``stability``.
    labels : dict, optional
        ``{method: legend label}`` (typeset math allowed); default the keys.

    Returns
    -------
    matplotlib.figure.Figure
    """
    alphas = np.asarray(alphas, dtype=float)
    depths = _depth_keys(etas)
    cols = _colors(etas)
    nd = len(depths)
    fig = column_figure(2.8 * ((nd + 1) // 2) + (0.3 if steps is not None else 0.0)
                        + (0.9 if nd % 2 == 0 else 0.0))
    axes, slot = _grid_with_legend_slot(fig, nd)
    vals = np.concatenate([np.asarray(v, float) for inner in etas.values() for v in inner.values()])
    top = 10 * np.nanmax(vals[np.isfinite(vals)])
    for ax, H in zip(axes, depths, strict=True):
        for opt, inner in etas.items():
            if H not in inner:
                continue
            e = np.asarray(inner[H], dtype=float)
            ok = np.isfinite(e)
            ceiling = np.inf
            if stability is not None and opt == stability_of:
                ceiling = stability.get(H, np.inf)
            lo, hi = ok & (e <= ceiling), ok & (e > ceiling)
            name = (labels or {}).get(opt, opt)
            ax.loglog(alphas[lo], e[lo], "o", color=cols[opt], ms=5, label=name)
            if hi.any():
                ax.loglog(alphas[hi], e[hi], "o", color=cols[opt], ms=6, mfc="none", mew=1.5,
                          label=f"{name} (above the ceiling)")
            if (~ok).any():
                ax.loglog(alphas[~ok], np.full((~ok).sum(), top), "x", color=cols[opt], ms=8,
                          mew=2, label=f"{name}: no escape found")
            pred = (predicted or {}).get(opt, {}).get(H)
            if pred is not None:
                ax.loglog(alphas, pred, "--", color=cols[opt], lw=1.2, label=f"{name}: derived")
        if stability is not None and H in stability:
            ax.axhline(stability[H], color="0.5", ls=":", lw=1.2, label=r"$2/\lambda_{\max}$")
        ax.set_xlabel(r"initialisation scale $\alpha$")
        ax.set_ylabel(r"smallest escaping $\eta$")
        ax.set_title(f"H = {H}")
    ylo = min(ax.get_ylim()[0] for ax in axes)
    for ax in axes:  # one vertical scale for all panels
        ax.set_ylim(ylo, 2 * top)
    handles, names = _unique_handles(axes)
    if slot is not None:
        slot.legend(handles, names, loc="center", ncols=2 if len(names) > 9 else 1)
    else:
        legend_below(fig, handles, names, ncols=3)
    if steps is not None:
        fig.suptitle(f"loss halved within {steps} steps")
    return fig


# ----------------------------------------------------------------------------------------
# depth and sparsity


def plot_depth_support(depths, recovery, active, *, labels=None):
    r"""Support recovery and early activity against depth on a sparse regression.

    Panel (a): fraction of the true support among the largest ``|beta_inf,i|``
    (:func:`~ssdlib.steepest.sparsity.support_recovery`); panel (b): fraction of coordinates with
    ``|beta_i| > 0.1 max |beta|`` at the first time the loss has fallen by 10 percent
    (1 = all coordinates learned together, small = one at a time). Lines: mean over seeds;
    dots: individual seeds. Not a figure of the paper.

    Parameters
    ----------
    depths : array_like of int, shape (K,)
    recovery, active : dict
        ``{method: ndarray (S, K)}`` (seeds by depths).
    labels : dict, optional
        ``{method: legend label}``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    depths = np.asarray(depths)
    cols = _colors(recovery)
    fig = column_figure(3.3)
    axes = fig.subplots(1, 2, sharex=True)
    for ax, data in zip(axes, (recovery, active), strict=True):
        for k, (method, arr) in enumerate(data.items()):
            arr = np.atleast_2d(np.asarray(arr, dtype=float))
            if arr.shape[1] != depths.size:
                raise ValueError("each array must have shape (seeds, len(depths)).")
            lab = (labels or {}).get(method, method)
            jitter = (k - (len(data) - 1) / 2) * 0.06
            for row in arr:
                ax.plot(depths + jitter, row, "o", color=cols[method], ms=3, alpha=0.45,
                        label="_seed")
            ax.plot(depths, arr.mean(axis=0), "-", color=cols[method], lw=1.8, label=lab)
        ax.set_xlabel("depth H")
        ax.set_xticks(depths)
        ax.set_ylim(-0.05, 1.05)
    axes[0].set_ylabel("support recovered")
    axes[0].set_title(r"(a) limit: top-$k$ of $|\beta_\infty|$" + "\non the support")
    axes[1].set_ylabel("fraction of coordinates active")
    axes[1].set_title("(b) after the loss fell by 10%")
    legend_below(fig, ncols=3)
    return fig


# ----------------------------------------------------------------------------------------
# weight decay


def plot_weight_decay(s, regularisers, problem, trajs, minimisers, lams, limits, predicted, *,
                      barrier=None, r_max=None):
    r"""Coupled against decoupled weight decay: induced regularisers and the solutions found.

    Panel (a): the regulariser per coordinate ``R(|beta_i|)`` each form of decay induces
    (curves). Panel (b): paths ``beta(t)`` of the flows in the plane of a one-row, two-column
    problem (the setting of Figure 2 of the paper), the solution line, and the minimisers of
    ``f + R`` (stars). Panel (c): the limits against the decay rate ``lambda`` (markers) and
    the minimisers of ``f + R`` (lines), coordinate 1 solid, coordinate 2 dashed. Not a figure
    of the paper.

    Parameters
    ----------
    s : array_like, shape (S,)
        Values of ``|beta_i|`` for panel (a).
    regularisers : dict
        ``{label: ndarray (S,)}``.
    problem : object with ``.X`` of shape (1, 2) and ``.y`` of shape (1,)
    trajs : dict
        ``{method: SteepestTrajectory}`` (same keys as ``minimisers``).
    minimisers : dict
        ``{method: ndarray (2,)}``.
    lams : array_like, shape (K,)
    limits, predicted : dict
        ``{method: ndarray (K, 2)}``.
    barrier : float, optional
        Position of a barrier of the regularisers, drawn as a dotted vertical in panel (a).
    r_max : float, optional
        Upper limit of the vertical axis of panel (a).

    Returns
    -------
    matplotlib.figure.Figure
    """
    X, y = np.asarray(problem.X, float), np.asarray(problem.y, float)
    if X.shape != (1, 2):
        raise ValueError("`problem` must have N = 1 and D = 2.")
    lams = np.asarray(lams, dtype=float)
    fig = column_figure(5.8)
    mosaic = fig.subplot_mosaic([["a", "a"], ["b", "c"]], height_ratios=[1, 1.25])
    ax, bx, cx = mosaic["a"], mosaic["b"], mosaic["c"]
    s = np.asarray(s, dtype=float)
    for k, (lab, r) in enumerate(regularisers.items()):
        ax.plot(s, r, color=f"C{k + 3}", lw=1.6, label=lab)
    if barrier is not None:
        ax.axvline(barrier, color="0.4", ls=":", lw=1.2, label="barrier")
    if r_max is not None:
        ax.set_ylim(-0.02 * r_max, r_max)
    ax.set_xlabel(r"$|\beta_i|$")
    ax.set_ylabel(r"$R(|\beta_i|)$")
    ax.set_title("(a) induced regulariser per coordinate")
    ax.legend(loc="upper left")  # the penalties start at 0 and rise: that corner stays empty

    cols = _colors(trajs)
    pts = [tr.beta for tr in trajs.values()] + [np.atleast_2d(m) for m in minimisers.values()]
    allp = np.concatenate(pts)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    pad = 0.12 * max(np.max(hi - lo), 1e-3)
    b1 = np.linspace(lo[0] - pad, hi[0] + pad, 50)
    bx.plot(b1, (y[0] - X[0, 0] * b1) / X[0, 1], color="0.6", lw=1, label=r"$x\cdot\beta = y$")
    for method, tr in trajs.items():
        bx.plot(tr.beta[:, 0], tr.beta[:, 1], color=cols[method], lw=1.6, label=method)
        bx.plot(*np.asarray(minimisers[method], float), "*", color=cols[method], ms=12,
                mec="k", mew=0.6, label="_min")
    bx.set_xlim(lo[0] - pad, hi[0] + pad)
    bx.set_ylim(lo[1] - pad, hi[1] + pad)
    bx.set_xlabel(r"$\beta_1$")
    bx.set_ylabel(r"$\beta_2$")
    bx.set_title(r"(b) paths; stars: $\arg\min f + R$")

    for method in limits:
        lim = np.asarray(limits[method], float)
        pr = np.asarray(predicted[method], float)
        col = cols.get(method, "k")
        for c, ls, mk in ((0, "-", "o"), (1, "--", "s")):
            cx.semilogx(lams, pr[:, c], ls=ls, color=col, lw=1.2,
                        label=method if c == 0 else "_pred")
            cx.semilogx(lams, lim[:, c], mk, color=col, ms=5, mfc="none", label="_limit")
    cx.set_xlabel(r"decay rate $\lambda$")
    cx.set_ylabel(r"$\beta_1$ (solid, o), $\beta_2$ (dashed, s)")
    cx.set_title("(c) limits (markers),\n" + r"$\arg\min f + R$ (lines)")
    legend_below(fig, *_unique_handles([bx, cx]), ncols=2)
    return fig


# ----------------------------------------------------------------------------------------
# Adam and RMSProp


def plot_adam_vs_ssd(etas, errors, beta2s, *, ref=None, beta2_sweep=None, labels=None):
    r"""Distance of discrete Adam/RMSProp limits to the SSD flow limit.

    Panel (a): ``|beta_K - beta_inf|`` against the learning rate ``eta`` for each optimizer
    setting, with ``beta_inf`` the limit of the SSD flow (eq. 16 of the paper) with the same
    ``eps``; a slope-1 guide and, dotted, the distance from ``beta_inf`` to the minimiser of
    problem (23) (``ref``). Panel (b): the same errors against ``eta / (1 - beta2)``. Optional
    panel (c): at a fixed ``eta``, the distance of Adam (``beta1 = 0``) to discrete SSD and to
    the SSD flow limit against ``beta2``. Not a figure of the paper.

    Parameters
    ----------
    etas : array_like, shape (E,)
    errors : dict
        ``{label: ndarray (E,)}``.
    beta2s : dict
        ``{label: beta2}`` for the rescaled axis of panel (b).
    ref : float, optional
    beta2_sweep : tuple (beta2, to_discrete, to_flow, eta), optional
    labels : dict, optional
        ``{method: legend label}`` (typeset math allowed); default the keys.

    Returns
    -------
    matplotlib.figure.Figure
    """
    etas = np.asarray(etas, dtype=float)
    npanel = 3 if beta2_sweep is not None else 2
    fig = column_figure(5.6 if npanel == 3 else 3.6)
    axes, slot = _grid_with_legend_slot(fig, npanel)
    cols = _colors(errors)
    for lab, err in errors.items():
        err = np.asarray(err, dtype=float)
        name = (labels or {}).get(lab, lab)
        axes[0].loglog(etas, err, "o-", color=cols[lab], ms=4, label=name)
        axes[1].loglog(etas / (1.0 - beta2s[lab]), err, "o-", color=cols[lab], ms=4, label=name)
    allerr = np.concatenate([np.asarray(e, float) for e in errors.values()])
    g0 = np.nanmin(allerr)
    for ax, x in ((axes[0], etas), (axes[1], None)):
        if x is None:
            xs = np.concatenate([etas / (1.0 - beta2s[lab]) for lab in errors])
            x = np.array([xs.min(), xs.max()])
        else:
            x = np.array([x.min(), x.max()])
        ax.loglog(x, 0.5 * g0 * x / x.min(), color="0.5", ls=":", lw=1, label="slope 1")
        if ref is not None:
            ax.axhline(ref, color="k", ls="--", lw=1, label=r"$|\beta_\infty - \beta_E|$")
    axes[0].set_xlabel(r"learning rate $\eta$")
    axes[0].set_ylabel(r"$|\beta_K - \beta_\infty^{\mathrm{SSD\ flow}}|$")
    axes[0].set_title("(a) against the learning rate")
    axes[1].set_xlabel(r"$\eta / (1 - \beta_2)$")
    axes[1].set_title(r"(b) against $\eta/(1-\beta_2)$")
    handles, names = _unique_handles(axes[:1])
    if slot is not None:
        slot.legend(handles, names, loc="center", title="runs of (a) and (b)")
    else:
        legend_below(fig, handles, names, ncols=2)
    if beta2_sweep is not None:
        b2, to_d, to_f, eta = (np.asarray(a, float) for a in beta2_sweep)
        cx = axes[2]
        cx.loglog(b2, to_d, "o-", color="C6", ms=4, label="to discrete SSD")
        cx.loglog(b2, to_f, "s-", color="C7", ms=4, label="to SSD flow limit")
        guide = to_d[0] * (b2 / (1 - b2)) / (b2[0] / (1 - b2[0]))
        cx.loglog(b2, guide, color="0.5", ls=":", lw=1, label=r"$\propto \beta_2/(1-\beta_2)$")
        cx.set_xlabel(r"$\beta_2$ (Adam, $\beta_1 = 0$)")
        cx.set_ylabel(r"distance of $\beta_K$")
        cx.set_title(rf"(c) $\eta$ = {float(eta):g}")
        cx.legend(loc="upper left")  # the distances grow with beta2: that corner stays empty
    return fig


# ----------------------------------------------------------------------------------------
# widget


def plot_steepest_explorer(problem, q=1.0, depth=2, alpha=0.1, eps=0.01, *, t_eval=None,
                           rtol=1e-10, atol=1e-12):
    r"""Solve one steepest flow and draw its loss and coordinates (for the chapter's widget).

    Runs :func:`~ssdlib.steepest.flows.explore_flow` (tied model, balanced start ``alpha``) with
    exponent ``q`` and smoothing ``eps``, on a logarithmic time grid (LSODA, or BDF if LSODA
    fails). Panel (a): the loss
    relative to its start against ``t`` (log axis), with the exact sign flow (``q = 1``,
    ``eps = 0``, closed form) dashed when the data satisfy Assumption 3.2; a dotted line marks
    the half loss. Panel (b): ``beta_i(t)``. Not a figure of the paper.

    Parameters
    ----------
    problem : object with ``.X`` and ``.y``
    q : float in [1, 2]
    depth : int >= 2
    alpha : float > 0
    eps : float >= 0
        ``eps = 0`` with ``q = 1`` is the exact sign flow (Assumption 3.2 needed).
    t_eval : array_like, optional
        Default ``[0] + geomspace(1e-3, 1e5, 240)``.
    rtol, atol : float
        Solver tolerances; the library defaults. (Looser ones made the unsmoothed flows with
        ``1 < q < 2`` much slower, not faster, in our tests.)

    Returns
    -------
    matplotlib.figure.Figure
    """
    tr, sign_loss = steepest.explore_flow(problem, alpha, q, depth=depth, eps=eps, t_eval=t_eval,
                                          rtol=rtol, atol=atol)
    # fixed margins instead of a layout engine: this figure backs a widget and must redraw fast
    fig = column_figure(3.6, layout=None)
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.3, top=0.83, wspace=0.28)
    ax, bx = fig.subplots(1, 2, sharex=True)
    t = tr.t[1:]
    ax.semilogx(t, tr.loss[1:] / tr.loss[0], color="k", lw=1.8, label=f"loss, q = {q:g}")
    if sign_loss is not None:
        ax.semilogx(t, sign_loss[1:] / tr.loss[0], color="0.45", lw=1.2, ls="--",
                    label="loss of the exact sign flow")
    ax.axhline(0.5, color="0.6", ls=":", lw=1)
    half = np.flatnonzero(tr.loss <= 0.5 * tr.loss[0])
    esc = f"escape at t = {tr.t[half[0]]:.3g}" if half.size else "no escape by t_max"
    ax.set_ylabel("loss / initial loss")
    ax.set_xlabel("t")
    ax.set_title("(a) loss relative to its start")
    fig.suptitle(f"q = {q:g}, H = {depth}, " + r"$\alpha$" + f" = {alpha:.3g}, "
                 + r"$\varepsilon$" + f" = {eps:.3g}: {esc}")
    for k in range(tr.beta.shape[1]):
        bx.semilogx(t, tr.beta[1:, k], lw=1.4, label=rf"$\beta_{k + 1}$")
    bx.axhline(0, color="0.8", lw=0.8)
    bx.set_xlabel("t")
    bx.set_title(r"(b) coordinates $\beta_i(t)$")
    fig.legend(*_unique_handles([ax, bx]), loc="lower center", ncols=4, frameon=False)
    return fig
