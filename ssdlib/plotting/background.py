"""Figures of the background chapter (mirror descent and the implicit bias of gradient descent).

The paper (Wang and Klabjan, UAI 2025) has no figure for its Section 3.1-3.2; these figures
illustrate Definition 3.1 (Bregman divergence) and eq. (14) (the limit of gradient descent
minimises ``D_Psi_alpha(beta, 0)`` over ``X beta = y``).
"""

from __future__ import annotations

import numpy as np

from .style import COLUMN_WIDTH, column_figure, legend_below

__all__ = ["plot_bregman_level_sets", "plot_gd_limit_vs_alpha"]

FULL = 0.97
"""Share of the column a full-width figure of this module takes.

The inline backend saves figures with a tight bounding box padded by 0.1 in on each side, so a
figure the whole :data:`~ssdlib.plotting.style.COLUMN_WIDTH` wide comes out at 681 px, wider
than the 672 px column, and the page shrinks it; at this share it stays below 672 px.
"""


def plot_bregman_level_sets(divergences, titles, *, line=None, points=None, lim=1.0,
                            n_grid=241, rel_levels=(0.1, 0.25, 0.5, 1.0, 2.0, 4.0)):
    """Level sets of Bregman divergences in the plane (Definition 3.1 of the paper).

    One panel per divergence. When ``points`` is given, the contour levels are
    ``rel_levels`` times the divergence at that panel's point, and the level set
    through the point (relative level 1) is drawn bold: with ``line`` the
    constraint ``x . beta = y`` and the point its minimiser, that level set
    touches the line.

    Parameters
    ----------
    divergences : sequence of callable
        Each maps an array ``beta`` of shape (..., 2) to the divergence values,
        shape (...).
    titles : sequence of str
        Panel titles, one per divergence.
    line : tuple (x, y), optional
        ``x`` of shape (2,) and the scalar ``y`` of a constraint ``x . beta = y``,
        drawn as a black line.
    points : sequence of array_like, shape (2,), optional
        One marked point per panel (for instance the constrained minimiser).
    lim : float
        The panels show ``[-lim, lim]^2``.
    n_grid : int
        Grid points per axis.
    rel_levels : sequence of float
        Contour levels relative to the value at the panel's point.

    Returns
    -------
    matplotlib.figure.Figure
    """
    divergences = list(divergences)
    titles = list(titles)
    if len(titles) != len(divergences):
        raise ValueError("`titles` must have one entry per divergence.")
    if points is not None and len(points) != len(divergences):
        raise ValueError("`points` must have one entry per divergence.")
    k = len(divergences)
    width = FULL * min(k, 3) / 3  # panels a third of the column wide, three or fewer in a row
    fig = column_figure(COLUMN_WIDTH * width / k + 0.6, fraction=width)  # square panels
    axes = np.atleast_1d(fig.subplots(1, k, sharex=True, sharey=True))
    g = np.linspace(-lim, lim, n_grid)
    B1, B2 = np.meshgrid(g, g)
    grid = np.stack([B1, B2], axis=-1)
    for j, (ax, div, title) in enumerate(zip(axes, divergences, titles, strict=True)):
        Z = np.asarray(div(grid), dtype=float)
        if points is not None:
            p = np.asarray(points[j], dtype=float)
            z0 = float(div(p))
            levels = np.sort(z0 * np.asarray(rel_levels, dtype=float))
            ax.contour(B1, B2, Z, levels=levels, colors="C0", linewidths=0.9)
            ax.contour(B1, B2, Z, levels=[z0], colors="C3", linewidths=2.0)
            ax.plot(p[0], p[1], "o", color="C3", ms=6, zorder=5)
        else:
            ax.contour(B1, B2, Z, levels=8, colors="C0", linewidths=0.9)
        if line is not None:
            x, yv = np.asarray(line[0], dtype=float), float(line[1])
            if abs(x[1]) >= abs(x[0]):
                ax.plot(g, (yv - x[0] * g) / x[1], "k-", lw=1.2)
            else:
                ax.plot((yv - x[1] * g) / x[0], g, "k-", lw=1.2)
        ax.axhline(0, color="0.8", lw=0.6, zorder=0)
        ax.axvline(0, color="0.8", lw=0.6, zorder=0)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_title(title)
        ax.set_xlabel(r"$\beta_1$")
    axes[0].set_ylabel(r"$\beta_2$")
    return fig


def plot_gd_limit_vs_alpha(alphas, betas, beta_l2, beta_l1, *, check_alphas=None,
                           check_betas=None):
    """The limit of gradient flow moves from the minimum-l2 to the minimum-l1 interpolator.

    Left: relative distances ``|beta_inf(alpha) - beta_l2| / |beta_l2|`` and
    ``|beta_inf(alpha) - beta_l1| / |beta_l1|`` against ``alpha`` (log-log).
    Right: the components of ``beta_inf(alpha)`` against ``alpha``, with the
    components of ``beta_l1`` (left edge) and ``beta_l2`` (right edge) as ticks.
    Illustrates eq. (14) of the paper and Woodworth et al. (2020).

    Parameters
    ----------
    alphas : array_like, shape (P,)
        Increasing initialisation scales.
    betas : array_like, shape (P, D)
        ``beta_inf`` at each ``alpha`` (e.g. from ``min_bregman_solution``).
    beta_l2, beta_l1 : array_like, shape (D,)
        Minimum-l2-norm and minimum-l1-norm interpolators.
    check_alphas : array_like, shape (Q,), optional
    check_betas : array_like, shape (Q, D), optional
        Limits of simulated gradient flows, drawn as markers over the curves.

    Returns
    -------
    matplotlib.figure.Figure
    """
    alphas = np.asarray(alphas, dtype=float)
    betas = np.asarray(betas, dtype=float)
    b2 = np.asarray(beta_l2, dtype=float)
    b1 = np.asarray(beta_l1, dtype=float)
    if betas.shape != (alphas.size, b2.size) or b1.shape != b2.shape:
        raise ValueError("`betas` must have shape (len(alphas), D) and `beta_l1`, `beta_l2` "
                         "shape (D,).")
    fig = column_figure(3.4, fraction=FULL)
    ax0, ax1 = fig.subplots(1, 2)

    def dists(b):
        return (np.linalg.norm(b - b2, axis=-1) / np.linalg.norm(b2),
                np.linalg.norm(b - b1, axis=-1) / np.linalg.norm(b1))

    d2, d1 = dists(betas)
    ax0.loglog(alphas, d2, "-", color="C0",
               label=r"$\|\beta_\infty - \beta_{\ell_2}\| / \|\beta_{\ell_2}\|$")
    ax0.loglog(alphas, d1, "-", color="C1",
               label=r"$\|\beta_\infty - \beta_{\ell_1}\| / \|\beta_{\ell_1}\|$")
    if check_alphas is not None:
        ca = np.asarray(check_alphas, dtype=float)
        cb = np.asarray(check_betas, dtype=float)
        c2, c1 = dists(cb)
        ax0.loglog(ca, c2, "o", mfc="none", color="C0", label="simulated gradient flow")
        ax0.loglog(ca, c1, "o", mfc="none", color="C1")
    ax0.set_xlabel(r"initialisation scale $\alpha$")
    ax0.set_ylabel("relative distance")
    ax0.set_title("distance to the two interpolators")

    D = b2.size
    for i in range(D):
        ax1.semilogx(alphas, betas[:, i], "-", color=f"C{i % 10}", lw=1.4)
        if check_alphas is not None:
            ax1.semilogx(ca, cb[:, i], "o", mfc="none", ms=4, color=f"C{i % 10}")
    ax1.plot(np.full(D, alphas[0]), b1, "<", color="k", ms=6, clip_on=False,
             label=r"$\beta_{\ell_1}$")
    ax1.plot(np.full(D, alphas[-1]), b2, ">", color="k", ms=6, clip_on=False,
             label=r"$\beta_{\ell_2}$")
    ax1.axhline(0, color="0.7", lw=0.6, zorder=0)
    ax1.set_xlim(alphas[0], alphas[-1])
    ax1.set_xlabel(r"initialisation scale $\alpha$")
    ax1.set_ylabel(r"components of $\beta_\infty(\alpha)$")
    ax1.set_title("components of the limit")
    legend_below(fig, ncols=2, frameon=False)  # below the panels: over no curve
    return fig
