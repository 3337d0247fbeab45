"""The plain-float path: compiled code on scalars with Python floats and `math`, and its bound.

When every value of a call is a scalar (the tutorials' one sample at a
time, micrograd-style scalar networks), NumPy spends most of its time
converting and dispatching, and Python floats with the `math` module are
several times faster.  The engine then compiles with the
`exprdiff.lowering.templates.MATH` backend (each operation's ``math_code``)
and keeps NumPy's semantics:

* values that are not finite, and every exception of ``math`` or of Python
  float arithmetic (``ZeroDivisionError``, ``OverflowError``, a domain
  ``ValueError``), hand the call to the NumPy path, so infinities, NaNs and
  warnings are the interpreter's;
* operations that could overflow silently (``+``, ``-``, ``*``, ``/``) add
  their results to a checksum that must stay finite, else the same;
* NumPy ignores underflow by default and so does this path; under
  ``np.errstate(under="warn")`` (or ``"raise"``) calls take the NumPy path;
* ``+ - * /`` and ``sqrt`` are correctly rounded in both, so those are bit
  for bit the interpreter's; the transcendental functions of ``math`` (the
  C library's) and NumPy's own (vectorised) implementations may differ in
  the last bits: by at most `PLAIN_FLOAT_ULPS` units in the last place per
  function evaluation.  Measured on this project's machine over 2*10^5
  random arguments each: ``exp``, ``log``, ``log1p`` and ``pow`` 1 ulp,
  ``tanh`` 3 ulps, ``sin``, ``cos`` and ``sqrt`` 0.  Through an expression
  such a difference propagates as any rounding difference does.

``EXPRDIFF_COMPILED=numpy`` keeps compiled code but uses NumPy on scalars
too, so that every value is bit for bit the interpreter's.

>>> ulps(1.0, 1.0000000000000002), ulps(0.0, -0.0)
(1, 0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["PLAIN_FLOAT_ULPS", "errstate_token", "quiet_underflow", "ulps"]

#: most units in the last place one transcendental function of the plain-float path
#: may differ by from NumPy's (tested in tests/test_plain_floats.py)
PLAIN_FLOAT_ULPS = 4


try:  # NumPy 2 keeps the floating-point error settings in a context variable
    from numpy._core._multiarray_umath import _extobj_contextvar as _settings

    errstate_token = _settings.get
except ImportError:  # pragma: no cover - older NumPy: ask every time
    def errstate_token() -> None:
        """No token: `quiet_underflow` asks NumPy every time."""
        return None

#: the last error settings seen to ignore underflow (any thread; a stale guess only costs time)
QUIET: list = [object()]


def quiet_underflow(token: object) -> bool:
    """Whether NumPy's current settings (``token``, from `errstate_token`) ignore underflow.

    Compiled scalar code checks ``token is QUIET[0]`` first, which is the
    usual case; this is the slow path that learns a new token.

    >>> quiet_underflow(errstate_token())
    True
    """
    if np.geterr()["under"] != "ignore":
        return False
    if token is not None:
        QUIET[0] = token
    return True


def ulps(a: object, b: object) -> int:
    """The largest distance, in units in the last place, between two floats or arrays.

    NaNs in the same positions count as equal; a NaN against a number, or
    infinities of different sign, count as the largest distance.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a, b = np.broadcast_arrays(a, b)
    both_nan = np.isnan(a) & np.isnan(b)
    ia = a.view(np.int64).astype(object)
    ib = b.view(np.int64).astype(object)
    worst = 0
    for x, y, skip in zip(np.ravel(ia), np.ravel(ib), np.ravel(both_nan)):
        if skip:
            continue
        x = x if x >= 0 else -(x + 2**63)  # order the bit patterns like the floats
        y = y if y >= 0 else -(y + 2**63)
        worst = max(worst, abs(x - y))
    return int(worst)
