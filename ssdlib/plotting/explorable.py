"""Explorable figures for the static HTML book: sliders over precomputed frames, no kernel.

A notebook widget redraws a figure with a running kernel. The HTML book has none, so the same
plotting function is called once per value of a small grid when the book is built, and the
frames are embedded in the page with one or two range inputs that switch between them. The
figure a reader sees first (and the one a notebook or the PDF shows) is the default frame.

It works offline and from ``file://``: the frames are data URIs and the script is inline (a few
lines that only swap the image); the sliders work with the keyboard, show their value next to
them, and the image's alt text names the values it shows.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json

import matplotlib.pyplot as plt

__all__ = ["Explorable", "explorable"]

_SCRIPT = """<script>(function () {
  var root = document.getElementById(%(id)s);
  var frames = %(frames)s, values = %(values)s, shape = %(shape)s, alt = %(alt)s;
  var img = root.querySelector("img"), inputs = root.querySelectorAll("input");
  function show() {
    var k = 0, parts = [];
    inputs.forEach(function (inp, a) {
      var i = Number(inp.value), text = values[a][i];
      k = k * shape[a] + i;
      inp.setAttribute("aria-valuetext", text);
      root.querySelectorAll("output")[a].textContent = text;
      parts.push(inp.dataset.name + " = " + text);
    });
    img.src = "data:image/png;base64," + frames[k];
    img.alt = alt + " (" + parts.join(", ") + ")";
  }
  inputs.forEach(function (inp) { inp.addEventListener("input", show); });
})();</script>"""

_STYLE = """<style>
.explorable { margin: 1em 0; padding: 0; }
.explorable .explorable-control { display: inline-flex; align-items: center; gap: 0.5em;
  white-space: nowrap; }
.explorable img { display: block; height: auto; max-width: 100%; }
.explorable .explorable-controls { display: flex; flex-wrap: wrap; gap: 0.4em 1.5em;
  align-items: center; margin-top: 0.4em; font-size: 0.95em; }
.explorable label { display: flex; align-items: center; gap: 0.5em; }
.explorable input[type=range] { width: min(11em, 55vw); }
.explorable output { font-variant-numeric: tabular-nums; min-width: 4.5em; }
</style>"""


class Explorable:
    """Frames of one figure over a grid of parameter values, shown with sliders.

    Attributes
    ----------
    names : tuple of str
        The parameters, in slider order.
    values : tuple of tuple
        The grid of each parameter.
    frames : list of bytes
        PNG images, row-major over the grid (the last parameter varies fastest).
    default : tuple of int
        Grid indices of the default frame.
    """

    def __init__(self, names, labels, values, texts, frames, default, alt, width):
        self.names, self.labels, self.values = names, labels, values
        self.texts, self.frames, self.default = texts, frames, default
        self.alt, self.width = alt, width

    @property
    def default_index(self) -> int:
        return index_of(self.default, self.values)

    @property
    def nbytes(self) -> int:
        """Size of the embedded frames in the page (base64), in bytes."""
        return sum(4 * ((len(f) + 2) // 3) for f in self.frames)

    def _repr_png_(self):
        return self.frames[self.default_index]

    def _repr_html_(self):
        b64 = [base64.b64encode(f).decode("ascii") for f in self.frames]
        digest = hashlib.sha1("".join(b64).encode()).hexdigest()[:10]
        uid = f"explorable-{digest}"
        current = ", ".join(f"{n} = {self.texts[a][i]}"
                            for a, (n, i) in enumerate(zip(self.names, self.default,
                                                           strict=True)))
        controls = []
        for a, name in enumerate(self.names):
            i = self.default[a]
            controls.append(
                f'<span class="explorable-control"><label>{html.escape(self.labels[a])} '
                f'<input type="range" min="0" max="{len(self.values[a]) - 1}" step="1" '
                f'value="{i}" data-name="{html.escape(name)}" '
                f'aria-label="{html.escape(name)}" '
                f'aria-valuetext="{html.escape(self.texts[a][i])}"></label>'
                f'<output aria-live="polite">{html.escape(self.texts[a][i])}</output></span>'
            )
        body = (
            f'<figure class="explorable" id="{uid}">'
            f'<img src="data:image/png;base64,{b64[self.default_index]}" '
            f'style="width: {self.width}px" '
            f'alt="{html.escape(self.alt)} ({html.escape(current)})">'
            f'<div class="explorable-controls">{"".join(controls)}</div></figure>'
        )
        script = _SCRIPT % {
            "id": json.dumps(uid),
            "frames": json.dumps(b64),
            "values": json.dumps([list(t) for t in self.texts]),
            "shape": json.dumps([len(v) for v in self.values]),
            "alt": json.dumps(self.alt),
        }
        return _STYLE + body + script


def explorable(draw, grid, default, *, alt, labels=None, fmt="{:g}", dpi=150, width=None):
    """Render ``draw(**params)`` on every point of ``grid`` as an :class:`Explorable`.

    Parameters
    ----------
    draw : callable
        The figure function the notebook widget calls; returns a matplotlib Figure.
    grid : dict
        Parameter name -> sequence of values (one or two parameters; at most 40 frames).
    default : dict
        Parameter name -> the default value (must be on the grid); the first frame shown.
    alt : str
        What the figure shows, for its alt text; the current values are appended.
    labels : dict, optional
        Parameter name -> label shown next to its slider (default: the name).
    fmt : str or dict
        Format of the shown values, one for all or one per parameter.
    dpi : float
        Resolution of the frames; they are displayed at 100 dots per CSS inch, like the
        book's other figures, so ``dpi = 150`` gives sharper text at the same size.
    width : float, optional
        Displayed width in CSS px (default: the figure's width at 100 px per inch).

    Raises
    ------
    ValueError
        On an empty or too large grid, or a default value not on the grid.
    """
    if not isinstance(grid, dict) or not 1 <= len(grid) <= 2:
        raise ValueError("`grid` must map one or two parameter names to their values.")
    names = tuple(grid)
    values = tuple(tuple(grid[n]) for n in names)
    if any(len(v) < 2 for v in values):
        raise ValueError("`grid` needs at least two values per parameter.")
    n_frames = 1
    for v in values:
        n_frames *= len(v)
    if n_frames > 40:
        raise ValueError(f"`grid` gives {n_frames} frames; at most 40 keep the page light.")
    if set(default) != set(names):
        raise ValueError(f"`default` must give a value for each of {names}.")
    try:
        index = tuple(values[a].index(default[n]) for a, n in enumerate(names))
    except ValueError:
        raise ValueError("`default` values must be values of `grid`.") from None
    fmts = fmt if isinstance(fmt, dict) else {n: fmt for n in names}
    texts = tuple(tuple(fmts[n].format(x) for x in values[a]) for a, n in enumerate(names))
    labels = tuple((labels or {}).get(n, n) for n in names)
    frames = []
    for combo in itertools.product(*values):
        fig = draw(**dict(zip(names, combo, strict=True)))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")  # as the inline backend
        plt.close(fig)
        frames.append(buf.getvalue())
    png_width = int.from_bytes(frames[index_of(index, values)][16:20], "big")
    return Explorable(names, labels, values, texts, frames, index, alt,
                      round(width or png_width * 100 / dpi))


def index_of(index, values) -> int:
    """Row-major position of the grid indices ``index`` (last parameter fastest)."""
    k = 0
    for i, v in zip(index, values, strict=True):
        k = k * len(v) + i
    return k
