"""Tests of ssdlib.stages: eq. (16) integrated in the weights, and the stage checks."""

from __future__ import annotations

import numpy as np
import pytest

import ssdlib.stages as stages
from ssdlib import Problem, sign_flow_hitting_times, simulate
from ssdlib.instances import NoAdmissibleSeedError
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


# ----------------------------------------------------------------------------
# block structure and instances


def test_abs_xy_and_block_index_by_loops(fig1):
    xy, n_of = stages.abs_xy(fig1), stages.block_index(fig1)
    for i in range(fig1.D):
        rows = np.flatnonzero(fig1.X[:, i])
        assert rows.size == 1
        assert n_of[i] == rows[0]
        assert xy[i] == pytest.approx(abs(fig1.X[rows[0], i] * fig1.y[rows[0]]), rel=1e-15)


def test_block_helpers_need_assumption_3_2():
    dense = Problem(np.ones((2, 3)), np.ones(2))
    for fn in (stages.abs_xy, stages.block_index):
        with pytest.raises(ValueError, match="Assumption 3.2"):
            fn(dense)


def _eq_18_19(problem, alpha, eps):
    """Assumption 3.3 typed from the paper: eq. (18) and eq. (19) for every coordinate."""
    for n, b in enumerate(problem.blocks):
        ax, ay = np.abs(problem.X[n, b]), abs(problem.y[n])
        s = ax.sum()
        if np.any(eps > ax * ay**1.5 / (9 * np.sqrt(2 * s))):
            return False
        if np.any(alpha < 9 * eps / (4 * ax * ay)) or alpha > np.sqrt(ay / (2 * s)) / 3:
            return False
    return True


def test_admissible_instance_is_the_first_seed_and_centred():
    inst = stages.admissible_instance([2, 2, 2], 0.005)
    ax = np.abs(inst.problem.X)
    ay = np.abs(inst.problem.y)
    xy = np.abs(inst.problem.X.T @ inst.problem.y)
    lo = np.max(9 * 0.005 / (4 * xy))
    hi = np.min(np.sqrt(ay / (2 * ax.sum(axis=1))) / 3)
    assert inst.alpha == pytest.approx(np.sqrt(lo * hi), rel=1e-12)
    assert _eq_18_19(inst.problem, inst.alpha, 0.005)
    for seed in range(1, inst.seed):  # every earlier seed fails eq. (18) or has no alpha
        prob = Problem.random_blocks([2, 2, 2], seed)
        assert not any(_eq_18_19(prob, a, 0.005) for a in np.geomspace(1e-4, 1.0, 400))
    with pytest.raises(NoAdmissibleSeedError):
        stages.admissible_instance([2, 2], 10.0, seeds=range(1, 5))


@pytest.fixture(scope="module")
def fine(fig1):
    return stages.fine_run(fig1, 0.1, 0.01, n_grid=401, n_fd=40)


def test_fine_run_grid_and_triplets(fine):
    tr, (km, k0, kp) = fine.traj, fine.fd_index
    assert tr.t[0] == 0.0 and tr.t[-1] == pytest.approx(1.05 * tr.t_converged, rel=1e-12)
    assert np.allclose(tr.t[k0] - tr.t[km], 1e-6, rtol=1e-6)
    assert np.allclose(tr.t[kp] - tr.t[k0], 1e-6, rtol=1e-6)
    assert km.size == 40 and np.all(tr.t[k0] < tr.t_converged)


def test_fine_run_validation(fig1):
    with pytest.raises(ValueError, match="`n_grid`"):
        stages.fine_run(fig1, 0.1, 0.01, n_grid=1)
    with pytest.raises(ValueError, match="`delta`"):
        stages.fine_run(fig1, 0.1, 0.01, delta=0.1)


def test_flow_grid_matches_single_runs(fig1):
    t = np.linspace(0.0, 1.0, 51)
    grid = stages.flow_grid(fig1, [0.05, 0.1], [0.002, 0.01], t)
    assert set(grid) == {(a, e) for a in (0.05, 0.1) for e in (0.002, 0.01)}
    single = simulate(fig1, 0.05, 0.01, t_eval=t)
    assert np.abs(grid[(0.05, 0.01)].u - single.u).max() < 100 * RTOL


# ----------------------------------------------------------------------------
# measurements, against closed forms and independent computations


def test_wrong_way_step_closed_form():
    u = np.array([[0.0, 0.0], [1.0, 0.5], [0.5, 0.6]])
    v = np.array([[1.0, 1.0], [0.9, 1.2], [0.8, 1.0]])
    assert stages.wrong_way_step(u, v) == pytest.approx(0.5)  # u_0 falls by 0.5
    steps = np.cumsum(np.ones((3, 2)), axis=0)  # u up by 1, v down by 1 at every step
    assert stages.wrong_way_step(steps, -steps) == -1.0
    with pytest.raises(ValueError, match="`u` and `v`"):
        stages.wrong_way_step(u, v[:2])


@pytest.fixture(scope="module")
def sign_flow(fig1):
    """The eps = 0 closed form, on a grid that contains T0 = alpha and T = min t*."""
    t_star = sign_flow_hitting_times(fig1, 0.1)
    t = np.unique(np.concatenate([np.linspace(0.0, 1.0, 201), [0.1, t_star.min()]]))
    return simulate(fig1, 0.1, 0.0, t_eval=t)


def test_measures_on_sign_flow_closed_form(fig1, sign_flow):
    """u = alpha + t, v = max(alpha - t, 0) until the block's residual vanishes."""
    tr = sign_flow
    assert np.allclose(stages.sd_slope(tr), 1.0, rtol=0, atol=1e-12)
    assert stages.initial_deviation(tr) < 1e-12
    assert np.all(stages.block_spread(tr) == 0.0)
    assert stages.order_gap(tr) == 0.0
    assert stages.residual_sign_margin(tr) >= -1e-15
    assert stages.residual_increase(tr) <= 1e-15
    # at the end every block has |y| = sum |x_k| u_k^2 (v = 0), the largest ratio of the bound
    ax, ay = np.abs(fig1.X).sum(axis=1), np.abs(fig1.y)
    assert stages.u_bound_ratio(tr) == pytest.approx(np.max(ay / (ay + 0.01 * ax)), rel=1e-12)


def test_sd_slope_needs_a_sign_descent_stage(sign_flow):
    import dataclasses
    with pytest.raises(ValueError, match="no sign descent stage"):
        stages.sd_slope(dataclasses.replace(sign_flow, T=sign_flow.T0))


def test_residual_at_interpolates(fine):
    tr = fine.traj
    k = 17
    assert np.allclose(stages.residual_at(tr, tr.t[k]), np.abs(tr.residual[k] / tr.problem.y))
    mid = 0.5 * (tr.t[k] + tr.t[k + 1])
    want = 0.5 * np.abs(tr.residual[k] + tr.residual[k + 1]) / np.abs(tr.problem.y)
    assert np.allclose(stages.residual_at(tr, mid), want, rtol=1e-12)
    with pytest.raises(ValueError, match="`t`"):
        stages.residual_at(tr, 10.0)


def test_v_bound_ratio_and_scaled_v_inf_by_loops(fine):
    tr = fine.traj
    xy = np.abs(tr.problem.X.T @ tr.problem.y)
    want = max(tr.v[k, i] * xy[i] / (2 * tr.eps)
               for k in range(len(tr.t)) if tr.t[k] >= tr.T0 for i in range(tr.problem.D))
    assert stages.v_bound_ratio(tr) == pytest.approx(want, rel=1e-14)
    assert stages.scaled_v_inf(tr) == pytest.approx(np.max(tr.v_inf * xy / (2 * tr.eps)))


def test_decay_exponent_ratio_by_loops(fine):
    tr = fine.traj
    lo, hi = stages.decay_exponent_ratio(tr)
    m = tr.t >= tr.T0
    t = tr.t[m]
    ratios = []
    for n, b in enumerate(tr.problem.blocks):
        r = np.abs(tr.residual[m, n])
        integral = np.concatenate([[0.0], np.cumsum(np.diff(t) * (r[1:] + r[:-1]) / 2)])
        for i in b:
            expo = abs(tr.problem.X[n, i]) * integral / (2 * tr.eps)
            v = tr.v[m, i]
            ok = (expo > 1e-2) & (v > 1e-250)
            ratios.extend(np.log(v[0] / v[ok]) / expo[ok])
    assert lo == pytest.approx(min(ratios), rel=1e-10)
    assert hi == pytest.approx(max(ratios), rel=1e-10)


def test_dual_fd_error_small_and_able_to_fail(fine):
    import dataclasses
    assert stages.dual_fd_error(fine) < 1e-4
    wrong = stages.FineRun(dataclasses.replace(fine.traj, eps=3 * fine.traj.eps), fine.fd_index)
    assert stages.dual_fd_error(wrong) > 1e-2
    with pytest.raises(ValueError, match="`run`"):
        stages.dual_fd_error(fine.traj)


def test_hessian_errors_sign_of_the_paper():
    pos = Problem([[1.0, 0.6]], [1.0])  # x_i y > 0: every beta_i >= 0
    tr = simulate(pos, 0.1, 0.01, t_eval=np.linspace(0.0, 0.8, 81))
    h = stages.hessian_errors(tr)
    assert h.n_negative == 0 and h.book < 1e-6 and h.paper < 1e-6
    neg = Problem([[1.0, -0.6]], [1.0])  # beta_2 < 0: the paper's sign is wrong there
    h = stages.hessian_errors(simulate(neg, 0.1, 0.01, t_eval=np.linspace(0.0, 0.8, 81)))
    assert h.n_negative > 0 and h.book < 1e-6 and h.paper == pytest.approx(2.0, abs=1e-6)


def test_convergence_stage_by_loops(fine):
    tr = fine.traj
    res = stages.convergence_stage(tr)
    f = np.abs(tr.grad_u) / tr.eps
    after, eq51, first_times = 0.0, 0.0, []
    for n, b in enumerate(tr.problem.blocks):
        m = np.abs(tr.problem.X[n, b]).min()
        for i in b:
            k = next(k for k in range(len(tr.t)) if f[k, i] <= 1)
            first_times.append(tr.t[k])
            after = max(after, f[k:, i].max())
            bound = m / (2 * abs(tr.problem.X[n, i]))
            eq51 = max(eq51, abs(tr.residual[k - 1, n] / tr.problem.y[n]) / bound)
    assert res.after_max == pytest.approx(after, rel=1e-14)
    assert res.eq51_ratio == pytest.approx(eq51, rel=1e-12)
    step = np.diff(tr.t).max()
    assert res.grid_offset == pytest.approx(abs(min(first_times) - tr.T) / step, rel=1e-12)


def test_coordinate_stage_index_needs_the_whole_stage(fig1):
    short = simulate(fig1, 0.1, 0.01, t_eval=np.linspace(0.0, 0.2, 21))
    with pytest.raises(ValueError, match="extend its grid"):
        stages.coordinate_stage_index(short)


def test_limit_gap(fig1):
    tr = simulate(fig1, 0.1, 0.01)
    flow = weight_flow(fig1, 0.1, 0.01, np.linspace(0.0, 1.05 * tr.t_converged, 50))
    assert stages.limit_gap(tr, flow) < 1e-8
    with pytest.raises(ValueError, match="`flow`"):
        stages.limit_gap(tr, tr)


def test_measures_reject_non_trajectories(fig1):
    with pytest.raises(ValueError, match="`traj`"):
        stages.order_gap(fig1)
