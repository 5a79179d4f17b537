"""Tests of ssdlib.plotting.stages (the figures of the stages chapter)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure

from ssdlib import Problem, check_assumptions, simulate
from ssdlib.instances import figure1_instance
from ssdlib.plotting import (figure1, figure1_explore, figure1_panel, figure1_paper_panel,
                             gradient_stages, style)
from ssdlib.stages import flow_grid

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
    assert style.legibility_problems(fig) == []


def test_figure1_panel_absolute(trajs):
    tr = trajs[1]
    fig = figure1_panel(tr, absolute=True, legend=False)
    ld = _data_lines(fig.axes[1])
    np.testing.assert_array_equal(ld[2].get_ydata(), np.abs(tr.dual[:, 2]))
    assert fig.axes[0].get_legend() is None
    assert style.legibility_problems(fig) == []


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
    assert all(ax.get_legend() is None for ax in fig.axes)  # one legend, below the axes
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [f"$i = {i}$" for i in range(1, 6)]
    assert style.legibility_problems(fig) == []


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
    assert style.legibility_problems(fig) == []


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
    assert style.legibility_problems(fig) == []
    assert ax_p.get_legend() is None and ax_d.get_legend() is None  # none over the curves
    (legend,) = fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[0] == r"$\beta_1$, $|\nabla\Phi_t|_1$" and texts[-1] == "paper (read)"
    stage_labels = [t.get_text() for t in ax_d.texts]
    assert stage_labels == ["$T_0$", "$T$"]  # typeset, not "T_0"


def _png_width(fig):
    """Width in px of ``fig`` as the inline backend saves it (100 dpi, tight bounding box)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=style.DPI, bbox_inches="tight")
    return int.from_bytes(buf.getvalue()[16:20], "big")


def test_figures_fit_the_text_column(trajs, problem):
    """Saved as on the page, no figure is wider than the 672 px column (so none is shrunk)."""
    figs = [figure1_panel(trajs[0]), figure1([*trajs]), gradient_stages(trajs[0]),
            figure1_paper_panel(trajs[1], title="(b)"), figure1_explore(problem, 0.002, 0.1)]
    for fig in figs:
        assert _png_width(fig) <= 660  # room for a classic 12-15 px page scroll bar


EXTREMES = [(eps, alpha) for eps in (3e-4, 5e-2) for alpha in (0.02, 0.3)]


@pytest.fixture(scope="module")
def widget_flows():
    prob = figure1_instance().problem
    return prob, flow_grid(prob, [0.02, 0.1, 0.3], [3e-4, 2e-3, 5e-2], T_EVAL)


@pytest.mark.parametrize("eps, alpha", EXTREMES)
def test_widget_callback_at_the_sliders_extremes(eps, alpha, widget_flows):
    """The chapter's widget calls figure1_explore: at each corner of its sliders' ranges it draws
    the flow of that pair, titled with the pair and whether Assumption 3.3 holds."""
    prob, flows = widget_flows
    fig = figure1_explore(prob, eps, alpha, flows=flows)
    tr = flows[(alpha, eps)]
    lp = _data_lines(fig.axes[0])
    assert len(lp) == prob.X.shape[1]
    np.testing.assert_array_equal(lp[0].get_ydata(), tr.beta[:, 0])
    holds = check_assumptions(prob, alpha, eps).a33
    assert fig.get_suptitle() == (f"ε = {eps:.3g}, α = {alpha:.3g} "
                                  f"(Assumption 3.3 {'holds' if holds else 'fails'})")
    assert style.legibility_problems(fig) == []


def test_widget_callback_off_the_grid_integrates_the_flow(widget_flows):
    prob, flows = widget_flows
    fig = figure1_explore(prob, 0.01, 0.25, flows=flows, t_eval=T_EVAL)
    tr = simulate(prob, 0.25, 0.01, t_eval=T_EVAL)
    np.testing.assert_allclose(_data_lines(fig.axes[1])[2].get_ydata(), tr.dual[:, 2])
    assert "Assumption 3.3 fails" in fig.get_suptitle()  # alpha = 0.25 is too large here
