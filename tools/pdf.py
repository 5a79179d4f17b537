"""Print the single-page HTML build of the book to PDF with Chromium, offline.

``make pdf`` builds ``_build/singlehtml`` (``jupyter-book build . --builder singlehtml``, the
same source as Jupyter Book's own ``pdfhtml`` route) and runs this script, which opens the page
in headless Chromium, waits for MathJax to typeset every formula, and prints two PDFs:

* ``_build/pdf/ssd-book.pdf``: the book, with the solutions of the exercises folded away;
* ``_build/pdf/ssd-book-instructors.pdf``: the same with every solution and hidden cell open.

Usage: ``python tools/pdf.py [SINGLEHTML_DIR] [OUT_DIR]``.
"""

from __future__ import annotations

import json
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
figure, img, table, .MathJax, mjx-container[display="true"], .proof, .admonition,
.cell_input, div.highlight { break-inside: avoid; }
h1 { break-before: page; }
h1:first-of-type { break-before: avoid; }
.pst-scrollable-table-container { overflow: visible !important; }
.highlight pre, .output pre { overflow: visible !important; white-space: pre-wrap !important;
  word-break: break-word; }
table { max-width: 100% !important; font-size: 9pt; }
th, td { overflow-wrap: break-word; padding: 0.25em 0.4em !important; }
td code, th code { white-space: normal !important; overflow-wrap: anywhere; }
td [class^="claim-"] { white-space: normal !important; }
"""

# The printable width of an A4 page with the margins of ``page.pdf`` below, in CSS px.
PAGE_WIDTH_PX = round((210 - 14 - 14) / 25.4 * 96)

# A table, code block or display formula still wider than the text after the print CSS (an
# inline formula does not break) is scaled down to the width of the text; returns what was
# scaled and by how much, and what is still wider than the text.
FIT_JS = """() => {
    const col = (document.querySelector('article') || document.body).getBoundingClientRect();
    const what = (e) => e.tagName.toLowerCase() + ': '
        + (e.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 70);
    const scaled = [], wide = [];
    const items = document.querySelectorAll(
        'article table, article pre, article mjx-container[display="true"], article img');
    items.forEach((e) => {
        let scale = 1;
        for (let k = 0; k < 5; k++) {  // a scaled table reflows: repeat until it fits
            const r = e.getBoundingClientRect();
            if (!r.width || r.right <= col.right + 1) break;
            scale *= 0.998 * (col.right - r.left) / r.width;
            e.style.zoom = scale;
        }
        if (scale < 1) scaled.push([what(e), Math.round(scale * 1000) / 1000]);
    });
    items.forEach((e) => {
        const r = e.getBoundingClientRect();
        if (r.width && r.right > col.right + 1) wide.push(what(e));
    });
    return {scaled: scaled, wide: wide};
}"""


def print_pdf(html: Path, out: Path, *, open_solutions: bool) -> tuple[int, dict]:
    """Print ``html`` to ``out``; returns the number of typeset formulas and the layout fit
    (``FIT_JS``: what was scaled to the width of the text, and what is still wider)."""
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
        page.set_viewport_size({"width": PAGE_WIDTH_PX, "height": 1000})
        fit = page.evaluate(FIT_JS)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(out), format="A4", print_background=True, outline=True, tagged=True,
                 display_header_footer=True, header_template="<span></span>",
                 footer_template='<div style="font-size:8px;width:100%;text-align:center">'
                                 '<span class="pageNumber"></span></div>',
                 margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"})
        browser.close()
    return n_math, fit


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
    layout = {}
    for name, open_solutions in (("ssd-book.pdf", False), ("ssd-book-instructors.pdf", True)):
        n_math, layout[name] = print_pdf(html, dest / name, open_solutions=open_solutions)
        scales = [s for _, s in layout[name]["scaled"]]
        print(f"{dest / name}: {n_math} formulas typeset; {len(scales)} wide tables or formulas "
              f"scaled to the text width (smallest scale {min(scales, default=1):.2f}); "
              f"{len(layout[name]['wide'])} still wider than the text")
    (dest / "layout.json").write_text(json.dumps(layout, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
