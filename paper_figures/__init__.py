"""Paper figures: theory lines over simulation markers. ``python -m paper_figures --list``.

Every module in this package that does not start with ``_`` is a figure module; importing the
package registers its figures (see :func:`paper_figures._registry.figure`).
"""

import importlib
import pkgutil

from paper_figures._registry import FIGURES, SCALES, FigureSpec, figure, pick

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["FIGURES", "SCALES", "FigureSpec", "figure", "pick"]
