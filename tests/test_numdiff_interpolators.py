"""Finite-difference stencils against closed forms; reference interpolators on hand-solved data."""

import numpy as np
import pytest

from ssdlib import Problem
from ssdlib.interpolators import min_l1_solution, min_l2_solution
from ssdlib.numdiff import central_gradient, five_point_derivative, stencil_times


def test_central_gradient_of_a_quadratic_is_exact_up_to_roundoff():
    A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
    x = np.array([0.3, -1.2, 0.7])
    g = central_gradient(lambda v: 0.5 * v @ A @ v, x, h=1e-3)
    np.testing.assert_allclose(g, A @ x, rtol=0, atol=1e-10)


def test_central_gradient_of_a_vector_function_is_the_transposed_jacobian():
    x = np.array([0.4, 1.1])
    J_T = central_gradient(lambda v: np.array([v[0] * v[1], np.sin(v[0])]), x, h=1e-6)
    exact = np.array([[x[1], np.cos(x[0])], [x[0], 0.0]])
    np.testing.assert_allclose(J_T, exact, atol=1e-9)


def test_five_point_derivative_is_fourth_order():
    t = np.linspace(0.5, 2.0, 7)
    errors = []
    for h in (1e-1, 5e-2):
        d, centre = five_point_derivative(np.exp(stencil_times(t, h)), h)
        np.testing.assert_allclose(centre, np.exp(t), rtol=1e-15)
        errors.append(np.max(np.abs(d - np.exp(t)) / np.exp(t)))
    order = np.log2(errors[0] / errors[1])
    assert 3.8 < order < 4.2


def test_five_point_derivative_keeps_trailing_axes():
    t = np.array([1.0, 2.0])
    s = stencil_times(t, 1e-3)
    samples = np.stack([s**2, s**3], axis=1)  # shape (10, 2)
    d, _ = five_point_derivative(samples, 1e-3)
    np.testing.assert_allclose(d, np.stack([2 * t, 3 * t**2], axis=1), rtol=1e-10)


@pytest.mark.parametrize("h", [0.0, -1e-3, np.inf, [1e-3]])
def test_bad_step_is_rejected(h):
    with pytest.raises(ValueError, match="`h`"):
        stencil_times([1.0], h)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="`samples`"):
        five_point_derivative(np.ones(7), 1e-3)
    with pytest.raises(ValueError, match="`t`"):
        stencil_times(np.ones((2, 2)), 1e-3)
    with pytest.raises(ValueError, match="`x`"):
        central_gradient(np.sum, np.ones((2, 2)))


def test_min_l2_and_l1_on_one_equation():
    # x . beta = y with x = (1, 2), y = 2: the l2 solution is x y / |x|^2, the l1 solution
    # puts everything on the larger entry.
    P = Problem(np.array([[1.0, 2.0]]), np.array([2.0]))
    np.testing.assert_allclose(min_l2_solution(P), [0.4, 0.8], rtol=1e-14)
    np.testing.assert_allclose(min_l1_solution(P), [0.0, 1.0], atol=1e-12)


def test_min_l1_on_blocks_uses_the_largest_entry_of_each_row():
    P = Problem.random_blocks([3, 2], seed=4)
    beta = min_l1_solution(P)
    np.testing.assert_allclose(P.X @ beta, P.y, atol=1e-12)
    for n, b in enumerate(P.blocks):
        k = b[np.argmax(np.abs(P.X[n, b]))]
        expected = np.zeros(P.D)
        expected[k] = P.y[n] / P.X[n, k]
        np.testing.assert_allclose(beta[b], expected[b], atol=1e-12)


def test_interpolators_reject_non_problems():
    with pytest.raises(ValueError, match="`problem`"):
        min_l1_solution(np.eye(2))
    with pytest.raises(ValueError, match="`problem`"):
        min_l2_solution(np.eye(2))
