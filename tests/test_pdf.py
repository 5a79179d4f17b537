"""The PDF of the book (``make pdf``): complete, with every chapter and figure, math typeset.

Reads ``_build/pdf/ssd-book.pdf`` and ``ssd-book-instructors.pdf`` with poppler's ``pdftotext``
and ``pdfimages`` and compares them with the single-page HTML they were printed from.
"""

from __future__ import annotations

import collections
import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "_build" / "pdf"
SINGLE = ROOT / "_build" / "singlehtml" / "book" / "intro.html"

pytestmark = pytest.mark.pdf


def _text(pdf: Path) -> str:
    if not pdf.is_file():
        pytest.fail(f"{pdf} is missing: run `make pdf`", pytrace=False)
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils", pytrace=False)
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    return re.sub(r"\s+", " ", out).replace("\u2019", "'")


def _prose(pdf: Path) -> str:
    """The PDF's text outside code: fragments set in a monospace font are left out."""
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", str(pdf)], check=True,
                         capture_output=True, text=True).stdout
    mono = {m.group(1) for m in re.finditer(r'<fontspec id="(\d+)"[^>]*family="([^"]*)"', xml)
            if "mono" in m.group(2).lower() or "courier" in m.group(2).lower()}
    parts = [html.unescape(re.sub(r"<[^>]+>", "", m.group(2)))
             for m in re.finditer(r'<text [^>]*font="(\d+)"[^>]*>(.*?)</text>', xml)
             if m.group(1) not in mono]
    return re.sub(r"\s+", " ", " ".join(parts))


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))


def _chapter_titles() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    titles = []
    for f in files:
        text = (ROOT / f"{f}.md").read_text(encoding="utf-8")
        title = re.search(r"^# (.+)$", text, re.M).group(1)
        titles.append(re.sub(r"`([^`]*)`", r"\1", title).strip())
    return titles


class _Figures(HTMLParser):
    """Figure numbers ("Fig. 4.3") of the single-page HTML."""

    def __init__(self):
        super().__init__()
        self.numbers: list[str] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        self._in = tag == "span" and ("class", "caption-number") in attrs

    def handle_data(self, data):
        if self._in and data.strip().startswith("Fig"):
            self.numbers.append(data.strip())
            self._in = False


@pytest.fixture(scope="module")
def student():
    return _text(PDF / "ssd-book.pdf")


@pytest.fixture(scope="module")
def instructors():
    return _text(PDF / "ssd-book-instructors.pdf")


def test_every_chapter_title(student):
    missing = [t for t in _chapter_titles() if t not in student]
    assert not missing, f"chapter titles missing from the PDF: {missing}"


def test_every_figure_with_its_caption(student):
    assert SINGLE.is_file(), f"{SINGLE} is missing: run `make pdf`"
    figs = _Figures()
    figs.feed(SINGLE.read_text(encoding="utf-8"))
    assert len(figs.numbers) >= 20, figs.numbers
    missing = [n for n in figs.numbers if n not in student]
    assert not missing, f"figure captions missing from the PDF: {missing}"
    images = subprocess.run(["pdfimages", "-list", str(PDF / "ssd-book.pdf")], check=True,
                            capture_output=True, text=True).stdout.splitlines()[2:]
    assert len(images) >= len(figs.numbers)


@pytest.mark.parametrize("which", ["ssd-book.pdf", "ssd-book-instructors.pdf"])
def test_no_untypeset_math(which):
    _text(PDF / which)  # fails with a clear message when the PDF is missing
    text = _prose(PDF / which)
    assert len(text) > 100_000, "too little text outside code: is the PDF complete?"
    for raw in ("\\(", "\\)", "\\[", "$$", "\\frac", "\\alpha", "\\varepsilon"):
        assert raw not in text, f"untypeset TeX {raw!r} in the {which} PDF"
    dollars = re.findall(r"\$[^$\s][^$]{0,80}\$", text)
    assert not dollars, f"$...$ left in the {which} PDF: {dollars[:5]}"


def test_theorem_blocks_and_exercises(student):
    for word in ("Theorem", "Proposition", "Lemma", "Exercise"):
        assert word in student


def test_instructors_pdf_shows_the_solutions(student, instructors):
    assert _pages(PDF / "ssd-book-instructors.pdf") > _pages(PDF / "ssd-book.pdf")
    assert len(instructors) > len(student) * 1.05



def _table_headers() -> collections.Counter:
    """Header rows of the single-page HTML's tables whose cells are single words, counted."""
    src = SINGLE.read_text(encoding="utf-8")
    rows = collections.Counter()
    for head in re.finditer(r"<thead>(.*?)</thead>", src, re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<th[^>]*>(.*?)</th>", head.group(1), re.S)]
        if len(cells) > 1 and all(re.fullmatch(r"[A-Za-z]+", c) for c in cells):
            rows[tuple(cells)] += 1
    return rows


@pytest.mark.parametrize("which", ["ssd-book.pdf", "ssd-book-instructors.pdf"])
def test_tables_fit_the_page(which):
    """Every table prints whole: its header row (single words, which do not wrap unless the
    column is squeezed) is on one line of the PDF as often as such tables exist, so no column
    is cut off at the edge of the page; wide tables are scaled to the text width
    (tools/pdf.py), none below 80% (their 9 pt text stays above 7 pt)."""
    assert SINGLE.is_file(), f"{SINGLE} is missing: run `make pdf`"
    text = subprocess.run(["pdftotext", "-layout", str(PDF / which), "-"], check=True,
                          capture_output=True, text=True).stdout
    rows = _table_headers()
    assert sum(rows.values()) >= 30, rows  # the claims tables of every chapter
    cut = [(row, n, len(re.findall(r"[ \t]+".join(row), text))) for row, n in rows.items()]
    cut = [c for c in cut if c[2] < c[1]]
    assert not cut, f"tables cut in {which} (header, tables, printed whole): {cut}"
    layout = json.loads((PDF / "layout.json").read_text(encoding="utf-8"))[which]
    assert not layout["wide"], f"still wider than the text in {which}: {layout['wide']}"
    small = [(t, s) for t, s in layout["scaled"] if s < 0.8]
    assert not small, f"tables scaled below 80% in {which}: {small}"
