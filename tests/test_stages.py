"""Tests of ssdlib.stages: eq. (16) integrated in the weights, and the stage checks."""

from __future__ import annotations

import numpy as np
import pytest

import ssdlib.stages as stages
from ssdlib import Problem, simulate
from ssdlib.reference import ReferenceFlowError
from ssdlib.reference import reference_flow as log_weight_flow
from ssdlib.stages import weight_flow

RTOL = 1e-10


@pytest.fixture(scope="module")
def fig1():
    return Problem.random_blocks([3, 2], 66)


def test_weight_flow_matches_block_integrator(fig1):
    """Different integrators (Radau on w, the block lanes on u, v) agree in tolerance units."""
    t = np.linspace(0.0, 0.9, 181)
    ref = weight_flow(fig1, 0.1, 0.01, t, rtol=RTOL)
    tr = simulate(fig1, 0.1, 0.01, t_eval=t, rtol=RTOL)
    scale = np.abs(tr.w_plus).max()
    err_p = np.abs(ref.w_plus - tr.w_plus).max() / (RTOL * scale)
    err_m = np.abs(ref.w_minus - tr.w_minus).max() / (RTOL * scale)
    assert max(err_p, err_m) < 100, (err_p, err_m)
    assert np.allclose(ref.u, tr.u, rtol=0, atol=100 * RTOL * scale)
    assert np.array_equal(ref.sign, tr.sign)


def test_weight_flow_initial_velocity(fig1):
    """Closed form at t = 0: w+'(0) = alpha x_i y / (alpha |x_i y| + eps), w-'(0) = -w+'(0)."""
    alpha, eps, h = 0.1, 0.01, 1e-6
    ref = weight_flow(fig1, alpha, eps, [0.0, h, 2 * h], rtol=1e-12, atol=1e-16)
    xy = fig1.X.T @ fig1.y
    exact = alpha * xy / (alpha * np.abs(xy) + eps)
    # one-sided second-order difference: error O(h^2) times the second derivative (order 1/eps)
    slope_p = (-3 * ref.w_plus[0] + 4 * ref.w_plus[1] - ref.w_plus[2]) / (2 * h)
    slope_m = (-3 * ref.w_minus[0] + 4 * ref.w_minus[1] - ref.w_minus[2]) / (2 * h)
    assert np.abs(slope_p - exact).max() < 1e-6
    assert np.abs(slope_m + exact).max() < 1e-6


def test_weight_flow_gradient_is_the_loss_gradient(fig1):
    """`grad_w` is the gradient of L(w) = |X(w+^2 - w-^2) - y|^2 / 4 (eq. 8), by differences."""
    ref = weight_flow(fig1, 0.1, 0.01, np.linspace(0.0, 0.5, 6))
    X, y, D = fig1.X, fig1.y, fig1.D

    def loss(w):
        return 0.25 * np.sum((X @ (w[:D] ** 2 - w[D:] ** 2) - y) ** 2)

    h = 1e-6
    for k in range(len(ref.t)):
        w = np.concatenate([ref.w_plus[k], ref.w_minus[k]])
        fd = np.array([(loss(w + h * e) - loss(w - h * e)) / (2 * h) for e in np.eye(2 * D)])
        assert np.abs(fd - ref.grad_w[k]).max() < 1e-8
        assert np.allclose(ref.residual[k], y - X @ (w[:D] ** 2 - w[D:] ** 2), atol=1e-14)


def test_weight_flow_works_without_blocks():
    """Any X: a dense problem (no Assumption 3.2) is integrated too, and its loss decreases."""
    rng = np.random.default_rng(3)
    prob = Problem(rng.normal(size=(2, 4)), rng.normal(size=2))
    assert prob.blocks is None
    ref = weight_flow(prob, 0.2, 0.05, np.linspace(0.0, 2.0, 41))
    loss = 0.25 * np.sum(ref.residual**2, axis=1)
    assert np.all(np.diff(loss) <= 1e-12)
    assert loss[-1] < 0.1 * loss[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(alpha=0.0), "`alpha`"),
        (dict(eps=0.0), "`eps`"),
        (dict(t_eval=[0.0]), "`t_eval`"),
        (dict(t_eval=[0.0, 0.2, 0.1]), "`t_eval`"),
        (dict(t_eval=[-0.1, 0.2]), "`t_eval`"),
        (dict(rtol=-1.0), "`rtol`"),
    ],
)
def test_weight_flow_validation(fig1, kwargs, match):
    args = dict(alpha=0.1, eps=0.01, t_eval=[0.0, 0.1])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        weight_flow(fig1, args.pop("alpha"), args.pop("eps"), args.pop("t_eval"), **args)


def test_weight_flow_rejects_non_problem():
    with pytest.raises(ValueError, match="`problem`"):
        weight_flow(np.eye(2), 0.1, 0.01, [0.0, 0.1])


def test_weight_flow_error_when_the_integrator_stops(fig1, monkeypatch):
    class Failed:
        status, message, nfev = -1, "Required step size is less than spacing", 7
        t = np.array([0.0, 0.05])

    monkeypatch.setattr(stages, "solve_ivp", lambda *a, **k: Failed())
    with pytest.raises(ReferenceFlowError, match="stopped at t = 0.05"):
        weight_flow(fig1, 0.1, 0.01, [0.0, 0.1])


def test_weight_flow_matches_log_weight_reference(fig1):
    """Radau on w and Radau on ln w (ssdlib.reference) agree where the weights are resolved."""
    t = np.linspace(0.0, 0.9, 91)
    lin = weight_flow(fig1, 0.1, 0.002, t, rtol=RTOL)
    log = log_weight_flow(fig1, 0.1, 0.002, t)
    err = np.abs(lin.u - log.u).max() / (RTOL * np.abs(log.u).max())
    assert err < 100, err
    assert np.abs(lin.v - log.v).max() < 1e-9


def test_weight_flow_lets_a_weight_cross_zero(fig1, monkeypatch):
    """Nothing in the integration keeps w >= 0: with a field that pushes w- down at unit speed,
    w- crosses zero at t = alpha (so the non-negativity check of Proposition 3.4 can fail)."""

    def pushed(problem, wp, wm, eps):
        return np.zeros_like(wp), -np.ones_like(wm)

    monkeypatch.setattr(stages, "weight_velocity", pushed)
    flow = weight_flow(fig1, 0.1, 0.01, [0.0, 0.05, 0.2])
    assert np.allclose(flow.w_minus[:, 0], [0.1, 0.05, -0.1], atol=1e-12)
