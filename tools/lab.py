"""Drive the book's chapters in a real JupyterLab, as a student in Binder would.

Used by ``tests/test_lab.py`` (``make test``) and ``benchmarks/ui.py`` (``make bench-ui``).
:func:`jupyterlab` starts JupyterLab on 127.0.0.1 with fresh settings and workspace folders and
the chapters opened as notebooks (the ``jupytext-config`` step of ``postBuild``);
:func:`browser` opens headless Chromium with every request to another host aborted; a
:class:`Chapter` opens one chapter, runs all its cells, reads what the student sees and moves
its sliders, timing each move from the key press to the repainted figure.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
BIN = Path(sys.executable).parent
WIDGET_CHAPTERS = ("setup", "stages", "kkt", "higher_order", "beyond")
RAW_MYST = (":::{", "{prf:", "{glue", "{cite", "{eq}", "{numref}", "{exercise", "{dropdown}")

# Timestamps of key presses and of every figure shown anew: an image loaded in an output (the
# next animation frame, when it is painted) or drawn on a canvas; read by Chapter.move.
_INIT_SCRIPT = """
window.__keys = []; window.__paints = [];
document.addEventListener("keydown", function () { window.__keys.push(performance.now()); },
                          true);
document.addEventListener("load", function (e) {
  if (e.target.tagName === "IMG" && e.target.closest(".jp-OutputArea")) {
    requestAnimationFrame(function () { window.__paints.push([performance.now(), "img"]); });
  }
}, true);
(function () {
  var draw = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function () {
    var c = this.canvas;
    if (c && c.isConnected) {
      var id = c.dataset.paintId || (c.dataset.paintId = String(Math.random()).slice(2));
      window.__paints.push([performance.now(), id]);
    }
    return draw.apply(this, arguments);
  };
})();
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(root=ROOT, *, timeout=90):
    """Start JupyterLab on 127.0.0.1 serving ``root``; yields its base URL with the token.

    Settings, workspaces and the runtime folder are fresh temporary folders, so no earlier
    session is restored; ``jupytext-config`` sets the MyST viewer there, as ``postBuild``
    does for Binder.
    """
    if shutil.which("jupyter-lab", path=str(BIN)) is None:
        raise RuntimeError(f"jupyter-lab is not installed in {BIN}; run `make env`.")
    tmp = Path(tempfile.mkdtemp(prefix="ssd-lab-"))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_PREFER_ENV_PATH="1",
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    subprocess.run([str(BIN / "jupytext-config"), "set-default-viewer", "markdown", "myst"],
                   env=env, check=True, capture_output=True)
    # every cell in the DOM (JupyterLab 4 attaches only the visible ones by default)
    tracker = (tmp / "settings" / "@jupyterlab" / "notebook-extension"
               / "tracker.jupyterlab-settings")
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}')
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [str(BIN / "jupyter-lab"), "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.user_settings_dir={tmp / 'settings'}",
           f"--LabApp.workspaces_dir={tmp / 'workspaces'}", "--ServerApp.open_browser=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n"
                                       + (tmp / "server.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def browser(*, width=1280, height=900):
    """A Playwright page in headless Chromium; requests to hosts other than 127.0.0.1 are
    aborted and listed in ``page.blocked``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM,
                                      args=["--no-sandbox", "--disable-gpu",
                                            "--disable-background-networking"])
        context = chromium.new_context(viewport={"width": width, "height": height})
        blocked = []

        def route(r):
            host = urlparse(r.request.url).hostname
            if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1",
                                                                        "localhost"):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        context.add_init_script(_INIT_SCRIPT)
        page = context.new_page()
        page.blocked = blocked
        try:
            yield page
        finally:
            chromium.close()


class Chapter:
    """One chapter opened as a notebook in JupyterLab."""

    def __init__(self, page, base, token, name):
        self.page, self.name = page, name
        page.goto(f"{base}/lab/tree/book/{name}.md?token={token}&reset")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
        self.panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
        # Wait for the kernel. JupyterLab may ask for the kernel of a text notebook; the
        # chapter's own is preselected, and a student clicks Select.
        dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if dialog.count():
                dialog.locator("button", has_text=re.compile(r"^Select$")).click()
            elif page.evaluate(
                    """() => {
                      const s = document.querySelector('.jp-Notebook-ExecutionIndicator');
                      const k = document.querySelector(
                        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-KernelName');
                      return s && s.dataset.status === 'idle' && k
                             && !/No Kernel|Connecting|Starting/i.test(k.textContent);
                    }"""):
                page.wait_for_timeout(500)
                if not dialog.count():
                    break
            page.wait_for_timeout(250)
        else:
            raise TimeoutError(f"{name}: the kernel did not start")

    def run_all(self, timeout=600):
        """Run every cell (menu Run > Run All Cells); return once no cell is queued or running
        and the kernel has been idle for 2 s (after an error the remaining cells stay unrun:
        :meth:`errors` lists them)."""
        page = self.page
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        page.wait_for_timeout(1000)
        deadline, idle_since = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            busy = page.evaluate(
                """() => {
                  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
                  const s = document.querySelector('.jp-Notebook-ExecutionIndicator');
                  const queued = [...nb.querySelectorAll('.jp-InputPrompt')]
                                 .some(p => p.textContent.includes('*'));
                  return queued || !s || s.dataset.status !== 'idle';
                }""")
            if busy:
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > 2:
                return
            page.wait_for_timeout(250)
        raise TimeoutError(f"{self.name}: cells still running after {timeout} s")

    def errors(self):
        """Texts of error outputs (tracebacks) and code cells that did not run."""
        return self.page.evaluate(
            """() => {
              const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
              const out = [];
              nb.querySelectorAll('.jp-OutputArea-output').forEach(o => {
                const t = o.innerText || '';
                if (/Traceback \\(most recent call last\\)|^\\w*Error\\b/m.test(t))
                  out.push(t.slice(0, 600));
              });
              nb.querySelectorAll('.jp-CodeCell').forEach((c, i) => {
                const p = c.querySelector('.jp-InputPrompt')?.textContent || '';
                if (!/\\[\\d+\\]/.test(p)) out.push(`code cell ${i} did not run: ${p}`);
              });
              return out;
            }""")

    def markdown_text(self):
        """The rendered text of every Markdown cell, joined."""
        self.page.evaluate(
            "() => document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)"
            " .jp-WindowedPanel-outer')?.scrollTo(0, 1e9)")
        return self.page.evaluate(
            """() => [...document.querySelectorAll(
                 '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell .jp-RenderedMarkdown,'
                 + '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell .myst')]
                 .map(e => e.innerText).join('\\n')""")

    def math_errors(self):
        """Formulas the math renderer rejected (KaTeX or MathJax error nodes)."""
        return self.page.evaluate(
            """() => [...document.querySelectorAll(
                 '.jp-NotebookPanel:not(.lm-mod-hidden) .katex-error,'
                 + '.jp-NotebookPanel:not(.lm-mod-hidden) mjx-merror,'
                 + '.jp-NotebookPanel:not(.lm-mod-hidden) .MathJax_Error')]
                 .map(e => e.getAttribute('title') || e.textContent).slice(0, 20)""")

    def sliders(self):
        """Locators of the slider handles of the chapter's live figures."""
        return self.panel.locator(".widget-slider .noUi-handle, .widget-hslider .noUi-handle")

    def move(self, handle, key="ArrowRight", settle_ms=400, timeout_ms=5000):
        """Press ``key`` on a slider handle; milliseconds from the key press to the last figure
        painted (None if no figure changed within ``timeout_ms``)."""
        page = self.page
        handle.scroll_into_view_if_needed()
        handle.focus()
        page.wait_for_timeout(50)
        page.evaluate("() => { window.__keys = []; window.__paints = []; }")
        handle.press(key)
        start = time.monotonic()
        last_count, last_change = 0, time.monotonic()
        while time.monotonic() - start < timeout_ms / 1000:
            count = page.evaluate("() => window.__paints.length")
            if count != last_count:
                last_count, last_change = count, time.monotonic()
            elif count and (time.monotonic() - last_change) * 1000 > settle_ms:
                break
            page.wait_for_timeout(20)
        keys, paints = page.evaluate("() => [window.__keys, window.__paints]")
        paints = [p for p in paints if keys and p[0] >= keys[0]]
        if not keys or not paints:
            return None
        return paints[-1][0] - keys[0]
