"""Tests of the figures of the setup chapter (ssdlib.plotting.setup)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from ssdlib import Problem, check_assumptions, sign_descent, simulate
from ssdlib.plotting import (
    plot_assumption_region,
    plot_discretisation,
    plot_flow_and_discrete,
    plot_gram_blocks,
)


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


def test_discretisation_validates(flow_and_run):
    flow, run = flow_and_run
    with pytest.raises(ValueError, match="`errors`"):
        plot_discretisation([1e-3, 2e-3], [1e-3], flow, [run])
