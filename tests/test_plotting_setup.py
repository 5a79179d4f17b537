"""Tests of the figures of the setup chapter (ssdlib.plotting.setup)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ssdlib import Problem, check_assumptions, sign_descent, sign_flow_hitting_times, simulate
from ssdlib.instances import REGISTRY
from ssdlib.plotting import (
    EXPLORE_RANGES,
    flow_explorer,
    plot_assumption_region,
    plot_discretisation,
    plot_flow_and_discrete,
    plot_gram_blocks,
)
from ssdlib.plotting.style import legibility_problems


def _assert_legible(fig):
    # no text below 7 pt, and the saved PNG no wider than the column: shown at its own size
    assert legibility_problems(fig) == []


def _renderer(fig):
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _legend_clear_of_lines(ax):
    """The legend box of ``ax`` contains no drawn data point of ``ax``."""
    renderer = _renderer(ax.figure)
    box = ax.get_legend().get_window_extent(renderer)
    for line in ax.lines:
        if line.get_transform() != ax.transData:
            continue  # a reference line such as beta = 0, drawn in axes coordinates
        xy = ax.transData.transform(line.get_xydata())
        inside = ((xy[:, 0] > box.x0) & (xy[:, 0] < box.x1)
                  & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1))
        assert not inside.any(), f"the legend covers {line.get_label()!r}"


@pytest.fixture(scope="module")
def problem():
    return Problem.random_blocks([3, 2], seed=0)


@pytest.fixture(scope="module")
def flow_and_run(problem):
    eta, steps = 0.05, 12
    run = sign_descent(problem, 0.1, 0.01, eta, steps)
    flow = simulate(problem, 0.1, 0.01, t_eval=run.t)
    return flow, run


def test_gram_blocks_images():
    P = Problem.random_blocks([3, 2], seed=4, shuffle=True)
    fig = plot_gram_blocks(P)
    assert isinstance(fig, Figure)
    ax0, ax1 = fig.axes[:2]  # the third axes is the colorbar
    G = np.abs(P.X.T @ P.X)
    perm = np.concatenate(P.blocks)
    np.testing.assert_allclose(ax0.images[0].get_array(), G)
    np.testing.assert_allclose(ax1.images[0].get_array(), G[np.ix_(perm, perm)])
    # one horizontal and one vertical boundary between the two blocks
    assert len(ax1.lines) == 2
    _assert_legible(fig)


def test_gram_blocks_needs_assumption_3_2():
    P = Problem(np.ones((2, 3)), [1.0, 2.0])
    with pytest.raises(ValueError, match="Assumption 3.2"):
        plot_gram_blocks(P)


def test_assumption_region_lines(problem):
    points = [(0.1, 0.002, "a"), (0.1, 0.01, "b")]
    fig = plot_assumption_region(problem, points=points)
    ax = fig.axes[0]
    rep = check_assumptions(problem, 0.1, 0.01)
    h18, lo19, v19 = ax.lines[:3]
    np.testing.assert_allclose(h18.get_ydata(), rep.eps_interval[1])
    np.testing.assert_allclose(v19.get_xdata(), rep.alpha_interval[1])
    # the lower bound of eq. (19) at eps = 0.01 is where the orange line reaches 0.01
    a, e = lo19.get_xdata(), lo19.get_ydata()
    np.testing.assert_allclose(np.interp(0.01, e, a), rep.alpha_interval[0], rtol=1e-9)
    marked = [ln.get_xydata()[0] for ln in ax.lines[3:]]
    np.testing.assert_allclose(marked, [(p[0], p[1]) for p in points])
    assert ax.get_xscale() == ax.get_yscale() == "log"
    _assert_legible(fig)
    # one legend, below the axes: it covers no line and no part of the region
    (legend,) = fig.legends
    assert ax.get_legend() is None
    renderer = _renderer(fig)
    assert legend.get_window_extent(renderer).y1 <= ax.get_tightbbox(renderer).y0


def test_flow_and_discrete_data(problem, flow_and_run):
    flow, run = flow_and_run
    fig = plot_flow_and_discrete(flow, run, every=2, title="t")
    ax = fig.axes[0]
    D = problem.D
    assert len(ax.lines) == 2 * D + 1  # flow, run, and the zero line
    for i in range(D):
        np.testing.assert_allclose(ax.lines[i].get_ydata(), flow.beta[:, i])
        np.testing.assert_allclose(ax.lines[D + i].get_ydata(), run.beta[::2, i])
    assert ax.get_title() == "t"
    _assert_legible(fig)


def test_flow_only(flow_and_run):
    flow, _ = flow_and_run
    fig = plot_flow_and_discrete(flow)
    assert len(fig.axes[0].lines) == flow.beta.shape[1] + 1


def test_discretisation_data(problem, flow_and_run):
    flow, run = flow_and_run
    etas = np.array([1e-3, 2e-3, 4e-3])
    errors = np.array([[1e-3, 2e-3, 4e-3], [2e-3, 4e-3, 8e-3]])
    fits = [(1.0, 0.0), (1.0, np.log(2.0))]
    fig = plot_discretisation(etas, errors, flow, [run], fit=fits, series_labels=["x", "y"])
    ax0, ax1 = fig.axes
    np.testing.assert_allclose(ax0.lines[0].get_ydata(), errors[0])
    np.testing.assert_allclose(ax0.lines[1].get_ydata(), etas)  # the fit exp(0) * eta
    np.testing.assert_allclose(ax0.lines[2].get_ydata(), errors[1])
    D = problem.D
    for i in range(D):
        np.testing.assert_allclose(ax1.lines[i].get_ydata(), flow.beta[:, i])
        np.testing.assert_allclose(ax1.lines[D + i].get_ydata(), run.beta[:, i])
    labels = [t.get_text() for t in ax1.get_legend().get_texts()]
    assert labels == [r"$\eta = 0.05$"]
    _assert_legible(fig)


def test_discretisation_legends_cover_no_data():
    """On the chapter's data (Figure 1 of the paper), both legends sit on empty corners."""
    P = REGISTRY["figure1"]().problem
    h, n = 1e-3, 1200
    flow = simulate(P, 0.1, 0.01, t_eval=h * np.arange(n + 1))
    mult = np.array([1, 2, 5, 10, 20])
    err = [np.max(np.abs(sign_descent(P, 0.1, 0.01, m * h, n // m).beta - flow.beta[::m]))
           for m in mult]
    runs = [sign_descent(P, 0.1, 0.01, eta, int(round(1.2 / eta))) for eta in (0.1, 0.04)]
    fig = plot_discretisation(mult * h, err, flow, runs, fit=(1.0, np.log(err[0] / h)))
    for ax in fig.axes:
        _legend_clear_of_lines(ax)


def test_discretisation_validates(flow_and_run):
    flow, run = flow_and_run
    with pytest.raises(ValueError, match="`errors`"):
        plot_discretisation([1e-3, 2e-3], [1e-3], flow, [run])


@pytest.fixture(scope="module")
def explore():
    return flow_explorer(Problem([[1.2, 0.5]], [1.0]))


@pytest.mark.parametrize("eps", EXPLORE_RANGES["eps"])
@pytest.mark.parametrize("alpha", EXPLORE_RANGES["alpha"])
def test_flow_explorer_at_the_ends_of_the_sliders(explore, eps, alpha):
    """The widget's redraw at every corner of the slider ranges: the flow and the run."""
    fig = explore(eps=eps, alpha=alpha)
    ax = fig.axes[0]
    P = Problem([[1.2, 0.5]], [1.0])
    t_end = 1.5 * float(sign_flow_hitting_times(P, alpha).max())
    flow_lines, run_lines = ax.lines[:2], ax.lines[2:4]
    ref = simulate(P, alpha, eps, t_eval=flow_lines[0].get_xdata(), rtol=1e-10)
    for i, line in enumerate(flow_lines):
        assert line.get_xdata()[-1] == pytest.approx(t_end)
        np.testing.assert_allclose(line.get_ydata(), ref.beta[:, i], rtol=0,
                                   atol=1e-4 * np.abs(ref.beta).max())
    # the markers are iterates of eq. (15) with eta = 0.01, beginning at beta = 0
    t_run = run_lines[0].get_xdata()
    np.testing.assert_allclose(np.diff(t_run) / 0.01, np.round(np.diff(t_run) / 0.01))
    assert t_run[0] == 0 and t_run[-1] >= t_end - 0.01 * (len(t_run) + 1)
    assert all(np.all(np.isfinite(ln.get_ydata())) for ln in ax.lines)
    verdict = "holds" if check_assumptions(P, alpha, eps).a33 else "fails"
    assert ax.get_title().endswith(f"(Assumption 3.3 {verdict})")
    assert f"{eps:.3g}" in ax.get_title() and f"{alpha:.3g}" in ax.get_title()
    _assert_legible(fig)


def test_flow_explorer_defaults_and_arguments(explore):
    assert "0.01" in explore().axes[0].get_title() and "0.1" in explore().axes[0].get_title()
    with pytest.raises(ValueError, match="`eta`"):
        flow_explorer(Problem([[1.2, 0.5]], [1.0]), eta=0.0)
    with pytest.raises(ValueError, match="Assumption 3.2"):
        flow_explorer(Problem(np.ones((2, 3)), [1.0, 2.0]))
