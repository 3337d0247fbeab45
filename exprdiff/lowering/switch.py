"""The one switch for compiled evaluation: the ``EXPRDIFF_COMPILED`` environment variable.

By default the engine compiles an expression once compiling pays (see
`exprdiff.lowering.dispatch`).  Setting the environment variable turns that
off, for debugging, everywhere at once; `exprdiff.optimize` and
`exprdiff.gradient_function` also take ``compiled=False`` for one call.

=====================  ==================================================
``EXPRDIFF_COMPILED``  effect
=====================  ==================================================
unset, ``1``, ``on``   compiled code once it pays (the default)
``0``, ``off``         the interpreter only
``numpy``              compiled code, but NumPy on scalars too: every
                       value bit for bit the interpreter's (no `math`)
=====================  ==================================================

The variable is read whenever code would be compiled, so set it before the
expressions are first evaluated (code already compiled keeps running).

>>> mode({"EXPRDIFF_COMPILED": "off"}), mode({})
('off', 'on')
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["ENVIRONMENT_VARIABLE", "mode"]

#: the environment variable that switches compiled evaluation off (``0``) or on
ENVIRONMENT_VARIABLE = "EXPRDIFF_COMPILED"
_OFF = {"0", "off", "false", "no"}
_ON = {"", "1", "on", "true", "yes"}


def mode(environ: Mapping[str, str] | None = None) -> str:
    """``"on"``, ``"off"`` or ``"numpy"``, from ``EXPRDIFF_COMPILED``.

    An unrecognised value raises `ValueError` naming the variable, so a
    typo does not silently leave compilation on.
    """
    value = (os.environ if environ is None else environ).get(ENVIRONMENT_VARIABLE, "")
    value = value.strip().lower()
    if value in _OFF:
        return "off"
    if value in _ON:
        return "on"
    if value == "numpy":
        return "numpy"
    raise ValueError(
        f"{ENVIRONMENT_VARIABLE}={value!r} is not understood: use 0 (the interpreter only), "
        "1 (compiled code, the default) or numpy (compiled code without the math module)"
    )
