"""The analytic Jacobians handed to the implicit solvers, against central finite differences.

A wrong Jacobian only slows Radau or LSODA down (their Newton iterations still converge to the
same solution), so the trajectories cannot show it; the Jacobians are compared here directly
with central differences of the right-hand sides, in units of the difference error.
"""

from __future__ import annotations

import numpy as np
import pytest

import ssdlib as S
from ssdlib.flow import _full_system
from ssdlib.steepest.flows import _make_field

X = np.array([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8]])
Y = np.array([1.0, -0.5])


def fd_jacobian(f, w, h=1e-6):
    J = np.empty((w.size, w.size))
    for k in range(w.size):
        e = np.zeros_like(w)
        e[k] = h * max(1.0, abs(w[k]))
        J[:, k] = (f(w + e) - f(w - e)) / (2 * e[k])
    return J


def assert_jacobian(jac, f, w, tol=1e-6):
    exact, fd = jac(w), fd_jacobian(f, w)
    err = np.max(np.abs(exact - fd)) / (tol * max(1.0, np.max(np.abs(fd))))
    assert err < 1, f"{err:.2f} tolerance units"


@pytest.mark.parametrize("q,eps,L,tied,lam,decoupled", [
    (2.0, 0.0, 2, True, 0.0, True),
    (1.0, 0.05, 3, True, 0.0, True),
    (1.5, 0.1, 3, False, 0.0, True),
    (1.5, 0.0, 2, False, 0.3, True),    # the regularised Hoelder field, factorised
    (1.5, 0.0, 3, True, 0.3, False),    # coupled decay: the constant floor
    (1.0, 0.05, 2, True, 0.2, False),
    (1.0, 0.05, 2, False, 0.2, True),
])
def test_steepest_field_jacobian(q, eps, L, tied, lam, decoupled):
    K = 1 if tied else L
    rng = np.random.default_rng(3)
    W0 = np.full((2, K, 3), 0.4)
    rhs, jac = _make_field(X, Y, q, eps, L, tied, lambda t: lam, decoupled, W0)
    for _ in range(2):
        w = rng.uniform(0.3, 0.9, 2 * K * 3)
        assert_jacobian(lambda v: jac(0.5, v), lambda v: rhs(0.5, v), w)
    # the field itself at one point, from its definition (tied, decoupled, eps > 0)
    if tied and decoupled and eps > 0:
        w = rng.uniform(0.3, 0.9, 6)
        u, v = w[:3], w[3:]
        rho = 0.5 * X.T @ (X @ (u**L - v**L) - Y)
        g = np.concatenate([L * u ** (L - 1) * rho, -L * v ** (L - 1) * rho])
        expected = -g * (np.abs(g) + eps) ** (q - 2) - lam * w
        np.testing.assert_allclose(rhs(0.0, w), expected, rtol=1e-13)


@pytest.mark.parametrize("H,eps,gd", [(2, 0.05, False), (3, 0.01, False), (2, 0.0, True),
                                      (3, 0.0, True)])
def test_flow_full_system_jacobian(H, eps, gd):
    fun, jac, _ = _full_system(S.Problem(X, Y), H, eps, gd)
    rng = np.random.default_rng(5)
    for _ in range(2):
        w = rng.uniform(0.2, 0.9, 6)
        assert_jacobian(lambda v: jac(0.0, v), lambda v: fun(0.0, v), w)
