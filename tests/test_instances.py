"""Tests of ssdlib.instances: the seed search and the named instances of the figures."""

from __future__ import annotations

import numpy as np
import pytest

from ssdlib import Problem, check_assumptions
from ssdlib.depth import sign_start_alpha
from ssdlib.instances import (
    FIGURES,
    NoAdmissibleSeedError,
    REGISTRY,
    figure1_admissible_instance,
    figure1_instance,
    figure2_admissible_instance,
    figure2_draw,
    figure2_instance,
    first_admissible_seed,
    get,
)


def a33_by_formula(problem, alpha, eps):
    """Eqs. (18)-(19) typed from the paper, independently of ssdlib.check_assumptions."""
    X, y = problem.X, problem.y
    for n in range(X.shape[0]):
        cols = np.flatnonzero(X[n])
        ax, ay = np.abs(X[n, cols]), abs(y[n])
        s = ax.sum()
        if np.any(eps > ax * ay**1.5 / (9 * np.sqrt(2 * s))):
            return False
        if np.any(9 * eps / (4 * ax * ay) > alpha) or alpha > np.sqrt(ay / (2 * s)) / 3:
            return False
    return True


def blocks(seed):
    return Problem.random_blocks([3, 2], seed)


def test_first_admissible_seed_is_the_first():
    eps = (0.002, 0.01)
    seed = first_admissible_seed(blocks, 0.1, eps, seeds=range(5, 100))
    assert 5 <= seed < 100
    assert all(a33_by_formula(blocks(seed), 0.1, e) for e in eps)
    for s in range(5, seed):
        assert not all(a33_by_formula(blocks(s), 0.1, e) for e in eps)


def test_first_admissible_seed_raises_when_none_qualifies():
    with pytest.raises(NoAdmissibleSeedError, match="no seed satisfies Assumption 3.3"):
        first_admissible_seed(blocks, 0.1, (1.0,), seeds=range(20))


@pytest.mark.parametrize(
    ("build", "eps", "match"),
    [
        (None, (0.01,), "`build` must be a callable"),
        (blocks, (), "`eps` must hold at least one"),
        (lambda s: np.eye(2), (0.01,), "`build` must return an ssdlib.Problem"),
    ],
)
def test_first_admissible_seed_validation(build, eps, match):
    with pytest.raises(ValueError, match=match):
        first_admissible_seed(build, 0.1, eps)


def test_figure2_draw_parameters_of_eq_21():
    draw = figure2_draw(7)
    x = draw.problem.X[0]
    np.testing.assert_allclose(x, np.sqrt(draw.lam) * np.array([np.cos(draw.theta),
                                                                 np.sin(draw.theta)]))
    assert 0.1 <= draw.theta <= np.pi / 4 and abs(x[0]) >= abs(x[1])
    assert 0.5 <= draw.lam <= 2.0 and 0.5 <= abs(draw.y) <= 2.0
    assert draw.problem.y[0] == draw.y
    again = figure2_draw(7)
    np.testing.assert_array_equal(again.problem.X, draw.problem.X)


def seed42(shape_x, n_y):
    """The paper's draw, typed from the fitted description: seed 42, X then y, U(-1, 1)."""
    rng = np.random.RandomState(42)
    return rng.uniform(-1, 1, shape_x), rng.uniform(-1, 1, n_y)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_named_instances_state_where_assumption_3_3_holds(name):
    inst = REGISTRY[name]()
    ok = {e: all(a33_by_formula(inst.problem, a, e) for a in np.atleast_1d(inst.alpha))
          for e in inst.eps}
    assert inst.assumption_3_3 == ok
    assert (inst.outside == "") == all(ok.values())
    assert ("3.3" in inst.assumptions) == all(ok.values())
    assert inst.problem.blocks is not None
    assert inst.construction in inst.label and inst.why


def test_figure1_instance_is_the_papers_draw():
    inst = figure1_instance()
    X, y = seed42((2, 5), 2)
    X[0, [1, 4]] = 0.0
    X[1, [0, 2, 3]] = 0.0
    np.testing.assert_array_equal(inst.problem.X, X)
    np.testing.assert_array_equal(inst.problem.y, y)
    assert [sorted(b.tolist()) for b in inst.problem.blocks] == [[0, 2, 3], [1, 4]]
    assert inst.eps == (0.002, 0.01) and inst.alpha == 0.1
    assert inst.admissible_eps == (0.002,)
    assert "eq. (19) at coordinates [4]" in inst.outside  # 9 eps / (4 |x_4 y_1|) > alpha
    assert 9 * 0.01 / (4 * abs(X[0, 3] * y[0])) > 0.1


def test_figure1_admissible_instance_scales_row_1():
    paper, adm = figure1_instance().problem, figure1_admissible_instance().problem
    np.testing.assert_allclose(adm.X[0], 1.1 * paper.X[0])
    np.testing.assert_allclose(adm.y, [1.1 * paper.y[0], paper.y[1]])
    np.testing.assert_array_equal(adm.X[1], paper.X[1])
    assert all(a33_by_formula(adm, 0.1, e) for e in (0.002, 0.01))


def test_figure2_instances():
    inst, adm = figure2_instance(), figure2_admissible_instance()
    X, y = seed42((1, 2), 1)
    np.testing.assert_array_equal(inst.problem.X, X)
    np.testing.assert_array_equal(inst.problem.y, y)
    assert inst.admissible_eps == (0.001, 0.002, 0.005)
    np.testing.assert_allclose(adm.problem.X, 2 * X)
    np.testing.assert_allclose(adm.problem.y, 2 * y)
    assert adm.admissible_eps == adm.eps == (0.001, 0.002, 0.005, 0.01, 0.02)
    assert "3.8" in adm.assumptions


# The book's random instances: key -> (sizes, seed, alpha, eps), typed from the chapters.
RANDOM = {
    "figure1_sized": ([3, 2], 0, 0.1, (0.002, 0.005, 0.01)),
    "eight_coordinates": ([4, 4], 2, tuple(np.geomspace(1e-6, 10.0, 41)), (0.0,)),
    "depth_shared": ([2, 3], 0, 0.1, (0.01,)),
    "row10": ([10], 6, 0.1, (0.01,)),
    "depth_explorer_plane": ([2], 3, 0.2, tuple(10.0 ** np.arange(-3, -0.99, 0.25))),
    "weight_decay_plane": ([2], 1, 0.1, (0.05,)),
}


@pytest.mark.parametrize("key", sorted(RANDOM))
def test_random_instance_is_its_construction(key):
    sizes, seed, alpha, eps = RANDOM[key]
    inst = get(key)
    expected = Problem.random_blocks(sizes, seed=seed)
    built = eval(inst.construction, {"Problem": Problem})  # the string rebuilds the data
    for problem in (inst.problem, built):
        np.testing.assert_array_equal(problem.X, expected.X)
        np.testing.assert_array_equal(problem.y, expected.y)
    assert inst.construction == f"Problem.random_blocks({sizes}, seed={seed})"
    assert inst.seed == seed and inst.construction in inst.label
    np.testing.assert_allclose(inst.alpha, alpha, rtol=1e-15)
    np.testing.assert_allclose(inst.eps, eps, rtol=1e-15)


@pytest.mark.parametrize("key", sorted(RANDOM))
def test_random_instance_reports_its_assumptions(key):
    inst = get(key)
    reps = [check_assumptions(inst.problem, a, e)
            for a in np.atleast_1d(inst.alpha) for e in inst.eps]
    expected = {"3.2": all(r.a32 for r in reps), "3.3": all(r.a33 for r in reps),
                "3.8": all(r.a38 for r in reps)}
    assert set(inst.assumptions) == {k for k, ok in expected.items() if ok}
    assert (inst.outside == "") == expected["3.3"]
    assert inst.why.endswith(".") and inst.name


def test_random_instances_where_the_chapters_say():
    assert get("figure1_sized").assumptions == ("3.2", "3.3")
    assert get("weight_decay_plane").assumptions == ("3.2", "3.3", "3.8")
    assert "3.3" not in get("row10").assumptions            # alpha = 0.1 > 0.0843
    plane = get("depth_explorer_plane")
    assert plane.admissible_eps == plane.eps[:7]
    sweep = get("eight_coordinates")
    assert "11 of the 41 values of alpha (0.1778 to 10)" in sweep.outside
    depth = get("depth_shared")
    assert sign_start_alpha(depth.problem, 2, 0.01) == depth.alpha


def test_names_and_keys_are_unique():
    insts = [make() for make in REGISTRY.values()]
    names = [inst.name for inst in insts]
    assert len(set(names)) == len(names) == len(REGISTRY)
    assert len({inst.label for inst in insts}) == len(insts)
    assert set(FIGURES) <= set(REGISTRY) and set(RANDOM) == set(REGISTRY) - set(FIGURES)


def test_get_returns_the_registry_entry():
    for key, make in REGISTRY.items():
        assert get(key).name == make().name


@pytest.mark.parametrize("bad", ["Figure-1-sized instance", "figure3", None])
def test_get_raises_on_an_unknown_name(bad):
    with pytest.raises(ValueError, match=r"no named instance .*'figure1_sized'") as err:
        get(bad)
    assert repr(bad) in str(err.value)
