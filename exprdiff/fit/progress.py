"""The progress bar of ``optimize(..., progress=True)``: a widget in Jupyter, text elsewhere.

tqdm's own automatic choice (``tqdm.auto``) picks its notebook widget in any
Jupyter kernel and, when ipywidgets is not installed, warns "IProgress not
found" before falling back to text.  Here the widget is chosen only when it
can work (a Jupyter kernel *and* ipywidgets), and the text bar otherwise,
without a warning.  tqdm is imported only when a bar is asked for.

>>> bar = progress_bar(3, file=__import__("io").StringIO())
>>> type(bar).__module__
'tqdm.std'
>>> bar.close()
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["progress_bar", "widget_bar_usable"]


def widget_bar_usable() -> bool:
    """Whether tqdm's notebook widget can show: in a Jupyter kernel, with ipywidgets installed.

    Jupyter's Qt console and Spyder run kernels too but show no widgets.

    >>> widget_bar_usable()  # not in a Jupyter kernel here
    False
    """
    if "ipykernel.zmqshell" not in sys.modules:
        return False
    if any(name == "QT_API" or name.startswith("SPYDER") for name in os.environ):
        return False
    return _ipywidgets_installed()


def _ipywidgets_installed() -> bool:
    try:  # importable, not only present: tqdm's widget needs it to work
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def progress_bar(total: int, *, desc: str = "optimize", unit: str = "epoch", **options: Any):
    """A tqdm bar of ``total`` steps: the notebook widget when usable, else the text bar.

    ``options`` go to tqdm (``file=``, ``leave=``...).
    """
    if widget_bar_usable():
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm(total=total, desc=desc, unit=unit, **options)
