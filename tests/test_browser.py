"""Open every page of the built book in headless Chromium, offline.

The HTML in ``_build/html`` (``make book``) is served on 127.0.0.1; every request to any other
host is aborted and reported. Each page must load without page errors or console errors, with
all images decoded and all math typeset by the bundled MathJax.

Needs Debian's Chromium (``/usr/bin/chromium``, or the ``CHROMIUM`` environment variable). A
missing browser or a missing build is a failure, not a skip. Set ``BROWSER_SCREENSHOTS`` to a
folder to save a full-page screenshot of every page there.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("BOOK_HTML") or ROOT / "_build" / "html")
CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKIPPED_DIRS = {"_sources", "_static", "_images"}
SKIPPED_PAGES = {"search.html", "genindex.html"}
RAW_TEX = ("\\(", "\\[", "$$")
_CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPOSITORY = _CONFIG["repository"]["url"]  # the one place that names the repository
BINDER = (f"{_CONFIG['launch_buttons']['binderhub_url']}/v2/gh/"
          f"{REPOSITORY.removeprefix('https://github.com/')}/{_CONFIG['repository']['branch']}"
          "?urlpath=lab/tree/book/intro.md")

pytestmark = pytest.mark.browser


def _pages() -> list[str]:
    if not HTML.is_dir():
        return []
    pages = []
    for path in sorted(HTML.rglob("*.html")):
        rel = path.relative_to(HTML)
        if rel.parts[0] in SKIPPED_DIRS or rel.as_posix() in SKIPPED_PAGES:
            continue
        pages.append(rel.as_posix())
    return pages


# Without a build, one placeholder page makes test_page fail instead of being skipped.
PAGES = _pages() or ["(no pages: run `make book`)"]


# Tag -> attribute through which a page loads a resource (plain <a> links are not resources).
RESOURCE_ATTRS = {
    "script": "src",
    "link": "href",
    "img": "src",
    "source": "src",
    "iframe": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "object": "data",
}


class _ResourceLinks(HTMLParser):
    """Collect the URLs a page loads as resources."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        wanted = RESOURCE_ATTRS.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(f"<{tag} {name}={value!r}>")
            if tag == "img" and name == "srcset" and value:
                self.urls.append(f"<img srcset={value!r}>")


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
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with "
            "`apt-get install chromium` (make test does this when run as root)",
            pytrace=False,
        )
    with sync_playwright() as pw:
        # Playwright hides scroll bars by default; a reader sees them, and the layout test
        # checks that wide equations show one
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                      ignore_default_args=["--hide-scrollbars"])
        try:
            yield chromium
        finally:
            chromium.close()


def test_book_is_built():
    assert (HTML / "index.html").is_file(), f"{HTML}/index.html is missing: run `make book` first"
    assert _pages(), f"no pages found under {HTML}"


def test_chromium_is_installed():
    assert os.access(CHROMIUM, os.X_OK), (
        f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium`"
    )


def test_launch_and_repository_buttons():
    intro = HTML / "book" / "intro.html"
    assert intro.is_file(), f"{intro} is missing: run `make book` first"
    text = intro.read_text(encoding="utf-8")
    assert BINDER in text.replace("&amp;", "&"), "Binder launch button missing"
    assert REPOSITORY in text, "repository button missing"


@pytest.mark.parametrize("page", PAGES)
def test_page(page: str, server: str, browser):
    if not (HTML / page).is_file():
        pytest.fail(f"{HTML / page} does not exist: run `make book` first", pytrace=False)
    source = (HTML / page).read_text(encoding="utf-8")

    # Static check: no script, stylesheet, font or image from another host.
    parser = _ResourceLinks()
    parser.feed(source)
    remote = [u for u in parser.urls if "http://" in u or "https://" in u or "'//" in u]
    assert not remote, f"{page} loads resources from other hosts: {remote}"

    has_math = 'class="math' in source
    # JB writes index.html as a bare meta-refresh redirect to the root page.
    redirect = re.search(r'http-equiv="refresh"[^>]*url=([^"]+)"', source, re.IGNORECASE)
    foreign: list[str] = []
    broken: list[str] = []
    page_errors: list[str] = []
    console_errors: list[str] = []

    context = browser.new_context()
    context.add_init_script("try { localStorage.setItem('mode', 'auto'); } catch (e) {}")

    def route(r):
        url = r.request.url
        if url == server or url.startswith(server + "/"):
            r.continue_()
        else:
            foreign.append(url)
            r.abort()

    context.route("**/*", route)
    tab = context.new_page()
    tab.on("pageerror", lambda exc: page_errors.append(str(exc)))
    tab.on(
        "console",
        lambda msg: (
            console_errors.append(f"{msg.text} ({msg.location.get('url', '')})")
            if msg.type == "error"
            else None
        ),
    )
    tab.on(
        "response",
        lambda resp: broken.append(f"{resp.status} {resp.url}") if resp.status >= 400 else None,
    )
    try:
        url = f"{server}/{page}"
        tab.goto(url, wait_until="load", timeout=60_000)
        if redirect:
            target = urljoin(url, redirect.group(1).strip())
            tab.wait_for_url(target, timeout=30_000)
            tab.wait_for_load_state("load")
            final = (HTML / target[len(server) + 1 :].split("#")[0]).read_text(encoding="utf-8")
            has_math = 'class="math' in final
        if has_math:
            tab.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                timeout=30_000,
            )
        tab.evaluate(
            """async () => {
                if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
                    await MathJax.startup.promise;
                }
            }"""
        )
        bad_images = tab.evaluate(
            """async () => {
                const imgs = Array.from(document.images);
                imgs.forEach((i) => { if (i.loading === 'lazy') i.loading = 'eager'; });
                await Promise.all(imgs.map((i) => i.complete ? null : new Promise((ok) => {
                    i.addEventListener('load', ok); i.addEventListener('error', ok);
                    setTimeout(ok, 15000);
                })));
                return imgs.filter((i) => !(i.naturalWidth > 0)).map((i) => i.currentSrc || i.src);
            }"""
        )
        n_math = tab.evaluate("() => document.querySelectorAll('mjx-container').length")
        n_errors = tab.evaluate("() => document.querySelectorAll('mjx-merror').length")
        text = tab.evaluate(
            """() => {
                const body = document.body.cloneNode(true);
                body.querySelectorAll(
                    'pre, code, script, style, textarea, template, mjx-container, .highlight'
                ).forEach((e) => e.remove());
                return body.textContent;
            }"""
        )
        tab.wait_for_timeout(250)  # let late console messages arrive
        shots = os.environ.get("BROWSER_SCREENSHOTS")
        if shots:
            out = Path(shots) / (page.replace("/", "__").removesuffix(".html") + ".png")
            out.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(out), full_page=True)
    finally:
        context.close()

    assert not foreign, f"{page} requested other hosts: {foreign}"
    assert not broken, f"{page} has failing requests: {broken}"
    assert not bad_images, f"{page} has images that did not load: {bad_images}"
    assert n_errors == 0, f"{page} has {n_errors} MathJax errors (mjx-merror)"
    if has_math:
        assert n_math > 0, f"{page} has math but MathJax typeset nothing"
    left = [t for t in RAW_TEX if t in text]
    assert not left, f"{page} shows untypeset TeX delimiters {left}"
    assert not page_errors, f"{page} raised JavaScript errors: {page_errors}"
    assert not console_errors, f"{page} logged console errors: {console_errors}"


def _claims_tables(tab):
    """Rows of the claims tables on a page: one list of cell texts per row (MathJax done)."""
    return tab.evaluate(
        """() => Array.from(document.querySelectorAll('span[id^="claims-"]')).map((a) => {
            const box = a.closest('p').nextElementSibling;
            const table = box && box.querySelector('table');
            if (!table) return null;
            return Array.from(table.querySelectorAll('tbody tr')).map(
                (tr) => Array.from(tr.children).map((td) => td.innerText));
        })"""
    )


def test_claims_ledger(server: str, browser):
    """The ledger lists every statement, links to check tables that exist, styles verdicts."""
    from ssdlib.claims import STATEMENTS

    page = HTML / "book" / "claims.html"
    assert page.is_file(), f"{page} is missing: run `make book` first"
    tab = browser.new_page()
    try:
        tab.goto(f"{server}/book/claims.html", wait_until="load")
        tab.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        tab.evaluate("async () => { await MathJax.startup.promise; }")
        rows = tab.evaluate(
            """() => Array.from(document.querySelectorAll('.claims-ledger table')[0]
                .querySelectorAll('tbody tr')).map((tr) => ({
                    cells: Array.from(tr.children).map((td) => td.innerText.trim()),
                    links: Array.from(tr.querySelectorAll('a[href*="#claims-"]'))
                        .map((a) => a.getAttribute('href')),
                    badge: getComputedStyle(tr.querySelector('span[class^="claim-"]'))
                        .backgroundColor}))"""
        )
        assert len(rows) == len(STATEMENTS)
        assert [r["cells"][0] for r in rows] == [k for k, _, _ in STATEMENTS]
        kinds = {k: kind for k, kind, _ in STATEMENTS}
        for r in rows:
            key, verdict = r["cells"][0], r["cells"][2]
            assert r["badge"] not in ("rgba(0, 0, 0, 0)", "transparent"), "claims.css not loaded"
            if kinds[key] in ("proposition", "theorem", "corollary", "lemma"):
                assert verdict != "not checked", f"{key} has no check"
                assert r["links"], f"{key} links to no table of checks"
        links = {h for r in rows for h in r["links"]}
        for href in sorted(links):
            target, anchor = href.split("#")
            html = (HTML / "book" / target).read_text(encoding="utf-8")
            assert f'id="{anchor}"' in html, f"ledger links to {href}, which does not exist"
        # every chapter's tables of checks: five columns, no raw role or label text
        for target in sorted({h.split("#")[0] for h in links}):
            tab.goto(f"{server}/book/{target}", wait_until="load")
            tab.evaluate("async () => { await MathJax.startup.promise; }")
            tables = _claims_tables(tab)
            assert tables and all(t for t in tables), f"{target}: a claims table is missing"
            for table in tables:
                for cells in table:
                    assert len(cells) == 5, f"{target}: row {cells} does not have 5 cells"
                    text = " ".join(cells)
                    for raw in ("{ref}", "{prf:", "{eq}", "(eq-", "{numref}", "$"):
                        assert raw not in text, f"{target}: raw {raw!r} in a claims table: {text}"
    finally:
        tab.close()


PAGE_BUDGET = 5_000_000  # bytes of a page's own HTML and images (shared theme assets apart)


def _explorable_pages() -> list[str]:
    return [p for p in _pages() if 'class="explorable"' in (HTML / p).read_text(encoding="utf-8")]


def _move_every_slider(tab, page):
    """Press an arrow key on every slider of every explorable figure; check what changes."""
    n_figs = tab.evaluate("() => document.querySelectorAll('figure.explorable').length")
    assert n_figs > 0, f"{page}: no explorable figure"
    for f in range(n_figs):
        n_inputs = tab.evaluate(
            f"() => document.querySelectorAll('figure.explorable')[{f}]"
            ".querySelectorAll('input').length")
        for a in range(n_inputs):
            state = f"""() => {{
                const fig = document.querySelectorAll('figure.explorable')[{f}];
                const img = fig.querySelector('img'), inp = fig.querySelectorAll('input')[{a}];
                return {{src: img.src, alt: img.alt, out: fig.querySelectorAll('output')[{a}]
                         .textContent, value: inp.value, max: inp.max}};
            }}"""
            before = tab.evaluate(state)
            slider = tab.locator("figure.explorable").nth(f).locator("input").nth(a)
            slider.focus()
            slider.press("ArrowLeft" if before["value"] == before["max"] else "ArrowRight")
            after = tab.evaluate(state)
            where = f"{page}: figure {f}, slider {a}"
            assert after["value"] != before["value"], f"{where}: the keyboard did not move it"
            assert after["src"] != before["src"], f"{where}: the figure did not change"
            assert after["out"] != before["out"], f"{where}: the shown value did not change"
            assert after["alt"] != before["alt"] and after["out"] in after["alt"], where


@pytest.mark.parametrize("page", _explorable_pages() or ["(no explorable figure)"])
def test_explorable_figures(page: str, server: str, browser):
    assert (HTML / page).is_file(), "no page with an explorable figure: run `make book`"
    errors, foreign = [], []
    for url in (f"{server}/{page}", (HTML / page).as_uri()):  # served, and opened from disk
        context = browser.new_context()
        context.add_init_script("try { localStorage.setItem('mode', 'auto'); } catch (e) {}")
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
            (server, "file:", "data:")) else (foreign.append(r.request.url), r.abort()))
        tab = context.new_page()
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            tab.goto(url, wait_until="load")
            _move_every_slider(tab, url)
        finally:
            context.close()
    assert not errors, f"{page}: page errors {errors}"
    assert not foreign, f"{page}: requests to other hosts {foreign}"


@pytest.mark.parametrize("page", PAGES)
def test_page_size(page: str):
    path = HTML / page
    if not path.is_file():
        pytest.fail(f"{path} does not exist: run `make book` first", pytrace=False)
    parser = _ResourceLinks()
    source = path.read_text(encoding="utf-8")
    parser.feed(source)
    size = len(source.encode())
    for tag in parser.urls:
        m = re.match(r"<img src='([^']+)'>", tag)
        if m and not m.group(1).startswith("data:"):
            size += (path.parent / m.group(1).split("?")[0]).stat().st_size
    assert size < PAGE_BUDGET, f"{page} weighs {size / 1e6:.1f} MB (budget 5 MB)"


RAW_MARKUP = ("(eq-", "{eq}", "{prf:", "{numref}", "{glue", "{cite", "{ref}", ":label:")

# Depth is H in every chapter (L is the loss): a depth written as L = 2, L \ge 3, "depth L"
DEPTH_AS_L = re.compile(r"(?<![A-Za-z\\])L\s*(=|\\ge|\\le|&gt;|&lt;|≥|≤)\s*\d"
                        r"|depth[ -]\\?\(?\$?L\b")


@pytest.mark.parametrize("page", PAGES)
def test_depth_symbol(page: str):
    path = HTML / page
    if not path.is_file():
        pytest.fail(f"{path} does not exist: run `make book` first", pytrace=False)
    text = re.sub(r"<(pre|script|style)\b.*?</\1>", "", path.read_text(encoding="utf-8"),
                  flags=re.S)
    found = sorted({m.group(0) for m in DEPTH_AS_L.finditer(text)})
    assert not found, f"{page}: depth written as L (the loss); write H: {found}"

_LAYOUT_JS = """() => {
    const vw = window.innerWidth, out = {};
    out.docWidth = document.documentElement.scrollWidth;
    out.vw = vw;
    // display equations: the formula (and its number) inside the column; a wider one scrolls
    // in its own box with a visible scroll bar
    out.cut = [], out.unscrollable = [], out.covered = [];
    document.querySelectorAll('div.math').forEach((box) => {
        const mjx = box.querySelector('mjx-container'), math = mjx && mjx.querySelector('mjx-math');
        if (!math) return;
        const text = (box.getAttribute('id') || '') + ' ' + box.textContent.slice(0, 50);
        const r = math.getBoundingClientRect();
        if (r.width > box.clientWidth + 1) out.cut.push(text);
        if (mjx.scrollWidth > mjx.clientWidth + 1) {
            const ov = getComputedStyle(mjx).overflowX;
            if (!(ov === 'auto' || ov === 'scroll') || mjx.offsetHeight - mjx.clientHeight < 2)
                out.unscrollable.push(text);
        }
        const no = box.querySelector('.eqno');
        if (no) {
            const q = no.getBoundingClientRect();
            if (q.left < r.right && r.left < q.right && q.top < r.bottom && r.top < q.bottom)
                out.covered.push(text);
        }
    });
    // images displayed smaller than they were made (their text would shrink below 9 px)
    out.shrunk = [];
    document.querySelectorAll('article img').forEach((img) => {
        if (!img.naturalWidth || img.closest('.sidebar, header')) return;
        const made = img.style.width ? parseFloat(img.style.width) : img.naturalWidth;
        if (img.clientWidth + 1 < made && img.clientWidth + 1 < img.parentElement.clientWidth) {
            out.shrunk.push(img.src.split('/').pop().slice(0, 40) + ' ' + img.clientWidth
                            + '/' + made);
        } else if (img.clientWidth + 1 < made) {
            out.shrunk.push(img.src.split('/').pop().slice(0, 40) + ' ' + img.clientWidth
                            + '/' + made + ' (column)');
        }
    });
    const body = document.querySelector('article') || document.body;
    const clone = body.cloneNode(true);
    clone.querySelectorAll('pre, code, script, style, .highlight').forEach((e) => e.remove());
    out.text = clone.textContent;
    return out;
}"""


def _content_pages() -> list[str]:
    """Pages with content of their own (not the meta-refresh redirect that index.html is)."""
    return [p for p in _pages() if 'http-equiv="refresh"' not in
            (HTML / p).read_text(encoding="utf-8")[:2000].lower()] or PAGES


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("page", _content_pages())
def test_reader_layout(page: str, width: int, server: str, browser):
    """What a reader sees: nothing cut, nothing raw, no shrunk figure, no sideways page."""
    if not (HTML / page).is_file():
        pytest.fail(f"{HTML / page} does not exist: run `make book` first", pytrace=False)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script("try { localStorage.setItem('mode', 'auto'); } catch (e) {}")
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server)
                  else r.abort())
    tab = context.new_page()
    try:
        tab.goto(f"{server}/{page}", wait_until="load")
        tab.evaluate("""async () => { if (window.MathJax && MathJax.startup
            && MathJax.startup.promise) { await MathJax.startup.promise; } }""")
        tab.evaluate("""async () => { await Promise.all(Array.from(document.images).map((i) =>
            i.complete ? null : new Promise((ok) => { i.onload = ok; i.onerror = ok; }))); }""")
        got = tab.evaluate(_LAYOUT_JS)
    finally:
        context.close()
    problems = []
    if got["docWidth"] > got["vw"] + 1:
        problems.append(f"page {got['docWidth']} px wide in a {got['vw']} px window")
    if width >= 1280 and got["cut"]:
        problems.append(f"display equations wider than the column: {got['cut']}")
    if got["unscrollable"]:
        problems.append(f"wide equations without a visible scroll bar: {got['unscrollable']}")
    if got["covered"]:
        problems.append(f"equation numbers over their formula: {got['covered']}")
    if width >= 1280 and got["shrunk"]:
        problems.append(f"figures shown smaller than made: {got['shrunk']}")
    raw = [m for m in RAW_MARKUP if m in got["text"]]
    raw += re.findall(r"\$[^$\s][^$]{0,60}\$", got["text"])[:3]  # math left untypeset
    if raw:
        problems.append(f"raw markup visible: {raw}")
    assert not problems, f"{page} at {width} px: " + "; ".join(problems)
