"""The book's figure style: column width, legible text, legends off the data."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import ssdlib.plotting  # noqa: E402, F401  (applies the style)
from ssdlib.plotting import style  # noqa: E402


def test_style_is_applied_on_import():
    for key, value in style.RC.items():
        assert matplotlib.rcParams[key] == value, key


def test_default_fonts_render_at_9_css_px_or_more():
    smallest = min(v for k, v in style.RC.items() if "size" in k)
    assert smallest >= style.MIN_FONT_PT
    assert style.MIN_FONT_PT / 72 * style.DPI >= 9.0  # points -> CSS px at one dot per px
    assert style.COLUMN_WIDTH * style.DPI <= 672


def test_column_figure_and_legend_below():
    fig = style.column_figure(3.0, fraction=0.5)
    assert fig.get_figwidth() == pytest.approx(style.COLUMN_WIDTH / 2)
    ax = fig.subplots()
    ax.plot(np.arange(3), label="a")
    ax.plot(np.arange(3) ** 2, label="b")
    leg = style.legend_below(fig)
    fig.canvas.draw()
    # the legend sits below every axes: it covers no data
    assert leg.get_window_extent().y1 <= ax.get_window_extent().y0 + 1
    assert [t.get_text() for t in leg.get_texts()] == ["a", "b"]
    assert style.legibility_problems(fig) == []


def test_legibility_problems_are_reported():
    fig = Figure(figsize=(9.0, 3.0))
    ax = fig.subplots()
    ax.set_title("tiny", fontsize=5)
    problems = style.legibility_problems(fig)
    assert any("wider than the column" in p for p in problems)
    assert any("'tiny' at 5.0 pt" in p for p in problems)


@pytest.mark.parametrize("kw, match", [({"fraction": 1.5}, "fraction"),
                                       ({"fraction": 0}, "fraction")])
def test_bad_sizes_are_rejected(kw, match):
    with pytest.raises(ValueError, match=match):
        style.column_figure(3.0, **kw)
    with pytest.raises(ValueError, match="height"):
        style.column_figure(-1.0)


def test_a_full_column_figure_is_saved_within_the_column():
    fig = style.column_figure(2.5)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], label="line")
    style.legend_below(fig)
    assert 640 <= style.saved_width(fig) <= 672
    wide = Figure(figsize=(7.5, 2.5), layout="constrained")
    wide.subplots().plot([0, 1])
    assert any("672 px" in p for p in style.legibility_problems(wide))
