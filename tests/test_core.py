"""Tests of ssdlib's flows against closed forms, independent solutions and the paper's claims.

Errors are measured in units of a stated tolerance, so a failure message says by how much a
claim was missed.
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import ssdlib as S
from ssdlib import _lanes


def admissible_problems(sizes, alpha, eps, count, start=0):
    """The first ``count`` seeds >= start whose random_blocks problem satisfies Assumption 3.3."""
    out, seed = [], start
    while len(out) < count:
        P = S.Problem.random_blocks(sizes, seed)
        if S.check_assumptions(P, alpha, eps).a33:
            out.append(P)
        seed += 1
    return out


ALPHA, EPS = 0.1, 0.005
PROBLEMS = admissible_problems([3, 2], ALPHA, EPS, 3) + admissible_problems(
    [2, 2, 4], ALPHA, EPS, 2
)


@pytest.fixture(scope="module", params=range(len(PROBLEMS)), ids=lambda i: f"problem{i}")
def flow(request):
    P = PROBLEMS[request.param]
    return P, S.simulate(P, ALPHA, EPS, t_eval=np.linspace(0, 1.5, 3001))


def full_rhs(P, eps, H=2):
    """The 2D-dimensional system (16) in w, written independently of ssdlib."""
    X, y = P.X, P.y
    D = P.D

    def f(t, w):
        wp, wm = w[:D], w[D:]
        q = X.T @ (y - X @ (wp**H - wm**H))
        g = np.concatenate([-(H / 2) * wp ** (H - 1) * q, (H / 2) * wm ** (H - 1) * q])
        return -g / (np.abs(g) + eps)

    return f


# --------------------------------------------------------------------------- accuracy


@pytest.mark.parametrize("eps", [1e-6, 1e-4, 1e-2, 1e-1])
@pytest.mark.parametrize("alpha", [1e-3, 0.1, 1.0])
def test_accuracy_against_radau(alpha, eps):
    P = S.Problem.random_blocks([3, 2], seed=1)
    t = np.linspace(0, 3, 61)
    tr = S.simulate(P, alpha, eps, t_eval=t)
    ref = solve_ivp(full_rhs(P, eps), (0, 3), np.full(2 * P.D, alpha), method="Radau",
                    rtol=1e-12, atol=1e-14, t_eval=t)
    assert ref.success
    beta_ref = ref.y[: P.D].T ** 2 - ref.y[P.D:].T ** 2
    err = np.max(np.abs(tr.beta - beta_ref)) / np.max(np.abs(beta_ref))
    assert err / 1e-8 < 1, f"error {err:.2e} = {err / 1e-8:.2f} tolerance units"


def test_general_X_accuracy():
    rng = np.random.default_rng(3)
    P = S.Problem(rng.normal(size=(2, 4)), [1.0, -0.7])
    assert P.blocks is None
    t = np.linspace(0, 2, 41)
    tr = S.simulate(P, 0.1, 1e-3, t_eval=t)
    ref = solve_ivp(full_rhs(P, 1e-3), (0, 2), np.full(8, 0.1), method="Radau", rtol=1e-12,
                    atol=1e-14, t_eval=t)
    beta_ref = ref.y[:4].T ** 2 - ref.y[4:].T ** 2
    assert np.max(np.abs(tr.beta - beta_ref)) / np.abs(beta_ref).max() < 1e-7
    assert np.linalg.norm(P.y - P.X @ tr.beta_inf) < 1e-10


def test_batch_equals_single_runs():
    P = PROBLEMS[0]
    eps = np.array([1e-3, 5e-3, 2e-2])
    t = np.linspace(0, 1, 11)
    batch = S.simulate_batch(P, 0.1, eps, t_eval=t)
    for e, tb in zip(eps, batch, strict=True):
        ts = S.simulate(P, 0.1, e, t_eval=t)
        assert np.max(np.abs(tb.beta - ts.beta)) < 1e-9
        assert abs(tb.T - ts.T) < 1e-9 and abs(tb.T0 - ts.T0) < 1e-9


def test_default_grid_covers_convergence():
    tr = S.simulate(PROBLEMS[0], ALPHA, EPS)
    assert tr.t[0] == 0 and tr.t[-1] >= tr.t_converged
    assert np.linalg.norm(tr.residual[-1]) < 1e-9
    np.testing.assert_allclose(tr.beta[-1], tr.beta_inf, atol=1e-9)


# --------------------------------------------------------------------------- closed forms


def test_sign_flow_closed_form_is_exact():
    P = S.Problem.random_blocks([3, 2], seed=4)
    alpha = 0.1
    tr = S.simulate(P, alpha, 0.0)
    tstar = S.sign_flow_hitting_times(P, alpha)
    for n, b in enumerate(P.blocks):
        A = np.abs(P.X[n, b]).sum()
        # the residual of each block vanishes at t*, to round-off
        u, v = alpha + tstar[n], max(alpha - tstar[n], 0.0)
        assert abs(abs(P.y[n]) - A * (u**2 - v**2)) < 1e-14 * abs(P.y[n]) * 10
    assert np.linalg.norm(P.y - P.X @ tr.beta_inf) < 1e-13
    # unit speed before t*
    early = tr.t < tstar.min()
    expected = np.broadcast_to(alpha + tr.t[early, None], tr.u[early].shape)
    np.testing.assert_allclose(tr.u[early], expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("depth", [3, 4])
def test_sign_flow_closed_form_depth(depth):
    P = S.Problem.random_blocks([2, 3], seed=0)
    tr = S.simulate(P, 0.05, 0.0, depth=depth)
    assert np.linalg.norm(P.y - P.X @ tr.beta_inf) < 1e-12


def test_eps_to_zero_approaches_sign_flow_at_first_order():
    P = S.Problem.random_blocks([2, 2], seed=2)
    ref = S.simulate(P, 0.1, 0.0).beta_inf
    eps = np.array([1e-3, 5e-4, 2.5e-4, 1.25e-4])
    errs = [np.abs(tr.beta_inf - ref).max() for tr in S.simulate_batch(P, 0.1, eps)]
    slope = np.polyfit(np.log(eps), np.log(errs), 1)[0]
    assert 0.8 < slope < 1.3, slope


def test_gd_limit_is_woodworth_minimiser():
    for P in [PROBLEMS[0], S.Problem(np.random.default_rng(0).normal(size=(2, 5)), [1.0, -0.5])]:
        for alpha in [0.05, 0.5]:
            tr = S.simulate(P, alpha, 0.0, method="gd")
            err = np.abs(tr.beta_inf - S.min_bregman_solution(P, alpha)).max()
            assert err / 1e-8 < 1, f"{err / 1e-8:.2f} tolerance units"


def test_gd_conserves_product_and_ssd_breaks_it():
    P = PROBLEMS[0]
    gd = S.simulate(P, ALPHA, 0.0, method="gd", t_eval=np.linspace(0, 5, 51))
    np.testing.assert_allclose(gd.w_plus * gd.w_minus, ALPHA**2, rtol=1e-8)
    ssd = S.simulate(P, ALPHA, EPS, t_eval=np.linspace(0, 1, 51))
    assert np.all(ssd.w_plus[1:] * ssd.w_minus[1:] < ALPHA**2)


def test_discrete_algorithm_first_order_in_eta():
    P = PROBLEMS[0]
    t_end = 1.0
    etas = np.array([4e-3, 2e-3, 1e-3])
    errs = []
    for eta in etas:
        steps = int(round(t_end / eta))
        d = S.sign_descent(P, ALPHA, 0.05, eta, steps)
        f = S.simulate(P, ALPHA, 0.05, t_eval=d.t)
        errs.append(np.abs(d.beta - f.beta).max())
    slope = np.polyfit(np.log(etas), np.log(errs), 1)[0]
    assert 0.8 < slope < 1.2, slope


# --------------------------------------------------------------------------- the paper's claims


def test_prop_3_4_signs_and_monotonicity(flow):
    P, tr = flow
    tol = 1e-10
    assert np.all(tr.w_plus >= 0) and np.all(tr.w_minus >= 0)
    assert np.all(np.diff(tr.u, axis=0) >= -tol)
    assert np.all(np.diff(tr.v, axis=0) <= tol)
    np.testing.assert_allclose(tr.beta, tr.sign * (tr.u**2 - tr.v**2), atol=1e-13)  # eq. (29)


def test_lemma_a1_residual(flow):
    P, tr = flow
    r = tr.residual
    assert np.all(r * np.sign(P.y) >= -1e-10)
    assert np.all(np.diff(np.abs(r), axis=0) <= 1e-10)


def test_lemma_a2_ordering(flow):
    P, tr = flow
    for n, b in enumerate(P.blocks):
        ax = np.abs(P.X[n, b])
        for i in range(len(b)):
            for j in range(len(b)):
                if ax[i] >= ax[j]:
                    assert np.all(tr.u[:, b[i]] >= tr.u[:, b[j]] - 1e-12)


def test_prop_3_5_initial_stage(flow):
    P, tr = flow
    assert 0 < tr.T0 <= 2 * ALPHA
    bound = 2 * EPS / np.abs(P.X.T @ P.y)
    after = tr.t >= tr.T0
    assert np.all(tr.v[after] <= bound * (1 + 1e-9))


def test_prop_3_6_dual_dynamics(flow):
    P, tr = flow
    t, dual = tr.t, tr.dual
    fd = (dual[2:] - dual[:-2]) / (t[2:] - t[:-2])[:, None]
    g = tr.grad_u[1:-1]
    rhs = -tr.sign * g / (np.abs(g) + EPS)
    # central differences on a grid of step 5e-4: error O(h^2 * |dual'''|); compare away from
    # the stage transitions where the third derivative is large
    smooth = np.all(np.abs(rhs - rhs.mean(axis=0)) < 10, axis=1)
    err = np.abs(fd - rhs)[smooth]
    assert np.median(err) < 1e-5 and np.quantile(err, 0.9) < 1e-3


def test_prop_3_7_stage_transition(flow):
    P, tr = flow
    assert tr.T > tr.T0
    mid = (tr.t >= tr.T0) & (tr.t < tr.T)
    assert np.all(np.abs(tr.grad_u[mid]) > EPS)
    f = np.abs(tr.grad_u)
    for i in range(P.D):
        below = np.flatnonzero(f[:, i] <= EPS)
        assert below.size, "every gradient component reaches eps"
        assert np.all(f[below[0]:, i] <= EPS * (1 + 1e-9))


def test_theorem_3_9_interpolation_and_bounds():
    for theta, lam, y in [(0.3, 1.0, 1.0), (0.5, 2.0, -1.5), (-0.2, 0.7, 0.8)]:
        P = S.Problem.from_angles([theta], [lam], [y])
        rep = S.check_assumptions(P, 0.05, 0.0)
        alpha = 0.95 * rep.alpha_interval[1]  # admissible for every eps <= eps_max
        eps_grid = np.linspace(0.05, 0.95, 5) * S.check_assumptions(P, alpha, 0.0).eps_interval[1]
        for tr in S.simulate_batch(P, alpha, eps_grid):
            assert S.check_assumptions(P, alpha, tr.eps).a33
            assert np.linalg.norm(P.y - P.X @ tr.beta_inf) < 1e-10
            Delta = S.kkt_Delta(P, tr)[0]
            m_plus, m_minus = S.kkt_bounds(P, alpha, tr.eps)[0]
            assert m_minus <= Delta <= m_plus
            assert S.kkt_error(P, tr) == pytest.approx(abs(Delta), rel=1e-12, abs=1e-14)


def test_corollary_3_10_delta_decreasing_on_an_interval():
    P = S.Problem.from_angles([0.3], [1.0], [1.0])
    alpha = 0.05
    eps_max = S.check_assumptions(P, alpha, 0.0).eps_interval[1]
    eps = np.linspace(0.05, 1.0, 12) * eps_max
    delta = np.array([S.kkt_error(P, tr) for tr in S.simulate_batch(P, alpha, eps)])
    assert np.all(np.diff(delta) < 0), delta


def test_kkt_error_is_a_projection():
    P = PROBLEMS[3]
    tr = S.simulate(P, ALPHA, EPS)
    V = tr.sign * (tr.u_inf - ALPHA)
    # brute force: minimise |V - X^T nu| over nu by least squares on the normal equations
    nu = np.linalg.solve(P.X @ P.X.T, P.X @ V)
    assert S.kkt_error(P, tr) == pytest.approx(np.linalg.norm(V - P.X.T @ nu), rel=1e-12)


def test_min_E_solution_is_feasible_and_optimal():
    P = PROBLEMS[1]
    tr = S.simulate(P, ALPHA, EPS)
    b = S.min_E_solution(P, tr)
    assert np.linalg.norm(P.X @ b - P.y) < 1e-12
    # KKT: grad Phi_inf(b) - grad Phi_0(0) in the row space of X
    g = S.mirror_map(b, tr.v_inf) - tr.sign * ALPHA
    nu = np.linalg.lstsq(P.X.T, g, rcond=None)[0]
    assert np.linalg.norm(g - P.X.T @ nu) < 1e-10
    assert S.bregman_E(b, tr) <= S.bregman_E(tr.beta_inf, tr) + 1e-14
    rng = np.random.default_rng(0)
    null = np.linalg.svd(P.X)[2][P.N:]
    for _ in range(20):
        other = b + rng.normal(size=null.shape[0]) @ null * 0.05
        assert S.bregman_E(other, tr) >= S.bregman_E(b, tr)


# --------------------------------------------------------------------------- potentials


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_mirror_map_is_gradient_of_potential(depth):
    rng = np.random.default_rng(depth)
    beta = rng.normal(size=6)
    v = rng.uniform(0.01, 0.3, 6)
    h = 1e-6
    fd = np.array([(S.potential(beta + h * e, v, depth) - S.potential(beta - h * e, v, depth))
                   / (2 * h) for e in np.eye(6)])
    np.testing.assert_allclose(fd, S.mirror_map(beta, v, depth), rtol=1e-7)


def test_woodworth_mirror_map_is_gradient():
    beta = np.array([-1.0, -0.1, 0.0, 0.2, 3.0])
    h = 1e-6
    fd = np.array([(S.woodworth_potential(beta + h * e, 0.3)
                    - S.woodworth_potential(beta - h * e, 0.3)) / (2 * h) for e in np.eye(5)])
    np.testing.assert_allclose(fd, S.woodworth_mirror_map(beta, 0.3), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("depth", [3, 4])
def test_depth_H_dual_dynamics(depth):
    P = S.Problem.random_blocks([2, 3], seed=5)
    eps = 0.01
    t = np.linspace(0.2, 0.6, 801)
    tr = S.simulate(P, 0.3, eps, depth=depth, t_eval=t)
    np.testing.assert_allclose(tr.dual, S.mirror_map(tr.beta, tr.v, depth), rtol=1e-10)
    d = tr.dual
    # fourth-order central differences
    fd = (d[:-4] - 8 * d[1:-3] + 8 * d[3:-1] - d[4:]) / (12 * (t[1] - t[0]))
    g = tr.grad_u[2:-2]
    np.testing.assert_allclose(fd, -tr.sign * g / (np.abs(g) + eps), atol=1e-5)


# --------------------------------------------------------------------------- bad input


def test_problem_validation():
    with pytest.raises(ValueError, match="`X` must be 2-dimensional"):
        S.Problem(np.ones(3), [1.0])
    with pytest.raises(ValueError, match="`X` contains NaN or inf"):
        S.Problem([[1.0, np.nan]], [1.0])
    with pytest.raises(ValueError, match="`y` must have one entry per row"):
        S.Problem(np.ones((2, 3)), [1.0])
    with pytest.raises(ValueError, match="`y` contains NaN or inf"):
        S.Problem(np.ones((1, 3)), [np.inf])
    with pytest.raises(ValueError, match="`sizes` must be"):
        S.Problem.random_blocks([0, 2])
    with pytest.raises(ValueError, match="`lams` must be > 0"):
        S.Problem.from_angles([0.1], [-1.0], [1.0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(eps=-1e-3), "`eps` must be finite and >= 0"),
        (dict(alpha=0.0), "`alpha` must be finite and > 0"),
        (dict(alpha=np.nan), "`alpha` must be finite and > 0"),
        (dict(depth=1), "`depth` must be an integer >= 2"),
        (dict(depth=2.5), "`depth` must be an integer >= 2"),
        (dict(method="adam"), "`method` must be one of"),
        (dict(t_eval=[0.0, 2.0, 1.0]), "`t_eval` must be strictly increasing"),
        (dict(t_eval=[-1.0, 1.0]), "`t_eval` must be finite and >= 0"),
        (dict(t_eval=np.ones((2, 2))), "`t_eval` must be a non-empty 1-dimensional"),
        (dict(t_max=-1.0), "`t_max` must be finite and > 0"),
        (dict(rtol=1e-16), "`rtol` must be >= 1e-14"),
    ],
)
def test_simulate_rejects_bad_input(kwargs, match):
    args = dict(alpha=0.1, eps=1e-3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        S.simulate(PROBLEMS[0], args.pop("alpha"), args.pop("eps"), **args)


def test_other_entry_points_reject_bad_input():
    P = PROBLEMS[0]
    with pytest.raises(ValueError, match="`problem` must be an ssdlib.Problem"):
        S.simulate(np.ones((2, 3)), 0.1, 1e-3)
    with pytest.raises(ValueError, match="`eta` must be finite and > 0"):
        S.sign_descent(P, 0.1, 1e-3, 0.0, 10)
    with pytest.raises(ValueError, match="`steps` must be an integer >= 1"):
        S.sign_descent(P, 0.1, 1e-3, 1e-3, 0)
    with pytest.raises(ValueError, match="use `simulate_batch` for sweeps"):
        S.simulate(P, [0.1, 0.2], 1e-3)
    general = S.Problem(np.random.default_rng(0).normal(size=(2, 4)), [1.0, 1.0])
    with pytest.raises(ValueError, match="only under Assumption 3.2"):
        S.simulate(general, 0.1, 0.0)
    tr = S.simulate(general, 0.1, 1e-2)
    with pytest.raises(ValueError, match="Assumption 3.2"):
        S.kkt_error(general, tr)
    with pytest.raises(ValueError, match="Assumption 3.8"):
        S.kkt_bounds(P, 0.1, 1e-3)
    with pytest.raises(ValueError, match="Assumption 3.8"):
        S.kkt_Delta(P, S.simulate(P, 0.1, 1e-3))
    with pytest.raises(ValueError, match="gradient descent"):
        S.bregman_E(np.zeros(P.D), S.simulate(P, 0.1, 0.0, method="gd"))
    with pytest.raises(ValueError, match="`v` must be finite and >= 0"):
        S.potential(np.ones(2), -np.ones(2))
    with pytest.raises(ValueError, match="`alpha` must be finite and > 0"):
        S.check_assumptions(P, -0.1, 1e-3)


def test_solver_failures_raise(monkeypatch):
    P = PROBLEMS[0]
    lanes_call = _lanes.integrate_lanes

    def starved(*args, **kwargs):
        kwargs["max_steps"] = 5
        return lanes_call(*args, **kwargs)

    monkeypatch.setattr("ssdlib.flow.integrate_lanes", starved)
    with pytest.raises(RuntimeError, match="more than 5 steps"):
        S.simulate(P, 0.1, 1e-3)

    class Failed:
        status, message, nfev = -1, "Required step size is less than spacing between numbers.", 0

    monkeypatch.setattr("ssdlib.flow.solve_ivp", lambda *a, **k: Failed())
    general = S.Problem(np.random.default_rng(0).normal(size=(2, 4)), [1.0, 1.0])
    with pytest.raises(RuntimeError, match="Radau solver failed: Required step size"):
        S.simulate(general, 0.1, 1e-3)


def test_check_assumptions_report():
    P = S.Problem.from_angles([0.3], [1.0], [1.0])
    good = S.check_assumptions(P, 0.05, 1e-3)
    assert good.a32 and good.a33 and good.a38
    assert "3.3 (eqs. 18-19):      holds" in str(good)
    bad = S.check_assumptions(P, 0.05, 1.0)
    assert not bad.a33 and not bad.eps_ok.any()
    assert "eq. (18) fails at coordinates [0, 1]" in str(bad)
    shuffled = S.Problem.random_blocks([3, 2, 2], seed=1, shuffle=True)
    assert sorted(len(b) for b in shuffled.blocks) == [2, 2, 3]
    assert not S.check_assumptions(shuffled, 0.1, 1e-3).a38
    general = S.Problem(np.ones((2, 3)), [1.0, 1.0])
    assert "3.2 (block structure): fails" in str(S.check_assumptions(general, 0.1, 1e-3))


@pytest.mark.parametrize("alpha", [1e-8, 8.8e-4, 8.2e-3, 0.1, 1.8077686769634342, 7.69])
def test_min_bregman_general_X_converges(alpha):
    rng = np.random.default_rng(0)
    P = S.Problem(rng.standard_normal((3, 8)), rng.standard_normal(3))
    b = S.min_bregman_solution(P, alpha)
    assert np.linalg.norm(P.X @ b - P.y) < 1e-12
    # KKT: the dual variable lies in the row space of X
    g = S.woodworth_mirror_map(b, alpha)
    nu = np.linalg.lstsq(P.X.T, g, rcond=None)[0]
    assert np.linalg.norm(g - P.X.T @ nu) < 1e-9 * (1 + np.linalg.norm(g))


def test_blocks_converging_at_different_times():
    # the blocks converge at t = 0.53, 1.60 and 0.90; the early ones must stay frozen
    thetas = [-0.7123715430278426, 0.3073731182944419, 3.679583310166942]
    lams = [2.3374250503457104, 0.643670056268331, 2.2216555493530854]
    ys = [-0.843843723664941, -2.9039572174168473, 2.042248971193243]
    P = S.Problem.from_angles(thetas, lams, ys)
    tr = S.simulate(P, 0.1, 1e-4)
    assert tr.t[-1] > 1.6
    assert np.linalg.norm(tr.residual[-1]) < 1e-10
    for n in range(3):
        alone = S.simulate(S.Problem.from_angles([thetas[n]], [lams[n]], [ys[n]]), 0.1, 1e-4)
        np.testing.assert_allclose(tr.beta[-1, 2 * n:2 * n + 2], alone.beta_inf, atol=1e-9)
