"""Numbers computed by a chapter and printed in its text, also for readers of the notebook.

The book prints computed numbers in its prose with myst-nb's ``glue`` and the
``{glue:text}`` role. JupyterLab (with jupyterlab-myst) cannot look these values up and shows
each by its name and format instead (``kkt_theta:.3g``). A chapter therefore glues through
:func:`glue`, which also keeps every value, and ends with a notebook-only cell calling
:func:`table`: after *Run All* it lists every name with its value, formatted as the text
formats it.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["glue", "names_in", "table", "values"]

_VALUES: dict = {}
_ROLE = re.compile(r"\{glue:text\}`([A-Za-z0-9_]+)(?::([^`]*))?`")


def glue(name, value, display=True):
    """``myst_nb.glue(name, value, display)``, keeping ``value`` for :func:`table`."""
    from myst_nb import glue as myst_glue

    if not isinstance(name, str) or not name:
        raise ValueError("`name` must be a non-empty string, the key the text refers to.")
    _VALUES[name] = value
    return myst_glue(name, value, display=display)


def values() -> dict:
    """Every value glued in this kernel, by name."""
    return dict(_VALUES)


def names_in(path) -> dict:
    """``name -> format`` of every ``{glue:text}`name:format``` role in the file ``path``."""
    text = Path(path).read_text(encoding="utf-8")
    return {m.group(1): m.group(2) or "" for m in _ROLE.finditer(text)}


def _formatted(value, spec):
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def table(chapter):
    """The numbers of the text of ``chapter`` (a file in ``book/``, e.g. ``"kkt"``) and their
    values, as a Markdown table (for the notebook; the HTML book prints them in the text).

    Raises
    ------
    ValueError
        If the chapter's file is missing, or a number of its text was never glued (a cell that
        computes it did not run).
    """
    from .claims import _Markdown as Markdown

    path = Path(__file__).resolve().parents[1] / "book" / f"{chapter}.md"
    if not path.is_file():
        raise ValueError(f"no chapter {chapter!r}: expected the file {path}.")
    names = names_in(path)
    missing = sorted(set(names) - set(_VALUES))
    if missing:
        raise ValueError(f"numbers of the text never computed in this kernel: {missing}; run "
                         "all cells above first (menu Run > Run All Cells).")
    rows = ["| name in the text | value |", "|---|---|"]
    for name, spec in names.items():
        shown = f"{name}:{spec}" if spec else name
        rows.append(f"| `{shown}` | {_formatted(_VALUES[name], spec)} |")
    return Markdown("\n".join(rows))
