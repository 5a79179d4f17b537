"""The chapters as a student runs them: JupyterLab on 127.0.0.1, headless Chromium, offline.

JupyterLab is started from this environment with the chapters opened as notebooks (the
``jupytext-config`` step of ``postBuild``). Every chapter with sliders is opened and run in
full (*Run All*, which runs the widget cells the book build skips), then checked as a student
sees it: no error output, every code cell run, no formula rejected by the math renderer, no
raw MyST syntax in the rendered text, the answer of a dropdown hidden until opened, the numbers
of the text listed by the notebook's last cell, and every slider, moved once, repaints its
figure. How fast is measured by ``make bench-ui``, not here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import lab  # noqa: E402

from ssdlib import glued  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def session():
    with lab.jupyterlab() as (base, token), lab.browser() as page:
        yield page, base, token


@pytest.mark.parametrize("name", lab.WIDGET_CHAPTERS)
def test_chapter_in_jupyterlab(session, name):
    page, base, token = session
    chapter = lab.Chapter(page, base, token, name)
    chapter.run_all()
    assert chapter.errors() == []
    assert chapter.math_errors() == []
    text = chapter.markdown_text()
    assert [raw for raw in lab.RAW_MYST if raw in text] == []
    # a dropdown answer: present, closed
    closed = page.evaluate(
        """() => [...document.querySelectorAll(
             '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell details')]
             .map(d => d.open)""")
    assert closed and not any(closed), "no dropdown answer, or one shown open"
    # the numbers of the text, listed with their values by the last cell
    output = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").last
    listed = output.locator(".jp-OutputArea-output").inner_text()
    for key in glued.names_in(ROOT / "book" / f"{name}.md"):
        assert key in listed, f"{key} missing from the notebook's table of numbers"
    handles = chapter.sliders()
    assert handles.count() >= 1, "no slider rendered"
    for i in range(handles.count()):
        ms = chapter.move(handles.nth(i), "ArrowRight", settle_ms=300, timeout_ms=20_000)
        assert ms is not None, f"slider {i} did not repaint its figure"
    assert page.blocked == []
