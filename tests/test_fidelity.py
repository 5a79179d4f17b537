"""Tests of ssdlib.paper_readings and ssdlib.fidelity (conventions behind Figures 1-3)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from ssdlib import Problem, bregman_E, simulate, simulate_batch
from ssdlib import fidelity as F
from ssdlib import paper_readings as pr

# ---------------------------------------------------------------------------
# the readings themselves


def test_calibration_fits_its_ticks_to_half_a_pixel():
    for (image, axis), (px, val) in pr.CALIBRATION.items():
        px, val = np.array(px), np.array(val)
        back = np.polyval(np.polyfit(val, px, 1), val)
        assert np.abs(back - px).max() < 0.5, (image, axis)


def _check(image, axis, px, value, sigma):
    got = np.array(pr.pixel_to_value(image, axis, px), dtype=float)
    assert np.abs(got - np.array(value)).max() < 0.1 * sigma, (image, axis)


def test_every_reading_is_its_pixel_through_the_calibration():
    for e, image in zip(pr.FIGURE_1["eps"], ("figure1a", "figure1b"), strict=True):
        P = pr.FIGURE_1["panels"][e]
        for k in ("T0", "T"):
            _check("figure1", "t", P[k]["px"], P[k]["value"], P[k]["sigma"])
        _check(image, "dual", list(P["u_inf"]["px"]), P["u_inf"]["value"], P["u_inf"]["sigma"])
        _check(image, "primal", list(P["beta_inf"]["px"]), P["beta_inf"]["value"],
               P["beta_inf"]["sigma"])
    P = pr.FIGURE_1["panels"][0.01]
    for k, axis in (("u_t", "dual"), ("beta_t", "primal")):
        for px, val in zip(P[k]["px"], P[k]["value"], strict=True):
            _check("figure1b", axis, list(px), val, P[k]["sigma"])
    L = pr.FIGURE_2["limits"]
    _check("figure2", "beta1", [p[0] for p in L["px"]], L["beta1"], L["sigma"])
    _check("figure2", "beta2", [p[1] for p in L["px"]], L["beta2"], L["sigma"])
    S = pr.FIGURE_2["min_E"]
    _check("figure2", "beta1", S["px"][0], S["beta1"], S["sigma"])
    _check("figure2", "beta2", S["px"][1], S["beta2"], S["sigma"])
    _check("figure3", "E", list(pr.FIGURE_3["px"]), pr.FIGURE_3["E"], pr.FIGURE_3["sigma"])


def test_figure2_limits_lie_on_the_read_line():
    L, line = pr.FIGURE_2["limits"], pr.FIGURE_2["line"]
    on_line = line["intercept"] + line["slope"] * np.array(L["beta1"])
    assert np.abs(on_line - np.array(L["beta2"])).max() < L["sigma"]


# ---------------------------------------------------------------------------
# E with a chosen subgradient


@pytest.fixture(scope="module")
def fig2_problem():
    return F.paper_instance(2)


@pytest.fixture(scope="module")
def fig2_run(fig2_problem):
    return simulate(fig2_problem, 0.1, 0.005)


def test_bregman_E_with_appendix_b1_is_bregman_E(fig2_run):
    b = fig2_run.beta_inf + np.array([0.01, -0.02])
    assert F.bregman_E_with(b, fig2_run, "appendix_b1") == pytest.approx(
        float(bregman_E(b, fig2_run)), abs=1e-13)


def test_bregman_E_with_minus_alpha_by_hand(fig2_run):
    a, v, b = fig2_run.alpha, fig2_run.v_inf, fig2_run.beta_inf
    by_hand = 2 / 3 * np.sum((np.abs(b) + v**2) ** 1.5) - 2 / 3 * 2 * a**3 + a * b.sum()
    assert F.bregman_E_with(b, fig2_run, "minus_alpha") == pytest.approx(by_hand, abs=1e-13)


@pytest.mark.parametrize("sub", sorted(F.SUBGRADIENTS))
def test_min_E_with_is_a_constrained_minimiser(fig2_problem, fig2_run, sub):
    p = fig2_problem
    b = F.min_E_with(p, fig2_run, sub)
    assert p.X @ b == pytest.approx(p.y, abs=1e-12)
    # move along the line in both directions: E does not decrease
    d = np.array([p.X[0, 1], -p.X[0, 0]])
    E0 = F.bregman_E_with(b, fig2_run, sub)
    for h in (1e-3, -1e-3):
        assert F.bregman_E_with(b + h * d, fig2_run, sub) >= E0 - 1e-12


def test_unknown_subgradient_is_refused(fig2_run):
    with pytest.raises(ValueError, match="`subgradient` must be one of"):
        F.bregman_E_with(fig2_run.beta_inf, fig2_run, "sign")


# ---------------------------------------------------------------------------
# the seeded instances against the paper's readings


def test_paper_instances_are_the_seeded_uniform_draws():
    rng = np.random.RandomState(42)
    X = rng.uniform(-1, 1, (2, 5))
    assert np.array_equal(F.paper_instance(1).y, rng.uniform(-1, 1, 2))
    assert F.paper_instance(1).blocks is not None
    nz = F.paper_instance(1).X != 0
    assert np.array_equal(F.paper_instance(1).X[nz], X[nz])
    assert F.paper_instance(2).X.shape == (1, 2)


@pytest.fixture(scope="module")
def fig1_magnitude():
    return F.figure1_residuals(F.paper_instance(1))


def test_figure1_reproduced_within_reading_uncertainty(fig1_magnitude):
    assert fig1_magnitude.within(1.0), str(fig1_magnitude)
    # and the paper's panel (b) lies outside Assumption 3.3, panel (a) inside
    assert fig1_magnitude.assumption_3_3 == {0.002: True, 0.01: False}


def test_figure1_dual_panel_shows_magnitudes_not_signed_duals():
    signed = F.figure1_residuals(F.paper_instance(1), dual="signed")
    assert np.abs(signed.residuals["u_inf"]).max() > 100


def test_figure1_rejects_another_random_instance():
    other = Problem(F.paper_instance(1).X * 1.1, F.paper_instance(1).y)
    assert not F.figure1_residuals(other).within(3.0)


def test_figures_2_and_3_reproduced_with_minus_alpha(fig2_problem):
    r2 = F.figure2_residuals(fig2_problem, 0.1, "minus_alpha")
    r3 = F.figure3_residuals(fig2_problem, 0.1, "minus_alpha")
    assert r2.within(1.0), str(r2)
    assert r3.within(1.0), str(r3)
    assert r2.assumption_3_3 == {0.001: True, 0.002: True, 0.005: True, 0.01: False,
                                 0.02: False}


@pytest.mark.parametrize("sub", ["appendix_b1", "plus_alpha", "zero"])
def test_other_subgradients_miss_figure_3_and_the_star(fig2_problem, sub):
    r3 = F.figure3_residuals(fig2_problem, 0.1, sub)
    r2 = F.figure2_residuals(fig2_problem, 0.1, sub)
    assert r3.max_abs_residual > 100
    assert np.abs(r2.residuals["min_E"]).max() > 5
    # the limits do not depend on E
    assert np.abs(r2.residuals["limits"]).max() < 1


def test_discrete_steps_of_0_01_miss_figure_3_but_the_flow_does_not(fig2_problem):
    coarse = F.figure3_discrete_residuals(fig2_problem, 0.1, 0.01)
    assert np.abs(coarse).max() > 10
    fine = F.figure3_discrete_residuals(fig2_problem, 0.1, 0.001, eps_index=(19,))
    assert np.abs(fine).max() < 2


# ---------------------------------------------------------------------------
# the fits find a known convention on synthetic readings


def _synthetic_2_3(problem, alpha, sub):
    R2, R3 = copy.deepcopy(pr.FIGURE_2), copy.deepcopy(pr.FIGURE_3)
    x, y = problem.X[0], problem.y[0]
    R2["line"]["slope"], R2["line"]["intercept"] = -x[0] / x[1], y / x[1]
    runs = simulate_batch(problem, alpha, np.array(R2["eps"]))
    R2["limits"]["beta1"] = tuple(tr.beta_inf[0] for tr in runs)
    R2["limits"]["beta2"] = tuple(tr.beta_inf[1] for tr in runs)
    star = F.min_E_with(problem, runs[-1], sub)
    R2["min_E"]["beta1"], R2["min_E"]["beta2"] = star
    runs3 = simulate_batch(problem, alpha, np.array(R3["eps"]))
    g = {"appendix_b1": problem.xy_sign * alpha, "minus_alpha": -alpha * np.ones(2)}[sub]
    R3["E"] = tuple(2 / 3 * np.sum((np.abs(tr.beta_inf) + tr.v_inf**2) ** 1.5)
                    - 4 / 3 * alpha**3 - g @ tr.beta_inf for tr in runs3)
    return R2, R3


def test_fit_figures_2_3_recovers_a_known_scale_alpha_and_subgradient():
    truth = F.line_instance(2.0, 0.4, 0.6)
    R2, R3 = _synthetic_2_3(truth, 0.15, "appendix_b1")
    fit = F.fit_figures_2_3("appendix_b1", readings2=R2, readings3=R3, x0=(1.0, 0.1))
    assert fit.params["lam"] == pytest.approx(2.0, rel=1e-4)
    assert fit.params["alpha"] == pytest.approx(0.15, rel=1e-4)
    assert fit.max_abs_residual < 0.01
    # the wrong subgradient at the true data misses the synthetic E by far
    wrong = F.figure3_residuals(truth, 0.15, "minus_alpha", readings=R3)
    assert wrong.max_abs_residual > 100


def _synthetic_1(problem, alpha=0.1):
    R = copy.deepcopy(pr.FIGURE_1)
    runs = simulate_batch(problem, alpha, np.array(R["eps"]), t_eval=[0.0, 0.5, 1.0])
    for e, tr in zip(R["eps"], runs, strict=True):
        P = R["panels"][e]
        P["T0"]["value"], P["T"]["value"] = tr.T0, tr.T
        P["u_inf"]["value"] = tuple(tr.u_inf)
        P["beta_inf"]["value"] = tuple(tr.beta_inf)
    P = R["panels"][R["eps"][1]]
    P["u_t"]["value"] = tuple(map(tuple, runs[1].u[1:]))
    P["beta_t"]["value"] = tuple(map(tuple, runs[1].beta[1:]))
    return R


def test_fit_figure1_recovers_known_magnitudes():
    mags = np.array([0.7, 0.5, 0.35, 0.6, 0.9])
    ys = np.array([1.1, 0.8])
    X = np.zeros((2, 5))
    for n, cols in enumerate(pr.FIGURE_1["blocks"]):
        cols = list(cols)
        X[n, cols] = -np.array(pr.FIGURE_1["beta_sign"], dtype=float)[cols] * mags[cols]
    truth = Problem(X, -ys)  # a row and its negative give the same flow
    fit = F.fit_figure1(_synthetic_1(truth))
    got = np.array(list(fit.params.values()))
    assert got == pytest.approx(np.r_[mags, ys], rel=1e-4)
    assert fit.max_abs_residual < 0.01


def test_fit_figure1_on_the_paper_puts_assumption_3_3_out_of_reach():
    fit = F.fit_figure1()
    assert fit.within(1.0), str(fit)
    lo, s = fit.extra["derived"]["alpha_lo_4"]
    assert fit.extra["alpha_lo_eps"] == 0.01
    assert (lo - pr.FIGURE_1["alpha"]) / s > 5  # alpha = 0.1 below eq. (19)'s lower end


# ---------------------------------------------------------------------------
# tables of the comparison


def test_comparison_rows_show_readings_book_values_and_residuals(fig2_problem):
    res = F.figure2_residuals(fig2_problem, 0.1, "minus_alpha")
    rows = F.comparison_rows(res)
    assert len(rows) == 2 + 5 + 2 and all(len(r) == len(F.COMPARISON_HEADER) for r in rows)
    L = pr.FIGURE_2["limits"]
    limits = [tr.beta_inf[0] for tr in res.extra["runs"]]
    for k, row in enumerate(rows[2:7]):
        assert row[1] == f"{L['beta1'][k]:.4f} ± {L['sigma']:.4f}"
        assert float(row[2]) == pytest.approx(limits[k], abs=1e-4)
        assert float(row[3]) == pytest.approx((limits[k] - L["beta1"][k]) / L["sigma"], abs=0.06)
    star = rows[7:]
    assert float(star[0][2]) == pytest.approx(res.extra["min_E"][0], abs=1e-4)


def test_comparison_rows_of_figure_1_are_per_panel_vectors():
    # a synthetic result: residuals of +1 sigma everywhere put the book one sigma above
    R = pr.FIGURE_1
    res = F.FitResult(figure="Figure 1", conventions={}, params={}, param_sigma={},
                      residuals={"u_inf": np.ones((2, 5))}, problem=None, assumption_3_3={})
    rows = F.comparison_rows(res, digits=3)
    assert len(rows) == 2
    book = [float(v) for v in rows[1][2].split(", ")]
    np.testing.assert_allclose(book, np.array(R["panels"][0.01]["u_inf"]["value"]) + 0.002,
                               atol=6e-4)
    with pytest.raises(ValueError, match="`result`"):
        F.comparison_rows(F.FitResult("Figure 4", {}, {}, {}, {}, None, {}))


def test_comparison_table_is_the_rows_in_markdown(fig2_problem):
    res = F.figure3_residuals(fig2_problem, 0.1, "minus_alpha")
    text = F.comparison_table(res, every=5, digits=5)._repr_markdown_().splitlines()
    assert text[0] == "| " + " | ".join(F.COMPARISON_HEADER) + " |"
    rows = F.comparison_rows(res, every=5, digits=5)
    assert len(text) == 2 + len(rows) == 2 + 4
    assert text[2] == "| " + " | ".join(rows[0]) + " |"
