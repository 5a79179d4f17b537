"""Tests of the figures of the background chapter (ssdlib.plotting.background)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure

from ssdlib import Problem, min_bregman_solution, woodworth_potential
from ssdlib.plotting import plot_bregman_level_sets, plot_gd_limit_vs_alpha, style


def _euclid(b):
    return 0.5 * np.sum(np.asarray(b) ** 2, axis=-1)


def _psi0(alpha):
    return lambda b: woodworth_potential(b, alpha) - woodworth_potential(np.zeros(2), alpha)


def test_level_sets_panels_points_and_line():
    x, y = np.array([0.6, 1.0]), 0.8
    P = Problem(x[None, :], [y])
    points = [np.linalg.pinv(x[None, :]) @ [y], min_bregman_solution(P, 0.05)]
    fig = plot_bregman_level_sets([_euclid, _psi0(0.05)], ["a", "b"], line=(x, y),
                                  points=points, lim=1.0, n_grid=41)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    for ax, p in zip(fig.axes, points, strict=True):
        marker = [ln for ln in ax.lines if ln.get_marker() == "o"]
        assert len(marker) == 1
        np.testing.assert_allclose(marker[0].get_xydata()[0], p)
        # the constraint line satisfies x . beta = y at every vertex
        line = [ln for ln in ax.lines if ln.get_linestyle() == "-" and ln.get_marker() != "o"]
        xy = line[0].get_xydata()
        np.testing.assert_allclose(xy @ x, y, atol=1e-12)
        assert ax.get_title() in {"a", "b"}


def test_level_sets_without_points():
    fig = plot_bregman_level_sets([_euclid], ["e"], n_grid=21)
    assert len(fig.axes) == 1
    assert fig.axes[0].get_xlim() == (-1.0, 1.0)


def test_level_sets_validates():
    with pytest.raises(ValueError, match="`titles`"):
        plot_bregman_level_sets([_euclid], ["a", "b"])
    with pytest.raises(ValueError, match="`points`"):
        plot_bregman_level_sets([_euclid], ["a"], points=[(0, 0), (1, 1)])


def _sweep():
    P = Problem.random_blocks([3, 2], seed=0)
    alphas = np.geomspace(1e-3, 10, 9)
    betas = np.array([min_bregman_solution(P, a) for a in alphas])
    b2 = np.linalg.pinv(P.X) @ P.y
    b1 = np.zeros(P.D)
    for n, b in enumerate(P.blocks):
        k = b[np.argmax(np.abs(P.X[n, b]))]
        b1[k] = P.y[n] / P.X[n, k]
    return alphas, betas, b2, b1


def test_gd_limit_figure_data():
    alphas, betas, b2, b1 = _sweep()
    fig = plot_gd_limit_vs_alpha(alphas, betas, b2, b1, check_alphas=alphas[::4],
                                 check_betas=betas[::4])
    assert isinstance(fig, Figure)
    ax0, ax1 = fig.axes
    d2 = np.linalg.norm(betas - b2, axis=1) / np.linalg.norm(b2)
    d1 = np.linalg.norm(betas - b1, axis=1) / np.linalg.norm(b1)
    np.testing.assert_allclose(ax0.lines[0].get_ydata(), d2)
    np.testing.assert_allclose(ax0.lines[1].get_ydata(), d1)
    np.testing.assert_allclose(ax0.lines[2].get_xdata(), alphas[::4])
    # right panel: one curve and one marker line per component, then the two edge markers
    curves = [ln for ln in ax1.lines if ln.get_linestyle() == "-" and len(ln.get_xdata()) > 2]
    assert len(curves) == betas.shape[1]
    for i, ln in enumerate(curves):
        np.testing.assert_allclose(ln.get_ydata(), betas[:, i])
    edges = [ln for ln in ax1.lines if ln.get_marker() in ("<", ">")]
    np.testing.assert_allclose(edges[0].get_ydata(), b1)
    np.testing.assert_allclose(edges[1].get_ydata(), b2)


def test_gd_limit_validates_shapes():
    alphas, betas, b2, b1 = _sweep()
    with pytest.raises(ValueError, match="`betas`"):
        plot_gd_limit_vs_alpha(alphas[:-1], betas, b2, b1)


def _saved_width_px(fig):
    """Width of the PNG the inline backend makes of ``fig`` (tight bounding box, padded)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=style.DPI, bbox_inches="tight")
    return int.from_bytes(buf.getvalue()[16:20], "big")  # IHDR width of the PNG


def test_figures_fit_the_column_with_legible_text_and_legend_below():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    alphas, betas, b2, b1 = _sweep()
    limit = plot_gd_limit_vs_alpha(alphas, betas, b2, b1, check_alphas=alphas[::4],
                                   check_betas=betas[::4])
    level = plot_bregman_level_sets([_euclid] * 3, ["a", "b", "c"], n_grid=21)
    column_px = 672  # the text column at a 1280 px window
    for fig in (limit, level):
        assert style.legibility_problems(fig) == []
        # as saved for the page, the figure is no wider than the column: never shrunk
        assert style.COLUMN_WIDTH * style.DPI / 2 < _saved_width_px(fig) <= column_px
    renderer = FigureCanvasAgg(limit).get_renderer()
    limit.draw(renderer)
    (legend,) = limit.legends
    assert all(ax.get_legend() is None for ax in limit.axes)
    for ax in limit.axes:  # the legend lies below every panel: it covers no curve
        assert legend.get_window_extent(renderer).y1 <= ax.get_tightbbox(renderer).y0
    assert [t.get_text() for t in legend.get_texts()][-2:] == [r"$\beta_{\ell_1}$",
                                                               r"$\beta_{\ell_2}$"]
