"""Live figures for notebooks: one persistent image that follows its sliders.

A slider bound with ``ipywidgets.interact`` clears its output and displays a new figure at every
move; the front end then removes and re-lays out the output, which costs a student several
hundred ms per move. :class:`LiveFigure` shows one image widget instead and, when a slider
moves, replaces only the image's bytes. Each frame is drawn by the chapter's figure function,
``draw(**values)`` (the same function behind the book's static and explorable figures,
:func:`ssdlib.plotting.explorable.explorable`), rendered to PNG once and kept; while the student
looks at a frame, a background thread draws the frames one slider step away, so that the next
key press only swaps bytes.

Outside a notebook (a test, a script) the same object works without a front end:
:meth:`LiveFigure.set` moves the sliders and :attr:`LiveFigure.timings` records each redraw.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

__all__ = ["LiveFigure", "live_figure", "neighbours"]


def _key(values):
    """Cache key of a point of the sliders: floats to 9 significant digits (a slider computes
    its values in the browser, with other rounding)."""
    return tuple((n, float(f"{v:.9g}")) if isinstance(v, float) else (n, v)
                 for n, v in sorted(values.items()))


def neighbours(control):
    """The values one step below and above ``control``'s value (within its range).

    Parameters
    ----------
    control : ipywidgets slider
        ``SelectionSlider`` (neighbouring options), ``FloatLogSlider`` (``value * base**±step``)
        or an ``IntSlider``/``FloatSlider`` (``value ± step``).

    Returns
    -------
    list
        Zero to two values.
    """
    value = control.value
    options = getattr(control, "options", None)
    if options is not None:
        labels = [o[1] if isinstance(o, tuple) else o for o in options]
        i = labels.index(value)
        return [labels[j] for j in (i - 1, i + 1) if 0 <= j < len(labels)]
    step = getattr(control, "step", None)
    if not step:
        return []
    if hasattr(control, "base"):
        base, low, high = control.base, control.min, control.max
        exponent = math.log(value, base)
        out = [base ** e for e in (exponent - step, exponent + step) if low - 1e-9 <= e
               <= high + 1e-9]
        return [float(f"{v:.12g}") for v in out]
    out = [value - step, value + step]
    if isinstance(value, int):
        out = [int(v) for v in out]
    return [v for v in out if control.min <= v <= control.max]


class LiveFigure:
    """A figure drawn by ``draw(**values)`` and shown again whenever a slider moves.

    Parameters
    ----------
    draw : callable
        ``draw(**values) -> matplotlib.figure.Figure``, a pure function of the slider values.
    controls : dict
        Parameter name -> ipywidgets slider; its ``value`` is passed to ``draw`` under that name.
    prefetch : bool
        Draw the frames one step away from the current values in a background thread.
    cache_size : int
        Frames kept (PNG bytes, least recently used dropped first).

    Attributes
    ----------
    image : ipywidgets.Image
        The figure on show, as PNG.
    widget : ipywidgets.VBox
        The sliders above the image; displaying the LiveFigure displays it.
    timings : list of float
        Milliseconds spent in the kernel by each move: drawing and rendering the frame, or
        only looking it up when it was drawn ahead.
    """

    def __init__(self, draw, controls, *, prefetch=True, cache_size=256):
        import ipywidgets as widgets

        if not callable(draw):
            raise ValueError("`draw` must be a function returning a matplotlib Figure.")
        if not isinstance(controls, dict) or not controls:
            raise ValueError("`controls` must map parameter names to ipywidgets sliders, e.g. "
                             "{'eps': widgets.FloatLogSlider(...)}.")
        for name, control in controls.items():
            if not hasattr(control, "observe") or not hasattr(control, "value"):
                raise ValueError(f"control {name!r} is not an ipywidgets slider; pass e.g. "
                                 "widgets.FloatSlider(...).")
        if not (isinstance(cache_size, int) and cache_size >= 1):
            raise ValueError("`cache_size` must be a positive number of frames.")
        self.draw, self.controls = draw, dict(controls)
        self.timings, self.cache_size, self.prefetch = [], cache_size, prefetch
        self._frames, self._pending, self._lock = OrderedDict(), {}, threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1) if prefetch else None
        self.image = widgets.Image(format="png", value=self._frame(self.values))
        width = int.from_bytes(self.image.value[16:20], "big")
        self.image.layout.width = f"{width}px"
        self.image.layout.max_width = "100%"
        for control in self.controls.values():
            control.observe(self._moved, names="value")
        self.widget = widgets.VBox([widgets.HBox(list(self.controls.values())), self.image])
        self._ahead()

    @property
    def values(self) -> dict:
        """The current value of every slider."""
        return {name: control.value for name, control in self.controls.items()}

    def _render(self, values):
        from matplotlib.figure import Figure

        fig = self.draw(**values)
        if not isinstance(fig, Figure):
            raise ValueError(f"`draw` returned {type(fig).__name__}, not a matplotlib Figure.")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()

    def _store(self, key, png):
        with self._lock:
            self._frames[key] = png
            self._frames.move_to_end(key)
            while len(self._frames) > self.cache_size:
                self._frames.popitem(last=False)

    def _frame(self, values):
        """PNG of the frame at ``values``: kept, being drawn ahead (wait for it), or drawn now."""
        key = _key(values)
        with self._lock:
            png = self._frames.get(key)
            if png is not None:
                self._frames.move_to_end(key)
                return png
            future = self._pending.get(key)
        png = future.result() if future is not None else self._render(values)
        self._store(key, png)
        return png

    def _ahead(self, first=None):
        """Queue the frames one slider step away from the current values, those of slider
        ``first`` (the one just moved) first."""
        if self._pool is None:
            return
        current = self.values
        order = sorted(self.controls.items(), key=lambda item: item[0] != first)
        for name, control in order:
            for value in neighbours(control):
                values = dict(current, **{name: value})
                key = _key(values)
                with self._lock:
                    if key in self._frames or key in self._pending:
                        continue
                    self._pending[key] = self._pool.submit(self._prefetch, key, values)

    def _prefetch(self, key, values):
        try:
            png = self._render(values)
            self._store(key, png)
            return png
        finally:
            with self._lock:
                self._pending.pop(key, None)

    def _moved(self, change):
        moved = next((n for n, c in self.controls.items() if c is change.get("owner")), None)
        self.redraw(moved)

    def set(self, **values):
        """Move sliders to ``values`` (as a student would) and redraw once."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown slider(s) {sorted(unknown)}; the sliders are "
                             f"{sorted(self.controls)}.")
        for control in self.controls.values():
            control.unobserve(self._moved, names="value")
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            for control in self.controls.values():
                control.observe(self._moved, names="value")
        self.redraw(next(iter(values), None))

    def redraw(self, moved=None):
        """Show the frame of the current values; then draw its neighbours ahead (along the
        slider ``moved`` first)."""
        tic = time.perf_counter()
        self.image.value = self._frame(self.values)
        self.timings.append(1e3 * (time.perf_counter() - tic))
        self._ahead(moved)

    def wait(self):
        """Wait until every frame drawn ahead is done (for tests and timings)."""
        while True:
            with self._lock:
                futures = list(self._pending.values())
            if not futures:
                return
            for future in futures:
                future.exception()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def live_figure(draw, **controls):
    """:class:`LiveFigure` of ``draw`` with the given sliders, e.g.
    ``live_figure(explore, eps=widgets.FloatLogSlider(...))``."""
    return LiveFigure(draw, controls)
