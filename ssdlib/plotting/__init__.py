"""Figure functions of the book, one module per chapter.

Every function returns a new :class:`matplotlib.figure.Figure` and keeps no
global state (no ``plt.gcf``); names are re-exported here. :mod:`ssdlib.plotting.style` holds
the book's figure style (sizes for the text column, font sizes, legend placement), applied
when this package is imported.
"""

import importlib

from . import style

style.apply()  # the book's figure style (column width, legible fonts)

_MODULES = ("background", "setup", "stages", "kkt", "higher", "beyond")



def _collect():
    names = []
    for m in _MODULES:
        mod = importlib.import_module(f".{m}", __name__)
        for name in mod.__all__:
            globals()[name] = getattr(mod, name)
            names.append(name)
    return names


__all__ = _collect()
