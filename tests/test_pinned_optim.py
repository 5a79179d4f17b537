"""Exact iterates and step counts of ssdlib.optim on a one-coordinate problem, by hand.

Problem: X = [[1]], y = [1], so with x = u^2 - v^2 (tied, L = 2) the gradient of
f = 1/4 (x - 1)^2 is rho = (x - 1) / 2 in x, g_u = 2 rho u and g_v = -2 rho v in the weights.
From u = v = 1/2: x = 0, rho = -1/2, g = (g_u, g_v) = (-1/2, 1/2). The numbers below follow
from these lines and the update rules of the module docstring; binary fractions are exact.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ssdlib.optim import escape_learning_rate, optimize

ONE = (np.array([[1.0]]), np.array([1.0]))


def uv(traj):
    """(u, v) per recorded step of a tied one-coordinate run."""
    return traj.w[:, 0, 0, 0], traj.w[:, 1, 0, 0]


def test_gd_two_steps():
    # eta = 1/2. Step 1: u = 1/2 + 1/4, v = 1/2 - 1/4; x = 9/16 - 1/16 = 1/2, loss 1/16.
    # Step 2: rho = -1/4, g = (-3/8, 1/8): u = 3/4 + 3/16, v = 1/4 - 1/16.
    tr = optimize(ONE, "gd", 0.5, 0.5, 2)
    u, v = uv(tr)
    np.testing.assert_array_equal(u, [0.5, 0.75, 0.9375])
    np.testing.assert_array_equal(v, [0.5, 0.25, 0.1875])
    np.testing.assert_array_equal(tr.beta[:, 0], u**2 - v**2)
    np.testing.assert_array_equal(tr.loss, [0.25, 0.0625, 0.25 * (0.9375**2 - 0.1875**2 - 1)**2])
    np.testing.assert_array_equal(tr.steps, [0, 1, 2])
    np.testing.assert_array_equal(tr.t, [0.0, 0.5, 1.0])
    assert tr.w.shape == (3, 2, 2, 1)  # tied weights repeated over the L = 2 layers
    np.testing.assert_array_equal(tr.w[:, :, 1], tr.w[:, :, 0])
    np.testing.assert_array_equal(tr.w_plus, tr.w[:, 0])
    np.testing.assert_array_equal(tr.w_minus, tr.w[:, 1])


def test_sign_descent_reaches_the_solution_and_stops():
    # eta = 1/4: u = 1/2, 3/4, 1; v = 1/2, 1/4, 0; then x = 1, rho = 0 and sign(0) = 0.
    tr = optimize(ONE, "sign", 0.5, 0.25, 4)
    u, v = uv(tr)
    np.testing.assert_array_equal(u, [0.5, 0.75, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(v, [0.5, 0.25, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(tr.loss, [0.25, 0.0625, 0.0, 0.0, 0.0])


def test_ssd_two_steps():
    # eps = 1/2: step 1 moves by eta g/(|g| + eps) = eta (-1/2, 1/2); eta = 1/2 gives (3/4, 1/4).
    # Step 2: g = (-3/8, 1/8): u += (1/2)(3/8)/(7/8) = 3/14, v -= (1/2)(1/8)/(5/8) = 1/10.
    tr = optimize(ONE, "ssd", 0.5, 0.5, 2, eps=0.5)
    u, v = uv(tr)
    np.testing.assert_allclose(u, [0.5, 0.75, 0.75 + 3 / 14], rtol=1e-15)
    np.testing.assert_allclose(v, [0.5, 0.25, 0.25 - 0.1], rtol=1e-15)


def test_rmsprop_two_steps():
    # beta2 = 1/2, eps = 0: s = g^2/2 = 1/8 -> update g / sqrt(1/8) = sqrt 8 g = (-sqrt2, sqrt2).
    eta = 0.1
    tr = optimize(ONE, "rmsprop", 0.5, eta, 2, beta2=0.5, eps=0.0)
    u, v = uv(tr)
    u1, v1 = 0.5 + eta * math.sqrt(2), 0.5 - eta * math.sqrt(2)
    rho = (u1**2 - v1**2 - 1) / 2
    g = np.array([2 * rho * u1, -2 * rho * v1])
    s = 0.5 * np.array([0.125, 0.125]) + 0.5 * g**2
    w2 = np.array([u1, v1]) - eta * g / np.sqrt(s)
    np.testing.assert_allclose(u, [0.5, u1, w2[0]], rtol=1e-14)
    np.testing.assert_allclose(v, [0.5, v1, w2[1]], rtol=1e-14)
    # with eps the first step is g / (sqrt(1/8) + eps)
    tr = optimize(ONE, "rmsprop", 0.5, eta, 1, beta2=0.5, eps=0.1)
    np.testing.assert_allclose(uv(tr)[0][1], 0.5 + eta * 0.5 / (math.sqrt(0.125) + 0.1),
                               rtol=1e-15)


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_two_steps_with_weight_decay(decoupled):
    # beta1 = 1/2, beta2 = 3/4, eps = 0, weight decay lam = 1/10.
    eta, b1, b2, lam = 0.1, 0.5, 0.75, 0.1
    w0 = np.array([0.5, 0.5])
    g0 = np.array([-0.5, 0.5]) + (0 if decoupled else lam * w0)
    # step 1: m = (1 - b1) g, s = (1 - b2) g^2, bias corrections 1 - b1 and 1 - b2: sign(g)
    w1 = w0 - eta * (np.sign(g0) + (lam * w0 if decoupled else 0))
    rho = (w1[0] ** 2 - w1[1] ** 2 - 1) / 2
    g1 = np.array([2 * rho * w1[0], -2 * rho * w1[1]]) + (0 if decoupled else lam * w1)
    m = b1 * (1 - b1) * g0 + (1 - b1) * g1
    s = b2 * (1 - b2) * g0**2 + (1 - b2) * g1**2
    upd = (m / (1 - b1**2)) / np.sqrt(s / (1 - b2**2))
    w2 = w1 - eta * (upd + (lam * w1 if decoupled else 0))
    opt = "adamw" if decoupled else "adam"
    tr = optimize(ONE, opt, 0.5, eta, 2, beta1=b1, beta2=b2, eps=0.0, weight_decay=lam)
    u, v = uv(tr)
    np.testing.assert_allclose(u, [0.5, w1[0], w2[0]], rtol=1e-14)
    np.testing.assert_allclose(v, [0.5, w1[1], w2[1]], rtol=1e-14)
    assert tr.decoupled is decoupled and tr.weight_decay == lam and tr.optimizer == opt
    assert (tr.eta, tr.eps, tr.beta1, tr.beta2, tr.depth, tr.tied) == (eta, 0.0, b1, b2, 2, True)
    # coupled decay with gd: w <- w - eta (g + lam w)
    tr = optimize(ONE, "gd", 0.5, eta, 1, weight_decay=lam, decoupled=decoupled)
    np.testing.assert_allclose(uv(tr)[0][1], 0.5 - eta * (-0.5 + lam * 0.5), rtol=1e-15)


def test_adam_with_zero_betas_is_ssd():
    a = optimize(ONE, "adam", 0.5, 0.3, 5, beta1=0.0, beta2=0.0, eps=0.2)
    b = optimize(ONE, "ssd", 0.5, 0.3, 5, eps=0.2)
    np.testing.assert_allclose(a.w, b.w, rtol=1e-15)


def test_untied_and_depth_3_first_step():
    # untied L = 2, balanced: x = a b - c d; grad_a = rho b etc. (no factor L): from 1/2 all,
    # g = (-1/4, -1/4 | 1/4, 1/4); gd with eta = 1: a = b = 3/4, c = d = 1/4
    tr = optimize(ONE, "gd", 0.5, 1.0, 1, tied=False)
    np.testing.assert_array_equal(tr.w[1, 0, :, 0], [0.75, 0.75])
    np.testing.assert_array_equal(tr.w[1, 1, :, 0], [0.25, 0.25])
    np.testing.assert_array_equal(tr.beta[1], [0.5])
    # tied L = 3: g_u = 3 rho u^2 = -3/8 at u = 1/2
    tr = optimize(ONE, "gd", 0.5, 1.0, 1, depth=3)
    np.testing.assert_array_equal(tr.w[1, :, 0, 0], [0.875, 0.125])
    np.testing.assert_allclose(tr.beta[1], [0.875**3 - 0.125**3], rtol=1e-15)
    # the saddle start w_1 = 0 (untied): beta(0) = 0 * 1/2 - 0 * 1/2
    tr = optimize(ONE, "gd", 0.5, 1.0, 1, tied=False, init="saddle")
    np.testing.assert_array_equal(tr.w[0, :, 0, 0], [0.0, 0.0])
    np.testing.assert_array_equal(tr.w[1, 0, :, 0], [0.25, 0.5])


@pytest.mark.parametrize("steps,every,expected", [
    (1, 1, [0, 1]), (5, 2, [0, 2, 4, 5]), (6, 2, [0, 2, 4, 6]), (3, 7, [0, 3])])
def test_recorded_steps(steps, every, expected):
    tr = optimize(ONE, "sign", 0.5, 0.01, steps, record_every=every)
    np.testing.assert_array_equal(tr.steps, expected)
    # sign descent far from the solution moves by exactly eta a step
    np.testing.assert_allclose(tr.w[:, 0, 0, 0], 0.5 + 0.01 * np.array(expected), rtol=1e-14)
    assert tr.loss.shape == (len(expected),)


@pytest.mark.parametrize("optimizer,alpha,threshold", [
    # one step of gd from alpha: x1 = 4 alpha^2 eta; sign descent: x1 = 4 alpha eta.
    # The loss 1/4 (x1 - 1)^2 falls to 1/4 of its start when x1 = 1/2.
    ("gd", 0.5, 0.5), ("sign", 0.25, 0.5), ("gd", 0.25, 2.0)])
def test_escape_learning_rate_one_step_thresholds(optimizer, alpha, threshold):
    rtol = 1e-6
    eta = escape_learning_rate(ONE, alpha, 1, optimizer=optimizer, fraction=0.25, rtol=rtol)
    assert 0 <= eta / threshold - 1 <= 1.01 * rtol, eta


def test_escape_learning_rate_doubling_budget():
    # from eta_start = 1e-3 the ninth doubling (0.512) is the first above the threshold 0.5
    kw = dict(optimizer="gd", fraction=0.25, eta_start=1e-3)
    eta = escape_learning_rate(ONE, 0.5, 1, max_doublings=9, **kw)
    assert abs(eta / 0.5 - 1) <= 1.01e-3
    with pytest.raises(RuntimeError, match="does not escape"):
        escape_learning_rate(ONE, 0.5, 1, max_doublings=8, **kw)
    with pytest.raises(ValueError, match="already escapes"):
        escape_learning_rate(ONE, 0.5, 1, optimizer="gd", fraction=0.25, eta_start=0.6)
