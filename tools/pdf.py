"""Print the single-page HTML build of the book to PDF with Chromium, offline.

``make pdf`` builds ``_build/singlehtml`` (``jupyter-book build . --builder singlehtml``, the
same source as Jupyter Book's own ``pdfhtml`` route) and runs this script, which opens the page
in headless Chromium, waits for MathJax to typeset every formula, and prints two PDFs:

* ``_build/pdf/ssd-book.pdf``: the book, with the solutions of the exercises folded away;
* ``_build/pdf/ssd-book-instructors.pdf``: the same with every solution and hidden cell open.

Usage: ``python tools/pdf.py [SINGLEHTML_DIR] [OUT_DIR]``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"

# Print layout: no navigation chrome, full-width text, no page break inside a figure or table.
PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer, .bd-footer-article,
.bd-header-article, .prev-next-area, .headerlink, .toggle-button, .copybtn,
#pst-back-to-top, .skip-link, .bd-search, .search-button-field { display: none !important; }
.bd-main, .bd-content, .bd-article-container, .bd-page-width, .bd-container,
.bd-container__inner { max-width: 100% !important; width: 100% !important; margin: 0 !important;
  padding: 0 !important; }
body { font-size: 10.5pt; }
figure, img, table, .MathJax, mjx-container[display="true"], .proof, .admonition
  { break-inside: avoid; }
h1 { break-before: page; }
h1:first-of-type { break-before: avoid; }
.pst-scrollable-table-container, .highlight pre, .output pre { overflow: visible !important;
  white-space: pre-wrap !important; word-break: break-word; }
"""


def print_pdf(html: Path, out: Path, *, open_solutions: bool) -> int:
    """Print ``html`` to ``out``; returns the number of typeset formulas."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                   else r.abort())
        page.goto(html.as_uri(), wait_until="load", timeout=120_000)
        page.wait_for_function("() => window.MathJax && MathJax.startup", timeout=60_000)
        page.evaluate("async () => { await MathJax.startup.promise; }")
        page.add_style_tag(content=PRINT_CSS)
        if open_solutions:
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        page.evaluate(
            """async () => {
                const imgs = Array.from(document.images);
                imgs.forEach((i) => { i.loading = 'eager'; });
                await Promise.all(imgs.map((i) => i.complete ? null : new Promise((ok) => {
                    i.onload = ok; i.onerror = ok; })));
            }"""
        )
        n_math = page.evaluate("() => document.querySelectorAll('mjx-container').length")
        page.emulate_media(media="print")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(out), format="A4", print_background=True, outline=True, tagged=True,
                 display_header_footer=True, header_template="<span></span>",
                 footer_template='<div style="font-size:8px;width:100%;text-align:center">'
                                 '<span class="pageNumber"></span></div>',
                 margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"})
        browser.close()
    return n_math


def main(argv: list[str]) -> int:
    src = (Path(argv[1]) if len(argv) > 1 else ROOT / "_build" / "singlehtml").resolve()
    dest = (Path(argv[2]) if len(argv) > 2 else ROOT / "_build" / "pdf").resolve()
    page = src / "book" / "intro.html"
    if not page.is_file():
        print(f"error: {src} holds no single-page build; run `make pdf`", file=sys.stderr)
        return 1
    # The single page is written as book/intro.html but links `_static/` and `_images/` as if
    # it sat at the top of the build: put a copy there.
    html = src / "ssd-book.html"
    html.write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
    for name, open_solutions in (("ssd-book.pdf", False), ("ssd-book-instructors.pdf", True)):
        n_math = print_pdf(html, dest / name, open_solutions=open_solutions)
        print(f"{dest / name}: {n_math} formulas typeset")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
