"""Tests of ssdlib.escape against closed forms and independent computations."""

import numpy as np
import pytest

from ssdlib import optim
from ssdlib.escape import (
    EscapeRun,
    ThresholdGridError,
    escape_run,
    escape_threshold,
    fit_escape_laws,
    predicted_threshold,
    saddle_sign_escape_time,
    saddle_sign_flow,
    stability_ceiling,
)
from ssdlib.steepest import escape_time_prediction, escape_times, steepest_flow

ROW = (np.array([[1.0, -0.5, 0.0]]), np.array([0.8]))          # one row, one zero column
TWO = (np.array([[1.0, -0.5, 0.0, 0.0], [0.0, 0.0, 0.7, 0.4]]), np.array([0.8, -0.6]))


def _t_stop_depth2(A, y, alpha):
    """Root of 2 A t (alpha + t) = |y| (the quadratic, solved independently)."""
    return (-alpha + np.sqrt(alpha**2 + 2 * abs(y) / A)) / 2


def test_saddle_sign_flow_depth2_matches_the_quadratic_stop_time():
    X, y = TWO
    alpha = 0.2
    t = np.linspace(0, 2, 401)
    beta = saddle_sign_flow(TWO, alpha, t, depth=2)
    for n, cols in enumerate(([0, 1], [2, 3])):
        A = np.abs(X[n, cols]).sum()
        ts = _t_stop_depth2(A, y[n], alpha)
        tau = np.minimum(t, ts)
        expected = np.sign(X[n, cols] * y[n]) * (2 * tau * (alpha + tau))[:, None]
        assert np.max(np.abs(beta[:, cols] - expected)) < 1e-12
    # after the stop every row is fitted
    assert np.max(np.abs(X @ beta[-1] - y)) < 1e-12


def test_saddle_sign_flow_is_the_small_eps_limit_of_ssd():
    t = np.linspace(0, 1.0, 21)
    closed = saddle_sign_flow(ROW, 0.3, t, depth=3)
    errs = [np.abs(steepest_flow(ROW, 0.3, 1.0, eps=e, depth=3, tied=False, init="saddle",
                                 t_eval=t).beta - closed).max() for e in (1e-3, 1e-4)]
    assert errs[1] < errs[0] / 5                     # O(eps) convergence


def test_saddle_sign_escape_time_depth2_closed_form():
    X, y = ROW
    alpha, A = 0.1, np.abs(X).sum()
    # loss = (2 A t (alpha + t) - |y|)^2 / 4 reaches |y|^2 / 8 when 2 A t (alpha + t) = c |y|
    c = 1 - np.sqrt(0.5)
    expected = (-alpha + np.sqrt(alpha**2 + 2 * c * abs(y[0]) / A)) / 2
    got = saddle_sign_escape_time(ROW, alpha, depth=2)
    assert abs(got - expected) < 1e-12


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_saddle_sign_escape_time_has_a_finite_limit(depth):
    times = [saddle_sign_escape_time(TWO, a, depth=depth) for a in (1e-3, 1e-5, 1e-7)]
    assert abs(times[2] - times[1]) < abs(times[1] - times[0]) + 1e-12
    assert 0 < times[-1] < 10


def test_saddle_sign_flow_rejects_shared_columns_and_bad_times():
    X = np.array([[1.0, 0.5], [0.3, 1.0]])
    with pytest.raises(ValueError, match="Assumption 3.2"):
        saddle_sign_flow((X, np.ones(2)), 0.1, [0.0, 1.0])
    with pytest.raises(ValueError, match="`t`"):
        saddle_sign_flow(ROW, 0.1, [-1.0])
    with pytest.raises(ValueError, match="`alpha`"):
        saddle_sign_flow(ROW, 0.0, [1.0])
    with pytest.raises(ValueError, match="`fraction`"):
        saddle_sign_escape_time(ROW, 0.1, fraction=1.5)
    with pytest.raises(ValueError, match="no saddle"):
        saddle_sign_escape_time((ROW[0], np.zeros(1)), 0.1)


def test_fit_escape_laws_recovers_synthetic_laws():
    alphas = np.geomspace(1e-1, 1e-5, 9)
    times = {"gradient flow": {2: 2.0 * np.log(1 / alphas) + 3.0, 3: 0.7 / alphas},
             "sign flow": {3: np.full(alphas.size, 0.4)}}
    methods = {"gradient flow": (2.0, 0.0)}
    fits, derived = fit_escape_laws(alphas, times, methods,
                                    semilog={"gradient flow": {2: 2.0}}, mask=alphas <= 1e-3)
    s, b, scale = fits["gradient flow"][2]
    assert scale == "semilog" and abs(s - 2.0) < 1e-12 and abs(b - 3.0) < 1e-10
    s, b, scale = fits["gradient flow"][3]
    assert scale == "loglog" and abs(s + 1.0) < 1e-12 and abs(b - np.log(0.7)) < 1e-10
    assert abs(fits["sign flow"][3][0]) < 1e-12
    assert derived["gradient flow"] == {2: "2", 3: "-1"}
    assert derived["sign flow"] == {3: "0"}                  # missing methods: sign flow
    with pytest.raises(ValueError, match="`mask`"):
        fit_escape_laws(alphas, times, methods, mask=[True, False])


def _first_escape_step(problem, optimizer, alpha, eta, steps, fraction=0.5, **kw):
    """Independent: the first recorded step of optim.optimize whose loss reaches the level."""
    tr = optim.optimize(problem, optimizer, alpha, eta, steps, **kw)
    hit = np.flatnonzero(tr.loss <= fraction * tr.loss[0])
    return int(hit[0]) if hit.size else None          # record_every=1: index = step


@pytest.mark.parametrize("optimizer,eta", [("gd", 0.05), ("sign", 0.01), ("adam", 0.01)])
def test_escape_run_agrees_with_the_optimizer_trajectory(optimizer, eta):
    run = escape_run(TWO, optimizer, 0.1, eta, 200, depth=2)
    step = _first_escape_step(TWO, optimizer, 0.1, eta, 200)
    assert isinstance(run, EscapeRun)
    assert run.escaped == (step is not None)
    assert run.step == step and run.diverged_at is None


def test_escape_run_reports_overflow_as_a_result():
    run = escape_run(TWO, "gd", 1e-3, 1e6, 50, depth=3)
    assert run.escaped is False and run.step is None
    assert isinstance(run.diverged_at, int) and run.diverged_at >= 1
    with pytest.raises(RuntimeError, match="diverged"):
        optim.optimize(TWO, "gd", 1e-3, 1e6, 50, depth=3)


def test_escape_run_without_escape():
    run = escape_run(TWO, "gd", 1e-3, 1e-6, 10, depth=2)
    assert run == EscapeRun(False, None, None)
    with pytest.raises(ValueError, match="`fraction`"):
        escape_run(TWO, "gd", 0.1, 0.1, 10, fraction=0.0)
    with pytest.raises(ValueError, match="`optimizer`"):
        escape_run(TWO, "newton", 0.1, 0.1, 10)


def test_escape_threshold_brackets_the_transition():
    K, alpha = 100, 1e-2
    guess = predicted_threshold(TWO, [alpha], K, depth=2)[0]
    eta = escape_threshold(TWO, "gd", alpha, guess, K, depth=2, rtol=1e-3)
    assert escape_run(TWO, "gd", alpha, eta, K, depth=2).escaped
    assert not escape_run(TWO, "gd", alpha, eta / 1.002, K, depth=2).escaped
    # depth 2: the linear recursion predicts the threshold to within the O(1) escape phase
    assert abs(eta / guess - 1) < 0.25


def test_escape_threshold_grid_errors_and_nan():
    K, alpha = 100, 1e-2
    guess = predicted_threshold(TWO, [alpha], K, depth=2)[0]
    with pytest.raises(ThresholdGridError, match="smaller `guess`"):
        escape_threshold(TWO, "gd", alpha, 100 * guess, K, depth=2)
    assert issubclass(ThresholdGridError, ValueError)
    assert np.isnan(escape_threshold(TWO, "gd", alpha, guess, K, depth=2, stop=-3.0))
    for kw, match in (({"guess": -1.0}, "`guess`"), ({"rtol": 0.0}, "`rtol`"),
                      ({"per_octave": 0}, "`per_octave`")):
        args = {"guess": guess, **kw}
        with pytest.raises(ValueError, match=match):
            escape_threshold(TWO, "gd", alpha, steps=K, **args)


def test_predicted_threshold_formulas():
    X, y = TWO
    alphas = np.array([1e-1, 1e-3])
    K = 50
    rho = np.max(np.abs(X.T @ y)) / 2
    assert np.allclose(predicted_threshold(TWO, alphas, K, depth=2),
                       (alphas ** (-1 / K) - 1) / (2 * rho), rtol=1e-14)
    expected = [escape_time_prediction(TWO, a, 2.0, depth=3) / K for a in alphas]
    assert np.allclose(predicted_threshold(TWO, alphas, K, depth=3), expected, rtol=1e-14)
    assert np.allclose(predicted_threshold(TWO, alphas, K, optimizer="sign", depth=3),
                       escape_times(TWO, alphas, 1.0, depth=3) / K, rtol=1e-14)
    with pytest.raises(ValueError, match="`optimizer`"):
        predicted_threshold(TWO, alphas, K, optimizer="adam")
    with pytest.raises(ValueError, match="`steps`"):
        predicted_threshold(TWO, alphas, 0)


def _fd_hessian(f, w, h=1e-5):
    n = w.size
    H = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            e_i, e_j = np.eye(n)[i] * h, np.eye(n)[j] * h
            H[i, j] = (f(w + e_i + e_j) - f(w + e_i - e_j) - f(w - e_i + e_j)
                       + f(w - e_i - e_j)) / (4 * h * h)
    return H


@pytest.mark.parametrize("depth", [2, 3])
def test_stability_ceiling_against_a_finite_difference_hessian(depth):
    X, y = TWO
    D = X.shape[1]
    gf = steepest_flow(TWO, 0.01, 2.0, depth=depth, t_eval=np.array([0.0, 1e5]))
    w = np.r_[gf.w[-1, 0, 0], gf.w[-1, 1, 0]]

    def loss(z):
        r = X @ (z[:D] ** depth - z[D:] ** depth) - y
        return 0.25 * r @ r

    lam = np.linalg.eigvalsh(_fd_hessian(loss, w)).max()
    assert abs(stability_ceiling(TWO, depth) * lam / 2 - 1) < 1e-5
    with pytest.raises(ValueError, match="`t_end`"):
        stability_ceiling(TWO, depth, t_end=0.0)
