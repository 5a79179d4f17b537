"""ssdlib.plotting.live (the notebooks' sliders) and ssdlib.glued (numbers of the text)."""

from __future__ import annotations

import io

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from ssdlib import glued
from ssdlib.plotting.live import LiveFigure, _key, neighbours

CALLS = []


def draw(slope=1.0, n=3):
    CALLS.append((slope, n))
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    x = np.linspace(0, 1, 5)
    for k in range(n):
        ax.plot(x, slope * x + k)
    ax.set_title(f"slope {slope:g}, n = {n}")
    return fig


def png(**values):
    buf = io.BytesIO()
    draw(**values).savefig(buf, format="png")
    return buf.getvalue()


def controls():
    return {"slope": widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.5),
            "n": widgets.IntSlider(value=3, min=1, max=4)}


def test_shows_the_frame_of_the_current_values():
    live = LiveFigure(draw, controls(), prefetch=False)
    assert live.image.value == png(slope=1.0, n=3)
    live.set(n=1)
    assert live.image.value == png(slope=1.0, n=1)
    live.controls["slope"].value = 10.0  # a student's move goes through the observer
    assert live.image.value == png(slope=10.0, n=1)
    assert len(live.timings) == 2


def test_prefetches_one_step_away_and_then_only_looks_up():
    live = LiveFigure(draw, controls(), prefetch=True)
    live.wait()
    expected = {_key({"slope": s, "n": n}) for s, n in
                [(1.0, 3), (10 ** -0.5, 3), (10 ** 0.5, 3), (1.0, 2), (1.0, 4)]}
    assert set(live._frames) == expected
    CALLS.clear()
    live.set(n=4)  # drawn ahead: no new call of draw for it
    assert (1.0, 4) not in CALLS
    assert live.image.value == png(slope=1.0, n=4)
    live.wait()
    assert _key({"slope": 1.0, "n": 4}) in live._frames


def test_cache_keeps_at_most_cache_size_frames():
    live = LiveFigure(draw, controls(), prefetch=False, cache_size=2)
    for n in (1, 2, 4):
        live.set(n=n)
    assert len(live._frames) == 2


@pytest.mark.parametrize("control, expected", [
    (widgets.IntSlider(value=1, min=1, max=4), [2]),
    (widgets.IntSlider(value=4, min=1, max=4), [3]),
    (widgets.FloatSlider(value=1.0, min=1.0, max=2.0, step=0.25), [1.25]),
    (widgets.FloatLogSlider(value=0.1, base=10, min=-1, max=0, step=0.5), [10 ** -0.5]),
    (widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=0, step=0.5), [10 ** -0.5]),
    (widgets.SelectionSlider(options=[0.0, 1e-3, 1e-2], value=0.0), [1e-3]),
    (widgets.SelectionSlider(options=[0.0, 1e-3, 1e-2], value=1e-3), [0.0, 1e-2]),
])
def test_neighbours_at_the_ends_of_each_slider(control, expected):
    assert neighbours(control) == pytest.approx(expected, rel=1e-12)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="`draw`"):
        LiveFigure(42, controls())
    with pytest.raises(ValueError, match="`controls`"):
        LiveFigure(draw, {})
    with pytest.raises(ValueError, match="'slope' is not an ipywidgets slider"):
        LiveFigure(draw, {"slope": 1.0})
    with pytest.raises(ValueError, match="not a matplotlib Figure"):
        LiveFigure(lambda slope: None, {"slope": widgets.FloatSlider()})
    live = LiveFigure(draw, controls(), prefetch=False)
    with pytest.raises(ValueError, match=r"unknown slider\(s\) \['eps'\]"):
        live.set(eps=1.0)


def test_glued_lists_the_numbers_of_a_text(tmp_path, monkeypatch):
    text = "a {glue:text}`ga:.2f` b {glue:text}`gb` and {glue:text}`ga:.2f` again"
    path = tmp_path / "chapter.md"
    path.write_text(text)
    assert glued.names_in(path) == {"ga": ".2f", "gb": ""}
    monkeypatch.setattr(glued, "_VALUES", {})
    monkeypatch.setattr(glued.Path, "resolve", lambda self: tmp_path / "pkg" / "glued.py")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "ch.md").write_text(text)
    glued._VALUES["ga"] = 3.14159
    with pytest.raises(ValueError, match=r"never computed in this kernel: \['gb'\]"):
        glued.table("ch")
    glued._VALUES["gb"] = "x"
    table = glued.table("ch")._repr_markdown_()
    assert "| `ga:.2f` | 3.14 |" in table and "| `gb` | x |" in table
    with pytest.raises(ValueError, match="no chapter 'nope'"):
        glued.table("nope")
