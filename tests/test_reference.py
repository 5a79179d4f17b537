"""Tests of ssdlib.reference: the loss and its gradient, the reference flows and limits.

Errors of integrated solutions are measured in units of the tolerance they were computed with.
"""

from __future__ import annotations

import numpy as np
import pytest

from ssdlib import Problem, min_bregman_solution, simulate
from ssdlib.numdiff import central_gradient
from ssdlib.reference import (
    ReferenceFlowError,
    ReferenceLimit,
    loss,
    loss_gradient,
    reference_flow,
    reference_limit,
    weight_velocity,
)

RTOL_SIMULATE = 1e-10  # default tolerance of ssdlib.simulate


@pytest.fixture(scope="module")
def shuffled():
    return Problem.random_blocks([3, 2], seed=4, shuffle=True)


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_loss_gradient_matches_central_differences(depth):
    rng = np.random.default_rng(depth)
    P = Problem(rng.standard_normal((2, 5)), rng.standard_normal(2))
    w = rng.uniform(0.2, 1.0, 10)
    fd = central_gradient(lambda v: loss(P, v[:5], v[5:], depth), w, h=1e-6)
    gp, gm = loss_gradient(P, w[:5], w[5:], depth)
    err = np.max(np.abs(fd - np.r_[gp, gm])) / np.max(np.abs(fd))
    assert err < 1e-8


def test_loss_closed_form_and_batch_shape():
    P = Problem(np.array([[2.0, 0.0], [0.0, 1.0]]), np.array([1.0, -3.0]))
    # beta = (1 - 0, 0 - 1) = (1, -1): X beta - y = (2 - 1, -1 + 3) = (1, 2); L = (1 + 4) / 4
    assert loss(P, [1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.25, rel=1e-15)
    batch = np.ones((3, 4, 2))
    assert loss(P, batch, batch).shape == (3, 4)
    gp, gm = loss_gradient(P, batch, batch)
    assert gp.shape == gm.shape == (3, 4, 2)


def test_weight_velocity_regimes():
    """Eq. (16): sign descent for |g| >> eps, gradient descent with step 1/eps for |g| << eps."""
    rng = np.random.default_rng(0)
    P = Problem(rng.standard_normal((2, 5)), rng.standard_normal(2))
    wp, wm = rng.uniform(0.2, 1.0, (2, 5))
    gp, gm = loss_gradient(P, wp, wm)
    g = np.r_[gp, gm]
    big = weight_velocity(P, wp, wm, 1e-9 * np.abs(g).min())
    np.testing.assert_allclose(np.r_[big], -np.sign(g), rtol=0, atol=1e-8)
    eps = 1e9 * np.abs(g).max()
    small = weight_velocity(P, wp, wm, eps)
    np.testing.assert_allclose(np.r_[small[0], small[1]], -g / eps, rtol=1e-8)
    gd = weight_velocity(P, wp, wm, None, method="gd")
    np.testing.assert_allclose(np.r_[gd[0], gd[1]], -g, rtol=1e-15)


def test_flow_agrees_with_simulate_in_tolerance_units(shuffled):
    t = np.linspace(0, 1.2, 61)
    ref = reference_flow(shuffled, 0.1, 0.01, t)
    sim = simulate(shuffled, 0.1, 0.01, t_eval=t)
    err = np.max(np.abs(ref.beta - sim.beta)) / np.max(np.abs(ref.beta))
    assert err < 10 * RTOL_SIMULATE
    np.testing.assert_array_equal(ref.t, t)
    assert ref.beta.shape == (t.size, shuffled.D)
    assert ref.residual.shape == (t.size, shuffled.N)
    np.testing.assert_allclose(ref.u, sim.u, rtol=10 * RTOL_SIMULATE)


def test_flow_error_shrinks_with_tolerance(shuffled):
    t = np.linspace(0, 1.0, 11)
    tight = reference_flow(shuffled, 0.1, 0.01, t, rtol=1e-12, atol=1e-12)
    errs = [np.max(np.abs(reference_flow(shuffled, 0.1, 0.01, t, rtol=r, atol=r).beta
                          - tight.beta)) for r in (1e-6, 1e-9)]
    assert errs[0] < 1e3 * 1e-6 and errs[1] < 1e3 * 1e-9
    assert errs[1] < errs[0]


def test_gradient_flow_conserves_the_product_of_weights(shuffled):
    """Gradient flow keeps w+ w- = alpha^2 (background chapter); the reference does not use it."""
    ref = reference_flow(shuffled, 0.2, None, np.linspace(0, 3, 31), method="gd")
    err = np.max(np.abs(ref.w_plus * ref.w_minus / 0.2**2 - 1))
    assert err < 100 * 1e-12


def test_gradient_flow_limit_one_coordinate_closed_form():
    """N = D = 1: the limit interpolates and keeps w+ w- = alpha^2, so
    w+^2 = (b + sqrt(b^2 + 4 alpha^4)) / 2 with b = y / x."""
    x, y, alpha = 1.3, -0.7, 0.3
    lim = reference_limit(Problem([[x]], [y]), alpha, None, method="gd")
    b = y / x
    wp2 = (b + np.sqrt(b**2 + 4 * alpha**4)) / 2
    assert isinstance(lim, ReferenceLimit)
    assert lim.beta.shape == (1,)
    assert abs(lim.w_plus[0] ** 2 / wp2 - 1) < 1e-10


def test_gradient_flow_limit_is_the_bregman_minimiser(shuffled):
    """Eq. (14): the limit of gradient flow minimises D_Psi(beta, 0) subject to X beta = y."""
    lim = reference_limit(shuffled, 0.3, None, method="gd")
    with np.errstate(over="ignore"):
        expected = min_bregman_solution(shuffled, 0.3)
    assert np.max(np.abs(lim.beta - expected)) / np.max(np.abs(expected)) < 1e-9


@pytest.mark.parametrize("depth", [2, 3])
def test_limit_agrees_with_simulate(shuffled, depth):
    lim = reference_limit(shuffled, 0.1, 0.01, depth=depth)
    sim = simulate(shuffled, 0.1, 0.01, depth=depth)
    assert np.max(np.abs(lim.beta - sim.beta_inf)) < 10 * RTOL_SIMULATE
    # at depth 2 the non-dominating weights are tiny (exp(-c / eps)); the log variables keep
    # their relative accuracy
    assert depth > 2 or lim.v.min() < 1e-15
    assert np.max(np.abs(lim.v / sim.v_inf - 1)) < 1e-6
    assert np.max(np.abs(lim.residual) / np.abs(shuffled.y)) <= 1e-12


def test_small_eps_approaches_closed_form_sign_flow(shuffled):
    """As eps -> 0 the flow tends to the sign flow (solved in closed form), at order eps."""
    t = np.linspace(0, 1.0, 21)
    sign = simulate(shuffled, 0.1, 0.0, t_eval=t).beta
    errs = [np.max(np.abs(reference_flow(shuffled, 0.1, e, t, rtol=1e-10, atol=1e-10).beta
                          - sign)) for e in (1e-3, 1e-4)]
    order = np.log10(errs[0] / errs[1])
    assert 0.8 < order < 1.2


def test_limit_raises_when_not_converged(shuffled):
    with pytest.raises(ReferenceFlowError, match="did not converge"):
        reference_limit(shuffled, 0.1, 0.01, t_max=0.05)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"problem": np.eye(2)}, "`problem` must be an ssdlib.Problem"),
        ({"alpha": 0.0}, "`alpha` must be finite and > 0"),
        ({"eps": 0.0}, "`eps` must be > 0: at eps = 0 the flow is sign flow"),
        ({"eps": -1.0}, "`eps` must be finite and > 0"),
        ({"method": "adam"}, "`method` must be one of"),
        ({"depth": 1}, "`depth` must be an integer >= 2"),
        ({"rtol": -1e-9}, "`rtol` must be finite and > 0"),
        ({"t_eval": [[0.0, 1.0]]}, "`t_eval` must be 1-dimensional"),
        ({"t_eval": [0.0, 0.5, 0.5]}, "`t_eval` must be finite, strictly increasing"),
        ({"t_eval": [0.0]}, "end at a time > 0"),
    ],
)
def test_reference_flow_validation(shuffled, kwargs, match):
    args = {"problem": shuffled, "alpha": 0.1, "eps": 0.01, "t_eval": [0.0, 1.0]}
    args.update(kwargs)
    problem, alpha, eps, t_eval = (args.pop(k) for k in ("problem", "alpha", "eps", "t_eval"))
    with pytest.raises(ValueError, match=match):
        reference_flow(problem, alpha, eps, t_eval, **args)


def test_validation_of_weights_and_limit_arguments(shuffled):
    with pytest.raises(ValueError, match="`w_plus` and `w_minus` must have the same shape"):
        loss(shuffled, np.ones(5), np.ones(4))
    with pytest.raises(ValueError, match="`tol` must be finite and > 0"):
        reference_limit(shuffled, 0.1, 0.01, tol=0.0)
    with pytest.raises(ValueError, match="non-zero labels"):
        reference_limit(Problem([[1.0, 0.0], [0.0, 1.0]], [1.0, 0.0]), 0.1, 0.01)


@pytest.mark.parametrize(("method", "depth"), [("ssd", 2), ("ssd", 3), ("gd", 2), ("gd", 4)])
def test_exact_jacobian_matches_central_differences(shuffled, method, depth):
    from ssdlib.reference import _setup

    *_, rhs, jac = _setup(shuffled, 0.1, 0.01, depth, method, 1e-10, 1e-10)
    z = np.log(np.random.default_rng(depth).uniform(0.05, 1.0, 2 * shuffled.D))
    fd = central_gradient(lambda v: rhs(0.0, v), z, h=1e-6).T
    assert np.max(np.abs(fd - jac(0.0, z))) / np.max(np.abs(fd)) < 1e-8
