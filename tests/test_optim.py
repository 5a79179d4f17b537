"""Tests of ssdlib.optim: update rules, limits against flows, escape learning rates."""

import numpy as np
import pytest

from ssdlib.optim import OPTIMIZERS, OptimTrajectory, escape_learning_rate, optimize
from ssdlib.steepest import steepest_flow

TWO = (np.array([[1.0, -0.5, 0.3, 0.0], [0.0, 0.0, 0.0, 0.7]]), np.array([1.0, -0.6]))
ROW = (np.array([[1.0, -0.5, 0.3, 0.0]]), np.array([1.0]))


def _reference(optimizer, X, y, alpha, eta, steps, eps, b1, b2, wd, decoupled):
    """Scalar-loop reference of the depth-2 tied model (eq. 8), written independently."""
    wp = np.full(X.shape[1], alpha)
    wm = np.full(X.shape[1], alpha)
    m = np.zeros(2 * X.shape[1])
    s = np.zeros(2 * X.shape[1])
    for k in range(1, steps + 1):
        r = X @ (wp * wp - wm * wm) - y
        gp = (X.T @ r) * wp  # grad of 1/4 |X beta - y|^2 w.r.t. w+
        gm = -(X.T @ r) * wm
        w = np.r_[wp, wm]
        g = np.r_[gp, gm] + (0.0 if decoupled else wd * w)
        if optimizer == "ssd":
            upd = g / (np.abs(g) + eps)
        elif optimizer == "rmsprop":
            s = b2 * s + (1 - b2) * g**2
            upd = g / (np.sqrt(s) + eps)
        else:
            m = b1 * m + (1 - b1) * g
            s = b2 * s + (1 - b2) * g**2
            upd = (m / (1 - b1**k)) / (np.sqrt(s / (1 - b2**k)) + eps)
        if decoupled:
            upd = upd + wd * w
        w = w - eta * upd
        wp, wm = w[: X.shape[1]], w[X.shape[1]:]
    return wp * wp - wm * wm


@pytest.mark.parametrize("optimizer,wd,decoupled", [
    ("ssd", 0.0, False), ("rmsprop", 0.05, False), ("adam", 0.05, False), ("adamw", 0.05, True),
])
def test_update_rules_match_reference(optimizer, wd, decoupled):
    X, y = TWO
    tr = optimize(TWO, optimizer, 0.1, 0.01, 50, eps=1e-3, beta1=0.8, beta2=0.9,
                  weight_decay=wd)
    ref = _reference(optimizer, X, y, 0.1, 0.01, 50, 1e-3, 0.8, 0.9, wd, decoupled)
    assert np.max(np.abs(tr.beta[-1] - ref)) < 1e-13


def test_adam_with_zero_betas_is_ssd_and_sign_descent():
    a = optimize(TWO, "adam", 0.1, 1e-2, 300, eps=1e-3, beta1=0.0, beta2=0.0)
    s = optimize(TWO, "ssd", 0.1, 1e-2, 300, eps=1e-3)
    assert np.array_equal(a.w, s.w)
    # beta2 -> 0 and eps -> 0: sign descent (9 steps: before the non-dominating weights,
    # which move by eta = alpha / 10 per step, reach 0, where |g| < eps and sign(g) is noise)
    a = optimize(TWO, "adam", 0.1, 1e-2, 9, eps=1e-12, beta1=0.0, beta2=1e-12)
    sd = optimize(TWO, "sign", 0.1, 1e-2, 9)
    assert np.max(np.abs(a.w - sd.w)) < 1e-10
    # a non-zero beta2 really differs (the test can fail)
    b = optimize(TWO, "adam", 0.1, 1e-2, 9, eps=1e-12, beta1=0.0, beta2=0.5)
    assert np.max(np.abs(b.w - sd.w)) > 1e-3


def test_ssd_approaches_the_flow_at_first_order():
    flow = steepest_flow(TWO, 0.1, 1.0, eps=1e-2, t_eval=np.linspace(0.0, 1.0, 11),
                         rtol=1e-12, atol=1e-14)
    errs = []
    for eta in (1e-2, 5e-3, 2.5e-3):
        n = int(round(1.0 / eta))
        d = optimize(TWO, "ssd", 0.1, eta, n, eps=1e-2, record_every=n // 10)
        assert np.allclose(d.t, flow.t)
        errs.append(np.max(np.abs(d.beta - flow.beta)))
    assert errs[-1] < 1e-3
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    assert np.all(np.abs(ratios - 2) < 0.1), ratios  # Euler: error ~ eta


@pytest.mark.parametrize("depth,tied", [(2, True), (3, True), (3, False)])
def test_gd_approaches_gradient_flow(depth, tied):
    flow = steepest_flow(TWO, 0.3, 2.0, depth=depth, tied=tied,
                         t_eval=np.linspace(0.0, 2.0, 5), rtol=1e-12, atol=1e-14)
    d = optimize(TWO, "gd", 0.3, 1e-4, 20000, depth=depth, tied=tied, record_every=5000)
    assert np.max(np.abs(d.beta - flow.beta)) < 1e-3


def test_decoupled_flag():
    a = optimize(TWO, "adamw", 0.1, 1e-2, 100, weight_decay=0.1)
    b = optimize(TWO, "adam", 0.1, 1e-2, 100, weight_decay=0.1, decoupled=True)
    c = optimize(TWO, "adam", 0.1, 1e-2, 100, weight_decay=0.1)
    assert a.decoupled and b.decoupled and not c.decoupled
    assert np.array_equal(a.w, b.w)
    assert np.max(np.abs(a.w - c.w)) > 1e-4


def test_weight_decay_limits_differ():
    """SSD with decoupled decay stops where lambda |w| = |g| / (|g| + eps) < 1: any interpolating
    point with max|w| < 1/lambda is nearly stationary, so it still fits the data. Coupled decay
    balances g = -lambda w: the L2-penalised minimiser, which does not interpolate."""
    lam = 0.5
    coupled = optimize(ROW, "ssd", 0.1, 1e-3, 20000, eps=1e-3, weight_decay=lam)
    decoupled = optimize(ROW, "ssd", 0.1, 1e-3, 20000, eps=1e-3, weight_decay=lam,
                         decoupled=True)
    assert np.max(np.abs(coupled.beta[-1] - decoupled.beta[-1])) > 0.1
    assert decoupled.loss[-1] < 1e-5 and np.max(np.abs(decoupled.w[-1])) < 1 / lam
    assert coupled.loss[-1] > 1e-2


def test_recording_and_fields():
    tr = optimize(TWO, "sign", 0.1, 1e-2, 25, record_every=10, depth=3)
    assert isinstance(tr, OptimTrajectory)
    assert tr.steps.tolist() == [0, 10, 20, 25]
    assert tr.w.shape == (4, 2, 3, 4) and tr.beta.shape == (4, 4) and tr.loss.shape == (4,)
    assert np.allclose(tr.beta, tr.w_plus[:, 0] ** 3 - tr.w_minus[:, 0] ** 3)
    assert tr.loss[0] == pytest.approx(0.25 * np.sum(TWO[1] ** 2))
    sad = optimize(TWO, "gd", 0.5, 1e-2, 10, depth=3, tied=False, init="saddle")
    assert np.all(sad.w[0, :, 0] == 0) and np.all(sad.w[0, :, 1:] == 0.5)


def test_divergence_raises():
    with pytest.raises(RuntimeError, match=r"`gd` diverged at step \d+ .* reduce `eta`"):
        optimize(TWO, "gd", 1.0, 100.0, 50)


def test_escape_learning_rate_gd_depth2_and_sign():
    alpha, K = 1e-2, 100
    rho0 = np.max(np.abs(ROW[0].T @ ROW[1])) / 2
    # leading order: the fastest weight u = a (1 + 2 eta |rho_0|)^K must reach U with
    # |x_0| U^2 = (1 - sqrt(1/2)) |y| (the loss halves; the other coordinates lag behind)
    U = np.sqrt((1 - np.sqrt(0.5)) * abs(ROW[1][0]) / np.max(np.abs(ROW[0])))

    def pred(a):
        return ((U / a) ** (1.0 / K) - 1) / (2 * rho0)

    eta = escape_learning_rate(ROW, alpha, K, rtol=1e-4)
    assert abs(eta / pred(alpha) - 1) < 0.1  # measured 0.04
    eta2 = escape_learning_rate(ROW, alpha**2, K, rtol=1e-4)
    assert abs((eta2 / eta) / (pred(alpha**2) / pred(alpha)) - 1) < 0.05
    # sign descent: independent of alpha; GD with depth 3: grows like 1/alpha
    s1 = escape_learning_rate(ROW, 1e-2, K, optimizer="sign")
    s2 = escape_learning_rate(ROW, 1e-4, K, optimizer="sign")
    assert abs(s1 / s2 - 1) < 0.05
    g1 = escape_learning_rate(ROW, 1e-2, 1000, depth=3)
    g2 = escape_learning_rate(ROW, 1e-3, 1000, depth=3)
    assert abs(np.log10(g2 / g1) - 1) < 0.1


def test_escape_learning_rate_gd_depth4_never():
    with pytest.raises(RuntimeError, match=r"`gd` never escapes within 100 steps"):
        escape_learning_rate(ROW, 1e-2, 100, depth=4)


@pytest.mark.parametrize("kwargs,match", [
    ({"optimizer": "lion"}, r"`optimizer` must be one of 'gd', 'sign', 'ssd', 'rmsprop', "
                            r"'adam', 'adamw'; got 'lion'"),
    ({"eta": 0.0}, r"`eta` must be > 0"),
    ({"eta": -1.0}, r"`eta` must be > 0"),
    ({"steps": 0}, r"`steps` must be an integer >= 1"),
    ({"steps": 2.5}, r"`steps` must be an integer >= 1"),
    ({"alpha": 0.0}, r"`alpha` must be > 0"),
    ({"depth": 1}, r"`depth` must be an integer >= 2"),
    ({"eps": -1.0}, r"`eps` must be >= 0"),
    ({"beta1": 1.0}, r"`beta1` must lie in \[0, 1\)"),
    ({"beta2": -0.1}, r"`beta2` must lie in \[0, 1\)"),
    ({"weight_decay": -0.1}, r"`weight_decay` must be >= 0"),
    ({"optimizer": "adamw", "decoupled": False}, r"`decoupled`=False contradicts"),
    ({"record_every": 0}, r"`record_every` must be an integer >= 1"),
    ({"init": "saddle"}, r"`tied=False`"),
])
def test_optimize_validation(kwargs, match):
    args = {"optimizer": "adam", "alpha": 0.1, "eta": 0.01, "steps": 10}
    args.update(kwargs)
    pos = [args.pop(k) for k in ("optimizer", "alpha", "eta", "steps")]
    with pytest.raises(ValueError, match=match):
        optimize(TWO, *pos, **args)


def test_escape_learning_rate_validation():
    with pytest.raises(ValueError, match=r"`fraction` must lie in \(0, 1\)"):
        escape_learning_rate(ROW, 0.1, 10, fraction=0.0)
    with pytest.raises(ValueError, match=r"`eta_start` = 0.5 already escapes"):
        escape_learning_rate(ROW, 0.1, 10, eta_start=0.5)
    with pytest.raises(ValueError, match=r"`problem.y` must have shape"):
        escape_learning_rate((np.ones((2, 3)), np.ones(3)), 0.1, 10)
    assert set(OPTIMIZERS) == {"gd", "sign", "ssd", "rmsprop", "adam", "adamw"}
