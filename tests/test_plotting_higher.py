"""Tests of the figure functions of the higher-order chapter (ssdlib.plotting.higher)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ssdlib import Problem, min_E_solution, simulate
from ssdlib.depth import DepthFlowCache
from ssdlib.interpolators import min_l1_solution
from ssdlib.plotting import (
    depth_explorer,
    plot_depth_dual_check,
    plot_depth_explorer,
    plot_depth_limit,
    plot_depth_sparsity,
    plot_depth_trajectories,
    plot_v_orders,
)
from ssdlib.plotting.higher import markdown_table


def paper_map(beta, v, H):
    return (2 - 1 / H) * np.sign(beta) * (np.abs(beta) + v**H) ** (1 - 1 / H)


@pytest.fixture(scope="module")
def problem():
    return Problem.random_blocks([2, 3], seed=0)


@pytest.fixture(scope="module")
def flows(problem):
    t = np.linspace(0.0, 1.0, 201)
    return [simulate(problem, a, 0.01, depth=H, t_eval=t) for H, a in ((2, 0.1), (3, 0.15))]


def _by_label(ax, label):
    found = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(found) == 1, [ln.get_label() for ln in ax.get_lines()]
    return found[0]


def _data_lines(ax):
    """Lines that are not the grey stage-time verticals / reference lines."""
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


def test_dual_check_lines_match_trajectory(flows):
    fig = plot_depth_dual_check(flows, paper_map, coord=1, every=5)
    assert isinstance(fig, Figure)
    axes = fig.axes
    assert len(axes) == 2
    for ax, tr in zip(axes, flows, strict=True):
        rhs = -tr.sign * tr.grad_u / (np.abs(tr.grad_u) + tr.eps)
        line = _by_label(ax, "rhs of (20)")
        np.testing.assert_array_equal(line.get_xdata(), tr.t)
        np.testing.assert_allclose(line.get_ydata(), rhs[:, 1])
        fd = np.gradient(tr.dual, tr.t, axis=0)[2:]
        marks = [ln for ln in ax.get_lines() if ln.get_marker() == "o"][0]
        np.testing.assert_allclose(marks.get_xdata(), tr.t[2:][::5])
        np.testing.assert_allclose(marks.get_ydata(), fd[::5, 1])
        dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"
                  and ln.get_color() == "C3"][0]
        fp = np.gradient(paper_map(tr.beta, tr.v, tr.depth), tr.t, axis=0)[2:]
        c = np.sum(fp[:-1] * rhs[2:][:-1]) / np.sum(fp[:-1] ** 2)
        np.testing.assert_allclose(dashed.get_ydata(), c * fp[:, 1], atol=1e-12)
        if tr.depth == 2:  # best constant 2/3: Proposition 3.6's normalisation
            assert abs(c - 2 / 3) < 1e-2


def test_dual_check_legend_is_below_the_panels(flows):
    fig = plot_depth_dual_check(flows, paper_map)
    assert all(ax.get_legend() is None for ax in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()][0] == "rhs of (20)"
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)  # the constrained layout places the legend
    box = legend.get_window_extent(renderer)
    for ax in fig.axes:
        assert box.y1 <= ax.get_tightbbox(renderer).y0


def test_dual_check_odd_count_hides_spare_axis(flows):
    fig = plot_depth_dual_check(flows[:1] * 3, paper_map)
    assert len(fig.axes) == 4
    assert not fig.axes[3].axison


def test_trajectories_lines_match(flows):
    fig = plot_depth_trajectories(flows)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2 * len(flows)
    D = flows[0].beta.shape[1]
    for j, tr in enumerate(flows):
        primal, dual = fig.axes[2 * j], fig.axes[2 * j + 1]
        lines_p = [ln for ln in primal.get_lines() if len(ln.get_xdata()) == len(tr.t)]
        lines_d = [ln for ln in dual.get_lines() if len(ln.get_xdata()) == len(tr.t)]
        assert len(lines_p) == len(lines_d) == D
        for i in range(D):
            np.testing.assert_array_equal(lines_p[i].get_ydata(), tr.beta[:, i])
            np.testing.assert_array_equal(lines_d[i].get_ydata(), tr.dual[:, i])


def test_v_orders_data_and_layout():
    eps = np.geomspace(1e-4, 1e-2, 4)
    depths = [2, 3, 4]
    v_T0 = np.array([eps, eps**0.5, eps ** (1 / 3)])
    v_inf = np.array([np.exp(-0.2 / eps), eps, eps**0.5])
    fig = plot_v_orders(eps, depths, v_T0, v_inf, [0.1, 0.1, 0.2], h2_limit=0.2)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    a, b, c = fig.axes
    ln = _by_label(a, "H = 3: slope 0.50")
    np.testing.assert_allclose(ln.get_ydata(), v_T0[1])
    ln = _by_label(b, "H = 4: slope 0.50")
    np.testing.assert_allclose(ln.get_ydata(), v_inf[2])
    ln = _by_label(c, "H = 2")
    ok = v_inf[0] > 0  # exp(-2000) underflows to 0 and is skipped
    assert ok.sum() == 3
    np.testing.assert_allclose(ln.get_xdata(), eps[ok])
    np.testing.assert_allclose(ln.get_ydata(), eps[ok] * (np.log(0.1) + 0.2 / eps[ok]))
    lo, hi = c.get_xlim()  # panel (c) spans the points it has, not the underflowed eps
    assert eps[0] < lo < eps[ok][0] and eps[-1] < hi < 1.5 * eps[-1]
    fig2 = plot_v_orders(eps, [3, 4], v_T0[1:], v_inf[1:], 0.1)
    assert len(fig2.axes) == 2
    with pytest.raises(ValueError, match="shape"):
        plot_v_orders(eps, depths, v_T0[:2], v_inf, 0.1)


def test_depth_limit_panels():
    H = np.array([2, 4, 8, 16])
    corr = np.array([0.2, 0.4, 0.7, 0.9])
    paper = np.array([0.2, 0.18, 0.16, 0.15])
    fig = plot_depth_limit([2, 4], H, corr, paper, 1.0, 0.15)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    a, b, c = fig.axes
    # unit balls: sum |b|^p = 1 on every drawn curve
    for ax, expo in ((a, lambda h: 1 + 1 / h), (b, lambda h: 2 - 1 / h)):
        for h in (2, 4):
            ln = _by_label(ax, f"H = {h}")
            x, y = ln.get_xdata(), ln.get_ydata()
            np.testing.assert_allclose(np.abs(x) ** expo(h) + np.abs(y) ** expo(h), 1.0,
                                       rtol=1e-12)
    data = _data_lines(c)
    np.testing.assert_array_equal(data[0].get_ydata(), corr)
    np.testing.assert_array_equal(data[1].get_ydata(), paper)
    np.testing.assert_array_equal(data[0].get_xdata(), H)


def test_sparsity_shares():
    row = Problem.random_blocks([4], seed=6)
    trajs = [simulate(row, 0.2, 0.01, depth=H, t_eval=np.array([0.0])) for H in (2, 3)]
    betas_E = [min_E_solution(row, tr) for tr in trajs]
    beta_l1 = np.zeros(4)
    beta_l1[np.argmax(np.abs(row.X[0]))] = 1.0
    fig = plot_depth_sparsity(row, trajs, betas_E, beta_l1)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    order = np.argsort(-np.abs(row.X[0]), kind="stable")
    for tr, bE in zip(trajs, betas_E, strict=True):
        ln = _by_label(fig.axes[0], f"H = {tr.depth}")
        share = np.abs(tr.beta_inf)[order] / np.abs(tr.beta_inf).sum()
        np.testing.assert_allclose(ln.get_ydata(), share)
        ln = _by_label(fig.axes[1], f"H = {tr.depth}")
        np.testing.assert_allclose(ln.get_ydata(), np.abs(bE)[order] / np.abs(bE).sum())
    ln = _by_label(fig.axes[1], r"min $\ell_1$")
    np.testing.assert_allclose(ln.get_ydata(), [1, 0, 0, 0])
    with pytest.raises(ValueError, match="one entry per trajectory"):
        plot_depth_sparsity(row, trajs, betas_E[:1], beta_l1)


def test_explorer_path_and_validation(problem, flows):
    plane = Problem.random_blocks([2], seed=3)
    tr = simulate(plane, 0.2, 0.01, depth=4, t_eval=np.linspace(0, 1.5, 151))
    fig = plot_depth_explorer(tr, beta_E=min_E_solution(plane, tr), beta_l1=[0.0, -1.0])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    path = _by_label(fig.axes[0], "flow")
    np.testing.assert_array_equal(path.get_xdata(), tr.beta[:, 0])
    np.testing.assert_array_equal(path.get_ydata(), tr.beta[:, 1])
    dual2 = _by_label(fig.axes[1], r"dual$_2$")
    np.testing.assert_array_equal(dual2.get_ydata(), tr.dual[:, 1])
    with pytest.raises(ValueError, match="N = 1 and D = 2"):
        plot_depth_explorer(flows[0])


def test_explorer_callback_at_the_sliders_extremes():
    """The widget's callback on the ends of both sliders: depth 2 and 6, eps 10^-3 and 10^-1."""
    from ssdlib.plotting.style import legibility_problems, saved_width

    plane = Problem.random_blocks([2], seed=3)
    ends = 10.0 ** np.array([-3.0, -1.0])  # FloatLogSlider(min=-3, max=-1), as the chapter
    cache = DepthFlowCache(plane, 0.2, ends, [2, 6], n=101)
    explore = depth_explorer(cache)
    l1 = min_l1_solution(plane)
    for H in (2, 6):
        for eps in ends:
            fig = explore(H, eps)
            tr = cache.flow(H, eps)
            a, b = fig.axes
            assert a.get_title() == f"(a) H = {H}, " + r"$\varepsilon$" + f" = {eps:.3g}"
            path = _by_label(a, "flow")
            np.testing.assert_array_equal(path.get_xdata(), tr.beta[:, 0])
            np.testing.assert_array_equal(path.get_ydata(), tr.beta[:, 1])
            np.testing.assert_allclose(_by_label(a, "min E (23)").get_xydata()[0],
                                       min_E_solution(plane, tr))
            np.testing.assert_allclose(_by_label(a, r"min $\ell_1$").get_xydata()[0], l1)
            # the limit: on the solution line, and the flow got there
            assert abs(plane.X[0] @ tr.beta_inf - plane.y[0]) < 1e-6
            assert legibility_problems(fig) == []
            # one legend, below the panels; the frame fits the 656 px that a captioned figure
            # leaves it on the page (saved as the inline backend and `explorable` save)
            assert all(ax.get_legend() is None for ax in fig.axes) and len(fig.legends) == 1
            assert saved_width(fig) <= 672 - 16
    with pytest.raises(KeyError, match="no cached flow"):
        explore(4, 0.01)
    with pytest.raises(KeyError, match="no cached flow"):
        explore(2, 0.5)


def test_dual_check_default_is_the_papers_map(flows):
    explicit = plot_depth_dual_check(flows, paper_map)
    default = plot_depth_dual_check(flows)
    for ax1, ax2 in zip(explicit.axes, default.axes, strict=True):
        for l1, l2 in zip(ax1.get_lines(), ax2.get_lines(), strict=True):
            np.testing.assert_allclose(l1.get_ydata(), l2.get_ydata(), rtol=1e-12)


def test_markdown_table_rows_and_validation():
    table = markdown_table([(2, "0.105"), (6, "1.000")], header=("H", "top share"))
    lines = table._repr_markdown_().splitlines()
    assert lines == ["| H | top share |", "|---|---|", "| 2 | 0.105 |", "| 6 | 1.000 |"]
    with pytest.raises(ValueError, match="one value per column"):
        markdown_table([(2, "0.1", "x")], header=("H", "top share"))


def test_figures_fit_the_column_with_legible_text(problem, flows):
    from ssdlib.plotting.style import legibility_problems

    eps = np.geomspace(1e-4, 1e-2, 4)
    v = np.array([eps, eps**0.5])
    row = Problem.random_blocks([4], seed=1)
    trs = [simulate(row, 0.1, 0.01, depth=H) for H in (2, 3)]
    plane = Problem.random_blocks([2], seed=3)
    flat = simulate(plane, 0.2, 0.01, depth=3, t_eval=np.linspace(0, 1.5, 51))
    figs = [plot_depth_dual_check(flows, paper_map), plot_depth_trajectories(flows),
            plot_v_orders(eps, [2, 3], v, v, 0.1, h2_limit=0.1),
            plot_depth_limit([2, 6], [2, 4, 8], [0.3, 0.5, 0.8], [0.3, 0.2, 0.2], 1.0, 0.2),
            plot_depth_sparsity(row, trs, [tr.beta_inf for tr in trs], trs[0].beta_inf),
            plot_depth_explorer(flat)]
    for fig in figs:
        assert legibility_problems(fig) == [], fig.axes[0].get_title()
    # the trajectories' colour key sits below the panels, over no curve
    (legend,) = figs[1].legends
    assert all(ax.get_legend() is None for ax in figs[1].axes)
    assert [t.get_text() for t in legend.get_texts()] == ["i = 0", "i = 1", "i = 2", "i = 3",
                                                          "i = 4"]
