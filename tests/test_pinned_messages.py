"""Every validated argument of the core API is named, in backticks, in the error it raises."""

from __future__ import annotations

import numpy as np
import pytest

import ssdlib as S
from ssdlib import bounds as B
from ssdlib import optim as O
from ssdlib import steepest as st

NAN = float("nan")
ONE = (np.array([[1.0]]), np.array([1.0]))
P = S.Problem.from_angles([0.3], [1.0], [1.0])
TH = 0.3

CASES = [
    # ssdlib.problem
    ("X", lambda: S.Problem("abc", [1.0])),
    ("y", lambda: S.Problem([[1.0]], [NAN])),
    ("alpha", lambda: S.check_assumptions(P, -1.0, 0.0)),
    ("eps", lambda: S.check_assumptions(P, 0.1, -1.0)),
    ("eps", lambda: S.check_assumptions(P, 0.1, "a")),
    # ssdlib.bounds
    ("lam", lambda: B.kkt_bounds_block(NAN, TH, 1.0, 0.1, 0.0)),
    ("theta", lambda: B.kkt_bounds_block(1.0, NAN, 1.0, 0.1, 0.0)),
    ("y", lambda: B.kkt_bounds_block(1.0, TH, NAN, 0.1, 0.0)),
    ("alpha", lambda: B.kkt_bounds_block(1.0, TH, 1.0, NAN, 0.0)),
    ("eps", lambda: B.kkt_bounds_block(1.0, TH, 1.0, 0.1, NAN)),
    ("lams", lambda: B.corollary_3_12_bound([NAN], [TH], [1.0], 0.0)),
    ("thetas", lambda: B.corollary_3_12_bound([1.0], [NAN], [1.0], 0.0)),
    ("ys", lambda: B.corollary_3_12_bound([1.0], [TH], [NAN], 0.0)),
    ("eps", lambda: B.corollary_3_12_bound([1.0], [TH], [1.0], NAN)),
    ("thetas", lambda: B.corollary_3_12_bound([1.0], [[TH]], [1.0], 0.0)),
    ("ys", lambda: B.corollary_3_12_bound([1.0], [TH], [], 0.0)),
    ("abs_x", lambda: B.assumption_3_3_intervals([NAN], 1.0)),
    ("abs_y", lambda: B.assumption_3_3_intervals([1.0], NAN)),
    ("eps", lambda: B.assumption_3_3_intervals([1.0], 1.0, NAN)),
    # ssdlib.mirror
    ("alpha", lambda: S.woodworth_potential([1.0], -1.0)),
    ("alpha", lambda: S.woodworth_mirror_map([1.0], -1.0)),
    ("alpha", lambda: S.min_bregman_solution(P, -1.0)),
    ("alpha", lambda: S.kkt_bounds(P, -1.0, 0.0)),
    ("eps", lambda: S.kkt_bounds(P, 0.1, -1.0)),
    ("beta", lambda: S.potential([NAN], [1.0])),
    ("v", lambda: S.mirror_map([1.0], [-1.0])),
    ("depth", lambda: S.potential([1.0], [1.0], depth=1)),
    # ssdlib.flow
    ("alpha", lambda: S.simulate(P, -1.0, 0.1)),
    ("eps", lambda: S.simulate(P, 0.1, -1.0)),
    ("t_max", lambda: S.simulate(P, 0.1, 0.1, t_max=-1.0)),
    ("rtol", lambda: S.simulate(P, 0.1, 0.1, rtol=-1.0)),
    ("atol", lambda: S.simulate(P, 0.1, 0.1, atol=-1.0)),
    ("eta", lambda: S.sign_descent(P, 0.1, 0.1, -1.0, 3)),
    ("steps", lambda: S.sign_descent(P, 0.1, 0.1, 0.1, 0)),
    ("record_every", lambda: S.sign_descent(P, 0.1, 0.1, 0.1, 3, record_every=0)),
    ("alpha", lambda: S.sign_flow_hitting_times(P, -1.0)),
    ("depth", lambda: S.sign_flow_hitting_times(P, 0.1, depth=1)),
    # ssdlib.optim
    ("steps", lambda: O.optimize(ONE, "gd", 0.5, 0.1, 0)),
    ("record_every", lambda: O.optimize(ONE, "gd", 0.5, 0.1, 2, record_every=0)),
    ("beta1", lambda: O.optimize(ONE, "adam", 0.5, 0.1, 2, beta1=1.0)),
    ("beta2", lambda: O.optimize(ONE, "adam", 0.5, 0.1, 2, beta2=-0.1)),
    ("weight_decay", lambda: O.optimize(ONE, "gd", 0.5, 0.1, 2, weight_decay=-1.0)),
    ("eta", lambda: O.optimize(ONE, "gd", 0.5, "a", 2)),
    ("eta", lambda: O.optimize(ONE, "gd", 0.5, 0.0, 2)),
    ("optimizer", lambda: O.optimize(ONE, "lion", 0.5, 0.1, 2)),
    ("fraction", lambda: O.escape_learning_rate(ONE, 0.5, 2, fraction=1.0)),
    ("eta_start", lambda: O.escape_learning_rate(ONE, 0.5, 2, eta_start=0.0)),
    ("rtol", lambda: O.escape_learning_rate(ONE, 0.5, 2, rtol=0.0)),
    ("max_doublings", lambda: O.escape_learning_rate(ONE, 0.5, 2, max_doublings=0)),
    ("eta_start", lambda: O.escape_learning_rate(ONE, 0.5, 2, eta_start="a")),
    ("rtol", lambda: O.escape_learning_rate(ONE, 0.5, 2, rtol="a")),
    # ssdlib.steepest
    ("q", lambda: st.steepest_flow(ONE, 0.5, 3.0)),
    ("alpha", lambda: st.steepest_flow(ONE, 0.0, 2.0)),
    ("eps", lambda: st.steepest_flow(ONE, 0.5, 2.0, eps=-1.0)),
    ("weight_decay", lambda: st.steepest_flow(ONE, 0.5, 2.0, weight_decay=-1.0)),
    ("t_max", lambda: st.steepest_flow(ONE, 0.5, 2.0, t_max=-1.0)),
    ("t_eval", lambda: st.steepest_flow(ONE, 0.5, 2.0, t_eval=[1.0, 0.5])),
    ("t_eval", lambda: st.steepest_flow(ONE, 0.5, 2.0, t_eval=[-1.0, 0.5])),
    ("init", lambda: st.steepest_flow(ONE, 0.5, 2.0, init="zero")),
    ("init", lambda: st.steepest_flow(ONE, 0.5, 2.0, init="saddle")),
    ("fraction", lambda: st.escape_times(ONE, [0.1], 2.0, fraction=2.0)),
    ("t_max", lambda: st.escape_times(ONE, [0.1], 2.0, t_max=-1.0)),
    ("alphas", lambda: st.escape_times(ONE, [-0.1], 2.0)),
    ("alphas", lambda: st.escape_times(ONE, [[0.1]], 2.0)),
    ("fraction", lambda: st.escape_times(ONE, [0.1], 2.0, fraction=0.0)),
    ("times", lambda: st.fit_escape_slope([0.1, 0.2], [0.0, 1.0])),
    ("n_samples", lambda: st.sparse_regression(True, 3, 1)),
    ("record_every", lambda: S.sign_descent(P, 0.1, 0.1, 0.1, 3, record_every=True)),
    ("q", lambda: st.escape_exponent(0.5, 2)),
    ("eps", lambda: st.escape_exponent(1.0, 2, eps=-1.0)),
    ("q", lambda: st.mirror_map([1.0], 2.5, 2)),
    ("depth", lambda: st.mirror_potential([1.0], 1.0, 1)),
    ("noise", lambda: st.sparse_regression(2, 3, 1, noise=-1.0)),
    ("n_samples", lambda: st.sparse_regression(0, 3, 1)),
    ("n_nonzero", lambda: st.sparse_regression(2, 3, 4)),
    ("scale", lambda: st.fit_escape_slope([0.1, 0.2], [1.0, 2.0], scale="log")),
    ("horizon", lambda: st.final_iterate(ONE, "gd", 0.5, 0.1, -1.0)),
    ("eta", lambda: st.final_iterate(ONE, "gd", 0.5, 0.0, 1.0)),
    ("problem", lambda: st.steepest_flow(3.0, 0.5, 2.0)),
    ("depths", lambda: st.depth_sparsity_experiment([0], [], {"gd": (2.0, 0.0)})),
    ("seeds", lambda: st.depth_sparsity_experiment([], [2], {"gd": (2.0, 0.0)})),
    ("methods", lambda: st.depth_sparsity_experiment([0], [2], {})),
]


@pytest.mark.parametrize("name,call", CASES, ids=[f"{n}-{k}" for k, (n, _) in enumerate(CASES)])
def test_error_names_the_argument(name, call):
    with pytest.raises(ValueError, match=f"`{name}`"):
        call()


def test_final_iterate_says_what_the_numbers_are():
    with pytest.raises(ValueError, match=r"`horizon` must be > 0 \(the time of the flow\)"):
        st.final_iterate(ONE, "gd", 0.5, 0.1, -1.0)
    with pytest.raises(ValueError, match=r"`eta` must be > 0 \(the learning rate\)"):
        st.final_iterate(ONE, "gd", 0.5, -0.1, 1.0)


def test_steepest_flow_rejects_negative_output_times_itself():
    with pytest.raises(ValueError, match="`t_eval` must be finite, >= 0"):
        st.steepest_flow(ONE, 0.5, 2.0, t_eval=[-1.0, 0.5])
