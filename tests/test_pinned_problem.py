"""ssdlib.problem on small hand-made instances: data handling, block detection, eq. (21)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ssdlib import Problem, check_assumptions


def test_data_are_float_read_only_copies():
    X = [[1, 0, 2], [0, 3, 0]]
    P = Problem(X, [1, -2])
    assert P.X.dtype == np.float64 and P.y.dtype == np.float64
    assert not P.X.flags.writeable and not P.y.flags.writeable
    with pytest.raises(ValueError):
        P.X[0, 0] = 5.0
    with pytest.raises(ValueError):
        P.y[0] = 5.0
    np.testing.assert_array_equal(P.X, np.array(X, float))
    np.testing.assert_array_equal(P.y, [1.0, -2.0])
    assert (P.N, P.D) == (2, 3)
    assert [b.tolist() for b in P.blocks] == [[0, 2], [1]]
    np.testing.assert_array_equal(P.xy_sign, [1.0, -1.0, 1.0])


def test_one_column_is_a_problem_and_no_column_is_not():
    P = Problem([[2.0]], [1.0])
    assert P.D == 1 and [b.tolist() for b in P.blocks] == [[0]]
    with pytest.raises(ValueError, match="at least one row and one column"):
        Problem(np.zeros((1, 0)), [1.0])
    with pytest.raises(ValueError, match="at least one row and one column"):
        Problem(np.zeros((0, 2)), np.zeros(0))


@pytest.mark.parametrize("X,y", [
    ([[1.0, 0.0], [0.0, 0.0]], [1.0, 1.0]),      # a zero row
    ([[1.0, 1.0], [0.0, 1.0]], [1.0, 1.0]),      # a column in two rows
    ([[1.0, 0.0], [0.0, 1.0]], [1.0, 0.0]),      # a zero label
    ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [1.0, 1.0]),  # a zero column
])
def test_blocks_need_assumption_3_2(X, y):
    P = Problem(X, y)
    assert P.blocks is None
    rep = check_assumptions(P, 0.1, 0.01)
    assert rep.a32 is False and rep.a33 is False and rep.a38 is False
    assert rep.eps_ok is None and rep.alpha_interval is None and rep.block_sizes is None
    assert str(rep).splitlines()[1] == (
        "  3.2 (block structure): fails; 3.3 and 3.8 are not defined.")
    with pytest.raises(ValueError, match="Assumption 3.2"):
        P.block_angles()


def test_block_angles_order_columns_by_magnitude():
    # row 0 = (0.6, -0.8) on columns (0, 1): |cos| >= |sin| puts column 1 first,
    # lam = 1, theta = atan2(0.6, -0.8); row 1 = 2 (1, 1)/sqrt2 on columns (2, 3): a tie
    P = Problem([[0.6, -0.8, 0, 0], [0, 0, math.sqrt(2), math.sqrt(2)]], [1.0, -3.0])
    cols, lams, thetas = P.block_angles()
    assert cols.tolist() == [[1, 0], [2, 3]]
    np.testing.assert_allclose(lams, [1.0, 4.0], rtol=1e-15)
    np.testing.assert_allclose(thetas, [math.atan2(0.6, -0.8), math.pi / 4], rtol=1e-15)
    with pytest.raises(ValueError, match="block sizes"):
        Problem([[1.0, 2.0, 3.0]], [1.0]).block_angles()


def test_from_angles_is_eq_21():
    P = Problem.from_angles([0.0, math.pi / 3], [4.0, 9.0], [1.0, -1.0])
    expected = np.array([[2.0, 0.0, 0, 0], [0, 0, 1.5, 3.0 * math.sin(math.pi / 3)]])
    np.testing.assert_allclose(P.X, expected, rtol=1e-15, atol=1e-16)
    np.testing.assert_array_equal(P.y, [1.0, -1.0])
    P = Problem.from_angles(0.3, 2.0, 0.5)  # scalars are one block
    assert P.X.shape == (1, 2)


def test_random_blocks_structure_and_ranges():
    P = Problem.random_blocks([3, 1, 2], seed=7)
    assert [b.tolist() for b in P.blocks] == [[0, 1, 2], [3], [4, 5]]
    mags = np.abs(np.concatenate([P.X[P.X != 0], P.y]))
    assert mags.size == 9 and mags.min() >= 0.5 and mags.max() <= 1.5
    many = Problem.random_blocks([40, 40], seed=1, low=2.0, high=3.0)
    m = np.abs(many.X[many.X != 0])
    assert m.min() >= 2.0 and m.max() <= 3.0 and m.max() > 2.9 and m.min() < 2.1
    assert np.any(many.X > 0) and np.any(many.X < 0)
    same = Problem.random_blocks([2, 2], seed=3, low=1.0, high=1.0)
    np.testing.assert_array_equal(np.abs(same.X[same.X != 0]), 1.0)
    shuffled = Problem.random_blocks([40, 40], seed=1, low=2.0, high=3.0, shuffle=True)
    assert shuffled.blocks is not None
    assert sorted(map(len, shuffled.blocks)) == [40, 40]
    assert shuffled.blocks[0].tolist() != list(range(40))
    np.testing.assert_array_equal(np.sort(np.abs(shuffled.X).sum(axis=0)),
                                  np.sort(np.abs(many.X).sum(axis=0)))
    for sizes in ([0, 2], [1.5], [], [[1, 2]]):
        with pytest.raises(ValueError, match="sizes"):
            Problem.random_blocks(sizes)
    for low, high in ((0.0, 1.0), (2.0, 1.0)):
        with pytest.raises(ValueError, match="low"):
            Problem.random_blocks([2], low=low, high=high)


def test_report_text_when_everything_holds():
    P = Problem.from_angles([0.3], [1.0], [1.0])
    rep = check_assumptions(P, 0.1, 0.001)
    text = str(rep)
    assert text.splitlines() == [
        "Assumptions at alpha = 0.1, eps = 0.001:",
        "  3.2 (block structure): holds, block sizes [2]",
        f"  3.3 (eqs. 18-19):      holds; eps must lie in [0, {rep.eps_interval[1]:.4g}], "
        f"alpha in [{rep.alpha_interval[0]:.4g}, {rep.alpha_interval[1]:.4g}]",
        "  3.8 (blocks of size 2): holds",
    ]
    with pytest.raises(ValueError, match="`eps`"):
        check_assumptions(P, 0.1, -1e-3)
    with pytest.raises(ValueError, match="`alpha`"):
        check_assumptions(P, 0.0, 1e-3)


def test_from_angles_needs_one_dimensional_parameters():
    with pytest.raises(ValueError, match="1-dimensional"):
        Problem.from_angles([[0.3]], [[1.0]], [[1.0]])
    with pytest.raises(ValueError, match="1-dimensional"):
        Problem.from_angles([0.3, 0.2], [1.0], [1.0, 2.0])
