"""Execute every chapter of the book top to bottom on a fresh kernel.

Chapters are the MyST markdown notebooks listed in ``_toc.yml``. Each is read with jupytext and
run with nbclient (kernel ``python3``; working directory the chapter's folder, ``book/``, as in
the book build). A chapter fails with the error of its first failing cell.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "python3"
CELL_TIMEOUT = 600

pytestmark = pytest.mark.book


def _toc_files(node) -> list[str]:
    """All ``file`` (and ``root``) entries of a _toc.yml tree, in reading order."""
    found: list[str] = []
    if isinstance(node, dict):
        for key in ("root", "file"):
            if isinstance(node.get(key), str):
                found.append(node[key])
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key) or []:
                found.extend(_toc_files(child))
    elif isinstance(node, list):
        for child in node:
            found.extend(_toc_files(child))
    return found


def _resolve(entry: str) -> Path:
    path = ROOT / entry
    if path.suffix:
        return path
    for suffix in (".md", ".ipynb"):
        if path.with_suffix(suffix).exists():
            return path.with_suffix(suffix)
    raise FileNotFoundError(f"_toc.yml lists `{entry}`, but no {entry}.md or .ipynb exists")


def _read(path: Path):
    return jupytext.read(path) if path.suffix == ".md" else jupytext.read(path, fmt="ipynb")


def _chapters_with_code() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    paths = [_resolve(entry) for entry in _toc_files(toc)]
    return [p for p in paths if any(c.cell_type == "code" for c in _read(p).cells)]


CHAPTERS = _chapters_with_code()


def test_toc_lists_existing_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    for entry in _toc_files(toc):
        assert _resolve(entry).exists(), entry


def test_kernel_is_this_interpreter():
    """Kernel ``python3`` must start the interpreter running the tests (the venv's)."""
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    exe = spec.argv[0]
    if exe in {"python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"}:
        return  # jupyter_client substitutes sys.executable for a bare "python"
    assert Path(exe).parent.resolve() == Path(sys.executable).parent.resolve(), (
        f"kernel `{KERNEL}` runs {exe}, not {sys.executable}; run "
        f"`{sys.executable} -m ipykernel install --sys-prefix --name {KERNEL}`"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=[str(p.relative_to(ROOT)) for p in CHAPTERS])
def test_chapter_runs(path: Path):
    nb = _read(path)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(path.parent)}},
        allow_errors=False,
    )
    try:
        client.execute()
    except CellExecutionError as err:
        pytest.fail(f"{path.relative_to(ROOT)}: a cell failed\n{err}", pytrace=False)


# A formula of ssdlib broken on purpose, before the chapter's imports run: the chapter that
# checks it must stop with ssdlib.claims.ClaimError (a flipped check fails the build).
# (chapter, module, function, how to break it, pattern the ClaimError's message must match)
BROKEN = [
    (
        "book/background.md",
        "ssdlib.mirror",
        "woodworth_mirror_map",
        "lambda f: (lambda beta, alpha: 2.0 * f(beta, alpha))",
        r"\[background #\d+\]",
    ),
    (   # the upper bound M+ of Lemma B.2 halved: Theorem 3.9 (M- <= Delta <= M+) must fail
        "book/kkt.md",
        "ssdlib.bounds",
        "kkt_bounds_block",
        "lambda f: (lambda *a, **k: (0.5 * f(*a, **k)[0], f(*a, **k)[1]))",
        r"\[kkt #\d+\] Theorem 3\.9",
    ),
    (   # the potential of Prop. 3.6 off by 0.1 %: its dual-dynamics checks must fail
        "book/higher_order.md",
        "ssdlib.mirror",
        "potential",
        "lambda f: (lambda *a, **k: 1.001 * f(*a, **k))",
        r"\[higher_order #\d+\]",
    ),
]


def _with_broken(path: Path, module: str, name: str, breaker: str):
    """The chapter with a first cell that replaces ``module.name`` (and ``ssdlib.name``)."""
    nb = _read(path)
    patch = (
        "import importlib\nimport ssdlib\n"
        f"_mod = importlib.import_module({module!r})\n"
        f"_broken = ({breaker})(getattr(_mod, {name!r}))\n"
        f"setattr(_mod, {name!r}, _broken)\n"
        f"if hasattr(ssdlib, {name!r}):\n    setattr(ssdlib, {name!r}, _broken)\n"
    )
    nb.cells.insert(0, nbformat.v4.new_code_cell(patch))
    return nb


@pytest.mark.parametrize("chapter, module, name, breaker, tag", BROKEN,
                         ids=[f"{b[0]}:{b[2]}" for b in BROKEN])
def test_broken_formula_fails_its_chapter(tmp_path, monkeypatch, chapter, module, name,
                                          breaker, tag):
    monkeypatch.setenv("SSDLIB_CLAIMS_DIR", str(tmp_path))  # keep the book's records intact
    path = ROOT / chapter
    client = NotebookClient(
        _with_broken(path, module, name, breaker),
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(path.parent)}},
        allow_errors=False,
    )
    with pytest.raises(CellExecutionError) as err:
        client.execute()
    assert "ClaimError" in str(err.value), str(err.value)[-2000:]
    assert re.search(tag, str(err.value)), str(err.value)[-2000:]
