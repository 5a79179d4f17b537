"""Tests of the figure functions of the beyond chapter (ssdlib.plotting.beyond)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.figure import Figure

from ssdlib import Problem, steepest
from ssdlib.plotting import (
    escape_law_table,
    plot_adam_vs_ssd,
    plot_balance,
    plot_depth_support,
    plot_escape_learning_rate,
    plot_escape_times,
    plot_steepest_explorer,
    plot_weight_decay,
)
from ssdlib.plotting.style import legibility_problems


@pytest.fixture(scope="module")
def problem():
    return Problem.random_blocks([3, 2], 0)


@pytest.fixture(scope="module")
def plane():
    return Problem.random_blocks([2], 1)


def _data_axes(fig):
    """The panels with data (a legend cell has no visible frame)."""
    return [ax for ax in fig.axes if ax.axison]


def _legend_texts(fig):
    """Every legend entry of ``fig``, figure legends and axes legends alike."""
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [t.get_text() for leg in legends for t in leg.get_texts()]


def _check_column(fig):
    """Made for the text column (saved width included), text legible, no legend over data."""
    assert legibility_problems(fig) == []
    fig.draw_without_rendering()  # runs the constrained layout
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes
                                   if ax.get_legend() and not ax.axison]
    for leg in legends:  # legends outside the panels or in a cell of their own
        box = leg.get_window_extent()
        for ax in _data_axes(fig):
            assert not box.overlaps(ax.get_window_extent()), leg.get_texts()[0].get_text()


def _by_label(ax, label):
    found = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(found) == 1, [ln.get_label() for ln in ax.get_lines()]
    return found[0]


# ----------------------------------------------------------------------------- balance


@pytest.fixture(scope="module")
def balance_flows(problem):
    init = np.random.default_rng(3).uniform(0.5, 1.5, (2, 3, problem.D))
    t = np.linspace(0.0, 2.0, 21)
    a = steepest.steepest_flow(problem, 0.3, 2.0, depth=3, tied=False, init=init, t_eval=t)
    b = steepest.steepest_flow(problem, 0.3, 2.0, depth=3, tied=False, init=init, t_eval=t,
                               weight_decay=0.2)
    return a, b, np.exp(-2.0 * 0.2 * t)


def test_balance_lines_match_trajectories(balance_flows):
    a, b, fac = balance_flows
    fig = plot_balance([a, b], [None, fac], labels=["free", "decay"], i=0, j=2, branch=1,
                       coord=2)
    assert isinstance(fig, Figure)
    assert len(_data_axes(fig)) == 2
    _check_column(fig)
    for tr, lab in ((a, "free"), (b, "decay")):
        bal = steepest.balance(tr, 0, 2, branch=1)
        line = _by_label(fig.axes[0], lab)
        np.testing.assert_array_equal(line.get_xdata(), tr.t)
        np.testing.assert_allclose(line.get_ydata(), bal[:, 2] / bal[0, 2])
    derived = _by_label(fig.axes[0], "_derived")
    np.testing.assert_allclose(derived.get_ydata(), fac)
    # panel (b): deviation from the law, tiny for both
    for lab in ("free", "decay"):
        assert np.max(_by_label(fig.axes[1], lab).get_ydata()) < 1e-6


def test_balance_third_panel_and_validation(balance_flows):
    a, b, fac = balance_flows
    eps = np.array([1e-2, 1e-3])
    fig = plot_balance([a], [None], eps_drift=(eps, np.array([0.1, 0.01])))
    assert len(_data_axes(fig)) == 3
    _check_column(fig)
    np.testing.assert_array_equal(_data_axes(fig)[2].get_lines()[0].get_xdata(), eps)
    assert "q = 2" in _legend_texts(fig)
    with pytest.raises(ValueError, match="factors"):
        plot_balance([a, b], [None])
    with pytest.raises(ValueError, match="labels"):
        plot_balance([a], [None], labels=["x", "y"])


# ----------------------------------------------------------------------------- escape times


def test_escape_times_markers_fits_and_legend():
    alphas = np.array([1e-1, 1e-2, 1e-3])
    times = {"gf": {2: np.array([1.0, 2.0, 3.0]), 3: np.array([10.0, 100.0, 1000.0])},
             "sign": {2: np.array([0.5, 0.5, np.inf]), 3: np.array([0.6, 0.6, 0.6])}}
    fits = {"gf": {2: (0.43, 0.0, "semilog"), 3: (-1.0, 0.0, "loglog")}}
    fig = plot_escape_times(alphas, times, fits=fits, fit_mask=alphas <= 1e-2, title="t")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2  # one panel per depth, no table drawn in the image
    _check_column(fig)
    ax2, ax3 = fig.axes
    np.testing.assert_array_equal(_by_label(ax3, "gf").get_ydata(), times["gf"][3])
    sign2 = _by_label(ax2, "sign")
    np.testing.assert_array_equal(sign2.get_xdata(), alphas[:2])  # inf not drawn
    fit3 = _by_label(ax3, "_fit")
    np.testing.assert_allclose(fit3.get_ydata(), 1.0 / alphas[1:])
    fit2 = _by_label(ax2, "_fit")
    np.testing.assert_allclose(fit2.get_ydata(), 0.43 * np.log(1 / alphas[1:]))
    assert _legend_texts(fig)[:2] == ["gf", "sign"]
    fig = plot_escape_times(alphas, times, labels={"gf": "gradient flow"})
    assert _legend_texts(fig) == ["gradient flow", "sign"]
    # three depths: two panels per row, the legend in the fourth cell
    times3 = {k: {**v, 4: v[3]} for k, v in times.items()}
    fig = plot_escape_times(alphas, times3, fits=fits, title="t")
    assert len(_data_axes(fig)) == 3 and len(fig.axes) == 4
    _check_column(fig)


def test_escape_law_table_rows():
    fits = {"gf": {2: (0.43, 0.0, "semilog"), 3: (-1.0, 0.0, "loglog")},
            "sign": {3: (-0.001, 0.0, "loglog")}}
    text = escape_law_table(fits, {"gf": {3: "-1"}})._repr_markdown_()
    header, _, gf, sign = text.splitlines()
    assert header == "| method | $H = 2$: fitted (derived) | $H = 3$: fitted (derived) |"
    assert gf == r"| gf | $0.43$ per $\log(1/\alpha)$ | $-1$ ($-1$) |"
    assert sign == "| sign |  | $-0.001$ |"
    text = escape_law_table({"a": {2: (0.5, 0.0, "semilog")}}, {"a": {2: "0.1 to 0.2"}},
                            labels={"a": "SSD, $\\varepsilon = 0.1$"})
    last = text._repr_markdown_().splitlines()[-1]
    assert last == r"| SSD, $\varepsilon = 0.1$ | $0.5$ per $\log(1/\alpha)$ (0.1 to 0.2) |"


def test_escape_times_without_fits_has_legend():
    fig = plot_escape_times([0.1, 0.01], {"a": {2: np.array([1.0, 2.0])}})
    assert len(fig.axes) == 1
    assert fig.legends
    _check_column(fig)


# ----------------------------------------------------------------------------- learning rate


def test_escape_learning_rate_markers():
    alphas = np.array([1e-1, 1e-2, 1e-3])
    etas = {"gd": {3: np.array([0.03, 0.5, np.nan])}, "sign": {3: np.array([0.004] * 3)}}
    pred = {"gd": {3: np.array([0.03, 0.3, 3.0])}}
    fig = plot_escape_learning_rate(alphas, etas, predicted=pred, stability={3: 0.2}, steps=100)
    assert isinstance(fig, Figure)
    _check_column(fig)
    ax = fig.axes[0]
    filled = _by_label(ax, "gd")
    np.testing.assert_array_equal(filled.get_xdata(), alphas[:1])
    hollow = _by_label(ax, "gd (above the ceiling)")
    np.testing.assert_array_equal(hollow.get_ydata(), [0.5])
    assert hollow.get_markerfacecolor() == "none"
    cross = _by_label(ax, "gd: no escape found")
    np.testing.assert_array_equal(cross.get_xdata(), alphas[2:])
    np.testing.assert_array_equal(_by_label(ax, "gd: derived").get_ydata(), pred["gd"][3])
    np.testing.assert_array_equal(_by_label(ax, "sign").get_ydata(), etas["sign"][3])
    legend = _legend_texts(fig)
    assert "gd: no escape found" in legend and "sign: no escape found" not in legend
    fig = plot_escape_learning_rate(alphas, etas, predicted=pred, labels={"gd": "GD"})
    legend = _legend_texts(fig)
    assert {"GD", "GD: no escape found", "GD: derived", "sign"} <= set(legend)
    etas3 = {k: {L: v[3] for L in (2, 3, 4)} for k, v in etas.items()}
    fig = plot_escape_learning_rate(alphas, etas3, predicted=None, stability={3: 0.2}, steps=9)
    assert len(_data_axes(fig)) == 3
    _check_column(fig)


# ----------------------------------------------------------------------------- sparsity


def test_depth_support_means():
    depths = [2, 3, 4]
    rec = {"a": np.array([[0.0, 0.5, 1.0], [1.0, 0.5, 1.0]])}
    act = {"a": np.array([[1.0, 0.2, 0.1], [1.0, 0.4, 0.1]])}
    fig = plot_depth_support(depths, rec, act)
    assert len(fig.axes) == 2
    _check_column(fig)
    np.testing.assert_allclose(_by_label(fig.axes[0], "a").get_ydata(), [0.5, 0.5, 1.0])
    np.testing.assert_allclose(_by_label(fig.axes[1], "a").get_ydata(), [1.0, 0.3, 0.1])
    seeds = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "_seed"]
    assert len(seeds) == 2
    with pytest.raises(ValueError, match="seeds"):
        plot_depth_support(depths, {"a": np.zeros((2, 2))}, {"a": np.zeros((2, 2))})


# ----------------------------------------------------------------------------- weight decay


def test_weight_decay_panels(plane):
    tr = steepest.steepest_flow(plane, 0.1, 1.0, eps=0.05, weight_decay=0.6,
                                t_eval=np.linspace(0.0, 5.0, 51))
    fake = SimpleNamespace(beta=np.array([[0.0, 0.0], [0.1, 0.2]]))
    s = np.linspace(0, 1, 11)
    lams = np.array([0.1, 1.0])
    lim = {"ssd": np.array([[0.0, 0.9], [0.2, 0.5]]), "other": np.array([[0.0, 0.8], [0.0, 0.4]])}
    fig = plot_weight_decay(s, {"R": s / 2}, plane, {"ssd": tr, "other": fake},
                            {"ssd": np.array([0.1, 0.6]), "other": np.array([0.0, 0.7])},
                            lams, lim, lim, barrier=0.8, r_max=1.0)
    assert isinstance(fig, Figure)
    _check_column(fig)
    ax, bx, cx = fig.axes
    np.testing.assert_array_equal(_by_label(ax, "R").get_ydata(), s / 2)
    assert ax.get_ylim()[1] == 1.0
    path = _by_label(bx, "ssd")
    np.testing.assert_array_equal(path.get_xdata(), tr.beta[:, 0])
    np.testing.assert_array_equal(path.get_ydata(), tr.beta[:, 1])
    stars = [ln for ln in bx.get_lines() if ln.get_label() == "_min"]
    assert len(stars) == 2
    np.testing.assert_array_equal(_by_label(cx, "ssd").get_ydata(), lim["ssd"][:, 0])
    with pytest.raises(ValueError, match="N = 1"):
        plot_weight_decay(s, {}, Problem.random_blocks([3], 0), {}, {}, lams, {}, {})


# ----------------------------------------------------------------------------- Adam


def test_adam_vs_ssd_lines():
    etas = np.array([1e-2, 1e-3])
    errors = {"A": np.array([1e-3, 1e-4]), "B": np.array([2e-3, 5e-4])}
    fig = plot_adam_vs_ssd(etas, errors, {"A": 0.0, "B": 0.9}, ref=0.3,
                           beta2_sweep=(np.array([0.01, 0.1]), np.array([1e-5, 1e-4]),
                                        np.array([2e-4, 3e-4]), 1e-3))
    assert isinstance(fig, Figure)
    assert len(_data_axes(fig)) == 3
    _check_column(fig)
    np.testing.assert_array_equal(_by_label(fig.axes[0], "B").get_ydata(), errors["B"])
    np.testing.assert_allclose(_by_label(fig.axes[1], "B").get_xdata(), etas / 0.1)
    np.testing.assert_array_equal(_by_label(fig.axes[2], "to discrete SSD").get_ydata(),
                                  [1e-5, 1e-4])
    assert {"A", "B", "slope 1", "to discrete SSD"} <= set(_legend_texts(fig))
    fig = plot_adam_vs_ssd(etas, errors, {"A": 0.0, "B": 0.9}, labels={"B": r"$\beta_2 = 0.9$"})
    _check_column(fig)
    np.testing.assert_array_equal(_by_label(fig.axes[0], r"$\beta_2 = 0.9$").get_ydata(),
                                  errors["B"])


# ----------------------------------------------------------------------------- explorer


def test_steepest_explorer_matches_flow(problem):
    t = np.r_[0.0, np.geomspace(1e-2, 1e2, 40)]
    fig = plot_steepest_explorer(problem, q=1.0, depth=3, alpha=0.05, eps=1e-2, t_eval=t)
    assert isinstance(fig, Figure)
    _check_column(fig)
    ax, bx = fig.axes
    tr = steepest.steepest_flow(problem, 0.05, 1.0, depth=3, eps=1e-2, t_eval=t)
    line = _by_label(ax, "loss, q = 1")
    np.testing.assert_array_equal(line.get_xdata(), t[1:])
    np.testing.assert_allclose(line.get_ydata(), tr.loss[1:] / tr.loss[0])
    assert _by_label(ax, "loss of the exact sign flow") is not None
    np.testing.assert_allclose(_by_label(bx, r"$\beta_2$").get_ydata(), tr.beta[1:, 1])
    title = fig.get_suptitle()
    assert "escape at t" in title and "H = 3" in title


# The chapter's widget: q in [1, 2], depth in {2, 3, 4}, alpha in [1e-3, 10**-0.5],
# eps in {0, 1e-4, ..., 1e-1}; defaults q = 1, depth 3, alpha = 1e-3, eps = 1e-3.
WIDGET_DEFAULT = dict(q=1.0, depth=3, alpha=1e-3, eps=1e-3)
WIDGET_EXTREMES = [("q", 1.0), ("q", 2.0), ("depth", 2), ("depth", 4), ("alpha", 1e-3),
                   ("alpha", 10**-0.5), ("eps", 0.0), ("eps", 0.1)]


@pytest.mark.parametrize("name, value", WIDGET_EXTREMES)
def test_steepest_explorer_at_the_widget_extremes(problem, name, value):
    kw = {**WIDGET_DEFAULT, name: value}
    fig = plot_steepest_explorer(problem, **kw)
    _check_column(fig)
    ax, bx = fig.axes
    loss = _by_label(ax, f"loss, q = {kw['q']:g}").get_ydata()
    assert np.all(np.isfinite(loss)) and loss[0] == pytest.approx(1.0, abs=1e-2)
    assert loss[-1] < 0.5  # every setting of the widget leaves the saddle by t = 1e5
    assert len(bx.get_lines()) == problem.D + 1  # the coordinates and the zero line
    assert f"H = {kw['depth']}" in fig.get_suptitle() and "escape at t" in fig.get_suptitle()
