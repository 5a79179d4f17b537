"""Tests of ssdlib.plotting.kkt (the figures of the KKT chapter)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from ssdlib import Problem, check_assumptions, instances, kkt_Delta, min_E_solution, simulate
from ssdlib.bounds import kkt_bounds_block, kkt_bounds_leading
from ssdlib.plotting import style
from ssdlib.plotting.kkt import (
    FIGURE2_T,
    plot_corollary_3_12,
    plot_delta_map,
    plot_E_against_eps,
    plot_figure2_for_eps,
    plot_figure3_pair,
    plot_kkt_bounds,
    plot_trajectories_2d,
    plot_v_inf_decay,
)

ALPHA = 0.1
T_EVAL = np.linspace(0.0, 1.0, 61)


@pytest.fixture(scope="module")
def problem():
    return Problem.from_angles([1.83], [4.0], [1.0])


@pytest.fixture(scope="module")
def trajs(problem):
    return [simulate(problem, ALPHA, eps, t_eval=T_EVAL, rtol=1e-7, atol=1e-9)
            for eps in (0.002, 0.02)]


def test_trajectories_2d_lines_are_the_trajectories(problem, trajs):
    pt = min_E_solution(problem, trajs[0])
    fig = plot_trajectories_2d(problem, trajs, pt)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    lines = ax.get_lines()
    for tr, ln in zip(trajs, lines[: len(trajs)], strict=True):
        np.testing.assert_array_equal(ln.get_xdata(), tr.beta[:, 0])
        np.testing.assert_array_equal(ln.get_ydata(), tr.beta[:, 1])
    # end points, then the solution line x . beta = y
    for tr, ln in zip(trajs, lines[len(trajs): 2 * len(trajs)], strict=True):
        np.testing.assert_allclose([ln.get_xdata()[0], ln.get_ydata()[0]], tr.beta_inf)
    sol = lines[2 * len(trajs)]
    xb = np.column_stack([sol.get_xdata(), sol.get_ydata()]) @ problem.X[0]
    np.testing.assert_allclose(xb, problem.y[0])
    star = [ln for ln in lines if ln.get_marker() == "*"]
    assert len(star) == 1
    np.testing.assert_allclose([star[0].get_xdata()[0], star[0].get_ydata()[0]], pt)
    assert len(ax.get_legend().get_texts()) == len(trajs) + 2
    assert style.legibility_problems(fig) == []


def test_trajectories_2d_one_min_E_point_per_run(problem, trajs):
    pts = np.array([min_E_solution(problem, tr) for tr in trajs])
    fig = plot_trajectories_2d(problem, trajs, pts, labels=["a", "b"])
    stars = [ln for ln in fig.axes[0].get_lines() if ln.get_marker() == "*"]
    assert len(stars) == 2
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:2] == ["a", "b"]


def test_trajectories_2d_rejects_bad_input(problem, trajs):
    with pytest.raises(ValueError, match="N = 1 and D = 2"):
        plot_trajectories_2d(Problem.random_blocks([2, 2], 0), trajs)
    with pytest.raises(ValueError, match="at least one"):
        plot_trajectories_2d(problem, [])
    with pytest.raises(ValueError, match="min_E_points"):
        plot_trajectories_2d(problem, trajs, np.zeros(3))


def test_kkt_bounds_lines_carry_the_data(problem, trajs):
    eps = np.array([tr.eps for tr in trajs])
    Delta = np.array([kkt_Delta(problem, tr)[0] for tr in trajs])
    lam, th = 4.0, problem.block_angles()[2][0]
    mp, mm = kkt_bounds_block(lam, th, 1.0, ALPHA, eps)
    lp, lm = kkt_bounds_leading(lam, th, 1.0, ALPHA, eps)
    fig = plot_kkt_bounds(eps, Delta, mp, mm, M_plus_lead=lp, M_minus_lead=lm, Delta_sign_flow=0.4)
    lines = fig.axes[0].get_lines()
    np.testing.assert_array_equal(lines[0].get_xdata(), eps)
    np.testing.assert_array_equal(lines[0].get_ydata(), Delta)
    np.testing.assert_array_equal(lines[1].get_ydata(), mp)
    np.testing.assert_array_equal(lines[2].get_ydata(), mm)
    np.testing.assert_array_equal(lines[3].get_ydata(), lp)
    np.testing.assert_array_equal(lines[4].get_ydata(), lm)
    assert lines[5].get_ydata()[0] == 0.4  # the sign-flow square at eps = 0
    assert np.all(mm <= Delta) and np.all(Delta <= mp)
    # one legend below the axes (over no curve), all entries in it
    assert fig.axes[0].get_legend() is None and len(fig.legends) == 1
    assert len(fig.legends[0].get_texts()) == 6
    assert style.legibility_problems(fig) == []


def test_kkt_bounds_on_a_finer_grid():
    eps = np.array([0.001, 0.002])
    eb = np.linspace(0.0, 0.002, 5)
    fig = plot_kkt_bounds(eps, [0.3, 0.29], np.full(5, 0.5), -eb, eps_bounds=eb, repaired=0.4)
    lines = fig.axes[0].get_lines()
    np.testing.assert_array_equal(lines[1].get_xdata(), eb)
    np.testing.assert_array_equal(lines[3].get_ydata(), np.full(5, 0.4))
    with pytest.raises(ValueError, match="length of `eps_bounds`"):
        plot_kkt_bounds(eps, [0.3, 0.29], np.full(4, 0.5), -eb, eps_bounds=eb)
    with pytest.raises(ValueError, match="length of `eps`"):
        plot_kkt_bounds(eps, [0.3], [0.5, 0.5], [0.1, 0.1])


def test_E_against_eps():
    eps = np.linspace(0.001, 0.02, 4)
    fig = plot_E_against_eps(eps, [4.0, 3.0, 2.0, 1.0], [0.5] * 4)
    assert isinstance(fig, Figure)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2
    np.testing.assert_array_equal(lines[0].get_ydata(), [4.0, 3.0, 2.0, 1.0])
    np.testing.assert_array_equal(lines[1].get_xdata(), eps)
    assert style.legibility_problems(fig) == []


def test_v_inf_decay_skips_underflow():
    eps = np.array([0.01, 0.02, 0.03])
    v = np.array([[1e-20, 0.0], [1e-10, 1e-30], [1e-7, 1e-20]])
    fig = plot_v_inf_decay(eps, v, fit=np.array([[-0.4, 0.0], [-1.0, 0.0]]))
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4
    np.testing.assert_allclose(lines[0].get_ydata(), np.log(v[:, 0]))
    np.testing.assert_allclose(lines[1].get_xdata(), 1 / eps[1:])
    assert style.legibility_problems(fig) == []
    with pytest.raises(ValueError, match="shape"):
        plot_v_inf_decay(eps, v[:2])


def test_delta_map_panels_and_contour():
    al = np.geomspace(0.01, 0.3, 6)
    ep = np.geomspace(1e-4, 0.05, 5)
    A, E = np.meshgrid(al, ep)
    delta = A + E
    adm = (A < 0.1) & (E < 0.01)
    fig = plot_delta_map(al, ep, delta, adm, position=0.5 * np.ones_like(A))
    # two panels and two colour bars
    assert len(fig.axes) == 4
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.collections[0].get_array().reshape(A.shape), delta)
    assert len(ax.collections) >= 2  # mesh and admissibility contour
    assert plot_delta_map(al, ep, delta, adm).axes.__len__() == 2
    assert style.legibility_problems(fig) == []
    assert style.legibility_problems(plot_delta_map(al, ep, delta, adm)) == []
    with pytest.raises(ValueError, match="shape"):
        plot_delta_map(al, ep, delta.T, adm)


def test_corollary_3_12():
    eps = np.geomspace(1e-4, 1e-2, 5)
    fig = plot_corollary_3_12(eps, [0.6] * 5, [1.3] * 5, np.linspace(1.3, 1.2, 5), J_end=1e-3)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    np.testing.assert_array_equal(lines[2].get_ydata(), np.linspace(1.3, 1.2, 5))
    assert fig.axes[0].get_xscale() == "log"
    assert fig.axes[0].get_legend() is None and len(fig.legends[0].get_texts()) == 4
    assert style.legibility_problems(fig) == []


def test_trajectories_2d_paper_look_and_readings(problem, trajs):
    from matplotlib import colormaps

    from ssdlib.paper_readings import FIGURE_2

    fig = plot_trajectories_2d(problem, trajs, min_E_solution(problem, trajs[0]),
                               readings=FIGURE_2)
    ax = fig.axes[0]
    lines = ax.get_lines()
    for k, ln in enumerate(lines[: len(trajs)]):  # the paper's colours winter(k / K)
        np.testing.assert_allclose(ln.get_color(), colormaps["winter"](k / len(trajs)))
    circles = [ln for ln in lines if ln.get_marker() == "o" and isinstance(ln.get_mfc(), str)
               and ln.get_mfc() == "none"]
    assert len(circles) == 1
    np.testing.assert_array_equal(circles[0].get_xdata(), FIGURE_2["limits"]["beta1"])
    np.testing.assert_array_equal(circles[0].get_ydata(), FIGURE_2["limits"]["beta2"])
    square = [ln for ln in lines if ln.get_marker() == "s"]
    np.testing.assert_allclose([square[0].get_xdata()[0], square[0].get_ydata()[0]],
                               [FIGURE_2["min_E"]["beta1"], FIGURE_2["min_E"]["beta2"]])
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "all solutions" in texts and "minimal E solution" in texts
    assert ax.get_legend()._loc == 3  # lower left, as in the paper


def test_figure3_pair_draws_both_conventions():
    from ssdlib.paper_readings import FIGURE_3

    eps = np.array(FIGURE_3["eps"])
    E_paper, E_th, E_min = np.array(FIGURE_3["E"]) + 1e-3, 0.9 * eps[::-1], 0.1 * eps
    fig = plot_figure3_pair(eps, E_paper, E_th, E_min, readings=FIGURE_3, titles=("a", "b"))
    left, right = fig.axes
    np.testing.assert_array_equal(left.get_lines()[0].get_ydata(), E_paper)
    read = [ln for ln in left.get_lines() if isinstance(ln.get_mfc(), str)
            and ln.get_mfc() == "none"]
    np.testing.assert_array_equal(read[0].get_ydata(), FIGURE_3["E"])
    np.testing.assert_array_equal(right.get_lines()[0].get_ydata(), E_th)
    np.testing.assert_array_equal(right.get_lines()[1].get_ydata(), E_min)
    assert [left.get_title(), right.get_title()] == ["a", "b"]
    assert style.legibility_problems(fig) == []
    with pytest.raises(ValueError, match="length of `eps`"):
        plot_figure3_pair(eps, E_paper[:3], E_th, E_min)


# The chapter's slider: eps from 10**-3.3 to 10**-1.3 (FloatLogSlider), alpha fixed at 0.1.
SLIDER_EPS = (10**-3.3, 10**-1.3)


@pytest.mark.parametrize("eps", SLIDER_EPS)
def test_figure2_slider_callback_at_its_extreme_values(eps):
    problem = instances.figure2_admissible_instance().problem
    fig = plot_figure2_for_eps(problem, eps, ALPHA)
    ax = fig.axes[0]
    traj = ax.get_lines()[0]
    start = [traj.get_xdata()[0], traj.get_ydata()[0]]
    np.testing.assert_allclose(start, 0.0, atol=1e-15)  # beta(0) = 0
    assert traj.get_xdata().size == FIGURE2_T.size
    end = np.array([traj.get_xdata()[-1], traj.get_ydata()[-1]])
    np.testing.assert_allclose(problem.X[0] @ end, problem.y[0], atol=1e-5)  # on the line
    star = [ln for ln in ax.get_lines() if ln.get_marker() == "*"][0]
    tr = simulate(problem, ALPHA, eps, t_eval=FIGURE2_T, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose([star.get_xdata()[0], star.get_ydata()[0]],
                               min_E_solution(problem, tr))
    label = ax.get_legend().get_texts()[0].get_text()
    assert label.startswith(f"ε = {eps:.4g}")
    assert ("outside Assumption 3.3" in label) != check_assumptions(problem, ALPHA, eps).a33
    assert style.legibility_problems(fig) == []
