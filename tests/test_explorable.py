"""Explorable figures: frames over a grid, sliders, alt text, and input validation."""

import base64
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from ssdlib.plotting.explorable import explorable, index_of  # noqa: E402


def _draw(a, b=0.0):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [b, a])
    ax.set_title(f"a={a}, b={b}")
    return fig


def test_one_parameter_frames_default_and_controls():
    ex = explorable(_draw, {"a": [1.0, 2.0, 3.0]}, {"a": 2.0}, alt="a line", labels={"a": "α"})
    assert len(ex.frames) == 3 and len(set(ex.frames)) == 3  # every frame differs
    assert ex.frames[0][:8] == b"\x89PNG\r\n\x1a\n"
    assert ex._repr_png_() == ex.frames[1]
    page = ex._repr_html_()
    img = re.search(r'<img src="data:image/png;base64,([^"]+)"[^>]*alt="([^"]+)"', page)
    assert base64.b64decode(img.group(1)) == ex.frames[1]
    assert img.group(2) == "a line (a = 2)"
    assert page.count('type="range"') == 1
    assert 'max="2"' in page and 'value="1"' in page and 'aria-valuetext="2"' in page
    assert "α" in page and "<output" in page
    assert "http://" not in page and "https://" not in page  # nothing loaded from a host
    assert ex.nbytes == sum(len(base64.b64encode(f)) for f in ex.frames)


def test_two_parameters_are_row_major():
    ex = explorable(_draw, {"a": [1, 2], "b": [0, 5, 9]}, {"a": 2, "b": 5}, alt="x",
                    fmt={"a": "{:d}", "b": "{:.1f}"})
    assert len(ex.frames) == 6 and ex.default_index == 4 == index_of((1, 1), ex.values)
    page = ex._repr_html_()
    assert page.count('type="range"') == 2
    assert "x (a = 2, b = 5.0)" in page
    # the frame at (a = 1, b = 9) is position 2, drawn with those values
    solo = _draw(1, 9)
    assert solo.axes[0].get_title() == "a=1, b=9"
    plt.close(solo)


def test_display_width_follows_the_figure_at_100_px_per_inch():
    ex = explorable(_draw, {"a": [1.0, 2.0]}, {"a": 1.0}, alt="x", dpi=200)
    png_width = int.from_bytes(ex.frames[0][16:20], "big")
    assert ex.width == round(png_width / 2)
    assert abs(ex.width - 300) < 40  # a 3-inch figure, tight bounding box


@pytest.mark.parametrize(
    "grid, default, match",
    [
        ({}, {}, "one or two"),
        ({"a": [1], "b": [1], "c": [1]}, {}, "one or two"),
        ({"a": [1]}, {"a": 1}, "at least two"),
        ({"a": list(range(41))}, {"a": 0}, "at most 40"),
        ({"a": [1, 2]}, {"b": 1}, "value for each"),
        ({"a": [1, 2]}, {"a": 3}, "values of `grid`"),
    ],
)
def test_bad_grids_are_rejected(grid, default, match):
    with pytest.raises(ValueError, match=match):
        explorable(_draw, grid, default, alt="x")
