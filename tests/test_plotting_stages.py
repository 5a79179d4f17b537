"""Tests of ssdlib.plotting.stages (the figures of the stages chapter)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from ssdlib import Problem, simulate
from ssdlib.plotting import figure1, figure1_panel, figure1_paper_panel, gradient_stages

T_EVAL = np.linspace(0.0, 1.2, 121)


@pytest.fixture(scope="module")
def problem():
    return Problem.random_blocks([3, 2], 66)


@pytest.fixture(scope="module")
def trajs(problem):
    return [simulate(problem, 0.1, eps, t_eval=T_EVAL) for eps in (0.002, 0.01)]


def _data_lines(ax):
    """Lines with one point per time step (not the axvline/axhline markers)."""
    return [ln for ln in ax.get_lines() if len(ln.get_xdata()) == T_EVAL.size]


def _vlines(ax):
    return sorted(float(ln.get_xdata()[0]) for ln in ax.get_lines()
                  if len(ln.get_xdata()) == 2 and ln.get_xdata()[0] == ln.get_xdata()[1])


def test_figure1_panel_draws_the_trajectory(trajs):
    tr = trajs[0]
    fig = figure1_panel(tr)
    assert isinstance(fig, Figure)
    ax_p, ax_d = fig.axes[:2]
    lp, ld = _data_lines(ax_p), _data_lines(ax_d)
    assert len(lp) == len(ld) == tr.beta.shape[1]
    for i in range(tr.beta.shape[1]):
        np.testing.assert_array_equal(lp[i].get_xdata(), tr.t)
        np.testing.assert_array_equal(lp[i].get_ydata(), tr.beta[:, i])
        np.testing.assert_array_equal(ld[i].get_ydata(), tr.dual[:, i])
    for ax in (ax_p, ax_d):
        assert _vlines(ax) == pytest.approx([tr.T0, tr.T])
    labels = [t.get_text() for t in ax_p.get_legend().get_texts()]
    assert labels == ["β₁", "β₂", "β₃", "β₄", "β₅"]


def test_figure1_panel_absolute(trajs):
    tr = trajs[1]
    fig = figure1_panel(tr, absolute=True, legend=False)
    ld = _data_lines(fig.axes[1])
    np.testing.assert_array_equal(ld[2].get_ydata(), np.abs(tr.dual[:, 2]))
    assert fig.axes[0].get_legend() is None


def test_figure1_grid(trajs):
    fig = figure1(trajs)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4  # 2 x 2
    top = fig.axes[:2]  # subplots(2, 2) flattens row-major: (0,0), (0,1), (1,0), (1,1)
    bottom = fig.axes[2:]
    for k, tr in enumerate(trajs):
        lp, ld = _data_lines(top[k]), _data_lines(bottom[k])
        assert len(lp) == len(ld) == 5
        np.testing.assert_array_equal(lp[4].get_ydata(), tr.beta[:, 4])
        np.testing.assert_array_equal(ld[0].get_ydata(), tr.dual[:, 0])
        assert _vlines(bottom[k]) == pytest.approx([tr.T0, tr.T])
    assert "(a)" in top[0].get_title() and "(b)" in top[1].get_title()
    assert top[0].get_legend() is None and top[1].get_legend() is not None


def test_figure1_sign_flow(problem):
    tr = simulate(problem, 0.1, 0.0, t_eval=T_EVAL)
    fig = figure1_panel(tr, title="sign flow")
    ld = _data_lines(fig.axes[1])
    np.testing.assert_array_equal(ld[3].get_ydata(), tr.dual[:, 3])
    assert fig.get_suptitle() == "sign flow"


def test_gradient_stages(trajs):
    tr = trajs[0]
    fig = gradient_stages(tr)
    ax_v, ax_u = fig.axes[:2]
    lv, lu = _data_lines(ax_v), _data_lines(ax_u)
    assert len(lv) == len(lu) == 5
    floor = 1e-6 * tr.eps
    np.testing.assert_array_equal(lu[1].get_ydata(), np.maximum(np.abs(tr.grad_u[:, 1]), floor))
    np.testing.assert_array_equal(lv[1].get_ydata(), np.maximum(np.abs(tr.grad_v[:, 1]), floor))
    assert ax_u.get_yscale() == "log"


def test_errors(problem):
    with pytest.raises(ValueError, match="at least one"):
        figure1([])
    with pytest.raises(ValueError, match="Trajectory"):
        figure1_panel(object())
    with pytest.raises(ValueError, match="eps > 0"):
        gradient_stages(simulate(problem, 0.1, 0.0, t_eval=T_EVAL))


def test_figure1_paper_panel_draws_magnitudes_and_readings(trajs):
    from ssdlib.paper_readings import FIGURE_1

    tr = trajs[1]
    panel = FIGURE_1["panels"][0.01]
    fig = figure1_paper_panel(tr, readings=panel, title="(b)")
    ax_p, ax_d = fig.axes[:2]
    lp, ld = _data_lines(ax_p), _data_lines(ax_d)
    for i in range(tr.beta.shape[1]):
        np.testing.assert_array_equal(lp[i].get_ydata(), tr.beta[:, i])
        np.testing.assert_array_equal(ld[i].get_ydata(), np.abs(tr.dual[:, i]))
    assert _vlines(ax_p) == pytest.approx([tr.T0, tr.T])
    assert [ax_p.get_title(), ax_d.get_title()] == ["Primal Dynamics", "Dual Dynamics"]
    marks = [ln for ln in ax_d.get_lines() if ln.get_marker() == "o"]
    drawn = sorted(np.concatenate([ln.get_ydata() for ln in marks]).tolist())
    expected = sorted([*panel["u_inf"]["value"], *np.ravel(panel["u_t"]["value"])])
    assert drawn == pytest.approx(expected)
    tri = [ln for ln in ax_d.get_lines() if ln.get_marker() == "^"]
    assert sorted(ln.get_xdata()[0] for ln in tri) == [panel["T0"]["value"], panel["T"]["value"]]
    w, _ = fig.get_size_inches() * fig.dpi
    assert w <= 672  # the text column of the book at 100 dpi
