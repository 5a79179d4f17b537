"""One figure style for the book: sized for the text column, text never below 9 CSS px.

The HTML book's text column is 672 CSS px wide at a 1280 px window, and the inline backend
saves figures at 100 dots per inch, shown one dot per CSS px. A figure made
:data:`COLUMN_WIDTH` inches wide (or less) is therefore shown at its own size, never shrunk,
and a font of :data:`MIN_FONT_PT` points or more renders at 9 CSS px or more.

Rules (the figure modules follow them):

* make figures with :func:`column_figure` (full column width, or a fraction of it);
* keep every text at :data:`MIN_FONT_PT` or larger (the defaults of :data:`RC` do);
* put legends where they cover no data: outside the axes with :func:`legend_below`, or inside
  only on an empty region chosen on purpose;
* tables belong in the text (Markdown), not in images.

Importing ``ssdlib.plotting`` applies :data:`RC` to matplotlib's defaults.
"""

from __future__ import annotations

import matplotlib as mpl
from matplotlib.figure import Figure

__all__ = ["COLUMN_WIDTH", "DPI", "MIN_FONT_PT", "RC", "apply", "column_figure",
           "legend_below", "legibility_problems", "saved_width"]

DPI = 100
"""Dots per inch of the inline backend's PNG figures (one dot per CSS px on the page)."""

COLUMN_WIDTH = 6.6
"""Width of a full-column figure in inches: 660 CSS px at :data:`DPI`, plus the 2 px margin
that the inline backend's tight bounding box adds on each side (``savefig.pad_inches``), fits
the 672 CSS px column."""

MIN_FONT_PT = 7.0
"""Smallest font size in points: 7 pt at 100 dpi is 9.7 CSS px."""

RC = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "savefig.pad_inches": 0.02,
    "font.size": 9.5,
    "axes.titlesize": 10,
    "axes.labelsize": 9.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "legend.title_fontsize": 8.5,
    "figure.titlesize": 10.5,
    "figure.labelsize": 9.5,
    "legend.framealpha": 0.9,
}
"""matplotlib defaults of the book's figures."""


def apply():
    """Make :data:`RC` matplotlib's defaults (done once when ``ssdlib.plotting`` loads)."""
    mpl.rcParams.update(RC)


def column_figure(height, *, fraction=1.0, **kwargs):
    """A new figure ``fraction`` of the column wide and ``height`` inches high (constrained).

    Parameters
    ----------
    height : float
        Height in inches (the width is ``fraction * COLUMN_WIDTH``).
    fraction : float
        Share of the column's width, in (0, 1].
    **kwargs
        Passed to :class:`matplotlib.figure.Figure`.
    """
    if not 0 < fraction <= 1:
        raise ValueError("`fraction` must be in (0, 1]: a figure wider than the column "
                         "would be shrunk on the page.")
    if not height > 0:
        raise ValueError("`height` must be a positive number of inches.")
    kwargs.setdefault("layout", "constrained")
    return Figure(figsize=(fraction * COLUMN_WIDTH, height), **kwargs)


def legend_below(fig, handles=None, labels=None, *, ncols=None, **kwargs):
    """One legend for the whole figure, below the axes, where it covers no data."""
    if handles is None:
        handles, labels = [], []
        for ax in fig.axes:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                if lab not in labels and not lab.startswith("_"):
                    handles.append(h)
                    labels.append(lab)
    ncols = ncols or min(len(handles), 4) or 1
    return fig.legend(handles, labels, loc="outside lower center", ncols=ncols, **kwargs)


def saved_width(fig) -> int:
    """Width in px of ``fig`` saved as the inline backend saves it (tight box, :data:`DPI`)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return int.from_bytes(buf.getvalue()[16:20], "big")


def legibility_problems(fig):
    """What makes ``fig`` shrink on the page or its text too small (empty when none).

    Returns
    -------
    list of str
        The figure wider than :data:`COLUMN_WIDTH` (it would be shrunk), and every visible
        text smaller than :data:`MIN_FONT_PT`.
    """
    problems = []
    width = fig.get_figwidth()
    if width > COLUMN_WIDTH + 1e-9:
        problems.append(f"figure {width:.2f} in wide, wider than the column ({COLUMN_WIDTH} in)")
    saved = saved_width(fig)
    if saved > 672:
        problems.append(f"figure saved {saved} px wide, wider than the 672 px column")
    for text in fig.findobj(mpl.text.Text):
        if text.get_visible() and text.get_text().strip() and text.get_fontsize() < MIN_FONT_PT:
            problems.append(f"text {text.get_text()[:30]!r} at {text.get_fontsize():.1f} pt")
    return problems
