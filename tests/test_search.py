"""The search page of the built book shows readable snippets, without raw TeX or MyST markup.

Sphinx's searchtools.js cuts each result's snippet out of the text of the page found, before
MathJax runs; book/_static/search-snippets.js makes that text readable (math as Unicode text,
no code-cell source unless a searched word is only there, no table of contents). The HTML in
``_build/html`` is served on 127.0.0.1 and opened in headless Chromium with every request to
another host aborted, as in test_browser.py. Set ``BROWSER_SCREENSHOTS`` to a folder to save
the result pages there (1280 and 390 px wide).
"""

from __future__ import annotations

import functools
import os
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("BOOK_HTML") or ROOT / "_build" / "html")
CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Text that must not reach a snippet: TeX delimiters and commands, MyST roles.
RAW = ("\\(", "\\)", "\\[", "\\]", "$$", "\\varepsilon", "{prf:", "{ref}", "{eq}", "{numref}")
TEX_COMMAND = re.compile(
    r"\\(alpha|beta|lambda|theta|eta|nabla|Phi|Psi|ell|mathbb|operatorname|lvert|rvert|le|ge"
    r"|infty|frac|tfrac|sqrt|bar|text|mathrm|qquad)\b"
)
# The theme's "Contents" list of the page (section numbers in a row) is not page text.
TOC = re.compile(r"Contents\s+\d+\.\d+\.\s")

# query -> a word or symbol that at least one snippet must show
QUERIES = {"Bregman": "bregman", "KKT": "kkt", "epsilon": "ε"}

pytestmark = pytest.mark.browser

WAIT_FOR_SNIPPETS = """() => {
    const status = document.querySelector('#search-results .search-summary');
    if (!status || !/finished|did not match/.test(status.textContent)) return false;
    // page results get their snippet after the page is fetched; object results have none
    const pages = Array.from(document.querySelectorAll('#search-results ul.search > li'))
        .filter((li) => !li.querySelector(':scope > span'));
    return pages.every((li) => li.querySelector('p.context'));
}"""

SNIPPETS = """() => Array.from(document.querySelectorAll('#search-results ul.search > li'))
    .filter((li) => li.querySelector('p.context'))
    .map((li) => ({title: li.querySelector('a').textContent,
                   text: li.querySelector('p.context').textContent}))"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium`",
                    pytrace=False)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                      ignore_default_args=["--hide-scrollbars"])
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser, server: str, url: str, width: int = 1280):
    """A tab on `url` (served book only), with the lists of other hosts and errors it fills."""
    if not (HTML / "search.html").is_file():
        pytest.fail(f"{HTML}/search.html is missing: run `make book` first", pytrace=False)
    foreign: list[str] = []
    errors: list[str] = []
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script("try { localStorage.setItem('mode', 'auto'); } catch (e) {}")
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server + "/")
                  else (foreign.append(r.request.url), r.abort()))
    tab = context.new_page()
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.goto(f"{server}/{url}", wait_until="load", timeout=60_000)
    return context, tab, foreign, errors


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("query", list(QUERIES))
def test_search_snippets_are_readable(query: str, width: int, server: str, browser):
    context, tab, foreign, errors = _open(browser, server, f"search.html?q={query}", width)
    try:
        tab.wait_for_function(WAIT_FOR_SNIPPETS, timeout=60_000)
        snippets = tab.evaluate(SNIPPETS)
        shots = os.environ.get("BROWSER_SCREENSHOTS")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(Path(shots) / f"search-{query}-{width}.png"), full_page=True)
    finally:
        context.close()

    assert snippets, f"q={query}: no result with a snippet"
    for s in snippets:
        where = f"q={query}, result {s['title']!r}: {s['text']!r}"
        left = [raw for raw in RAW if raw in s["text"]]
        assert not left, f"{where} shows raw markup {left}"
        tex = TEX_COMMAND.search(s["text"])
        assert not tex, f"{where} shows the TeX command {tex.group(0)}"
        assert not TOC.search(s["text"]), f"{where} shows the page's table of contents"
    wanted = QUERIES[query]
    assert any(wanted in s["text"].lower() for s in snippets), (
        f"q={query}: no snippet shows {wanted!r}: {[s['text'] for s in snippets]}")
    assert not foreign, f"q={query}: requests to other hosts {foreign}"
    assert not errors, f"q={query}: page or console errors {errors}"


# TeX as the chapters write it -> the text a snippet shows
TEX_CASES = {
    r"\(E\)": "E",
    r"\(\varepsilon \le 1\)": "ε ≤ 1",
    r"\(\beta_0\)": "β₀",
    r"\(\lambda, \theta \ge 0\)": "λ, θ ≥ 0",
    r"\(\nabla\Phi(\beta)\)": "∇Φ(β)",
    r"\(\ell_1\)": "ℓ₁",
    r"\(w \in \mathbb{R}^d\)": "w ∈ ℝᵈ",
    r"\(\operatorname{sgn}(g)\)": "sgn(g)",
    r"\(\lvert g_i \rvert \gg \varepsilon\)": "|gᵢ| ≫ ε",
    r"\(t \to \infty\)": "t → ∞",
    r"\(X^\top X\)": "Xᵀ X",
    r"\(x^{q-1}\)": "x^(q-1)",
    r"\(\rho_{0,i}\)": "ρ₀,ᵢ",
    r"\(\tfrac{1}{2}\lVert w \rVert^2\)": "1/2‖w‖²",
    r"\(\frac{g}{\lvert g \rvert + \varepsilon}\)": "g/(|g| + ε)",
    r"\(\sqrt{\bar y}\)": "√ȳ",
    r"\(\max_i \lvert\rho_{0,i}\rvert\)": "maxᵢ |ρ₀,ᵢ|",
    r"\[ a \qquad \text{(element-wise)}. \]": "a (element-wise).",
    r"\[\begin{aligned} a &= b \\ c &= d \end{aligned}\]": "a = b c = d",
}


def test_tex_to_text(server: str, browser):
    """The conversion the snippets use, on formulas of the kind the chapters write."""
    context, tab, foreign, errors = _open(browser, server, "search.html")
    try:
        got = tab.evaluate(
            "(cases) => Object.fromEntries(cases.map((t) => "
            "[t, Search.readableSnippets.texToText(t)]))", list(TEX_CASES))
    finally:
        context.close()
    assert got == TEX_CASES
    assert not foreign and not errors, (foreign, errors)
